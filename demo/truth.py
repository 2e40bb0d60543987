"""The ground truth behind the demo files: the true cost per UTC day x tenant x feature, and the
manifest (parameters and totals) a test or a reader checks the warehouse against."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from demo.prices import DEMO_PRICE_OVERRIDES, money
from demo.product import SPIKE_FEATURE, SPIKE_TENANT
from demo.simulator import MISSING_EVERY, SPIKE_FACTOR, Call, StreamKey, spike_day
from demo.writers import BillLine
from ingest.pricing import PriceBook


def ground_truth_rows(calls: Iterable[Call]) -> list[tuple[date, str, str, int, Decimal]]:
    """TRUE cost per UTC day x tenant x feature over all true (priced) calls, logged or not."""
    acc: dict[tuple[date, str, str], list] = {}
    for call in calls:
        entry = acc.setdefault((call.day, call.tenant_id, call.feature), [0, Decimal(0)])
        entry[0] += 1
        entry[1] += call.cost
    return [(d, t, f, n, cost) for (d, t, f), (n, cost) in sorted(acc.items())]


def ground_truth_bytes(rows: Sequence[tuple[date, str, str, int, Decimal]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["day", "tenant_id", "feature", "calls", "true_cost_usd"])
    for d, t, f, n, cost in rows:
        writer.writerow([d.isoformat(), t, f, n, money(cost)])
    return out.getvalue().encode("utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_manifest(
    *,
    start: date,
    days: int,
    calls_per_day: int,
    seed: int,
    reference_dir: Path,
    calls: Sequence[Call],
    prices: PriceBook,
    lines: Sequence[BillLine],
    credit: tuple[str, str, date, Decimal],
    truth: Sequence[tuple[date, str, str, int, Decimal]],
    pq_days: Sequence[date],
    phases: dict[StreamKey, int],
) -> dict:
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
        "generator": "demo.generate",
        "parameters": {
            "start": start.isoformat(),
            "days": days,
            "calls_per_day": calls_per_day,
            "seed": seed,
            "end_exclusive": (start + timedelta(days=days)).isoformat(),
            "parquet_days": [d.isoformat() for d in pq_days],
            "reference": {
                "price_overrides.csv": _sha256(DEMO_PRICE_OVERRIDES),
                "tenants.csv": _sha256(reference_dir / "tenants.csv"),
            },
        },
        "calls_true": len(calls),
        "calls_logged": sum(c.logged for c in calls),
        "calls_missing": sum(not c.logged for c in calls),
        "missing_true_cost": money(sum((c.cost for c in calls if not c.logged), Decimal(0))),
        "missing_rule": (
            f"per (tenant_id, feature) stream in (started_at, call_id) order, app_hit calls not "
            f"counted: positions phase, phase + {MISSING_EVERY}, phase + {2 * MISSING_EVERY}, ... "
            f"are not logged; phase per stream in missing_phases"
        ),
        "missing_phases": {f"{t}/{f}": p for (t, f), p in sorted(phases.items())},
        "true_cost_total": money(sum((t[4] for t in truth), Decimal(0))),
        "billed_usage_total": f"{sum((line.billed for line in lines), Decimal(0)):.2f}",
        "billed_usage_lines": len(lines),
        "credit_total": f"{c_amount:.2f}",
        "credit": {
            "provider": c_provider,
            "billing_account": c_account,
            "day": c_day.isoformat(),
            "amount": f"{c_amount:.2f}",
        },
        "spike": (
            {
                "day": spike.isoformat(),
                "tenant": SPIKE_TENANT,
                "tenant_id": SPIKE_TENANT,
                "feature": SPIKE_FEATURE,
                "factor": SPIKE_FACTOR,
            }
            if spike
            else None
        ),
        "price_change": (
            {"provider": changes[0][0], "model": changes[0][1], "day": changes[0][2].isoformat()} if changes else None
        ),
        "by_provider": {
            p: {
                "true_cost": money(true_by_provider[p]),
                "billed_usage": f"{billed_by_provider[p]:.2f}",
                "usage_lines": lines_by_provider[p],
                "credit": f"{c_amount:.2f}" if p == c_provider else "0.00",
            }
            for p in providers
        },
        "app_cache_hits": sum(c.cache_outcome == "app_hit" for c in calls),
        "rerouted_calls": sum(c.routing_decision == "rerouted" for c in calls),
        "batch_calls": sum(c.service_tier == "batch" for c in calls),
        "error_calls": sum(c.status == "error" for c in calls),
        "non_utc_timestamps": len(offset_calls),
        "non_utc_timestamps_local_day_differs": sum(
            (c.started_at + timedelta(minutes=c.utc_offset_min)).date() != c.day for c in offset_calls
        ),
        "tenants": len({c.tenant_id for c in calls}),
        "features": len({c.feature for c in calls}),
        "streams": len({(c.tenant_id, c.feature) for c in calls}),
    }
