{#-
  Money rules, implemented once:
  - money is decimal(38,12); DuckDB turns decimal / decimal into DOUBLE, so money is never divided:
  - token cost = tokens x USD per million tokens x 0.000001, all decimal;
  - allocation works on integer pico-dollars (pico_type(): hugeint, on Spark decimal(38,0)) with integer division (int_div), and the remainder
    goes to one row per group, so allocated parts sum to the whole exactly.
-#}
{% macro money(expr) -%} cast({{ expr }} as decimal(38,12)) {%- endmacro %}

{% macro token_cost(tokens, price_per_mtok) -%}
    cast(cast({{ tokens }} as decimal(38,0)) * cast({{ price_per_mtok }} as decimal(18,6)) * cast(0.000001 as decimal(7,6)) as decimal(38,12))
{%- endmacro %}

{% macro to_pico(expr) -%} cast(cast({{ expr }} as decimal(38,12)) * 1000000000000 as {{ pico_type() }}) {%- endmacro %}

{% macro from_pico(expr) -%} cast(cast({{ expr }} as decimal(38,0)) * cast(0.000000000001 as decimal(13,12)) as decimal(38,12)) {%- endmacro %}

{#- A ratio for reporting (0.01 = 1%): decimal with 8 places, truncated, computed on integers (no
    float anywhere); null when the denominator is 0. -#}
{% macro ratio(numerator, denominator) -%}
    case when {{ denominator }} <> 0 then
        cast(cast({{ int_div('(' ~ to_pico(numerator) ~ ' * 100000000)', to_pico(denominator)) }} as decimal(38,0))
            * cast(0.00000001 as decimal(9,8)) as decimal(18,8))
    end
{%- endmacro %}

{#-
  The reconciliation rule, once: a period reconciles when |billed - computed| <= tolerance x |billed|
  (2%), or when the gap is below the materiality floor (var reconciliation_materiality_usd, $1):
  on an account-day of a few dollars, one missing log line or the vendor's per-line rounding to
  cents moves the ratio by several percent without being a finding. Decimal arithmetic throughout.
-#}
{% macro is_within_tolerance(billed, computed, tolerance=none, materiality=none) -%}
    (abs({{ billed }} - {{ computed }})
        <= {{ tolerance if tolerance is not none else reconciliation_tolerance() }} * abs({{ billed }})
     or abs({{ billed }} - {{ computed }})
        <= {{ materiality if materiality is not none else reconciliation_materiality_usd() }})
{%- endmacro %}

{#- The rule's two numbers (vars), as fct_reconciliation carries them for readers such as the report. -#}
{% macro reconciliation_tolerance() -%}
    cast({{ var('reconciliation_tolerance') }} as decimal(18,6))
{%- endmacro %}

{% macro reconciliation_materiality_usd() -%}
    cast({{ var('reconciliation_materiality_usd') }} as decimal(18,6))
{%- endmacro %}

{#-
  The arrival states of a reconciliation period, once (int_reconciliation_days for days, fct_reconciliation
  for months): not_built (a bill day whose marts were never built), awaiting_bill (no bill yet),
  reconciled (within tolerance), awaiting_calls (a bill and no logged call, while the period's last day
  is within var reconciliation_grace_days of the run's last day), acknowledged (beyond tolerance and
  explained in the config dir), out_of_tolerance.
-#}
{% macro reconciliation_status(billed, computed, calls, last_day, acknowledged) -%}
    case
        when {{ computed }} is null then 'not_built'
        when {{ billed }} is null then 'awaiting_bill'
        when {{ is_within_tolerance(billed, computed) }} then 'reconciled'
        when {{ calls }} = 0
            and {{ last_day }} > {{ window_end() }} - 1 - {{ var('reconciliation_grace_days') }} then 'awaiting_calls'
        when {{ acknowledged }} then 'acknowledged'
        else 'out_of_tolerance'
    end
{%- endmacro %}

{#- An acknowledgment (stg_config__acknowledged_variances) covers a period of a provider and account. -#}
{% macro acknowledgment_covers(ack, provider, billing_account, first_day, last_day) -%}
    {{ ack }}.provider = {{ provider }}
    and {{ ack }}.billing_account in ('*', {{ billing_account }})
    and {{ ack }}.period_start <= {{ first_day }}
    and {{ ack }}.period_end >= {{ last_day }}
{%- endmacro %}
