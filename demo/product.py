"""The demo company's product: its accounts at the vendors, its tenants, the features that call
LLMs with their prompt templates, and the streams (tenant x feature) its traffic is made of."""

from __future__ import annotations

import csv
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

DEFAULT_REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"

# the tenant x feature of the spike day (demo.simulator: SPIKE_DAY_INDEX, SPIKE_FACTOR); build_streams
# makes sure the tenant uses the feature
SPIKE_TENANT = "t005"
SPIKE_FEATURE = "support_triage"

TENANT_WEIGHT_EXPONENT = 0.45  # traffic grows with revenue, less than proportionally
ENVIRONMENTS: tuple[tuple[str, float], ...] = (("prod", 0.80), ("staging", 0.15), ("dev", 0.05))
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
    "gpt-4o": (420, 9.0),
    "gpt-4o-mini": (260, 5.0),
    "o3-mini": (900, 6.0),
    "claude-opus-4-20250514": (950, 22.0),
    "claude-sonnet-4-20250514": (620, 12.0),
    "claude-3-5-haiku-20241022": (310, 6.0),
    "gemini-1.5-pro": (700, 10.0),
    "gemini-2.0-flash": (240, 4.0),
}
REASONING_MODELS = frozenset({"o3-mini"})
# Vendors bill dated snapshot ids where apps log the alias: the warehouse resolves both to one model.
BILL_MODEL_IDS: dict[str, str] = {
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "o3-mini": "o3-mini-2025-01-31",
    "gemini-2.0-flash": "gemini-2.0-flash-001",
    "gemini-1.5-pro": "gemini-1.5-pro-002",
}


# --------------------------------------------------------------------------------------------
# reference data (also the dbt seeds)


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    tenant_name: str
    plan: str
    monthly_revenue_usd: Decimal


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_tenants(reference_dir: Path) -> list[Tenant]:
    tenants = [
        Tenant(r["tenant_id"], r["tenant_name"], r["plan"], Decimal(r["monthly_revenue_usd"]))
        for r in read_csv(reference_dir / "tenants.csv")
    ]
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
    Feature(
        "chat_assistant",
        "anthropic",
        "claude-sonnet-4-20250514",
        3.0,
        (
            Template("chat_system", 0.7, (_tv("v1", 0, 2400, 1400, 380), _tv("v2", 12, 3100, 1400, 340))),
            Template("chat_followup", 0.3, (_tv("v1", 0, 2400, 1800, 330),)),
        ),
        reroute_to="claude-3-5-haiku-20241022",
        reroute_rate=0.35,
    ),
    Feature(
        "doc_summarizer",
        "google",
        "gemini-1.5-pro",
        3.0,
        (
            Template("summarize_document", 0.6, (_tv("v1", 0, 0, 30000, 1000), _tv("v2", 18, 0, 30000, 800))),
            Template("summarize_thread", 0.4, (_tv("v1", 0, 0, 22000, 900),)),
        ),
        reroute_to="gemini-2.0-flash",
        reroute_rate=0.2,
    ),
    Feature(
        "search_rerank",
        "openai",
        "gpt-4o-mini",
        3.0,
        (Template("rerank_topk", 1.0, (_tv("v1", 0, 3000, 18000, 300), _tv("v2", 8, 3400, 16000, 300))),),
        app_cache=True,
    ),
    Feature(
        "code_review",
        "anthropic",
        "claude-opus-4-20250514",
        2.0,
        (
            Template("review_diff", 0.7, (_tv("v1", 0, 4000, 3500, 900),)),
            Template("review_security", 0.3, (_tv("v1", 0, 5200, 3000, 800),)),
        ),
    ),
    Feature(
        "email_drafter",
        "openai",
        "gpt-4o",
        3.0,
        (
            Template("draft_reply", 0.6, (_tv("v1", 0, 1100, 4000, 550), _tv("v2", 5, 1300, 4000, 520))),
            Template("draft_outreach", 0.4, (_tv("v1", 0, 1100, 3200, 650),)),
        ),
        reroute_to="gpt-4o-mini",
        reroute_rate=0.2,
    ),
    Feature(
        "support_triage",
        "anthropic",
        "claude-3-5-haiku-20241022",
        2.5,
        (
            Template(
                "triage_ticket",
                0.6,
                (_tv("v1", 0, 1800, 5000, 260), _tv("v2", 15, 2000, 5000, 240), _tv("v3", 25, 2000, 4600, 220)),
            ),
            Template("suggest_macro", 0.4, (_tv("v1", 0, 1500, 4200, 300),)),
        ),
        app_cache=True,
    ),
    Feature(
        "nightly_report",
        "openai",
        "gpt-4o",
        1.5,
        (Template("report_daily", 1.0, (_tv("v1", 0, 2000, 12000, 1500),)),),
        tier="batch",
        nightly=True,
    ),
    Feature(
        "sql_copilot",
        "openai",
        "o3-mini",
        2.0,
        (
            Template("nl_to_sql", 0.6, (_tv("v1", 0, 6000, 800, 250, 2500),)),
            Template("explain_query", 0.4, (_tv("v1", 0, 5000, 1400, 350, 2000), _tv("v2", 10, 5000, 1400, 300, 1800))),
        ),
    ),
    Feature(
        "onboarding_tips",
        "google",
        "gemini-1.5-pro",
        2.0,
        (Template("tips_welcome", 1.0, (_tv("v1", 0, 0, 16000, 400),)),),
        app_cache=True,
    ),
    Feature(
        "translation",
        "google",
        "gemini-2.0-flash",
        2.5,
        (
            Template("translate_document", 0.7, (_tv("v1", 0, 0, 6000, 6500), _tv("v2", 20, 0, 6200, 6500))),
            Template("translate_ui", 0.3, (_tv("v1", 0, 0, 4500, 5000),)),
        ),
        app_cache=True,
    ),
)
FEATURE_BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}

# Features of a plan: (always used, drawn per tenant from, how many drawn). The router-backed
# features with a big price gap (email_drafter, doc_summarizer) are enterprise-only: a stream's
# cost varies a lot from call to call there, and only big streams keep attribution within 0.5%.
PLAN_FEATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...], int]] = {
    "enterprise": (tuple(f.name for f in FEATURES), (), 0),
    "growth": (
        ("chat_assistant", "support_triage", "search_rerank"),
        ("translation", "sql_copilot", "onboarding_tips", "code_review", "nightly_report"),
        2,
    ),
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
            streams.append(
                Stream(tenant.tenant_id, name, share * FEATURE_BY_NAME[name].weight / feature_total, region, users)
            )
    return streams
