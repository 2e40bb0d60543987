"""`billing/openai_costs/` and `billing/openai_usage/`: pages of OpenAI's organization Costs and Usage APIs.

A file holds what the API returned: one page (`{"object": "page", "data": [...], "has_more": ...,
"next_page": ...}`), a JSON array of pages, or JSONL with one page per line (`.json` or `.jsonl`).
Every page holds time buckets (`{"object": "bucket", "start_time", "end_time", "results": [...]}`),
every bucket its results. Numbers are parsed as Decimal, never float.

openai_costs: `GET /v1/organization/costs?group_by=project_id&group_by=line_item`, one bill line per result
    ChargePeriodStart/End   bucket start_time / end_time (unix seconds, rendered as UTC ISO timestamps)
    ProviderName            'openai'
    BillingAccountId        result.organization_id
    SubAccountId            result.project_id (missing/null -> 'unknown': cost not attributed to a project)
    ChargeCategory          'Usage' (the API reports usage costs; no credit lines have been observed)
    ChargeDescription       line_item verbatim; SkuId = line_item
    BilledCost, EffectiveCost  amount.value, exact (a JSON number as written, or a numeric string)
    BillingCurrency         amount.currency upper-cased ('usd' -> 'USD')
    ConsumedQuantity        result.quantity when present (newer API versions), unit 'Tokens' for token lines
    x_Model, x_TokenBucket, x_ServiceTier  parsed from line_item, see `parse_line_item`:
        "<model>, input" -> input_uncached      "<model>, cached input" -> cache_read
        "<model>, output" -> output             "<model>, cache writes" -> cache_write
        "priority | <model>, output" -> tier priority (any "<tier> | " prefix is read as the tier;
        "batch" anywhere in the prefix, the kind or a trailing qualifier -> tier batch)
        "<model> audio, input" / "<model> image, output" -> model kept, bucket 'unknown' (not text tokens)
        ", long context" and other trailing qualifiers are kept in ChargeDescription only
        anything else ("web search tool calls", "Vector storage", null) -> model and bucket 'unknown'
        (the line is kept: its cost is real).

openai_usage: `GET /v1/organization/usage/completions?group_by=project_id&group_by=model&group_by=batch`
    The Usage API carries no cost. Each result becomes one line per EXCLUSIVE token bucket with the
    tokens in ConsumedQuantity (unit 'Tokens') and BilledCost 0, marked as a quantity-only line:
    x_ChargeSource 'usage_report', SkuId '<model>:<bucket>:<tier>', ChargeDescription 'usage report (no cost)',
    ChargeCategory 'Usage', ChargeClass '' (so downstream models count the quantities, never the cost).
        cache_read      = input_cached_tokens
        cache_write     = input_cache_write_tokens + input_cache_write_12h_tokens (only when present)
        input_uncached  = input_tokens - input_cached_tokens - cache_write (input_tokens INCLUDES both)
        output          = output_tokens
    The embeddings and moderations endpoints (`/v1/organization/usage/embeddings`, `.../moderations`) are read the
    same way: their results (object organization.usage.embeddings.result / ...moderations.result) carry
    input_tokens and no output_tokens, so output is 0 there.
    x_ServiceTier: batch=true -> batch, else service_tier ('default'/null -> standard, 'priority' ->
    priority; other values such as 'flex' or 'scale' pass through verbatim so they stay visible).
    input_audio_tokens / output_audio_tokens (and the newer image/text splits) are NOT emitted as
    extra lines: the current reference says input_tokens already includes audio and image tokens,
    older references said text only; they stay in `_raw`. A result whose cached tokens exceed its
    input tokens, or without input_tokens / output_tokens, is rejected as a whole (quarantine field '_row').

Schema drift: unknown keys are ignored; a value of the wrong type or garbage ("abc", "yesterday")
is passed through as text, so the generated validation quarantines the row naming the field.
`_line` is the 1-based ordinal of the result in the file (pages, buckets and results in file
order); `_raw` is the result with its bucket's start/end time.

Sources:
- Costs API reference: https://developers.openai.com/api/reference/cli/resources/admin/subresources/organization/subresources/usage/methods/costs
  and https://developers.openai.com/api/reference/resources/organization/subresources/audit_logs/methods/get_costs
  (response example with amount.value 0.06 / currency "usd", line_item, project_id, quantity).
- Costs result schema (openapi 2.3.0): https://docs.rs/crate/openai-client-base/0.12.0/source/src/models/costs_result.rs
- Usage completions result fields: https://docs.rs/async-openai/latest/async_openai/types/admin/usage/struct.UsageCompletionsResult.html
  and https://docs.rs/crate/openai-client-base/0.16.0/source/src/models/usage_completions_result.rs
  ("input_tokens: ... including cached and cache-write tokens. This includes text, audio, and image tokens").
- Real line_item strings as captured by users of the Admin API, e.g. "gpt-5.5-2026-04-23, cached input",
  "web search tool calls", "priority | <model>, output, long context", "<model> audio, input",
  "... cache writes", "assistants api | file search" (public code in the `code` corpus; no official list exists).
  The batch spelling of a line item is NOT documented anywhere we could find: we accept "batch | <model>, input",
  "<model>, batch input" and "<model>, input, batch" and the writer emits the "batch | " form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from ingest.adapters import adapter
from ingest.adapters.vendor_reports import (
    USAGE_DESCRIPTION,
    Result,
    as_text,
    dump_pages,
    exact_amount,
    line_amount,
    line_day_bounds,
    line_value,
    service_tier,
    stage_pages,
    to_decimal,
    unix_to_utc,
)
from ingest.schemas import SERVICE_TIERS, TOKEN_BUCKETS, UNKNOWN, Field
from ingest.staging import Reject

PROVIDER = "openai"

# =============================================================================================
# line_item parsing


_KINDS = {
    "input": "input_uncached",
    "uncached input": "input_uncached",
    "text input": "input_uncached",
    "cached input": "cache_read",
    "cache read": "cache_read",
    "cache reads": "cache_read",
    "output": "output",
    "text output": "output",
    "cache write": "cache_write",
    "cache writes": "cache_write",
    "cached write": "cache_write",
}
_NON_TEXT = ("audio", "image", "video")
_MODEL_ID = re.compile(r"[A-Za-z0-9][\w.:/\-]*")
_TIER_PREFIXES = ("priority", "batch", "flex", "scale", "default", "standard")


@dataclass(frozen=True)
class LineItem:
    model: str = UNKNOWN
    bucket: str = UNKNOWN
    tier: str = "standard"


def parse_line_item(line_item: object) -> LineItem:
    """Model, token bucket and service tier of a Costs API line_item (see the module docstring)."""
    if not isinstance(line_item, str) or not line_item.strip():
        return LineItem()
    text, tier = line_item.strip(), "standard"
    if "|" in text:
        prefix, _, text = text.partition("|")
        prefix, text = prefix.strip().lower(), text.strip()
        if prefix in _TIER_PREFIXES:
            tier = service_tier(prefix)
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < 2:
        return LineItem(tier=tier)
    head, kind_words = parts[0].split(), parts[1].lower().split()
    qualifiers = [q.lower() for q in parts[2:]]
    if "batch" in kind_words or "batch" in qualifiers:
        tier = "batch"
        kind_words = [w for w in kind_words if w != "batch"]
    if not head or not _MODEL_ID.fullmatch(head[0]):
        return LineItem(tier=tier)
    modality = [w.lower() for w in head[1:]]
    if modality and not (len(modality) == 1 and modality[0] in ("text", *_NON_TEXT)):
        return LineItem(tier=tier)  # e.g. "file search, ..." is a tool, not a model
    bucket = _KINDS.get(" ".join(kind_words), UNKNOWN)
    if modality and modality[0] in _NON_TEXT:
        bucket = UNKNOWN  # audio / image tokens are not one of the text token buckets
    return LineItem(model=head[0], bucket=bucket, tier=tier)


# =============================================================================================
# openai_costs


def costs_line(item: Result) -> dict[str, object]:
    r = item.result
    amount = r.get("amount")
    value, currency = (amount.get("value"), amount.get("currency")) if isinstance(amount, Mapping) else (amount, None)
    line_item = r.get("line_item")
    parsed = parse_line_item(line_item)
    billed = exact_amount(value)
    quantity = r.get("quantity")
    return {
        "ChargePeriodStart": unix_to_utc(item.bucket.get("start_time")),
        "ChargePeriodEnd": unix_to_utc(item.bucket.get("end_time")),
        "ProviderName": PROVIDER,
        "BillingAccountId": as_text(r.get("organization_id")),
        "SubAccountId": as_text(r.get("project_id")),
        "ChargeCategory": "Usage",
        "ChargeClass": "",
        "ChargeDescription": as_text(line_item) or "",
        "SkuId": as_text(line_item),
        "ConsumedQuantity": exact_amount(quantity) if quantity is not None else None,
        "ConsumedUnit": "Tokens" if quantity is not None and parsed.bucket in TOKEN_BUCKETS else "",
        "BilledCost": billed,
        "EffectiveCost": billed,
        "ListCost": None,
        "BillingCurrency": (as_text(currency) or "").upper() or None,
        "x_Model": parsed.model,
        "x_TokenBucket": parsed.bucket,
        "x_ServiceTier": parsed.tier,
    }


@adapter("billing", "openai_costs", ".json", ".jsonl")
def stage_openai_costs(con: duckdb.DuckDBPyConnection, path: Path, fields: tuple[Field, ...]) -> list[Reject]:
    return stage_pages(con, path, fields, lambda item: ([costs_line(item)], None), ("start_time", "end_time"))


# =============================================================================================
# openai_usage


def _token_sum(values: Sequence[object]) -> Decimal | str | None:
    """Sum of token counts; the first non-numeric value is returned as text (for validation)."""
    total = Decimal(0)
    for v in values:
        if v is None:
            continue
        d = to_decimal(v)
        if d is None:
            return as_text(v)
        total += d
    return total


# usage endpoints whose results count input tokens only (no output_tokens key): output is 0
INPUT_ONLY_RESULTS = ("organization.usage.embeddings.result", "organization.usage.moderations.result")


def usage_lines(item: Result) -> tuple[list[dict[str, object]], str | None]:
    """Quantity-only lines of one Usage API result, or ([], reason) when the result is inconsistent."""
    r = item.result
    required = ("input_tokens",) if r.get("object") in INPUT_ONLY_RESULTS else ("input_tokens", "output_tokens")
    missing = [k for k in required if r.get(k) is None]
    if missing:
        return [], f"usage result without {' and '.join(missing)}"
    model = as_text(r.get("model")) or UNKNOWN
    tier = service_tier(r.get("service_tier"), batch=r.get("batch") is True)
    write_keys = [k for k in ("input_cache_write_tokens", "input_cache_write_12h_tokens") if k in r]
    cached = _token_sum([r.get("input_cached_tokens")])
    written = _token_sum([r.get(k) for k in write_keys])
    total_in = _token_sum([r.get("input_tokens")])
    uncached: Decimal | str | None
    if isinstance(total_in, Decimal) and isinstance(cached, Decimal) and isinstance(written, Decimal):
        uncached = total_in - cached - written
        if uncached < 0:
            return [], (
                f"input_cached_tokens + cache-write tokens ({cached + written}) exceed input_tokens ({total_in})"
            )
    else:  # garbage somewhere: hand the offending text to validation
        uncached = next(v for v in (total_in, cached, written) if not isinstance(v, Decimal))
    quantities: list[tuple[str, Decimal | str | None]] = [("input_uncached", uncached), ("cache_read", cached)]
    if write_keys:
        quantities.append(("cache_write", written))
    quantities.append(("output", _token_sum([r.get("output_tokens")])))
    lines = []
    for bucket, quantity in quantities:
        lines.append(
            {
                "ChargePeriodStart": unix_to_utc(item.bucket.get("start_time")),
                "ChargePeriodEnd": unix_to_utc(item.bucket.get("end_time")),
                "ProviderName": PROVIDER,
                "BillingAccountId": as_text(r.get("organization_id")),
                "SubAccountId": as_text(r.get("project_id")),
                "ChargeCategory": "Usage",
                "ChargeClass": "",
                "ChargeDescription": USAGE_DESCRIPTION,
                "SkuId": f"{model}:{bucket}:{tier}",
                "ConsumedQuantity": as_text(quantity),
                "ConsumedUnit": "Tokens",
                "BilledCost": "0",
                "BillingCurrency": "USD",
                "x_Model": model,
                "x_TokenBucket": bucket,
                "x_ServiceTier": tier,
                "x_ChargeSource": "usage_report",
            }
        )
    return lines, None


@adapter("billing", "openai_usage", ".json", ".jsonl")
def stage_openai_usage(con: duckdb.DuckDBPyConnection, path: Path, fields: tuple[Field, ...]) -> list[Reject]:
    return stage_pages(con, path, fields, usage_lines, ("start_time", "end_time"))


# =============================================================================================
# writer (finops demo --formats real)

_KIND_OF_BUCKET = {
    "input_uncached": "input",
    "cache_read": "cached input",
    "cache_write": "cache writes",
    "output": "output",
}


def can_write(line: Mapping[str, object]) -> bool:
    """Whether a canonical bill line can be expressed as a Costs API result (a model token usage line)."""
    return (
        line_value(line, "ChargeCategory", "") == "Usage"
        and line_value(line, "x_TokenBucket") in _KIND_OF_BUCKET
        and line_value(line, "x_Model") != UNKNOWN
        and line_value(line, "x_ServiceTier", "standard") in SERVICE_TIERS
    )


def line_item_for(model: str, bucket: str, tier: str) -> str:
    item = f"{model}, {_KIND_OF_BUCKET[bucket]}"
    return item if tier == "standard" else f"{tier} | {item}"


def write(lines: Sequence[Mapping[str, object]], path: Path) -> None:
    """Write canonical bill-line dicts as Costs API pages (group_by project_id, line_item).

    One bucket per charge period; `.json` gets one page, `.jsonl` one page per bucket. Lines the
    Costs API cannot express (credits, non-token lines, unknown model) raise ValueError: check
    `can_write` first and keep those lines in a FOCUS file.
    """
    buckets: dict[tuple[datetime, datetime], list[dict[str, object]]] = {}
    for line in lines:
        if not can_write(line):
            raise ValueError(f"the OpenAI Costs API has no line for {dict(line)}")
        start, end = line_day_bounds(line)
        account = line_value(line, "SubAccountId")
        org = line_value(line, "BillingAccountId")
        buckets.setdefault((start, end), []).append(
            {
                "object": "organization.costs.result",
                "amount": {"value": line_amount(line), "currency": line_value(line, "BillingCurrency", "USD").lower()},
                "line_item": line_item_for(
                    line_value(line, "x_Model"),
                    line_value(line, "x_TokenBucket"),
                    line_value(line, "x_ServiceTier", "standard"),
                ),
                "project_id": None if account == UNKNOWN else account,
                "organization_id": None if org == UNKNOWN else org,
            }
        )
    data = [
        {"object": "bucket", "start_time": int(start.timestamp()), "end_time": int(end.timestamp()), "results": results}
        for (start, end), results in sorted(buckets.items())
    ]
    if path.suffix.lower() == ".jsonl":
        pages = [
            {
                "object": "page",
                "data": [b],
                "has_more": i < len(data) - 1,
                "next_page": f"page_{i + 2}" if i < len(data) - 1 else None,
            }
            for i, b in enumerate(data)
        ]
    else:
        pages = [{"object": "page", "data": data, "has_more": False, "next_page": None}]
    dump_pages(pages, path)


def line_tokens(line: Mapping[str, object]) -> Decimal:
    d = to_decimal(line.get("ConsumedQuantity"))
    return d if d is not None else Decimal(0)


def write_usage(lines: Sequence[Mapping[str, object]], path: Path) -> None:
    """Write the token quantities of canonical bill lines as Usage API pages (completions, grouped by
    project_id, model, batch). Non-token lines are left out: the Usage API has neither cost nor credits.
    num_model_requests is not known from bill lines and is written as 0."""
    groups: dict[tuple[datetime, datetime, str, str, str], dict[str, Decimal]] = {}
    for line in lines:
        bucket = line_value(line, "x_TokenBucket")
        if bucket not in TOKEN_BUCKETS or line_value(line, "ChargeCategory", "") != "Usage":
            continue
        start, end = line_day_bounds(line)
        key = (
            start,
            end,
            line_value(line, "SubAccountId"),
            line_value(line, "x_Model"),
            line_value(line, "x_ServiceTier", "standard"),
        )
        sums = groups.setdefault(key, {b: Decimal(0) for b in TOKEN_BUCKETS})
        sums[bucket] += line_tokens(line)
    buckets: dict[tuple[datetime, datetime], list[dict[str, object]]] = {}
    for (start, end, account, model, tier), sums in sorted(groups.items()):
        result: dict[str, object] = {
            "object": "organization.usage.completions.result",
            "input_tokens": int(sums["input_uncached"] + sums["cache_read"] + sums["cache_write"]),
            "output_tokens": int(sums["output"]),
            "input_cached_tokens": int(sums["cache_read"]),
            "input_audio_tokens": 0,
            "output_audio_tokens": 0,
            "num_model_requests": 0,
            "project_id": None if account == UNKNOWN else account,
            "user_id": None,
            "api_key_id": None,
            "model": None if model == UNKNOWN else model,
            "batch": tier == "batch",
            "service_tier": "default" if tier in ("standard", "batch") else tier,
        }
        if sums["cache_write"]:
            result["input_cache_write_tokens"] = int(sums["cache_write"])
        buckets.setdefault((start, end), []).append(result)
    data = [
        {"object": "bucket", "start_time": int(s.timestamp()), "end_time": int(e.timestamp()), "results": r}
        for (s, e), r in sorted(buckets.items())
    ]
    dump_pages([{"object": "page", "data": data, "has_more": False, "next_page": None}], path)


WRITERS = {"openai_costs": write, "openai_usage": write_usage}
