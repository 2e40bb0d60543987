"""Fixtures of the fault suite: a landing dir and a loader on a tmp DuckDB (helpers in tests/faults/kit.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import LoadReport, load_landing
from ingest.warehouse import connect
from tests.faults.kit import assert_nothing_lost


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a fault scenario that takes several seconds (still in `make test`)")


@pytest.fixture
def landing(tmp_path) -> Path:
    path = tmp_path / "landing"
    path.mkdir()
    return path


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    yield con
    con.close()


@pytest.fixture
def load(con, landing):
    """Load the landing dir (again) and check the ledger; returns the report."""

    def run(kind: str | None = None) -> LoadReport:
        report = load_landing(con, landing, kind=kind)
        assert_nothing_lost(con, report)
        return report

    return run
