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
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, TypeAlias

import pyarrow as pa
from genai_prices import data_snapshot
from genai_prices import types as gp

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

TOKEN_BUCKETS: tuple[str, ...] = ("input_uncached", "cache_read", "cache_write", "output")
SERVICE_TIERS: tuple[str, ...] = ("standard", "batch", "priority")
OPEN_START = date(2000, 1, 1)  # valid_from of a price that has no start date
PRICE_SCALE = 6
PRICE_TYPE = pa.decimal128(18, PRICE_SCALE)
_QUANTUM = Decimal(1).scaleb(-PRICE_SCALE)

CATALOG_SCHEMA = pa.schema([
    pa.field("provider", pa.string(), nullable=False),
    pa.field("model", pa.string(), nullable=False),
    pa.field("token_bucket", pa.string(), nullable=False),
    pa.field("service_tier", pa.string(), nullable=False),
    pa.field("min_input_tokens", pa.int64(), nullable=False),
    pa.field("price_per_mtok", PRICE_TYPE, nullable=False),
    pa.field("valid_from", pa.date32(), nullable=False),
    pa.field("valid_to", pa.date32(), nullable=True),
    pa.field("source", pa.string(), nullable=False),
])

RESOLVED_SCHEMA = pa.schema([
    pa.field("provider", pa.string(), nullable=False),
    pa.field("model_name", pa.string(), nullable=False),
    pa.field("catalog_model", pa.string(), nullable=True),
])

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


def _catalog_models(provider: gp.Provider, by_id: Mapping[str, gp.Provider]) -> Iterator[tuple[gp.ModelInfo, bool, str]]:
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
        t = datetime.combine(date(1970, 1, 1), t).astimezone(timezone.utc).time()
    return t.hour * 3600 + t.minute * 60 + t.second


def _day_segments(constraints: Sequence[gp.TimeOfDateConstraint]) -> list[tuple[time, int]]:
    """The UTC day cut at every time-of-day boundary: (segment start as UTC time, seconds)."""
    cuts = sorted({0} | {_utc_seconds(t) for c in constraints for t in (c.start_time, c.end_time)})
    ends = [*cuts[1:], 86400]
    return [(time(s // 3600, s % 3600 // 60, s % 60, tzinfo=timezone.utc), e - s) for s, e in zip(cuts, ends)]


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
        return _entry_at(entries, datetime.combine(day, time(0, tzinfo=timezone.utc)))
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
        return gp.TieredPrices(base=price.base * factor,
                               tiers=[gp.Tier(start=t.start, price=t.price * factor) for t in price.tiers])
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
                    _is_time_of_day(v.constraint) for v in model.price_variants or ())
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
                                f"{origin}:{model.id} prices[{i}] ({_describe(cp.constraint)}): {cp.prices}")

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
    unknown. Never raises. A resolved model can still lack rows (e.g. embeddings: no output price)."""
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
                (int(r["min_input_tokens"]), r["valid_from"], r["valid_to"], Decimal(r["price_per_mtok"])))
        for entries in idx.values():
            entries.sort(key=lambda e: e[0], reverse=True)
        self._idx = idx

    def price(self, provider: str, model: str, bucket: str, tier: str, day: date | datetime,
              input_tokens: int = 0) -> Decimal | None:
        d = _utc_day(day)
        for min_tokens, valid_from, valid_to, price in self._idx.get((provider, model, bucket, tier), ()):
            if min_tokens <= input_tokens and valid_from <= d and (valid_to is None or d < valid_to):
                return price
        return None


_index_cache: tuple[pa.Table, PriceIndex] | None = None


def _utc_day(day: date | datetime) -> date:
    if isinstance(day, datetime):
        if day.tzinfo is not None:
            day = day.astimezone(timezone.utc)
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


def price_for(table_rows: pa.Table | PriceIndex | Sequence[Mapping[str, Any]], provider: str, model: str,
              bucket: str, tier: str, day: date | datetime, input_tokens: int = 0) -> Decimal | None:
    """USD per million tokens for one bucket of a call, or None when the catalog has no price.

    The lookup rule (the SQL side implements the same): among the rows of (provider, model, bucket,
    tier) valid on `day` (valid_from <= day < valid_to; a datetime is taken at its UTC date, naive =
    UTC), the one with the largest min_input_tokens <= `input_tokens`, where input_tokens is the
    request's TOTAL input (input_uncached + cache_read + cache_write), as vendors count it for
    long-context tiers. `table_rows`: catalog_table() (indexed once and cached), a PriceIndex, or
    row mappings with the catalog's columns."""
    return _index_for(table_rows).price(provider, model, bucket, tier, day, input_tokens)
