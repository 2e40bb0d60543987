"""The alert sensor POSTs each new alert once to FINOPS_ALERT_WEBHOOK (a real local HTTP server),
reading alerts from a real DuckDB serving file; failed deliveries are retried."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import duckdb
import pytest
from dagster import DagsterInstance, SkipReason, build_sensor_context

from dagster_project.sensors import alert_webhook_sensor


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []  # shared by every request's handler instance
    fail_ids: ClassVar[set[str]] = set()

    def do_POST(self) -> None:  # the name is http.server's API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        failing = body["alert_id"] in self.fail_ids
        if not failing:
            self.received.append(body)
        self.send_response(500 if failing else 204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def webhook():
    _Hook.received, _Hook.fail_ids = [], set()
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/alerts", _Hook
    server.shutdown()


def _serving(path, rows):
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts")
    con.execute(
        "create or replace table marts.fct_alerts (alert_id varchar, alert_type varchar, severity varchar, "
        "message varchar, period_start date, axis varchar, axis_value varchar, actual decimal(38,12), "
        "expected decimal(38,12))"
    )
    con.executemany("insert into marts.fct_alerts values (?, 'daily_spend', ?, ?, ?, 'tenant', ?, ?, ?)", rows)
    con.close()


def test_each_alert_is_posted_once_and_failures_are_retried(tmp_path, webhook, monkeypatch):
    url, hook = webhook
    serving = tmp_path / "serving.duckdb"
    rows = [
        ("a1", "critical", "t005 spend $12.34 vs $2.10 expected", "2026-10-20", "t005", "12.34", "2.10"),
        ("a2", "warning", "t001 spend $3.00 vs $1.90 expected", "2026-10-21", "t001", "3.00", "1.90"),
    ]
    _serving(serving, rows)
    monkeypatch.setenv("FINOPS_SERVING", str(serving))
    instance = DagsterInstance.ephemeral()

    monkeypatch.delenv("FINOPS_ALERT_WEBHOOK", raising=False)
    assert isinstance(alert_webhook_sensor(build_sensor_context(instance=instance)), SkipReason)
    assert hook.received == []

    monkeypatch.setenv("FINOPS_ALERT_WEBHOOK", url)
    hook.fail_ids = {"a2"}
    context = build_sensor_context(instance=instance)
    alert_webhook_sensor(context)
    assert [a["alert_id"] for a in hook.received] == ["a1"]
    assert hook.received[0] == {
        "alert_id": "a1",
        "alert_type": "daily_spend",
        "severity": "critical",
        "message": "t005 spend $12.34 vs $2.10 expected",
        "period_start": "2026-10-20",
        "axis": "tenant",
        "axis_value": "t005",
        "actual": "12.340000000000",
        "expected": "2.100000000000",
    }
    assert json.loads(context.cursor) == ["a1"]

    hook.fail_ids = set()
    context = build_sensor_context(instance=instance, cursor=context.cursor)
    alert_webhook_sensor(context)
    assert [a["alert_id"] for a in hook.received] == ["a1", "a2"]

    rows.append(("a3", "warning", "new", "2026-10-22", "t002", "5.00", "2.00"))
    _serving(serving, rows)
    context = build_sensor_context(instance=instance, cursor=context.cursor)
    alert_webhook_sensor(context)
    alert_webhook_sensor(build_sensor_context(instance=instance, cursor=context.cursor))
    assert [a["alert_id"] for a in hook.received] == ["a1", "a2", "a3"]


def test_the_demo_spike_reaches_the_webhook_from_the_published_file(built, webhook, monkeypatch):
    url, hook = webhook
    monkeypatch.setenv("FINOPS_SERVING", str(built.warehouse.with_name("serving.duckdb")))
    monkeypatch.setenv("FINOPS_ALERT_WEBHOOK", url)
    context = build_sensor_context(instance=DagsterInstance.ephemeral())
    alert_webhook_sensor(context)
    expected = built.query("select count(*) from marts.fct_alerts")[0][0]
    assert len(hook.received) == expected > 0
    spike = [a for a in hook.received if a["axis_value"] == "t005/support_triage"]
    daily = [(a["severity"], a["period_start"][:10]) for a in spike if a["alert_type"] == "daily_spend_anomaly"]
    assert daily == [("critical", "2026-10-20")]
    hourly = [a["period_start"][:13] for a in spike if a["alert_type"] == "hourly_spend_anomaly"]
    assert len(hourly) == 11 and all(h.startswith("2026-10-20") for h in hourly)  # caught within the day
    alert_webhook_sensor(build_sensor_context(instance=DagsterInstance.ephemeral(), cursor=context.cursor))
    assert len(hook.received) == expected
