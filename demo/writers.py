"""Everything the demo writes into a landing dir: canonical call logs (JSONL, Parquet), FOCUS bills,
the same calls and bills in the formats of real tools (--formats real), and the demo company's config."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from demo.prices import DEMO_PRICE_OVERRIDES, cents
from demo.product import BILL_MODEL_IDS, BILLING_ACCOUNT_IDS, CREDIT
from demo.simulator import Call
from ingest.schemas import BILL_FIELDS, CALL_FIELDS, CALL_SCHEMA, TOKEN_BUCKETS

# --------------------------------------------------------------------------------------------
# writers


def write(path: Path, data: bytes) -> None:
    """Write through a temp name and rename, so a loader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def write_demo_config(config_dir: Path) -> None:
    """The demo company's config dir: its negotiated rates, unless the dir already has a price_overrides.csv."""
    target = Path(config_dir) / "price_overrides.csv"
    if not target.exists():
        write(target, DEMO_PRICE_OVERRIDES.read_bytes())


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


_DEFAULT_VALUES = {
    "service_tier": "standard",
    "cache_outcome": "none",
    "routing_decision": "none",
    "status": "ok",
    "cache_read_tokens": 0,
    "cache_write_tokens": 0,
    "reasoning_tokens": 0,
}


def call_record(call: Call) -> dict[str, object]:
    """The JSONL object of a call: CALL_FIELDS order; absent values are omitted, never null."""
    record: dict[str, object] = {}
    for f in CALL_FIELDS:
        value = getattr(call, f.name, None)  # a canonical field the demo does not fill is absent
        if value is None:
            continue
        if call.compact and (
            _DEFAULT_VALUES.get(f.name, object()) == value
            or (f.name == "model_served" and value == call.model_requested)
        ):
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
    order = {b: i for i, b in enumerate(TOKEN_BUCKETS)}
    keys = sorted(grains, key=lambda k: (k[0], k[2], k[1], k[3], order[k[4]], k[5]))
    return [BillLine(*k, tokens=grains[k][0], true_cost=grains[k][1]) for k in keys]


def _ts(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _bill_row(values: dict[str, str]) -> list[str]:
    return [values.get(f.name, "") for f in BILL_FIELDS]


def usage_row(line: BillLine) -> list[str]:
    amount = f"{line.billed:.2f}"
    billed_model = BILL_MODEL_IDS.get(line.model, line.model)
    return _bill_row(
        {
            "ChargePeriodStart": _ts(line.day),
            "ChargePeriodEnd": _ts(line.day + timedelta(days=1)),
            "ProviderName": line.provider,
            "BillingAccountId": BILLING_ACCOUNT_IDS[line.provider],
            "SubAccountId": line.account,
            "ChargeCategory": "Usage",
            "ChargeClass": "",
            "ChargeDescription": f"{billed_model} {line.bucket.replace('_', ' ')} tokens, {line.tier} tier",
            "SkuId": f"{billed_model}:{line.bucket}:{line.tier}",
            "ConsumedQuantity": str(line.tokens),
            "ConsumedUnit": "Tokens",
            "BilledCost": amount,
            "EffectiveCost": amount,
            "ListCost": amount,
            "BillingCurrency": "USD",
            "x_Model": billed_model,
            "x_TokenBucket": line.bucket,
            "x_ServiceTier": line.tier,
        }
    )


def credit_row(provider: str, account: str, day: date, amount: Decimal) -> list[str]:
    return _bill_row(
        {
            "ChargePeriodStart": _ts(day),
            "ChargePeriodEnd": _ts(day + timedelta(days=1)),
            "ProviderName": provider,
            "BillingAccountId": BILLING_ACCOUNT_IDS[provider],
            "SubAccountId": account,
            "ChargeCategory": "Credit",
            "ChargeClass": "",
            "ChargeDescription": "Promotional credit",
            "SkuId": "promotional-credit",
            "ConsumedQuantity": "",
            "ConsumedUnit": "",
            "BilledCost": f"{amount:.2f}",
            "EffectiveCost": f"{amount:.2f}",
            "ListCost": "0.00",
            "BillingCurrency": "USD",
            "x_Model": "unknown",
            "x_TokenBucket": "unknown",
            "x_ServiceTier": "standard",
        }
    )


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
        ((c_day, 1, 0), credit_row(c_provider, c_account, c_day, c_amount))
    )
    written = []
    for (provider, year, month), rows in sorted(files.items()):
        path = bill_path(landing_dir, provider, year, month)
        write(path, _csv_bytes(row for _, row in sorted(rows, key=lambda r: r[0])))
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


def write_real_formats(
    landing_dir: Path, logged: Sequence[Call], lines: Sequence[BillLine], credit: tuple[str, str, date, Decimal]
) -> None:
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
            write(
                landing_dir / "billing" / "focus" / provider / f"{provider}-{year:04d}-{month:02d}.csv",
                _csv_bytes([list(r.values()) for r in rows]),
            )
            continue
        for fmt in (cost_fmt, usage_fmt):
            path = landing_dir / "billing" / fmt / f"{provider}-{year:04d}-{month:02d}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            bill_writers[fmt](rows, path)
    c_provider, c_account, c_day, c_amount = credit
    write(
        landing_dir / "billing" / "focus" / c_provider / f"credits-{c_day:%Y-%m}.csv",
        _csv_bytes([credit_row(c_provider, c_account, c_day, c_amount)]),
    )
