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

import json
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from demo.prices import load_prices, price_calls
from demo.product import DEFAULT_REFERENCE_DIR, build_streams, load_tenants
from demo.simulator import Call, choose_missing_phases, mark_missing, parquet_days, simulate_calls
from demo.truth import build_manifest, ground_truth_bytes, ground_truth_rows
from demo.writers import (
    bill_lines,
    calls_jsonl,
    calls_parquet,
    calls_path,
    credit_line,
    write,
    write_bills,
    write_demo_config,
    write_real_formats,
)
from ingest.config import default_config_dir


def generate(
    landing_dir: Path,
    *,
    start: date = date(2026, 10, 1),
    days: int = 30,
    calls_per_day: int = 3000,
    seed: int = 42,
    reference_dir: Path | None = None,
    formats: str = "canonical",
    config_dir: Path | None = None,
) -> dict:
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
            write(calls_path(landing_dir, day, day in pq_days), data)
        write_bills(landing_dir, lines, credit)

    truth = ground_truth_rows(calls)
    write(landing_dir / "_demo" / "ground_truth.csv", ground_truth_bytes(truth))

    manifest = build_manifest(
        start=start,
        days=days,
        calls_per_day=calls_per_day,
        seed=seed,
        reference_dir=reference_dir,
        calls=calls,
        prices=prices,
        lines=lines,
        credit=credit,
        truth=truth,
        pq_days=sorted(pq_days),
        phases=phases,
    )
    write(
        landing_dir / "_demo" / "manifest.json", (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    )
    return manifest
