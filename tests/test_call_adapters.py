"""Call-log adapters for real formats (ingest/adapters/litellm.py, otel.py, langfuse.py, mapping.py):
hand-written fixtures that look like real exports, loaded through ingest.loaders.load_landing into a
temporary DuckDB; exact canonical values, exclusive token buckets per source, exact quarantine
reasons, the declarative dimension mapping (defaults and a landing dir's _mapping.yml), schema drift
kept in `extra`, and a writer round trip per adapter and file type."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.adapters import langfuse, litellm, otel
from ingest.loaders import load_landing
from ingest.schemas import CALL_FIELDS
from ingest.warehouse import connect

FIXTURES = Path(__file__).parent / "fixtures" / "calls"
NAMES = [f.name for f in CALL_FIELDS]
BUCKETS = ("input_uncached_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens")


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    yield con
    con.close()


def _landing(tmp_path: Path, fmt: str, mapping: str | None = None) -> Path:
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / fmt, landing / "calls" / fmt)
    if mapping is not None:
        (landing / "calls" / fmt / "_mapping.yml").write_text(mapping, encoding="utf-8")
    return landing


def _calls(con) -> dict[str, dict]:
    rows = con.execute(f"select {', '.join(NAMES)} from raw.calls").fetchall()
    return {row[0]: dict(zip(NAMES, row)) for row in rows}


def _quarantine(con) -> list[tuple]:
    rows = con.execute("select file_path, line, field, reason from raw.quarantine order by file_path, line").fetchall()
    return [(Path(path).name, line, field, reason) for path, line, field, reason in rows]


def _counts(report) -> dict[str, tuple[int, int, int]]:
    return {Path(f.path).name: (f.rows_read, f.rows_loaded, f.rows_quarantined) for f in report.files}


def _buckets(call: dict) -> tuple:
    return tuple(call[b] for b in BUCKETS)


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --------------------------------------------------------------------------------------------
# LiteLLM


def test_litellm_spend_logs_json_jsonl_csv(tmp_path, con):
    report = load_landing(con, _landing(tmp_path, "litellm"))
    assert _counts(report) == {
        "spend_logs_2026-10-01.json": (6, 5, 1),
        "spend_logs_2026-10-02.jsonl": (4, 2, 2),
        "spend_logs_export.csv": (3, 1, 2),
    }
    assert _quarantine(con) == [
        ("spend_logs_2026-10-01.json", 129, "input_uncached_tokens", "not a valid bigint: abc"),
        ("spend_logs_2026-10-02.jsonl", 3, "_row", "invalid JSON (truncated or malformed line)"),
        ("spend_logs_2026-10-02.jsonl", 4, "_row", "not a JSON object"),
        ("spend_logs_export.csv", 3, "started_at", "not a valid timestamp: 2026-13-45 25:00:00"),
        ("spend_logs_export.csv", 4, "_row", "expected 32 fields, got 5"),
    ]
    calls = _calls(con)

    openai_call = calls["chatcmpl-AXb1k2Qd7nYpJc4mT0sLq9wEr3vZ"]
    assert {k: v for k, v in openai_call.items() if k != "extra"} == {
        "call_id": "chatcmpl-AXb1k2Qd7nYpJc4mT0sLq9wEr3vZ",
        "started_at": _ts("2026-10-01 09:15:02.114"),
        "latency_ms": 906,
        "provider": "openai",
        "billing_account": "unknown",
        "model_requested": "gpt-4o",
        "model_served": "gpt-4o-2024-08-06",
        "environment": "prod",
        "region": "unknown",
        "tenant_id": "acme",
        "user_id": "acme-u0042",
        "feature": "search",
        "prompt_template": "rerank_topk",
        "prompt_version": "v2",
        "service_tier": "standard",
        "cache_outcome": "none",
        "routing_decision": "none",
        # OpenAI-style: prompt_tokens 1000 INCLUDES prompt_tokens_details.cached_tokens 400
        "input_uncached_tokens": 600,
        "cache_read_tokens": 400,
        "cache_write_tokens": 0,
        "output_tokens": 180,
        "reasoning_tokens": 0,
        "status": "ok",
    }
    # unmapped fields are kept (spend for reference, an unknown organization_id, the unused tag);
    # the used ones, the empty ones and the prompt/response payloads are not
    assert json.loads(openai_call["extra"]) == {
        "api_base": "https://api.openai.com/v1",
        "api_key": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
        "call_type": "acompletion",
        "completionStartTime": "2026-10-01T09:15:02.601000Z",
        "metadata": {
            "usage_object": {"prompt_tokens_details": {"audio_tokens": 0}},
            "user_api_key": "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
            "user_api_key_alias": "search-service",
            "user_api_key_team_alias": "growth",
            "user_api_key_team_id": "team-growth",
            "user_api_key_user_id": "default_user_id",
        },
        "model_id": "6b2e1f0c-4d8a-4e3b-9c7a-5f1e2d3c4b5a",
        "organization_id": "org-7Hq2LxA9",
        "request_tags": ["team:growth"],
        "requester_ip_address": "10.0.3.17",
        "spend": 0.00345,
        "team_id": "team-growth",
        "user": "default_user_id",
    }

    # Anthropic through LiteLLM: LiteLLM's prompt_tokens = input 180 + cache_read 3000 + cache_creation 512;
    # metadata and request_tags as JSON text, naive timestamps (UTC), latency from endTime - startTime
    anthropic_call = calls["chatcmpl-7c1e9a52-3b4f-4d21-8f0e-2a9b6c5d4e3f"]
    assert _buckets(anthropic_call) == (180, 3000, 512, 420, 0)
    assert (
        anthropic_call["started_at"],
        anthropic_call["latency_ms"],
        anthropic_call["tenant_id"],
        anthropic_call["feature"],
        anthropic_call["environment"],
        anthropic_call["model_requested"],
    ) == (_ts("2026-10-01 10:00:00.25"), 3781, "globex", "chat", "staging", "claude-sonnet")
    assert json.loads(anthropic_call["extra"])["spend"] == 0.014472

    reasoning_call = calls["chatcmpl-BQz8r1Lm4Kd0Tt7yWw2Ee5Rr6Uu"]
    assert _buckets(reasoning_call) == (800, 0, 0, 1500, 1100)
    assert reasoning_call["cache_outcome"] == "app_miss"  # LiteLLM caching on (a cache_key), not a hit
    assert json.loads(reasoning_call["extra"])["metadata"] == {"spend_logs_metadata": {"ticket": "OPS-12"}}

    # LiteLLM's own cache answered: no provider call, no tokens; the logged usage stays in extra
    hit = calls["chatcmpl-AXb1k2Qd7nYpJc4mT0sLq9wEr3vZ_cache_hit1790847302.55"]
    assert (hit["cache_outcome"], *_buckets(hit)) == ("app_hit", 0, 0, 0, 0, 0)
    assert {k: json.loads(hit["extra"])[k] for k in ("prompt_tokens", "completion_tokens", "spend")} == {
        "prompt_tokens": 1000,
        "completion_tokens": 180,
        "spend": 0.0,
    }

    failed = calls["a8e2c3d4-1b5f-4e6a-9c7d-0f1e2d3c4b5a"]
    assert (failed["status"], failed["latency_ms"], *_buckets(failed)) == ("error", 60000, 0, 0, 0, 0, 0)

    vertex = calls["chatcmpl-5b7d0f12-9a3c-4e8b-b1d2-7f6e5d4c3b2a"]
    assert (vertex["provider"], vertex["region"], vertex["billing_account"], *_buckets(vertex)) == (
        "google",
        "us-central1",
        "gcp_prod",
        6000,
        24000,
        0,
        900,
        0,
    )
    azure = calls["chatcmpl-AzUr3dEpLoYm3nT9"]
    assert (azure["provider"], azure["environment"], azure["model_requested"], azure["model_served"]) == (
        "azure_openai",
        "dev",
        "gpt-4o-mini-eu",
        "gpt-4o-mini",
    )

    csv_call = calls["msg_01XFDUDYJgAACzvnptvVoYEL"]
    assert (
        csv_call["started_at"],
        csv_call["latency_ms"],
        csv_call["tenant_id"],
        csv_call["feature"],
        csv_call["prompt_version"],
        *_buckets(csv_call),
    ) == (_ts("2026-10-03 14:20:11.502"), 1875, "umbrella", "support_triage", "v3", 3000, 1800, 0, 260, 0)
    assert json.loads(csv_call["extra"])["spend"] == "0.0021792"  # CSV cells are text


def test_litellm_custom_mapping_from_the_format_folder(tmp_path, con):
    landing = _landing(
        tmp_path,
        "litellm",
        mapping=(
            "fields:\n"
            "  tenant_id: [team_id, metadata.user_api_key_team_id]\n"
            "  feature: [metadata.user_api_key_alias]\n"
            "  environment: [const:prod]\n"
        ),
    )
    nested = landing / "calls" / "litellm" / "2026" / "10" / "01"
    nested.mkdir(parents=True)
    (landing / "calls" / "litellm" / "spend_logs_2026-10-01.json").rename(nested / "spend_logs.json")
    report = load_landing(con, landing)
    assert sorted(_counts(report)) == ["spend_logs.json", "spend_logs_2026-10-02.jsonl", "spend_logs_export.csv"]
    call = _calls(con)["chatcmpl-AXb1k2Qd7nYpJc4mT0sLq9wEr3vZ"]
    assert (call["tenant_id"], call["feature"], call["environment"], call["user_id"]) == (
        "team-growth",
        "search-service",
        "prod",
        "acme-u0042",
    )
    extra = json.loads(call["extra"])
    # the custom paths are used (both team ids agree), the default ones are not any more
    assert "team_id" not in extra and "user_api_key_team_id" not in extra["metadata"]
    assert extra["request_tags"] == ["feature:search", "team:growth"]
    assert extra["metadata"]["spend_logs_metadata"] == {
        "tenant_id": "acme",
        "feature": "search",
        "environment": "production",
    }


def test_a_bad_custom_mapping_rejects_the_files_it_maps_naming_the_mapping(tmp_path, con):
    landing = _landing(tmp_path, "litellm", mapping="fields:\n  tenant: [team_id]\n")
    report = load_landing(con, landing)
    assert report.files and {f.status for f in report.files} == {"rejected"}
    assert all(
        re.search(r"calls/litellm/_mapping.yml: unknown canonical field\(s\) tenant", f.reason) for f in report.files
    )
    assert con.execute("select count(*) from raw.calls").fetchone() == (0,)


# --------------------------------------------------------------------------------------------
# OpenTelemetry


def test_otel_genai_spans(tmp_path, con):
    report = load_landing(con, _landing(tmp_path, "otel"))
    # traces_2026-10-01.json has 7 spans: the HTTP span, the invoke_agent span (whose token totals
    # repeat its model calls) and the tool span are not calls, hence not rows at all
    assert _counts(report) == {"traces_2026-10-01.json": (4, 3, 1), "traces_2026-10-02.jsonl": (3, 2, 1)}
    assert _quarantine(con) == [
        ("traces_2026-10-01.json", 390, "input_uncached_tokens", "not a valid bigint: n/a"),
        ("traces_2026-10-02.jsonl", 3, "_row", "invalid JSON (truncated or malformed line)"),
    ]
    calls = _calls(con)
    assert set(calls) == {
        "chatcmpl-CAq3pM9xN2vB7kL1jH5gF8dS4aQ",
        "msg_01HCDu5LRGeP2o7s2xGmxyx8",
        "b9c7c989f97918e1",
        "00f067aa0ba902b8",
        "00f067aa0ba902b9",
    }

    openai_call = calls["chatcmpl-CAq3pM9xN2vB7kL1jH5gF8dS4aQ"]
    assert {k: v for k, v in openai_call.items() if k != "extra"} == {
        "call_id": "chatcmpl-CAq3pM9xN2vB7kL1jH5gF8dS4aQ",
        "started_at": _ts("2026-10-01 09:00:00.020"),
        "latency_ms": 1214,
        "provider": "openai",
        "billing_account": "unknown",
        "model_requested": "gpt-4o-mini",
        "model_served": "gpt-4o-mini-2024-07-18",
        "environment": "prod",
        "region": "unknown",
        "tenant_id": "acme",
        "user_id": "acme-u0007",
        "feature": "support_triage",
        "prompt_template": "unknown",
        "prompt_version": "unknown",
        "service_tier": "standard",
        "cache_outcome": "none",
        "routing_decision": "none",
        # gen_ai.usage.input_tokens 1000 includes gen_ai.usage.cache_read.input_tokens 400
        "input_uncached_tokens": 600,
        "cache_read_tokens": 400,
        "cache_write_tokens": 0,
        "output_tokens": 120,
        "reasoning_tokens": 0,
        "status": "ok",
    }
    # unused span and resource attributes are kept; message content is not
    assert json.loads(openai_call["extra"]) == {
        "resource": {
            "service.name": "support-api",
            "service.version": "2.14.0",
            "telemetry.sdk.language": "python",
            "telemetry.sdk.name": "opentelemetry",
            "telemetry.sdk.version": "1.38.0",
        },
        "span": {"gen_ai.response.finish_reasons": ["stop"], "server.address": "api.openai.com", "server.port": 443},
    }
    # Anthropic: per the semantic conventions input_tokens 2700 includes cache read 2000 + creation 500
    anthropic_call = calls["msg_01HCDu5LRGeP2o7s2xGmxyx8"]
    assert _buckets(anthropic_call) == (200, 2000, 500, 300, 0)
    assert (anthropic_call["prompt_template"], anthropic_call["prompt_version"]) == ("triage_ticket", "v3")

    # a 429: failed before any usage, nothing billed; no response id -> the span id
    failed = calls["b9c7c989f97918e1"]
    assert (
        failed["status"],
        failed["latency_ms"],
        failed["environment"],
        failed["feature"],
        failed["model_served"],
        *_buckets(failed),
    ) == ("error", 150, "staging", "email-worker", None, 0, 0, 0, 0, 0)

    vertex = calls["00f067aa0ba902b8"]
    assert (
        vertex["provider"],
        vertex["model_served"],
        vertex["billing_account"],
        vertex["region"],
        *_buckets(vertex),
    ) == ("google", "gemini-1.5-pro-002", "gcp_prod", "us-central1", 6000, 24000, 0, 900, 0)
    assert json.loads(vertex["extra"]) == {}  # gen_ai.system "vertex_ai" agrees with gen_ai.provider.name
    bedrock = calls["00f067aa0ba902b9"]
    assert (bedrock["provider"], bedrock["model_requested"], bedrock["environment"], *_buckets(bedrock)) == (
        "aws_bedrock",
        "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
        "dev",
        1500,
        0,
        0,
        200,
        0,
    )


def _otlp(*spans: dict) -> str:
    return json.dumps(
        {
            "resourceSpans": [
                {"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "t"}, "spans": list(spans)}]}
            ]
        }
    )


def _genai_span(span_id: str, provider: str, model: str, usage: dict[str, int]) -> dict:
    attrs = [
        {"key": "gen_ai.provider.name", "value": {"stringValue": provider}},
        {"key": "gen_ai.request.model", "value": {"stringValue": model}},
    ]
    attrs += [{"key": f"gen_ai.usage.{k}", "value": {"intValue": str(v)}} for k, v in usage.items()]
    return {
        "traceId": "ab" * 16,
        "spanId": span_id,
        "name": f"chat {model}",
        "kind": 3,
        "startTimeUnixNano": "1790845200000000000",
        "endTimeUnixNano": "1790845201000000000",
        "attributes": attrs,
    }


def test_otel_provider_that_reports_cache_apart_is_declared_in_the_mapping(tmp_path, con):
    folder = tmp_path / "landing" / "calls" / "otel"
    folder.mkdir(parents=True)
    (folder / "_mapping.yml").write_text("options:\n  input_tokens_include_cache: {anthropic: false}\n")
    (folder / "spans.json").write_text(
        _otlp(
            # an instrumentation copying Anthropic's usage: input_tokens excludes the cache
            _genai_span(
                "00000000000000a1",
                "anthropic",
                "claude-3-5-haiku-20241022",
                {
                    "input_tokens": 200,
                    "output_tokens": 30,
                    "cache_read.input_tokens": 2000,
                    "cache_creation.input_tokens": 500,
                    "reasoning.output_tokens": 10,
                },
            ),
            # OpenAI stays inclusive ("*" default)
            _genai_span(
                "00000000000000a2",
                "openai",
                "o3-mini",
                {
                    "input_tokens": 1000,
                    "output_tokens": 900,
                    "cache_read.input_tokens": 256,
                    "reasoning.output_tokens": 700,
                },
            ),
        )
    )
    load_landing(con, tmp_path / "landing")
    calls = _calls(con)
    assert _buckets(calls["00000000000000a1"]) == (200, 2000, 500, 30, 10)
    assert _buckets(calls["00000000000000a2"]) == (744, 256, 0, 900, 700)


def test_otel_json_file_of_json_lines_is_read_line_by_line(tmp_path, con):
    """The collector's file exporter writes one ExportTraceServiceRequest per line whatever the file's
    extension: a `.json` file that is not one document is read as JSON lines, bad lines quarantined by
    file and line, the other lines loaded."""
    name = "collector_traces_2026-10-03.json"
    folder = tmp_path / "landing" / "calls" / "otel"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "otel_json_lines" / name, folder / name)
    report = load_landing(con, tmp_path / "landing")
    # line 1: an HTTP span (not a call) + 2 GenAI spans; line 2: a 429; line 3 truncated; line 4 not OTLP traces
    assert _counts(report) == {name: (5, 3, 2)}
    assert _quarantine(con) == [
        (name, 3, "_row", "invalid JSON (truncated or malformed line)"),
        (name, 4, "_row", "not an OTLP ExportTraceServiceRequest (no resourceSpans list)"),
    ]
    assert con.execute("select call_id, _line from raw.calls order by _line, call_id").fetchall() == [
        ("chatcmpl-CBz7yQ2kR4nT8vW1xL6mP3sD9fH", 1),
        ("msg_01JLinesFileExporter0002", 1),
        ("eee19b7ec3c1b177", 2),
    ]
    calls = _calls(con)
    openai_call = calls["chatcmpl-CBz7yQ2kR4nT8vW1xL6mP3sD9fH"]
    assert (
        openai_call["started_at"],
        openai_call["latency_ms"],
        openai_call["provider"],
        openai_call["model_served"],
        openai_call["environment"],
        openai_call["tenant_id"],
        *_buckets(openai_call),
    ) == (_ts("2026-10-03 08:00:00.020"), 1214, "openai", "gpt-4o-mini-2024-07-18", "prod", "acme", 800, 200, 0, 50, 0)
    anthropic_call = calls["msg_01JLinesFileExporter0002"]
    assert (anthropic_call["provider"], anthropic_call["tenant_id"], *_buckets(anthropic_call)) == (
        "anthropic",
        "globex",
        1500,
        1000,
        500,
        100,
        0,
    )
    failed = calls["eee19b7ec3c1b177"]
    assert (failed["status"], failed["started_at"], failed["latency_ms"], failed["environment"], *_buckets(failed)) == (
        "error",
        _ts("2026-10-03 09:00:00"),
        250,
        "staging",
        0,
        0,
        0,
        0,
        0,
    )


def test_otel_start_time_in_seconds_is_quarantined_not_loaded_as_1970(tmp_path, con):
    folder = tmp_path / "landing" / "calls" / "otel"
    folder.mkdir(parents=True)
    seconds = {
        **_genai_span("00000000000000c2", "openai", "gpt-4o", {"input_tokens": 10, "output_tokens": 2}),
        "startTimeUnixNano": "1760000000",
        "endTimeUnixNano": "1760000001",
    }  # seconds, not nanoseconds
    (folder / "spans.json").write_text(
        _otlp(
            _genai_span("00000000000000c1", "openai", "gpt-4o", {"input_tokens": 10, "output_tokens": 2}),
            seconds,
            _genai_span("00000000000000c3", "openai", "gpt-4o", {"input_tokens": 30, "output_tokens": 4}),
        )
    )
    report = load_landing(con, tmp_path / "landing")
    assert _counts(report) == {"spans.json": (3, 2, 1)}
    assert _quarantine(con) == [  # a one-line document: every span is on line 1; raw is the span
        ("spans.json", 1, "started_at", "implausible time: 1970-01-01T00:00:01.760000Z (before 2000-01-01)")
    ]
    assert json.loads(con.execute("select raw from raw.quarantine").fetchone()[0])["spanId"] == "00000000000000c2"
    assert {k: v["started_at"] for k, v in _calls(con).items()} == {
        "00000000000000c1": _ts("2026-10-01 09:00:00"),
        "00000000000000c3": _ts("2026-10-01 09:00:00"),
    }


def test_otel_json_file_broken_as_a_document_is_one_reject(tmp_path, con):
    """A pretty-printed `.json` that breaks is not mistaken for JSON lines: one reject naming where."""
    folder = tmp_path / "landing" / "calls" / "otel"
    folder.mkdir(parents=True)
    text = json.dumps(
        json.loads(_otlp(_genai_span("00000000000000b1", "openai", "gpt-4o", {"input_tokens": 5, "output_tokens": 1}))),
        indent=2,
    )
    (folder / "spans.json").write_text(text[:-40], encoding="utf-8")  # truncated
    report = load_landing(con, tmp_path / "landing")
    assert _counts(report) == {"spans.json": (1, 0, 1)}
    [(name, line, field, reason)] = _quarantine(con)
    assert (name, field) == ("spans.json", "_row") and line == text[:-40].count("\n") + 1
    assert reason.startswith("invalid JSON document (") and reason.endswith("no record of the file could be read")


# --------------------------------------------------------------------------------------------
# Langfuse


def test_langfuse_generations(tmp_path, con):
    report = load_landing(con, _landing(tmp_path, "langfuse"))
    # the SPAN and EVENT observations are not calls, hence not rows
    assert _counts(report) == {"observations_2026-10-01.json": (6, 5, 1), "observations_2026-10-02.jsonl": (3, 1, 2)}
    assert _quarantine(con) == [
        ("observations_2026-10-01.json", 278, "input_uncached_tokens", "not a valid bigint: n/a"),
        ("observations_2026-10-02.jsonl", 3, "_row", "invalid JSON (truncated or malformed line)"),
        ("observations_2026-10-02.jsonl", 4, "started_at", "not a valid timestamp: 02/10/2026 09:30"),
    ]
    calls = _calls(con)
    openai_call = calls["gen-7d1e2f3a-openai"]
    assert {k: v for k, v in openai_call.items() if k != "extra"} == {
        "call_id": "gen-7d1e2f3a-openai",
        "started_at": _ts("2026-10-01 09:15:02.114"),
        "latency_ms": 906,
        "provider": "openai",
        "billing_account": "unknown",
        "model_requested": "gpt-4o-2024-08-06",
        "model_served": "gpt-4o-2024-08-06",
        "environment": "prod",
        "region": "unknown",
        "tenant_id": "acme",
        "user_id": "unknown",
        "feature": "search",
        "prompt_template": "rerank_topk",
        "prompt_version": "3",
        "service_tier": "standard",
        "cache_outcome": "none",
        "routing_decision": "none",
        # Langfuse stored OpenAI usage with the cached part already subtracted from input
        "input_uncached_tokens": 600,
        "cache_read_tokens": 400,
        "cache_write_tokens": 0,
        "output_tokens": 120,
        "reasoning_tokens": 0,
        "status": "ok",
    }
    assert json.loads(openai_call["extra"]) == {
        "calculatedTotalCost": 0.0032,
        "completionStartTime": "2026-10-01T09:15:02.601Z",
        "costDetails": {"input": 0.0015, "input_cached_tokens": 0.0005, "output": 0.0012, "total": 0.0032},
        "modelId": "cm2x8k1v0000108l4b7e3c9d1",
        "modelParameters": {"max_tokens": 512, "temperature": 0.0},
        "name": "OpenAI-generation",
        "parentObservationId": "obs-root-01",
        "timeToFirstToken": 0.487,
        "traceId": "3f1c2b7a-9d4e-4a61-b0c8-5e2f7d9a1c34",
    }
    # Anthropic-style usage: the cache is reported apart from input and stays as is
    anthropic_call = calls["gen-8e2f3a4b-anthropic"]
    assert (anthropic_call["provider"], *_buckets(anthropic_call)) == ("anthropic", 180, 3000, 512, 420, 0)
    # output_reasoning_tokens were subtracted from output by Langfuse: output = 400 + 1100
    assert _buckets(calls["gen-9f3a4b5c-o3"]) == (800, 0, 0, 1500, 1100)
    # usage ingested by hand with input INCLUDING the cache: the record's total (1200) decides
    manual = calls["gen-0a4b5c6d-manual"]
    assert (manual["started_at"], manual["latency_ms"], *_buckets(manual)) == (
        _ts("2026-10-01 10:00:00"),
        750,
        600,
        400,
        0,
        200,
        0,
    )
    failed = calls["gen-3d7e8f9a-error"]
    assert (failed["status"], *_buckets(failed)) == ("error", 0, 0, 0, 0, 0)
    assert json.loads(failed["extra"])["statusMessage"] == "Error code: 429 - Rate limit reached"

    # a v2 observation: providedModelName, userId, tags, environment "default" (= not set)
    gemini = calls["gen-4e8f9a0b-gemini"]
    assert (
        gemini["provider"],
        gemini["model_requested"],
        gemini["user_id"],
        gemini["tenant_id"],
        gemini["feature"],
        gemini["environment"],
        *_buckets(gemini),
    ) == ("google", "gemini-2.0-flash-001", "initech-u0003", "initech", "translation", "unknown", 6000, 0, 0, 6500, 0)
    extra = json.loads(gemini["extra"])
    assert (extra["tags"], extra["sessionId"], extra["traceName"]) == (["beta"], "sess-5521", "translate-document")


# --------------------------------------------------------------------------------------------
# writers: canonical calls -> the format -> load_landing -> the same canonical values

BASE = {
    "billing_account": "unknown",
    "environment": "unknown",
    "region": "unknown",
    "tenant_id": "unknown",
    "user_id": "unknown",
    "feature": "unknown",
    "prompt_template": "unknown",
    "prompt_version": "unknown",
    "service_tier": "standard",
    "cache_outcome": "none",
    "routing_decision": "none",
    "cache_read_tokens": 0,
    "cache_write_tokens": 0,
    "reasoning_tokens": 0,
    "status": "ok",
    "extra": "{}",
}


def _demo_calls(extras: dict[str, dict]) -> list[dict]:
    calls = [
        {
            "call_id": "call_0001",
            "started_at": "2026-10-01T12:00:00.123Z",
            "latency_ms": 812,
            "provider": "openai",
            "billing_account": "proj_prod",
            "model_requested": "gpt-4o",
            "model_served": "gpt-4o-mini",
            "environment": "prod",
            "region": "us",
            "tenant_id": "t001",
            "user_id": "t001-u0001",
            "feature": "email_drafter",
            "prompt_template": "draft_reply",
            "prompt_version": "v2",
            "routing_decision": "rerouted",
            "input_uncached_tokens": 1300,
            "cache_read_tokens": 1024,
            "output_tokens": 520,
        },
        {
            "call_id": "call_0002",
            "started_at": "2026-10-01T13:00:00Z",
            "latency_ms": None,
            "provider": "anthropic",
            "billing_account": "wrk_dev",
            "model_requested": "claude-sonnet-4",
            "model_served": "claude-sonnet-4",
            "environment": "staging",
            "region": "eu",
            "tenant_id": "t002",
            "feature": "chat_assistant",
            "prompt_template": "chat_system",
            "prompt_version": "3",
            "service_tier": "batch",
            "cache_outcome": "app_miss",
            "routing_decision": "kept",
            "input_uncached_tokens": 1400,
            "cache_write_tokens": 2400,
            "output_tokens": 380,
            "status": "error",
        },
        {
            "call_id": "call_0003",
            "started_at": "2026-10-02T23:59:59.999Z",
            "latency_ms": 5,
            "provider": "google",
            "billing_account": "gcp_prod",
            "model_requested": "gemini-1.5-pro",
            "model_served": "gemini-1.5-pro",
            "environment": "prod",
            "region": "us-central1",
            "tenant_id": "t003",
            "user_id": "t003-u0042",
            "feature": "onboarding_tips",
            "prompt_template": "tips_welcome",
            "prompt_version": "v1",
            "cache_outcome": "app_hit",
            "input_uncached_tokens": 0,
            "output_tokens": 0,
        },
        {
            "call_id": "call_0004",
            "started_at": "2026-10-03T00:00:00.000001Z",
            "latency_ms": 2000,
            "provider": "openai",
            "billing_account": "proj_nonprod",
            "model_requested": "o3-mini",
            "model_served": "o3-mini",
            "environment": "dev",
            "tenant_id": "t001",
            "feature": "sql_copilot",
            "prompt_template": "nl_to_sql",
            "prompt_version": "v1",
            "input_uncached_tokens": 6300,
            "cache_read_tokens": 0,
            "output_tokens": 3000,
            "reasoning_tokens": 2500,
            "extra": json.dumps(extras["first"]),
        },
        {
            "call_id": "call_0005",
            "started_at": "2026-10-03T08:00:00Z",
            "latency_ms": 700,
            "provider": "anthropic",
            "model_requested": "claude-haiku-3-5",
            "model_served": "claude-haiku-3-5",
            "input_uncached_tokens": 10,
            "cache_read_tokens": 5000,
            "output_tokens": 40,
            "extra": json.dumps(extras["second"]),
        },
    ]
    return [{**BASE, **c} for c in calls]


EXTRAS = {
    litellm: {
        "first": {"call_type": "acompletion", "api_key": "88dc28d0f030c55e"},
        "second": {
            "metadata": {"user_api_key_alias": "svc", "spend_logs_metadata": {"ticket": "OPS-1"}},
            "request_tags": ["beta"],
        },
    },
    otel: {
        "first": {"span": {"server.address": "api.openai.com"}, "resource": {"service.name": "sql-api"}},
        "second": {"resource": {"service.name": "chat-api", "service.version": "1.2.3"}},
    },
    langfuse: {
        "first": {"traceId": "tr-1", "costDetails": {"input": 0.0069, "total": 0.0201}},
        "second": {"sessionId": "s-9", "tags": ["beta"], "metadata": {"ls_model_type": "chat"}},
    },
}


def _expected(call: dict) -> dict:
    out = {n: call.get(n) for n in NAMES}
    out["started_at"] = datetime.fromisoformat(call["started_at"]).astimezone(UTC).replace(tzinfo=None)
    out["extra"] = json.loads(call["extra"])
    return out


@pytest.mark.parametrize(
    ("module", "ext"),
    [
        (litellm, ".json"),
        (litellm, ".jsonl"),
        (litellm, ".csv"),
        (otel, ".json"),
        (otel, ".jsonl"),
        (langfuse, ".json"),
        (langfuse, ".jsonl"),
    ],
    ids=lambda v: getattr(v, "__name__", v).rsplit(".", 1)[-1],
)
def test_writer_round_trip(tmp_path, con, module, ext):
    fmt = module.__name__.rsplit(".", 1)[-1]
    calls = _demo_calls(EXTRAS[module])
    module.write(calls, tmp_path / "landing" / "calls" / fmt / "2026" / "10" / f"calls{ext}")
    report = load_landing(con, tmp_path / "landing")
    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined) for f in report.files] == [(5, 5, 0)]
    loaded = _calls(con)
    for call in calls:
        got = dict(loaded[call["call_id"]])
        got["extra"] = json.loads(got["extra"])
        assert got == _expected(call)
