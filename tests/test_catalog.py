"""ingest.catalog against the real price data bundled with genai-prices (no network)."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from genai_prices import Usage, data_snapshot
from genai_prices import types as gp

from ingest import catalog as c
from ingest.catalog import price_for, resolve_model, resolve_models

D = Decimal


@pytest.fixture(scope="module")
def table() -> pa.Table:
    return c.catalog_table()


@pytest.fixture(scope="module")
def rows(table: pa.Table) -> list[dict]:
    return table.to_pylist()


def _rows(rows, provider, model, bucket=None, tier=None):
    return [
        r
        for r in rows
        if r["provider"] == provider
        and r["model"] == model
        and (bucket is None or r["token_bucket"] == bucket)
        and (tier is None or r["service_tier"] == tier)
    ]


def _model(provider_id: str, model_id: str) -> gp.ModelInfo:
    snap = data_snapshot.get_snapshot()
    provider = next(p for p in snap.providers if p.id == provider_id)
    return next(m for m in provider.models if m.id == model_id)


def _variant_start(provider_id: str, model_id: str, when: dict[str, str]) -> date:
    starts = [
        v.constraint.start_date
        for v in _model(provider_id, model_id).price_variants or ()
        if v.when == when and isinstance(v.constraint, gp.StartDateConstraint)
    ]
    assert len(starts) == 1
    return starts[0]


# -- shape -------------------------------------------------------------------------------------


def test_schema_and_basic_invariants(table: pa.Table, rows):
    assert table.schema == c.CATALOG_SCHEMA
    assert table.column_names == [
        "provider",
        "model",
        "token_bucket",
        "service_tier",
        "min_input_tokens",
        "price_per_mtok",
        "valid_from",
        "valid_to",
        "source",
    ]
    assert table.schema.field("price_per_mtok").type == pa.decimal128(18, 6)
    for name in (
        "provider",
        "model",
        "token_bucket",
        "service_tier",
        "min_input_tokens",
        "price_per_mtok",
        "valid_from",
        "source",
    ):
        assert table.column(name).null_count == 0, name
    assert {r["provider"] for r in rows} == set(c.PROVIDERS)
    assert {r["token_bucket"] for r in rows} == set(c.TOKEN_BUCKETS)
    assert {r["service_tier"] for r in rows} == set(c.SERVICE_TIERS)
    assert {r["source"] for r in rows} == {"genai-prices 0.2.3"}
    assert all(r["price_per_mtok"] >= 0 for r in rows)
    assert all(r["valid_to"] is None or r["valid_from"] < r["valid_to"] for r in rows)
    assert min(r["valid_from"] for r in rows) == date(2000, 1, 1)
    # every priced model period has all four buckets at the base threshold
    periods = defaultdict(set)
    for r in rows:
        if r["min_input_tokens"] == 0:
            periods[(r["provider"], r["model"], r["service_tier"], r["valid_from"])].add(r["token_bucket"])
    assert all(b == set(c.TOKEN_BUCKETS) for b in periods.values())


def test_no_overlapping_validity_periods(rows):
    by_key = defaultdict(list)
    for r in rows:
        by_key[(r["provider"], r["model"], r["token_bucket"], r["service_tier"], r["min_input_tokens"])].append(r)
    assert len(by_key) > 1000
    for key, group in by_key.items():
        group.sort(key=lambda r: r["valid_from"])
        for prev, nxt in itertools.pairwise(group):
            assert prev["valid_to"] is not None and prev["valid_to"] <= nxt["valid_from"], key


def test_cached_and_fast():
    assert c.catalog_table() is c.catalog_table()
    snap = data_snapshot.get_snapshot()
    t0 = time.perf_counter()
    rebuilt = c._build(snap).table
    assert time.perf_counter() - t0 < 0.5
    assert rebuilt.equals(c.catalog_table())


def test_stats_report_what_was_skipped():
    s = c.catalog_stats()
    assert set(s.rows_per_provider) == set(c.PROVIDERS) == set(s.models_per_provider)
    assert sum(s.rows_per_provider.values()) == c.catalog_table().num_rows
    assert s.time_of_day_models and all(m.startswith("deepseek:") for m in s.time_of_day_models)
    assert s.time_of_day_prices_skipped == len(s.time_of_day_skipped) > 0
    assert ("openai", "text-embedding-3-small") in s.models_without_token_prices  # input price only
    assert s.prices_rounded == len(s.rounded_examples) <= 5


# -- real prices -------------------------------------------------------------------------------


def test_gpt_4o_standard(rows):
    got = {r["token_bucket"]: r["price_per_mtok"] for r in _rows(rows, "openai", "gpt-4o", tier="standard")}
    assert got == {"input_uncached": D("2.5"), "cache_read": D("1.25"), "cache_write": D("2.5"), "output": D("10")}
    assert all(
        r["valid_from"] == date(2000, 1, 1) and r["valid_to"] is None
        for r in _rows(rows, "openai", "gpt-4o", tier="standard")
    )


def test_gpt_4o_batch_variant_and_fallback_before_it(rows):
    start = _variant_start("openai", "gpt-4o", {"processing": "batch"})
    assert start == date(2026, 10, 14)
    batch = _rows(rows, "openai", "gpt-4o", tier="batch")
    after = {r["token_bucket"]: r["price_per_mtok"] for r in batch if r["valid_from"] == start}
    before = {r["token_bucket"]: r["price_per_mtok"] for r in batch if r["valid_to"] == start}
    # the variant: input 1.25, output 5; it publishes no cached-input rate -> standard 1.25
    assert after == {"input_uncached": D("1.25"), "cache_read": D("1.25"), "cache_write": D("1.25"), "output": D("5")}
    assert all(r["valid_to"] is None for r in batch if r["valid_from"] == start)
    # before it: the vendor's flat 50% batch discount on every bucket
    assert before == {"input_uncached": D("1.25"), "cache_read": D("0.625"), "cache_write": D("1.25"), "output": D("5")}
    assert all(r["valid_from"] == date(2000, 1, 1) for r in batch if r["valid_to"] == start)
    assert price_for(rows, "openai", "gpt-4o", "cache_read", "batch", date(2026, 10, 13), 1000) == D("0.625")
    assert price_for(rows, "openai", "gpt-4o", "cache_read", "batch", date(2026, 10, 14), 1000) == D("1.25")


def test_gpt_4o_priority_only_from_its_start(rows):
    start = _variant_start("openai", "gpt-4o", {"service_tier": "priority"})
    prio = _rows(rows, "openai", "gpt-4o", tier="priority")
    assert prio and {r["valid_from"] for r in prio} == {start}
    assert {r["token_bucket"]: r["price_per_mtok"] for r in prio} == {
        "input_uncached": D("4.25"),
        "cache_read": D("2.125"),
        "cache_write": D("4.25"),
        "output": D("17"),
    }
    assert price_for(rows, "openai", "gpt-4o", "input_uncached", "priority", start, 10) == D("4.25")
    assert price_for(rows, "openai", "gpt-4o", "input_uncached", "priority", date(2026, 10, 11), 10) is None


def test_claude_sonnet_4_cache_prices_and_batch_fallback(rows):
    std = {
        r["token_bucket"]: r["price_per_mtok"] for r in _rows(rows, "anthropic", "claude-sonnet-4-0", tier="standard")
    }
    assert std == {"input_uncached": D("3"), "cache_read": D("0.3"), "cache_write": D("3.75"), "output": D("15")}
    # no batch variant in the catalog for this model: 50% of standard, all the time
    batch = _rows(rows, "anthropic", "claude-sonnet-4-0", tier="batch")
    assert {r["token_bucket"]: r["price_per_mtok"] for r in batch} == {
        "input_uncached": D("1.5"),
        "cache_read": D("0.15"),
        "cache_write": D("1.875"),
        "output": D("7.5"),
    }
    assert all(r["valid_to"] is None for r in batch)
    assert not _rows(rows, "anthropic", "claude-sonnet-4-0", tier="priority")


def test_long_context_tier_rows(rows):
    tier = _model("anthropic", "claude-sonnet-4-5").prices.input_mtok.tiers[0]
    assert (tier.start, tier.price) == (200_000, D("6"))
    inp = _rows(rows, "anthropic", "claude-sonnet-4-5", "input_uncached", "standard")
    # genai-prices applies a tier when input tokens are > start, so its row starts at start + 1
    assert {(r["min_input_tokens"], r["price_per_mtok"]) for r in inp} == {(0, D("3")), (200_001, D("6"))}
    out = _rows(rows, "google", "gemini-2.5-pro", "output", "standard")
    assert {(r["min_input_tokens"], r["price_per_mtok"]) for r in out} == {(0, D("10")), (200_001, D("15"))}
    cr = _rows(rows, "anthropic", "claude-sonnet-4-5", "cache_read", "standard")
    assert {(r["min_input_tokens"], r["price_per_mtok"]) for r in cr} == {(0, D("0.3")), (200_001, D("0.6"))}


def test_price_for_across_long_context_threshold(table):
    day = date(2026, 10, 20)
    for n, want in [(0, "3"), (199_999, "3"), (200_000, "3"), (200_001, "6"), (1_000_000, "6")]:
        assert price_for(table, "anthropic", "claude-sonnet-4-5", "input_uncached", "standard", day, n) == D(want), n
    assert price_for(table, "google", "gemini-2.5-pro", "output", "standard", day, 250_000) == D("15")
    # batch tiers come from the tiered batch variant (from 2026-10-14) or the 50% fallback before
    assert price_for(table, "google", "gemini-2.5-pro", "output", "batch", day, 250_000) == D("7.5")
    assert price_for(table, "google", "gemini-2.5-pro", "cache_read", "batch", day, 250_000) == D("0.25")
    assert price_for(table, "google", "gemini-2.5-pro", "cache_read", "batch", date(2026, 10, 1), 250_000) == D("0.125")


def test_price_for_across_a_price_change(table, rows):
    # o3: 10 / 40 per MTok, cut to 2 / 8 on 2025-06-10 (a ConditionalPrice with a start date)
    change = date(2025, 6, 10)
    assert [cp.constraint.start_date for cp in _model("openai", "o3").prices if cp.constraint] == [change]
    assert price_for(table, "openai", "o3", "input_uncached", "standard", date(2025, 6, 9), 100) == D("10")
    assert price_for(table, "openai", "o3", "input_uncached", "standard", change, 100) == D("2")
    assert price_for(table, "openai", "o3", "output", "standard", datetime(2025, 6, 9, 23, 59, tzinfo=UTC), 1) == D(
        "40"
    )
    # a datetime is taken at its UTC date
    assert price_for(
        table, "openai", "o3", "output", "standard", datetime.fromisoformat("2025-06-09T20:00:00-05:00"), 1
    ) == D("8")
    assert price_for(rows, "openai", "o3", "output", "standard", change, 1) == D("8")  # plain rows work too
    old = _rows(rows, "openai", "o3", "input_uncached", "standard")
    assert {(r["valid_from"], r["valid_to"], r["price_per_mtok"]) for r in old} == {
        (date(2000, 1, 1), change, D("10")),
        (change, None, D("2")),
    }


def test_price_for_unknowns(table):
    assert price_for(table, "openai", "no-such-model", "output", "standard", date(2026, 1, 1), 0) is None
    assert price_for(table, "deepseek", "deepseek-chat", "output", "batch", date(2026, 1, 1), 0) is None
    assert price_for(c.PriceIndex(table), "openai", "gpt-4o", "output", "standard", date(2026, 1, 1)) == D("10")


def test_deepseek_time_of_day_keeps_the_price_of_most_hours(rows):
    # deepseek-chat: the 00:30-16:30 UTC window (16 h) is the normal rate, the rest the off-peak discount
    got = {r["token_bucket"]: r["price_per_mtok"] for r in _rows(rows, "deepseek", "deepseek-chat")}
    assert got == {"input_uncached": D("0.27"), "cache_read": D("0.07"), "cache_write": D("0.27"), "output": D("1.1")}
    # deepseek-v4-pro: flat rate before 2026-08-17, then off-peak (17 h a day) - peak windows dropped
    inp = _rows(rows, "deepseek", "deepseek-v4-pro", "input_uncached", "standard")
    assert {(r["valid_from"], r["valid_to"], r["price_per_mtok"]) for r in inp} == {
        (date(2000, 1, 1), date(2026, 8, 17), D("0.435")),
        (date(2026, 8, 17), None, D("0.66")),
    }
    assert not [r for r in rows if r["provider"] == "deepseek" and r["service_tier"] != "standard"]


def test_fallback_models_of_other_vendors(rows):
    # Azure serves OpenAI models: priced at OpenAI's standard rate, batch at 50%, no priority variant
    std = {r["token_bucket"]: r["price_per_mtok"] for r in _rows(rows, "azure_openai", "gpt-4o", tier="standard")}
    assert std["input_uncached"] == D("2.5") and std["output"] == D("10")
    batch = _rows(rows, "azure_openai", "gpt-4o", "input_uncached", "batch")
    assert [(r["valid_from"], r["valid_to"], r["price_per_mtok"]) for r in batch] == [
        (date(2000, 1, 1), None, D("1.25"))
    ]
    assert not _rows(rows, "azure_openai", "gpt-4o", tier="priority")


def test_decimals_exact(rows):
    assert all(r["price_per_mtok"] == r["price_per_mtok"].quantize(D("0.000001")) for r in rows)
    r = _rows(rows, "google", "gemini-2.5-pro", "cache_read", "standard")[0]
    assert str(r["price_per_mtok"]) == "0.125000" and r["price_per_mtok"] == D("0.125")


def test_matches_genai_prices_calc(rows):
    """Every own-model standard / variant price agrees with genai-prices' own calculation, at every
    period start and on both sides of every long-context threshold (time-of-day models excluded)."""
    snap = data_snapshot.get_snapshot()
    index = c.PriceIndex(rows)
    checked = 0
    for ours, gp_id in c.PROVIDERS.items():
        provider = next(p for p in snap.providers if p.id == gp_id)
        for model in provider.models:
            if isinstance(model.prices, list) and any(
                isinstance(cp.constraint, gp.TimeOfDateConstraint) for cp in model.prices
            ):
                continue
            days = {r["valid_from"] for r in rows if r["provider"] == ours and r["model"] == model.id}
            sizes = {1_000} | {
                r["min_input_tokens"] + d
                for r in rows
                if r["provider"] == ours and r["model"] == model.id and r["min_input_tokens"]
                for d in (-1, 0)
            }
            for day in days:
                ts = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
                for tier, ctx in (
                    ("standard", None),
                    ("batch", {"processing": "batch"}),
                    ("priority", {"service_tier": "priority"}),
                ):
                    if ctx and not any(
                        v.when == ctx and (v.constraint is None or v.constraint.active(ts))
                        for v in model.price_variants or ()
                    ):
                        continue  # our batch fallback / no priority: genai-prices has no opinion
                    for n in sizes:
                        usages = {
                            "input_uncached": Usage(input_tokens=n),
                            "cache_read": Usage(input_tokens=n, cache_read_tokens=n),
                            "cache_write": Usage(input_tokens=n, cache_write_tokens=n),
                            "output": Usage(input_tokens=n, output_tokens=1_000_000),
                        }
                        for bucket, usage in usages.items():
                            ours_price = index.price(ours, model.id, bucket, tier, day, n)
                            if ours_price is None:
                                assert model.id in {m for _, m in c.catalog_stats().models_without_token_prices}
                                continue
                            calc = model.calc_price(usage, provider, genai_request_timestamp=ts, price_context=ctx)
                            if bucket == "output":
                                assert calc.output_price == ours_price, (ours, model.id, bucket, tier, day, n)
                            else:
                                assert calc.input_price == ours_price * n / 1_000_000, (
                                    ours,
                                    model.id,
                                    bucket,
                                    tier,
                                    day,
                                    n,
                                )
                            checked += 1
    assert checked > 2000


# -- model resolution --------------------------------------------------------------------------

RESOLVE_CASES = [
    ("openai", "gpt-4o-2024-08-06", "gpt-4o"),
    ("openai", "gpt-4o-2024-11-20", "gpt-4o"),
    ("openai", "gpt-4o-2024-05-13", "gpt-4o-2024-05-13"),  # priced separately in the catalog
    ("openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
    ("openai", "o3-2025-04-16", "o3"),
    ("openai", "gpt-4.1-2025-04-14", "gpt-4.1"),
    ("openai", "GPT-4o", "gpt-4o"),
    ("anthropic", "claude-sonnet-4-20250514", "claude-sonnet-4-0"),
    ("anthropic", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
    ("anthropic", "claude-haiku-4-5-20251001", "claude-haiku-4-5"),
    ("anthropic", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("anthropic", "claude-3-7-sonnet-20250219", "claude-3-7-sonnet-latest"),
    ("google", "gemini-2.5-pro", "gemini-2.5-pro"),
    ("google", "gemini-2.0-flash-001", "gemini-2.0-flash"),
    ("google", "models/gemini-2.5-flash", "gemini-2.5-flash"),
    ("aws_bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0", "regional.anthropic.claude-3-5-sonnet-20240620-v1:0"),
    (
        "aws_bedrock",
        "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "regional.anthropic.claude-3-5-sonnet-20240620-v1:0",
    ),
    (
        "aws_bedrock",
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ),
    ("aws_bedrock", "us.amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0"),
    ("azure_openai", "gpt-4o-2024-08-06", "gpt-4o"),
    ("azure_openai", "gpt-35-turbo", "gpt-3.5-turbo"),
    ("azure_openai", "gpt-35-turbo-0125", "gpt-3.5-turbo"),
    ("azure_openai", "o3-mini-2025-01-31", "o3-mini"),
    ("azure_openai", "azure/gpt-4o", "gpt-4o"),
    ("mistral", "mistral-large-latest", "mistral-large"),
    ("deepseek", "deepseek-chat", "deepseek-chat"),
]


@pytest.mark.parametrize(("provider", "name", "want"), RESOLVE_CASES)
def test_resolve_model(provider, name, want, rows):
    assert resolve_model(provider, name) == want
    assert _rows(rows, provider, want), "a resolved model is priced under the same provider"


@pytest.mark.parametrize(
    ("provider", "name"),
    [
        ("openai", "totally-unknown-model"),
        ("openai", "gpt-4o-fake"),
        ("azure_openai", "my-gpt4o-deployment"),
        ("no_such_provider", "gpt-4o"),
        ("openai", ""),
        ("openai", None),
        (None, "gpt-4o"),
        ("aws_bedrock", "claude-3-6-sonnet"),
        ("anthropic", "Claude3.5Sonnet"),  # billing names are looked up under aws_bedrock only
    ],
)
def test_resolve_model_unknown_is_none(provider, name):
    assert resolve_model(provider, name) is None


def test_resolve_models_table():
    t = resolve_models(
        [
            ("openai", "gpt-4o-2024-08-06"),
            ("openai", "nope"),
            ("openai", "gpt-4o-2024-08-06"),
            ("anthropic", "claude-sonnet-4-20250514"),
            ("openai", None),
        ]
    )
    assert t.schema == c.RESOLVED_SCHEMA
    assert t.to_pylist() == [
        {"provider": "openai", "model_name": "gpt-4o-2024-08-06", "catalog_model": "gpt-4o"},
        {"provider": "openai", "model_name": "nope", "catalog_model": None},
        {"provider": "anthropic", "model_name": "claude-sonnet-4-20250514", "catalog_model": "claude-sonnet-4-0"},
    ]
    assert resolve_models([]).num_rows == 0


# -- Bedrock billing names ---------------------------------------------------------------------


@pytest.mark.parametrize(("billing_name", "model_id"), sorted(c.BEDROCK_BILLING_NAMES.items()))
def test_bedrock_billing_name_resolves_like_the_logged_id(billing_name, model_id, rows):
    got = resolve_model("aws_bedrock", billing_name)
    assert got is not None and got == resolve_model("aws_bedrock", model_id)
    assert _rows(rows, "aws_bedrock", got), "priced under aws_bedrock"


@pytest.mark.parametrize(
    ("billing_name", "logged"),
    [
        ("Claude3.5Sonnet", "anthropic.claude-3-5-sonnet-20240620-v1:0"),  # usage type USE1-Claude3.5Sonnet-...
        ("Claude 3.5 Sonnet", "us.anthropic.claude-3-5-sonnet-20240620-v1:0"),
        ("claude-3-5-sonnet", "anthropic.claude-3-5-sonnet-20240620-v1:0"),  # hyphens normalise like dots
        ("Claude 3.5 Sonnet v2", "anthropic.claude-3-5-sonnet-20241022-v2:0"),
        ("Claude Sonnet 4.5", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),  # Marketplace service name
        ("Claude4.5Sonnet", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("Claude 4.5 Sonnet", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("Claude Sonnet 4.5 (Amazon Bedrock Edition)", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("CLAUDE_SONNET_4_5", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("Claude4Sonnet", "anthropic.claude-sonnet-4-20250514-v1:0"),
        ("Claude Sonnet 4", "anthropic.claude-sonnet-4-20250514-v1:0"),
        ("Claude Haiku 4.5", "us.anthropic.claude-haiku-4-5-20251001-v1:0"),
        ("Claude Opus 4.1", "anthropic.claude-opus-4-1-20250805-v1:0"),
        ("Claude 4.6 Opus", "anthropic.claude-opus-4-6-v1"),
        ("anthropic.claude-haiku-4-5", "anthropic.claude-haiku-4-5-20251001-v1:0"),  # mantle usage type
        ("NovaPro", "amazon.nova-pro-v1:0"),
        ("Nova Pro", "us.amazon.nova-pro-v1:0"),
        ("Amazon Nova Micro", "amazon.nova-micro-v1:0"),
        ("Nova 2 Lite", "us.amazon.nova-2-lite-v1:0"),
        ("Nova2.0Lite", "eu.amazon.nova-2-lite-v1:0"),
        ("Llama3.1-70B-Instruct", "meta.llama3-1-70b-instruct-v1:0"),
        ("Llama 3.1 70B", "us.meta.llama3-1-70b-instruct-v1:0"),
        ("Meta Llama 3.3 70B Instruct", "meta.llama3-3-70b-instruct-v1:0"),
        ("Mixtral 8x7B Instruct", "mistral.mixtral-8x7b-instruct-v0:1"),
        ("Mistral Large 3", "mistral.mistral-large-3-675b-instruct"),
        ("Gemma 3 12B", "google.gemma-3-12b-it"),
        ("openai.gpt-oss-120b", "openai.gpt-oss-120b-1:0"),  # mantle usage type
        ("GPT OSS 20B", "openai.gpt-oss-20b-1:0"),
        ("Qwen3 32B", "qwen.qwen3-32b-v1:0"),
        ("DeepSeek R1", "us.deepseek.r1-v1:0"),
    ],
)
def test_bedrock_billing_name_spellings(billing_name, logged):
    got = resolve_model("aws_bedrock", billing_name)
    assert got is not None and got == resolve_model("aws_bedrock", logged)


@pytest.mark.parametrize(
    "billing_name",
    [
        "ModelUnit-A1B2",
        "Claude4Haiku",  # no such model: never the nearest one
        "Claude 3.6 Sonnet",
        "Claude2.1",  # sold, but the catalog has no price
        "ClaudeInstant",
        "MistralLarge",  # Mistral Large 24.02 and 24.07 are both sold under it, at different prices
        "Llama3-1-70B-LatencyOptimized",  # a dearer variant, not the base model
        "Llama3-1-405B",
        "Nova2.0Pro",
        "NovaReel",
        "Jamba1-5Large",
        "CohereCommandR",
        "R1",
        "Guardrail",
        "global",
        "unknown",
        "   ",
    ],
)
def test_unknown_bedrock_billing_name_is_none(billing_name):
    assert c.bedrock_model_id(billing_name) is None
    assert resolve_model("aws_bedrock", billing_name) is None


def test_ambiguous_claude_3_5_sonnet_is_priced_like_both_versions(rows):
    v1 = resolve_model("aws_bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0")
    v2 = resolve_model("aws_bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0")
    assert resolve_model("aws_bedrock", "Claude3.5Sonnet") == v1 != v2

    def prices(model):
        return sorted(
            (
                r["token_bucket"],
                r["service_tier"],
                r["min_input_tokens"],
                r["price_per_mtok"],
                r["valid_from"],
                r["valid_to"],
            )
            for r in _rows(rows, "aws_bedrock", model)
        )

    assert prices(v1) and prices(v1) == prices(v2)


def test_bedrock_billing_name_with_routing_suffix():
    assert (
        resolve_model("aws_bedrock", "Claude4.5Sonnet-cross-region-global")
        == "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
    )
    assert resolve_model("aws_bedrock", "Nova 2.0 Lite (global)") == "global.amazon.nova-2-lite-v1:0"
    assert resolve_model("aws_bedrock", "Claude Sonnet 4.5 cross-region-geo") == resolve_model(
        "aws_bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    )


def test_bedrock_billing_index_refuses_colliding_names():
    with pytest.raises(ValueError, match="collide"):
        c._billing_index({"Claude3.5Sonnet": "a", "Claude 3.5 Sonnet": "b"})
    assert c._billing_index({"Claude3.5Sonnet": "a", "Claude 3.5 Sonnet": "a"}) == {"claudesonnet/35": "a"}


# -- raw.model_aliases -------------------------------------------------------------------------


def test_sync_model_aliases_resolves_new_and_old_unknown_names(tmp_path):
    from ingest.warehouse import connect, ensure_raw_schema

    path = tmp_path / "warehouse.duckdb"
    con = connect(path)
    ensure_raw_schema(con)
    con.execute("""insert into raw.calls (call_id, started_at, provider, model_requested, model_served) values
        ('c1', '2025-08-01 10:00:00', 'aws_bedrock', 'us.anthropic.claude-3-5-sonnet-20240620-v1:0', null),
        ('c2', '2025-08-02 10:00:00', 'OpenAI', 'gpt-4o-2024-08-06', 'gpt-4o-2024-08-06')""")
    con.execute("""insert into raw.bill_lines ("ChargePeriodStart", "ProviderName", "x_Model") values
        ('2025-08-01 00:00:00', 'aws_bedrock', 'Claude3.5Sonnet'),
        ('2025-08-03 00:00:00', 'aws_bedrock', 'ModelUnit-A1B2'),
        ('2025-08-04 00:00:00', 'aws_bedrock', 'unknown')""")
    # an older run recorded the billing name (and a truly unknown one) as unresolved
    con.execute("create table raw.model_aliases (provider varchar, model_name varchar, catalog_model varchar)")
    con.execute("""insert into raw.model_aliases values
        ('aws_bedrock', 'Claude3.5Sonnet', null), ('aws_bedrock', 'ModelUnit-A1B2', null),
        ('openai', 'gpt-4o-2024-08-06', 'gpt-4o')""")
    con.close()

    con = connect(path)
    try:
        sync = c.sync_model_aliases(con)
        sonnet = "regional.anthropic.claude-3-5-sonnet-20240620-v1:0"
        assert (sync.new_names, sync.resolved_again, sync.unknown) == (1, 1, ["aws_bedrock/ModelUnit-A1B2"])
        assert con.execute("select * from raw.model_aliases order by 1, 2").fetchall() == [
            ("aws_bedrock", "Claude3.5Sonnet", sonnet),
            ("aws_bedrock", "ModelUnit-A1B2", None),
            ("aws_bedrock", "us.anthropic.claude-3-5-sonnet-20240620-v1:0", sonnet),
            ("openai", "gpt-4o-2024-08-06", "gpt-4o"),
        ]
        # the day of the re-resolved name's bill line is marked for rebuild (c1's name was new, not re-resolved)
        assert sync.days_changed == 1
        assert con.execute("select day::varchar, kind, built_at from raw.changed_days").fetchall() == [
            ("2025-08-01", "config", None)
        ]

        again = c.sync_model_aliases(con)  # a second run changes nothing
        assert (again.new_names, again.resolved_again, again.days_changed) == (0, 0, 0)
        assert con.execute("select count(*) from raw.model_aliases").fetchone()[0] == 4
        assert con.execute("select count(*) from raw.changed_days").fetchone()[0] == 1
    finally:
        con.close()
