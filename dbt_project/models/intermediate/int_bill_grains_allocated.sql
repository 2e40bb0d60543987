-- Every billed usage grain of the window that was allocated onto calls (int_bill_allocation_grains,
-- allocated_at other than 'unattributed'), split by what it was allocated to: tenant x feature x prompt
-- template x the calls' model and token bucket x their price (catalog and contracted unit price, price
-- source). The amounts are the calls' shares of the pool (int_call_buckets_allocated, or per pool
-- int_call_bucket_pool_shares where a bucket is covered by several pools), summed per target. Most pools
-- are one bill grain, and then a row's amount is exactly the target's share. A fallback pool can hold
-- several bill grains (amounts that met no call at their own grain, pooled at a coarser one); its targets'
-- shares are then split over its grains in proportion to the grains' amounts, by 2-D cumulative rounding
-- on integer pico-dollars: with the targets and the grains each in a fixed order, cumulative sums S
-- (targets) and G (grains), pool amount B, and P(s, g) = s x g // B, a cell gets P(S, G) - P(S', G) -
-- P(S, G') + P(S', G') (S', G': the sums before it). Summed over the grains this gives each target's share
-- exactly, summed over the targets each grain's amount exactly: so BilledCost sums to every bill line and
-- to every target to the pico-dollar. Tokens are split over the grains by 1-D cumulative rounding (exact
-- per target). A view, read by the FOCUS export only.
with

allocated as (
    select * from {{ ref('int_call_buckets_allocated') }}
    where allocation_status = 'bill'
),

pool_shares as (
    select * from {{ ref('int_call_bucket_pool_shares') }}
),

shared_buckets as (
    -- a second reference to the buckets, for the few of shared pools (one CTE per use: DuckDB materializes
    -- a CTE used twice, here millions of rows)
    select * from {{ ref('int_call_buckets_allocated') }}
),

calls as (
    select * from {{ ref('int_calls_keyed') }}
),

bill_grains as (
    select * from {{ ref('int_bill_allocation_grains') }}
    where allocated_at <> 'unattributed'
),

shares as (
    -- each billed call bucket's share of each pool: whole, from the one pool int_call_buckets_allocated
    -- names; per pool from int_call_bucket_pool_shares for the pools that share a bucket with another pool
    -- (it holds every bucket of those pools). A bucket in a pool only list cost reached was split by list
    -- cost; one that got a share without a list cost was in a pool of unpriced buckets, split by tokens.
    select
        call_id, token_bucket, allocation_id, model_key, tokens, price_source, catalog_price_per_mtok,
        price_per_mtok,
        list_cost is null or list_cost <= 0 as is_token_share,
        attributed_billed_cost as allocated_cost
    from allocated
    where allocation_id is not null
        and allocation_id not in (select pool_shares.allocation_id from pool_shares)
    union all
    select
        pool_shares.call_id, pool_shares.token_bucket, pool_shares.allocation_id, shared_buckets.model_key,
        shared_buckets.tokens, shared_buckets.price_source, shared_buckets.catalog_price_per_mtok,
        shared_buckets.price_per_mtok,
        pool_shares.is_token_share,
        {{ from_pico('pool_shares.allocated_pico') }} as allocated_cost
    from pool_shares
    inner join shared_buckets
        on shared_buckets.call_id = pool_shares.call_id
        and shared_buckets.token_bucket = pool_shares.token_bucket
),

targets as (
    -- per pool: what each allocation target got (decimal sums are exact), and the tokens and calls behind it
    select
        shares.allocation_id,
        shares.is_token_share,
        calls.tenant_id,
        calls.feature,
        calls.prompt_template,
        shares.model_key as call_model,
        shares.token_bucket as call_token_bucket,
        shares.price_source,
        shares.catalog_price_per_mtok,
        shares.price_per_mtok as contracted_price_per_mtok,
        {{ to_pico('sum(shares.allocated_cost)') }} as target_pico,
        sum(shares.tokens) as tokens,
        count(*) as calls
    from shares
    inner join calls on calls.call_id = shares.call_id
    group by all
),

target_sums as (
    select
        *,
        sum(target_pico) over target_order as cum_target_pico,
        row_number() over target_order as target_rank
    from targets
    window target_order as (
        partition by allocation_id
        order by tenant_id, feature, prompt_template, call_model, call_token_bucket, price_source,
            catalog_price_per_mtok, contracted_price_per_mtok
        rows between unbounded preceding and current row
    )
),

grain_sums as (
    select
        *,
        {{ to_pico('billed_cost') }} as grain_pico,
        sum({{ to_pico('billed_cost') }}) over grain_order as cum_grain_pico,
        sum({{ to_pico('billed_cost') }}) over (partition by allocation_id) as pool_pico,
        row_number() over grain_order as grain_rank
    from bill_grains
    window grain_order as (
        partition by allocation_id order by bill_grain_id rows between unbounded preceding and current row
    )
),

cells as (
    select
        grain_sums.bill_grain_id,
        grain_sums.allocated_at,
        target_sums.*,
        case
            -- a pool whose lines sum to 0 gives its targets 0 (their shares are 0): its lines stay
            -- whole on the first target
            when grain_sums.pool_pico = 0
                then case when target_sums.target_rank = 1 then grain_sums.grain_pico else 0 end
            else
                {{ int_div('target_sums.cum_target_pico * grain_sums.cum_grain_pico', 'grain_sums.pool_pico') }}
                - {{ int_div(
                    '(target_sums.cum_target_pico - target_sums.target_pico) * grain_sums.cum_grain_pico',
                    'grain_sums.pool_pico'
                ) }}
                - {{ int_div(
                    'target_sums.cum_target_pico * (grain_sums.cum_grain_pico - grain_sums.grain_pico)',
                    'grain_sums.pool_pico'
                ) }}
                + {{ int_div(
                    '(target_sums.cum_target_pico - target_sums.target_pico)'
                    ~ ' * (grain_sums.cum_grain_pico - grain_sums.grain_pico)',
                    'grain_sums.pool_pico'
                ) }}
        end as cell_pico,
        case
            when grain_sums.pool_pico = 0
                then case when grain_sums.grain_rank = 1 then target_sums.tokens else 0 end
            else
                {{ int_div('target_sums.tokens * grain_sums.cum_grain_pico', 'grain_sums.pool_pico') }}
                - {{ int_div(
                    'target_sums.tokens * (grain_sums.cum_grain_pico - grain_sums.grain_pico)', 'grain_sums.pool_pico'
                ) }}
        end as cell_tokens
    from grain_sums
    inner join target_sums on target_sums.allocation_id = grain_sums.allocation_id
),

final as (
    select
        bill_grain_id,
        allocation_id,
        allocated_at,
        is_token_share,
        tenant_id,
        feature,
        prompt_template,
        call_model,
        call_token_bucket,
        price_source,
        catalog_price_per_mtok,
        contracted_price_per_mtok,
        calls,
        cast(cell_tokens as bigint) as tokens,
        {{ from_pico('cell_pico') }} as billed_cost
    from cells
)

select * from final
