"""Which landing format a file's content looks like, for the hint given when a file lands in the wrong folder.

A file no adapter reads, or whose rows are all quarantined, is often a good file in the wrong place (a
LiteLLM export dropped in calls/canonical/). The loader then says what it looks like and where it goes:
"looks like LiteLLM SpendLogs: move it to calls/litellm/". Only the start of the file is read (the keys of
its first JSON records, a CSV header, a Parquet schema); a guess, never used to load anything.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

SAMPLE_BYTES = 65_536

# (kind, format, what it is, a test on the sample's field names and text). Most specific first: OTel
# spans carry a traceId as Langfuse observations do, FOCUS exports share their columns.
FOCUS_COLUMNS = {"BilledCost", "ChargePeriodStart", "ChargeCategory"}
LITELLM_COLUMNS = {"request_id", "call_type", "spend", "startTime"}
Test = Callable[[set[str], str], bool]
SIGNATURES: tuple[tuple[str, str, str, Test], ...] = (
    ("calls", "otel", "OpenTelemetry spans (OTLP JSON)", lambda k, t: "resourceSpans" in k),
    ("billing", "openai_costs", "an OpenAI Costs API page", lambda k, t: "organization.costs.result" in t),
    ("billing", "openai_usage", "an OpenAI Usage API page", lambda k, t: "organization.usage." in t),
    (
        "billing",
        "anthropic_usage",
        "an Anthropic usage report",
        lambda k, t: {"uncached_input_tokens", "starting_at"} <= k,
    ),
    ("billing", "anthropic_cost", "an Anthropic cost report", lambda k, t: {"cost_type", "starting_at"} <= k),
    ("billing", "focus", "FOCUS bill lines with token columns", lambda k, t: FOCUS_COLUMNS | {"x_TokenBucket"} <= k),
    ("billing", "focus_aws", "an AWS FOCUS export", lambda k, t: k >= FOCUS_COLUMNS and "x_ServiceCode" in k),
    ("billing", "focus_azure", "an Azure FOCUS export", lambda k, t: k >= FOCUS_COLUMNS and "x_SkuMeterCategory" in k),
    ("calls", "litellm", "LiteLLM SpendLogs", lambda k, t: len(LITELLM_COLUMNS & k) >= 3),
    (
        "calls",
        "langfuse",
        "Langfuse observations",
        lambda k, t: "traceId" in k and ("usageDetails" in k or '"GENERATION"' in t),
    ),
    ("calls", "canonical", "canonical call records", lambda k, t: {"call_id", "started_at"} <= k),
)

_JSON_KEY = re.compile(r'"([A-Za-z_][A-Za-z0-9_.]*)"\s*:')


def _sample(path: Path) -> tuple[set[str], str]:
    """(field names, text) of the start of the file; empty when it cannot be read."""
    try:
        if path.suffix.lower() == ".parquet":
            return set(pq.read_schema(path).names), ""
        opener = gzip.open if path.suffix.lower() == ".gz" else open
        with opener(path, "rb") as handle:
            text = handle.read(SAMPLE_BYTES).decode("utf-8", errors="replace")
    except (OSError, ValueError, EOFError):
        return set(), ""
    keys = set(_JSON_KEY.findall(text))
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith(("{", "[")):  # a CSV: its header names the columns
        header = stripped.splitlines()[0] if stripped else ""
        keys |= {name.strip().strip('"') for name in header.split(",")}
    return keys, text


def guess_format(path: Path) -> tuple[str, str, str] | None:
    """(kind, format, what it is) of the landing format the file's content looks like, or None."""
    keys, text = _sample(path)
    for kind, fmt, label, test in SIGNATURES:
        if test(keys, text):
            return kind, fmt, label
    return None


def misplaced_hint(path: Path, kind: str, fmt: str) -> str | None:
    """'looks like <what>: move it to <kind>/<format>/' when the content looks like another format."""
    guess = guess_format(path)
    if guess is None or guess[:2] == (kind, fmt):
        return None
    return f"looks like {guess[2]}: move it to {guess[0]}/{guess[1]}/"
