"""Scale benchmark: the whole pipeline against a bare DuckDB script on the same landing files.

    python -m demo.benchmark                  # make bench: 1M, 10M and 30M calls at 1M calls/day
    python -m demo.benchmark --quick          # make bench-quick: 2 days x 50k calls, in under a minute

For each scale it generates the landing files (`demo.bulk`; days alternate Parquet and JSONL),
then measures, each in its own process tree:
- full build: `finops materialize` of every day (ingest + GX checks + dbt build and tests + publish)
  on an empty warehouse: wall time, peak RSS (sum over the process tree, sampled every 0.1 s), and
  where the time went (phases from the run's log, slowest dbt nodes from dbt's run_results.json);
- bare script: one DuckDB query reading the same call files and computing the daily cost
  aggregates of fct_cost_daily (calls and list cost per UTC day x provider x model x environment x
  tenant x feature x prompt template), with the same prices. Its per-day totals must equal the
  pipeline's fct_cost_daily exactly, or the benchmark fails;
- one new day: the next day (1M calls) added to the landing dir and materialized alone on top of
  that history (a daily incremental run).
Results are printed and written to docs/benchmarks.md (--out). Not a test: nothing here is timed
against a threshold; the targets are printed next to the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import duckdb
import pyarrow as pa

from demo import bulk
from demo.prices import load_prices
from ingest.schemas import CALL_FIELDS, TOKEN_BUCKETS, TOKEN_COLUMN
from ingest.warehouse import dbt_target_dir

ROOT = Path(__file__).resolve().parent.parent
START = date(2026, 10, 1)
MTOK = Decimal(1_000_000)
# Targets of the scale issue, printed next to the figures.
TARGET_RATIO = 3.0
TARGET_RSS_GB = 4.0
TARGET_DAY_SECONDS = 20.0
TARGET_DAY_GROWTH = 1.2
# docs/benchmarks.md: the text above this line is written by hand and kept; the results below are rewritten.
MARKER = "<!-- results: written by make bench, everything below this line is replaced -->"
# Log lines that open each phase of a run (Dagster's log, second resolution).
PHASES = (
    ("ingest + GX", "raw__"),
    ("dbt start", "dbt build for UTC days"),
    ("dbt build", "Running dbt command"),
    ("publish", "Finished dbt command"),
)


# --------------------------------------------------------------------------------------------
# process tree measurement


def _process_name(pid: int) -> str:
    """'dbt' for the dbt subprocess, else the program (python -m <module> shows as the module)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = [a.decode(errors="replace") for a in handle.read().split(b"\0") if a]
    except OSError:
        return "?"
    if any(Path(a).name == "dbt" for a in argv[:2]):
        return "dbt"
    if "-m" in argv[:-1]:
        return argv[argv.index("-m") + 1]
    return Path(argv[0]).name if argv else "?"


def _tree_rss_kb(root: int) -> dict[int, int]:
    """Resident memory of `root` and each of its descendants, in kB by pid (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
            with open(f"/proc/{entry}/statm") as handle:
                pages = int(handle.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        pid = int(entry)
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    tree, stack = {}, [root]
    while stack:
        pid = stack.pop()
        tree[pid] = rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return tree


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    returncode: int
    output: str
    # every sample: (wall clock, MB by process name), for the peak of each phase
    samples: list[tuple[float, dict[str, float]]] = field(default_factory=list)


def measure(cmd: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run cmd, sampling the RSS of its process tree; its output goes to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    peak, samples = 0, []
    with log.open("w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                tree = _tree_rss_kb(proc.pid)
                peak = max(peak, sum(tree.values()))
                split: dict[str, float] = {}
                for pid, kb in tree.items():
                    name = _process_name(pid)  # each time: a child sampled before its exec has its parent's
                    split[name] = split.get(name, 0) + kb / 1024
                samples.append((time.time(), split))
                done.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    return Measured(seconds, peak / 1024, code, log.read_text(errors="replace"), samples)


def _phase_starts(output: str) -> list[tuple[str, datetime]]:
    """When each phase of a `finops materialize` run began, from its log (second resolution), plus
    ('end', the last log line + 1 s); empty if a phase is missing from the log."""
    logged = [line for line in output.splitlines() if line.startswith("20") and " - dagster - " in line]
    stamps = []
    for name, marker in PHASES:
        line = next((line for line in logged if marker in line), None)
        if line is None:
            return []
        stamps.append((name, datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S")))
    return [*stamps, ("end", datetime.strptime(logged[-1][:19], "%Y-%m-%d %H:%M:%S") + timedelta(seconds=1))]


def phases(output: str, total: float) -> dict[str, float]:
    """Seconds per phase of a `finops materialize` run, from its log's timestamps; 'start' is the
    time before the first ingest log line (interpreter, Dagster, the price catalog assets)."""
    stamps = _phase_starts(output)
    if not stamps:
        return {}
    result = {name: (stop - at).total_seconds() for (name, at), (_, stop) in pairwise(stamps)}
    return {"start": max(0.0, total - sum(result.values())), **result}


def peak_by_phase(output: str, samples: list[tuple[float, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """The process tree's peak RSS in each phase of a run: {phase: {process name: MB}} at the sample
    where the tree's sum was highest (phases as in `phases`; 'end' is after the last log line)."""
    starts = _phase_starts(output)
    if not starts:  # a phase missing from the log: no split rather than a wrong one
        return {}
    peaks: dict[str, dict[str, float]] = {}
    for at, split in samples:
        moment = datetime.fromtimestamp(at).replace(microsecond=0)
        phase = next((name for name, began in reversed(starts) if began <= moment), "start")
        if sum(split.values()) > sum(peaks.get(phase, {}).values()):
            peaks[phase] = split
    return peaks


def slowest_dbt_nodes(target_dir: Path, since: float, count: int = 6) -> list[tuple[str, float]]:
    """The slowest nodes of the dbt run in `target_dir` (the warehouse's `<warehouse>.dbt/`), if it
    ran after `since`."""
    path = target_dir / "run_results.json"
    if not path.exists() or path.stat().st_mtime < since:
        return []
    results = json.loads(path.read_text())["results"]
    rows = sorted(((r["unique_id"].split(".", 2)[-1], r["execution_time"]) for r in results), key=lambda r: -r[1])
    return [(name, round(sec, 2)) for name, sec in rows[:count]]


# --------------------------------------------------------------------------------------------
# the bare script


def price_card(days: list[date]) -> list[tuple]:
    """(day, provider, model, tier, 4 prices per token) for the bench's models: the demo's price book,
    which is the warehouse's rule (override, else catalog) at the base long-context band."""
    prices = load_prices()
    keys = sorted(
        {(p.provider, m, p.tier) for p in bulk.profiles(0, bulk.SEED) for m in (p.model_requested, p.model_served)}
    )
    return [
        (
            day,
            provider,
            model,
            tier,
            *(prices.price(provider, model, bucket, tier, day) / MTOK for bucket in TOKEN_BUCKETS),
        )
        for day in days
        for provider, model, tier in keys
    ]


def _call_files(landing: Path) -> tuple[list[str], list[str]]:
    root = landing / "calls" / "canonical"
    return sorted(map(str, root.rglob("*.parquet"))), sorted(map(str, root.rglob("*.jsonl")))


def bare_script(landing: Path) -> dict:
    """The daily cost aggregates straight from the files; returns seconds, groups and per-day totals."""
    started = time.perf_counter()
    parquet, jsonl = _call_files(landing)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    days = [START + timedelta(days=i) for i in range(400)]
    names = ["day", "provider", "model", "tier"] + [f"p_{b}" for b in TOKEN_BUCKETS]
    card = pa.Table.from_pylist(
        [dict(zip(names, row)) for row in price_card(days)],
        schema=pa.schema(
            [("day", pa.date32())]
            + [(n, pa.string()) for n in names[1:4]]
            + [(n, pa.decimal128(38, 18)) for n in names[4:]]
        ),
    )
    con.register("card", card)
    types = {f.name: ("TIMESTAMPTZ" if f.duck_type == "TIMESTAMP" else f.duck_type) for f in CALL_FIELDS}
    sources = []
    if parquet:
        sources.append("select * exclude (extra) from read_parquet($parquet)")
    if jsonl:
        sources.append(
            "select * exclude (extra) from read_json($jsonl, format = 'newline_delimited', "
            f"columns = {json.dumps(types)})"
        )
    cost = " + ".join(f"{TOKEN_COLUMN[b]} * card.p_{b}" for b in TOKEN_BUCKETS)
    query = f"""
        with calls as ({" union all by name ".join(sources)})
        select cast(started_at as date) as day, calls.provider, model_requested, model_served, environment,
               tenant_id, feature, prompt_template,
               count(*) as calls,
               sum(input_uncached_tokens + cache_read_tokens + cache_write_tokens + output_tokens) as tokens,
               sum(cast({cost} as DECIMAL(38,12))) as list_cost,
               max(input_uncached_tokens + cache_read_tokens + cache_write_tokens) as max_input_tokens
        from calls
        join card on card.day = cast(calls.started_at as date) and card.provider = calls.provider
                 and card.model = calls.model_served and card.tier = calls.service_tier
        group by all
    """
    params = {k: v for k, v in (("parquet", parquet), ("jsonl", jsonl)) if v}
    con.execute(f"create table daily as {query}", params)
    seconds = time.perf_counter() - started
    groups, max_input = con.execute("select count(*), max(max_input_tokens) from daily").fetchone()
    per_day = con.execute(
        "select day::VARCHAR, sum(calls), sum(list_cost)::VARCHAR from daily group by 1 order by 1"
    ).fetchall()
    return {
        "seconds": seconds,
        "groups": groups,
        "max_input_tokens": max_input,
        "per_day": [[d, int(c), v] for d, c, v in per_day],
    }


def pipeline_per_day(serving: Path) -> list[list]:
    with duckdb.connect(str(serving), read_only=True) as con:
        rows = con.execute(
            "select cost_day::VARCHAR, sum(calls), sum(list_cost)::VARCHAR from marts.fct_cost_daily "
            "where cost_kind = 'usage' group by 1 order by 1"
        ).fetchall()
    return [[d, int(c), str(Decimal(v).normalize())] for d, c, v in rows]


def _normalized(per_day: list[list]) -> list[list]:
    return [[d, c, str(Decimal(v).normalize())] for d, c, v in per_day]


# --------------------------------------------------------------------------------------------
# scales


@dataclass
class ScaleResult:
    calls: int
    days: int
    landing_gb: float
    generate_seconds: float
    full: Measured
    full_phases: dict[str, float]
    full_nodes: list[tuple[str, float]]
    bare_seconds: float
    bare_rss_mb: float
    bare_groups: int
    totals_match: bool
    day: Measured | None = None
    day_phases: dict[str, float] = field(default_factory=dict)
    day_nodes: list[tuple[str, float]] = field(default_factory=list)
    # the day after the new day, with no new files: what a daily run costs before any data
    empty: Measured | None = None
    empty_phases: dict[str, float] = field(default_factory=dict)
    # the next day, after every bill of the last RESTATED_DAYS days was re-issued with one amount changed:
    # the daily run rebuilds those days by itself (ingest.rebuild)
    restated: Measured | None = None
    restated_days: int = 0


def _env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "FINOPS_LANDING_DIR": str(work / "landing"),
            "FINOPS_WAREHOUSE": str(work / "warehouse" / "finops.duckdb"),
            "DAGSTER_HOME": str(work / "dagster_home"),
            "FINOPS_START_DATE": START.isoformat(),
            "DAGSTER_DISABLE_TELEMETRY": "1",
            # dagster-dbt runs the dbt executable of this environment
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        }
    )
    (work / "dagster_home").mkdir(parents=True, exist_ok=True)
    (work / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return env


def _size_gb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e9


def _materialize(env: dict[str, str], first: date, last: date, log: Path) -> Measured:
    cmd = [
        sys.executable,
        "-m",
        "dagster_project.cli",
        "materialize",
        "--start",
        first.isoformat(),
        "--end",
        last.isoformat(),
    ]
    result = measure(cmd, env, log)
    if result.returncode != 0:
        raise SystemExit(f"finops materialize {first}..{last} failed ({result.returncode}); see {log}")
    return result


def run_scale(work: Path, calls_per_day: int, days: int, fmt: str, new_day: bool, say) -> ScaleResult:
    if work.exists():
        shutil.rmtree(work)
    env = _env(work)
    landing = work / "landing"
    t0 = time.perf_counter()
    bulk.generate(landing, start=START, days=days, calls_per_day=calls_per_day, fmt=fmt, progress=lambda m: None)
    generated = time.perf_counter() - t0
    say(f"{days * calls_per_day:,} calls: generated {_size_gb(landing):.2f} GB in {generated:.0f} s")

    since, dbt_target = time.time(), dbt_target_dir(Path(env["FINOPS_WAREHOUSE"]))
    full = _materialize(env, START, START + timedelta(days=days - 1), work / "logs" / "full.log")
    say(f"  full build {full.seconds:.1f} s, peak RSS {full.peak_rss_mb:,.0f} MB")

    bare_log = work / "logs" / "bare.json"
    bare_run = measure(
        [sys.executable, "-m", "demo.benchmark", "--bare", str(landing), "--bare-out", str(bare_log)],
        env,
        work / "logs" / "bare.log",
    )
    if bare_run.returncode != 0:
        raise SystemExit(f"bare script failed; see {work / 'logs' / 'bare.log'}")
    bare = json.loads(bare_log.read_text())
    pipeline = pipeline_per_day(work / "warehouse" / "serving.duckdb")
    match = _normalized(bare["per_day"]) == pipeline
    say(
        f"  bare script {bare_run.seconds:.1f} s ({bare['seconds']:.1f} s in DuckDB), peak RSS "
        f"{bare_run.peak_rss_mb:,.0f} MB; daily totals {'match' if match else 'DIFFER'}"
    )
    if bare["max_input_tokens"] > 128_000:
        raise SystemExit("bench data reached a long-context price band, which the bare script does not price")
    result = ScaleResult(
        calls=days * calls_per_day,
        days=days,
        landing_gb=_size_gb(landing),
        generate_seconds=generated,
        full=full,
        full_phases=phases(full.output, full.seconds),
        full_nodes=slowest_dbt_nodes(dbt_target, since),
        bare_seconds=bare_run.seconds,
        bare_rss_mb=bare_run.peak_rss_mb,
        bare_groups=bare["groups"],
        totals_match=match,
    )
    if not match:
        (work / "logs" / "mismatch.json").write_text(json.dumps({"bare": bare["per_day"], "pipeline": pipeline}))
        raise SystemExit(f"pipeline and bare script disagree; see {work / 'logs' / 'mismatch.json'}")
    if new_day:
        day = START + timedelta(days=days)
        day_fmt = fmt if fmt != "mixed" else bulk.FORMATS[days % 2]
        bulk.generate(
            landing,
            start=day,
            days=1,
            calls_per_day=calls_per_day,
            fmt=day_fmt,
            first_day_index=days,
            progress=lambda m: None,
        )
        since = time.time()
        result.day = _materialize(env, day, day, work / "logs" / "new_day.log")
        result.day_phases = phases(result.day.output, result.day.seconds)
        result.day_nodes = slowest_dbt_nodes(dbt_target, since)
        say(
            f"  new day {days + 1} ({calls_per_day:,} calls, {day_fmt}) {result.day.seconds:.1f} s, "
            f"peak RSS {result.day.peak_rss_mb:,.0f} MB"
        )
        empty = day + timedelta(days=1)
        result.empty = _materialize(env, empty, empty, work / "logs" / "empty_day.log")
        result.empty_phases = phases(result.empty.output, result.empty.seconds)
        say(f"  day {days + 2} with no new files {result.empty.seconds:.1f} s")
        restated_days = restate_bills(landing, [day - timedelta(days=i) for i in range(min(RESTATED_DAYS, days + 1))])
        restated = empty + timedelta(days=1)
        result.restated = _materialize(env, restated, restated, work / "logs" / "restated_day.log")
        result.restated_days = restated_days
        say(
            f"  day {days + 3} after {restated_days} days' bills were restated {result.restated.seconds:.1f} s "
            f"(+{result.restated.seconds - result.empty.seconds:.1f} s over a day with no new files)"
        )
    return result


RESTATED_DAYS = 30


def restate_bills(landing: Path, days: list[date]) -> int:
    """Re-issue every bulk bill file of these days in place with its first line's amount raised by $0.01 (a
    vendor restating closed days); returns the number of days restated."""
    restated = set()
    for path in sorted((landing / "billing" / "focus").glob("*/bulk-*.csv")):
        day = date.fromisoformat(path.stem[-10:])
        if day not in days:
            continue
        with path.open(newline="") as handle:
            rows = list(csv.reader(handle))
        at = rows[0].index("BilledCost")
        rows[1][at] = str(Decimal(rows[1][at]) + Decimal("0.01"))
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
        tmp.replace(path)
        restated.add(day)
    return len(restated)


# --------------------------------------------------------------------------------------------
# report


def _phase_text(p: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.0f}" for k, v in p.items()) if p else "n/a"


def _nodes_text(nodes: list[tuple[str, float]]) -> str:
    return "slowest dbt nodes: " + ", ".join(f"{name} {seconds}" for name, seconds in nodes)


def _peak_text(m: Measured) -> str:
    """'peak RSS by phase (GB): ingest + GX 0.90 (dagster_project.cli 0.88), ...' (processes over 50 MB)."""
    parts = []
    for phase, split in peak_by_phase(m.output, m.samples).items():
        big = ", ".join(f"{n} {mb / 1024:.2f}" for n, mb in sorted(split.items(), key=lambda i: -i[1]) if mb > 50)
        parts.append(f"{phase} {sum(split.values()) / 1024:.2f} ({big})")
    return "peak RSS by phase (GB): " + ("; ".join(parts) or "n/a")


def report(results: list[ScaleResult], calls_per_day: int) -> str:
    """Markdown of the results, smallest scale first; day 1 is the full build of a 1-day scale."""
    results = sorted(results, key=lambda r: r.calls)
    first_day = results[0].full if results and results[0].days == 1 else None
    versions = {name: _version(name) for name in ("duckdb", "dbt-core", "dagster", "great-expectations")}
    lines = [
        "## Results",
        "",
        f"Written by `make bench` (`python -m demo.benchmark`) on {date.today().isoformat()}: "
        f"{os.cpu_count()} cores, {_mem_gb():.0f} GB RAM, Python {platform.python_version()}, "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
        + ".",
        "",
        (
            "Landing data from `demo.bulk` (the demo's product at bulk volume, "
            f"{calls_per_day:,} calls a day, days alternating Parquet and JSONL, FOCUS bills per provider-day). "
            "Full build = `finops materialize` of every day on an empty warehouse (ingest, Great Expectations "
            "checks, dbt build with all tests, publish). Bare script = one DuckDB query over the same files "
            "computing the daily cost aggregates of `fct_cost_daily` with the same prices; the pipeline's "
            "per-day calls and list cost equal it exactly (checked on every run). Peak RSS is the sum over "
            "the process tree (Dagster, the dbt subprocess), sampled every 0.1 s."
        ),
        "",
        (
            f"| calls | days | landing | full build | peak RSS | bare script | ratio (target <= {TARGET_RATIO:g}x) "
            f"| one new day | new day RSS | day with no new files |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = r.full.seconds / r.bare_seconds
        day = f"{r.day.seconds:.1f} s (day {r.days + 1})" if r.day else "-"
        day_rss = f"{r.day.peak_rss_mb / 1024:.2f} GB" if r.day else "-"
        empty = f"{r.empty.seconds:.1f} s" if r.empty else "-"
        lines.append(
            f"| {r.calls:,} | {r.days} | {r.landing_gb:.1f} GB | {r.full.seconds:.1f} s "
            f"| {r.full.peak_rss_mb / 1024:.2f} GB | {r.bare_seconds:.1f} s | {ratio:.1f}x | {day} | {day_rss} "
            f"| {empty} |"
        )
    lines += ["", "Where the time went (seconds; phases from the run's log, second resolution):", ""]
    for r in results:
        lines.append(
            f"- {r.calls:,} calls, full build: {_phase_text(r.full_phases)}; "
            f"{_nodes_text(r.full_nodes)}; {_peak_text(r.full)}"
        )
        if r.day:
            lines.append(
                f"- {r.calls:,} calls, new day {r.days + 1}: {_phase_text(r.day_phases)}; "
                f"{_nodes_text(r.day_nodes)}; {_peak_text(r.day)}"
            )
        if r.empty:
            lines.append(f"- {r.calls:,} calls, day {r.days + 2} with no new files: {_phase_text(r.empty_phases)}")
        if r.restated and r.empty:
            lines.append(
                f"- {r.calls:,} calls, day {r.days + 3} after the bills of {r.restated_days} days were "
                f"re-issued in place with one amount changed (the run rebuilds those days by itself): "
                f"{r.restated.seconds:.1f} s, {r.restated.seconds - r.empty.seconds:+.1f} s over a day "
                "with no new files"
            )
    if first_day and results and results[-1].day:
        last = results[-1]
        growth = last.day.seconds / first_day.seconds
        lines += [
            "",
            (
                f"Daily run growth: day {last.days + 1} on {last.days} days of history took "
                f"{last.day.seconds:.1f} s, day 1 on an empty warehouse {first_day.seconds:.1f} s: "
                f"{growth:.2f}x (target <= {TARGET_DAY_GROWTH}x). Target for a {calls_per_day:,}-call day: "
                f"<= {TARGET_DAY_SECONDS:g} s end to end."
            ),
        ]
    return "\n".join(lines) + "\n"


def _version(name: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _mem_gb() -> float:
    with open("/proc/meminfo") as handle:
        return int(handle.readline().split()[1]) / 1024 / 1024


def _full_report(results: list[ScaleResult], failures: list[str], calls_per_day: int) -> str:
    text = report(results, calls_per_day)
    if failures:
        text += "\nFailed scales:\n\n" + "\n".join(f"- {f}" for f in failures) + "\n"
    return text


def _parse_dbt_project(say) -> None:
    """Dagster loads the dbt manifest: have it up to date before the first timed run, by the rule Dagster
    itself applies (dagster_project.resources.prepared_manifest), so no timed run parses."""
    done = subprocess.run(
        [sys.executable, "-c", "from dagster_project.resources import prepared_manifest; prepared_manifest()"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"dbt parse failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    say("dbt manifest up to date")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10,30", help="days per scale, comma separated (default 1,10,30)")
    parser.add_argument("--calls-per-day", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--quick", action="store_true", help="2 days x 50k calls, no new-day run, no docs")
    parser.add_argument("--keep", action="store_true", help="keep the generated landing dirs and warehouses")
    parser.add_argument("--bare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--bare-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare:
        args.bare_out.write_text(json.dumps(bare_script(args.bare)))
        return 0

    def say(message: str) -> None:
        print(message, flush=True)

    if args.quick:
        scales, calls_per_day, new_day, out = [2], 50_000, False, None
    else:
        scales, calls_per_day, new_day, out = (
            [int(s) for s in args.scales.split(",")],
            args.calls_per_day,
            True,
            args.out,
        )
    _parse_dbt_project(say)
    results, failures = [], []
    for days in scales:
        try:
            results.append(run_scale(args.work / f"{days}d", calls_per_day, days, "mixed", new_day, say))
        except SystemExit as exc:  # a failed scale is a result too: reported, and the others still run
            say(f"  FAILED: {exc}")
            failures.append(f"{days * calls_per_day:,} calls: {exc}")
        if not args.keep:
            shutil.rmtree(args.work / f"{days}d" / "landing", ignore_errors=True)
        text = _full_report(results, failures, calls_per_day)
        if out:  # after every scale: a long run cut short keeps what it measured
            head = out.read_text().split(MARKER)[0] if out.exists() and MARKER in out.read_text() else ""
            out.write_text(head + MARKER + "\n\n" + text)
    print()
    print(text)
    if out:
        print(f"written to {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
