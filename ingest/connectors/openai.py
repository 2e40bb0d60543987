"""OpenAI organization Costs API and Usage API -> billing/openai_costs/ and billing/openai_usage/.

Per UTC day (the fetch window):
- `GET /v1/organization/costs?start_time=<day>&end_time=<day+1>&bucket_width=1d&group_by=project_id&group_by=line_item`
  -> billing/openai_costs/pull/YYYY/MM/YYYY-MM-DD.json
- `GET /v1/organization/usage/<endpoint>?start_time=..&end_time=..&bucket_width=1d&group_by=...` for each usage
  endpoint that carries tokens (completions, embeddings, moderations)
  -> billing/openai_usage/pull/<endpoint>/YYYY/MM/YYYY-MM-DD.json
Each file is the JSON array of the pages the API returned (`{"object": "page", "data": [buckets],
"has_more", "next_page"}`), which ingest.adapters.openai_billing reads as they are. Paging follows
`next_page` into the `page` query parameter while `has_more` is true (dlt's JSONResponseCursorPaginator).

Credentials: OPENAI_ADMIN_KEY (an organization admin key, sk-admin-...; read-only usage access is enough:
see README), else dlt secret `sources.openai.admin_key`. OPENAI_ORG_ID is not needed (the key is the
organization's). OPENAI_BASE_URL_ADMIN overrides https://api.openai.com (tests, proxies).

References: https://platform.openai.com/docs/api-reference/usage/costs ,
https://platform.openai.com/docs/api-reference/usage/completions (pagination: has_more / next_page / page;
bucket_width 1d; group_by), and ingest.adapters.openai_billing for the fields read.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from ingest.connectors.common import (
    FileOutcome,
    PullReport,
    count_results,
    day_bounds,
    day_file,
    page_json,
    rest_pages,
    secret,
    setting,
    write_pages,
)

NAME = "openai"
BASE_URL = "https://api.openai.com"
# the usage endpoints whose results carry token counts, with the groupings the adapter reads
USAGE_ENDPOINTS: dict[str, list[str]] = {
    "completions": ["project_id", "model", "batch", "service_tier"],
    "embeddings": ["project_id", "model"],
    "moderations": ["project_id", "model"],
}
PAGE_LIMIT = 31  # buckets per page (one per day here: a day window is one bucket)


def credentials() -> dict[str, str]:
    return {
        "key": secret("OPENAI_ADMIN_KEY", "sources.openai.admin_key", "openai"),
        "base_url": setting("OPENAI_BASE_URL_ADMIN", BASE_URL, "sources.openai.base_url") or BASE_URL,
    }


def _fetch(creds: dict[str, str], path: str, day: date, group_by: list[str]) -> list[dict]:
    from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
    from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

    start, end = day_bounds(day)
    params = {
        "start_time": int(start.timestamp()),
        "end_time": int(end.timestamp()),
        "bucket_width": "1d",
        "group_by": group_by,
        "limit": PAGE_LIMIT,
    }
    paginator = JSONResponseCursorPaginator(cursor_path="next_page", cursor_param="page", has_more_path="has_more")
    responses = rest_pages(
        creds["base_url"], path, params, paginator, auth=BearerTokenAuth(creds["key"]), what=f"{NAME} {day}"
    )
    return [page_json(r) for r in responses]


def pull(days: list[date], landing: Path) -> PullReport:
    creds = credentials()
    report = PullReport(NAME)
    started = time.perf_counter()
    for day in days:
        pages = _fetch(creds, "/v1/organization/costs", day, ["project_id", "line_item"])
        path = day_file(landing, "billing", "openai_costs", day, ".json")
        rows = count_results(pages)
        report.rows += rows
        report.files.append(FileOutcome(path, day.isoformat(), rows, write_pages(path, pages)))
        for endpoint, group_by in USAGE_ENDPOINTS.items():
            pages = _fetch(creds, f"/v1/organization/usage/{endpoint}", day, group_by)
            path = day_file(landing, "billing", "openai_usage", day, ".json", endpoint)
            rows = count_results(pages)
            report.rows += rows
            report.files.append(FileOutcome(path, day.isoformat(), rows, write_pages(path, pages)))
    report.seconds = time.perf_counter() - started
    return report
