"""One pricing rule: ingest.pricing.PriceBook (Python: the demo's truth, the bulk generator, the bench)
and dbt's int_call_bucket_scenarios_priced (SQL) agree. The rule itself is checked by hand on a few
cases in tests/test_catalog.py and tests/test_company_config.py; here the two implementations meet."""

from __future__ import annotations

from decimal import Decimal

from ingest.catalog import catalog_table, resolve_model
from ingest.pricing import PriceBook, read_price_overrides


def test_sql_and_python_price_every_bucket_of_the_demo_alike(built):
    """Every price the warehouse put on a call bucket (override or catalog, each long-context band at
    both ends of the input sizes it priced) is the price PriceBook gives for the same call."""
    book = PriceBook(read_price_overrides(built.config / "price_overrides.csv"))
    groups = built.query(
        "select provider, model_served, token_bucket, service_tier, call_day, price_source, price_per_mtok, "
        "min(input_tokens_total), max(input_tokens_total), count(*) "
        "from intermediate.int_call_buckets_priced where price_per_mtok is not null group by all"
    )
    assert sum(g[-1] for g in groups) > 200_000
    assert {g[5] for g in groups} == {"override", "catalog"}
    for provider, model, bucket, tier, day, _, price, smallest, largest, _ in groups:
        for input_tokens in (smallest, largest):
            assert book.price(provider, model, bucket, tier, day, input_tokens) == price, (provider, model, bucket, day)


def test_python_reads_every_catalog_row_the_warehouse_loaded(built):
    """At its own first day and long-context threshold, each row of the price catalog the SQL joins to is
    the price PriceBook (no overrides) finds."""
    book = PriceBook([])
    rows = built.query(
        "select provider, model, token_bucket, service_tier, valid_from, min_input_tokens, price_per_mtok "
        "from staging.stg_raw__price_catalog"
    )
    assert len(rows) == len(catalog_table()) > 1_000
    checked = 0
    for provider, model, bucket, tier, valid_from, min_input, price in rows:
        if resolve_model(provider, model) != model:
            continue  # a catalog id that name resolution sends elsewhere (see the issue-16 note): priced as that
        assert book.price(provider, model, bucket, tier, valid_from, min_input) == Decimal(price), (provider, model)
        checked += 1
    assert checked > 0.9 * len(rows)
