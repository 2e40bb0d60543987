"""Deterministic demo data: LLM call logs, FOCUS vendor bills and the ground truth behind them.

`generate(landing_dir)` simulates one month of LLM API traffic of a multi-tenant SaaS product and
writes what a real deployment would receive, in the landing layout the loaders read:

    calls/canonical/YYYY/MM/DD/calls-YYYY-MM-DD.jsonl   (every 3rd day: .parquet, see parquet_days)
    billing/focus/<provider>/<provider>-YYYY-MM.csv     (FOCUS columns = ingest.schemas.BILL_FIELDS)
    _demo/ground_truth.csv                              (true cost per UTC day x tenant x feature)
    _demo/manifest.json                                 (parameters and totals; also returned)

The `_demo/` folder is outside calls/ and billing/, so loaders never pick it up.

How the data is made (all of it from `random.Random`, seeded; money in `decimal.Decimal`):
- True calls are simulated per UTC day: tenants (weighted by revenue) x the features they use,
  prompt templates with versions, environments, regions, users, provider prompt caching,
  an application cache (app_hit calls carry zero tokens), a router (rerouted calls are served by a
  cheaper model of the same provider), a batch feature, reasoning tokens, a few errors, and one
  spike day where one tenant x feature runs at SPIKE_FACTOR times its normal traffic.
- A call's true cost is exact: tokens * price_per_mtok / 1e6 for every token bucket, with the
  price row valid at the UTC date of started_at for (provider, served model, bucket, tier).
- The vendor bill has one Usage line per provider x sub-account x UTC day x served model x bucket x
  tier with nonzero tokens, priced over ALL true calls and rounded to cents (ROUND_HALF_UP), plus
  exactly one Credit line.
- About 1% of the true calls never reach the logs (but are billed). They are chosen
  systematically, not at random: in each (tenant, feature) stream, in (started_at, call_id) order
  and not counting app cache hits, every MISSING_EVERY-th call is lost, starting at a per-stream
  phase (see choose_missing_phases, is_missing). So every stream loses ~1% of its calls and of its
  cost, and so does every provider x account x day: allocating the bill onto the logged calls
  gives every tenant x feature its true cost back within a few tenths of a percent.
- Timestamps in JSONL are ISO 8601, mostly with 'Z', some with '+00:00' and ~0.5% with a non-UTC
  offset (local time of the logging host); the UTC instant decides the day everywhere.

Same arguments -> byte-identical files: everything is sorted and no wall-clock time is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingest.catalog import catalog_table, price_for, resolve_model
from ingest.config import default_config_dir
from ingest.schemas import BILL_FIELDS, CALL_FIELDS, CALL_SCHEMA

DEFAULT_REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"
# The demo company's negotiated rates: written into its config dir (price_overrides.csv) by generate(),
# as a company would write its own (ingest.company_config).
DEMO_PRICE_OVERRIDES = Path(__file__).resolve().parent / "demo_price_overrides.csv"

BUCKETS: tuple[str, ...] = ("input_uncached", "cache_read", "cache_write", "output")
TOKEN_COLUMN: dict[str, str] = {
    "input_uncached": "input_uncached_tokens",
    "cache_read": "cache_read_tokens",
    "cache_write": "cache_write_tokens",
    "output": "output_tokens",
}
TIERS: tuple[str, ...] = ("standard", "batch")
MTOK = Decimal(1_000_000)
CENT = Decimal("0.01")
EXACT = Decimal("1e-12")  # every true cost has at most 12 decimals (6 in the price, / 1e6)

SPIKE_DAY_INDEX = 19  # 2026-10-20 with the default start
SPIKE_TENANT = "t005"
SPIKE_FEATURE = "support_triage"
SPIKE_FACTOR = 5

# A legacy code path still calls code_review's first prompt: LEGACY_SHARE_BEFORE of review_diff's
# calls carry the legacy template's name until the migration day, LEGACY_SHARE_AFTER after it (the
# trickle fct_retirement_candidates is for). Labels only: tokens, costs and bills do not change.
LEGACY_FEATURE, LEGACY_OF, LEGACY_TEMPLATE = "code_review", "review_diff", "review_diff_legacy"
LEGACY_MIGRATION_DAY_INDEX = 12  # 2026-10-13 with the default start
LEGACY_SHARE_BEFORE, LEGACY_SHARE_AFTER = 0.35, 0.03

MISSING_EVERY = 100  # ~1% of the non-app-hit calls of every (tenant, feature) stream are not logged
# choose_missing_phases: relative deviation of the lost cost from 1/MISSING_EVERY that counts as
# equally bad for an (account-day, stream), and how many greedy passes it makes
PHASE_TOLERANCES = (0.004, 0.001)
PHASE_PASSES = 2

APP_HIT_RATE = 0.08  # share of the calls of app-cached features answered from the app cache
TENANT_WEIGHT_EXPONENT = 0.45  # traffic grows with revenue, less than proportionally
TOKEN_SIGMA = 0.2  # lognormal spread of token counts around a template's mean
CACHE_WRITE_RATE = 0.05  # anthropic calls whose cached prefix had expired and is written again
ERROR_RATE = 0.006  # calls that fail after the provider billed tokens
OFFSET_TIMESTAMP_RATE = 0.005  # JSONL timestamps written in a non-UTC offset
PLUS_ZERO_TIMESTAMP_RATE = 0.10  # JSONL timestamps written with '+00:00' instead of 'Z'
COMPACT_RECORD_RATE = 0.30  # JSONL records that omit keys holding a default value
NO_LATENCY_RATE = 0.01
ENVIRONMENTS: tuple[tuple[str, float], ...] = (("prod", 0.80), ("staging", 0.15), ("dev", 0.05))
NON_UTC_OFFSETS_MIN: tuple[int, ...] = (120, -300, 330, -420)
WEEKDAY_FACTOR: tuple[float, ...] = (1.1, 1.1, 1.1, 1.1, 1.1, 0.75, 0.75)  # Mon..Sun, mean 1.0

# provider -> (sub-account of prod calls, sub-account of staging and dev calls)
SUB_ACCOUNTS: dict[str, tuple[str, str]] = {
    "openai": ("proj_prod", "proj_nonprod"),
    "anthropic": ("wrk_prod", "wrk_dev"),
    "google": ("gcp_prod", "gcp_dev"),
}
BILLING_ACCOUNT_IDS: dict[str, str] = {
    "openai": "org-7Hq2LxA9",
    "anthropic": "org_01JD8W3K5Z",
    "google": "01A2B3-C4D5E6-F7A8B9",
}
REGIONS: dict[str, dict[str, str]] = {
    "openai": {"us": "us", "eu": "eu"},
    "anthropic": {"us": "us", "eu": "eu"},
    "google": {"us": "us-central1", "eu": "europe-west4"},
}
# the one Credit line of the demo: (provider, sub-account, day index, amount)
CREDIT = ("anthropic", "wrk_prod", 9, Decimal("-25.00"))

# latency model per served model: (base ms, ms per output token)
LATENCY: dict[str, tuple[int, float]] = {
    "gpt-4o": (420, 9.0), "gpt-4o-mini": (260, 5.0), "o3-mini": (900, 6.0),
    "claude-opus-4-20250514": (950, 22.0), "claude-sonnet-4-20250514": (620, 12.0), "claude-3-5-haiku-20241022": (310, 6.0),
    "gemini-1.5-pro": (700, 10.0), "gemini-2.0-flash": (240, 4.0),
}
REASONING_MODELS = frozenset({"o3-mini"})
# Vendors bill dated snapshot ids where apps log the alias: the warehouse resolves both to one model.
BILL_MODEL_IDS: dict[str, str] = {
    "gpt-4o": "gpt-4o-2024-08-06", "gpt-4o-mini": "gpt-4o-mini-2024-07-18", "o3-mini": "o3-mini-2025-01-31",
    "gemini-2.0-flash": "gemini-2.0-flash-001", "gemini-1.5-pro": "gemini-1.5-pro-002",
}
_HOURS = tuple(range(24))


# --------------------------------------------------------------------------------------------
# reference data (also the dbt seeds)


@dataclass(frozen=True)
class Override:
    provider: str
    model: str  # catalog model id
    bucket: str
    tier: str
    price_per_mtok: Decimal
    valid_from: date
    valid_to: date | None  # exclusive; None = open


class PriceBook:
    """The vendor's truth for the demo: a negotiated override valid that day, else the list price of
    the genai-prices catalog (ingest.catalog.price_for), for the catalog model a name resolves to."""

    def __init__(self, overrides: Iterable[Override]) -> None:
        self._overrides: dict[tuple[str, str, str, str], list[Override]] = defaultdict(list)
        for row in overrides:
            self._overrides[(row.provider, row.model, row.bucket, row.tier)].append(row)
        self._catalog = catalog_table()
        self._cache: dict[tuple[str, str, str, str, date, int], Decimal] = {}

    def price(self, provider: str, model: str, bucket: str, tier: str, day: date, input_tokens: int = 0) -> Decimal:
        key = (provider, model, bucket, tier, day, input_tokens)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        catalog_model = resolve_model(provider, model) or model
        found = None
        for row in self._overrides.get((provider, catalog_model, bucket, tier), ()):
            if row.valid_from <= day and (row.valid_to is None or day < row.valid_to):
                found = row.price_per_mtok
        if found is None:
            found = price_for(self._catalog, provider, catalog_model, bucket, tier, day, input_tokens)
        if found is None:
            raise KeyError(f"no price for {provider}/{model}/{bucket}/{tier} on {day}")
        self._cache[key] = found
        return found

    def changes(self) -> list[tuple[str, str, date]]:
        """(provider, model, day) of every override start: the demo's mid-period price change."""
        return sorted({(r.provider, r.model, r.valid_from) for rows in self._overrides.values() for r in rows})


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    tenant_name: str
    plan: str
    monthly_revenue_usd: Decimal


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_demo_config(config_dir: Path) -> None:
    """The demo company's config dir: its negotiated rates, unless the dir already has a price_overrides.csv."""
    target = Path(config_dir) / "price_overrides.csv"
    if not target.exists():
        _write(target, DEMO_PRICE_OVERRIDES.read_bytes())


def load_prices(overrides_csv: Path = DEMO_PRICE_OVERRIDES) -> PriceBook:
    rows = []
    for r in _read_csv(overrides_csv):
        if r["token_bucket"] not in BUCKETS or r["service_tier"] not in TIERS:
            raise ValueError(f"price_overrides.csv: unknown bucket or tier in {r}")
        rows.append(Override(
            provider=r["provider"], model=r["model"], bucket=r["token_bucket"], tier=r["service_tier"],
            price_per_mtok=Decimal(r["price_per_mtok"]), valid_from=date.fromisoformat(r["valid_from"]),
            valid_to=date.fromisoformat(r["valid_to"]) if r["valid_to"] else None,
        ))
    return PriceBook(rows)


def load_tenants(reference_dir: Path) -> list[Tenant]:
    tenants = [Tenant(r["tenant_id"], r["tenant_name"], r["plan"], Decimal(r["monthly_revenue_usd"]))
               for r in _read_csv(reference_dir / "tenants.csv")]
    return sorted(tenants, key=lambda t: t.tenant_id)


# --------------------------------------------------------------------------------------------
# the product: features, prompt templates, tenants' usage


@dataclass(frozen=True)
class TemplateVersion:
    version: str
    from_day: int  # first day index (0-based) the version is live
    prefix_tokens: int  # stable system prompt: what provider prompt caching can reuse
    input_mean: int  # variable input tokens (lognormal mean)
    output_mean: int  # visible output tokens (lognormal mean)
    reasoning_mean: int = 0  # reasoning tokens, reasoning models only


@dataclass(frozen=True)
class Template:
    name: str
    weight: float
    versions: tuple[TemplateVersion, ...]

    def version_on(self, day_index: int) -> TemplateVersion:
        live = [v for v in self.versions if v.from_day <= day_index]
        return live[-1] if live else self.versions[0]


@dataclass(frozen=True)
class Feature:
    name: str
    provider: str
    model: str  # model the application requests
    weight: float  # relative traffic inside a tenant that uses the feature
    templates: tuple[Template, ...]
    reroute_to: str | None = None  # the feature goes through the router, which may pick this model
    reroute_rate: float = 0.0  # share of the non-app-hit calls the router sends to reroute_to
    app_cache: bool = False  # exact-match application cache in front of the provider
    tier: str = "standard"
    nightly: bool = False  # scheduled job: runs 01-04 UTC, prod only, no end user

    @property
    def template_cum_weights(self) -> tuple[float, ...]:
        return tuple(itertools.accumulate(t.weight for t in self.templates))


def _tv(version: str, from_day: int, prefix: int, inp: int, out: int, reasoning: int = 0) -> TemplateVersion:
    return TemplateVersion(version, from_day, prefix, inp, out, reasoning)


FEATURES: tuple[Feature, ...] = (
    Feature("chat_assistant", "anthropic", "claude-sonnet-4-20250514", 3.0, (
        Template("chat_system", 0.7, (_tv("v1", 0, 2400, 1400, 380), _tv("v2", 12, 3100, 1400, 340))),
        Template("chat_followup", 0.3, (_tv("v1", 0, 2400, 1800, 330),)),
    ), reroute_to="claude-3-5-haiku-20241022", reroute_rate=0.35),
    Feature("doc_summarizer", "google", "gemini-1.5-pro", 3.0, (
        Template("summarize_document", 0.6, (_tv("v1", 0, 0, 30000, 1000), _tv("v2", 18, 0, 30000, 800))),
        Template("summarize_thread", 0.4, (_tv("v1", 0, 0, 22000, 900),)),
    ), reroute_to="gemini-2.0-flash", reroute_rate=0.2),
    Feature("search_rerank", "openai", "gpt-4o-mini", 3.0, (
        Template("rerank_topk", 1.0, (_tv("v1", 0, 3000, 18000, 300), _tv("v2", 8, 3400, 16000, 300))),
    ), app_cache=True),
    Feature("code_review", "anthropic", "claude-opus-4-20250514", 2.0, (
        Template("review_diff", 0.7, (_tv("v1", 0, 4000, 3500, 900),)),
        Template("review_security", 0.3, (_tv("v1", 0, 5200, 3000, 800),)),
    )),
    Feature("email_drafter", "openai", "gpt-4o", 3.0, (
        Template("draft_reply", 0.6, (_tv("v1", 0, 1100, 4000, 550), _tv("v2", 5, 1300, 4000, 520))),
        Template("draft_outreach", 0.4, (_tv("v1", 0, 1100, 3200, 650),)),
    ), reroute_to="gpt-4o-mini", reroute_rate=0.2),
    Feature("support_triage", "anthropic", "claude-3-5-haiku-20241022", 2.5, (
        Template("triage_ticket", 0.6, (_tv("v1", 0, 1800, 5000, 260), _tv("v2", 15, 2000, 5000, 240),
                                         _tv("v3", 25, 2000, 4600, 220))),
        Template("suggest_macro", 0.4, (_tv("v1", 0, 1500, 4200, 300),)),
    ), app_cache=True),
    Feature("nightly_report", "openai", "gpt-4o", 1.5, (
        Template("report_daily", 1.0, (_tv("v1", 0, 2000, 12000, 1500),)),
    ), tier="batch", nightly=True),
    Feature("sql_copilot", "openai", "o3-mini", 2.0, (
        Template("nl_to_sql", 0.6, (_tv("v1", 0, 6000, 800, 250, 2500),)),
        Template("explain_query", 0.4, (_tv("v1", 0, 5000, 1400, 350, 2000), _tv("v2", 10, 5000, 1400, 300, 1800))),
    )),
    Feature("onboarding_tips", "google", "gemini-1.5-pro", 2.0, (
        Template("tips_welcome", 1.0, (_tv("v1", 0, 0, 16000, 400),)),
    ), app_cache=True),
    Feature("translation", "google", "gemini-2.0-flash", 2.5, (
        Template("translate_document", 0.7, (_tv("v1", 0, 0, 6000, 6500), _tv("v2", 20, 0, 6200, 6500))),
        Template("translate_ui", 0.3, (_tv("v1", 0, 0, 4500, 5000),)),
    ), app_cache=True),
)
FEATURE_BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}

# Features of a plan: (always used, drawn per tenant from, how many drawn). The router-backed
# features with a big price gap (email_drafter, doc_summarizer) are enterprise-only: a stream's
# cost varies a lot from call to call there, and only big streams keep attribution within 0.5%.
PLAN_FEATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...], int]] = {
    "enterprise": (tuple(f.name for f in FEATURES), (), 0),
    "growth": (("chat_assistant", "support_triage", "search_rerank"),
               ("translation", "sql_copilot", "onboarding_tips", "code_review", "nightly_report"), 2),
    "starter": (("chat_assistant",), ("support_triage", "search_rerank", "translation", "onboarding_tips"), 1),
}
PLAN_USERS: dict[str, int] = {"enterprise": 300, "growth": 80, "starter": 20}


@dataclass(frozen=True)
class Stream:
    """One tenant x feature: the unit of traffic (and of the missing-call rule)."""

    tenant_id: str
    feature: str
    weight: float  # share of the day's calls
    region: str  # us | eu (the tenant's home)
    users: int


def tenant_weight(tenant: Tenant) -> float:
    """Traffic weight of a tenant: grows with revenue, less than proportionally."""
    return float(tenant.monthly_revenue_usd) ** TENANT_WEIGHT_EXPONENT


def build_streams(tenants: Sequence[Tenant], seed: int) -> list[Stream]:
    """Every tenant x feature in use, with its share of the traffic (tenant share split by feature weight)."""
    total = sum(tenant_weight(t) for t in tenants)
    streams: list[Stream] = []
    for tenant in tenants:
        rng = random.Random(f"{seed}:tenant:{tenant.tenant_id}")
        region = "eu" if rng.random() < 0.3 else "us"
        core, options, draw = PLAN_FEATURES.get(tenant.plan, PLAN_FEATURES["starter"])
        chosen = list(core) + rng.sample(options, min(draw, len(options)))
        if tenant.tenant_id == SPIKE_TENANT and SPIKE_FEATURE not in chosen:
            chosen.append(SPIKE_FEATURE)
        feature_total = sum(FEATURE_BY_NAME[f].weight for f in chosen)
        share = tenant_weight(tenant) / total
        users = PLAN_USERS.get(tenant.plan, 20)
        for name in sorted(chosen):
            streams.append(Stream(tenant.tenant_id, name, share * FEATURE_BY_NAME[name].weight / feature_total,
                                  region, users))
    return streams


# --------------------------------------------------------------------------------------------
# calls


@dataclass
class Call:
    call_id: str
    started_at: datetime  # UTC, millisecond precision
    day: date  # UTC day of started_at
    latency_ms: int | None
    provider: str
    billing_account: str
    model_requested: str
    model_served: str
    environment: str
    region: str
    tenant_id: str
    user_id: str | None
    feature: str
    prompt_template: str
    prompt_version: str
    service_tier: str
    cache_outcome: str
    routing_decision: str
    input_uncached_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    status: str
    utc_offset_min: int = 0  # offset the JSONL timestamp is written with (0 = UTC)
    plus_zero: bool = False  # UTC written as '+00:00' instead of 'Z'
    compact: bool = False  # JSONL record omits keys that hold their default value
    logged: bool = True
    costs: dict[str, Decimal] | None = None  # exact cost per bucket, set by price_calls

    @property
    def cost(self) -> Decimal:
        if self.costs is None:
            raise ValueError(f"{self.call_id} is not priced yet (price_calls)")
        return sum(self.costs.values(), Decimal(0))

    def tokens(self, bucket: str) -> int:
        return getattr(self, TOKEN_COLUMN[bucket])


def parquet_days(start: date, days: int) -> list[date]:
    """Days written as Parquet instead of JSONL: every 3rd day (the 3rd, 6th, ... of the run)."""
    return [start + timedelta(days=i) for i in range(days) if i % 3 == 2]


def is_missing(position: int, phase: int) -> bool:
    """Whether the position-th (1-based, app hits not counted) call of a stream with this phase is lost."""
    return position >= phase and (position - phase) % MISSING_EVERY == 0


def missing_count(non_hit_calls: int, phase: int) -> int:
    """How many calls the systematic rule drops from a stream with this many non-app-hit calls."""
    return 0 if non_hit_calls < phase else (non_hit_calls - phase) // MISSING_EVERY + 1


def _lognormal_int(rng: random.Random, mean: float, sigma: float = TOKEN_SIGMA, low: int = 1) -> int:
    if mean <= 0:
        return 0
    mu = math.log(mean) - sigma * sigma / 2
    return max(low, int(rng.lognormvariate(mu, sigma)))


@lru_cache(maxsize=None)
def _hour_cum_weights(region: str, nightly: bool) -> tuple[float, ...]:
    """Cumulative weights of the UTC hour a call starts in: business hours of the region, or 01-04 at night."""
    if nightly:
        weights = [1.0 if 1 <= h < 4 else 0.0 for h in range(24)]
    else:
        peak = 11.5 if region == "eu" else 17.5
        weights = [0.15 + math.exp(-(((h - peak + 12) % 24 - 12) ** 2) / 18.0) for h in range(24)]
    return tuple(itertools.accumulate(weights))


def _pick(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    x = rng.random() * sum(w for _, w in options)
    for value, w in options:
        x -= w
        if x < 0:
            return value
    return options[-1][0]


def _make_call(rng: random.Random, stream: Stream, day: date, day_index: int) -> Call:
    feature = FEATURE_BY_NAME[stream.feature]
    hour = rng.choices(_HOURS, cum_weights=_hour_cum_weights(stream.region, feature.nightly))[0]
    ms = hour * 3_600_000 + rng.randrange(3_600_000)
    started = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(milliseconds=ms)
    template = rng.choices(feature.templates, cum_weights=feature.template_cum_weights)[0]
    version = template.version_on(day_index)
    environment = "prod" if feature.nightly else _pick(rng, ENVIRONMENTS)
    prod_account, other_account = SUB_ACCOUNTS[feature.provider]
    user_id = None if feature.nightly else f"{stream.tenant_id}-u{int(stream.users * rng.random() ** 2) + 1:04d}"

    cache_outcome = "none"
    if feature.app_cache:
        cache_outcome = "app_hit" if rng.random() < APP_HIT_RATE else "app_miss"
    routing, served = "none", feature.model
    if feature.reroute_to:
        routing = "kept"
        if cache_outcome != "app_hit" and rng.random() < feature.reroute_rate:
            routing, served = "rerouted", feature.reroute_to

    uncached = cache_read = cache_write = output = reasoning = 0
    status = "ok"
    if cache_outcome == "app_hit":
        latency: int | None = rng.randint(2, 15)
    else:
        prefix = version.prefix_tokens
        variable = _lognormal_int(rng, version.input_mean)
        output = _lognormal_int(rng, version.output_mean)
        if served in REASONING_MODELS and version.reasoning_mean:
            reasoning = _lognormal_int(rng, version.reasoning_mean, low=0)
            output += reasoning
        uncached = prefix + variable
        if feature.provider == "anthropic" and prefix >= 1024:
            if rng.random() < CACHE_WRITE_RATE:  # cache expired (5 min TTL): the prefix is written again
                cache_write, uncached = prefix, variable
            else:
                cache_read, uncached = prefix, variable
        elif feature.provider == "openai" and prefix >= 1024 and rng.random() < 0.65:
            cache_read = prefix // 128 * 128  # automatic caching works in 128-token steps
            uncached = prefix + variable - cache_read
        if rng.random() < ERROR_RATE:  # e.g. timeout mid-stream: what was generated is still billed
            status = "error"
            output = max(1, int(output * rng.random() * 0.6))
            reasoning = min(reasoning, output)
        base, per_token = LATENCY[served]
        latency = int((base + per_token * (output - reasoning) + 0.4 * reasoning) * rng.uniform(0.8, 1.4))
        if feature.tier == "batch":
            latency = rng.randint(600_000, 7_200_000)
        if status == "error":
            latency = 60_000 + rng.randint(0, 30_000)
    if rng.random() < NO_LATENCY_RATE:
        latency = None

    utc_offset = 0
    plus_zero = False
    style = rng.random()
    if style < OFFSET_TIMESTAMP_RATE:
        utc_offset = rng.choice(NON_UTC_OFFSETS_MIN)
    elif style < OFFSET_TIMESTAMP_RATE + PLUS_ZERO_TIMESTAMP_RATE:
        plus_zero = True

    call_id = "call_" + f"{rng.getrandbits(96):024x}"
    return Call(
        call_id=call_id,
        started_at=started,
        day=day,
        latency_ms=latency,
        provider=feature.provider,
        billing_account=prod_account if environment == "prod" else other_account,
        model_requested=feature.model,
        model_served=served,
        environment=environment,
        region=REGIONS[feature.provider][stream.region],
        tenant_id=stream.tenant_id,
        user_id=user_id,
        feature=feature.name,
        prompt_template=_template_label(feature.name, template.name, day_index, call_id),
        prompt_version=version.version,
        service_tier=feature.tier,
        cache_outcome=cache_outcome,
        routing_decision=routing,
        input_uncached_tokens=uncached,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        output_tokens=output,
        reasoning_tokens=reasoning,
        status=status,
        utc_offset_min=utc_offset,
        plus_zero=plus_zero,
        compact=rng.random() < COMPACT_RECORD_RATE,
    )


def _template_label(feature: str, template: str, day_index: int, call_id: str) -> str:
    """The template name the call logs: the legacy path's name for a share of LEGACY_OF's calls, drawn
    from the call id (no random draw, so every other value of the demo stays as it was)."""
    if (feature, template) != (LEGACY_FEATURE, LEGACY_OF):
        return template
    share = LEGACY_SHARE_BEFORE if day_index < LEGACY_MIGRATION_DAY_INDEX else LEGACY_SHARE_AFTER
    return LEGACY_TEMPLATE if int(call_id[-8:], 16) < share * 2**32 else template


def spike_day(start: date, days: int) -> date | None:
    return start + timedelta(days=SPIKE_DAY_INDEX) if days > SPIKE_DAY_INDEX else None


def simulate_calls(start: date, days: int, calls_per_day: int, seed: int, streams: Sequence[Stream]) -> list[Call]:
    """All TRUE calls, sorted by (started_at, call_id); all marked logged until mark_missing runs."""
    calls: list[Call] = []
    cum: list[float] = []
    acc = 0.0
    for s in streams:
        acc += s.weight
        cum.append(acc)
    spike = next((s for s in streams if (s.tenant_id, s.feature) == (SPIKE_TENANT, SPIKE_FEATURE)), None)
    for i in range(days):
        day = start + timedelta(days=i)
        rng = random.Random(f"{seed}:calls:{day.isoformat()}")
        n = int(round(calls_per_day * WEEKDAY_FACTOR[day.weekday()] * rng.uniform(0.95, 1.05)))
        picked = rng.choices(streams, cum_weights=cum, k=n)
        if spike is not None and i == SPIKE_DAY_INDEX:
            picked += [spike] * int(round((SPIKE_FACTOR - 1) * n * spike.weight / acc))
        calls.extend(_make_call(rng, stream, day, i) for stream in picked)
    calls.sort(key=lambda c: (c.started_at, c.call_id))
    if len({c.call_id for c in calls}) != len(calls):
        raise RuntimeError("duplicate call_id generated; change the seed")
    return calls


StreamKey = tuple[str, str]  # (tenant_id, feature)


def _missing_candidates(calls: Sequence[Call]) -> dict[StreamKey, list[Call]]:
    """The calls the missing rule counts, per stream, in time order: all but app cache hits."""
    eligible: dict[StreamKey, list[Call]] = defaultdict(list)
    for call in calls:
        if call.cache_outcome != "app_hit":
            eligible[(call.tenant_id, call.feature)].append(call)
    return eligible


def choose_missing_phases(calls: Sequence[Call]) -> dict[StreamKey, int]:
    """Phase (1..MISSING_EVERY) of every stream: which call is the first one lost.

    Every stream loses every MISSING_EVERY-th call; only where the count starts is chosen here, greedily
    (largest streams first, two passes), so that the lost cost is as close as possible to 1/MISSING_EVERY
    of the cost of every stream AND of every provider x billing account x UTC day. Without it, a few
    streams that happen to lose expensive calls on the same day make the bill of that account-day
    deviate by several percent from the logs, which no real log pipeline losing 1% evenly would do.
    Needs priced calls (price_calls). Deterministic: floats only rank the candidates, ties go to the
    lowest phase.
    """
    share = 1.0 / MISSING_EVERY
    eligible = _missing_candidates(calls)
    cost = {id(c): float(c.cost) for c in calls}
    account_day_total: dict[tuple[str, str, date], float] = defaultdict(float)
    for call in calls:
        account_day_total[(call.provider, call.billing_account, call.day)] += cost[id(call)]
    lost: dict[tuple[str, str, date], float] = defaultdict(float)  # lost cost per account-day so far
    tol_account_day, tol_stream = PHASE_TOLERANCES  # relative deviations weighed as equally bad

    def account_day_penalty(key: tuple[str, str, date], lost_cost: float) -> float:
        total = account_day_total[key]
        return ((lost_cost - share * total) / (total * tol_account_day)) ** 2 if total else 0.0

    def drops(stream: list[Call], phase: int) -> dict[tuple[str, str, date], float]:
        by_key: dict[tuple[str, str, date], float] = defaultdict(float)
        for call in stream[phase - 1::MISSING_EVERY]:
            by_key[(call.provider, call.billing_account, call.day)] += cost[id(call)]
        return by_key

    phases: dict[StreamKey, int] = {}
    order = sorted(eligible, key=lambda k: (-sum(cost[id(c)] for c in eligible[k]), k))
    for _ in range(PHASE_PASSES):
        for key in order:
            stream = eligible[key]
            stream_total = sum(cost[id(c)] for c in stream)
            if key in phases:
                for ad, value in drops(stream, phases[key]).items():
                    lost[ad] -= value
            best: tuple[float, int] | None = None
            for phase in range(1, min(MISSING_EVERY, len(stream)) + 1):
                candidate = drops(stream, phase)
                score = sum(account_day_penalty(ad, lost[ad] + value) - account_day_penalty(ad, lost[ad])
                            for ad, value in candidate.items())
                if stream_total:
                    score += ((sum(candidate.values()) - share * stream_total) / (stream_total * tol_stream)) ** 2
                if best is None or score < best[0]:
                    best = (score, phase)
            phases[key] = best[1] if best else MISSING_EVERY
            for ad, value in drops(stream, phases[key]).items():
                lost[ad] += value
    return phases


def mark_missing(calls: Sequence[Call], phases: dict[StreamKey, int]) -> int:
    """Apply the systematic missing-call rule to time-ordered calls; returns how many are lost."""
    lost = 0
    for key, stream in _missing_candidates(calls).items():
        phase = phases.get(key, MISSING_EVERY)
        for position, call in enumerate(stream, start=1):
            call.logged = not is_missing(position, phase)
            lost += not call.logged
    return lost


# --------------------------------------------------------------------------------------------
# pricing


def call_costs(call: Call, prices: PriceBook) -> dict[str, Decimal]:
    """Exact cost per token bucket (buckets with zero tokens are left out)."""
    costs = {}
    for bucket in BUCKETS:
        tokens = call.tokens(bucket)
        if tokens:
            input_tokens = call.input_uncached_tokens + call.cache_read_tokens + call.cache_write_tokens
            price = prices.price(call.provider, call.model_served, bucket, call.service_tier, call.day, input_tokens)
            costs[bucket] = tokens * price / MTOK
    return costs


def price_calls(calls: Iterable[Call], prices: PriceBook) -> None:
    for call in calls:
        call.costs = call_costs(call, prices)


def money(value: Decimal) -> str:
    """Exact decimal text with 12 decimals (DECIMAL(38,12)); refuses to round."""
    exact = value.quantize(EXACT)
    if exact != value:
        raise ValueError(f"{value} has more than 12 decimals")
    return format(exact, "f")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------------------------
# writers


def _write(path: Path, data: bytes) -> None:
    """Write through a temp name and rename, so a loader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _iso(call: Call) -> str:
    if call.utc_offset_min:
        local = call.started_at + timedelta(minutes=call.utc_offset_min)
        sign = "+" if call.utc_offset_min > 0 else "-"
        hh, mm = divmod(abs(call.utc_offset_min), 60)
        suffix = f"{sign}{hh:02d}:{mm:02d}"
    else:
        local = call.started_at
        suffix = "+00:00" if call.plus_zero else "Z"
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f".{local.microsecond // 1000:03d}" + suffix


_DEFAULT_VALUES = {"service_tier": "standard", "cache_outcome": "none", "routing_decision": "none",
                   "status": "ok", "cache_read_tokens": 0, "cache_write_tokens": 0, "reasoning_tokens": 0}


def call_record(call: Call) -> dict[str, object]:
    """The JSONL object of a call: CALL_FIELDS order; absent values are omitted, never null."""
    record: dict[str, object] = {}
    for f in CALL_FIELDS:
        value = getattr(call, f.name, None)  # a canonical field the demo does not fill is absent
        if value is None:
            continue
        if call.compact and (_DEFAULT_VALUES.get(f.name, object()) == value
                             or (f.name == "model_served" and value == call.model_requested)):
            continue
        record[f.name] = _iso(call) if f.name == "started_at" else value
    return record


def calls_jsonl(calls: Sequence[Call]) -> bytes:
    lines = [json.dumps(call_record(c), separators=(",", ":"), ensure_ascii=False) for c in calls]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def calls_parquet(calls: Sequence[Call]) -> bytes:
    """The calls as Parquet with CALL_SCHEMA; started_at as UTC microseconds."""
    arrays = []
    for f in CALL_SCHEMA:
        if f.name == "started_at":
            values: list = [(c.started_at - _EPOCH) // _MICROSECOND for c in calls]
        else:
            values = [getattr(c, f.name, None) for c in calls]
        arrays.append(pa.array(values, type=f.type))
    table = pa.Table.from_arrays(arrays, schema=CALL_SCHEMA)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def calls_path(landing_dir: Path, day: date, parquet: bool) -> Path:
    ext = "parquet" if parquet else "jsonl"
    return landing_dir / "calls" / "canonical" / f"{day:%Y/%m/%d}" / f"calls-{day.isoformat()}.{ext}"


def bill_path(landing_dir: Path, provider: str, year: int, month: int) -> Path:
    return landing_dir / "billing" / "focus" / provider / f"{provider}-{year:04d}-{month:02d}.csv"


@dataclass
class BillLine:
    provider: str
    account: str
    day: date
    model: str
    bucket: str
    tier: str
    tokens: int
    true_cost: Decimal

    @property
    def billed(self) -> Decimal:
        return cents(self.true_cost)


def bill_lines(calls: Iterable[Call]) -> list[BillLine]:
    """Usage lines over ALL true (priced) calls: one per provider x account x day x served model x bucket x tier."""
    grains: dict[tuple[str, str, date, str, str, str], list] = {}
    for call in calls:
        for bucket, cost in (call.costs or {}).items():
            key = (call.provider, call.billing_account, call.day, call.model_served, bucket, call.service_tier)
            acc = grains.setdefault(key, [0, Decimal(0)])
            acc[0] += call.tokens(bucket)
            acc[1] += cost
    order = {b: i for i, b in enumerate(BUCKETS)}
    keys = sorted(grains, key=lambda k: (k[0], k[2], k[1], k[3], order[k[4]], k[5]))
    return [BillLine(*k, tokens=grains[k][0], true_cost=grains[k][1]) for k in keys]


def _ts(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _bill_row(values: dict[str, str]) -> list[str]:
    return [values.get(f.name, "") for f in BILL_FIELDS]


def usage_row(line: BillLine) -> list[str]:
    amount = f"{line.billed:.2f}"
    billed_model = BILL_MODEL_IDS.get(line.model, line.model)
    return _bill_row({
        "ChargePeriodStart": _ts(line.day), "ChargePeriodEnd": _ts(line.day + timedelta(days=1)),
        "ProviderName": line.provider, "BillingAccountId": BILLING_ACCOUNT_IDS[line.provider],
        "SubAccountId": line.account, "ChargeCategory": "Usage", "ChargeClass": "",
        "ChargeDescription": f"{billed_model} {line.bucket.replace('_', ' ')} tokens, {line.tier} tier",
        "SkuId": f"{billed_model}:{line.bucket}:{line.tier}", "ConsumedQuantity": str(line.tokens),
        "ConsumedUnit": "Tokens", "BilledCost": amount, "EffectiveCost": amount, "ListCost": amount,
        "BillingCurrency": "USD", "x_Model": billed_model, "x_TokenBucket": line.bucket, "x_ServiceTier": line.tier,
    })


def credit_row(provider: str, account: str, day: date, amount: Decimal) -> list[str]:
    return _bill_row({
        "ChargePeriodStart": _ts(day), "ChargePeriodEnd": _ts(day + timedelta(days=1)),
        "ProviderName": provider, "BillingAccountId": BILLING_ACCOUNT_IDS[provider], "SubAccountId": account,
        "ChargeCategory": "Credit", "ChargeClass": "", "ChargeDescription": "Promotional credit",
        "SkuId": "promotional-credit", "ConsumedQuantity": "", "ConsumedUnit": "",
        "BilledCost": f"{amount:.2f}", "EffectiveCost": f"{amount:.2f}", "ListCost": "0.00",
        "BillingCurrency": "USD", "x_Model": "unknown", "x_TokenBucket": "unknown", "x_ServiceTier": "standard",
    })


def credit_line(start: date, days: int) -> tuple[str, str, date, Decimal]:
    provider, account, index, amount = CREDIT
    return provider, account, start + timedelta(days=min(index, days - 1)), amount


def _csv_bytes(rows: Iterable[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f.name for f in BILL_FIELDS])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def write_bills(landing_dir: Path, lines: Sequence[BillLine], credit: tuple[str, str, date, Decimal]) -> list[Path]:
    files: dict[tuple[str, int, int], list[tuple[tuple, list[str]]]] = defaultdict(list)
    for i, line in enumerate(lines):
        files[(line.provider, line.day.year, line.day.month)].append(((line.day, 0, i), usage_row(line)))
    c_provider, c_account, c_day, c_amount = credit
    files[(c_provider, c_day.year, c_day.month)].append(
        ((c_day, 1, 0), credit_row(c_provider, c_account, c_day, c_amount)))
    written = []
    for (provider, year, month), rows in sorted(files.items()):
        path = bill_path(landing_dir, provider, year, month)
        _write(path, _csv_bytes(row for _, row in sorted(rows, key=lambda r: r[0])))
        written.append(path)
    return written


# --------------------------------------------------------------------------------------------
# real formats (finops demo --formats real): the same calls and bills in the formats people have

# provider -> (call-log format, cost-report format, usage-report format or None)
REAL_FORMATS: dict[str, tuple[str, str, str | None]] = {
    "openai": ("litellm", "openai_costs", "openai_usage"),
    "anthropic": ("langfuse", "anthropic_cost", "anthropic_usage"),
    "google": ("otel", "focus", None),
}


def full_record(call: Call) -> dict[str, object]:
    """A call as a canonical dict with every field the demo fills and the UTC instant."""
    record = {f.name: getattr(call, f.name, None) for f in CALL_FIELDS}
    record["started_at"] = call.started_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    record["model_served"] = call.model_served
    return {k: v for k, v in record.items() if v is not None}


def write_real_formats(landing_dir: Path, logged: Sequence[Call], lines: Sequence[BillLine],
                       credit: tuple[str, str, date, Decimal]) -> None:
    from ingest.adapters import anthropic_billing, langfuse, litellm, openai_billing, otel

    call_writers = {"litellm": litellm.write, "langfuse": langfuse.write, "otel": otel.write}
    bill_writers = {**openai_billing.WRITERS, **anthropic_billing.WRITERS}
    names = [f.name for f in BILL_FIELDS]
    by_day: dict[tuple[str, date], list[Call]] = defaultdict(list)
    for call in logged:
        by_day[(call.provider, call.day)].append(call)
    for (provider, day), calls in sorted(by_day.items()):
        fmt = REAL_FORMATS[provider][0]
        path = landing_dir / "calls" / fmt / f"{day:%Y/%m/%d}" / f"{provider}-{day.isoformat()}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        call_writers[fmt]([full_record(c) for c in calls], path)
    by_month: dict[tuple[str, int, int], list[dict[str, str]]] = defaultdict(list)
    for line in lines:
        by_month[(line.provider, line.day.year, line.day.month)].append(dict(zip(names, usage_row(line))))
    for (provider, year, month), rows in sorted(by_month.items()):
        _, cost_fmt, usage_fmt = REAL_FORMATS[provider]
        if cost_fmt == "focus":
            _write(landing_dir / "billing" / "focus" / provider / f"{provider}-{year:04d}-{month:02d}.csv",
                   _csv_bytes([list(r.values()) for r in rows]))
            continue
        for fmt in (cost_fmt, usage_fmt):
            path = landing_dir / "billing" / fmt / f"{provider}-{year:04d}-{month:02d}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            bill_writers[fmt](rows, path)
    c_provider, c_account, c_day, c_amount = credit
    _write(landing_dir / "billing" / "focus" / c_provider / f"credits-{c_day:%Y-%m}.csv",
           _csv_bytes([credit_row(c_provider, c_account, c_day, c_amount)]))


def ground_truth_rows(calls: Iterable[Call]) -> list[tuple[date, str, str, int, Decimal]]:
    """TRUE cost per UTC day x tenant x feature over all true (priced) calls, logged or not."""
    acc: dict[tuple[date, str, str], list] = {}
    for call in calls:
        entry = acc.setdefault((call.day, call.tenant_id, call.feature), [0, Decimal(0)])
        entry[0] += 1
        entry[1] += call.cost
    return [(d, t, f, n, cost) for (d, t, f), (n, cost) in sorted(acc.items())]


def _ground_truth_bytes(rows: Sequence[tuple[date, str, str, int, Decimal]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["day", "tenant_id", "feature", "calls", "true_cost_usd"])
    for d, t, f, n, cost in rows:
        writer.writerow([d.isoformat(), t, f, n, money(cost)])
    return out.getvalue().encode("utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# entry point


def generate(landing_dir: Path, *, start: date = date(2026, 10, 1), days: int = 30, calls_per_day: int = 3000,
             seed: int = 42, reference_dir: Path | None = None, formats: str = "canonical",
             config_dir: Path | None = None) -> dict:
    """Write the demo landing files and return the manifest (also written to _demo/manifest.json).

    The demo company's config dir (default: `config/` beside the landing dir) gets its price overrides.
    Only writes (through temp names + rename); nothing in landing_dir is deleted, so generating a
    shorter period into a dir that holds a longer one leaves the older days' files in place.
    """
    if days < 1 or calls_per_day < 1:
        raise ValueError("days and calls_per_day must be at least 1")
    if formats not in ("canonical", "real"):
        raise ValueError(f"formats must be 'canonical' or 'real', not {formats!r}")
    landing_dir = Path(landing_dir)
    reference_dir = Path(reference_dir) if reference_dir else DEFAULT_REFERENCE_DIR
    prices = load_prices()
    write_demo_config(Path(config_dir) if config_dir else default_config_dir(Path(landing_dir)))
    tenants = load_tenants(reference_dir)
    streams = build_streams(tenants, seed)
    calls = simulate_calls(start, days, calls_per_day, seed, streams)
    price_calls(calls, prices)
    phases = choose_missing_phases(calls)
    mark_missing(calls, phases)
    logged = [c for c in calls if c.logged]

    pq_days = set(parquet_days(start, days))
    lines = bill_lines(calls)
    credit = credit_line(start, days)
    if formats == "real":
        write_real_formats(landing_dir, logged, lines, credit)
    else:
        by_day: dict[date, list[Call]] = defaultdict(list)
        for call in logged:
            by_day[call.day].append(call)
        for i in range(days):
            day = start + timedelta(days=i)
            rows = by_day.get(day, [])
            data = calls_parquet(rows) if day in pq_days else calls_jsonl(rows)
            _write(calls_path(landing_dir, day, day in pq_days), data)
        write_bills(landing_dir, lines, credit)

    truth = ground_truth_rows(calls)
    _write(landing_dir / "_demo" / "ground_truth.csv", _ground_truth_bytes(truth))

    manifest = build_manifest(
        start=start, days=days, calls_per_day=calls_per_day, seed=seed, reference_dir=reference_dir,
        calls=calls, prices=prices, lines=lines, credit=credit, truth=truth, pq_days=sorted(pq_days),
        phases=phases,
    )
    _write(landing_dir / "_demo" / "manifest.json",
           (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return manifest


def build_manifest(*, start: date, days: int, calls_per_day: int, seed: int, reference_dir: Path,
                   calls: Sequence[Call], prices: PriceBook, lines: Sequence[BillLine],
                   credit: tuple[str, str, date, Decimal], truth: Sequence[tuple[date, str, str, int, Decimal]],
                   pq_days: Sequence[date], phases: dict[StreamKey, int]) -> dict:
    true_by_provider: dict[str, Decimal] = defaultdict(Decimal)
    for call in calls:
        true_by_provider[call.provider] += call.cost
    billed_by_provider: dict[str, Decimal] = defaultdict(Decimal)
    lines_by_provider: dict[str, int] = defaultdict(int)
    for line in lines:
        billed_by_provider[line.provider] += line.billed
        lines_by_provider[line.provider] += 1
    c_provider, c_account, c_day, c_amount = credit
    spike = spike_day(start, days)
    changes = [(p, m, d) for p, m, d in prices.changes() if start <= d < start + timedelta(days=days)]
    offset_calls = [c for c in calls if c.logged and c.utc_offset_min and c.day not in pq_days]
    providers = sorted(set(true_by_provider) | set(billed_by_provider) | {c_provider})
    return {
        "generator": "ingest.demo",
        "parameters": {
            "start": start.isoformat(), "days": days, "calls_per_day": calls_per_day, "seed": seed,
            "end_exclusive": (start + timedelta(days=days)).isoformat(),
            "parquet_days": [d.isoformat() for d in pq_days],
            "reference": {"price_overrides.csv": _sha256(DEMO_PRICE_OVERRIDES),
                          "tenants.csv": _sha256(reference_dir / "tenants.csv")},
        },
        "calls_true": len(calls),
        "calls_logged": sum(c.logged for c in calls),
        "calls_missing": sum(not c.logged for c in calls),
        "missing_true_cost": money(sum((c.cost for c in calls if not c.logged), Decimal(0))),
        "missing_rule": (f"per (tenant_id, feature) stream in (started_at, call_id) order, app_hit calls not "
                         f"counted: positions phase, phase + {MISSING_EVERY}, phase + {2 * MISSING_EVERY}, ... "
                         f"are not logged; phase per stream in missing_phases"),
        "missing_phases": {f"{t}/{f}": p for (t, f), p in sorted(phases.items())},
        "true_cost_total": money(sum((t[4] for t in truth), Decimal(0))),
        "billed_usage_total": f"{sum((line.billed for line in lines), Decimal(0)):.2f}",
        "billed_usage_lines": len(lines),
        "credit_total": f"{c_amount:.2f}",
        "credit": {"provider": c_provider, "billing_account": c_account, "day": c_day.isoformat(),
                   "amount": f"{c_amount:.2f}"},
        "spike": ({"day": spike.isoformat(), "tenant": SPIKE_TENANT, "tenant_id": SPIKE_TENANT,
                   "feature": SPIKE_FEATURE, "factor": SPIKE_FACTOR} if spike else None),
        "price_change": ({"provider": changes[0][0], "model": changes[0][1], "day": changes[0][2].isoformat()}
                         if changes else None),
        "by_provider": {
            p: {"true_cost": money(true_by_provider[p]), "billed_usage": f"{billed_by_provider[p]:.2f}",
                "usage_lines": lines_by_provider[p],
                "credit": f"{c_amount:.2f}" if p == c_provider else "0.00"}
            for p in providers
        },
        "app_cache_hits": sum(c.cache_outcome == "app_hit" for c in calls),
        "rerouted_calls": sum(c.routing_decision == "rerouted" for c in calls),
        "batch_calls": sum(c.service_tier == "batch" for c in calls),
        "error_calls": sum(c.status == "error" for c in calls),
        "non_utc_timestamps": len(offset_calls),
        "non_utc_timestamps_local_day_differs": sum(
            (c.started_at + timedelta(minutes=c.utc_offset_min)).date() != c.day for c in offset_calls),
        "tenants": len({c.tenant_id for c in calls}),
        "features": len({c.feature for c in calls}),
        "streams": len({(c.tenant_id, c.feature) for c in calls}),
    }
