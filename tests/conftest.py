"""Shared fixtures: a demo landing dir built once per session and materialized through the real
`finops` command (a real DuckDB file, a real dbt build, a real Dagster run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from demo.generate import generate
from ingest.connectors import CONNECTOR_ENV_PREFIXES

# The connectors (ingest.connectors) take credentials from the environment and dlt's secrets files: a developer's
# own keys must never make a test run pull from the real vendors (the daily job includes every configured
# connector). Tests that pull set their own, against local servers.
for _name in [n for n in os.environ if n.startswith(CONNECTOR_ENV_PREFIXES)]:
    del os.environ[_name]
os.environ["DLT_PROJECT_DIR"] = os.environ["DLT_DATA_DIR"] = tempfile.mkdtemp(prefix="finops-tests-dlt-")

# tests/spark/ builds the marts on Apache Spark too (Java 17, the `spark` dependency group, minutes of
# CPU): `make test-spark` runs it (FINOPS_TEST_SPARK=1), `make test` leaves it out.
collect_ignore = [] if os.environ.get("FINOPS_TEST_SPARK") == "1" else ["spark"]

DEMO_START = "2026-10-01"
DEMO_END = "2026-10-30"


@dataclass
class Workspace:
    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def config(self) -> Path:
        """The company config dir: FINOPS_CONFIG_DIR's default, `config/` beside the landing dir."""
        return self.root / "config"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "finops.duckdb"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            FINOPS_LANDING_DIR=str(self.landing),
            FINOPS_WAREHOUSE=str(self.warehouse),
            DAGSTER_HOME=str(self.root / "dagster_home"),
        )
        return env

    def finops(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "dagster_project.cli", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=900,
        )

    def materialize(self, start: str = DEMO_START, end: str = DEMO_END) -> subprocess.CompletedProcess:
        return self.finops("materialize", "--start", start, "--end", end)

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def copy(self, dest: Path) -> Workspace:
        shutil.copytree(self.root, dest, ignore=shutil.ignore_patterns("dagster_home"))
        return Workspace(dest)


def run_dbt(*args: str, warehouse: Path, work: Path) -> subprocess.CompletedProcess:
    """This environment's dbt on the project against `warehouse`, its target and logs under `work`: for the
    tests that run dbt themselves on a copy of a built warehouse (dbt opens its warehouse read-write)."""
    project = Path(__file__).resolve().parent.parent / "dbt_project"
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *args,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],
        env=dict(os.environ, FINOPS_WAREHOUSE=str(warehouse)),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory) -> Path:
    """The default demo, generated once; tests copy it before changing anything."""
    root = tmp_path_factory.mktemp("demo")
    generate(root / "landing")
    return root


def _materialized(ws: Workspace) -> Workspace:
    result = ws.materialize()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return ws


@pytest.fixture(scope="session")
def built(demo_landing, tmp_path_factory) -> Workspace:
    """The demo materialized end to end; read-only for tests (copy it to change it)."""
    ws = Workspace(tmp_path_factory.mktemp("built"))
    shutil.copytree(demo_landing / "landing", ws.landing)
    shutil.copytree(demo_landing / "config", ws.config)  # the demo company's price overrides
    return _materialized(ws)


@pytest.fixture(scope="session")
def built_real(tmp_path_factory) -> Workspace:
    """The same demo written in real formats (LiteLLM, Langfuse, OTel call logs; OpenAI and Anthropic
    cost and usage reports; FOCUS), materialized end to end."""
    ws = Workspace(tmp_path_factory.mktemp("built_real"))
    generate(ws.landing, formats="real")
    return _materialized(ws)


@pytest.fixture(scope="session", params=["canonical", "real"])
def built_any(request) -> Workspace:
    """Each demo flavour in turn: tests using it must hold for both."""
    return request.getfixturevalue("built" if request.param == "canonical" else "built_real")


# The longest module (fourteen daily runs in sequence) starts first, so the other worker takes the rest
# meanwhile instead of leaving it alone at the end of the run.
FIRST = ("tests/life/test_two_weeks.py",)


def pytest_collection_modifyitems(items: list) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(FIRST))
