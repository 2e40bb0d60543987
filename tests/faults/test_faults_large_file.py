"""A large call-log file loaded under a DuckDB memory limit (FINOPS_DUCKDB_MEMORY_LIMIT), in a child
process whose peak RSS is measured. ~300 MB of JSONL (800,000 calls); about 12 s here, so it runs
in `make test` (marked `slow`: deselect with `-m "not slow"`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

LINES = 800_000  # x ~380 bytes = ~303 MB
MEMORY_LIMIT = "256MB"
_TEMPLATE = (
    '{"call_id":"big-%09d","started_at":"2026-10-01T%02d:%02d:%02dZ","provider":"openai",'
    '"billing_account":"proj_prod","model_requested":"gpt-4o-mini","environment":"prod","region":"us",'
    '"tenant_id":"t%03d","user_id":"u%05d","feature":"chat_assistant","prompt_template":"chat",'
    '"prompt_version":"v3","input_uncached_tokens":%d,"cache_read_tokens":0,"output_tokens":%d,'
    '"latency_ms":%d}\n'
)

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from ingest.loaders import load_landing
from ingest.warehouse import connect
con = connect(Path(sys.argv[1]))
limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
started = time.monotonic()
report = load_landing(con, Path(sys.argv[2]))
seconds = time.monotonic() - started
(f,) = report.files
tokens = con.execute("select count(*), sum(input_uncached_tokens), sum(output_tokens) from raw.calls").fetchone()
ledger = con.execute("select rows_read, rows_loaded, rows_quarantined from raw.files").fetchone()
con.close()
print(json.dumps({"limit": limit, "seconds": seconds, "rows": [f.rows_read, f.rows_loaded, f.rows_quarantined],
                  "ledger": ledger, "raw": [int(t) for t in tokens],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _write_big(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        for start in range(0, LINES, 100_000):
            handle.write(
                "".join(
                    _TEMPLATE
                    % (
                        i,
                        (i // 3600) % 24,
                        (i // 60) % 60,
                        i % 60,
                        i % 50,
                        i % 9973,
                        100 + i % 900,
                        10 + i % 90,
                        200 + i % 1000,
                    )
                    for i in range(start, min(start + 100_000, LINES))
                )
            )


@pytest.mark.slow
def test_a_300mb_file_loads_under_a_256mb_duckdb_memory_limit(tmp_path):
    path = tmp_path / "landing" / "calls" / "canonical" / "2026" / "10" / "01" / "big.jsonl"
    _write_big(path)
    size_mb = path.stat().st_size / 1e6
    assert 280 < size_mb < 330
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path / "wh.duckdb"), str(tmp_path / "landing")],
        env={**os.environ, "FINOPS_DUCKDB_MEMORY_LIMIT": MEMORY_LIMIT},
        capture_output=True,
        text=True,
        timeout=300,
    )
    wall = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])  # DuckDB may draw a progress bar before it
    print(
        f"\n{size_mb:.0f} MB JSONL, memory_limit {got['limit']}: loaded in {got['seconds']:.1f} s "
        f"(child {wall:.1f} s), peak RSS {got['peak_rss_mb']:.0f} MB"
    )
    assert got["limit"].replace(" ", "") in ("244.1MiB", "256.0MB", "256MB"), got["limit"]
    assert got["rows"] == [LINES, LINES, 0] and tuple(got["ledger"]) == (LINES, LINES, 0)
    assert got["raw"] == [LINES, sum(100 + i % 900 for i in range(LINES)), sum(10 + i % 90 for i in range(LINES))]
    # measured: ~680 MB with the limit (Python batches + DuckDB's 256 MB + what DuckDB keeps outside its
    # buffer pool; ~880 MB when each batch was a separate INSERT); before the loader streamed JSONL in
    # batches it was ~1.2 GB
    assert got["peak_rss_mb"] < 1100, got
    # kept out of the way of the rest of the suite (pytest keeps the last runs' tmp dirs)
    path.unlink()
