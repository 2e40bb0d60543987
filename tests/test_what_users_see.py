"""What a user sees first: `finops summary` opens with the alerts and the data-quality findings, an empty
warehouse says so, and landing mistakes are loud (a missing landing dir names the variable; the demo is
never written into a mistyped path)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.dbt_assets import finops_dbt_assets
from ingest.loaders import LoadError, load_landing
from ingest.warehouse import connect

REPO = Path(__file__).resolve().parent.parent


def finops(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_summary_opens_with_alerts_then_data_quality(built):
    result = built.finops("summary")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    alerts = built.query(
        "select severity, message from marts.fct_alerts "
        "where period_start >= (select max(cost_day) - 29 from marts.fct_cost_daily) "
        "order by severity = 'critical' desc, alert_type = 'hourly_spend_anomaly', period_start desc, alert_type"
    )
    critical = [m for s, m in alerts if s == "critical"]
    assert len(critical) == 2 and len(alerts) == 100
    assert lines[2] == f"Open alerts, last 30 days of data: {len(alerts)} (2 critical) - marts.fct_alerts"
    assert lines[3:5] == [f"  CRITICAL {m}" for m in critical]
    assert "Daily spend of tenant_feature t005/support_triage on 2026-10-20" in lines[3]
    assert "t005/support_triage at 2026-10-20 12:00 UTC" in lines[4]
    # the daily, cap and budget warnings come before the hourly ones
    assert not [line for line in lines[5:13] if "Hourly list cost" in line]
    assert lines[13] == f"  ... and {len(alerts) - 10} more: select * from marts.fct_alerts order by period_start desc"
    text = result.stdout
    assert text.index("Open alerts") < text.index("Data quality") < text.index("Spend by provider")
    assert "  reconciliation: OK, every bill within tolerance" in lines
    assert "  unpriced models: none" in lines
    quarantined = built.query("select count(*) from raw.quarantine")[0][0]
    assert (f"  quarantined rows: {quarantined:,} in" in text) if quarantined else ("  quarantined rows: none" in lines)


def test_summary_of_an_empty_warehouse_says_no_data_yet(tmp_path):
    warehouse = tmp_path / "finops.duckdb"
    con = connect(warehouse)
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_cost_daily (cost_day date, calls bigint, attributed_cost decimal(38,12), "
        "attributed_billed_cost decimal(38,12))"
    )
    con.close()
    result = finops({"FINOPS_WAREHOUSE": str(warehouse), "FINOPS_LANDING_DIR": str(tmp_path / "landing")}, "summary")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(f"no data yet: the warehouse {warehouse} holds no logged call.")
    assert "Traceback" not in result.stderr


def test_materialize_with_a_missing_landing_dir_names_the_variable(tmp_path):
    typo = tmp_path / "landnig"
    result = finops(
        {
            "FINOPS_LANDING_DIR": str(typo),
            "FINOPS_WAREHOUSE": str(tmp_path / "wh" / "finops.duckdb"),
            "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        },
        "materialize",
        "--start",
        "2026-10-01",
        "--end",
        "2026-10-01",
    )
    assert result.returncode == 2
    assert f"FINOPS_LANDING_DIR={typo} does not exist" in result.stderr
    assert not (tmp_path / "wh" / "finops.duckdb").exists()


def test_the_loader_refuses_a_missing_landing_dir(tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    try:
        with pytest.raises(LoadError, match=r"landing dir .*landnig does not exist: set FINOPS_LANDING_DIR"):
            load_landing(con, tmp_path / "landnig")
    finally:
        con.close()


def test_make_run_never_writes_the_demo_into_a_mistyped_landing_dir(tmp_path):
    typo = tmp_path / "landnig"
    result = subprocess.run(
        ["make", "-s", "demo", f"FINOPS_LANDING_DIR={typo}"], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 2
    assert f"FINOPS_LANDING_DIR={typo} is missing or empty" in result.stderr
    assert not typo.exists()


def test_the_report_goes_next_to_the_warehouse(built, tmp_path):
    warehouse = tmp_path / "warehouse" / "finops.duckdb"
    result = finops(
        {"FINOPS_WAREHOUSE": str(warehouse), "FINOPS_SERVING": str(built.warehouse.with_name("serving.duckdb"))},
        "report",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = tmp_path / "warehouse" / "reports" / "finops_report.html"
    assert result.stdout.strip() == f"report written to {report}"
    assert "t005/support_triage" in report.read_text()


def test_every_asset_check_says_what_it_checks():
    specs = list(finops_dbt_assets.check_specs)
    assert len(specs) == 48
    described = {spec.name: spec.description for spec in specs}
    assert all(d and d != "No description provided" for d in described.values()), described
    assert described["assert_attributed_cost_sums_to_bill"].startswith("The money identity: per provider x UTC day")
    expression = next(d for n, d in described.items() if n.startswith("expression_is_true_fct_tenant_margin"))
    assert expression.startswith("expression_is_true: expression: ")


def test_a_start_after_yesterday_alone_is_named_as_such(tmp_path):
    (tmp_path / "landing").mkdir()
    result = finops(
        {
            "FINOPS_LANDING_DIR": str(tmp_path / "landing"),
            "FINOPS_WAREHOUSE": str(tmp_path / "wh" / "finops.duckdb"),
            "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        },
        "materialize",
        "--start",
        "2099-01-01",
    )
    assert result.returncode == 2
    assert "--start 2099-01-01 is after yesterday" in result.stderr and "--end" not in result.stderr


def test_month_periods_print_as_year_and_month_in_reconcile_as_in_summary(built):
    result = built.finops("reconcile", "--grain", "month")
    rows = [line for line in result.stdout.splitlines() if line.startswith("2026-")]
    assert len(rows) == 6 and all(line.startswith("2026-10  ") for line in rows)


FIXTURES = REPO / "tests" / "fixtures" / "calls"


def test_misplaced_files_are_named_with_where_they_go_and_never_stop_the_others(tmp_path):
    """A LiteLLM export dropped in calls/canonical/: as .jsonl every row is quarantined, as .csv no adapter
    reads it. The good file beside them loads, the run publishes and exits 5 naming both with a hint; moved
    where the hint says, they load and the run exits 0."""
    landing = tmp_path / "landing"
    canonical, litellm = landing / "calls" / "canonical", landing / "calls" / "litellm"
    (landing / "calls" / "langfuse").mkdir(parents=True)
    canonical.mkdir()
    litellm.mkdir()
    shutil.copy(FIXTURES / "langfuse" / "observations_2026-10-02.jsonl", landing / "calls" / "langfuse")
    shutil.copy(FIXTURES / "litellm" / "spend_logs_2026-10-02.jsonl", canonical)
    shutil.copy(FIXTURES / "litellm" / "spend_logs_export.csv", canonical)
    env = {
        "FINOPS_LANDING_DIR": str(landing),
        "FINOPS_WAREHOUSE": str(tmp_path / "wh" / "finops.duckdb"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "FINOPS_CONFIG_DIR": str(tmp_path / "config"),
    }
    first = finops(env, "materialize", "--start", "2026-10-02", "--end", "2026-10-02")
    assert first.returncode == 5, first.stderr[-3000:]
    assert "Telemetry" not in first.stdout + first.stderr  # no banner: the project's dagster.yaml turns it off
    hint = "looks like LiteLLM SpendLogs: move it to calls/litellm/"
    assert "2 landing file(s) NOT LOADED (the other files were" in first.stderr
    assert f"  {canonical}/spend_logs_2026-10-02.jsonl: every row quarantined (4); {hint}" in first.stderr
    assert (
        f"  {canonical}/spend_logs_export.csv: rejected: no adapter for calls/canonical files ending in '.csv' "
        f"(supported: .json, .jsonl, .parquet); {hint}"
    ) in first.stderr
    con = connect(tmp_path / "wh" / "finops.duckdb", read_only=True)
    try:
        langfuse_rows = con.execute("select count(*) from raw.calls").fetchone()[0]
        published = con.execute("select sum(calls) from marts.fct_cost_daily").fetchone()[0]
    finally:
        con.close()
    assert langfuse_rows > 0 and published == langfuse_rows  # the good file was loaded and built

    summary = finops(env, "summary")
    assert (
        f"  not loaded: {canonical}/spend_logs_export.csv: rejected: no adapter for calls/canonical files ending "
        f"in '.csv' (supported: .json, .jsonl, .parquet); {hint}"
    ) in summary.stdout.splitlines(), summary.stdout
    assert f"  not loaded: {canonical}/spend_logs_2026-10-02.jsonl: every row quarantined (4); {hint}" in summary.stdout
    assert finops(env, "report").returncode == 0
    report = (tmp_path / "wh" / "reports" / "finops_report.html").read_text()
    assert "<b>Landing files not loaded</b>: <b>2</b>" in report
    assert report.count(hint) == 2

    for name in ("spend_logs_2026-10-02.jsonl", "spend_logs_export.csv"):
        (canonical / name).rename(litellm / name)
    second = finops(env, "materialize", "--start", "2026-10-02", "--end", "2026-10-02")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "NOT LOADED" not in second.stderr
    con = connect(tmp_path / "wh" / "finops.duckdb", read_only=True)
    try:
        assert con.execute("select count(*) from raw.calls").fetchone()[0] == langfuse_rows + 3
        assert con.execute(
            "select format, status, rows_loaded, rows_quarantined from raw.files where format <> 'langfuse' "
            "order by format, file_path"
        ).fetchall() == [
            ("canonical", "superseded", 0, 4),  # its 4 quarantine rows went with it
            ("litellm", "loaded", 2, 2),
            ("litellm", "loaded", 1, 2),
        ]
        assert con.execute("select count(*) from raw.quarantine where file_path like '%/canonical/%'").fetchone() == (
            0,
        )
    finally:
        con.close()
