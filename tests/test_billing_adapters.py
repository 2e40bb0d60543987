"""Billing adapters for real vendor formats: OpenAI Costs/Usage API, Anthropic cost/usage report, and FOCUS
exports of AWS (Bedrock) and Azure (OpenAI). Loaded through ingest.loaders.load_landing into a tmp DuckDB."""

from __future__ import annotations

import gzip
import json
import logging
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.adapters import anthropic_billing, focus_skus, openai_billing
from ingest.adapters.focus_skus import Sku, parse_azure_meter, parse_bedrock_usage_type
from ingest.adapters.openai_billing import LineItem, parse_line_item
from ingest.loaders import load_landing
from ingest.schemas import BILL_FIELDS
from ingest.warehouse import connect

FIXTURES = Path(__file__).parent / "fixtures" / "billing"
D1, D2, D3 = 1754006400, 1754092800, 1754179200  # 2025-08-01, -02, -03 00:00:00 UTC


@pytest.fixture
def landing(tmp_path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    yield con
    con.close()


def _fixture(landing: Path, fmt: str, name: str) -> Path:
    dest = landing / "billing" / fmt / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / fmt / name, dest)
    return dest


def _write(landing: Path, fmt: str, name: str, text: str) -> Path:
    path = landing / "billing" / fmt / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _lines(con, columns: str, order: str = "_line, x_TokenBucket") -> list[tuple]:
    return con.execute(f"select {columns} from raw.bill_lines order by {order}").fetchall()


def _quarantine(con) -> list[tuple]:
    return con.execute("select line, field, reason from raw.quarantine order by file_path, line").fetchall()


COST_COLUMNS = (
    '_line, "ChargePeriodStart"::varchar, "ChargePeriodEnd"::varchar, "BillingAccountId", '
    '"SubAccountId", "BilledCost"::varchar, "BillingCurrency", "x_Model", "x_TokenBucket", "x_ServiceTier"'
)


# ---------------------------------------------------------------------------------------------
# OpenAI Costs API


def test_openai_costs_page_maps_line_items_exact_amounts_and_utc_days(landing, con):
    _fixture(landing, "openai_costs", "costs-2025-08-01.json")
    (result,) = load_landing(con, landing).files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (8, 8, 0)
    d1, d2, d3 = "2025-08-01 00:00:00", "2025-08-02 00:00:00", "2025-08-03 00:00:00"
    assert _lines(con, COST_COLUMNS) == [
        (1, d1, d2, "org-123", "proj_abc", "0.060000000000", "USD", "gpt-4o-2024-08-06", "input_uncached", "standard"),
        (2, d1, d2, "org-123", "proj_abc", "0.100000000000", "USD", "gpt-4o-2024-08-06", "cache_read", "standard"),
        (3, d1, d2, "org-123", "proj_abc", "0.200000000000", "USD", "gpt-4o-2024-08-06", "output", "standard"),
        (4, d1, d2, "org-123", "proj_abc", "1.234567890123", "USD", "gpt-5.6-sol", "output", "priority"),
        (
            5,
            d1,
            d2,
            "org-123",
            "proj_xyz",
            "0.500000000000",
            "USD",
            "gpt-4o-mini-2024-07-18",
            "input_uncached",
            "batch",
        ),
        (6, d1, d2, "org-123", "proj_abc", "0.025000000000", "USD", "unknown", "unknown", "standard"),
        (7, d2, d3, "org-123", "unknown", "0.000000100000", "USD", "gpt-audio-mini-2025-12-15", "unknown", "standard"),
        (8, d2, d3, "org-123", "proj_abc", "2.000000000000", "USD", "gpt-4o-2024-08-06", "input_uncached", "standard"),
    ]
    # line_item is the SKU and the description; quantity (newer API versions) becomes ConsumedQuantity
    assert _lines(
        con,
        '"SkuId", "ChargeDescription", "ChargeCategory", "ProviderName", "ConsumedQuantity"::varchar, "ConsumedUnit"',
        "_line",
    )[5:] == [
        ("web search tool calls", "web search tool calls", "Usage", "openai", "3.000000", ""),
        (
            "gpt-audio-mini-2025-12-15 audio, input",
            "gpt-audio-mini-2025-12-15 audio, input",
            "Usage",
            "openai",
            None,
            "",
        ),
        ("gpt-4o-2024-08-06, input", "gpt-4o-2024-08-06, input", "Usage", "openai", "800000.000000", "Tokens"),
    ]
    # 0.1 + 0.2 parsed as decimals, never floats: the sum is exactly 0.3
    assert con.execute('select sum("BilledCost")::varchar from raw.bill_lines where _line in (2, 3)').fetchone() == (
        "0.300000000000",
    )


def _cost_page(*results: dict, start: int = D1, end: int = D2) -> dict:
    return {
        "object": "page",
        "data": [{"object": "bucket", "start_time": start, "end_time": end, "results": list(results)}],
        "has_more": False,
        "next_page": None,
    }


def _cost(value, line_item: str = "gpt-4o, input", **extra) -> dict:
    return {
        "object": "organization.costs.result",
        "amount": {"value": value, "currency": "usd"},
        "line_item": line_item,
        "project_id": "proj_a",
        "organization_id": "org-1",
        **extra,
    }


def test_openai_costs_array_of_pages_and_jsonl_pages_load_alike(landing, con):
    page1 = _cost_page(_cost(1.5))
    page2 = _cost_page(_cost(2.25, "gpt-4o, output"), start=D2, end=D3)
    _write(landing, "openai_costs", "array.json", json.dumps([page1, page2]))
    _write(landing, "openai_costs", "pages.jsonl", json.dumps(page1) + "\n" + json.dumps(page2) + "\n")
    load_landing(con, landing)
    rows = con.execute(
        'select _file_id, _line, "ChargePeriodStart"::date::varchar, "BilledCost"::varchar, '
        '"x_TokenBucket" from raw.bill_lines'
    ).fetchall()
    per_file: dict[str, list[tuple]] = {}
    for file_id, *rest in rows:
        per_file.setdefault(file_id, []).append(tuple(rest))
    assert [sorted(v) for v in per_file.values()] == [
        [(1, "2025-08-01", "1.500000000000", "input_uncached"), (2, "2025-08-02", "2.250000000000", "output")]
    ] * 2


def test_openai_costs_schema_drift_and_garbage_are_quarantined_by_field(landing, con):
    good = _cost(0.1, "gpt-4o, cached input", brand_new_field={"nested": [1, 2]})
    page = _cost_page(
        good,
        _cost("abc"),  # amount type change / garbage
        "not an object",
        {"object": "organization.costs.result", "line_item": "gpt-4o, output"},  # no amount at all
    )
    bad_bucket = {
        "object": "page",
        "data": [
            {"object": "bucket", "start_time": "yesterday", "end_time": D2, "results": [_cost(1)]},
            {"object": "bucket"},
        ],
    }
    _write(landing, "openai_costs", "drift.json", json.dumps([page, bad_bucket, {"error": "rate limited"}]))
    (result,) = load_landing(con, landing).files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 1, 6)
    assert _lines(con, '"BilledCost"::varchar, "x_Model", "x_TokenBucket"') == [
        ("0.100000000000", "gpt-4o", "cache_read")
    ]
    assert _quarantine(con) == [
        (2, "BilledCost", "not a valid decimal(38,12): abc"),
        (3, "_row", "result is not a JSON object"),
        (4, "BilledCost", "missing required field"),
        (5, "ChargePeriodStart", "not a valid timestamp: yesterday"),
        (6, "_row", "time bucket without a 'results' list"),
        (7, "_row", "not a report page (no 'data' list)"),
    ]
    # the quarantined record is the result with its bucket's period, numbers exactly as written
    raw = con.execute("select raw from raw.quarantine where line = 2").fetchone()[0]
    assert raw == (
        '{"start_time":1754006400,"end_time":1754092800,"object":"organization.costs.result",'
        '"amount":{"value":"abc","currency":"usd"},"line_item":"gpt-4o, input","project_id":"proj_a",'
        '"organization_id":"org-1"}'
    )


def test_openai_costs_truncated_file_is_one_quarantined_row(landing, con):
    _write(landing, "openai_costs", "cut.json", '{"object": "page", "data": [{"object": "bucket",\n "start_time": 17')
    (result,) = load_landing(con, landing).files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (1, 0, 1)
    ((line, field, reason),) = _quarantine(con)
    assert (line, field) == (2, "_row") and reason.startswith("invalid JSON (Expecting ")


@pytest.mark.parametrize(
    "line_item, expected",
    [
        ("gpt-4o-2024-08-06, input", LineItem("gpt-4o-2024-08-06", "input_uncached", "standard")),
        ("gpt-4o-2024-08-06, cached input", LineItem("gpt-4o-2024-08-06", "cache_read", "standard")),
        ("gpt-4o-2024-08-06, output", LineItem("gpt-4o-2024-08-06", "output", "standard")),
        ("gpt-5.5-2026-04-23, cache writes", LineItem("gpt-5.5-2026-04-23", "cache_write", "standard")),
        ("priority | gpt-5.6-sol, output, long context", LineItem("gpt-5.6-sol", "output", "priority")),
        ("batch | gpt-4o-mini, input", LineItem("gpt-4o-mini", "input_uncached", "batch")),
        ("gpt-4o-mini, batch input", LineItem("gpt-4o-mini", "input_uncached", "batch")),
        ("gpt-4o-mini, output, batch", LineItem("gpt-4o-mini", "output", "batch")),
        ("gpt-image-2.5-sunburst text, cached input", LineItem("gpt-image-2.5-sunburst", "cache_read", "standard")),
        ("gpt-audio-mini-2025-12-15 audio, input", LineItem("gpt-audio-mini-2025-12-15", "unknown", "standard")),
        ("ft:gpt-4o-2024-08-06:acme::abc, output", LineItem("ft:gpt-4o-2024-08-06:acme::abc", "output", "standard")),
        ("gpt-4o, fine-tuning training", LineItem("gpt-4o", "unknown", "standard")),
        ("web search tool calls", LineItem()),
        ("assistants api | file search", LineItem()),
        ("Vector storage", LineItem()),
        (None, LineItem()),
    ],
)
def test_openai_line_item_parsing(line_item, expected):
    assert parse_line_item(line_item) == expected


# ---------------------------------------------------------------------------------------------
# OpenAI Usage API (quantities only)


USAGE_COLUMNS = (
    '_line, "SubAccountId", "x_Model", "x_TokenBucket", "x_ServiceTier", "ConsumedQuantity"::varchar, '
    '"ConsumedUnit", "BilledCost"::varchar, "SkuId", "ChargeDescription", "ChargeCategory", "ChargeClass"'
)
NO_COST = "usage report (no cost)"


def test_openai_usage_gives_exclusive_bucket_quantities_marked_as_no_cost(landing, con):
    _fixture(landing, "openai_usage", "usage-2025-08-01.json")
    (result,) = load_landing(con, landing).files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 6, 1)
    m1, m2 = "gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06"
    assert _lines(con, USAGE_COLUMNS, '_line, "SkuId"') == [
        (
            1,
            "proj_abc",
            m1,
            "cache_read",
            "standard",
            "4000.000000",
            "Tokens",
            "0.000000000000",
            f"{m1}:cache_read:standard",
            NO_COST,
            "Usage",
            "",
        ),
        (
            1,
            "proj_abc",
            m1,
            "input_uncached",
            "standard",
            "1000.000000",
            "Tokens",
            "0.000000000000",
            f"{m1}:input_uncached:standard",
            NO_COST,
            "Usage",
            "",
        ),
        (
            1,
            "proj_abc",
            m1,
            "output",
            "standard",
            "1000.000000",
            "Tokens",
            "0.000000000000",
            f"{m1}:output:standard",
            NO_COST,
            "Usage",
            "",
        ),
        (
            2,
            "proj_abc",
            m2,
            "cache_read",
            "batch",
            "0.000000",
            "Tokens",
            "0.000000000000",
            f"{m2}:cache_read:batch",
            NO_COST,
            "Usage",
            "",
        ),
        (
            2,
            "proj_abc",
            m2,
            "input_uncached",
            "batch",
            "1200.000000",
            "Tokens",
            "0.000000000000",
            f"{m2}:input_uncached:batch",
            NO_COST,
            "Usage",
            "",
        ),
        (
            2,
            "proj_abc",
            m2,
            "output",
            "batch",
            "80.000000",
            "Tokens",
            "0.000000000000",
            f"{m2}:output:batch",
            NO_COST,
            "Usage",
            "",
        ),
    ]
    assert _quarantine(con) == [(3, "_row", "input_cached_tokens + cache-write tokens (200) exceed input_tokens (100)")]


def test_openai_usage_cache_writes_tiers_and_garbage(landing, con):
    results = [
        {
            "object": "organization.usage.completions.result",
            "input_tokens": 1000,
            "input_cached_tokens": 300,
            "input_cache_write_tokens": 100,
            "input_cache_write_12h_tokens": 50,
            "output_tokens": 10,
            "num_model_requests": 1,
            "project_id": "proj_a",
            "model": "gpt-5",
            "batch": False,
            "service_tier": "priority",
        },
        {
            "object": "organization.usage.completions.result",
            "input_tokens": "lots",
            "input_cached_tokens": 0,
            "output_tokens": 5,
            "num_model_requests": 1,
            "project_id": "proj_a",
            "model": "gpt-5",
            "service_tier": "flex",
        },
    ]
    page = {"object": "page", "data": [{"object": "bucket", "start_time": D1, "end_time": D2, "results": results}]}
    _write(landing, "openai_usage", "u.jsonl", json.dumps(page) + "\n")
    load_landing(con, landing)
    assert _lines(con, '_line, "x_TokenBucket", "x_ServiceTier", "ConsumedQuantity"::varchar') == [
        (1, "cache_read", "priority", "300.000000"),
        (1, "cache_write", "priority", "150.000000"),
        (1, "input_uncached", "priority", "550.000000"),
        (1, "output", "priority", "10.000000"),
        (2, "cache_read", "flex", "0.000000"),
        (2, "output", "flex", "5.000000"),
    ]
    assert _quarantine(con) == [(2, "ConsumedQuantity", "not a valid decimal(38,6): lots")]


# ---------------------------------------------------------------------------------------------
# Anthropic cost report


def test_anthropic_cost_report_amounts_are_cents_converted_exactly(landing, con):
    _fixture(landing, "anthropic_cost", "cost-2025-08-01.json")
    (result,) = load_landing(con, landing).files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 5, 0)
    d1, d2 = "2025-08-01 00:00:00", "2025-08-02 00:00:00"
    sonnet, opus = "claude-sonnet-4-20250514", "claude-opus-4-20250514"
    assert _lines(con, COST_COLUMNS) == [
        (1, d1, d2, "unknown", "wrkspc_01ABC", "1.234500000000", "USD", sonnet, "input_uncached", "standard"),
        (2, d1, d2, "unknown", "wrkspc_01ABC", "0.005000000000", "USD", sonnet, "cache_read", "standard"),
        (3, d1, d2, "unknown", "wrkspc_01ABC", "18.750000000000", "USD", sonnet, "cache_write", "standard"),
        (4, d1, d2, "unknown", "default", "45.000000000000", "USD", opus, "output", "batch"),
        (5, d1, d2, "unknown", "wrkspc_01ABC", "10.000000000000", "USD", "unknown", "unknown", "standard"),
    ]
    assert _lines(con, '"ProviderName", "SkuId", "ChargeCategory", "EffectiveCost"::varchar', "_line")[::4] == [
        ("anthropic", "Claude Sonnet 4 Usage - Input Tokens", "Usage", "1.234500000000"),
        ("anthropic", "Web Search", "Usage", "10.000000000000"),
    ]


def test_anthropic_cost_garbage_and_drift(landing, con):
    results = [
        {
            "currency": "USD",
            "amount": "abc",
            "workspace_id": "w",
            "description": "d",
            "cost_type": "tokens",
            "model": "claude-x",
            "service_tier": "standard",
            "token_type": "output_tokens",
        },
        {
            "currency": "USD",
            "amount": 12.5,
            "workspace_id": "w",
            "description": "Session",
            "cost_type": "session_usage",
            "model": None,
            "service_tier": None,
            "token_type": None,
            "speed": "fast",
            "list_amount": "20",
        },
        {
            "currency": "USD",
            "amount": "0.000000000001",
            "description": "not grouped by workspace",
            "cost_type": "tokens",
            "model": "claude-x",
            "service_tier": "standard",
            "token_type": "cache_creation.ephemeral_5m_input_tokens",
        },
    ]
    page = {
        "data": [
            {"starting_at": "2025-08-01T00:00:00Z", "ending_at": "2025-08-02T00:00:00Z", "results": results},
            {"starting_at": "yesterday", "ending_at": "2025-08-02T00:00:00Z", "results": [results[1]]},
        ],
        "has_more": False,
        "next_page": None,
    }
    _write(landing, "anthropic_cost", "c.json", json.dumps(page))
    load_landing(con, landing)
    columns = '_line, "SubAccountId", "BilledCost"::varchar, "ListCost"::varchar, "x_Model", "x_TokenBucket"'
    assert _lines(con, columns) == [
        (2, "w", "0.125000000000", "0.200000000000", "unknown", "unknown"),
        (3, "unknown", "0.000000000000", None, "claude-x", "cache_write"),
    ]
    assert _quarantine(con) == [
        (1, "BilledCost", "not a valid decimal(38,12): abc"),
        (4, "ChargePeriodStart", "not a valid timestamp: yesterday"),
    ]


# ---------------------------------------------------------------------------------------------
# Anthropic usage report (quantities only)


def test_anthropic_usage_report_quantities(landing, con):
    _fixture(landing, "anthropic_usage", "usage-2025-08-01.json")
    (result,) = load_landing(con, landing).files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (9, 9, 0)
    sonnet, haiku = "claude-sonnet-4-20250514", "claude-3-5-haiku-20241022"
    ws = "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"
    assert _lines(con, USAGE_COLUMNS, '_line, "SkuId"') == [
        (
            1,
            ws,
            sonnet,
            "cache_read",
            "standard",
            "200.000000",
            "Tokens",
            "0.000000000000",
            f"{sonnet}:cache_read:standard",
            NO_COST,
            "Usage",
            "",
        ),
        (
            1,
            ws,
            sonnet,
            "cache_write",
            "standard",
            "1500.000000",
            "Tokens",
            "0.000000000000",
            f"{sonnet}:cache_write:standard",
            NO_COST,
            "Usage",
            "",
        ),
        (
            1,
            ws,
            sonnet,
            "input_uncached",
            "standard",
            "1500.000000",
            "Tokens",
            "0.000000000000",
            f"{sonnet}:input_uncached:standard",
            NO_COST,
            "Usage",
            "",
        ),
        (
            1,
            ws,
            sonnet,
            "output",
            "standard",
            "500.000000",
            "Tokens",
            "0.000000000000",
            f"{sonnet}:output:standard",
            NO_COST,
            "Usage",
            "",
        ),
        (
            1,
            ws,
            sonnet,
            "unknown",
            "standard",
            "10.000000",
            "Requests",
            "0.000000000000",
            f"{sonnet}:web_search_requests:standard",
            NO_COST,
            "Usage",
            "",
        ),
        (
            2,
            "default",
            haiku,
            "cache_read",
            "priority",
            "0.000000",
            "Tokens",
            "0.000000000000",
            f"{haiku}:cache_read:priority",
            NO_COST,
            "Usage",
            "",
        ),
        (
            2,
            "default",
            haiku,
            "cache_write",
            "priority",
            "0.000000",
            "Tokens",
            "0.000000000000",
            f"{haiku}:cache_write:priority",
            NO_COST,
            "Usage",
            "",
        ),
        (
            2,
            "default",
            haiku,
            "input_uncached",
            "priority",
            "70.000000",
            "Tokens",
            "0.000000000000",
            f"{haiku}:input_uncached:priority",
            NO_COST,
            "Usage",
            "",
        ),
        (
            2,
            "default",
            haiku,
            "output",
            "priority",
            "7.000000",
            "Tokens",
            "0.000000000000",
            f"{haiku}:output:priority",
            NO_COST,
            "Usage",
            "",
        ),
    ]


def test_usage_reports_missing_counts_and_garbage(landing, con):
    anthropic = {
        "data": [
            {
                "starting_at": "2025-08-01T00:00:00Z",
                "ending_at": "2025-08-02T00:00:00Z",
                "results": [
                    {
                        "uncached_input_tokens": 5,
                        "output_tokens": "many",
                        "model": "claude-x",
                        "workspace_id": "w",
                        "service_tier": "flex",
                        "unexpected": True,
                    },
                    {
                        "cache_read_input_tokens": 5,
                        "model": "claude-x",
                        "workspace_id": "w",
                        "service_tier": "standard",
                    },
                ],
            }
        ],
        "has_more": False,
        "next_page": None,
    }
    openai = {
        "object": "page",
        "data": [
            {
                "object": "bucket",
                "start_time": D1,
                "end_time": D2,
                "results": [{"object": "organization.usage.completions.result", "input_tokens": 5, "model": "gpt-5"}],
            }
        ],
    }
    _write(landing, "anthropic_usage", "a.json", json.dumps(anthropic))
    _write(landing, "openai_usage", "o.json", json.dumps(openai))
    load_landing(con, landing)
    assert _lines(con, '_line, "x_TokenBucket", "x_ServiceTier", "ConsumedQuantity"::varchar') == [
        (1, "cache_read", "flex", "0.000000"),
        (1, "cache_write", "flex", "0.000000"),
        (1, "input_uncached", "flex", "5.000000"),
    ]
    assert con.execute(
        "select split_part(file_path, '/', -2), line, field, reason from raw.quarantine order by all"
    ).fetchall() == [
        ("anthropic_usage", 1, "ConsumedQuantity", "not a valid decimal(38,6): many"),
        ("anthropic_usage", 2, "_row", "usage result without uncached_input_tokens and output_tokens"),
        ("openai_usage", 1, "_row", "usage result without output_tokens"),
    ]


# ---------------------------------------------------------------------------------------------
# FOCUS exports: AWS (Bedrock) and Azure (OpenAI)

FOCUS_COLUMNS = (
    '_line, "ChargePeriodStart"::varchar, "SubAccountId", "ChargeCategory", "ChargeClass", "SkuId", '
    '"ConsumedQuantity"::varchar, "ConsumedUnit", "BilledCost"::varchar, "x_Model", "x_TokenBucket", '
    '"x_ServiceTier"'
)


def test_focus_aws_keeps_only_bedrock_lines_and_reads_usage_types(landing, con, caplog):
    path = _fixture(landing, "focus_aws", "focus-2025-08.csv")
    with caplog.at_level(logging.INFO, logger="ingest.adapters.focus_skus"):
        (result,) = load_landing(con, landing).files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (9, 8, 1)
    assert caplog.messages == [
        (
            f"{path}: 9 aws_bedrock line(s) staged, 2 line(s) of other services skipped "
            "(Amazon Elastic Compute Cloud: 1, Amazon Simple Storage Service: 1)"
        )
    ]
    d1 = "2025-08-01 00:00:00"
    prod = "444455556666"
    assert _lines(con, FOCUS_COLUMNS, "_line") == [
        (
            2,
            d1,
            prod,
            "Usage",
            "",
            "SKU1234ABCD",
            "150000.000000",
            "Tokens",
            "0.450000000000",
            "Claude3.5Sonnet",
            "input_uncached",
            "standard",
        ),
        (
            3,
            d1,
            prod,
            "Usage",
            "",
            "SKU5678EFGH",
            "100000.000000",
            "Tokens",
            "1.500000000000",
            "Claude3.5Sonnet",
            "output",
            "standard",
        ),
        (
            4,
            d1,
            prod,
            "Usage",
            "",
            "SKU9999",
            "100000.000000",
            "Tokens",
            "0.030000000000",
            "Claude3.5Sonnet",
            "cache_read",
            "standard",
        ),
        (
            5,
            d1,
            prod,
            "Usage",
            "",
            "USE1-MP:USE1_InputTokenCount_Batch-Units",
            "4.000000",
            "Units",
            "12.345678901200",
            "Claude Sonnet 4.5",
            "input_uncached",
            "batch",
        ),
        (
            6,
            d1,
            "777788889999",
            "Usage",
            "",
            "SKUNOVA",
            "25000.000000",
            "Tokens",
            "0.080000000000",
            "NovaPro",
            "output",
            "priority",
        ),
        (9, d1, prod, "Credit", "", "unknown", None, "", "-5.000000000000", "unknown", "unknown", "standard"),
        (
            10,
            "2025-07-30 00:00:00",
            prod,
            "Usage",
            "Correction",
            "SKU1234ABCD",
            "-10000.000000",
            "Tokens",
            "-0.100000000000",
            "Claude3.5Sonnet",
            "input_uncached",
            "standard",
        ),
        (11, d1, prod, "Tax", "", "unknown", None, "", "0.010000000000", "unknown", "unknown", "standard"),
    ]
    assert con.execute('select distinct "ProviderName", "BillingAccountId" from raw.bill_lines').fetchall() == [
        ("aws_bedrock", "111122223333")
    ]
    assert _quarantine(con) == [(12, "BilledCost", "not a valid decimal(38,12): abc")]
    raw = json.loads(con.execute("select raw from raw.quarantine").fetchone()[0])
    assert (raw["x_UsageType"], raw["ServiceName"], raw["Tags"]) == ("USE1-NovaPro-input-tokens", "Amazon Bedrock", "")


def test_focus_azure_keeps_only_openai_lines_and_reads_meter_names(landing, con, caplog):
    path = _fixture(landing, "focus_azure", "focus-2025-08.csv")
    with caplog.at_level(logging.INFO, logger="ingest.adapters.focus_skus"):
        (result,) = load_landing(con, landing).files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 5, 1)
    assert caplog.messages == [
        (
            f"{path}: 6 azure_openai line(s) staged, 2 line(s) of other services skipped "
            "(Azure AI Services / Speech: 1, Virtual Machines / Dsv5 Series: 1)"
        )
    ]
    d1, prod, dev = "2025-08-01 00:00:00", "/subscriptions/aaaa-bbbb", "/subscriptions/cccc-dddd"
    assert _lines(con, FOCUS_COLUMNS, "_line") == [
        (
            2,
            d1,
            prod,
            "Usage",
            "",
            "DZH318Z0BQPS/003B",
            "100000.000000",
            "Tokens",
            "0.250000000000",
            "gpt-4o-2024-08-06",
            "input_uncached",
            "standard",
        ),
        (
            3,
            d1,
            prod,
            "Usage",
            "",
            "DZH318Z0BQPS/003C",
            "100000.000000",
            "Tokens",
            "1.000000000000",
            "gpt-4o-2024-08-06",
            "output",
            "standard",
        ),
        (
            4,
            d1,
            prod,
            "Usage",
            "",
            "GPT 5 Mini cchd Inpt Glbl 1M Tokens",
            "50000.000000",
            "Tokens",
            "0.062500000000",
            "gpt-5-mini",
            "cache_read",
            "standard",
        ),
        (
            5,
            d1,
            dev,
            "Usage",
            "",
            "GPT 5 Batch Inpt Glbl 1M Tokens",
            "200000.000000",
            "Tokens",
            "0.125000000000",
            "gpt-5",
            "input_uncached",
            "batch",
        ),
        (
            8,
            d1,
            prod,
            "Adjustment",
            "Correction",
            "unknown",
            None,
            "",
            "-2.000000000000",
            "unknown",
            "unknown",
            "standard",
        ),
    ]
    assert con.execute('select distinct "ProviderName" from raw.bill_lines').fetchall() == [("azure_openai",)]
    assert _quarantine(con) == [(9, "ChargePeriodStart", "not a valid timestamp: yesterday")]


def test_focus_aws_typed_parquet_as_aws_exports_it(landing, con, caplog):
    t0, t1 = datetime(2025, 8, 1, tzinfo=UTC), datetime(2025, 8, 2, tzinfo=UTC)
    table = pa.table(
        {
            "BilledCost": pa.array([0.45, 96.0, 1e-7], pa.float64()),
            "ChargePeriodStart": pa.array([t0, t0, t0], pa.timestamp("ms", tz="UTC")),
            "ChargePeriodEnd": pa.array([t1, t1, t1], pa.timestamp("ms", tz="UTC")),
            "ChargeCategory": ["Usage", "Usage", "Usage"],
            "ServiceName": ["Amazon Bedrock", "Amazon Elastic Compute Cloud", "Amazon Bedrock"],
            "SubAccountId": ["444455556666"] * 3,
            "Tags": pa.array([[("team", "search")], [], None], pa.map_(pa.string(), pa.string())),
            "x_UsageType": ["USE1-NovaPro-input-tokens-batch", "USE1-BoxUsage:t3.large", "USE1-NovaPro-output-tokens"],
        }
    )
    path = landing / "billing" / "focus_aws" / "export.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(table, path)
    with caplog.at_level(logging.INFO, logger="ingest.adapters.focus_skus"):
        (result,) = load_landing(con, landing).files
    assert (result.rows_read, result.rows_loaded) == (2, 2)
    assert caplog.messages[-1].endswith(
        "2 aws_bedrock line(s) staged, 1 line(s) of other services skipped (Amazon Elastic Compute Cloud: 1)"
    )
    assert _lines(
        con, '_line, "ChargePeriodStart"::varchar, "BilledCost"::varchar, "x_Model", "x_TokenBucket", "x_ServiceTier"'
    ) == [
        (1, "2025-08-01 00:00:00", "0.450000000000", "NovaPro", "input_uncached", "batch"),
        (3, "2025-08-01 00:00:00", "0.000000100000", "NovaPro", "output", "standard"),
    ]


@pytest.mark.parametrize(
    "usage_type, service, expected",
    [
        ("USE1-Claude3.5Sonnet-input-tokens", "Amazon Bedrock", Sku("Claude3.5Sonnet", "input_uncached")),
        ("USE1-Claude3.5Sonnet-output-tokens", "Amazon Bedrock", Sku("Claude3.5Sonnet", "output")),
        ("USE1-Claude3.5Sonnet-cache-read-input-token-count", "Amazon Bedrock", Sku("Claude3.5Sonnet", "cache_read")),
        (
            "USE1-Claude4Sonnet-cache-write-input-token-count-cross-region-global",
            "Amazon Bedrock",
            Sku("Claude4Sonnet", "cache_write"),
        ),
        (
            "USE1-Llama4-Maverick-17B-input-tokens-batch",
            "Amazon Bedrock",
            Sku("Llama4-Maverick-17B", "input_uncached", "batch"),
        ),
        (
            "USW2-Nova2.0Lite-input-tokens-priority-cross-region-global",
            "Amazon Bedrock",
            Sku("Nova2.0Lite", "input_uncached", "priority"),
        ),
        ("USE1-Nova2.0Lite-input-tokens-flex", "Amazon Bedrock", Sku("Nova2.0Lite", "input_uncached", "flex")),
        (
            "USE1-openai.gpt-oss-120b-mantle-output-tokens-standard",
            "Amazon Bedrock",
            Sku("openai.gpt-oss-120b", "output"),
        ),
        (
            "USE1-MP:USE1_OutputTokenCount-Units",
            "Claude Haiku 4.5 (Amazon Bedrock Edition)",
            Sku("Claude Haiku 4.5", "output"),
        ),
        (
            "USE1-MP:USE1_CacheWrite1hInputTokenCount_Global-Units",
            "Claude Sonnet 4.6 (Amazon Bedrock Edition)",
            Sku("Claude Sonnet 4.6", "cache_write"),
        ),
        (
            "USE1-MP:USE1_CacheReadInputTokenCount-Units",
            "Claude Opus 4.6 (Amazon Bedrock Edition)",
            Sku("Claude Opus 4.6", "cache_read"),
        ),
        (
            "USE1_input_tokens_global_standard-Units",
            "Claude Opus 5 (Amazon Bedrock Edition)",
            Sku("Claude Opus 5", "input_uncached"),
        ),
        ("USE1-Guardrail-ContextualGroundingPolicyUnitsConsumed", "Amazon Bedrock", Sku()),
    ],
)
def test_bedrock_usage_type_parsing(usage_type, service, expected):
    assert parse_bedrock_usage_type(usage_type, service) == expected


@pytest.mark.parametrize(
    "meter, expected",
    [
        ("gpt-4o-0806 Inp regional Tokens", Sku("gpt-4o-2024-08-06", "input_uncached")),
        ("gpt-4o-0806 Outp regional Tokens", Sku("gpt-4o-2024-08-06", "output")),
        ("gpt 4o 1120 cached Inp glbl Tokens", Sku("gpt-4o-2024-11-20", "cache_read")),
        ("gpt-4o-mini-0718-Outp-glbl Tokens", Sku("gpt-4o-mini-2024-07-18", "output")),
        ("GPT 5 Mini cchd Inpt Glbl 1M Tokens", Sku("gpt-5-mini", "cache_read")),
        ("GPT 5.1 cd inp Gl 1M Tokens", Sku("gpt-5.1", "cache_read")),
        ("GPT 5 Batch outpt Glbl", Sku("gpt-5", "output", "batch")),
        ("gpt-4o-rt-txt-1217 Inp DZone", Sku("gpt-4o-realtime-preview-2024-12-17", "input_uncached")),
        ("Provisioned Managed Global Unit", Sku()),
    ],
)
def test_azure_meter_parsing(meter, expected):
    assert parse_azure_meter(meter) == expected


# ---------------------------------------------------------------------------------------------
# writers: canonical bill lines -> vendor format -> loaded back unchanged


def _line(
    provider: str,
    account: str,
    day: str,
    model: str,
    bucket: str,
    tier: str,
    cost: str,
    category: str = "Usage",
    tokens: str = "1000",
) -> dict[str, str]:
    """A canonical bill line as the demo writes it into FOCUS CSV (keys = BILL_FIELDS names)."""
    nxt = f"2025-08-{int(day[-2:]) + 1:02d}"
    values = {
        "ChargePeriodStart": f"{day}T00:00:00Z",
        "ChargePeriodEnd": f"{nxt}T00:00:00Z",
        "ProviderName": provider,
        "BillingAccountId": "org-7Hq2LxA9",
        "SubAccountId": account,
        "ChargeCategory": category,
        "ChargeClass": "",
        "ChargeDescription": f"{model} {bucket}",
        "SkuId": f"{model}:{bucket}:{tier}",
        "ConsumedQuantity": tokens,
        "ConsumedUnit": "Tokens",
        "BilledCost": cost,
        "EffectiveCost": cost,
        "ListCost": cost,
        "BillingCurrency": "USD",
        "x_Model": model,
        "x_TokenBucket": bucket,
        "x_ServiceTier": tier,
        "x_ChargeSource": "bill",
    }
    assert set(values) == {f.name for f in BILL_FIELDS}
    return values


OPENAI_LINES = [
    _line("openai", "proj_prod", "2025-08-01", "gpt-4o", "input_uncached", "standard", "12.34"),
    _line("openai", "proj_prod", "2025-08-01", "gpt-4o", "cache_read", "standard", "0.01"),
    _line("openai", "proj_prod", "2025-08-01", "gpt-4o", "output", "standard", "40.10"),
    _line("openai", "proj_nonprod", "2025-08-01", "gpt-4o-mini", "input_uncached", "batch", "0.07"),
    _line("openai", "proj_prod", "2025-08-02", "o3-mini", "output", "priority", "3.00"),
]
ANTHROPIC_LINES = [
    _line("anthropic", "wrk_prod", "2025-08-01", "claude-sonnet-4", "input_uncached", "standard", "9.99"),
    _line("anthropic", "wrk_prod", "2025-08-01", "claude-sonnet-4", "cache_write", "standard", "1.23"),
    _line("anthropic", "wrk_prod", "2025-08-01", "claude-sonnet-4", "cache_read", "batch", "0.05"),
    _line("anthropic", "default", "2025-08-02", "claude-haiku-3-5", "output", "standard", "0.40"),
]
CREDIT = _line(
    "anthropic", "wrk_prod", "2025-08-02", "unknown", "unknown", "standard", "-25.00", category="Credit", tokens=""
)
ROUND_TRIP = (
    '"ChargePeriodStart"::date::varchar, "SubAccountId", "x_Model", "x_TokenBucket", "x_ServiceTier", "BilledCost"'
)


def _expected(lines) -> list[tuple]:
    return sorted(
        (
            ln["ChargePeriodStart"][:10],
            ln["SubAccountId"],
            ln["x_Model"],
            ln["x_TokenBucket"],
            ln["x_ServiceTier"],
            Decimal(ln["BilledCost"]),
        )
        for ln in lines
    )


def _loaded(con) -> list[tuple]:
    return sorted(con.execute(f"select {ROUND_TRIP} from raw.bill_lines").fetchall())


@pytest.mark.parametrize("name", ["costs.json", "costs.jsonl"])
def test_openai_costs_writer_round_trip(landing, con, name):
    path = landing / "billing" / "openai_costs" / name
    openai_billing.write(OPENAI_LINES, path)
    text = path.read_text()
    if name.endswith(".jsonl"):  # one page per line, has_more/next_page as the API paginates
        assert [json.loads(x)["has_more"] for x in text.splitlines()] == [True, False]
    else:
        assert json.loads(text)["object"] == "page"
    (result,) = load_landing(con, landing).files
    assert result.rows_quarantined == 0
    assert _loaded(con) == _expected(OPENAI_LINES)
    assert "priority | o3-mini, output" in path.read_text()


def test_anthropic_cost_writer_round_trip_in_cents(landing, con):
    path = landing / "billing" / "anthropic_cost" / "cost.json"
    anthropic_billing.write(ANTHROPIC_LINES, path)
    results = [r for b in json.loads(path.read_text())["data"] for r in b["results"]]
    assert [(r["amount"], r["workspace_id"], r["token_type"]) for r in results] == [
        ("999", "wrk_prod", "uncached_input_tokens"),
        ("123", "wrk_prod", "cache_creation.ephemeral_5m_input_tokens"),
        ("5", "wrk_prod", "cache_read_input_tokens"),
        ("40", None, "output_tokens"),
    ]
    load_landing(con, landing)
    assert _loaded(con) == _expected(ANTHROPIC_LINES)


def test_vendor_report_writers_refuse_lines_they_cannot_express(tmp_path):
    priority = _line("anthropic", "w", "2025-08-01", "claude-sonnet-4", "output", "priority", "1.00")
    assert not anthropic_billing.can_write(CREDIT) and not anthropic_billing.can_write(priority)
    assert not openai_billing.can_write(CREDIT) and all(openai_billing.can_write(ln) for ln in OPENAI_LINES)
    with pytest.raises(ValueError, match="cost report has no line"):
        anthropic_billing.write([*ANTHROPIC_LINES, CREDIT], tmp_path / "c.json")
    with pytest.raises(ValueError, match="Costs API has no line"):
        openai_billing.write([CREDIT], tmp_path / "o.json")
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize("name", ["focus.parquet", "focus.csv.gz"])
def test_focus_aws_writer_round_trip(landing, con, name):
    lines = [*OPENAI_LINES, *ANTHROPIC_LINES, CREDIT]
    path = landing / "billing" / "focus_aws" / name
    focus_skus.write_aws(lines, path)
    if name.endswith(".gz"):
        assert gzip.decompress(path.read_bytes()).startswith(b"BilledCost,BillingAccountId")
    (result,) = load_landing(con, landing).files
    assert (result.rows_read, result.rows_quarantined) == (len(lines), 0)
    assert _loaded(con) == _expected(lines)
    assert con.execute(
        'select "ChargeCategory", "BilledCost"::varchar from raw.bill_lines where "ChargeCategory" <> \'Usage\''
    ).fetchall() == [("Credit", "-25.000000000000")]


def test_focus_azure_writer_round_trip_csv(landing, con):
    lines = [*OPENAI_LINES, CREDIT]
    path = landing / "billing" / "focus_azure" / "focus.csv"
    focus_skus.write_azure(lines, path)
    text = path.read_text()
    assert "gpt-4o-mini Batch Inp glbl Tokens" in text and "o3-mini pp Outp glbl Tokens" in text
    load_landing(con, landing)
    assert _loaded(con) == _expected(lines)
    with pytest.raises(ValueError, match="no cache-write meter"):
        focus_skus.write_azure([ANTHROPIC_LINES[1]], landing / "x.csv")
    assert not focus_skus.can_write_azure(ANTHROPIC_LINES[1]) and focus_skus.can_write_aws(ANTHROPIC_LINES[1])


def test_usage_writers_round_trip_quantities(landing, con):
    openai_billing.write_usage(OPENAI_LINES, landing / "billing" / "openai_usage" / "u.json")
    anthropic_billing.write_usage([*ANTHROPIC_LINES, CREDIT], landing / "billing" / "anthropic_usage" / "u.json")
    load_landing(con, landing)
    got = con.execute(
        'select "ProviderName", "ChargePeriodStart"::date::varchar, "SubAccountId", "x_Model", '
        '"x_TokenBucket", "x_ServiceTier", "ConsumedQuantity"::int from raw.bill_lines '
        'where "ConsumedQuantity" > 0 order by all'
    ).fetchall()
    assert got == sorted(
        (
            ln["ProviderName"],
            ln["ChargePeriodStart"][:10],
            ln["SubAccountId"],
            ln["x_Model"],
            ln["x_TokenBucket"],
            ln["x_ServiceTier"],
            1000,
        )
        for ln in [*OPENAI_LINES, *ANTHROPIC_LINES]
    )
    assert con.execute(
        'select count(*) from raw.bill_lines where "BilledCost" <> 0 or "x_ChargeSource" <> \'usage_report\''
    ).fetchone() == (0,)
