"""Price catalog: list prices per provider x model x token bucket x service tier x validity period.

Built from the offline catalog bundled with the `genai-prices` package (no network). The table is
the single source of list prices for the warehouse: dbt joins it to calls, the demo generator uses
`price_for` as the vendor's truth, and the SQL side implements the same lookup rule as `price_for`:

    the row of (provider, model, token_bucket, service_tier) that is valid on the call's UTC day
    (valid_from <= day < valid_to, valid_to NULL = open) with the LARGEST min_input_tokens that is
    <= the request's total input tokens (input_uncached + cache_read + cache_write).

How genai-prices data becomes rows (see `catalog_table`):
- Token buckets (exclusive, as in ingest.schemas): input_uncached <- input_mtok;
  cache_read <- cache_read_mtok, else input_mtok; cache_write (5-minute writes) <- cache_write_mtok,
  else cache_write_5m_mtok, else input_mtok; output <- output_mtok. A model (period, tier) without an
  input or an output price has no rows. Other price keys (1h cache writes, audio, image, web
  searches, ...) are not token buckets of ours and are ignored.
- Validity: a model's `prices` list of ConditionalPrice is resolved exactly like
  `ModelInfo.get_prices` (last active entry wins; before any start date the first entry applies), so
  the first period starts at 2000-01-01 and each StartDateConstraint opens a new period.
  Time of day: the catalog has one price per day. Where genai-prices varies a price by time of day
  (only DeepSeek: peak / off-peak windows), the day's price is the one genai-prices applies for the
  most hours of that UTC day; the other prices are dropped and counted (`catalog_stats()`). Note
  that in genai-prices 0.2.3 the TimeOfDateConstraint entries are the PEAK windows, and the
  unconstrained / dated entries are the off-peak rates: deepseek-chat / -reasoner keep the
  16-hour normal rate (0.27 / 1.10 for chat), the V4 models keep the 17-hour off-peak rate.
- Long-context tiers (TieredPrices): genai-prices applies a tier when the request's input tokens are
  strictly GREATER than `Tier.start` ("crossing" the threshold; 200,000 tokens exactly is still the
  base price). To keep the simple `<=` lookup rule exact, a tier's row has
  min_input_tokens = Tier.start + 1 (e.g. 200001); the base price has min_input_tokens = 0.
- Service tiers: standard = the model's prices. batch = the model's price variants with
  when={'processing': 'batch'}, priority = when={'service_tier': 'priority'}, each from its own
  start date, merged over the standard price per price key the way genai-prices does it (a variant
  missing a key - e.g. OpenAI's batch table has no cached-input rate - keeps the standard price of
  that key; keys only the variant prices are taken from it). Where no batch variant is in force
  (before its start date, or none exists) batch = BATCH_DISCOUNT[provider] x standard for providers
  with a published flat batch discount; other providers get no batch rows then. Priority has no
  fallback. Other variants (flex, fast, speed, default) are ignored.
- Providers that serve other vendors' models (Azure -> OpenAI, Anthropic, ...; Google -> Anthropic)
  also get rows for those fallback models, under our provider name, at the origin vendor's standard
  price (genai-prices does not apply the origin vendor's variants there), so every model that
  `resolve_model` returns for a provider is priced under that provider.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc
from genai_prices import data_snapshot
from genai_prices import types as gp

from ingest.schemas import SERVICE_TIERS, TOKEN_BUCKETS

if TYPE_CHECKING:
    import duckdb

# Our provider name (lower case, as in calls.provider / bill_lines.ProviderName) -> genai-prices id.
PROVIDERS: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "aws_bedrock": "aws",
    "azure_openai": "azure",
    "mistral": "mistral",
    "deepseek": "deepseek",
}

# The vendors' published flat batch discount (Batch API / batch inference: 50% of the standard
# price). Used for batch rows wherever the catalog has no batch variant in force.
BATCH_DISCOUNT: dict[str, Decimal] = {
    "openai": Decimal("0.5"),
    "anthropic": Decimal("0.5"),
    "google": Decimal("0.5"),
    "azure_openai": Decimal("0.5"),
    "aws_bedrock": Decimal("0.5"),
}

OPEN_START = date(2000, 1, 1)  # valid_from of a price that has no start date
PRICE_SCALE = 6
PRICE_TYPE = pa.decimal128(18, PRICE_SCALE)
_QUANTUM = Decimal(1).scaleb(-PRICE_SCALE)

CATALOG_SCHEMA = pa.schema(
    [
        pa.field("provider", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("token_bucket", pa.string(), nullable=False),
        pa.field("service_tier", pa.string(), nullable=False),
        pa.field("min_input_tokens", pa.int64(), nullable=False),
        pa.field("price_per_mtok", PRICE_TYPE, nullable=False),
        pa.field("valid_from", pa.date32(), nullable=False),
        pa.field("valid_to", pa.date32(), nullable=True),
        pa.field("source", pa.string(), nullable=False),
    ]
)

RESOLVED_SCHEMA = pa.schema(
    [
        pa.field("provider", pa.string(), nullable=False),
        pa.field("model_name", pa.string(), nullable=False),
        pa.field("catalog_model", pa.string(), nullable=True),
    ]
)

_VARIANT_WHEN: dict[str, dict[str, str]] = {
    "batch": {"processing": "batch"},
    "priority": {"service_tier": "priority"},
}

_Price: TypeAlias = "Decimal | gp.TieredPrices"


# --------------------------------------------------------------------------------------------
# Catalog build
# --------------------------------------------------------------------------------------------


@dataclass
class CatalogStats:
    """What the build skipped or changed; see `catalog_stats()`."""

    source: str = ""
    rows_per_provider: dict[str, int] = field(default_factory=dict)
    models_per_provider: dict[str, int] = field(default_factory=dict)
    # Models whose genai-prices price varies by time of day (origin provider:model), and the
    # ConditionalPrice entries the catalog never uses because another price covers more hours of
    # every day (counted once per origin model, not per our provider), with a description each.
    time_of_day_models: list[str] = field(default_factory=list)
    time_of_day_prices_skipped: int = 0
    time_of_day_skipped: list[str] = field(default_factory=list)
    # Price variants with a time-of-day constraint (never applied; none in genai-prices 0.2.3).
    time_of_day_variants_skipped: int = 0
    # (our provider, model) with no row at all: no input or no output token price.
    models_without_token_prices: list[tuple[str, str]] = field(default_factory=list)
    # Prices that needed more than PRICE_SCALE decimals and were rounded half-even (row count).
    prices_rounded: int = 0
    rounded_examples: list[str] = field(default_factory=list)
    # Price variants not mapped to a tier of ours, by their `when` (e.g. service_tier=flex).
    variants_ignored: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Built:
    snapshot: data_snapshot.DataSnapshot
    table: pa.Table
    stats: CatalogStats


_built: _Built | None = None


def _source_label(snap: data_snapshot.DataSnapshot) -> str:
    label = f"genai-prices {importlib.metadata.version('genai-prices')}"
    if snap.from_auto_update:
        label += f" (auto-update {snap.timestamp:%Y-%m-%d})"
    return label


def _provider_index(snap: data_snapshot.DataSnapshot) -> dict[str, gp.Provider]:
    return {p.id: p for p in snap.providers}


def _catalog_models(
    provider: gp.Provider, by_id: Mapping[str, gp.Provider]
) -> Iterator[tuple[gp.ModelInfo, bool, str]]:
    """(model, own, origin provider id): the provider's models, then its fallback providers' models
    whose id it does not already have (first fallback wins, as in genai-prices' lookup order)."""
    seen: set[str] = set()
    for m in provider.models:
        if m.id not in seen:
            seen.add(m.id)
            yield m, True, provider.id
    for fb_id in provider.fallback_model_providers or ():
        fb = by_id.get(fb_id)
        if fb is None:
            continue
        for m in fb.models:
            if m.id not in seen:
                seen.add(m.id)
                yield m, False, fb.id


def _is_time_of_day(constraint: object) -> bool:
    return isinstance(constraint, gp.TimeOfDateConstraint)


def _start_date(constraint: object) -> date | None:
    return constraint.start_date if isinstance(constraint, gp.StartDateConstraint) else None


def _active(constraint: object, day: date) -> bool:
    """A StartDate / missing constraint active on `day` (used for variants; time-of-day never is)."""
    if constraint is None:
        return True
    start = _start_date(constraint)
    return start is not None and start <= day


def _price_items(mp: gp.ModelPrice) -> dict[str, _Price]:
    return {k: v for k, v in mp.__dict__.items() if not k.startswith("_") and v is not None}


def _describe(constraint: object) -> str:
    if isinstance(constraint, gp.TimeOfDateConstraint):
        a, b = _utc_seconds(constraint.start_time), _utc_seconds(constraint.end_time)
        return f"{a // 3600:02d}:{a % 3600 // 60:02d}-{b // 3600:02d}:{b % 3600 // 60:02d} UTC"
    start = _start_date(constraint)
    return "no constraint" if start is None else f"from {start}"


def _utc_seconds(t: time) -> int:
    if t.tzinfo is not None:
        t = datetime.combine(date(1970, 1, 1), t).astimezone(UTC).time()
    return t.hour * 3600 + t.minute * 60 + t.second


def _day_segments(constraints: Sequence[gp.TimeOfDateConstraint]) -> list[tuple[time, int]]:
    """The UTC day cut at every time-of-day boundary: (segment start as UTC time, seconds)."""
    cuts = sorted({0} | {_utc_seconds(t) for c in constraints for t in (c.start_time, c.end_time)})
    ends = [*cuts[1:], 86400]
    return [(time(s // 3600, s % 3600 // 60, s % 60, tzinfo=UTC), e - s) for s, e in zip(cuts, ends)]


def _entry_at(entries: Sequence[gp.ConditionalPrice], ts: datetime) -> int:
    """Index of the ConditionalPrice genai-prices uses at `ts` (last active wins, else the first)."""
    for i in range(len(entries) - 1, -1, -1):
        c = entries[i].constraint
        if c is None or c.active(ts):
            return i
    return 0


def _standard_entry(model: gp.ModelInfo, day: date) -> int | None:
    """Index of the model's ConditionalPrice that is THE price of `day` (None: a plain ModelPrice).

    Without time-of-day prices this is exactly ModelInfo.get_prices on that UTC day. With them
    (DeepSeek peak / off-peak windows) the day has several prices; the catalog keeps one per day:
    the price genai-prices applies for the most hours of that UTC day (ties: the later entry)."""
    if isinstance(model.prices, gp.ModelPrice):
        return None
    entries = model.prices
    tods = [cp.constraint for cp in entries if isinstance(cp.constraint, gp.TimeOfDateConstraint)]
    if not tods:
        return _entry_at(entries, datetime.combine(day, time(0, tzinfo=UTC)))
    hours: Counter[int] = Counter()
    for start, seconds in _day_segments(tods):
        hours[_entry_at(entries, datetime.combine(day, start))] += seconds
    return max(hours, key=lambda i: (hours[i], i))


def _standard_at(model: gp.ModelInfo, day: date) -> dict[str, _Price]:
    idx = _standard_entry(model, day)
    if idx is None:
        assert isinstance(model.prices, gp.ModelPrice)
        return _price_items(model.prices)
    assert isinstance(model.prices, list)
    return _price_items(model.prices[idx].prices)


def _variant_at(model: gp.ModelInfo, when: Mapping[str, str], day: date) -> dict[str, _Price] | None:
    """Overrides of the variants with this exact `when` in force on `day` (first one wins per key,
    as in ModelInfo.get_prices), or None when no such variant is in force."""
    overrides: dict[str, _Price] = {}
    found = False
    for v in model.price_variants or ():
        if v.when != when or _is_time_of_day(v.constraint) or not _active(v.constraint, day):
            continue
        found = True
        for k, p in _price_items(v.prices).items():
            overrides.setdefault(k, p)
    return overrides if found else None


def _buckets(prices: Mapping[str, _Price]) -> dict[str, _Price] | None:
    inp, out = prices.get("input_mtok"), prices.get("output_mtok")
    if inp is None or out is None:
        return None
    cache_read = prices.get("cache_read_mtok")
    cache_write = prices.get("cache_write_mtok")
    if cache_write is None:
        cache_write = prices.get("cache_write_5m_mtok")
    return {
        "input_uncached": inp,
        "cache_read": inp if cache_read is None else cache_read,
        "cache_write": inp if cache_write is None else cache_write,
        "output": out,
    }


def _scale(price: _Price, factor: Decimal) -> _Price:
    if isinstance(price, gp.TieredPrices):
        return gp.TieredPrices(
            base=price.base * factor, tiers=[gp.Tier(start=t.start, price=t.price * factor) for t in price.tiers]
        )
    return price * factor


def _thresholds(price: _Price) -> list[tuple[int, Decimal]]:
    """(min_input_tokens, price): 0 for the base; Tier.start + 1 for a tier (applies when > start)."""
    if isinstance(price, gp.TieredPrices):
        return [(0, price.base)] + [(t.start + 1, t.price) for t in price.tiers]
    return [(0, price)]


def _periods(starts: Iterable[date]) -> list[tuple[date, date | None]]:
    bounds = sorted({d for d in starts if d > OPEN_START})
    edges: list[date] = [OPEN_START, *bounds]
    return [(edges[i], edges[i + 1] if i + 1 < len(edges) else None) for i in range(len(edges))]


def _model_starts(model: gp.ModelInfo) -> set[date]:
    if isinstance(model.prices, gp.ModelPrice):
        return set()
    return {d for cp in model.prices if (d := _start_date(cp.constraint)) is not None}


def _variant_starts(model: gp.ModelInfo, when: Mapping[str, str]) -> set[date]:
    return {d for v in model.price_variants or () if v.when == when and (d := _start_date(v.constraint)) is not None}


def _build(snap: data_snapshot.DataSnapshot) -> _Built:
    stats = CatalogStats(source=_source_label(snap))
    by_id = _provider_index(snap)
    rows: list[tuple[str, str, str, str, int, Decimal, date, date | None]] = []
    seen_models: set[tuple[str, str]] = set()
    ignored: Counter[str] = Counter()
    known_whens = [sorted(w.items()) for w in _VARIANT_WHEN.values()]

    for ours, gp_id in PROVIDERS.items():
        provider = by_id.get(gp_id)
        if provider is None:
            continue
        n_models = 0
        for model, own, origin in _catalog_models(provider, by_id):
            first_visit = (origin, model.id) not in seen_models
            if first_visit:
                seen_models.add((origin, model.id))
                stats.time_of_day_variants_skipped += sum(
                    _is_time_of_day(v.constraint) for v in model.price_variants or ()
                )
                for v in model.price_variants or ():
                    if sorted(v.when.items()) not in known_whens:
                        ignored[",".join(f"{k}={val}" for k, val in sorted(v.when.items()))] += 1
                if isinstance(model.prices, list) and any(_is_time_of_day(cp.constraint) for cp in model.prices):
                    used = {_standard_entry(model, frm) for frm, _ in _periods(_model_starts(model))}
                    stats.time_of_day_models.append(f"{origin}:{model.id}")
                    for i, cp in enumerate(model.prices):
                        if i not in used:
                            stats.time_of_day_prices_skipped += 1
                            stats.time_of_day_skipped.append(
                                f"{origin}:{model.id} prices[{i}] ({_describe(cp.constraint)}): {cp.prices}"
                            )

            std_starts = _model_starts(model)
            n_before = len(rows)
            for tier in SERVICE_TIERS:
                when = _VARIANT_WHEN.get(tier)
                starts = std_starts | (_variant_starts(model, when) if (when and own) else set())
                for frm, to in _periods(starts):
                    std = _standard_at(model, frm)
                    if when is None:
                        merged: Mapping[str, _Price] | None = _buckets(std)
                    else:
                        overrides = _variant_at(model, when, frm) if own else None
                        if overrides is not None:
                            merged = _buckets({**std, **overrides})
                        elif tier == "batch" and ours in BATCH_DISCOUNT:
                            base = _buckets(std)
                            factor = BATCH_DISCOUNT[ours]
                            merged = None if base is None else {b: _scale(p, factor) for b, p in base.items()}
                        else:
                            merged = None
                    if merged is None:
                        continue
                    for bucket in TOKEN_BUCKETS:
                        for min_tokens, price in _thresholds(merged[bucket]):
                            rows.append((ours, model.id, bucket, tier, min_tokens, price, frm, to))
            if len(rows) > n_before:
                n_models += 1
            else:
                stats.models_without_token_prices.append((ours, model.id))
        stats.models_per_provider[ours] = n_models

    order = {b: i for i, b in enumerate(TOKEN_BUCKETS)} | {t: i for i, t in enumerate(SERVICE_TIERS)}
    rows.sort(key=lambda r: (r[0], r[1], order[r[2]], order[r[3]], r[4], r[6]))

    prices: list[Decimal] = []
    for r in rows:
        q = r[5].quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
        if q != r[5]:
            stats.prices_rounded += 1
            if len(stats.rounded_examples) < 20:
                stats.rounded_examples.append(f"{r[0]}:{r[1]}:{r[2]}:{r[3]}:{r[4]} {r[5]} -> {q}")
        prices.append(q)

    cols = list(zip(*rows)) if rows else [()] * 8
    table = pa.Table.from_arrays(
        [
            pa.array(cols[0], pa.string()),
            pa.array(cols[1], pa.string()),
            pa.array(cols[2], pa.string()),
            pa.array(cols[3], pa.string()),
            pa.array(cols[4], pa.int64()),
            pa.array(prices, PRICE_TYPE),
            pa.array(cols[6], pa.date32()),
            pa.array(cols[7], pa.date32()),
            pa.array([stats.source] * len(rows), pa.string()),
        ],
        schema=CATALOG_SCHEMA,
    )
    stats.rows_per_provider = dict(Counter(cols[0]))
    stats.variants_ignored = dict(sorted(ignored.items()))
    return _Built(snap, table, stats)


def _current() -> _Built:
    global _built
    snap = data_snapshot.get_snapshot()
    if _built is None or _built.snapshot is not snap:
        _built = _build(snap)
    return _built


def catalog_table() -> pa.Table:
    """The price catalog (schema CATALOG_SCHEMA), built once per genai-prices snapshot and cached."""
    return _current().table


def catalog_stats() -> CatalogStats:
    """What building the current catalog skipped, rounded or ignored."""
    return _current().stats


# --------------------------------------------------------------------------------------------
# Amazon Bedrock billing names
# --------------------------------------------------------------------------------------------

# AWS bills Bedrock by usage type and names the model there by a BILLING name that is not the model
# id an application sends: `USE1-Claude3.5Sonnet-input-tokens` (AmazonBedrock / AmazonBedrockService
# usage types) or the Marketplace service "Claude Sonnet 4.5 (Amazon Bedrock Edition)" (Anthropic and
# other third-party models). The focus_aws adapter puts that name in x_Model (`parse_bedrock_usage_type`);
# this table maps it to the model id an application logs for the same model, which `resolve_model`
# then resolves like any logged name, so a bill line and a call meet on the same catalog model.
#
# One spelling per model is listed; `_billing_key` makes the lookup blind to case, spaces, dots,
# hyphens, underscores, a trailing ".0" ("Nova2.0Lite" = "Nova 2 Lite"), the words "Instruct" / "IT",
# a leading vendor ("Meta Llama 3 8B", "anthropic.claude-haiku-4-5" as in mantle usage types), a
# trailing " (Amazon Bedrock Edition)", and the place of the version number ("Claude4.5Sonnet" =
# "Claude Sonnet 4.5" = "Claude 4.5 Sonnet"). Hyphens between digits read as a decimal point, as in
# AWS's own "Llama3-1-70B" (= Llama 3.1 70B).
#
# The id is the in-region id (no us./eu./global. prefix), so a name resolves to the catalog's
# REGIONAL model. Usage types of cross-region global inference ("...-cross-region-global") carry
# the same billing name; the adapter drops that suffix. A name that still ends with a routing word
# ("Claude4.5Sonnet global", "... cross-region-global") resolves to the global model instead.
#
# Only names whose model the catalog prices are listed (a test checks every one). Sources: the AWS
# Price List (offers AmazonBedrock, AmazonBedrockService, AmazonBedrockFoundationModels: usagetype,
# `model` and `servicename` attributes) as quoted in public code, AWS's CUR guide
# (https://docs.aws.amazon.com/bedrock/latest/userguide/cost-mgmt-understanding-cur-data.html) and
# AWS's cost-attribution post (USE1-Claude4.6Sonnet-input-tokens, USE1-Claude4.6Opus-...).
BEDROCK_BILLING_NAMES: dict[str, str] = {
    # -- Anthropic: usage types Claude<version><family>, Marketplace "Claude <family> <version>"
    "Claude3Haiku": "anthropic.claude-3-haiku-20240307-v1:0",
    "Claude3Sonnet": "anthropic.claude-3-sonnet-20240229-v1:0",
    "Claude3Opus": "anthropic.claude-3-opus-20240229-v1:0",
    "Claude3.5Haiku": "anthropic.claude-3-5-haiku-20241022-v1:0",
    # Ambiguous: Claude 3.5 Sonnet v1 (20240620) and v2 (20241022) are both "Claude 3.5 Sonnet" to a
    # reader; the bare name resolves to v1, the model first sold under it. The catalog prices v1 and
    # v2 identically (every bucket, tier and period: a test checks it), so the cost is the same.
    "Claude3.5Sonnet": "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "Claude3.5SonnetV2": "anthropic.claude-3-5-sonnet-20241022-v2:0",
    "Claude3.7Sonnet": "anthropic.claude-3-7-sonnet-20250219-v1:0",
    "Claude4Sonnet": "anthropic.claude-sonnet-4-20250514-v1:0",
    "Claude4.5Sonnet": "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "Claude4.6Sonnet": "anthropic.claude-sonnet-4-6",
    "Claude4Opus": "anthropic.claude-opus-4-20250514-v1:0",
    "Claude4.1Opus": "anthropic.claude-opus-4-1-20250805-v1:0",
    "Claude4.5Opus": "anthropic.claude-opus-4-5-20251101-v1:0",
    "Claude4.6Opus": "anthropic.claude-opus-4-6-v1",
    "Claude Opus 4.7": "anthropic.claude-opus-4-7",
    "Claude Opus 4.8": "anthropic.claude-opus-4-8",
    "Claude4.5Haiku": "anthropic.claude-haiku-4-5-20251001-v1:0",
    "Claude Sonnet 5": "anthropic.claude-sonnet-5",
    "Claude Opus 5": "anthropic.claude-opus-5",
    "Claude Opus 5.5": "anthropic.claude-opus-5-5",
    # -- Amazon
    "NovaMicro": "amazon.nova-micro-v1:0",
    "NovaLite": "amazon.nova-lite-v1:0",
    "NovaPro": "amazon.nova-pro-v1:0",
    "NovaPremier": "amazon.nova-premier-v1:0",
    "Nova2.0Lite": "us.amazon.nova-2-lite-v1:0",  # the catalog has no in-region Nova 2 Lite: regional profile
    "NovaSonic": "amazon.nova-sonic-v1:0",
    "Nova2.0Sonic": "amazon.nova-2-sonic-v1:0",
    "TitanTextExpress": "amazon.titan-text-express-v1",
    "TitanTextLite": "amazon.titan-text-lite-v1",
    # -- Meta: usage types Llama3-1-70B, Price List model "Llama 3.1 70B"
    "Llama3-8B": "meta.llama3-8b-instruct-v1:0",
    "Llama3-70B": "meta.llama3-70b-instruct-v1:0",
    "Llama3-1-8B": "meta.llama3-1-8b-instruct-v1:0",
    "Llama3-1-70B": "meta.llama3-1-70b-instruct-v1:0",
    "Llama3-2-1B": "meta.llama3-2-1b-instruct-v1:0",
    "Llama3-2-3B": "meta.llama3-2-3b-instruct-v1:0",
    "Llama3-2-11B": "meta.llama3-2-11b-instruct-v1:0",
    "Llama3-2-90B": "meta.llama3-2-90b-instruct-v1:0",
    "Llama3-3-70B": "meta.llama3-3-70b-instruct-v1:0",
    "Llama4-Scout-17B": "meta.llama4-scout-17b-instruct-v1:0",
    "Llama4-Maverick-17B": "meta.llama4-maverick-17b-instruct-v1:0",
    # -- Mistral ("Mistral Large" alone is left out: 24.02 and 24.07 are both sold under it, at
    # different prices)
    "Mistral7B": "mistral.mistral-7b-instruct-v0:2",
    "Mixtral8x7B": "mistral.mixtral-8x7b-instruct-v0:1",
    "MistralSmall": "mistral.mistral-small-2402-v1:0",
    "Mistral Large 3": "mistral.mistral-large-3-675b-instruct",
    "Mistral-Large-3-675b-Instruct": "mistral.mistral-large-3-675b-instruct",
    "Pixtral Large 25.02": "mistral.pixtral-large-2502-v1:0",
    "Ministral 3B 3.0": "mistral.ministral-3-3b-instruct",
    "Ministral 8B 3.0": "mistral.ministral-3-8b-instruct",
    "Ministral 14B 3.0": "mistral.ministral-3-14b-instruct",
    "Ministral-3-3b-Instruct": "mistral.ministral-3-3b-instruct",
    "Ministral-3-8b-Instruct": "mistral.ministral-3-8b-instruct",
    "Ministral-3-14b-Instruct": "mistral.ministral-3-14b-instruct",
    "Magistral Small 1.2": "mistral.magistral-small-2509",
    "Voxtral Mini 1.0": "mistral.voxtral-mini-3b-2507",
    "Voxtral Small 1.0": "mistral.voxtral-small-24b-2507",
    # -- DeepSeek, OpenAI, Qwen, Google, NVIDIA, Writer
    "DeepSeek-R1": "deepseek.r1-v1:0",
    "gpt-oss-120b": "openai.gpt-oss-120b-1:0",
    "gpt-oss-20b": "openai.gpt-oss-20b-1:0",
    "Qwen3-32B": "qwen.qwen3-32b-v1:0",
    "Qwen3 Coder 30B A3B": "qwen.qwen3-coder-30b-a3b-v1:0",
    "Qwen3 Coder 480B A35B": "qwen.qwen3-coder-480b-a35b-v1:0",
    "Qwen3 VL 235B A22B": "qwen.qwen3-vl-235b-a22b-v1:0",
    "Gemma-3-4B-IT": "google.gemma-3-4b-it",
    "Gemma-3-12B-IT": "google.gemma-3-12b-it",
    "Gemma-3-27B-IT": "google.gemma-3-27b-it",
    "NVIDIA Nemotron Nano 2": "nvidia.nemotron-nano-9b-v2",
    "Nemotron Nano 3 30B": "nvidia.nemotron-nano-3-30b",
    "NVIDIA Nemotron 3 Super 120B A12B": "nvidia.nemotron-super-3-120b",
    "Palmyra X4": "writer.palmyra-x4-v1:0",
    "Palmyra X5": "writer.palmyra-x5-v1:0",
}

_EDITION_SUFFIX = re.compile(r"\s*\(amazon bedrock( edition)?\)\s*$")
_VENDOR_ID_PREFIX = re.compile(
    r"^(?:amazon|anthropic|meta|mistral|openai|qwen|google|nvidia|writer|deepseek|cohere|ai21)\."
)
_VENDOR_WORDS = frozenset({"amazon", "anthropic", "meta", "nvidia", "writer"})
_NOISE_WORDS = frozenset({"instruct", "it"})
# trailing words naming the routing of the usage (longest first); True = cross-region global
_ROUTING_SUFFIXES: tuple[tuple[tuple[str, ...], bool], ...] = (
    (("cross", "region", "global"), True),
    (("cross", "region", "geo"), False),
    (("global",), True),
    (("geo",), False),
    (("regional",), False),
)
_GEO_PREFIX = re.compile(r"^(?:us|eu|apac|jp|au|in|ca|us-gov)\.")


def _billing_key(name: str) -> tuple[str, bool]:
    """(lookup key, routed globally) of a Bedrock billing name; see BEDROCK_BILLING_NAMES. The key
    is the name's letters in order, '/', its digits in order, after the normalisations listed there."""
    text = _EDITION_SUFFIX.sub("", name.strip().lower())
    text = _VENDOR_ID_PREFIX.sub("", text)
    text = re.sub(r"(\d)\.0(?!\d)", r"\1", text)  # "2.0" -> "2"
    words = re.findall(r"[a-z]+|\d+", text)
    routed_global = False
    for suffix, is_global in _ROUTING_SUFFIXES:
        if len(words) > len(suffix) and tuple(words[-len(suffix) :]) == suffix:
            words, routed_global = words[: -len(suffix)], is_global
            break
    if len(words) > 1 and words[0] in _VENDOR_WORDS:
        words = words[1:]
    words = [w for w in words if w not in _NOISE_WORDS]
    letters = "".join(w for w in words if w.isalpha())
    digits = "".join(w for w in words if w.isdigit())
    return f"{letters}/{digits}", routed_global


def _billing_index(names: Mapping[str, str]) -> dict[str, str]:
    """Lookup key -> model id; two names with one key must name the same model (else ValueError)."""
    index: dict[str, str] = {}
    for name, model_id in names.items():
        key, routed_global = _billing_key(name)
        if routed_global or key.startswith("/"):
            raise ValueError(f"Bedrock billing name {name!r} gives an unusable key {key!r}")
        if index.setdefault(key, model_id) != model_id:
            raise ValueError(f"Bedrock billing names collide on {key!r}: {index[key]!r} and {model_id!r}")
    return index


_BEDROCK_BILLING_INDEX = _billing_index(BEDROCK_BILLING_NAMES)


def bedrock_model_id(billing_name: str) -> str | None:
    """The model id an application logs for a Bedrock billing name ('Claude3.5Sonnet',
    'Claude Sonnet 4.5', 'NovaPro', 'Llama3.1-70B-Instruct'), or None when the name is not in
    BEDROCK_BILLING_NAMES (never a guess). A trailing routing word ('... cross-region-global')
    gives the global inference profile id."""
    if not isinstance(billing_name, str) or not billing_name.strip():
        return None
    key, routed_global = _billing_key(billing_name)
    model_id = _BEDROCK_BILLING_INDEX.get(key)
    if model_id is None or not routed_global:
        return model_id
    return "global." + _GEO_PREFIX.sub("", model_id)


# --------------------------------------------------------------------------------------------
# Model name resolution
# --------------------------------------------------------------------------------------------


def _name_candidates(model_name: str) -> list[str]:
    """The name as given, then light normalisations of source spellings genai-prices misses:
    path prefixes ('models/gemini-2.5-flash', 'openai/gpt-4o', Vertex resource names, ARNs) and
    Azure's dotless 'gpt-35-turbo'."""
    name = model_name.strip().lower()
    out = [name]
    if "/" in name:
        out.append(name.rsplit("/", 1)[1])
    for n in list(out):
        if "gpt-35" in n:
            out.append(n.replace("gpt-35", "gpt-3.5"))
    return [n for i, n in enumerate(out) if n and n not in out[:i]]


@functools.lru_cache(maxsize=100_000)
def _resolve_cached(provider: str, model_name: str, snap_id: int) -> str | None:
    snap = data_snapshot.get_snapshot()
    gp_id = PROVIDERS.get(provider.strip().lower())
    if gp_id is None:
        return None
    found = _find_model(snap, gp_id, model_name)
    if found is None and provider.strip().lower() == "aws_bedrock":
        # not a name genai-prices knows: a Bedrock billing name stands for the id an app logs
        model_id = bedrock_model_id(model_name)
        if model_id is not None:
            found = _find_model(snap, gp_id, model_id)
    return found


def _find_model(snap: data_snapshot.DataSnapshot, gp_id: str, model_name: str) -> str | None:
    for candidate in _name_candidates(model_name):
        try:
            _, model = snap.find_provider_model(candidate, None, gp_id, None)
        except LookupError:
            continue
        return model.id
    return None


def resolve_model(provider: str, model_name: str) -> str | None:
    """Catalog model id (the `model` column of `catalog_table`) for a model name as a source logs it
    ('gpt-4o-2024-08-06' -> 'gpt-4o', 'claude-sonnet-4-20250514' -> 'claude-sonnet-4-0',
    'us.anthropic.claude-3-5-sonnet-20240620-v1:0' under aws_bedrock ->
    'regional.anthropic.claude-3-5-sonnet-20240620-v1:0'), or None when the provider or the name is
    unknown. Under aws_bedrock a name genai-prices does not know is looked up as a Bedrock billing name
    (`bedrock_model_id`: 'Claude3.5Sonnet' from a bill resolves like the id an app logs). Never raises.
    A resolved model can still lack rows (e.g. embeddings: no output price)."""
    if not isinstance(provider, str) or not isinstance(model_name, str) or not model_name.strip():
        return None
    try:
        return _resolve_cached(provider, model_name, id(data_snapshot.get_snapshot()))
    except Exception:  # noqa: BLE001 - resolution must never break a load
        return None


def resolve_models(pairs: Iterable[tuple[str, str]]) -> pa.Table:
    """resolve_model over distinct (provider, model_name) pairs (first-seen order), as a table with
    columns provider, model_name, catalog_model (null when unknown). Pairs with a null provider or
    name are left out (the schema's key columns are not null)."""
    seen: dict[tuple[str, str], None] = {}
    for provider, name in pairs:
        if isinstance(provider, str) and isinstance(name, str):
            seen.setdefault((provider, name), None)
    keys = list(seen)
    return pa.Table.from_arrays(
        [
            pa.array([p for p, _ in keys], pa.string()),
            pa.array([n for _, n in keys], pa.string()),
            pa.array([resolve_model(p, n) for p, n in keys], pa.string()),
        ],
        schema=RESOLVED_SCHEMA,
    )


@dataclass(frozen=True)
class AliasSync:
    """What `sync_model_aliases` did: names added, old unresolved names now resolved, and every
    (provider/name) still unknown."""

    new_names: int
    resolved_again: int
    unknown: list[str]
    days_changed: int = 0  # UTC days of the calls / bill lines of the names resolved again


_SEEN_NAMES_SQL = """
    with seen as (
        select lower(trim(provider)) as provider, model_requested as model_name from raw.calls
        union select lower(trim(provider)), coalesce(model_served, model_requested) from raw.calls
        union select lower(trim("ProviderName")), "x_Model" from raw.bill_lines where "x_Model" <> 'unknown'
    )
    select distinct provider, model_name from seen
    where not exists (select 1 from raw.model_aliases a
                      where a.provider = seen.provider and a.model_name = seen.model_name)
    order by 1, 2
"""


_RESOLVED_AGAIN_DAYS_SQL = """
    select distinct day from (
        select c.started_at::date as day from raw.calls as c join _resolved_again as r
            on lower(trim(c.provider)) = r.provider
            and r.model_name in (c.model_requested, coalesce(c.model_served, c.model_requested))
        union
        select b."ChargePeriodStart"::date from raw.bill_lines as b join _resolved_again as r
            on lower(trim(b."ProviderName")) = r.provider and b."x_Model" = r.model_name
    ) as d
    where day is not null
    order by 1
"""


def sync_model_aliases(con: duckdb.DuckDBPyConnection) -> AliasSync:
    """Bring raw.model_aliases (provider, model_name, catalog_model) up to date with raw.calls and
    raw.bill_lines (which must exist, with raw.changed_days: `ensure_raw_schema`). Names not seen
    before are resolved and inserted. Names an earlier run recorded as unknown (catalog_model null)
    are resolved again and updated where they now resolve, so a newer catalog or billing-name table
    fixes an old warehouse; the days of their calls and bill lines are recorded in raw.changed_days
    (kind 'config') for the next run to rebuild. Resolved rows are kept as they are."""
    con.execute(
        "create table if not exists raw.model_aliases (provider varchar, model_name varchar, catalog_model varchar)"
    )
    stale = con.execute(
        "select distinct provider, model_name from raw.model_aliases where catalog_model is null order by 1, 2"
    ).fetchall()
    again = resolve_models(stale)
    again = again.filter(pc.is_valid(again.column("catalog_model")))
    days: list[date] = []
    if again.num_rows:
        con.register("_resolved_again", again)
        con.execute("""
            update raw.model_aliases as a set catalog_model = r.catalog_model
            from _resolved_again as r
            where a.provider = r.provider and a.model_name = r.model_name and a.catalog_model is null
        """)
        days = [r[0] for r in con.execute(_RESOLVED_AGAIN_DAYS_SQL).fetchall()]
        con.unregister("_resolved_again")
        if days:
            con.executemany(
                "insert into raw.changed_days values (?, 'config', 'raw.model_aliases', now(), null)",
                [[d] for d in days],
            )
    pairs = con.execute(_SEEN_NAMES_SQL).fetchall()
    resolved = resolve_models(pairs)
    if resolved.num_rows:
        con.register("_resolved", resolved)
        con.execute("insert into raw.model_aliases select provider, model_name, catalog_model from _resolved")
        con.unregister("_resolved")
    unknown = con.execute(
        "select provider || '/' || model_name from raw.model_aliases where catalog_model is null order by 1"
    ).fetchall()
    return AliasSync(
        new_names=len(pairs), resolved_again=again.num_rows, unknown=[u[0] for u in unknown], days_changed=len(days)
    )


# --------------------------------------------------------------------------------------------
# Reference lookup
# --------------------------------------------------------------------------------------------


class PriceIndex:
    """Catalog rows indexed by (provider, model, bucket, tier) for repeated `price_for` calls."""

    def __init__(self, table_rows: pa.Table | Iterable[Mapping[str, Any]]):
        rows = table_rows.to_pylist() if isinstance(table_rows, pa.Table) else table_rows
        idx: dict[tuple[str, str, str, str], list[tuple[int, date, date | None, Decimal]]] = {}
        for r in rows:
            key = (r["provider"], r["model"], r["token_bucket"], r["service_tier"])
            idx.setdefault(key, []).append(
                (int(r["min_input_tokens"]), r["valid_from"], r["valid_to"], Decimal(r["price_per_mtok"]))
            )
        for entries in idx.values():
            entries.sort(key=lambda e: e[0], reverse=True)
        self._idx = idx

    def price(
        self, provider: str, model: str, bucket: str, tier: str, day: date | datetime, input_tokens: int = 0
    ) -> Decimal | None:
        d = _utc_day(day)
        for min_tokens, valid_from, valid_to, price in self._idx.get((provider, model, bucket, tier), ()):
            if min_tokens <= input_tokens and valid_from <= d and (valid_to is None or d < valid_to):
                return price
        return None


_index_cache: tuple[pa.Table, PriceIndex] | None = None


def _utc_day(day: date | datetime) -> date:
    if isinstance(day, datetime):
        if day.tzinfo is not None:
            day = day.astimezone(UTC)
        return day.date()
    return day


def _index_for(table_rows: pa.Table | PriceIndex | Iterable[Mapping[str, Any]]) -> PriceIndex:
    global _index_cache
    if isinstance(table_rows, PriceIndex):
        return table_rows
    if isinstance(table_rows, pa.Table):
        if _index_cache is None or _index_cache[0] is not table_rows:
            _index_cache = (table_rows, PriceIndex(table_rows))
        return _index_cache[1]
    return PriceIndex(table_rows)


def price_for(
    table_rows: pa.Table | PriceIndex | Sequence[Mapping[str, Any]],
    provider: str,
    model: str,
    bucket: str,
    tier: str,
    day: date | datetime,
    input_tokens: int = 0,
) -> Decimal | None:
    """USD per million tokens for one bucket of a call, or None when the catalog has no price.

    The lookup rule (the SQL side implements the same): among the rows of (provider, model, bucket,
    tier) valid on `day` (valid_from <= day < valid_to; a datetime is taken at its UTC date, naive =
    UTC), the one with the largest min_input_tokens <= `input_tokens`, where input_tokens is the
    request's TOTAL input (input_uncached + cache_read + cache_write), as vendors count it for
    long-context tiers. `table_rows`: catalog_table() (indexed once and cached), a PriceIndex, or
    row mappings with the catalog's columns."""
    return _index_for(table_rows).price(provider, model, bucket, tier, day, input_tokens)
