{#-
  The allocation grains, finest first (int_bill_allocation_grains states the rule): a bill amount is
  allocated at its own grain (level 0) when a priced logged call bucket shares it, else at the first
  coarser grain both sides share; level 5 means no priced call of its provider-day (unattributed).
-#}
{% macro allocated_at(level) -%}
    case {{ level }}
        when 0 then 'bill_line'
        when 1 then 'without_tier'
        when 2 then 'without_token_bucket'
        when 3 then 'without_model'
        when 4 then 'provider_day'
        else 'unattributed'
    end
{%- endmacro %}

{#-
  Which call buckets an allocation pool covers at its level: same provider and UTC day always; same
  billing account below level 4; same model (or a bill model 'unknown') below level 3; same token
  bucket (or 'unknown') below level 2; same service tier at level 0. Used by int_bill_grain_matches.
-#}
{% macro pool_covers(pool, bucket) -%}
    {{ pool }}.provider = {{ bucket }}.provider
    and {{ pool }}.cost_day = {{ bucket }}.call_day
    and ({{ pool }}.allocation_level >= 4 or {{ pool }}.billing_account = {{ bucket }}.billing_account)
    and ({{ pool }}.allocation_level >= 3 or {{ pool }}.model in ('unknown', {{ bucket }}.model_key))
    and ({{ pool }}.allocation_level >= 2 or {{ pool }}.token_bucket in ('unknown', {{ bucket }}.token_bucket))
    and ({{ pool }}.allocation_level >= 1 or {{ pool }}.service_tier = {{ bucket }}.service_tier)
{%- endmacro %}

{#-
  The split of the allocation pools onto the call buckets they cover (the rule in plain words:
  int_call_buckets_allocated), as the CTEs pool_bases, weighted, grains, split and remainders over a CTE
  named `matches` with the columns of int_bill_grain_matches. `split` holds each covered bucket's floor
  share of its pool (share_pico), `remainders` the pico-dollars left over, on the pool's largest bucket
  (allocated_pico). Written once here for the two models that need the split: int_call_buckets_allocated
  (per call bucket) and int_call_bucket_pool_shares (per call bucket x pool: the FOCUS export).
-#}
{% macro allocation_split_ctes(matches='matches') -%}
pool_bases as (
    select allocation_id, sum(cost_pico) filter (where cost_pico > 0) as cost_base
    from {{ matches }}
    group by allocation_id
),

weighted as (
    -- the weight of each covered bucket: its list cost in pico-dollars, or its tokens in a pool of
    -- unpriced buckets only
    select
        {{ matches }}.call_id,
        {{ matches }}.token_bucket,
        {{ matches }}.allocation_id,
        {{ matches }}.bill_pico,
        case when pool_bases.cost_base is not null then {{ matches }}.cost_pico else {{ matches }}.tokens end as weight
    from {{ matches }}
    inner join pool_bases on pool_bases.allocation_id = {{ matches }}.allocation_id
    where pool_bases.cost_base is null or {{ matches }}.cost_pico > 0
),

grains as (
    -- per pool: the allocation base, and the bucket that takes the rounding remainder (the largest;
    -- ties by call_id, then token_bucket). Aggregates, not window functions: a window over tens of
    -- millions of matches sorts and spills them all.
    select
        allocation_id,
        sum(weight) as base_pico,
        min({{ struct_pack([('neg_weight', '-weight'), ('call_id', 'call_id'), ('token_bucket', 'token_bucket')]) }})
            as largest
    from weighted
    group by allocation_id
    having sum(weight) <> 0
),

split as (
    select
        weighted.call_id,
        weighted.token_bucket,
        weighted.allocation_id,
        weighted.bill_pico,
        {{ int_div('weighted.bill_pico * weighted.weight', 'grains.base_pico') }} as share_pico
    from weighted
    inner join grains on grains.allocation_id = weighted.allocation_id
),

remainders as (
    select
        grains.largest.call_id as call_id,  -- struct fields, named explicitly -- noqa: AL09, RF01
        grains.largest.token_bucket as token_bucket,  -- noqa: AL09, RF01
        split_totals.allocation_id,
        split_totals.bill_pico - split_totals.shared_pico as allocated_pico
    from (
        select allocation_id, any_value(bill_pico) as bill_pico, sum(share_pico) as shared_pico
        from split
        group by allocation_id
    ) as split_totals
    inner join grains on grains.allocation_id = split_totals.allocation_id
)
{%- endmacro %}

{#- The cost kind of a bill line that is not allocated usage (fct_cost_daily, the FOCUS export): a
    correction of a closed period, else its ChargeCategory in lower case (credit, tax, adjustment, ...). -#}
{% macro bill_cost_kind(charge_category, charge_class) -%}
    case when {{ charge_class }} = 'Correction' then 'correction' else lower({{ charge_category }}) end
{%- endmacro %}
