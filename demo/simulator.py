"""The demo company's traffic: every true call of a month, simulated per UTC day from the product
(demo.product), and the systematic rule that decides which of them never reach the logs."""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache

from demo.product import (
    ENVIRONMENTS,
    FEATURE_BY_NAME,
    LATENCY,
    REASONING_MODELS,
    REGIONS,
    SPIKE_FEATURE,
    SPIKE_TENANT,
    SUB_ACCOUNTS,
    WEEKDAY_FACTOR,
    Stream,
)
from ingest.schemas import TOKEN_COLUMN

SPIKE_DAY_INDEX = 19  # 2026-10-20 with the default start
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
TOKEN_SIGMA = 0.2  # lognormal spread of token counts around a template's mean
CACHE_WRITE_RATE = 0.05  # anthropic calls whose cached prefix had expired and is written again
ERROR_RATE = 0.006  # calls that fail after the provider billed tokens
OFFSET_TIMESTAMP_RATE = 0.005  # JSONL timestamps written in a non-UTC offset
PLUS_ZERO_TIMESTAMP_RATE = 0.10  # JSONL timestamps written with '+00:00' instead of 'Z'
COMPACT_RECORD_RATE = 0.30  # JSONL records that omit keys holding a default value
NO_LATENCY_RATE = 0.01
NON_UTC_OFFSETS_MIN: tuple[int, ...] = (120, -300, 330, -420)
_HOURS = tuple(range(24))


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


@cache
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
        n = round(calls_per_day * WEEKDAY_FACTOR[day.weekday()] * rng.uniform(0.95, 1.05))
        picked = rng.choices(streams, cum_weights=cum, k=n)
        if spike is not None and i == SPIKE_DAY_INDEX:
            picked += [spike] * round((SPIKE_FACTOR - 1) * n * spike.weight / acc)
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
        for call in stream[phase - 1 :: MISSING_EVERY]:
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
                score = sum(
                    account_day_penalty(ad, lost[ad] + value) - account_day_penalty(ad, lost[ad])
                    for ad, value in candidate.items()
                )
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
