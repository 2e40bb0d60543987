"""serving.report: the self-contained HTML report, rendered by headless Chromium (plotly's SVG must be
in the DOM after the scripts ran). Chromium is a system package: missing means failure, not a skip."""

from __future__ import annotations

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

from serving.publish import publish
from serving.report import ANOMALY_ROWS, load, write_report

HEADINGS = [
    "AI spend report",
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
    tables = "".join(re.findall(r"<table>.*?</table>", text, flags=re.DOTALL))
    amounts = re.findall(r"\$[-\d,.]+", tables)
    assert amounts and all(re.fullmatch(r"\$\d{1,3}(,\d{3})*\.\d{2}", a) for a in amounts), amounts[:5]


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


def test_anomaly_section_reads_the_anomaly_mart(warehouse, tmp_path):
    """The report lists what marts.fct_cost_anomalies found (no rule of its own): critical first, and
    the tolerance line shows the numbers fct_reconciliation was judged with."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        mart = con.execute(
            "select period_start, anomaly_type, axis, axis_value, severity from marts.fct_cost_anomalies "
            "order by severity = 'critical' desc, period_start desc, anomaly_type, axis, axis_value"
        ).fetchall()
    finally:
        con.close()
    data = load(warehouse)
    assert [a[:5] for a in data.anomalies] == mart and len(mart) > ANOMALY_ROWS
    assert [a[3] for a in data.anomalies if a[4] == "critical"] == ["t005/support_triage", "t005/support_triage"]
    assert data.tolerance == (Decimal("0.02"), Decimal("1.00"))
    text = write_report(warehouse, tmp_path / "report.html").read_text()
    section = text.split('id="anomalies"', 1)[1]
    assert (
        '<tr class="bad"><td>2026-10-20 12:00</td><td>hourly spend</td><td>tenant_feature</td>'
        "<td>t005/support_triage</td><td>critical</td>"
    ) in section
    assert f"{ANOMALY_ROWS} of {len(mart)} anomalies shown" in section
    assert "tolerance 2.00%, or a gap of at most $1.00" in text


def test_report_from_the_serving_file(warehouse, tmp_path):
    serving = publish(warehouse, tmp_path / "finops_serving.duckdb").serving_path
    assert load(serving) == load(warehouse)
