"""Anthropic Admin API cost report and messages usage report -> billing/anthropic_cost/ and billing/anthropic_usage/.

Per UTC day (the fetch window):
- `GET /v1/organizations/cost_report?starting_at=<day>&ending_at=<day+1>&group_by[]=workspace_id&group_by[]=description`
  -> billing/anthropic_cost/pull/YYYY/MM/YYYY-MM-DD.json
- `GET /v1/organizations/usage_report/messages?starting_at=..&ending_at=..&bucket_width=1d&group_by[]=model
  &group_by[]=workspace_id&group_by[]=service_tier&group_by[]=api_key_id`
  -> billing/anthropic_usage/pull/YYYY/MM/YYYY-MM-DD.json
Each file is the JSON array of the pages returned (`{"data": [buckets], "has_more", "next_page"}`), read as
they are by ingest.adapters.anthropic_billing. Paging: `next_page` into `page` while `has_more`.
The usage report is pulled too because the cost report leaves out Priority Tier costs.

Headers: `x-api-key: <admin key>`, `anthropic-version: 2023-06-01`.
Credentials: ANTHROPIC_ADMIN_KEY (sk-ant-admin..., an Admin API key), else dlt secret
`sources.anthropic.admin_key`. ANTHROPIC_BASE_URL_ADMIN overrides https://api.anthropic.com.

The newer /v1/organizations/analytics/* endpoints (rows with a `group` object) are not pulled: no adapter
reads that shape yet (ingest.adapters.anthropic_billing), and the cost and usage reports still answer.
References: https://docs.anthropic.com/en/api/usage-cost-api ,
https://platform.claude.com/docs/en/api/admin/cost_report ,
https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages
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
    iso_z,
    page_json,
    rest_pages,
    secret,
    setting,
    write_pages,
)

NAME = "anthropic"
BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
REPORTS = {
    # format folder: (path, extra params)
    "anthropic_cost": ("/v1/organizations/cost_report", {"group_by[]": ["workspace_id", "description"]}),
    "anthropic_usage": (
        "/v1/organizations/usage_report/messages",
        {"bucket_width": "1d", "group_by[]": ["model", "workspace_id", "service_tier", "api_key_id"]},
    ),
}


def credentials() -> dict[str, str]:
    return {
        "key": secret("ANTHROPIC_ADMIN_KEY", "sources.anthropic.admin_key", "anthropic"),
        "base_url": setting("ANTHROPIC_BASE_URL_ADMIN", BASE_URL, "sources.anthropic.base_url") or BASE_URL,
    }


def _fetch(creds: dict[str, str], path: str, extra: dict, day: date) -> list[dict]:
    from dlt.sources.helpers.rest_client.auth import APIKeyAuth
    from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

    start, end = day_bounds(day)
    params = {"starting_at": iso_z(start), "ending_at": iso_z(end), **extra}
    paginator = JSONResponseCursorPaginator(cursor_path="next_page", cursor_param="page", has_more_path="has_more")
    responses = rest_pages(
        creds["base_url"],
        path,
        params,
        paginator,
        auth=APIKeyAuth(name="x-api-key", api_key=creds["key"], location="header"),
        headers={"anthropic-version": API_VERSION},
        what=f"{NAME} {day}",
    )
    return [page_json(r) for r in responses]


def pull(days: list[date], landing: Path) -> PullReport:
    creds = credentials()
    report = PullReport(NAME)
    started = time.perf_counter()
    for day in days:
        for fmt, (path, extra) in REPORTS.items():
            pages = _fetch(creds, path, extra, day)
            target = day_file(landing, "billing", fmt, day, ".json")
            rows = count_results(pages)
            report.rows += rows
            report.files.append(FileOutcome(target, day.isoformat(), rows, write_pages(target, pages)))
    report.seconds = time.perf_counter() - started
    return report
