"""AWS and Azure FOCUS exports from a bucket path or a local / mounted dir -> billing/focus_aws/, billing/focus_azure/.

One code path for every location: dlt's filesystem source (fsspec) lists the files under the URL —
`s3://bucket/prefix` (AWS Data Exports), `az://container/prefix` or `abfss://...` (Azure Cost Management
exports), `file:///mnt/exports` or a plain path (a mounted or synced dir; the tests use file://) — and each
export file (.csv, .csv.gz, .parquet) is copied to `billing/<format>/pull/<its path under the URL>`,
written aside and renamed. A file whose bytes equal the landed copy is not written again; a month-to-date
file the vendor rewrote in place is copied over its landed copy, and the loader replaces that file's rows.

FOCUS exports are per billing period, not per day: every pull syncs the whole prefix (the day window does
not apply), which is how restated and re-issued months arrive.

Settings: FINOPS_FOCUS_AWS_URL / FINOPS_FOCUS_AZURE_URL (the export's folder). Credentials are those of
the storage (`_filesystem_kwargs`): dlt secrets `sources.filesystem.credentials.*`, else what the cloud SDKs
read: for S3 the usual AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE, an
instance role); for Azure AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY, AZURE_STORAGE_SAS_TOKEN or
AZURE_STORAGE_CONNECTION_STRING (or a service principal: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET).
A local dir needs none.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import date
from pathlib import Path, PurePosixPath

from ingest.connectors.common import PULL_FOLDER, FileOutcome, MissingCredential, PullError, PullReport
from ingest.connectors.common import _dlt_secret as dlt_secret

EXPORT_SUFFIXES = (".csv", ".csv.gz", ".parquet")
SOURCES = {"focus_aws": "FINOPS_FOCUS_AWS_URL", "focus_azure": "FINOPS_FOCUS_AZURE_URL"}


def source_url(fmt: str) -> str:
    env = SOURCES[fmt]
    url = os.environ.get(env, "").strip()
    if not url:
        raise MissingCredential(f"{fmt}: {env} is not set (the export's bucket path or dir): connector disabled")
    if "://" not in url:  # a local or mounted dir
        url = Path(url).resolve().as_uri()
    return url


SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_SAS_TOKEN")
DLT_KEY = "sources.filesystem.credentials"


def _filesystem_kwargs(url: str) -> dict:
    """How dlt's filesystem source reaches the storage: a local dir needs nothing; storage credentials in dlt's
    secrets (sources.filesystem.credentials) are resolved by dlt; otherwise an fsspec filesystem built from the
    environment the cloud SDKs read (s3fs: the AWS chain incl. AWS_PROFILE and instance roles; adlfs:
    AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY / AZURE_STORAGE_SAS_TOKEN /
    AZURE_STORAGE_CONNECTION_STRING, or a service principal)."""
    scheme = url.split("://", 1)[0]
    if scheme == "file" or dlt_secret(DLT_KEY):
        return {}
    import fsspec

    return {"credentials": fsspec.filesystem(scheme)}


def _root_cause(exc: BaseException) -> str:
    root: BaseException = exc
    while root.__cause__ is not None or root.__context__ is not None:
        root = root.__cause__ or root.__context__  # type: ignore[assignment]
    text = (str(root).strip().splitlines() or [""])[0][:300]
    for name in SECRET_ENV:
        value = os.environ.get(name)
        if value:
            text = text.replace(value, "***")
    return f"{type(root).__name__}: {text}".rstrip(": ")


def pull(fmt: str, landing: Path, days: list[date] | None = None) -> PullReport:
    """Copy every changed export file under the source URL (the day window does not apply, see above)."""
    from dlt.sources.filesystem import filesystem

    url = source_url(fmt)
    report = PullReport(fmt, unit="file")
    started = time.perf_counter()
    target_root = landing / "billing" / fmt / PULL_FOLDER
    try:
        listing = list(filesystem(bucket_url=url, file_glob="**/*", **_filesystem_kwargs(url)))
    except Exception as exc:  # noqa: BLE001 - fsspec and dlt raise many kinds; one line, no secrets in it
        raise PullError(f"{fmt}: cannot list {url.split('?', 1)[0]}: {_root_cause(exc)}") from None
    for item in sorted(listing, key=lambda i: i["relative_path"]):
        rel = PurePosixPath(item["relative_path"])
        if not rel.name.lower().endswith(EXPORT_SUFFIXES) or any(p.startswith((".", "_")) for p in rel.parts):
            continue
        data = item.read_bytes()
        report.rows += 1  # files: an export's row count is the loader's business
        target = target_root.joinpath(*rel.parts)
        status = "unchanged"
        if not target.exists() or hashlib.sha256(target.read_bytes()).digest() != hashlib.sha256(data).digest():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.part")
            tmp.write_bytes(data)
            tmp.replace(target)
            status = "written"
        report.files.append(FileOutcome(target, "", 0, status))
    report.seconds = time.perf_counter() - started
    return report
