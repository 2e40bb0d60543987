"""Spark beside DuckDB on the benchmark's data (issue 19): `python -m demo.bench_spark` (part of `make
bench`, after `python -m demo.benchmark`; needs `make spark-deps`).

For each scale (days x calls per day of `demo.bulk`, the data `demo.benchmark` uses), the same landing
dir is materialized twice by `finops materialize`, once with FINOPS_ENGINE=duckdb and once with
FINOPS_ENGINE=spark (dbt-spark, a local Spark session on this machine's cores), then one new day
(one more day partition) and one day with no new files on each. It reports seconds per million calls
of each full build, the time of one day partition on each engine, the slowest dbt nodes on Spark,
and projects from the measured per-partition times what a 30-day month at 33M calls a day costs on
N executors. The results replace the "Spark beside DuckDB" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

from demo import bulk
from demo.benchmark import ROOT, START, Measured, _env, _materialize, _size_gb, phases

SECTION = "## Spark beside DuckDB (issue 19)"
END_MARK = "<!-- end of the Spark section -->"
MONTH_DAYS, MONTH_CALLS_PER_DAY = 30, 33_000_000


@dataclass
class EngineRun:
    """Seconds of each run (and of its dbt phase); saved as <work>/<days>d/<engine>.json."""

    engine: str
    full: float
    full_dbt: float
    day: float
    day_dbt: float
    empty: float
    empty_dbt: float
    slowest: list[tuple[str, float]]


def _dbt_seconds(m: Measured) -> float:
    return phases(m.output, m.seconds).get("dbt build", 0.0)


def _slowest(target_dir: Path, count: int = 6) -> list[tuple[str, float]]:
    path = target_dir / "run_results.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text())["results"]
    nodes = sorted(((r["unique_id"].split(".")[-1], r["execution_time"]) for r in results), key=lambda n: -n[1])
    return nodes[:count]


def run_engine(work: Path, shared: Path, engine: str, days: int, calls_per_day: int, say) -> EngineRun:
    base = work / engine
    if base.exists():
        shutil.rmtree(base)
    # the same files for both engines (hard links: no copy), each engine's new day written into its own
    landing = base / "landing"
    shutil.copytree(shared, landing, copy_function=os.link)
    env = _env(base)
    env.update(FINOPS_LANDING_DIR=str(landing), FINOPS_ENGINE=engine)
    env.setdefault("FINOPS_SPARK_DRIVER_MEMORY", "4g")  # local mode: the driver is the executor too
    last = START + timedelta(days=days - 1)
    full = _materialize(env, START, last, base / "logs" / "full.log")
    say(f"  {engine}: full build {full.seconds:.1f} s")
    day = last + timedelta(days=1)
    bulk.generate(
        landing, start=day, days=1, calls_per_day=calls_per_day, first_day_index=days, progress=lambda m: None
    )
    new = _materialize(env, day, day, base / "logs" / "new_day.log")
    slowest = _slowest(Path(env["FINOPS_WAREHOUSE"] + ".dbt"))
    say(f"  {engine}: new day {new.seconds:.1f} s")
    empty = _materialize(env, day + timedelta(days=1), day + timedelta(days=1), base / "logs" / "empty_day.log")
    say(f"  {engine}: day with no new files {empty.seconds:.1f} s")
    run = EngineRun(
        engine,
        full.seconds,
        _dbt_seconds(full),
        new.seconds,
        _dbt_seconds(new),
        empty.seconds,
        _dbt_seconds(empty),
        slowest,
    )
    (work / f"{engine}.json").write_text(json.dumps(asdict(run)))
    return run


def projection(spark: EngineRun, calls_per_day: int, cores: int) -> str:
    """A 30-day month at 33M calls a day, from the measured Spark day partition: the fixed cost of a
    run (the day with no new files) plus the marginal cost of the day's calls, which scales with the
    calls and divides over the executors' cores (at an assumed 70% parallel efficiency)."""
    fixed = spark.empty
    per_million_core_s = max(spark.day - fixed, 0.0) / (calls_per_day / 1e6) * cores
    lines = [
        (
            f"Measured on this machine ({cores} cores, Spark local mode): a day partition of {calls_per_day:,} "
            f"calls took {spark.day:.1f} s (dbt {spark.day_dbt:.1f} s), a day with no new files "
            f"{fixed:.1f} s, so the calls themselves cost ~{per_million_core_s:.0f} core-seconds per million. "
            f"Projected for {MONTH_CALLS_PER_DAY / 1e6:.0f}M calls a day (4-core executors, 70% parallel "
            "efficiency, the fixed part of a run unchanged, loading and the lake export not counted: they run "
            "per file, beside Spark):"
        ),
        "",
        "| executors | one day (daily run) | a 30-day month as 30 daily runs | a 30-day month as one backfill run |",
        "|---:|---:|---:|---:|",
    ]
    for n in (4, 8, 16, 32):
        variable = MONTH_CALLS_PER_DAY / 1e6 * per_million_core_s / (n * 4 * 0.7)
        day_s = fixed + variable
        lines.append(
            f"| {n} | {day_s / 60:.1f} min | {MONTH_DAYS * day_s / 3600:.1f} h | "
            f"{(fixed + MONTH_DAYS * variable) / 3600:.1f} h |"
        )
    return "\n".join(lines)


def report(rows: list[tuple[int, int, EngineRun, EngineRun]], cores: int) -> str:
    out = [
        SECTION,
        "",
        (
            f"`python -m demo.bench_spark` (`make bench`), measured on {time.strftime('%Y-%m-%d')}, {cores} cores: "
            "the same `demo.bulk` landing dir materialized by `finops materialize` with FINOPS_ENGINE=duckdb and "
            "with FINOPS_ENGINE=spark (local session, `local[2]`). Seconds per million calls are the full build's "
            "(ingest, dbt build with its tests, publish) divided by its calls; the dbt column is the dbt phase."
        ),
        "",
        (
            "| calls | days | DuckDB full build | DuckDB s / M calls | Spark full build | Spark s / M calls | "
            "DuckDB dbt | Spark dbt | one new day: DuckDB | one new day: Spark | no new files: DuckDB | "
            "no new files: Spark |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for calls, days, duck, spark in rows:
        out.append(
            f"| {calls:,} | {days} | {duck.full:.1f} s | {duck.full / (calls / 1e6):.1f} | "
            f"{spark.full:.1f} s | {spark.full / (calls / 1e6):.1f} | {duck.full_dbt:.1f} s | "
            f"{spark.full_dbt:.1f} s | {duck.day:.1f} s | {spark.day:.1f} s | "
            f"{duck.empty:.1f} s | {spark.empty:.1f} s |"
        )
    calls, days, _, spark = rows[-1]
    out += ["", "Slowest dbt nodes of the Spark new-day run: " + ", ".join(f"{n} {s:.1f} s" for n, s in spark.slowest)]
    out += ["", projection(spark, calls // days, cores), "", END_MARK, ""]
    return "\n".join(out)


def write_section(doc: Path, text: str) -> None:
    current = doc.read_text() if doc.exists() else ""
    if SECTION in current:
        head, rest = current.split(SECTION, 1)
        tail = rest.split(END_MARK, 1)[1].lstrip("\n") if END_MARK in rest else ""
        current = head + text + tail
    else:
        current = current.rstrip("\n") + "\n\n" + text
    doc.write_text(current)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.bench_spark", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10", help="days per scale, comma separated (default 1,10)")
    parser.add_argument("--calls-per-day", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench-spark")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-docs", action="store_true", help="print the section, do not write it")
    parser.add_argument("--reuse", action="store_true", help="reuse the saved results of a scale and engine")
    args = parser.parse_args(argv)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    cores = os.cpu_count() or 1
    rows = []
    for days in [int(s) for s in args.scales.split(",")]:
        work = args.work / f"{days}d"
        landing = work / "landing"
        if not (args.reuse and all((work / f"{e}.json").exists() for e in ("duckdb", "spark"))):
            if landing.exists():
                shutil.rmtree(landing)
            bulk.generate(landing, start=START, days=days, calls_per_day=args.calls_per_day, progress=lambda m: None)
            say(f"{days * args.calls_per_day:,} calls: {_size_gb(landing):.2f} GB of landing files")
        duck, spark = (
            EngineRun(**json.loads((work / f"{engine}.json").read_text()))
            if args.reuse and (work / f"{engine}.json").exists()
            else run_engine(work, landing, engine, days, args.calls_per_day, say)
            for engine in ("duckdb", "spark")
        )
        rows.append((days * args.calls_per_day, days, duck, spark))
    text = report(rows, cores)
    print(text)
    if not args.no_docs:
        write_section(args.out, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
