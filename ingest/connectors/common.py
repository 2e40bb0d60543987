"""What every connector shares: the pull window, credentials, the retrying HTTP client, and the landing writer.

- Window: a pull fetches whole UTC days. Without an explicit range it re-fetches the last
  FINOPS_PULL_LOOKBACK_DAYS days (default 3) up to yesterday, because vendors restate recent days.
- Credentials come only from the environment or dlt's secrets file (`.dlt/secrets.toml` in the directory
  finops runs from, or DLT_PROJECT_DIR): `secret()` looks at the environment variable first, then at the dlt
  key. A missing one raises `MissingCredential`, whose message is one line naming the variable; no secret
  value is ever put in a message, a log line, a landing file or the warehouse.
- HTTP: dlt's `RESTClient` (paging) on dlt's retrying `requests` session: 429 and 5xx are retried with
  exponential backoff (honouring Retry-After), connection errors too; a 4xx is raised at once.
  FINOPS_PULL_MAX_ATTEMPTS (default 5) and FINOPS_PULL_BACKOFF_SECONDS (default 1) tune it.
- Landing files: one file per source x UTC day (the fetch window), at a fixed path, written under a name the
  loader ignores (`.<name>.part`) and renamed. A day whose content did not change is not written again, so
  an unchanged re-pull leaves the landing dir (and the loader's work) untouched; a restated day rewrites its
  file in place and the loader replaces the earlier version's rows (ingest.loaders, "superseded").
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

# dlt sends anonymous usage telemetry from pipelines unless told not to; the connectors never need it
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

LOOKBACK_ENV = "FINOPS_PULL_LOOKBACK_DAYS"
DEFAULT_LOOKBACK_DAYS = 3
PULL_FOLDER = "pull"  # <kind>/<format>/pull/...: files written by the connectors, apart from hand-dropped ones


class MissingCredential(Exception):
    """A connector's credential or setting is not configured: the connector is disabled."""


class PullError(Exception):
    """A pull failed (the key was refused, the server kept failing): one line, no secret in it."""


@dataclass
class FileOutcome:
    path: Path
    day: str
    rows: int
    status: str  # written | unchanged | empty


@dataclass
class PullReport:
    source: str
    files: list[FileOutcome] = field(default_factory=list)
    rows: int = 0  # records fetched from the source (API results / table rows / observations; files for FOCUS)
    seconds: float = 0.0
    unit: str = "row"  # "file" for the FOCUS sync, which copies whole export files and has no day window

    @property
    def written(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "written"]

    def summary(self) -> str:
        unchanged = sum(1 for f in self.files if f.status == "unchanged")
        return (
            f"{self.source}: {self.rows:,} {self.unit}(s) pulled in {self.seconds:.1f} s; {len(self.written)} file(s) "
            f"written, {unchanged} unchanged"
        )


# --------------------------------------------------------------------------------------------
# window


def lookback_days() -> int:
    text = os.environ.get(LOOKBACK_ENV, "").strip()
    if not text:
        return DEFAULT_LOOKBACK_DAYS
    try:
        days = int(text)
    except ValueError:
        raise MissingCredential(f"{LOOKBACK_ENV}={text!r} is not a whole number of days") from None
    if days < 1:
        raise MissingCredential(f"{LOOKBACK_ENV} must be at least 1 (got {days})")
    return days


def window(start: date | None = None, end: date | None = None, lookback: int | None = None) -> list[date]:
    """The UTC days of a pull: start..end inclusive; without start, the `lookback` days up to end (default
    yesterday), so that recent days the vendor restated are fetched again."""
    end = end or datetime.now(UTC).date() - timedelta(days=1)
    if start is None:
        start = end - timedelta(days=(lookback or lookback_days()) - 1)
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_file(landing: Path, kind: str, fmt: str, day: date, ext: str, *sub: str) -> Path:
    """<landing>/<kind>/<fmt>/pull/[sub/]YYYY/MM/YYYY-MM-DD.<ext>: one file per source x UTC day."""
    return landing / kind / fmt / PULL_FOLDER / Path(*sub) / f"{day:%Y}" / f"{day:%m}" / f"{day.isoformat()}{ext}"


# --------------------------------------------------------------------------------------------
# credentials and settings


def secret(env: str, dlt_key: str, what: str) -> str:
    """A credential from the environment variable `env`, else from dlt's secrets (`dlt_key`, e.g.
    `sources.openai.admin_key`: env SOURCES__OPENAI__ADMIN_KEY or .dlt/secrets.toml)."""
    value = os.environ.get(env, "").strip()
    if not value:
        value = _dlt_secret(dlt_key)
    if not value:
        raise MissingCredential(f"{what}: {env} is not set (nor {dlt_key} in dlt's secrets): connector disabled")
    return value


def setting(env: str, default: str | None = None, dlt_key: str | None = None) -> str | None:
    value = os.environ.get(env, "").strip()
    if not value and dlt_key:
        value = _dlt_secret(dlt_key, config=True)
    return value or default


def _dlt_may_hold(key: str) -> bool:
    """Whether dlt could know this key: its environment variable (sources.openai.admin_key ->
    SOURCES__OPENAI__ADMIN_KEY) is set, or a dlt secrets / config file exists (`.dlt/` of DLT_PROJECT_DIR or the
    current dir, or the global `~/.dlt/`, DLT_DATA_DIR). Checked first so that a code location without any
    connector configured does not import dlt (~1 s) on every load."""
    if os.environ.get(key.upper().replace(".", "__")):
        return True
    project = Path(os.environ.get("DLT_PROJECT_DIR") or Path.cwd()) / ".dlt"
    global_dir = Path(os.environ.get("DLT_DATA_DIR") or Path.home() / ".dlt")
    return any((d / name).is_file() for d in (project, global_dir) for name in ("secrets.toml", "config.toml"))


def _dlt_secret(key: str, config: bool = False) -> str:
    if not _dlt_may_hold(key):
        return ""
    import dlt

    try:
        value = (dlt.config if config else dlt.secrets).get(key)
    except Exception:  # noqa: BLE001 - an unreadable secrets file is the same as no secret here
        return ""
    return str(value).strip() if value is not None else ""


# --------------------------------------------------------------------------------------------
# HTTP


def http_session() -> Any:
    """dlt's retrying requests session (429 / 5xx / connection errors, exponential backoff, Retry-After)."""
    from dlt.sources.helpers.requests import Client

    return Client(
        request_timeout=float(os.environ.get("FINOPS_PULL_TIMEOUT_SECONDS", "60")),
        request_max_attempts=int(os.environ.get("FINOPS_PULL_MAX_ATTEMPTS", "5")),
        request_backoff_factor=float(os.environ.get("FINOPS_PULL_BACKOFF_SECONDS", "1")),
        request_max_retry_delay=float(os.environ.get("FINOPS_PULL_MAX_RETRY_DELAY_SECONDS", "120")),
        raise_for_status=False,  # RESTClient raises on an error status itself, after the retries
    ).session


def rest_pages(
    base_url: str,
    path: str,
    params: Mapping[str, Any],
    paginator: Any,
    auth: Any = None,
    headers: Mapping[str, str] | None = None,
    what: str = "",
) -> Iterator[Any]:
    """The raw responses of every page of a GET, paged by a dlt paginator. A refused key (401/403) or an
    error left after the retries becomes a one-line PullError without the key."""
    from dlt.sources.helpers.rest_client import RESTClient
    from requests import HTTPError, RequestException

    client = RESTClient(
        base_url=base_url, headers=dict(headers or {}), auth=auth, paginator=paginator, session=http_session()
    )
    try:
        for page in client.paginate(path, params=dict(params), data_selector="data"):
            yield page.response
    except HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        reason = exc.response.reason if exc.response is not None else ""
        hint = " (the key is missing, expired or lacks the permission; see README 'Pulling from the sources')"
        raise PullError(
            f"{what}: GET {path} answered {status} {reason}".rstrip() + (hint if status in (401, 403) else "")
        ) from None
    except RequestException as exc:
        raise PullError(f"{what}: GET {path} failed: {type(exc).__name__}") from None


# --------------------------------------------------------------------------------------------
# landing writer


def dumps(value: object) -> str:
    """Deterministic compact JSON (keys as given). Values holding a Decimal (API bodies parsed exactly) are
    written Decimal-exact by ingest.adapters.vendor_reports; the rest by json directly (same text, 3x faster)."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except TypeError:
        from ingest.adapters.vendor_reports import dumps_exact

        return dumps_exact(value)


def write_if_changed(path: Path, text: str, same: Callable[[str], bool] | None = None) -> str:
    """Write `text` to `path` aside and rename, unless the file already holds it (or `same(old_text)`
    says its content is equivalent). Returns 'written' or 'unchanged'."""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if old == text or (same is not None and same(old)):
            return "unchanged"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")  # ignored by the loader's discovery
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)
    return "written"


def write_pages(path: Path, pages: Sequence[Mapping[str, object]]) -> str:
    """Report pages as the API returned them (a JSON array of pages, which the adapters read); a file is
    unchanged when its pages' `data` equal the new ones (cursors may differ between two fetches)."""
    from ingest.adapters.vendor_reports import dumps_exact

    text = dumps_exact(list(pages), indent=1) + "\n"
    new_data = dumps_exact([p.get("data") for p in pages])

    def same(old: str) -> bool:
        from decimal import Decimal

        try:
            old_pages = json.loads(old, parse_float=Decimal)
        except json.JSONDecodeError:
            return False
        if isinstance(old_pages, Mapping):
            old_pages = [old_pages]
        return isinstance(old_pages, list) and dumps_exact([p.get("data") for p in old_pages]) == new_data

    return write_if_changed(path, text, same)


def write_records(path: Path, records: Sequence[Mapping[str, object]]) -> str:
    """Records as JSON Lines (one source record per line, in the given order)."""
    return write_if_changed(path, "".join(dumps(r) + "\n" for r in records))


def page_json(response: Any) -> dict:
    """A response body parsed with exact decimals (money is never a float)."""
    from decimal import Decimal

    return json.loads(response.text, parse_float=Decimal)


def count_results(pages: Sequence[Mapping[str, object]]) -> int:
    """Results in the time buckets of report pages (OpenAI, Anthropic)."""
    total = 0
    for page in pages:
        for bucket in page.get("data") or []:
            if isinstance(bucket, Mapping):
                results = bucket.get("results", bucket.get("result"))
                total += len(results) if isinstance(results, list) else 0
    return total
