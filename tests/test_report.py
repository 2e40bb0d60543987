"""serving.report: the self-contained HTML report, rendered by headless Chromium (plotly's SVG must be
in the DOM after the scripts ran). Chromium is a system package: missing means failure, not a skip.

The report opens with what needs attention (serving/attention.py, shared with `finops summary`): open
alerts, out-of-tolerance periods, unpriced models, quarantined rows per file."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import serving.report
from ingest.loaders import load_landing
from ingest.warehouse import connect, run_lock
from serving.publish import publish
from serving.report import load, money, write_report
from tests.faults.kit import call, write

HEADINGS = [
    "AI spend report",
    "Needs attention",
    "Daily spend by provider",
    "Top features and tenants",
    "Reconciliation by provider",
    "Anomalies",
]


def chromium_binary() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        pytest.fail(
            f"headless Chromium not found ({found}): install it with `apt-get install -y chromium` "
            "(the Makefile's install step does)"
        )
    return found


def run_chromium(url: str, profile: Path, *extra: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Headless Chromium with no network chatter of its own; returns the finished process."""
    cmd = [
        chromium_binary(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *extra,
        url,
    ]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def warehouse(built, tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("report") / "finops.duckdb"
    shutil.copy2(built.warehouse, copy)
    return copy


@pytest.fixture(scope="module")
def report(warehouse) -> Path:
    return write_report(warehouse, warehouse.parent / "out" / "report.html")


def test_report_is_self_contained_with_cents(report, built):
    text = report.read_text()
    manifest = json.loads((built.landing / "_demo" / "manifest.json").read_text())
    assert not re.search(r"<script[^>]+src=", text), "the report must not load scripts from the network"
    assert "plotly.js v" in text  # plotly.js inlined
    assert text.count("plotly.js v") == 1  # ...once
    for heading in HEADINGS:
        assert heading in text
    billed, credit = Decimal(manifest["billed_usage_total"]), Decimal(manifest["credit_total"])
    assert f"${billed:,.2f}" in text  # spend = billed usage (every demo day is billed)
    assert f"-${-credit:,.2f}" in text
    assert f"${billed + credit:,.2f}" in text
    assert f"{manifest['calls_logged']:,}" in text
    # every amount the report computes is shown in cents (the alert messages are fct_alerts' own text)
    amounts = re.findall(r"<td class=num>(-?\$[^<]*)</td>", text)
    assert amounts and all(re.fullmatch(r"-?\$\d{1,3}(,\d{3})*\.\d{2}", a) for a in amounts), amounts[:5]


def test_report_renders_in_headless_chromium(report, tmp_path):
    started = time.monotonic()
    done = run_chromium(report.as_uri(), tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom")
    dom = done.stdout
    # plotly draws each figure into <svg class="main-svg"> elements once its script ran
    svgs = re.findall(r'<svg[^>]*class="main-svg"', dom)
    assert len(svgs) >= 3, f"plotly did not render: {len(svgs)} main-svg elements"
    for fig in ("fig-0", "fig-1", "fig-2"):
        block = dom.split(f'id="{fig}"', 1)
        assert len(block) == 2 and 'class="main-svg"' in block[1][:200_000], f"{fig} not rendered"
    assert 'class="scatterlayer' in dom and "trace bars" in dom
    for heading in HEADINGS:
        assert re.search(rf"<h[12][^>]*>{re.escape(heading)}", dom), heading
    assert time.monotonic() - started < 30


def _query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _section(text: str, anchor: str) -> str:
    """The HTML from the heading with id ``anchor`` to the next h2."""
    return text.split(f'<h2 id="{anchor}">', 1)[1].split("<h2 ", 1)[0]


def _rows(section: str) -> list[str]:
    return re.findall(r"<tr[ >].*?</tr>", section.split("<tbody>", 1)[1]) if "<tbody>" in section else []


def test_anomaly_section_reads_the_anomaly_mart(warehouse, tmp_path):
    """The report lists exactly what marts.fct_cost_anomalies found (no rule of its own): every row,
    critical first then newest first, and the tolerance line shows the numbers fct_reconciliation was
    judged with."""
    mart = _query(
        warehouse,
        "select period_start, anomaly_type, axis, axis_value, severity from marts.fct_cost_anomalies "
        "order by severity = 'critical' desc, period_start desc, anomaly_type, axis, axis_value",
    )
    assert len(mart) == 99
    data = load(warehouse)
    assert [a[:5] for a in data.anomalies] == mart
    assert [a[3] for a in data.anomalies if a[4] == "critical"] == ["t005/support_triage", "t005/support_triage"]
    assert data.tolerance == (Decimal("0.02"), Decimal("1.00"))
    text = write_report(warehouse, tmp_path / "report.html").read_text()
    section = _section(text, "anomalies")
    rows = _rows(section)
    assert len(rows) == len(mart) == 99  # every anomaly, none added, none left out
    assert "99 anomalies (2 critical), critical first, then newest first." in section
    assert rows[0] == (
        '<tr class="critical"><td>critical</td><td>2026-10-20 12:00</td><td>hourly spend</td><td>tenant_feature</td>'
        "<td>t005/support_triage</td><td class=num>$0.12</td><td class=num>$0.01</td><td class=num>8.63x</td></tr>"
    )
    assert rows[1].startswith('<tr class="critical"><td>critical</td><td>2026-10-20</td><td>daily spend</td>')
    assert (
        '<tr class="warning"><td>warning</td><td>2026-10-23</td><td>daily spend</td><td>tenant_feature</td>'
        "<td>t002/code_review</td><td class=num>$5.57</td><td class=num>$3.16</td><td class=num>1.76x</td></tr>"
    ) in rows
    assert all(r.startswith('<tr class="warning"><td>warning</td>') for r in rows[2:])
    assert "anomalies shown" not in section
    assert "tolerance 2.00%, or a gap of at most $1.00" in text


def test_a_long_anomaly_list_is_cut_and_says_so(warehouse, tmp_path, monkeypatch):
    monkeypatch.setattr(serving.report, "ANOMALY_ROWS", 50)
    section = _section(write_report(warehouse, tmp_path / "report.html").read_text(), "anomalies")
    assert len(_rows(section)) == 50
    assert "50 of 99 anomalies shown: the rest are in marts.fct_cost_anomalies." in section


def test_the_report_opens_with_what_needs_attention(warehouse, tmp_path):
    """Right after the headline: the open alerts of the last 30 days of data (the 2 critical ones first,
    10 shown, the count of the rest), then one line each for reconciliation, unpriced models and
    quarantined rows, which are clean on the demo."""
    alerts = _query(
        warehouse,
        "select severity, message from marts.fct_alerts "
        "where period_start >= (select max(cost_day) - 29 from marts.fct_cost_daily) "
        "order by severity = 'critical' desc, alert_type = 'hourly_spend_anomaly', period_start desc, alert_type",
    )
    critical = [m for s, m in alerts if s == "critical"]
    assert len(alerts) == 100 and len(critical) == 2
    assert critical[0].startswith("Daily spend of tenant_feature t005/support_triage on 2026-10-20 was $1.01, 5.93x")
    assert _query(warehouse, "select count(*) from raw.quarantine") == [(0,)]

    found = load(warehouse).attention
    assert (len(found.alerts), found.critical) == (100, 2)
    assert [a.message for a in found.alerts[:2]] == critical
    assert (found.out_of_tolerance, found.unpriced, found.quarantine.files, found.quarantine.unavailable) == (
        (),
        (),
        (),
        None,
    )

    text = write_report(warehouse, tmp_path / "report.html").read_text()
    body = text.split("<body>", 1)[1]
    assert body.index('class="kpis"') < body.index("<h2 ") == body.index('<h2 id="attention">Needs attention</h2>')
    section = _section(text, "attention")
    assert "<b>Open alerts</b>, last 30 days of data: <b>100</b> (2 critical)" in section
    rows = _rows(section)
    assert len(rows) == 10
    # the first alert of the report is the first critical alert, with its message
    assert rows[0] == (
        '<tr class="critical"><td>critical</td><td>daily spend anomaly</td><td>2026-10-20</td>'
        f"<td class=wrap>{html.escape(critical[0])}</td></tr>"
    )
    assert rows[1] == (
        '<tr class="critical"><td>critical</td><td>hourly spend anomaly</td><td>2026-10-20 12:00</td>'
        f"<td class=wrap>{html.escape(critical[1])}</td></tr>"
    )
    assert all(r.startswith('<tr class="warning"><td>warning</td>') for r in rows[2:])
    assert "&hellip; and 90 more: all warnings" in section
    assert text.index(html.escape(critical[0])) < text.index("Daily spend by provider")
    for line in (
        "<b>Reconciliation</b>: every bill within tolerance (tolerance 2.00%, or a gap of at most $1.00)",
        "<b>Unpriced models</b>: none, every call has a list price",
        "<b>Quarantined rows</b>: none, every landed row was loaded",
    ):
        assert f'<p class="line ok"><span class="mark">&#10003;</span> {line}</p>' in section


def test_an_out_of_tolerance_period_is_listed_first_thing(warehouse, tmp_path):
    """The demo reconciles, so one day's bill is made wrong in a copy of the marts (as test_queries
    does): the period shows in the attention section with its variance."""
    copy = tmp_path / "gap.duckdb"
    shutil.copy2(warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute(
            "update marts.fct_reconciliation set billed_usage_cost = computed_cost + 50, variance_cost = 50, "
            "variance_pct = 50 / (computed_cost + 50), reconciliation_status = 'out_of_tolerance', "
            "within_tolerance = false where period_grain = 'day' and period_start = '2026-10-30' "
            "and provider = 'openai' and billing_account = 'proj_prod'"
        )
        computed, pct = con.execute(
            "select computed_cost, variance_pct from marts.fct_reconciliation where period_grain = 'day' "
            "and period_start = '2026-10-30' and provider = 'openai' and billing_account = 'proj_prod'"
        ).fetchone()
    finally:
        con.close()
    section = _section(write_report(copy, tmp_path / "report.html").read_text(), "attention")
    assert (
        '<p class="line critical"><span class="mark">!!</span> <b>Reconciliation</b>: <b>1</b> period(s) out of '
        "tolerance (tolerance 2.00%, or a gap of at most $1.00)</p>"
    ) in section
    assert (
        '<tr class="critical"><td>day</td><td>2026-10-30</td><td>openai</td><td>proj_prod</td>'
        f"<td class=num>{money(computed)}</td><td class=num>{money(computed + 50)}</td>"
        f"<td class=num>$50.00</td><td class=num>{float(pct):.2%}</td></tr>"
    ) in _rows(section)
    assert "every bill within tolerance" not in section


@pytest.fixture(scope="module")
def bad_rows_landed(built, tmp_path_factory):
    """The demo, then a late call log landed with one good line, two negative token counts and a
    truncated JSON line, loaded by the real loader (no dbt run: the marts stay as they were), and
    the build file published to a serving file beside it."""
    ws = built.copy(tmp_path_factory.mktemp("quarantine") / "ws")
    good = json.dumps(call(call_id="late-1", started_at="2026-10-30T12:00:00Z"))
    lines = [
        good,
        json.dumps(call(call_id="late-2", started_at="2026-10-30T12:01:00Z", output_tokens=-1)),
        json.dumps(call(call_id="late-3", started_at="2026-10-30T12:02:00Z", output_tokens=-7)),
        good[:37],
    ]
    write(ws.landing / "calls" / "canonical" / "2026" / "10" / "30" / "late.jsonl", "\n".join(lines) + "\n")
    con = connect(ws.warehouse)
    try:
        loaded = [f for f in load_landing(con, ws.landing).files if f.status == "loaded"]
    finally:
        con.close()
    assert [(f.rows_loaded, f.rows_quarantined) for f in loaded] == [(1, 3)]
    publish(ws.warehouse, ws.warehouse.with_name("serving.duckdb"))
    return ws


def test_quarantined_rows_per_file_with_top_reasons(bad_rows_landed, tmp_path):
    """From the serving file (which does not hold raw.quarantine) the report reads the quarantine of the
    build file it was published from; from the build file, its own."""
    ws = bad_rows_landed
    (path,) = {p for (p,) in ws.query("select file_path from raw.quarantine")}
    assert path.endswith("late.jsonl")
    serving_file = ws.warehouse.with_name("serving.duckdb")
    assert _query(serving_file, "select count(*) from duckdb_tables() where schema_name = 'raw'") == [(0,)]
    line = (
        '<p class="line warning"><span class="mark">!</span> <b>Quarantined rows</b>: <b>3</b> in 1 file(s) '
        "&middot; raw.quarantine of the build file</p>"
    )
    row = (
        f"<tr><td class=wrap>{html.escape(path)}</td><td class=num>3</td>"
        "<td class=wrap>negative value (2); invalid JSON (truncated or malformed line) (1)</td></tr>"
    )
    for source in (serving_file, ws.warehouse):
        section = _section(write_report(source, tmp_path / f"{source.stem}.html").read_text(), "attention")
        assert line in section, source
        assert row in _rows(section), source
    quarantine = load(serving_file).attention.quarantine
    assert quarantine.rows == 3 and [(f.path, f.reasons) for f in quarantine.files] == [
        (path, (("negative value", 2), ("invalid JSON (truncated or malformed line)", 1)))
    ]


def test_the_build_file_is_not_opened_while_a_run_is_on_it(bad_rows_landed, tmp_path):
    """A read-only connection makes the pipeline's writer fail: while a run holds the warehouse's run
    lock, the report says the quarantine is not available instead of opening the build file."""
    ws = bad_rows_landed
    with run_lock(ws.warehouse):
        section = _section(
            write_report(ws.warehouse.with_name("serving.duckdb"), tmp_path / "report.html").read_text(), "attention"
        )
    assert (
        '<p class="line unknown"><span class="mark">?</span> <b>Quarantined rows</b>: not available '
        f"({html.escape(str(ws.warehouse))} is in use by a run)</p>"
    ) in section
    assert "<b>Open alerts</b>, last 30 days of data: <b>100</b> (2 critical)" in section  # the rest is there


def test_summary_lists_quarantined_rows_per_file(bad_rows_landed):
    """`finops summary` prints the same findings (serving/attention.py) as lines."""
    result = bad_rows_landed.finops("summary")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    (path,) = {p for (p,) in bad_rows_landed.query("select file_path from raw.quarantine")}
    start = lines.index("  quarantined rows: 3 in 1 file(s) - raw.quarantine")
    assert lines[start + 1] == f"    {path}: 3 row(s), negative value; invalid JSON (truncated or malformed line)"


def test_report_from_the_serving_file(warehouse, tmp_path):
    serving = publish(warehouse, tmp_path / "finops_serving.duckdb").serving_path
    assert load(serving) == load(warehouse)
