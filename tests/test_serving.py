"""Write-audit-publish of the serving file, and that BI clients can read it: an older DuckDB 1.x
client (in a throwaway venv cached under .cache/), SQLAlchemy via duckdb-engine, pandas.read_sql.
A reader holding the serving file open never blocks publishing and never sees a half-written file."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import serving.publish as publish_mod
from ingest.config import REPO_ROOT
from serving.publish import PublishError, publish

OLD_DUCKDB = "1.1.3"  # storage version 64 only: the oldest reader a published file must satisfy
OLD_VENV = REPO_ROOT / ".cache" / f"duckdb-{OLD_DUCKDB}-py{sys.version_info.major}{sys.version_info.minor}"
SPEND_SQL = "select count(*), sum(attributed_cost) from marts.fct_cost_daily"


# ---------------------------------------------------------------------------------------------
# helpers


def old_duckdb_python() -> Path:
    """Python of a venv with duckdb==OLD_DUCKDB, created once and cached under .cache/ (gitignored).

    Fails (never skips) when it cannot be installed: a published file nobody old can read is a bug."""
    python = OLD_VENV / "bin" / "python"
    marker = OLD_VENV / ".installed"
    OLD_VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(OLD_VENV.parent / f".{OLD_VENV.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and python.exists():
            probe = subprocess.run(
                [str(python), "-c", "import duckdb; print(duckdb.__version__)"],
                check=False,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if probe.returncode == 0 and probe.stdout.strip() == OLD_DUCKDB:
                return python
        shutil.rmtree(OLD_VENV, ignore_errors=True)
        steps = [
            [sys.executable, "-m", "venv", str(OLD_VENV)],
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"duckdb=={OLD_DUCKDB}"],
        ]
        for cmd in steps:
            done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                pytest.fail(
                    f"cannot install the old DuckDB client ({' '.join(cmd)}):\n"
                    f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
                )
        marker.write_text(OLD_DUCKDB + "\n")
    return python


def run_old(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(old_duckdb_python()), "-c", script, *args], check=False, capture_output=True, text=True, timeout=120
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith((".tmp", ".tmp.wal")))


def make_build(path: Path, tenants: int = 3) -> Path:
    """A small build file written by the installed DuckDB (2.x): published and private schemas."""
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema reference; create schema staging; create schema raw")
    con.execute("create table raw.calls as select range as id from range(10)")
    con.execute("create view staging.stg_calls as select * from raw.calls")
    con.execute(
        "create table marts.fct_cost_daily as select date '2026-10-01' + (range % 30)::int as cost_day, "
        "'openai' as provider, (range / 1000)::decimal(38,12) as attributed_cost from range(3000)"
    )
    con.execute(f"create table marts.dim_tenants as select 't' || range as tenant_id from range({tenants})")
    con.execute("create view marts.v_private as select 1 as x")
    con.execute("create table reference.tenants as select * from marts.dim_tenants")
    con.execute("comment on table marts.dim_tenants is 'Tenants (customers).'")
    con.close()
    return path


# ---------------------------------------------------------------------------------------------
# publish: contract and failures (small synthetic build, fast)


def test_publish_copies_published_schemas_only(tmp_path):
    build = make_build(tmp_path / "build.duckdb")
    serving = tmp_path / "serve" / "finops_serving.duckdb"
    result = publish(build, serving)

    assert result.serving_path == serving.resolve() and serving.exists()
    assert result.row_counts == {"marts.dim_tenants": 3, "marts.fct_cost_daily": 3000, "reference.tenants": 3}
    assert result.storage_version == publish_mod.STORAGE_VERSION
    assert leftovers(serving.parent) == []
    con = duckdb.connect(str(serving), read_only=True)
    try:
        tables = con.execute("select schema_name || '.' || table_name from duckdb_tables() order by 1").fetchall()
        assert [t for (t,) in tables] == [
            "marts.dim_tenants",
            "marts.fct_cost_daily",
            "meta.published",
            "reference.tenants",
        ]
        assert con.execute("select count(*) from duckdb_views() where not internal").fetchone()[0] == 0
        meta = con.execute(
            "select schema_name || '.' || table_name, row_count, published_at from meta.published order by 1"
        ).fetchall()
        assert {name: rows for name, rows, _ in meta} == result.row_counts
        assert {at for _, _, at in meta} == {result.published_at}
        assert con.execute("select comment from duckdb_tables() where table_name = 'dim_tenants'").fetchone() == (
            "Tenants (customers).",
        )
    finally:
        con.close()
    # the build file is not left locked: a writer can open it right away
    duckdb.connect(str(build)).close()


def test_incremental_publish_replaces_only_changed_days_and_stays_readable_by_old_clients(tmp_path):
    build = make_build(tmp_path / "build.duckdb")
    serving = tmp_path / "finops_serving.duckdb"
    assert not publish(build, serving, days=(date(2026, 10, 1), date(2026, 10, 2))).incremental  # no previous
    con = duckdb.connect(str(build))
    # the run of 2026-10-05 rewrote that day (same rows, new amounts); 2026-10-31 is new; a table changed
    # shape; dim_tenants changed rows: only the day table is synced by day, the others replaced
    con.execute("update marts.fct_cost_daily set attributed_cost = attributed_cost + 1 where cost_day = '2026-10-05'")
    con.execute("insert into marts.fct_cost_daily values ('2026-10-31', 'anthropic', 7.5)")
    con.execute("delete from marts.fct_cost_daily where cost_day = '2026-10-09'")  # a day dropped earlier
    con.execute("insert into marts.dim_tenants values ('t9')")
    con.execute("alter table reference.tenants add column plan varchar default 'growth'")
    con.close()
    result = publish(build, serving, days=(date(2026, 10, 5), date(2026, 10, 6)))
    assert result.incremental
    assert result.synced_days == {"marts.fct_cost_daily": 3}  # the window's day + the new + the dropped day
    assert result.row_counts == {"marts.dim_tenants": 4, "marts.fct_cost_daily": 2901, "reference.tenants": 3}
    query = (
        "select (select sum(attributed_cost)::varchar from marts.fct_cost_daily), "
        "(select count(*) from marts.fct_cost_daily where cost_day = '2026-10-09'), "
        "(select string_agg(column_name, ',' order by column_index) from duckdb_columns() "
        " where table_name = 'tenants')"
    )
    with duckdb.connect(str(build), read_only=True) as b:
        expected = b.execute(query).fetchone()
    with duckdb.connect(str(serving), read_only=True) as c:
        assert c.execute(query).fetchone() == expected
        assert expected[1:] == (0, "tenant_id,plan")
        assert c.execute("select comment from duckdb_tables() where table_name = 'dim_tenants'").fetchone() == (
            "Tenants (customers).",
        )
    done = run_old(
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        "print(c.execute('select count(*), sum(attributed_cost) from marts.fct_cost_daily').fetchone())",
        str(serving),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"(2901, Decimal('{expected[0]}'))"


def test_disk_full_during_copy_leaves_old_serving_file_intact(tmp_path, monkeypatch):
    build = make_build(tmp_path / "build.duckdb")
    serving = tmp_path / "finops_serving.duckdb"
    publish(build, serving)
    before = sha256(serving)

    real_copy = publish_mod._copy_tables

    def copy_then_disk_full(con, target, tables, window):
        real_copy(con, target, tables[:1], window)  # part of the data is written, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publish_mod, "_copy_tables", copy_then_disk_full)
    with pytest.raises(PublishError, match=r"step 'copy'.*No space left on device") as info:
        publish(build, serving)
    assert info.value.step == "copy"
    assert sha256(serving) == before
    assert leftovers(tmp_path) == []
    con = duckdb.connect(str(serving), read_only=True)
    assert con.execute("select count(*) from marts.fct_cost_daily").fetchone() == (3000,)
    con.close()
    duckdb.connect(str(build)).close()  # not left locked by the failed attempt


def test_failure_at_replace_or_audit_keeps_old_file_and_cleans_up(tmp_path, monkeypatch):
    build = make_build(tmp_path / "build.duckdb")
    serving = tmp_path / "finops_serving.duckdb"
    publish(build, serving)
    before = sha256(serving)

    def no_replace(src, dst):
        raise OSError(errno.EIO, "I/O error")

    with monkeypatch.context() as m:
        m.setattr(publish_mod.os, "replace", no_replace)
        with pytest.raises(PublishError) as info:
            publish(build, serving)
    assert info.value.step == "replace"
    assert sha256(serving) == before and leftovers(tmp_path) == []

    real_count = publish_mod._count
    with monkeypatch.context() as m:
        m.setattr(publish_mod, "_count", lambda con, cat, s, t: real_count(con, cat, s, t) - (cat != "build"))
        with pytest.raises(PublishError, match=r"step 'audit'.*rows copied") as info:
            publish(build, serving)
    assert sha256(serving) == before and leftovers(tmp_path) == []


def test_missing_or_locked_build_is_a_clear_error(tmp_path):
    serving = tmp_path / "finops_serving.duckdb"
    with pytest.raises(PublishError, match=r"step 'prepare'.*no build warehouse"):
        publish(tmp_path / "nope.duckdb", serving)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(PublishError, match=r"no tables in schema marts"):
        publish(empty, serving)

    build = make_build(tmp_path / "build.duckdb")
    hold_writer = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.readline()"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", hold_writer, str(build)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "ready"
        with pytest.raises(PublishError, match=r"step 'attach build'.*lock") as info:
            publish(build, serving)
        assert info.value.step == "attach build"
    finally:
        writer.communicate("\n", timeout=30)
    assert not serving.exists() and leftovers(tmp_path) == []


_HOLD_READER = r"""
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select count(*) from marts.dim_tenants").fetchone()[0], flush=True)
sys.stdin.readline()  # the test publishes a new file while we hold this one open
print(con.execute("select count(*) from marts.dim_tenants").fetchone()[0], flush=True)
con.close()
"""


def test_reader_holding_serving_file_does_not_block_publish(tmp_path):
    """os.replace swaps in a new inode: a reader (DuckDB 1.x, another process) that has the old file
    open keeps reading the old snapshot, publishing succeeds, new readers get the new file."""
    old_build = make_build(tmp_path / "old.duckdb", tenants=3)
    new_build = make_build(tmp_path / "new.duckdb", tenants=5)
    serving = tmp_path / "finops_serving.duckdb"
    publish(old_build, serving)

    reader = subprocess.Popen(
        [str(old_duckdb_python()), "-c", _HOLD_READER, str(serving)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "3"
        in_process = duckdb.connect(str(serving), read_only=True)  # and one in this process, too
        publish(new_build, serving)  # must not raise "Conflicting lock"
        assert in_process.execute("select count(*) from marts.dim_tenants").fetchone() == (3,)
        in_process.close()
        out, err = reader.communicate("\n", timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
    assert reader.returncode == 0, err
    assert out.strip() == "3"  # the old snapshot, read completely after the swap
    fresh = run_old(
        "import duckdb, sys; print(duckdb.connect(sys.argv[1], read_only=True)"
        ".execute('select count(*) from marts.dim_tenants').fetchone()[0])",
        str(serving),
    )
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.strip() == "5"


def test_readers_never_see_a_half_written_file(tmp_path):
    builds = [make_build(tmp_path / f"b{n}.duckdb", tenants=n) for n in (3, 4)]
    serving = tmp_path / "finops_serving.duckdb"
    publish(builds[0], serving)
    stop = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def read_loop():
        while not stop.is_set():
            try:
                con = duckdb.connect(str(serving), read_only=True)
                try:
                    tenants = con.execute("select count(*) from marts.dim_tenants").fetchone()[0]
                    meta = con.execute(
                        "select row_count from meta.published where table_name = 'dim_tenants'"
                    ).fetchone()[0]
                    assert tenants == meta, (tenants, meta)  # data and its metadata from the same publish
                    seen.append(tenants)
                finally:
                    con.close()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    thread = threading.Thread(target=read_loop)
    thread.start()
    try:
        for n in range(6):
            publish(builds[n % 2], serving)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert errors == []
    assert seen and set(seen) <= {3, 4}
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# BI readability of the real warehouse (the `built` demo)


@pytest.fixture(scope="module")
def served(built, tmp_path_factory):
    """(build copy, serving file, expected (count, sum) of marts.fct_cost_daily)."""
    root = tmp_path_factory.mktemp("serving")
    build = root / "build.duckdb"
    shutil.copy2(built.warehouse, build)
    serving = root / "finops_serving.duckdb"
    publish(build, serving)
    con = duckdb.connect(str(build), read_only=True)
    expected = con.execute(SPEND_SQL).fetchone()
    con.close()
    return build, serving, expected


_OLD_SPEND = r"""
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
count, total = con.execute(sys.argv[2]).fetchone()
tables = con.execute("select schema_name || '.' || table_name from duckdb_tables() order by 1").fetchall()
print(json.dumps({"version": duckdb.__version__, "count": count, "sum": str(total), "tables": [t for (t,) in tables]}))
"""


def test_old_duckdb_client_reads_published_file(served):
    build, serving, (count, total) = served
    # the build file itself is what an old client cannot open (why publish exists)
    refused = run_old("import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True)", str(build))
    assert refused.returncode != 0 and "version" in refused.stderr.lower()

    done = run_old(_OLD_SPEND, str(serving), SPEND_SQL)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["version"] == OLD_DUCKDB
    assert got["count"] == count and count > 0
    assert Decimal(got["sum"]) == total
    assert {
        "marts.fct_cost_daily",
        "marts.fct_llm_calls",
        "marts.fct_reconciliation",
        "marts.dim_tenants",
        "meta.published",
        "reference.tenants",
    } <= set(got["tables"])
    assert not any(t.startswith(("raw.", "staging.", "intermediate.")) for t in got["tables"])


def test_sqlalchemy_duckdb_engine_reads_mart(served):
    import sqlalchemy as sa

    _, serving, (count, total) = served
    engine = sa.create_engine(f"duckdb:///{serving}", connect_args={"read_only": True})
    try:
        with engine.connect() as conn:
            assert tuple(conn.execute(sa.text(SPEND_SQL)).one()) == (count, total)
            rows = conn.execute(
                sa.text(
                    "select provider, sum(attributed_cost) as cost from marts.fct_cost_daily group by 1 order by 2 desc"
                )
            ).all()
            assert sum(r.cost for r in rows) == total
            assert "fct_cost_daily" in sa.inspect(conn).get_table_names(schema="marts")
    finally:
        engine.dispose()
    # the URL form BI tools take (Superset, Metabase's DuckDB driver): read-only from the query string
    engine = sa.create_engine(f"duckdb:///{serving}?access_mode=read_only")
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("select count(*) from marts.fct_cost_daily")).scalar() == count
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                conn.execute(sa.text("create table marts.scratch as select 1"))
    finally:
        engine.dispose()


def test_pandas_read_sql(served):
    import pandas as pd
    import sqlalchemy as sa

    _, serving, (_, total) = served
    engine = sa.create_engine(f"duckdb:///{serving}", connect_args={"read_only": True})
    try:
        frame = pd.read_sql(
            "select feature, sum(calls) as calls, sum(attributed_cost) as cost from marts.fct_cost_daily "
            "group by 1 order by 3 desc",
            engine,
        )
    finally:
        engine.dispose()
    assert list(frame.columns) == ["feature", "calls", "cost"]
    assert len(frame) > 1
    assert sum(Decimal(str(v)) for v in frame["cost"]).quantize(Decimal("0.01")) == total.quantize(Decimal("0.01"))


def test_republish_real_warehouse_while_reader_holds_it(served):
    build, serving, (count, total) = served
    reader = duckdb.connect(str(serving), read_only=True)
    try:
        started = time.monotonic()
        result = publish(build, serving)
        assert time.monotonic() - started < 30
        assert reader.execute(SPEND_SQL).fetchone() == (count, total)
    finally:
        reader.close()
    assert result.row_counts["marts.fct_cost_daily"] == count
    con = duckdb.connect(str(serving), read_only=True)
    assert con.execute(SPEND_SQL).fetchone() == (count, total)
    con.close()
