"""Two weeks of life (issue 15): small-volume LLM traffic of 14 UTC days, delivered the way vendors deliver it.

`Life.deliver(k)` writes what lands before the daily run of UTC day D = start + k:
- calls of D, by the project's own writers (temp name + rename): calls/litellm/.../spend-D.json (OpenAI via
  LiteLLM, NO account), calls/otel/.../traces-D.jsonl (Anthropic, one OTLP request per line, workspace id),
  calls/langfuse/.../observations-D.json (AWS Bedrock model ids, AWS account id)
- bills of D-1: billing/openai_costs/costs-<D-1>.json, billing/anthropic_cost/cost-<D-1>.json and the AWS FOCUS
  1.2 month-to-date export billing/focus_aws/focus-YYYY-MM.csv (one path per month, rewritten IN PLACE daily,
  earlier days restated unchanged, with EC2 / S3 lines the focus_aws adapter skips)
- run CORRECTION_RUN: the AWS file gains a refund (ChargeClass Correction) of day index CORRECTION_DAY;
  run REISSUE_RUN: the OpenAI page of day index REISSUE_DAY is rewritten in place (other bytes, same lines).
Bills price ALL calls at the genai-prices list price (PriceBook without overrides; the repo's overrides name
none of these models) x FACTOR per line, rounded as each vendor writes amounts. Per provider x account x day
1-1.9% of the list cost is billed but never logged. Bedrock bills name models by usage type; claude-3-haiku is
billed under an opaque one (the unresolvable SKU). Deterministic (seeded per day); money is Decimal.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

from ingest.adapters import anthropic_billing, langfuse, litellm, openai_billing, otel
from ingest.adapters.focus_skus import AWS_COLUMNS
from ingest.adapters.vendor_reports import dumps_exact
from ingest.pricing import PriceBook

MTOK = Decimal(1_000_000)
PROVIDERS = ("openai", "anthropic", "aws_bedrock")
FORMATS = {"openai": "litellm", "anthropic": "otel", "aws_bedrock": "langfuse"}
CALL_FILES = {
    "litellm": (litellm.write, "spend", "json"),
    "otel": (otel.write, "traces", "jsonl"),
    "langfuse": (langfuse.write, "observations", "json"),
}
FACTOR = {"openai": Decimal(1), "anthropic": Decimal("0.8"), "aws_bedrock": Decimal(1)}  # bill / list
# provider -> (account of prod calls, of staging and dev calls): OpenAI projects, Anthropic workspaces, AWS accounts
ACCOUNTS = {
    "openai": ("proj_Kq2Prod", "proj_Kq2Dev"),
    "anthropic": ("wrkspc_01Prod", "wrkspc_01Dev"),
    "aws_bedrock": ("444455556666", "777788889999"),
}
ORGANIZATION = {"openai": "org-7Hq2LxA9", "aws_bedrock": "111122223333"}  # the Anthropic cost report names none
SONNET_35, HAIKU_3 = "anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"
USAGE_TYPE_MODEL = {SONNET_35: "Claude3.5Sonnet", HAIKU_3: "ModelUnit-A1B2"}  # the second resolves to nothing
AWS_TOKEN = {"input_uncached": "input-tokens", "output": "output-tokens"}
# (ServiceName, x_ServiceCode, ServiceCategory, x_Operation) of AWS export rows
BEDROCK = ("Amazon Bedrock", "AmazonBedrock", "AI and Machine Learning", "InvokeModelInference")
EC2 = ("Amazon Elastic Compute Cloud", "AmazonEC2", "Compute", "RunInstances")
S3 = ("Amazon Simple Storage Service", "AmazonS3", "Storage", "StandardStorage")
TENANTS = {"t01": 5.0, "t02": 3.0, "t03": 2.0, "t04": 1.0, "t05": 0.5}
ENVIRONMENTS = {"prod": 0.85, "staging": 0.10, "dev": 0.05}
# feature -> (weight, routes (provider, model requested, model served, share), tokens (cached prefix, input, output))
FEATURES = {
    "chat_assistant": (
        3.0,
        (
            ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", 0.6),
            ("aws_bedrock", SONNET_35, SONNET_35, 0.4),
        ),
        (20480, 12000, 3500),
    ),
    "search_rerank": (3.0, (("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 1.0),), (30720, 90000, 2000)),
    "email_drafter": (
        2.0,
        (
            ("openai", "gpt-4o", "gpt-4o-2024-08-06", 0.7),
            ("anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001", 0.3),
        ),
        (12800, 30000, 5000),
    ),
    "doc_summarizer": (
        2.0,
        (("aws_bedrock", HAIKU_3, HAIKU_3, 0.8), ("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 0.2)),
        (0, 200000, 8000),
    ),
}
UNLOGGED_MIN, UNLOGGED_MAX, UNLOGGED_CALLS = Decimal("0.01"), Decimal("0.019"), 0.02
CORRECTION_RUN, CORRECTION_DAY, CORRECTION_AMOUNT = 8, 2, Decimal("-0.50")
REISSUE_RUN, REISSUE_DAY = 9, 4


def vendor_amount(provider: str, value: Decimal) -> Decimal:
    """An amount as the vendor writes it: OpenAI a JSON number (a double: 10 decimals here, no trailing zeros),
    Anthropic a decimal string of cents with 2 decimals ($0.0001), AWS FOCUS 10 decimals."""
    if provider == "openai":
        return Decimal(format(value.quantize(Decimal("1e-10"), ROUND_HALF_EVEN).normalize(), "f"))
    return value.quantize(Decimal("0.0001") if provider == "anthropic" else Decimal("1e-10"), ROUND_HALF_UP)


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), list(weights.values()))[0]


@dataclass
class Call:
    call_id: str
    provider: str
    account: str
    started: datetime
    latency_ms: int
    requested: str
    served: str
    tenant: str
    feature: str
    environment: str
    user: str
    tokens: dict[str, int]  # exclusive buckets
    status: str
    cost: dict[str, Decimal] = field(default_factory=dict)  # exact list cost per bucket
    logged: bool = True

    @property
    def day(self) -> date:
        return self.started.date()

    @property
    def list_cost(self) -> Decimal:
        return sum(self.cost.values(), Decimal(0))

    def record(self) -> dict:
        """Canonical values for the format writers (they put each dimension where mappings.yml reads it)."""
        rec = {
            "call_id": self.call_id,
            "started_at": self.started.isoformat(timespec="milliseconds")[:-6] + "Z",
            "latency_ms": self.latency_ms,
            "provider": self.provider,
            "model_requested": self.requested,
            "model_served": self.served,
            "environment": self.environment,
            "tenant_id": self.tenant,
            "user_id": self.user,
            "feature": self.feature,
            "prompt_template": f"{self.feature}_main",
            "prompt_version": "3",
            "status": self.status,
            **{f"{b}_tokens": n for b, n in self.tokens.items()},
        }
        if self.provider == "openai":  # LiteLLM logs the deployment, not the OpenAI project
            rec["extra"] = {"model_id": f"{self.account}-{self.requested}", "api_base": "https://api.openai.com/v1"}
        else:
            rec["billing_account"] = self.account
        return rec


@dataclass
class Life:
    root: Path
    start: date = date(2026, 11, 2)
    days: int = 14
    calls_per_day: int = 300
    seed: int = 7
    providers: tuple[str, ...] = PROVIDERS
    calls: list[Call] = field(default_factory=list, repr=False)  # every call, logged or not, by start time
    lines: dict[tuple[str, date], list[dict]] = field(default_factory=dict, repr=False)  # usage lines per bill
    facts: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.landing, self.config = self.root / "landing", self.root / "config"
        self._simulate()
        self._drop_unlogged()
        self._bill()
        self._write_config()
        self.facts = self._facts()

    landing: Path = field(init=False)  # root / "landing"
    config: Path = field(init=False)  # root / "config"

    def _day(self, index: int) -> date:
        return self.start + timedelta(days=index)

    # ------------------------------------------------------------------------------------------ simulation
    def _simulate(self) -> None:
        prices = PriceBook([])
        for i in range(self.days):
            day = self._day(i)
            rng = random.Random(f"{self.seed}:{day}")
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
            for _ in range(round(self.calls_per_day * rng.uniform(0.9, 1.1))):
                tenant, feature = _pick(rng, TENANTS), _pick(rng, {f: v[0] for f, v in FEATURES.items()})
                _, routes, (prefix, inp, out) = FEATURES[feature]
                provider, requested, served, _ = rng.choices(routes, [r[3] for r in routes])[0]
                environment = _pick(rng, ENVIRONMENTS)
                variable, output = (max(1, int(rng.lognormvariate(0, 0.3) * m)) for m in (inp, out))
                tokens = {"input_uncached": prefix + variable, "cache_read": 0, "cache_write": 0, "output": output}
                if provider == "anthropic" and prefix:  # prefix read from the cache, or written again when expired
                    tokens["cache_write" if rng.random() < 0.05 else "cache_read"] = prefix
                    tokens["input_uncached"] = variable
                elif provider == "openai" and prefix and rng.random() < 0.6:  # automatic caching, 128-token steps
                    tokens["cache_read"] = prefix // 128 * 128
                    tokens["input_uncached"] -= tokens["cache_read"]
                status = "error" if rng.random() < 0.01 else "ok"
                if status == "error":  # stopped mid-stream: what was generated is billed
                    tokens["output"] = max(1, output // 3)
                prefix_id = {"openai": "chatcmpl-", "anthropic": "msg_01", "aws_bedrock": "gen-"}[provider]
                call = Call(
                    prefix_id + f"{rng.getrandbits(96):024x}",
                    provider,
                    ACCOUNTS[provider][environment != "prod"],
                    midnight + timedelta(milliseconds=rng.randrange(86_400_000)),
                    int((300 + 12 * tokens["output"]) * rng.uniform(0.8, 1.3)),
                    requested,
                    served,
                    tenant,
                    feature,
                    environment,
                    f"{tenant}-u{rng.randint(1, 40):03d}",
                    tokens,
                    status,
                )
                total_input = sum(n for b, n in tokens.items() if b != "output")
                call.cost = {
                    b: n * prices.price(provider, served, b, "standard", day, total_input) / MTOK
                    for b, n in tokens.items()
                    if n
                }
                self.calls.append(call)
        self.calls.sort(key=lambda c: (c.started, c.call_id))

    def _group(self, *keys: str, logged_only: bool = False) -> dict[tuple, list[Call]]:
        groups: dict[tuple, list[Call]] = defaultdict(list)
        for call in self.calls:
            if call.logged or not logged_only:
                groups[tuple(getattr(call, k) for k in keys)].append(call)
        return groups

    def _drop_unlogged(self) -> None:
        """Per provider x account x day, calls in seeded random order go unlogged until 1% of its list cost is lost,
        never more than 2% of its calls; a call that would take the loss to 1.9% or more is skipped."""
        for key, calls in sorted(self._group("provider", "account", "day").items()):
            rng = random.Random(f"{self.seed}:unlogged:{key}")
            total, lost, dropped = sum((c.list_cost for c in calls), Decimal(0)), Decimal(0), 0
            for call in rng.sample(calls, len(calls)):
                if lost >= total * UNLOGGED_MIN or dropped + 1 > len(calls) * UNLOGGED_CALLS:
                    break
                if lost + call.list_cost < total * UNLOGGED_MAX:
                    call.logged, lost, dropped = False, lost + call.list_cost, dropped + 1

    def _bill(self) -> None:
        """One usage line per provider x day x account x billed model x token bucket, over ALL calls."""
        grains: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
        for c in self.calls:
            for bucket, cost in c.cost.items():
                acc = grains[(c.provider, c.day, c.account, USAGE_TYPE_MODEL.get(c.served, c.served), bucket)]
                acc[0] += c.tokens[bucket]
                acc[1] += cost
        order = {b: i for i, b in enumerate(("input_uncached", "cache_read", "cache_write", "output"))}
        for key in sorted(grains, key=lambda k: (*k[:4], order[k[4]])):
            (provider, day, account, model, bucket), (tokens, listed) = key, grains[key]
            self.lines.setdefault((provider, day), []).append(
                {
                    "ChargePeriodStart": f"{day}T00:00:00Z",
                    "ChargePeriodEnd": f"{day + timedelta(days=1)}T00:00:00Z",
                    "ProviderName": provider,
                    "BillingAccountId": ORGANIZATION.get(provider),
                    "SubAccountId": account,
                    "ChargeCategory": "Usage",
                    "ChargeClass": "",
                    "BillingCurrency": "USD",
                    "ConsumedQuantity": tokens,
                    "BilledCost": vendor_amount(provider, listed * FACTOR[provider]),
                    "ListCost": vendor_amount(provider, listed),
                    "x_Model": model,
                    "x_TokenBucket": bucket,
                    "x_ServiceTier": "standard",
                }
            )

    def _write_config(self) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["provider", "billing_account", "period_start", "period_end", "reason"])
        writer.writerows(
            [
                (
                    "anthropic",
                    account,
                    self.start,
                    self._day(self.days - 1),
                    "negotiated 20% discount (contract 2026-11)",
                )
                for account in ACCOUNTS["anthropic"]
            ]
        )
        _write(self.config / "acknowledged_variances.csv", out.getvalue().encode())

    # ------------------------------------------------------------------------------------------ delivery
    def calls_path(self, provider: str, day: date) -> Path:
        fmt = FORMATS[provider]
        return self.landing / "calls" / fmt / f"{day:%Y/%m/%d}" / f"{CALL_FILES[fmt][1]}-{day}.{CALL_FILES[fmt][2]}"

    def bill_path(self, provider: str, day: date) -> Path:
        if provider == "aws_bedrock":
            return self.landing / "billing" / "focus_aws" / f"focus-{day:%Y-%m}.csv"
        fmt, stem = {"openai": ("openai_costs", "costs"), "anthropic": ("anthropic_cost", "cost")}[provider]
        return self.landing / "billing" / fmt / f"{stem}-{day}.json"

    def deliver(self, k: int) -> list[Path]:
        """Write what arrives before the run of day start + k (see the module docstring); the written paths."""
        day, billed, written = self._day(k), self._day(k - 1), []
        logged = self._group("provider", "day", logged_only=True)
        for provider in self.providers:
            if logged.get((provider, day)):
                written.append(self.calls_path(provider, day))
                CALL_FILES[FORMATS[provider]][0]([c.record() for c in logged[(provider, day)]], written[-1])
        for provider, writer in (("openai", openai_billing.write), ("anthropic", anthropic_billing.write)):
            if k >= 1 and self.lines.get((provider, billed)):
                written.append(self.bill_path(provider, billed))
                writer(self.lines[(provider, billed)], written[-1])
        for month in sorted({self._day(i).replace(day=1) for i in range(k)}):  # month to date, in place
            path, data = self.bill_path("aws_bedrock", month), self._aws_export(month, k)
            if not path.exists() or path.read_bytes() != data:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                written.append(path)
        if k == REISSUE_RUN and k > REISSUE_DAY:  # same lines, other bytes (sorted keys, compact), in place
            path = self.bill_path("openai", self._day(REISSUE_DAY))
            if not path.exists():
                openai_billing.write(self.lines[("openai", self._day(REISSUE_DAY))], path)
            text = dumps_exact(_sorted_keys(json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)))
            assert len(text) + 1 != path.stat().st_size
            path.write_text(text + "\n", encoding="utf-8")
            written.append(path)
        return written

    def _aws_export(self, month: date, k: int) -> bytes:
        """The month's FOCUS 1.2 export as it stands before run k: the Bedrock lines of every day billed by then,
        each day's EC2 and S3 lines, and from CORRECTION_RUN on the refund."""
        rows, prod = [], ACCOUNTS["aws_bedrock"][0]
        for day in (self._day(i) for i in range(k)):
            if day.replace(day=1) != month:
                continue
            for line in self.lines.get(("aws_bedrock", day), []):
                usage_type = f"USE1-{line['x_Model']}-{AWS_TOKEN[line['x_TokenBucket']]}"
                rows.append(
                    _aws_row(
                        day,
                        line["SubAccountId"],
                        usage_type,
                        line["BilledCost"],
                        line["ListCost"],
                        line["ConsumedQuantity"],
                        "Tokens",
                    )
                )
            rows.append(
                _aws_row(
                    day, prod, "USE1-BoxUsage:m5.large", Decimal("2.304"), Decimal("2.304"), 24, "Hrs", service=EC2
                )
            )
            rows.append(
                _aws_row(
                    day,
                    prod,
                    "USE1-TimedStorage-ByteHrs",
                    Decimal("0.7412"),
                    Decimal("0.7412"),
                    32.2,
                    "GB-Mo",
                    service=S3,
                )
            )
        fix_day = self._day(CORRECTION_DAY)
        if k >= CORRECTION_RUN and fix_day.replace(day=1) == month:
            rows.append(
                _aws_row(
                    fix_day,
                    prod,
                    "USE1-Claude3.5Sonnet-output-tokens",
                    CORRECTION_AMOUNT,
                    Decimal(0),
                    None,
                    "",
                    category="Credit",
                    charge_class="Correction",
                    description="Refund: Amazon Bedrock invocation errors (case 17629481)",
                )
            )
        out = io.StringIO()
        writer = csv.DictWriter(out, AWS_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().encode()

    # ------------------------------------------------------------------------------------------ ground truth
    def _bill_run(self, day: date) -> int:
        return (day - self.start).days + 1  # the bill of a day lands before the run of the next day

    def billed_usage(self, provider: str, day: date, after_run: int | None = None) -> Decimal:
        if self._bill_run(day) > (self.days - 1 if after_run is None else after_run):
            return Decimal(0)
        return sum((line["BilledCost"] for line in self.lines.get((provider, day), [])), Decimal(0))

    def bill_days(self, after_run: int) -> set[tuple[str, date]]:
        return {key for key in self.lines if self._bill_run(key[1]) <= after_run}

    def list_cost(self, provider: str, day: date) -> Decimal:
        return sum(
            (c.list_cost for c in self._group("provider", "day", logged_only=True).get((provider, day), [])), Decimal(0)
        )

    def ideal_tenant_feature(self) -> dict[tuple[str, str], Decimal]:
        """Final billed usage of each billed provider-day spread over its logged calls by list cost, summed per
        (tenant, feature): exact (Fraction), rounded once per key to 30 decimals."""
        acc: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
        logged = self._group("provider", "day", logged_only=True)
        for provider, day in sorted(self.bill_days(self.days - 1)):
            calls = logged.get((provider, day), [])
            total = sum((c.list_cost for c in calls), Decimal(0))
            bill = Fraction(self.billed_usage(provider, day))
            for c in calls:
                acc[(c.tenant, c.feature)] += bill * Fraction(c.list_cost) / Fraction(total)
        with localcontext() as ctx:
            ctx.prec = 60
            return {
                key: (Decimal(v.numerator) / v.denominator).quantize(Decimal("1e-30")) for key, v in sorted(acc.items())
            }

    def _facts(self) -> dict:
        unlogged = {}
        for p, calls in self._group("provider").items():
            lost = sum((c.list_cost for c in calls if not c.logged), Decimal(0))
            unlogged[p[0]] = {
                "calls": sum(not c.logged for c in calls),
                "of": len(calls),
                "list_share": lost / sum((c.list_cost for c in calls), Decimal(0)),
            }
        return {
            "formats": dict(FORMATS),
            "accounts": dict(ACCOUNTS),
            "unlogged": unlogged,
            "discounted": {
                "provider": "anthropic",
                "factor": FACTOR["anthropic"],
                "accounts": ACCOUNTS["anthropic"],
                "acknowledged_in": self.config / "acknowledged_variances.csv",
            },
            "accountless": {"provider": "openai", "format": "litellm", "bill_accounts": ACCOUNTS["openai"]},
            "unresolvable_sku": {
                "provider": "aws_bedrock",
                "bill_model": USAGE_TYPE_MODEL[HAIKU_3],
                "usage_types": [f"USE1-{USAGE_TYPE_MODEL[HAIKU_3]}-{t}" for t in AWS_TOKEN.values()],
                "call_model": HAIKU_3,
            },
            "resolvable_sku": {
                "provider": "aws_bedrock",
                "bill_model": USAGE_TYPE_MODEL[SONNET_35],
                "call_model": SONNET_35,
            },
            "correction": {
                "provider": "aws_bedrock",
                "account": ACCOUNTS["aws_bedrock"][0],
                "run": CORRECTION_RUN,
                "day": self._day(CORRECTION_DAY),
                "amount": CORRECTION_AMOUNT,
                "charge_category": "Credit",
                "charge_class": "Correction",
                "path": self.bill_path("aws_bedrock", self._day(CORRECTION_DAY)),
            },
            "reissued": {
                "provider": "openai",
                "day": self._day(REISSUE_DAY),
                "run": REISSUE_RUN,
                "first_run": REISSUE_DAY + 1,
                "path": self.bill_path("openai", self._day(REISSUE_DAY)),
            },
            "month_file": {"provider": "aws_bedrock", "path": self.bill_path("aws_bedrock", self.start)},
            "unbilled_days": [self._day(self.days - 1)],  # its bills would land before run `days`
        }


def _aws_row(
    day: date,
    account: str,
    usage_type: str,
    billed: Decimal,
    listed: Decimal,
    quantity: object,
    unit: str,
    *,
    service: tuple[str, str, str, str] = BEDROCK,
    category: str = "Usage",
    charge_class: str = "",
    description: str = "",
) -> dict[str, str]:
    """One row of an AWS Data Exports 'FOCUS 1.2 with AWS columns' CSV."""
    month, amount = day.replace(day=1), f"{billed:.10f}"
    sku, qty = hashlib.sha256(usage_type.encode()).hexdigest()[:16].upper(), "" if quantity is None else str(quantity)
    return {
        "BilledCost": amount,
        "BillingAccountId": ORGANIZATION["aws_bedrock"],
        "BillingAccountName": "acme-payer",
        "BillingCurrency": "USD",
        "BillingPeriodStart": f"{month}T00:00:00Z",
        "BillingPeriodEnd": f"{(month + timedelta(days=32)).replace(day=1)}T00:00:00Z",
        "ChargeCategory": category,
        "ChargeClass": charge_class,
        "ChargeDescription": description or f"{service[0]} {usage_type}",
        "ChargeFrequency": "Usage-Based" if category == "Usage" else "One-Time",
        "ChargePeriodStart": f"{day}T00:00:00Z",
        "ChargePeriodEnd": f"{day + timedelta(days=1)}T00:00:00Z",
        "ConsumedQuantity": qty,
        "ConsumedUnit": unit,
        "EffectiveCost": amount,
        "ListCost": f"{listed:.10f}",
        "PricingQuantity": qty,
        "PricingUnit": unit,
        "ProviderName": "AWS",
        "PublisherName": "Amazon Web Services",
        "RegionId": "us-east-1",
        "ServiceCategory": service[2],
        "ServiceName": service[0],
        "SkuId": sku,
        "SkuPriceId": f"{sku}.JRTCKXETXF",
        "SubAccountId": account,
        "SubAccountName": "ml-prod" if account == ACCOUNTS["aws_bedrock"][0] else "ml-dev",
        "Tags": "{}",
        "x_Operation": service[3],
        "x_ServiceCode": service[1],
        "x_UsageType": usage_type,
    }


def _sorted_keys(value: object) -> object:
    if isinstance(value, dict):
        return {k: _sorted_keys(value[k]) for k in sorted(value)}
    return [_sorted_keys(v) for v in value] if isinstance(value, list) else value


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def make_life(
    root: Path, start: date = date(2026, 11, 2), days: int = 14, calls_per_day: int = 300, seed: int = 7
) -> Life:
    """Simulate the scenario and write root/config; nothing lands under root/landing until deliver(k)."""
    return Life(Path(root), start, days, calls_per_day, seed)
