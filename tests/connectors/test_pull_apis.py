"""The HTTP connectors (OpenAI, Anthropic, Langfuse) against local servers that speak each API's paging, auth
and errors (fake_apis.py), end to end through the real loader: API rows = landed rows = loaded rows, no
duplicates after re-pulls and restated days, and the secret never in a file or a log line."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fake_apis import FakeAnthropic, FakeLangfuse, FakeOpenAI

from ingest.connectors import CONNECTORS, PullError, anthropic, langfuse, openai
from ingest.loaders import load_landing
from ingest.warehouse import connect

DAYS = [date(2026, 11, 10), date(2026, 11, 11)]
OPENAI_KEY = "sk-admin-TESTSECRET-openai-0123456789"
ANTHROPIC_KEY = "sk-ant-admin01-TESTSECRET-anthropic"
LANGFUSE_SECRET = "sk-lf-TESTSECRET-langfuse"


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    for name in ("OPENAI_ADMIN_KEY", "ANTHROPIC_ADMIN_KEY", "LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DLT_PROJECT_DIR", str(tmp_path / "dlt"))  # no developer's .dlt/secrets.toml
    monkeypatch.setenv("FINOPS_PULL_BACKOFF_SECONDS", "0.05")


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _assert_secret_nowhere(secret: str, *roots: Path, text: str = "") -> None:
    assert secret not in text
    for root in roots:
        for path in _files(root):
            assert secret.encode() not in path.read_bytes(), path


def _load(tmp_path: Path, landing: Path):
    con = connect(tmp_path / "wh.duckdb")
    try:
        return load_landing(con, landing)
    finally:
        con.close()


def _query(tmp_path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = connect(tmp_path / "wh.duckdb")
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# OpenAI


def _openai_data(fake: FakeOpenAI, scale: int = 1) -> None:
    models = ["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "gpt-5-2025-08-07"]
    kinds = ["input", "cached input", "output"]
    for day in DAYS:
        fake.results[("/v1/organization/costs", day)] = [
            {
                "object": "organization.costs.result",
                "amount": {"value": float(Decimal("0.125") * (i + 1)), "currency": "usd"},
                "line_item": f"{models[i % 3]}, {kinds[(i // 3) % 3]}",
                "project_id": f"proj_{i % 2}",
                "organization_id": "org-test",
            }
            for i in range(5 * scale)
        ]
        fake.results[("/v1/organization/usage/completions", day)] = [
            {
                "object": "organization.usage.completions.result",
                "input_tokens": 1000 + i,
                "output_tokens": 100 + i,
                "input_cached_tokens": 200,
                "num_model_requests": 3,
                "project_id": "proj_0",
                "model": models[i % 3],
                "batch": i == 2,
                "service_tier": "default",
            }
            for i in range(3 * scale)
        ]
        fake.results[("/v1/organization/usage/embeddings", day)] = [
            {
                "object": "organization.usage.embeddings.result",
                "input_tokens": 5000,
                "num_model_requests": 7,
                "project_id": "proj_1",
                "model": "text-embedding-3-small",
            }
        ]
        fake.results[("/v1/organization/usage/moderations", day)] = []


def test_openai_pages_retries_restatements_and_loads_exactly(httpserver, monkeypatch, tmp_path, caplog, capsys):
    fake = FakeOpenAI(httpserver, OPENAI_KEY).install()
    _openai_data(fake)
    fake.fail_once("/v1/organization/costs", 429, {"Retry-After": "1"})
    fake.fail_once("/v1/organization/usage/completions", 500)
    monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL_ADMIN", httpserver.url_for(""))
    landing = tmp_path / "landing"
    caplog.set_level(logging.DEBUG)

    report = openai.pull(DAYS, landing)
    api_costs = sum(len(fake.results[("/v1/organization/costs", d)]) for d in DAYS)
    api_usage = sum(len(v) for (p, _), v in fake.results.items() if "/usage/" in p)
    assert report.rows == api_costs + api_usage == 10 + 8
    # 3 pages of costs per day (2 + 2 + 1 results) plus the 429 retried; the 500 retried too
    costs_requests = [r for r in fake.requests if r.path.endswith("/costs")]
    assert len(costs_requests) == 2 * 3 + 1
    assert [r.args.get("page") for r in costs_requests[1:4]] == [None, "page_2", "page_4"]
    assert len(report.written) == 2 * 4
    costs_file = landing / "billing/openai_costs/pull/2026/11/2026-11-10.json"
    pages = json.loads(costs_file.read_text())
    assert [p["has_more"] for p in pages] == [True, True, False]  # the pages as the API returned them

    load = _load(tmp_path, landing)
    by_format = {}
    for f in load.files:
        fmt = Path(f.path).relative_to(landing).parts[1]
        by_format[fmt] = by_format.get(fmt, 0) + f.rows_loaded
        assert f.rows_quarantined == 0, f
    assert (
        _query(tmp_path, "select count(*) from raw.bill_lines where \"x_ChargeSource\" is distinct from 'usage_report'")
        == [(api_costs,)]
        == [(by_format["openai_costs"],)]
    )
    # usage: one line per exclusive token bucket (input_uncached, cache_read, output) of every API result
    assert by_format["openai_usage"] == 3 * api_usage
    assert _query(
        tmp_path,
        "select count(distinct _file_id || _line) from raw.bill_lines where \"x_ChargeSource\" = 'usage_report'",
    ) == [(api_usage,)]

    # a re-pull of unchanged days writes nothing, and the loader has nothing new
    mtimes = {p: p.stat().st_mtime_ns for p in _files(landing)}
    again = openai.pull(DAYS, landing)
    assert again.rows == report.rows and not again.written
    assert {p: p.stat().st_mtime_ns for p in _files(landing)} == mtimes

    # OpenAI restates a day: its file is rewritten in place, the loader replaces the day's rows (no duplicates)
    fake.results[("/v1/organization/costs", DAYS[0])][0]["amount"]["value"] = 9.5
    restated = openai.pull(DAYS, landing)
    assert [f.path for f in restated.written] == [costs_file]
    load = _load(tmp_path, landing)
    assert [f.status for f in load.files if f.status == "loaded"] == ["loaded"]
    assert _query(
        tmp_path, 'select count(*), sum("BilledCost") from raw.bill_lines where "SkuId" not like \'%:%\''
    ) == [(api_costs, Decimal("0.125") * 15 * 2 - Decimal("0.125") + Decimal("9.5"))]

    logs = caplog.text + "".join(capsys.readouterr())
    _assert_secret_nowhere(OPENAI_KEY, landing, tmp_path / "wh.duckdb", text=logs)


def test_openai_expired_key_is_one_line_without_the_key(httpserver, monkeypatch, tmp_path, capsys):
    FakeOpenAI(httpserver, "sk-admin-the-right-one").install()
    monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL_ADMIN", httpserver.url_for(""))
    monkeypatch.setenv("FINOPS_LANDING_DIR", str(tmp_path / "landing"))
    with pytest.raises(PullError) as caught:
        openai.pull(DAYS[:1], tmp_path / "landing")
    assert "401" in str(caught.value) and OPENAI_KEY not in str(caught.value)

    from dagster_project.cli import main

    assert main(["pull", "openai", "--start", "2026-11-10", "--end", "2026-11-10"]) == 1
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "401 UNAUTHORIZED" in err.upper() and "Traceback" not in err
    assert OPENAI_KEY not in out + err
    assert not (tmp_path / "landing").exists() or not _files(tmp_path / "landing")


def test_missing_credentials_disable_with_one_line(monkeypatch, tmp_path, capsys):
    from dagster_project.cli import main

    for name in ("LITELLM_DATABASE_URL", "FINOPS_FOCUS_AWS_URL", "FINOPS_FOCUS_AZURE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FINOPS_LANDING_DIR", str(tmp_path / "landing"))
    assert main(["pull", "openai"]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "openai: OPENAI_ADMIN_KEY is not set (nor sources.openai.admin_key in dlt's secrets): connector disabled\n"
    )
    assert main(["pull", "all"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in err[:-1]] == list(CONNECTORS)
    assert all("disabled" in line for line in err[:-1]) and "no connector is configured" in err[-1]
    # the dlt secrets file is the other place a key may live (read when dlt starts: a fresh process)
    project = tmp_path / "dlt"
    (project / ".dlt").mkdir(parents=True)
    (project / ".dlt" / "secrets.toml").write_text('[sources.openai]\nadmin_key = "sk-admin-from-toml"\n')
    code = "from ingest.connectors import openai; print(openai.credentials()['key'] == 'sk-admin-from-toml')"
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_ADMIN_KEY"}
    done = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True)
    assert done.stdout == "True\n", done.stderr[-2000:]


# --------------------------------------------------------------------------------------------
# Anthropic


def _anthropic_data(fake: FakeAnthropic, scale: int = 1) -> None:
    for day in DAYS:
        fake.results[("/v1/organizations/cost_report", day)] = [
            {
                "currency": "USD",
                "amount": f"{1234.5 + i:.2f}",  # cents
                "workspace_id": None if i == 0 else f"wrkspc_{i % 2}",
                "description": "Claude Sonnet 4 Usage - Input Tokens",
                "cost_type": "tokens",
                "context_window": "0-200k",
                "model": "claude-sonnet-4-20250514",
                "service_tier": "standard",
                "token_type": ["uncached_input_tokens", "output_tokens", "cache_read_input_tokens"][i % 3],
            }
            for i in range(4 * scale)
        ]
        fake.results[("/v1/organizations/usage_report/messages", day)] = [
            {
                "uncached_input_tokens": 1500 + i,
                "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 100},
                "cache_read_input_tokens": 300,
                "output_tokens": 400,
                "server_tool_use": {"web_search_requests": 0},
                "api_key_id": "apikey_01",
                "workspace_id": "wrkspc_1",
                "model": "claude-sonnet-4-20250514",
                "service_tier": "standard",
                "context_window": "0-200k",
            }
            for i in range(3 * scale)
        ]


def test_anthropic_pages_retries_and_loads_exactly(httpserver, monkeypatch, tmp_path, caplog, capsys):
    fake = FakeAnthropic(httpserver, ANTHROPIC_KEY).install()
    _anthropic_data(fake)
    fake.fail_once("/v1/organizations/cost_report", 500)
    fake.fail_once("/v1/organizations/usage_report/messages", 429, {"Retry-After": "1"})
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", ANTHROPIC_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL_ADMIN", httpserver.url_for(""))
    landing = tmp_path / "landing"
    caplog.set_level(logging.DEBUG)

    report = anthropic.pull(DAYS, landing)
    assert report.rows == 2 * (4 + 3)
    cost_requests = [r for r in fake.requests if r.path.endswith("cost_report")]
    assert len(cost_requests) == 2 * 2 + 1  # 2 pages a day, one 500 retried
    assert cost_requests[1].args.getlist("group_by[]") == ["workspace_id", "description"]
    load = _load(tmp_path, landing)
    assert all(f.rows_quarantined == 0 for f in load.files)
    assert _query(
        tmp_path,
        'select count(*), sum("BilledCost") from raw.bill_lines where "ProviderName" = \'anthropic\' '
        "and \"x_ChargeSource\" is distinct from 'usage_report'",
    ) == [(8, 2 * sum(Decimal(f"{1234.5 + i:.2f}") / 100 for i in range(4)))]
    # usage: input_uncached, cache_read, cache_write, output lines per result
    assert _query(tmp_path, "select count(*) from raw.bill_lines where \"x_ChargeSource\" = 'usage_report'") == [(24,)]
    assert not anthropic.pull(DAYS, landing).written
    _assert_secret_nowhere(
        ANTHROPIC_KEY, landing, tmp_path / "wh.duckdb", text=caplog.text + "".join(capsys.readouterr())
    )


# --------------------------------------------------------------------------------------------
# Langfuse


def _observation(n: int, day: date, hour: int, kind: str = "GENERATION") -> dict:
    start = f"{day.isoformat()}T{hour:02d}:{n % 60:02d}:00.000Z"
    return {
        "id": f"obs-{day}-{n}",
        "traceId": f"trace-{n}",
        "type": kind,
        "name": "chat",
        "startTime": start,
        "endTime": start.replace(":00.000Z", ":01.250Z"),
        "model": "gpt-4o-mini-2024-07-18",
        "usageDetails": {"input": 120, "output": 30, "total": 150},
        "costDetails": {"total": 0.0001},
        "level": "DEFAULT",
        "metadata": {"tenant_id": "acme", "feature": "search"},
        "environment": "production",
    }


def test_langfuse_pages_late_rows_and_loads_exactly(httpserver, monkeypatch, tmp_path, caplog, capsys):
    fake = FakeLangfuse(httpserver, "pk-lf-public", LANGFUSE_SECRET).install()
    for day in DAYS:
        fake.observations += [_observation(n, day, 1 + n % 20) for n in range(7)]
        fake.observations += [_observation(100 + n, day, 3, "SPAN") for n in range(2)]  # not calls
    fake.fail_once("/api/public/observations", 500)
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-public")
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", LANGFUSE_SECRET)
    monkeypatch.setenv("LANGFUSE_HOST", httpserver.url_for("").rstrip("/"))
    monkeypatch.setattr(langfuse, "PAGE_LIMIT", 3)
    landing = tmp_path / "landing"
    caplog.set_level(logging.DEBUG)

    report = langfuse.pull(DAYS, landing)
    assert report.rows == 14
    assert [r.args["page"] for r in fake.requests[1:4]] == ["1", "2", "3"]  # 7 generations, 3 a page
    # late observations of the first day arrive; a re-pull catches them, without duplicating the others
    fake.observations += [_observation(200 + n, DAYS[0], 23) for n in range(4)]
    again = langfuse.pull(DAYS, landing)
    assert again.rows == 18 and [f.day for f in again.written] == ["2026-11-10"]
    landed = [json.loads(line) for f in _files(landing) for line in f.read_text().splitlines()]
    assert len(landed) == len({o["id"] for o in landed}) == 18
    load = _load(tmp_path, landing)
    assert all(f.rows_quarantined == 0 for f in load.files)
    assert _query(tmp_path, "select count(*), count(distinct call_id) from raw.calls") == [(18, 18)]
    _assert_secret_nowhere(
        LANGFUSE_SECRET, landing, tmp_path / "wh.duckdb", text=caplog.text + "".join(capsys.readouterr())
    )


# --------------------------------------------------------------------------------------------
# Dagster: the pull asset of a partition re-fetches the lookback days


def test_pull_asset_fetches_the_lookback_window(httpserver, monkeypatch, tmp_path):
    from dagster import materialize

    from dagster_project.pull_assets import PULL_ASSETS
    from dagster_project.resources import WarehouseResource

    fake = FakeOpenAI(httpserver, OPENAI_KEY).install()
    _openai_data(fake)
    monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL_ADMIN", httpserver.url_for(""))
    monkeypatch.setenv("FINOPS_PULL_LOOKBACK_DAYS", "2")
    landing = tmp_path / "landing"
    landing.mkdir()
    resource = WarehouseResource(
        landing_dir=str(landing), warehouse=str(tmp_path / "wh.duckdb"), config_dir=str(tmp_path / "config")
    )
    from dagster_project.ingest_assets import raw_bill_lines

    result = materialize(
        [PULL_ASSETS["openai"], raw_bill_lines], partition_key="2026-11-11", resources={"warehouse": resource}
    )
    assert result.success
    days = {r.args["start_time"] for r in fake.requests}
    assert len(days) == 2  # 2026-11-10 and 2026-11-11
    meta = result.asset_materializations_for_node(PULL_ASSETS["openai"].op.name)[0].metadata
    assert meta["rows_pulled"].value == 18 and meta["days"].value == "2026-11-10 .. 2026-11-11"
    assert OPENAI_KEY not in repr(result.all_events)  # nor in the run's event log
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {"pull_succeeded": True, "gx_loaded_batch_valid": True}
    # the raw asset ran after the pull in the same run and loaded what it landed: API rows = loaded rows
    costs = sum(len(v) for (p, _), v in fake.results.items() if p.endswith("/costs"))
    usage = sum(len(v) for (p, _), v in fake.results.items() if "/usage/" in p)
    assert _query(tmp_path, "select count(*) from raw.bill_lines") == [(costs + 3 * usage,)]
    assert _query(tmp_path, "select count(*) from raw.quarantine") == [(0,)]


# --------------------------------------------------------------------------------------------
# throughput against the local servers (printed; run with -s to read it)


def test_pull_rates_against_the_local_servers(httpserver, monkeypatch, tmp_path):
    import dlt.sources.helpers.rest_client  # noqa: F401 - imported once per process (~1 s), not part of a rate

    rates = {}
    fake = FakeOpenAI(httpserver, OPENAI_KEY, page_size=100).install()
    _openai_data(fake, scale=200)  # 1000 cost results + 601 usage results a day
    monkeypatch.setenv("OPENAI_ADMIN_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL_ADMIN", httpserver.url_for(""))
    report = openai.pull(DAYS, tmp_path / "landing")
    assert report.rows == 2 * (1000 + 600 + 1)
    rates["openai"] = report

    fake_a = FakeAnthropic(httpserver, ANTHROPIC_KEY, page_size=100).install()
    _anthropic_data(fake_a, scale=250)  # 1000 cost results + 750 usage results a day
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", ANTHROPIC_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL_ADMIN", httpserver.url_for(""))
    report = anthropic.pull(DAYS, tmp_path / "landing")
    assert report.rows == 2 * (1000 + 750)
    rates["anthropic"] = report

    fake_l = FakeLangfuse(httpserver, "pk-lf-public", LANGFUSE_SECRET).install()
    for day in DAYS:
        fake_l.observations += [_observation(n, day, n % 24) for n in range(1500)]
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-public")
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", LANGFUSE_SECRET)
    monkeypatch.setenv("LANGFUSE_HOST", httpserver.url_for("").rstrip("/"))
    report = langfuse.pull(DAYS, tmp_path / "landing")  # 100 a page, as the connector asks
    assert report.rows == 3000
    rates["langfuse"] = report
    for name, r in rates.items():
        print(f"RATE {name}: {r.rows} rows in {r.seconds:.2f} s = {r.rows / r.seconds:,.0f} rows/s (local server)")
