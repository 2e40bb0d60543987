"""Alert delivery: new rows of marts.fct_alerts POSTed as JSON to a webhook, each alert once.

Reads the published serving file (never the build file, which the pipeline holds for writing).
Which alerts were sent is the caller's state (the Dagster sensor keeps it in its cursor)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

ALERT_COLUMNS = (
    "alert_id",
    "alert_type",
    "severity",
    "message",
    "period_start",
    "axis",
    "axis_value",
    "actual",
    "expected",
)


@dataclass
class Delivery:
    sent: list[str]
    failed: dict[str, str]  # alert_id -> error


def _jsonable(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def pending_alerts(serving_path: Path, sent: set[str]) -> list[dict[str, object]]:
    """Alerts in the serving file that are not in `sent`, oldest first."""
    if not serving_path.exists():
        return []
    con = duckdb.connect(str(serving_path), read_only=True)
    try:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = 'fct_alerts'"
        ).fetchone()[0]
        if not exists:
            return []
        rows = con.execute(
            f"select {', '.join(ALERT_COLUMNS)} from marts.fct_alerts order by period_start, alert_id"
        ).fetchall()
    finally:
        con.close()
    return [{c: _jsonable(v) for c, v in zip(ALERT_COLUMNS, row)} for row in rows if row[0] not in sent]


def post_alerts(url: str, alerts: list[dict[str, object]], timeout_s: float = 10.0) -> Delivery:
    """POST each alert as one JSON object; an alert counts as sent only on a 2xx answer."""
    delivery = Delivery(sent=[], failed={})
    for alert in alerts:
        body = json.dumps(alert).encode("utf-8")
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                if 200 <= response.status < 300:
                    delivery.sent.append(str(alert["alert_id"]))
                else:
                    delivery.failed[str(alert["alert_id"])] = f"HTTP {response.status}"
        except (urllib.error.URLError, OSError) as exc:
            delivery.failed[str(alert["alert_id"])] = str(exc)
    return delivery
