"""The company config dir (ingest.company_config) and the days a run rebuilds (ingest.rebuild), on a real
DuckDB file: validation with file/line/field/reason, the days a changed row applies to, the lookback."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ingest.company_config import load_config
from ingest.config import Settings, default_config_dir
from ingest.loaders import load_landing
from ingest.rebuild import DEFAULT_GRACE_DAYS, GRACE_ENV, mark_built, rebuild_window
from ingest.warehouse import connect

OVERRIDES = "provider,model,token_bucket,service_tier,price_per_mtok,valid_from,valid_to,note\n"


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    yield con
    con.close()


def _calls(landing: Path, days: list[str], provider: str = "openai") -> None:
    path = landing / "calls" / "canonical" / f"calls-{provider}-{days[0]}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(
            json.dumps(
                {
                    "call_id": f"{provider}-{d}",
                    "started_at": f"{d}T12:00:00Z",
                    "provider": provider,
                    "model_requested": "gpt-4o-mini",
                    "input_uncached_tokens": 10,
                    "output_tokens": 1,
                }
            )
            + "\n"
            for d in days
        )
    )


def _pending(con) -> list[tuple]:
    return con.execute(
        "select day::varchar, kind from raw.changed_days where built_at is null order by day, kind"
    ).fetchall()


def test_the_default_config_dir_is_beside_the_landing_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FINOPS_LANDING_DIR", str(tmp_path / "somewhere" / "landing"))
    monkeypatch.delenv("FINOPS_CONFIG_DIR", raising=False)
    assert (
        Settings.from_env().config_dir
        == tmp_path / "somewhere" / "config"
        == default_config_dir(tmp_path / "somewhere" / "landing")
    )
    monkeypatch.setenv("FINOPS_CONFIG_DIR", str(tmp_path / "elsewhere"))
    assert Settings.from_env().config_dir == tmp_path / "elsewhere"


def test_bad_config_rows_are_quarantined_with_file_line_field_and_reason(tmp_path, con):
    config = tmp_path / "config"
    config.mkdir()
    (config / "price_overrides.csv").write_text(
        OVERRIDES
        + "openai,acme-1,input_uncached,standard,1.500000,2026-10-01,,contract\n"
        + "openai,acme-1,output,standard,,2026-10-01,,no price\n"
        + "openai,acme-1,outptu,standard,6.000000,2026-10-01,,typo in the bucket\n"
        + "openai,acme-1,output,standard,6.000000,2026-10-05,2026-10-01,ends before it starts\n"
        + "openai,acme-1,output,standard,6.000000,10/01/2026,,not a date\n"
    )
    (config / "acknowledged_variances.csv").write_text(
        "provider,billing_account,period_start,period_end,reason\nanthropic,,2026-10-01,2026-10-31,\n"
    )
    (config / "price_overides.csv").write_text(OVERRIDES)  # a misspelt file name is named, not read
    report = load_config(con, config)
    assert report.loaded["price_overrides"] == 1 and report.quarantined["price_overrides"] == 4
    assert report.unknown_files == ["price_overides.csv"]
    rows = con.execute("select file_path, line, field, reason from raw.quarantine order by line, field").fetchall()
    assert [(Path(p).name, line, f, r) for p, line, f, r in rows] == [
        ("acknowledged_variances.csv", 2, "reason", "missing required field"),
        ("price_overrides.csv", 3, "price_per_mtok", "missing required field"),
        (
            "price_overrides.csv",
            4,
            "token_bucket",
            "token_bucket must be one of input_uncached, cache_read, cache_write, output",
        ),
        ("price_overrides.csv", 5, "valid_to", "valid_to must be after valid_from"),
        ("price_overrides.csv", 6, "valid_from", "not a valid date: 10/01/2026"),
    ]
    assert con.execute(
        "select provider, model, price_per_mtok::varchar, valid_from::varchar, valid_to from raw.config_price_overrides"
    ).fetchall() == [("openai", "acme-1", "1.500000", "2026-10-01", None)]
    # a second run replaces the table and its quarantine rows: nothing is counted twice
    load_config(con, config)
    assert con.execute("select count(*) from raw.quarantine").fetchone()[0] == 5
    assert con.execute("select count(*) from raw.config_price_overrides").fetchone()[0] == 1


def test_a_changed_config_row_marks_the_days_it_applies_to(tmp_path, con):
    landing, config = tmp_path / "landing", tmp_path / "config"
    _calls(landing, ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"])
    _calls(landing, ["2026-10-02"], provider="anthropic")
    load_landing(con, landing)
    con.execute("update raw.changed_days set built_at = now()")
    config.mkdir()
    assert sum(load_config(con, config).changed_days.values()) == 0  # no file, no row, nothing changed
    (config / "price_overrides.csv").write_text(
        OVERRIDES + "openai,gpt-4o-mini,input_uncached,standard,0.1,2026-10-03,,"
    )
    assert load_config(con, config).changed_days["price_overrides"] == 2
    assert _pending(con) == [("2026-10-03", "config"), ("2026-10-04", "config")]
    assert load_config(con, config).changed_days["price_overrides"] == 0  # unchanged: nothing to rebuild
    (config / "acknowledged_variances.csv").write_text(
        "provider,billing_account,period_start,period_end,reason\nanthropic,*,2026-10-01,2026-10-02,contract\n"
    )
    assert load_config(con, config).changed_days["acknowledged_variances"] == 1  # anthropic has data on 10-02 only
    (config / "account_map.csv").write_text("provider,field,value,billing_account\n*,extra.api_base,https://x,proj_a\n")
    assert load_config(con, config).changed_days["account_map"] == 4  # every day with data of any provider


def test_the_run_window_reaches_back_to_changed_days_within_the_lookback(tmp_path, con):
    landing = tmp_path / "landing"
    _calls(landing, ["2026-08-01", "2026-09-20", "2026-10-01", "2026-10-10"])
    load_landing(con, landing)
    window = rebuild_window(con, date(2026, 10, 10), date(2026, 10, 11), lookback=45)
    assert (window.start, window.end) == (date(2026, 9, 20), date(2026, 10, 11))
    assert window.pulled_in == [date(2026, 9, 20), date(2026, 10, 1)]
    assert window.beyond == [date(2026, 8, 1)]
    assert window.warning() == (
        "1 day(s) changed beyond the 45-day rebuild lookback (2026-08-01) and were not "
        "rebuilt: run `finops materialize --start 2026-08-01 --end 2026-08-01` "
        "(or raise FINOPS_REBUILD_LOOKBACK_DAYS)"
    )
    assert mark_built(con, window) == 3  # 09-20, 10-01 and 10-10 (the window's own day)
    again = rebuild_window(con, date(2026, 10, 11), date(2026, 10, 12), lookback=45)
    assert (again.start, again.pulled_in, again.beyond) == (date(2026, 10, 11), [], [date(2026, 8, 1)])


def test_grace_days_agree_with_the_dbt_default():
    dbt_project = (Path(__file__).resolve().parent.parent / "dbt_project" / "dbt_project.yml").read_text()
    assert f"env_var('{GRACE_ENV}', '{DEFAULT_GRACE_DAYS}')" in dbt_project
