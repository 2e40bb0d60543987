"""The LiteLLM connector against a real PostgreSQL server (Debian package, started here as a throwaway
cluster) holding LiteLLM's `LiteLLM_SpendLogs` table: incremental by startTime with the overlap window,
rows inserted while a pull runs and late rows, end to end through the real loader with exact counts, no
duplicates, the payload columns and the database password never landed or logged."""

from __future__ import annotations

import json
import logging
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pg_server
import psycopg
import pytest

from ingest.connectors import PullError, litellm
from ingest.loaders import load_landing
from ingest.warehouse import connect

PASSWORD = "pg-TESTSECRET-9f8e7d"
DAYS = [date(2026, 11, 10), date(2026, 11, 11)]
PROMPT = "PROMPT-PAYLOAD-never-landed"

# LiteLLM_SpendLogs as Prisma creates it from BerriAI/litellm schema.prisma (model LiteLLM_SpendLogs)
DDL = """
create table "LiteLLM_SpendLogs" (
    "request_id" text not null,
    "call_type" text not null,
    "api_key" text not null default '',
    "spend" double precision not null default 0.0,
    "total_tokens" integer not null default 0,
    "prompt_tokens" integer not null default 0,
    "completion_tokens" integer not null default 0,
    "startTime" timestamp(3) not null,
    "endTime" timestamp(3) not null,
    "request_duration_ms" integer,
    "completionStartTime" timestamp(3),
    "model" text not null default '',
    "model_id" text default '',
    "model_group" text default '',
    "custom_llm_provider" text default '',
    "api_base" text default '',
    "user" text default '',
    "metadata" jsonb default '{}',
    "cache_hit" text default '',
    "cache_key" text default '',
    "request_tags" jsonb default '[]',
    "team_id" text,
    "organization_id" text,
    "end_user" text,
    "requester_ip_address" text,
    "messages" jsonb default '{}',
    "response" jsonb default '{}',
    "session_id" text,
    "status" text,
    "mcp_namespaced_tool_name" text,
    "agent_id" text,
    "proxy_server_request" jsonb default '{}',
    constraint "LiteLLM_SpendLogs_pkey" primary key ("request_id")
);
create index "LiteLLM_SpendLogs_startTime_idx" on "LiteLLM_SpendLogs"("startTime");
create index "LiteLLM_SpendLogs_startTime_request_id_idx" on "LiteLLM_SpendLogs"("startTime", "request_id");
"""


@pytest.fixture(scope="module")
def pg():
    server = pg_server.start(PASSWORD)
    try:
        with psycopg.connect(server.url, autocommit=True) as con:
            con.execute(DDL)
        yield server
    finally:
        server.stop()


@pytest.fixture
def spend_logs(pg):
    with psycopg.connect(pg.url, autocommit=True) as con:
        con.execute('truncate "LiteLLM_SpendLogs"')
    return pg


def insert(url: str, rows: list[tuple[str, datetime]]) -> None:
    with psycopg.connect(url, autocommit=True) as con, con.cursor() as cur:
        cur.executemany(
            'insert into "LiteLLM_SpendLogs" (request_id, call_type, api_key, spend, total_tokens, prompt_tokens, '
            'completion_tokens, "startTime", "endTime", request_duration_ms, model, model_group, custom_llm_provider, '
            "metadata, cache_hit, cache_key, request_tags, requester_ip_address, messages, response, status) "
            "values (%s, 'acompletion', 'hashed-key', 0.00042, 1300, 1000, 300, %s, %s, 900, 'gpt-4o-mini-2024-07-18', "
            "'gpt-4o-mini', 'openai', %s, 'False', 'Cache OFF', '[\"prod\"]', '10.1.2.3', %s, %s, 'success')",
            [
                (
                    request_id,
                    start,
                    start + timedelta(milliseconds=900),
                    json.dumps({"spend_logs_metadata": {"tenant_id": "acme", "feature": "search"}}),
                    json.dumps([{"role": "user", "content": PROMPT}]),
                    json.dumps({"choices": [{"message": {"content": PROMPT}}]}),
                )
                for request_id, start in rows
            ],
        )


def at(day: date, hour: int, minute: int = 0, ms: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute) + timedelta(milliseconds=ms)


def db_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as con:
        rows = con.execute('select "startTime"::date::text, count(*) from "LiteLLM_SpendLogs" group by 1').fetchall()
    return dict(rows)


def landed(landing: Path) -> dict[str, list[dict]]:
    out = {}
    for path in sorted((landing / "calls" / "litellm").rglob("*.jsonl")):
        out[path.stem] = [json.loads(line) for line in path.read_text().splitlines()]
    return out


def loaded(tmp_path: Path, landing: Path) -> dict[str, int]:
    con = connect(tmp_path / "wh.duckdb")
    try:
        report = load_landing(con, landing)
        assert all(f.rows_quarantined == 0 for f in report.files), report.files
        total, distinct = con.execute("select count(*), count(distinct call_id) from raw.calls").fetchone()
        assert total == distinct  # no duplicates after re-pulls and overlaps
        return dict(con.execute("select started_at::date::varchar, count(*) from raw.calls group by 1").fetchall())
    finally:
        con.close()


def test_litellm_incremental_overlap_late_and_concurrent_rows(spend_logs, monkeypatch, tmp_path, caplog, capsys):
    url = spend_logs.url
    monkeypatch.setenv("LITELLM_DATABASE_URL", url)
    monkeypatch.setenv("FINOPS_LITELLM_OVERLAP_MINUTES", "30")
    caplog.set_level(logging.DEBUG)
    landing = tmp_path / "landing"
    insert(url, [(f"a{i}", at(DAYS[0], 8 + i % 10, i % 60, i)) for i in range(40)])
    insert(url, [(f"b{i}", at(DAYS[1], 1 + i % 5, i % 60)) for i in range(25)])
    insert(url, [("outside", at(DAYS[1] + timedelta(days=1), 0, 0))])  # the next day: not in the window

    first = litellm.pull(DAYS, landing)
    assert first.rows == 65 and len(first.written) == 2
    files = landed(landing)
    assert {d: len(r) for d, r in files.items()} == {"2026-11-10": 40, "2026-11-11": 25}
    assert set(files["2026-11-10"][0]) == set(litellm.COLUMNS)  # selected columns only
    assert loaded(tmp_path, landing) == {"2026-11-10": 40, "2026-11-11": 25}

    # an unchanged re-pull reads only the overlap window behind the newest landed row, and writes nothing
    again = litellm.pull(DAYS, landing)
    assert not again.written and 0 < again.rows < 65

    # late rows: LiteLLM batches its writes, so rows that started before the newest landed one arrive now
    newest = max(r["startTime"] for r in files["2026-11-10"])
    late_start = datetime.fromisoformat(newest) - timedelta(minutes=20)
    insert(url, [(f"late{i}", late_start + timedelta(seconds=i)) for i in range(3)])
    # and rows keep arriving while the pull runs
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set() and n < 200:
            insert(url, [(f"live{n}", at(DAYS[1], 12) + timedelta(seconds=n))])
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        during = litellm.pull(DAYS, landing)
    finally:
        stop.set()
        thread.join()
    assert during.written
    final = litellm.pull(DAYS, landing)  # the next pull picks up whatever the one before missed
    expected = {d: n for d, n in db_counts(url).items() if d in {str(x) for x in DAYS}}
    assert expected["2026-11-10"] == 43 and expected["2026-11-11"] > 25
    files = landed(landing)
    assert {d: len(r) for d, r in files.items()} == expected
    assert all(len(r) == len({x["request_id"] for x in r}) for r in files.values())
    assert loaded(tmp_path, landing) == expected  # database rows = landed rows = loaded rows
    assert final.rows >= 0

    logs = caplog.text + "".join(capsys.readouterr())
    for root in (landing, tmp_path / "wh.duckdb"):
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert PASSWORD.encode() not in data and PROMPT.encode() not in data and b"10.1.2.3" not in data
    assert PASSWORD not in logs


def test_litellm_refused_password_is_one_line_without_it(spend_logs, monkeypatch, tmp_path):
    wrong = spend_logs.url.replace(PASSWORD, "wrong-TESTSECRET-pw")
    monkeypatch.setenv("LITELLM_DATABASE_URL", wrong)
    with pytest.raises(PullError) as caught:
        litellm.pull(DAYS[:1], tmp_path / "landing")
    message = str(caught.value)
    assert "\n" not in message and "password authentication failed" in message
    assert "wrong-TESTSECRET-pw" not in message and PASSWORD not in message


def test_litellm_pull_rate(spend_logs, monkeypatch, tmp_path):
    monkeypatch.setenv("LITELLM_DATABASE_URL", spend_logs.url)
    insert(spend_logs.url, [(f"r{i}", at(DAYS[i % 2], 0) + timedelta(seconds=i)) for i in range(20_000)])
    report = litellm.pull(DAYS, tmp_path / "landing")
    assert report.rows == 20_000 and {d: len(r) for d, r in landed(tmp_path / "landing").items()} == {
        "2026-11-10": 10_000,
        "2026-11-11": 10_000,
    }
    print(f"RATE litellm: {report.rows} rows in {report.seconds:.2f} s = {report.rows / report.seconds:,.0f} rows/s")


def test_litellm_needs_only_select_on_the_selected_columns(spend_logs, monkeypatch, tmp_path):
    """The smallest permission the README gives: a login with SELECT on the connector's columns only (no
    access to the prompts, responses or IP addresses) is enough for a pull."""
    cols = ", ".join(f'"{c}"' for c in litellm.COLUMNS)
    with psycopg.connect(spend_logs.url, autocommit=True) as con:
        con.execute("drop role if exists finops_reader")
        con.execute("create role finops_reader login password 'reader-TESTSECRET'")
        con.execute(f'grant select ({cols}) on "LiteLLM_SpendLogs" to finops_reader')
    insert(spend_logs.url, [(f"g{i}", at(DAYS[0], 9, i)) for i in range(5)])
    reader = spend_logs.url.replace(f"litellm:{PASSWORD}@", "finops_reader:reader-TESTSECRET@")
    with psycopg.connect(reader) as con, pytest.raises(psycopg.errors.InsufficientPrivilege):
        con.execute('select messages from "LiteLLM_SpendLogs"')
    monkeypatch.setenv("LITELLM_DATABASE_URL", reader)
    report = litellm.pull(DAYS[:1], tmp_path / "landing")
    assert report.rows == 5 and len(report.written) == 1
