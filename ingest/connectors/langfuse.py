"""Langfuse public API observations (type GENERATION) -> calls/langfuse/pull/YYYY/MM/YYYY-MM-DD.jsonl.

Per UTC day: `GET /api/public/observations?type=GENERATION&fromStartTime=<day>&toStartTime=<day+1>&page=N&limit=100`,
paged by page number until `meta.totalPages` (dlt's PageNumberPaginator). The observations are written one
per line as the API returned them (ingest.adapters.langfuse reads `.jsonl` that way), ordered by startTime
and id; an observation seen on two pages (rows arriving while paging shift the pages) is written once.

Credentials: LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY (a project's API key pair; HTTP basic auth), else
dlt secrets `sources.langfuse.public_key` / `sources.langfuse.secret_key`. LANGFUSE_HOST (default
https://cloud.langfuse.com; LANGFUSE_BASE_URL is accepted too) for self-hosted or other regions.
Reference: https://api.reference.langfuse.com (GET /api/public/observations: page, limit, type,
fromStartTime, toStartTime; response {data, meta: {page, limit, totalItems, totalPages}}).
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from ingest.connectors.common import (
    FileOutcome,
    PullReport,
    day_bounds,
    day_file,
    iso_z,
    page_json,
    rest_pages,
    secret,
    setting,
    write_records,
)

NAME = "langfuse"
HOST = "https://cloud.langfuse.com"
PAGE_LIMIT = 100


def credentials() -> dict[str, str]:
    return {
        "public_key": secret("LANGFUSE_PUBLIC_KEY", "sources.langfuse.public_key", "langfuse"),
        "secret_key": secret("LANGFUSE_SECRET_KEY", "sources.langfuse.secret_key", "langfuse"),
        "host": setting("LANGFUSE_HOST", None, "sources.langfuse.host") or setting("LANGFUSE_BASE_URL", HOST) or HOST,
    }


def fetch_day(creds: dict[str, str], day: date) -> list[dict]:
    from dlt.sources.helpers.rest_client.auth import HttpBasicAuth
    from dlt.sources.helpers.rest_client.paginators import PageNumberPaginator

    start, end = day_bounds(day)
    params = {"type": "GENERATION", "fromStartTime": iso_z(start), "toStartTime": iso_z(end), "limit": PAGE_LIMIT}
    paginator = PageNumberPaginator(base_page=1, page_param="page", total_path="meta.totalPages")
    seen: dict[str, dict] = {}
    for response in rest_pages(
        creds["host"],
        "/api/public/observations",
        params,
        paginator,
        auth=HttpBasicAuth(creds["public_key"], creds["secret_key"]),
        what=f"{NAME} {day}",
    ):
        for observation in page_json(response).get("data") or []:
            seen[str(observation.get("id"))] = observation
    return sorted(seen.values(), key=lambda o: (str(o.get("startTime")), str(o.get("id"))))


def pull(days: list[date], landing: Path) -> PullReport:
    creds = credentials()
    report = PullReport(NAME)
    started = time.perf_counter()
    for day in days:
        observations = fetch_day(creds, day)
        path = day_file(landing, "calls", "langfuse", day, ".jsonl")
        report.rows += len(observations)
        status = write_records(path, observations) if observations or path.exists() else "empty"
        report.files.append(FileOutcome(path, day.isoformat(), len(observations), status))
    report.seconds = time.perf_counter() - started
    return report
