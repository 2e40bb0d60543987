"""FOCUS exports from a bucket path or a mounted dir (one code path, dlt's filesystem source; file:// here):
copied as they are into billing/focus_aws|focus_azure/pull/, unchanged files not rewritten, a month-to-date
file rewritten in place replaces its landed copy, and the loader loads exactly the export's rows once."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from ingest.connectors import CONNECTORS, focus
from ingest.loaders import load_landing
from ingest.warehouse import connect

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "billing"


def _load_counts(tmp_path: Path, landing: Path) -> tuple[int, int, int]:
    con = connect(tmp_path / "wh.duckdb")
    try:
        load_landing(con, landing)
        return con.execute(
            "select count(*), (select count(*) from raw.quarantine), "
            "(select count(*) from raw.files where status = 'loaded') from raw.bill_lines"
        ).fetchone()
    finally:
        con.close()


@pytest.mark.parametrize("fmt", ["focus_aws", "focus_azure"])
def test_focus_export_dir_synced_by_url(fmt, monkeypatch, tmp_path):
    export = tmp_path / "bucket" / "exports" / "focus"
    (export / "2025-08").mkdir(parents=True)
    shutil.copy(FIXTURES / fmt / "focus-2025-08.csv", export / "2025-08" / "part-0.csv")
    (export / "2025-08" / "manifest.json").write_text("{}")  # not an export file: left out
    landing = tmp_path / "landing"
    monkeypatch.setenv(focus.SOURCES[fmt], (tmp_path / "bucket" / "exports").as_uri())  # file:// URL

    first = CONNECTORS[fmt].pull(landing)
    target = landing / "billing" / fmt / "pull" / "focus" / "2025-08" / "part-0.csv"
    assert [f.path for f in first.written] == [target]
    assert target.read_bytes() == (export / "2025-08" / "part-0.csv").read_bytes()
    rows, quarantined, files = _load_counts(tmp_path, landing)
    assert files == 1 and rows > 0
    fixture_rows = rows + quarantined  # what the adapter keeps of the fixture (non-AI lines are dropped)

    assert not CONNECTORS[fmt].pull(landing).written  # unchanged: nothing written

    # the vendor rewrites the month-to-date file in place (same rows again, gzipped next to it is new)
    text = (export / "2025-08" / "part-0.csv").read_text()
    (export / "2025-08" / "part-0.csv").write_text(text.replace("\n", "\r\n"))
    with gzip.open(export / "2025-08" / "part-1.csv.gz", "wt") as handle:
        handle.write(text)
    again = CONNECTORS[fmt].pull(landing)
    assert sorted(f.path.name for f in again.written) == ["part-0.csv", "part-1.csv.gz"]
    rows2, quarantined2, files2 = _load_counts(tmp_path, landing)
    assert files2 == 2 and rows2 + quarantined2 == 2 * fixture_rows  # the rewrite replaced its earlier copy


def test_focus_plain_dir_is_the_same_code_path(monkeypatch, tmp_path):
    export = tmp_path / "mnt"
    export.mkdir()
    shutil.copy(FIXTURES / "focus_aws" / "focus-2025-08.csv", export / "focus.csv")
    monkeypatch.setenv("FINOPS_FOCUS_AWS_URL", str(export))
    assert focus.source_url("focus_aws") == export.resolve().as_uri()
    report = CONNECTORS["focus_aws"].pull(tmp_path / "landing")
    assert [f.path.name for f in report.written] == ["focus.csv"]


def test_focus_pull_rate(monkeypatch, tmp_path):
    """A 50k-line export copied from a file:// URL (rows counted from the file: the copy is byte for byte)."""
    export = tmp_path / "bucket"
    export.mkdir()
    lines = (FIXTURES / "focus_aws" / "focus-2025-08.csv").read_text().splitlines()
    body = [line for line in lines[1:] if line.strip()]
    (export / "focus.csv").write_text("\n".join([lines[0], *(body * (50_000 // len(body)))]) + "\n")
    monkeypatch.setenv("FINOPS_FOCUS_AWS_URL", export.as_uri())
    report = CONNECTORS["focus_aws"].pull(tmp_path / "landing")
    rows = (tmp_path / "landing/billing/focus_aws/pull/focus.csv").read_text().count("\n") - 1
    assert rows == len(body) * (50_000 // len(body))
    print(f"RATE focus_aws: {rows} rows in {report.seconds:.3f} s = {rows / report.seconds:,.0f} rows/s (file://)")
