"""Alert sensor: POSTs new rows of marts.fct_alerts (read from the serving file) to
FINOPS_ALERT_WEBHOOK, each alert once; the sent ids live in the sensor cursor."""

import json
import os

from dagster import DefaultSensorStatus, SensorEvaluationContext, SkipReason, sensor

from ingest.config import Settings
from serving.alerts import pending_alerts, post_alerts

WEBHOOK_ENV = "FINOPS_ALERT_WEBHOOK"


@sensor(
    name="alert_webhook",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="POST new cost anomalies and cap breaches (marts.fct_alerts) as JSON to FINOPS_ALERT_WEBHOOK.",
)
def alert_webhook_sensor(context: SensorEvaluationContext):
    url = os.environ.get(WEBHOOK_ENV)
    if not url:
        return SkipReason(f"{WEBHOOK_ENV} is not set")
    sent = set(json.loads(context.cursor)) if context.cursor else set()
    alerts = pending_alerts(Settings.from_env().serving, sent)
    if not alerts:
        return SkipReason("no new alerts")
    delivery = post_alerts(url, alerts)
    context.update_cursor(json.dumps(sorted(sent | set(delivery.sent))))
    for alert_id, error in delivery.failed.items():
        context.log.warning(f"alert {alert_id} not delivered, will retry: {error}")
    return SkipReason(f"sent {len(delivery.sent)} alert(s), {len(delivery.failed)} failed")
