"""Scale benchmark: the whole pipeline against a script that does the same money work.

    python -m demo.benchmark                  # make bench: 1M, 10M and 30M calls at 1M calls/day
    python -m demo.benchmark --quick          # make bench-quick: 2 days x 50k calls, in under a minute

For each scale it generates the landing files (`demo.bulk`; days alternate Parquet and JSONL),
then measures, each in its own process tree:
- full build: `finops materialize` of every day (ingest + GX checks + dbt build and tests + publish)
  on an empty warehouse: wall time, peak RSS (sum over the process tree, sampled every 0.1 s), and
  where the time went (phases from the run's log; every dbt node from dbt's run_results.json: the
  five per-call money models, the other models, the tests, and dbt's own time around them);
- the yardstick (`demo.yardstick`): one DuckDB script doing the same money work (load, dedupe,
  price the four buckets, allocate each bill grain onto its calls, persist per-call and daily
  results). Its per-call list and attributed cost must equal the pipeline's exactly, or the
  benchmark fails;
- one new day: the next day (1M calls) added to the landing dir and materialized alone on top of
  that history (a daily incremental run), against the yardstick on that day's files alone; then a
  day with no new files, and a day after restated bills.
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

from demo import bulk
from ingest.warehouse import dbt_target_dir

ROOT = Path(__file__).resolve().parent.parent
START = date(2026, 10, 1)
# Targets of the scale issue, printed next to the figures.
TARGET_RATIO = 2.0  # full build / yardstick, at 10M and 30M calls
TARGET_MONEY_RATIO = 1.5  # the five per-call money models / the yardstick's build (after its load)
TARGET_DAY_RATIO = 3.0  # a 1M-call daily run / the yardstick on that day's files
TARGET_EMPTY_SECONDS = 5.0  # a daily run with nothing new
TARGET_RSS_GB = 4.0  # peak RSS at 30M calls, and at most 2x the yardstick's
TARGET_DAY_GROWTH = 1.1  # day 31 / day 1
# The per-call money models of the comparison: dedupe and keys, four-scenario pricing, bill
# matches, allocation, the call fact.
MONEY_MODELS = (
    "int_calls_keyed",
    "int_call_bucket_scenarios_priced",
    "int_bill_grain_matches",
    "int_call_buckets_allocated",
    "fct_llm_calls",
)
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


def dbt_profile(target_dir: Path, since: float) -> dict[str, float]:
    """Seconds of the dbt run in `target_dir` (if it ran after `since`) by kind of node: the five per-call
    money models, the other models (and seeds), the tests, and the node count."""
    path = target_dir / "run_results.json"
    if not path.exists() or path.stat().st_mtime < since:
        return {}
    out = {"money models": 0.0, "other models": 0.0, "tests": 0.0, "nodes": 0.0}
    for r in json.loads(path.read_text())["results"]:
        kind, name = r["unique_id"].split(".")[0], r["unique_id"].split(".")[-1]
        key = "tests" if kind == "test" else "money models" if name in MONEY_MODELS else "other models"
        out[key] += r["execution_time"]
        out["nodes"] += 1
    return out


# --------------------------------------------------------------------------------------------
# the yardstick (demo.yardstick) beside the pipeline


def run_yardstick(landing: Path, work: Path, env: dict[str, str], name: str) -> tuple[Measured, dict]:
    """demo.yardstick in its own process on `landing`, its result file in `work`; (measured, its json)."""
    out = work / "logs" / f"{name}.json"
    measured = measure(
        [sys.executable, "-m", "demo.yardstick", str(landing), str(work / f"{name}.duckdb"), "--json", str(out)],
        env,
        work / "logs" / f"{name}.log",
    )
    if measured.returncode != 0:
        raise SystemExit(f"the yardstick failed; see {work / 'logs' / f'{name}.log'}")
    return measured, json.loads(out.read_text())


def day_landing(landing: Path, day: date, target: Path) -> Path:
    """A landing dir holding only `day`'s call and bill files (hard links), for the yardstick's one-day time."""
    shutil.rmtree(target, ignore_errors=True)
    for path in landing.rglob(f"*{day.isoformat()}*"):
        if path.is_file():
            link = target / path.relative_to(landing)
            link.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, link)
    return target


def pipeline_per_day(serving: Path) -> list[list]:
    with duckdb.connect(str(serving), read_only=True) as con:
        rows = con.execute(
            "select cost_day::VARCHAR, sum(calls), sum(list_cost)::VARCHAR, sum(attributed_cost)::VARCHAR "
            "from marts.fct_cost_daily where cost_kind = 'usage' group by 1 order by 1"
        ).fetchall()
    return _normalized(rows)


def _normalized(per_day: list) -> list[list]:
    return [[d, int(c), str(Decimal(v).normalize()), str(Decimal(a).normalize())] for d, c, v, a in per_day]


def calls_differing(serving: Path, yardstick: Path) -> int:
    """Calls whose list or attributed billed cost differs by any pico-dollar between the pipeline's
    fct_llm_calls and the yardstick's call_costs (a call on one side only counts too)."""
    with duckdb.connect(config={"memory_limit": "4GB"}) as con:
        con.execute(f"attach '{serving}' as p (read_only); attach '{yardstick}' as y (read_only)")
        return con.execute(
            """
            select count(*)
            from p.marts.fct_llm_calls as p
            full join y.call_costs as y using (call_id)
            where cast(p.list_cost * 1000000000000 as HUGEINT) is distinct from y.list_pico
               or cast(p.attributed_billed_cost * 1000000000000 as HUGEINT) is distinct from y.billed_pico
               or p.call_id is null or y.call_id is null
            """
        ).fetchone()[0]


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
    full_dbt: dict[str, float]
    script: Measured
    script_load_seconds: float
    totals_match: bool
    calls_differing: int
    day: Measured | None = None
    day_phases: dict[str, float] = field(default_factory=dict)
    day_nodes: list[tuple[str, float]] = field(default_factory=list)
    day_dbt: dict[str, float] = field(default_factory=dict)
    day_script: Measured | None = None
    # the day after the new day, with no new files: what a daily run costs before any data
    empty: Measured | None = None
    empty_phases: dict[str, float] = field(default_factory=dict)
    empty_dbt: dict[str, float] = field(default_factory=dict)
    # the next day, after every bill of the last RESTATED_DAYS days was re-issued with one amount changed:
    # the daily run rebuilds those days by itself (ingest.rebuild)
    restated: Measured | None = None
    restated_days: int = 0

    @property
    def script_build_seconds(self) -> float:
        """The yardstick's money work after its load: what the five money models are compared with."""
        return self.script.seconds - self.script_load_seconds


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
    full_dbt = dbt_profile(dbt_target, since)
    full_nodes = slowest_dbt_nodes(dbt_target, since)

    script, result = run_yardstick(landing, work, env, "yardstick")
    serving = work / "warehouse" / "serving.duckdb"
    pipeline = pipeline_per_day(serving)
    match = _normalized(result["per_day"]) == pipeline
    differing = calls_differing(serving, work / "yardstick.duckdb")
    say(
        f"  yardstick {script.seconds:.1f} s ({result['load_seconds']:.1f} s loading), peak RSS "
        f"{script.peak_rss_mb:,.0f} MB; daily totals {'match' if match else 'DIFFER'}, "
        f"{differing:,} calls differ"
    )
    scale = ScaleResult(
        calls=days * calls_per_day,
        days=days,
        landing_gb=_size_gb(landing),
        generate_seconds=generated,
        full=full,
        full_phases=phases(full.output, full.seconds),
        full_nodes=full_nodes,
        full_dbt=full_dbt,
        script=script,
        script_load_seconds=result["load_seconds"],
        totals_match=match,
        calls_differing=differing,
    )
    (work / "yardstick.duckdb").unlink(missing_ok=True)
    if not match or differing:
        (work / "logs" / "mismatch.json").write_text(json.dumps({"yardstick": result["per_day"], "pipeline": pipeline}))
        raise SystemExit(f"pipeline and yardstick disagree; see {work / 'logs' / 'mismatch.json'}")
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
        scale.day = _materialize(env, day, day, work / "logs" / "new_day.log")
        scale.day_phases = phases(scale.day.output, scale.day.seconds)
        scale.day_nodes = slowest_dbt_nodes(dbt_target, since)
        scale.day_dbt = dbt_profile(dbt_target, since)
        scale.day_script, _ = run_yardstick(day_landing(landing, day, work / "day_landing"), work, env, "day")
        (work / "day.duckdb").unlink(missing_ok=True)
        say(
            f"  new day {days + 1} ({calls_per_day:,} calls, {day_fmt}) {scale.day.seconds:.1f} s, "
            f"peak RSS {scale.day.peak_rss_mb:,.0f} MB; yardstick on that day {scale.day_script.seconds:.1f} s"
        )
        empty = day + timedelta(days=1)
        since = time.time()
        scale.empty = _materialize(env, empty, empty, work / "logs" / "empty_day.log")
        scale.empty_phases = phases(scale.empty.output, scale.empty.seconds)
        scale.empty_dbt = dbt_profile(dbt_target, since)
        say(f"  day {days + 2} with no new files {scale.empty.seconds:.1f} s")
        restated_days = restate_bills(landing, [day - timedelta(days=i) for i in range(min(RESTATED_DAYS, days + 1))])
        restated = empty + timedelta(days=1)
        scale.restated = _materialize(env, restated, restated, work / "logs" / "restated_day.log")
        scale.restated_days = restated_days
        say(
            f"  day {days + 3} after {restated_days} days' bills were restated {scale.restated.seconds:.1f} s "
            f"(+{scale.restated.seconds - scale.empty.seconds:.1f} s over a day with no new files)"
        )
    return scale


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


def _dbt_text(profile: dict[str, float], phase_seconds: dict[str, float]) -> str:
    """'dbt nodes: 312, money models 5.9, other models 3.1, tests 4.0, dbt's own 3.0' (seconds)."""
    if not profile:
        return "dbt nodes: n/a"
    node_time = profile["money models"] + profile["other models"] + profile["tests"]
    own = phase_seconds.get("dbt build", 0.0) - node_time
    return (
        f"dbt nodes: {profile['nodes']:.0f}, money models {profile['money models']:.1f}, other models "
        f"{profile['other models']:.1f}, tests {profile['tests']:.1f}, dbt's own time around them {own:.1f}"
    )


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
        + f", load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        (
            "Landing data from `demo.bulk` (the demo's product at bulk volume, "
            f"{calls_per_day:,} calls a day, days alternating Parquet and JSONL, FOCUS bills per provider-day). "
            "Full build = `finops materialize` of every day on an empty warehouse (ingest, Great Expectations "
            "checks, dbt build with all tests, publish). Yardstick = `demo.yardstick`, one DuckDB script doing "
            "the same money work (load, dedupe, price, allocate, persist per-call and daily results); its "
            "per-call list and attributed cost equal the pipeline's to the pico-dollar (checked on every run: "
            "0 calls differ). Money models = the five per-call models (" + ", ".join(MONEY_MODELS) + "), "
            "compared with the yardstick's work after its load. Peak RSS is the sum over the process tree "
            "(Dagster, the dbt subprocess), sampled every 0.1 s."
        ),
        "",
        (
            f"| calls | days | full build | yardstick | ratio (<= {TARGET_RATIO:g}x) | money models | "
            f"yardstick after load | ratio (<= {TARGET_MONEY_RATIO:g}x) | peak RSS | yardstick RSS | one new day | "
            f"yardstick, that day | ratio (<= {TARGET_DAY_RATIO:g}x) | no new files (<= {TARGET_EMPTY_SECONDS:g} s) |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        money = r.full_dbt.get("money models", 0.0)
        day = f"{r.day.seconds:.1f} s" if r.day else "-"
        day_script = f"{r.day_script.seconds:.1f} s" if r.day_script else "-"
        day_ratio = f"{r.day.seconds / r.day_script.seconds:.1f}x" if r.day and r.day_script else "-"
        empty = f"{r.empty.seconds:.1f} s" if r.empty else "-"
        lines.append(
            f"| {r.calls:,} | {r.days} | {r.full.seconds:.1f} s | {r.script.seconds:.1f} s "
            f"| {r.full.seconds / r.script.seconds:.1f}x | {money:.1f} s | {r.script_build_seconds:.1f} s "
            f"| {money / r.script_build_seconds:.1f}x | {r.full.peak_rss_mb / 1024:.2f} GB "
            f"| {r.script.peak_rss_mb / 1024:.2f} GB | {day} | {day_script} | {day_ratio} | {empty} |"
        )
    lines += [
        "",
        (
            "Where the time went (seconds; phases from the run's log, second resolution; dbt nodes from its "
            "run_results.json):"
        ),
        "",
    ]
    for r in results:
        lines.append(
            f"- {r.calls:,} calls, full build: {_phase_text(r.full_phases)}; {_dbt_text(r.full_dbt, r.full_phases)}; "
            f"{_nodes_text(r.full_nodes)}; {_peak_text(r.full)}; the yardstick: {r.script_load_seconds:.1f} loading, "
            f"{r.script_build_seconds:.1f} the rest"
        )
        if r.day:
            lines.append(
                f"- {r.calls:,} calls, new day {r.days + 1}: {_phase_text(r.day_phases)}; "
                f"{_dbt_text(r.day_dbt, r.day_phases)}; {_nodes_text(r.day_nodes)}; {_peak_text(r.day)}"
            )
        if r.empty:
            lines.append(
                f"- {r.calls:,} calls, day {r.days + 2} with no new files: {_phase_text(r.empty_phases)}; "
                f"{_dbt_text(r.empty_dbt, r.empty_phases)}"
            )
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
                f"{growth:.2f}x (target <= {TARGET_DAY_GROWTH}x). Peak RSS target: <= {TARGET_RSS_GB:g} GB at "
                "30M calls and at most 2x the yardstick's."
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
    args = parser.parse_args(argv)

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
