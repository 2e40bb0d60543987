"""`billing/anthropic_cost/` and `billing/anthropic_usage/`: pages of Anthropic's Admin API cost and usage reports.

A file holds what the API returned: one page (`{"data": [...], "has_more": false, "next_page": null}`),
a JSON array of pages, or JSONL with one page per line (`.json` or `.jsonl`). Every page holds time
buckets (`{"starting_at", "ending_at", "results": [...]}`, RFC 3339 UTC), every bucket its results.
Numbers are parsed as Decimal, never float.

anthropic_cost: `GET /v1/organizations/cost_report?group_by[]=workspace_id&group_by[]=description`,
one bill line per result
    ChargePeriodStart/End   bucket starting_at / ending_at
    ProviderName            'anthropic'
    SubAccountId            workspace_id; null means the DEFAULT workspace -> 'default'
                            (a result without the key at all, i.e. not grouped by workspace -> 'unknown')
    BillingAccountId        not in the report -> 'unknown'
    ChargeCategory          'Usage'
    ChargeDescription       description verbatim; SkuId = description (or cost_type:model:token_type:... when null)
    BilledCost, EffectiveCost  `amount` is a decimal STRING in the lowest currency unit (cents):
                            "123.45" USD is $1.2345. Converted exactly with Decimal (shift by 2 places).
    ListCost                list_amount the same way, when the report carries it
    BillingCurrency         currency (always "USD" today)
    x_Model                 model (null for non-token costs -> 'unknown')
    x_TokenBucket           token_type: uncached_input_tokens -> input_uncached,
                            cache_read_input_tokens -> cache_read,
                            cache_creation.ephemeral_5m_input_tokens / cache_creation.ephemeral_1h_input_tokens
                            -> cache_write, output_tokens -> output; cost_type web_search, code_execution,
                            session_usage (anything but 'tokens') -> 'unknown', the line is kept.
    x_ServiceTier           service_tier standard / batch. NOTE: the cost endpoint leaves out priority-tier
                            costs ("Priority Tier costs are not available in the cost endpoint"; they are
                            invoiced but must be read from the usage report with service_tier=priority),
                            so a cost report alone under-counts an organization that uses Priority Tier.
    context_window ("0-200k" / "200k-1M", long-context pricing) and inference_geo are kept in SkuId / _raw only.

anthropic_usage: `GET /v1/organizations/usage_report/messages` (grouped by model, workspace_id, service_tier,
api_key_id). No cost: one quantity-only line per exclusive token bucket and result, BilledCost 0,
ConsumedQuantity = tokens (unit 'Tokens'), marked like openai_usage: x_ChargeSource 'usage_report',
SkuId '<model>:<bucket>:<tier>', ChargeDescription 'usage report (no cost)', ChargeCategory 'Usage', ChargeClass ''.
    input_uncached = uncached_input_tokens      cache_read = cache_read_input_tokens
    cache_write    = cache_creation.ephemeral_5m_input_tokens + cache_creation.ephemeral_1h_input_tokens
    output         = output_tokens
    server_tool_use.web_search_requests > 0 -> one more line, bucket 'unknown', unit 'Requests'.
    A missing cache count is 0; a result without uncached_input_tokens / output_tokens is rejected ('_row').
    service_tier: standard / batch / priority (priority_on_demand -> priority); others such as 'flex'
    pass through verbatim. api_key_id is kept in `_raw` only (the bill line has no column for it).

Schema drift, `_line` and `_raw` as in ingest.adapters.openai_billing (shared helpers live there).

Sources:
- Cost report: https://platform.claude.com/docs/en/api/admin/cost_report ("Cost amount in lowest currency
  units (e.g. cents) as a decimal string. For example, "123.45" in "USD" represents $1.23."; cost_type
  "tokens" | "web_search" | "code_execution"; context_window "0-200k" | "200k-1M"; service_tier
  "standard" | "batch") and the markdown version
  https://platform.claude.com/docs/en/api/http/beta/organization/cost_report.
- Usage and Cost API guide: https://docs.anthropic.com/en/api/usage-cost-api (priority-tier costs are not in
  the cost endpoint; the default workspace has workspace_id null; code execution appears only in costs).
- Messages usage report: https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages
- token_type / cost_type values as typed by a client crate: https://docs.rs/claude-api/0.5.2/src/claude_api/admin/cost_report.rs.html
  (adds cost_type session_usage) and service tiers incl. priority_on_demand / flex:
  https://docs.rs/claude-api/0.5.0/src/claude_api/admin/usage_report.rs.html
Both endpoints are marked legacy in favour of /v1/organizations/analytics/{usage,cost} (beta); that newer
shape (rows with a `group` object) is not read here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from ingest.adapters import adapter
from ingest.adapters.vendor_reports import (
    USAGE_DESCRIPTION,
    Result,
    as_text,
    cents_to_units,
    dump_pages,
    line_amount,
    line_day_bounds,
    line_value,
    service_tier,
    stage_pages,
    to_decimal,
)
from ingest.schemas import UNKNOWN, Field
from ingest.staging import Reject

PROVIDER = "anthropic"
DEFAULT_WORKSPACE = "default"

TOKEN_TYPES = {
    "uncached_input_tokens": "input_uncached",
    "cache_read_input_tokens": "cache_read",
    "cache_creation.ephemeral_5m_input_tokens": "cache_write",
    "cache_creation.ephemeral_1h_input_tokens": "cache_write",
    "output_tokens": "output",
}


def _workspace(result: Mapping[str, object]) -> str | None:
    if "workspace_id" not in result:
        return None  # not grouped by workspace: the amount spans workspaces -> 'unknown'
    return as_text(result.get("workspace_id")) or DEFAULT_WORKSPACE


def _bucket(result: Mapping[str, object]) -> str:
    cost_type = as_text(result.get("cost_type"))
    if cost_type not in (None, "tokens"):
        return UNKNOWN
    token_type = as_text(result.get("token_type")) or ""
    if token_type in TOKEN_TYPES:
        return TOKEN_TYPES[token_type]
    return "cache_write" if token_type.startswith("cache_creation") else UNKNOWN


# =============================================================================================
# anthropic_cost


def cost_line(item: Result) -> dict[str, object]:
    r = item.result
    description = as_text(r.get("description"))
    sku = description or ":".join(
        as_text(r.get(k)) or "-" for k in ("cost_type", "model", "token_type", "context_window", "service_tier")
    )
    amount = cents_to_units(r.get("amount"))
    return {
        "ChargePeriodStart": as_text(item.bucket.get("starting_at")),
        "ChargePeriodEnd": as_text(item.bucket.get("ending_at")),
        "ProviderName": PROVIDER,
        "BillingAccountId": None,
        "SubAccountId": _workspace(r),
        "ChargeCategory": "Usage",
        "ChargeClass": "",
        "ChargeDescription": description or "",
        "SkuId": sku,
        "BilledCost": amount,
        "EffectiveCost": amount,
        "ListCost": cents_to_units(r.get("list_amount")) if r.get("list_amount") is not None else None,
        "BillingCurrency": (as_text(r.get("currency")) or "").upper() or None,
        "x_Model": as_text(r.get("model")),
        "x_TokenBucket": _bucket(r),
        "x_ServiceTier": service_tier(r.get("service_tier")),
    }


@adapter("billing", "anthropic_cost", ".json", ".jsonl")
def stage_anthropic_cost(con: duckdb.DuckDBPyConnection, path: Path, fields: tuple[Field, ...]) -> list[Reject]:
    return stage_pages(con, path, fields, lambda item: ([cost_line(item)], None), ("starting_at", "ending_at"))


# =============================================================================================
# anthropic_usage


def _tokens(values: Sequence[object]) -> object:
    """Sum of token counts (missing = 0); the first non-numeric value is returned as is (for validation)."""
    total = Decimal(0)
    for v in values:
        if v is None:
            continue
        d = to_decimal(v)
        if d is None:
            return v
        total += d
    return total


def usage_lines(item: Result) -> tuple[list[dict[str, object]], str | None]:
    """Quantity-only lines of one usage report result, or ([], reason) when it lacks the token counts."""
    r = item.result
    missing = [k for k in ("uncached_input_tokens", "output_tokens") if r.get(k) is None]
    if missing:
        return [], f"usage result without {' and '.join(missing)}"
    model = as_text(r.get("model")) or UNKNOWN
    tier = service_tier(r.get("service_tier"))
    creation = r.get("cache_creation")
    if isinstance(creation, Mapping):
        writes = [creation.get("ephemeral_5m_input_tokens"), creation.get("ephemeral_1h_input_tokens")]
    elif creation is not None:
        writes = [creation]  # type change: hand it to validation
    else:  # flattened spelling seen in third-party schemas
        writes = [r.get("cache_creation_5m_input_tokens"), r.get("cache_creation_1h_input_tokens")]
    quantities: list[tuple[str, object, str]] = [
        ("input_uncached", _tokens([r.get("uncached_input_tokens")]), "Tokens"),
        ("cache_read", _tokens([r.get("cache_read_input_tokens")]), "Tokens"),
        ("cache_write", _tokens(writes), "Tokens"),
        ("output", _tokens([r.get("output_tokens")]), "Tokens"),
    ]
    tools = r.get("server_tool_use")
    searches = tools.get("web_search_requests") if isinstance(tools, Mapping) else None
    if searches:
        quantities.append((UNKNOWN, searches, "Requests"))
    lines = []
    for bucket, quantity, unit in quantities:
        sku_part = bucket if unit == "Tokens" else "web_search_requests"
        lines.append(
            {
                "ChargePeriodStart": as_text(item.bucket.get("starting_at")),
                "ChargePeriodEnd": as_text(item.bucket.get("ending_at")),
                "ProviderName": PROVIDER,
                "SubAccountId": _workspace(r),
                "ChargeCategory": "Usage",
                "ChargeClass": "",
                "ChargeDescription": USAGE_DESCRIPTION,
                "SkuId": f"{model}:{sku_part}:{tier}",
                "ConsumedQuantity": as_text(quantity),
                "ConsumedUnit": unit,
                "BilledCost": "0",
                "BillingCurrency": "USD",
                "x_Model": model,
                "x_TokenBucket": bucket,
                "x_ServiceTier": tier,
                "x_ChargeSource": "usage_report",
            }
        )
    return lines, None


@adapter("billing", "anthropic_usage", ".json", ".jsonl")
def stage_anthropic_usage(con: duckdb.DuckDBPyConnection, path: Path, fields: tuple[Field, ...]) -> list[Reject]:
    return stage_pages(con, path, fields, usage_lines, ("starting_at", "ending_at"))


# =============================================================================================
# writer (finops demo --formats real)

TOKEN_TYPE_OF_BUCKET = {
    "input_uncached": "uncached_input_tokens",
    "cache_read": "cache_read_input_tokens",
    "cache_write": "cache_creation.ephemeral_5m_input_tokens",
    "output": "output_tokens",
}
# Illustrative descriptions in the style of the report ("Claude Sonnet 4 Usage - Input Tokens"); the
# adapter never parses descriptions, so their exact wording does not matter for loading.
_DESCRIPTION_OF_BUCKET = {
    "input_uncached": "Input Tokens",
    "cache_read": "Cache Read Input Tokens",
    "cache_write": "Cache Write Input Tokens (5m)",
    "output": "Output Tokens",
}


def can_write(line: Mapping[str, object]) -> bool:
    """Whether a canonical bill line can be expressed as a cost report result: a model token usage line
    of the standard or batch tier (the cost report has no credits and leaves out priority tier)."""
    return (
        line_value(line, "ChargeCategory", "") == "Usage"
        and line_value(line, "x_TokenBucket") in TOKEN_TYPE_OF_BUCKET
        and line_value(line, "x_Model") != UNKNOWN
        and line_value(line, "x_ServiceTier", "standard") in ("standard", "batch")
    )


def write(lines: Sequence[Mapping[str, object]], path: Path) -> None:
    """Write canonical bill-line dicts as cost report pages (group_by workspace_id, description).

    Amounts are written in cents as decimal strings; SubAccountId 'default' becomes workspace_id null.
    `.json` gets one page, `.jsonl` one page per bucket. Lines the report cannot express raise
    ValueError: check `can_write` first and keep those lines in a FOCUS file.
    """
    buckets: dict[tuple[datetime, datetime], list[dict[str, object]]] = {}
    for line in lines:
        if not can_write(line):
            raise ValueError(f"the Anthropic cost report has no line for {dict(line)}")
        start, end = line_day_bounds(line)
        model, bucket = line_value(line, "x_Model"), line_value(line, "x_TokenBucket")
        workspace = line_value(line, "SubAccountId", DEFAULT_WORKSPACE)
        buckets.setdefault((start, end), []).append(
            {
                "currency": line_value(line, "BillingCurrency", "USD").upper(),
                "amount": format(line_amount(line).scaleb(2), "f"),
                "workspace_id": None if workspace == DEFAULT_WORKSPACE else workspace,
                "description": f"{model} Usage - {_DESCRIPTION_OF_BUCKET[bucket]}",
                "cost_type": "tokens",
                "context_window": "0-200k",
                "model": model,
                "service_tier": line_value(line, "x_ServiceTier", "standard"),
                "token_type": TOKEN_TYPE_OF_BUCKET[bucket],
            }
        )
    data = [
        {"starting_at": _rfc3339(start), "ending_at": _rfc3339(end), "results": results}
        for (start, end), results in sorted(buckets.items())
    ]
    if path.suffix.lower() == ".jsonl":
        pages = [
            {"data": [b], "has_more": i < len(data) - 1, "next_page": f"page_{i + 2}" if i < len(data) - 1 else None}
            for i, b in enumerate(data)
        ]
    else:
        pages = [{"data": data, "has_more": False, "next_page": None}]
    dump_pages(pages, path)


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_usage(lines: Sequence[Mapping[str, object]], path: Path) -> None:
    """Write the token quantities of canonical bill lines as messages usage report pages (grouped by
    workspace_id, model, service_tier). Non-token lines are left out; cache writes are written as 5-minute
    cache creation."""
    groups: dict[tuple[datetime, datetime, str, str, str], dict[str, Decimal]] = {}
    for line in lines:
        bucket = line_value(line, "x_TokenBucket")
        if bucket not in TOKEN_TYPE_OF_BUCKET or line_value(line, "ChargeCategory", "") != "Usage":
            continue
        start, end = line_day_bounds(line)
        key = (
            start,
            end,
            line_value(line, "SubAccountId", DEFAULT_WORKSPACE),
            line_value(line, "x_Model"),
            line_value(line, "x_ServiceTier", "standard"),
        )
        sums = groups.setdefault(key, {b: Decimal(0) for b in TOKEN_TYPE_OF_BUCKET})
        sums[bucket] += to_decimal(line.get("ConsumedQuantity")) or Decimal(0)
    buckets: dict[tuple[datetime, datetime], list[dict[str, object]]] = {}
    for (start, end, workspace, model, tier), sums in sorted(groups.items()):
        buckets.setdefault((start, end), []).append(
            {
                "uncached_input_tokens": int(sums["input_uncached"]),
                "cache_creation": {
                    "ephemeral_1h_input_tokens": 0,
                    "ephemeral_5m_input_tokens": int(sums["cache_write"]),
                },
                "cache_read_input_tokens": int(sums["cache_read"]),
                "output_tokens": int(sums["output"]),
                "server_tool_use": {"web_search_requests": 0},
                "api_key_id": None,
                "workspace_id": None if workspace == DEFAULT_WORKSPACE else workspace,
                "model": None if model == UNKNOWN else model,
                "service_tier": tier,
                "context_window": None,
            }
        )
    data = [
        {"starting_at": _rfc3339(s), "ending_at": _rfc3339(e), "results": r} for (s, e), r in sorted(buckets.items())
    ]
    dump_pages([{"data": data, "has_more": False, "next_page": None}], path)


WRITERS = {"anthropic_cost": write, "anthropic_usage": write_usage}
