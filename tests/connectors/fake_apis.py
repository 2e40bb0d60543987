"""Local stand-ins for the vendors' HTTP APIs (pytest-httpserver), speaking their paging, auth and errors:
- OpenAI /v1/organization/costs and /v1/organization/usage/{completions,embeddings,moderations}: Bearer admin
  key, `{"object": "page", "data": [buckets], "has_more", "next_page"}`, the cursor comes back as `page`.
- Anthropic /v1/organizations/cost_report and /usage_report/messages: `x-api-key` and `anthropic-version`
  headers, `{"data": [buckets], "has_more", "next_page"}`, cursor in `page`, RFC 3339 bucket bounds.
- Langfuse /api/public/observations: basic auth (public:secret key), page / limit, `meta.totalPages`.
A wrong or expired key gets 401 with the vendor's error body. Errors to inject once (429 with Retry-After,
500) are queued per path with `fail_once`. The results of a day are split into pages of `page_size`
results (the real APIs page over time buckets; a day window is one bucket, so the split is what exercises
the cursor here)."""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from werkzeug import Request, Response


def _day_of_unix(value: str) -> date:
    return datetime.fromtimestamp(int(value), UTC).date()


def _day_of_iso(value: str) -> date:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).date()


class FakeVendor:
    """Results per (path, day); serves them in pages; counts requests; fails on demand."""

    def __init__(self, httpserver, key: str, page_size: int = 2) -> None:
        self.server = httpserver
        self.key = key
        self.page_size = page_size
        self.results: dict[tuple[str, date], list[dict]] = defaultdict(list)
        self.requests: list[Request] = []
        self.failures: dict[str, list[tuple[int, dict]]] = defaultdict(list)

    def fail_once(self, path: str, status: int, headers: dict | None = None) -> None:
        self.failures[path].append((status, headers or {}))

    def _pop_failure(self, request: Request) -> Response | None:
        queue = self.failures.get(request.path)
        if queue:
            status, headers = queue.pop(0)
            return Response(json.dumps({"error": {"message": "try again"}}), status=status, headers=headers)
        return None

    def _pages(self, rows: list, cursor: str | None) -> tuple[list, str | None]:
        start = int(cursor.removeprefix("page_")) if cursor else 0
        chunk = rows[start : start + self.page_size]
        following = start + self.page_size
        return chunk, (f"page_{following}" if following < len(rows) else None)


class FakeOpenAI(FakeVendor):
    PATHS = (
        "/v1/organization/costs",
        "/v1/organization/usage/completions",
        "/v1/organization/usage/embeddings",
        "/v1/organization/usage/moderations",
    )

    def install(self) -> FakeOpenAI:
        for path in self.PATHS:
            self.server.expect_request(path, method="GET").respond_with_handler(self.handle)
        return self

    def handle(self, request: Request) -> Response:
        self.requests.append(request)
        if request.headers.get("Authorization") != f"Bearer {self.key}":
            body = {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error"}}
            return Response(json.dumps(body), status=401, content_type="application/json")
        failure = self._pop_failure(request)
        if failure:
            return failure
        args = request.args
        assert args["bucket_width"] == "1d"
        expected = ["project_id", "line_item"] if request.path.endswith("costs") else None
        if expected:
            assert args.getlist("group_by") == expected
        day = _day_of_unix(args["start_time"])
        assert _day_of_unix(args["end_time"]) == day + timedelta(days=1)
        start, end = (int(args["start_time"]), int(args["end_time"]))
        rows, following = self._pages(self.results[(request.path, day)], args.get("page"))
        page = {
            "object": "page",
            "data": [{"object": "bucket", "start_time": start, "end_time": end, "results": rows}],
            "has_more": following is not None,
            "next_page": following,
        }
        return Response(json.dumps(page), content_type="application/json")


class FakeAnthropic(FakeVendor):
    PATHS = ("/v1/organizations/cost_report", "/v1/organizations/usage_report/messages")

    def install(self) -> FakeAnthropic:
        for path in self.PATHS:
            self.server.expect_request(path, method="GET").respond_with_handler(self.handle)
        return self

    def handle(self, request: Request) -> Response:
        self.requests.append(request)
        if request.headers.get("x-api-key") != self.key:
            body = {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
            return Response(json.dumps(body), status=401, content_type="application/json")
        if request.headers.get("anthropic-version") != "2023-06-01":
            return Response(json.dumps({"type": "error"}), status=400, content_type="application/json")
        failure = self._pop_failure(request)
        if failure:
            return failure
        args = request.args
        day = _day_of_iso(args["starting_at"])
        assert _day_of_iso(args["ending_at"]) == day + timedelta(days=1)
        rows, following = self._pages(self.results[(request.path, day)], args.get("page"))
        bucket = {"starting_at": args["starting_at"], "ending_at": args["ending_at"], "results": rows}
        page = {"data": [bucket], "has_more": following is not None, "next_page": following}
        return Response(json.dumps(page), content_type="application/json")


class FakeLangfuse(FakeVendor):
    """Observations of every type, filtered by type / fromStartTime / toStartTime, newest first (as Langfuse)."""

    def __init__(self, httpserver, public_key: str, secret_key: str) -> None:
        super().__init__(httpserver, secret_key)
        self.public_key = public_key
        self.observations: list[dict] = []

    def install(self) -> FakeLangfuse:
        self.server.expect_request("/api/public/observations", method="GET").respond_with_handler(self.handle)
        return self

    def handle(self, request: Request) -> Response:
        self.requests.append(request)
        expected = "Basic " + base64.b64encode(f"{self.public_key}:{self.key}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return Response(json.dumps({"message": "Invalid credentials"}), status=401, content_type="application/json")
        failure = self._pop_failure(request)
        if failure:
            return failure
        args = request.args
        low, high = (datetime.fromisoformat(args[k].replace("Z", "+00:00")) for k in ("fromStartTime", "toStartTime"))
        rows = [
            o
            for o in self.observations
            if (not args.get("type") or o["type"] == args["type"])
            and low <= datetime.fromisoformat(o["startTime"].replace("Z", "+00:00")) < high
        ]
        rows.sort(key=lambda o: o["startTime"], reverse=True)
        limit, page = int(args.get("limit", 50)), int(args.get("page", 1))
        total_pages = -(-len(rows) // limit)
        body = {
            "data": rows[(page - 1) * limit : page * limit],
            "meta": {"page": page, "limit": limit, "totalItems": len(rows), "totalPages": total_pages},
        }
        return Response(json.dumps(body), content_type="application/json")
