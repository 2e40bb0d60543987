"""The dbt docs site: generated against the built warehouse, served over HTTP, rendered by headless
Chromium. The site is an Angular app that loads manifest.json and catalog.json by XHR, so the model's
description only shows up in the DOM when the app really ran."""

from __future__ import annotations

import functools
import shutil
import struct
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import run_dbt

MODEL_URL = "#!/model/model.finops.fct_reconciliation"
DESCRIPTION = "Computed (list) cost vs the vendor bill"


@pytest.fixture(scope="module")
def docs_target(built, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    warehouse = root / "finops.duckdb"
    shutil.copy2(built.warehouse, warehouse)  # dbt opens its warehouse read-write: never the shared one
    target = root / "target"
    done = run_dbt("docs", "generate", warehouse=warehouse, work=root)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    for name in ("index.html", "manifest.json", "catalog.json"):
        assert (target / name).is_file(), name
    return target


@pytest.fixture
def site(docs_target):
    """The docs target dir served on a free localhost port; yields (base url, requested paths)."""
    requested: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):
            requested.append(self.path)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(docs_target)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_docs_site_renders_model_page(site, tmp_path):
    from test_report import run_chromium  # headless Chromium, failing (not skipping) when missing

    base, requested = site
    started = time.monotonic()
    done = run_chromium(base + MODEL_URL, tmp_path / "profile", "--virtual-time-budget=10000", "--dump-dom")
    dom = done.stdout
    assert DESCRIPTION in dom, "fct_reconciliation's description is not on the rendered page"
    assert "fct_reconciliation" in dom and "variance_pct" in dom and "reconciliation_status" in dom
    assert "DECIMAL(38,12)" in dom  # column types come from catalog.json, i.e. from the warehouse
    assert any(p.startswith("/manifest.json") for p in requested)
    assert any(p.startswith("/catalog.json") for p in requested)

    shot = tmp_path / "fct_reconciliation.png"
    run_chromium(
        base + MODEL_URL,
        tmp_path / "profile-shot",
        "--virtual-time-budget=10000",
        "--window-size=1400,1000",
        "--hide-scrollbars",
        f"--screenshot={shot}",
    )
    assert png_size(shot) == (1400, 1000)
    # a blank or error page compresses to a few kB; the rendered model page is well over 50 kB
    assert shot.stat().st_size > 50_000, shot.stat().st_size
    assert time.monotonic() - started < 30
