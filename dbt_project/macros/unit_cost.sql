{#-
  Money per unit (cost per call, per user, per 1k tokens, the average cost of a call), exactly:
  DuckDB turns decimal / decimal (and decimal / integer) into DOUBLE, so money is never divided
  as a decimal. The amount goes to integer pico-dollars (to_pico, exact for decimal(38,12)),
  times `per` (e.g. 1000 for "per 1k tokens", or another count: the result is then
  money x per / units), and is divided by the unit count with integer division (int_div).
  Rounding rule: to the nearest pico-dollar (12 decimals), half away from zero (ROUND_HALF_UP).
  Result: decimal(38,12); null when the unit count is 0 or null. `units` and `per` are counts
  (integers >= 0); `money` any decimal amount, negative allowed (savings can be negative).
-#}
{% macro money_per_unit(money, units, per=1) -%}
    case when {{ units }} <> 0 then
        {{ from_pico(
            int_sign(to_pico(money)) ~ ' * (' ~ int_div(
                '(2 * abs(' ~ to_pico(money) ~ ') * cast(' ~ per ~ ' as ' ~ pico_type() ~ ')'
                ~ ' + cast(' ~ units ~ ' as ' ~ pico_type() ~ '))',
                '(2 * cast(' ~ units ~ ' as ' ~ pico_type() ~ '))') ~ ')'
        ) }}
    end
{%- endmacro %}

{#-
  The days an incremental mart with trailing windows rebuilds: the partition window's days AND the
  `trailing_days` - 1 days after it (their trailing values include the window's days, so a re-run of
  an old day refreshes them too). On the daily run for the newest day there are no later days yet,
  so nothing else is rebuilt. Used as the pre-hook (delete) and as the model's day filter (rebuild).
-#}
{% macro in_trailing_refresh_window(day_column, trailing_days) -%}
    {{ day_column }} >= {{ window_start() }}
    and {{ day_column }} < {{ window_end() }} + {{ trailing_days - 1 }}
{%- endmacro %}

{% macro delete_trailing_refresh_window(day_column, trailing_days) -%}
    {% if is_incremental() %}
        delete from {{ this }} where {{ in_trailing_refresh_window(day_column, trailing_days) }}
    {% else %}
        select 1
    {% endif %}
{%- endmacro %}
