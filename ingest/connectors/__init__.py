"""Connectors: fetch each source into the landing dir, in the layout and formats the loaders read.

A connector only writes landing files; hashing, loading, quarantine, idempotency and the audit trail of raw
files stay with ingest.loaders. Paging, retries with backoff, incremental windows and secrets come from dlt
(its REST client, sql_database and filesystem sources, and its secrets providers); the files are written by
ingest.connectors.common (one file per source x UTC day, aside then renamed, unchanged content not rewritten).

| source      | writes                                              | needs                                        |
|-------------|-----------------------------------------------------|----------------------------------------------|
| openai      | billing/openai_costs/, billing/openai_usage/        | OPENAI_ADMIN_KEY                             |
| anthropic   | billing/anthropic_cost/, billing/anthropic_usage/   | ANTHROPIC_ADMIN_KEY                          |
| litellm     | calls/litellm/                                      | LITELLM_DATABASE_URL                         |
| langfuse    | calls/langfuse/                                     | LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY     |
| focus_aws   | billing/focus_aws/                                  | FINOPS_FOCUS_AWS_URL (+ storage credentials) |
| focus_azure | billing/focus_azure/                                | FINOPS_FOCUS_AZURE_URL (+ storage creds)     |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingest.connectors import anthropic, focus, langfuse, litellm, openai
from ingest.connectors.common import MissingCredential, PullError, PullReport, window


@dataclass(frozen=True)
class Connector:
    name: str
    kind: str  # calls | billing: the raw table its files feed
    check: Callable[[], object]  # raises MissingCredential when the connector is not configured
    run: Callable[[list[date], Path], PullReport]

    def disabled_reason(self) -> str | None:
        """None when configured, else the one line that says what is missing."""
        try:
            self.check()
        except MissingCredential as exc:
            return str(exc)
        return None

    def pull(self, landing: Path, start: date | None = None, end: date | None = None) -> PullReport:
        return self.run(window(start, end), landing)


# the environment variables that configure a connector (a test run clears them: tests/conftest.py)
CONNECTOR_ENV_PREFIXES = (
    "OPENAI_ADMIN_KEY",
    "OPENAI_BASE_URL_ADMIN",
    "ANTHROPIC_ADMIN_KEY",
    "ANTHROPIC_BASE_URL_ADMIN",
    "LITELLM_DATABASE_URL",
    "LANGFUSE_",
    "FINOPS_FOCUS_AWS_URL",
    "FINOPS_FOCUS_AZURE_URL",
    "SOURCES__",  # dlt's own spelling of its secrets (SOURCES__OPENAI__ADMIN_KEY)
)

CONNECTORS: dict[str, Connector] = {
    c.name: c
    for c in (
        Connector("openai", "billing", openai.credentials, openai.pull),
        Connector("anthropic", "billing", anthropic.credentials, anthropic.pull),
        Connector("litellm", "calls", litellm.credentials, litellm.pull),
        Connector("langfuse", "calls", langfuse.credentials, langfuse.pull),
        Connector(
            "focus_aws", "billing", lambda: focus.source_url("focus_aws"), lambda d, p: focus.pull("focus_aws", p, d)
        ),
        Connector(
            "focus_azure",
            "billing",
            lambda: focus.source_url("focus_azure"),
            lambda d, p: focus.pull("focus_azure", p, d),
        ),
    )
}

__all__ = [
    "CONNECTORS",
    "CONNECTOR_ENV_PREFIXES",
    "Connector",
    "MissingCredential",
    "PullError",
    "PullReport",
    "window",
]
