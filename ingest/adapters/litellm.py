"""`calls/litellm/`: LiteLLM proxy spend logs, one row of the `LiteLLM_SpendLogs` table per call.

Files: `.json` (a JSON array of rows, or an API page `{"data": [rows], ...}`), `.jsonl` (one row
per line) and `.csv` (a header row; JSON-valued columns such as metadata and request_tags hold
JSON text, an empty cell is a missing value).

The format, as LiteLLM defines it:
- BerriAI/litellm `schema.prisma`, model `LiteLLM_SpendLogs`: request_id (primary key), call_type,
  api_key (hashed), spend, total_tokens, prompt_tokens, completion_tokens, startTime, endTime,
  request_duration_ms, completionStartTime, model, model_id, model_group, custom_llm_provider,
  api_base, user, metadata (Json), cache_hit (String), cache_key, request_tags (Json array),
  team_id, organization_id, end_user, requester_ip_address, messages, response, session_id,
  status, ... https://github.com/BerriAI/litellm/blob/main/schema.prisma
- `litellm/proxy/_types.py` `SpendLogsPayload` (metadata and request_tags are JSON text,
  status "success" | "failure") and `SpendLogsMetadata` (the metadata keys: user_api_key*,
  spend_logs_metadata = the k/v pairs a request passes to be logged, additional_usage_values,
  usage_object, status, error_information, ...).
- `litellm/proxy/spend_tracking/spend_tracking_utils.py` `get_logging_payload`: request_tags is the
  request's metadata.tags; additional_usage_values is the usage object minus prompt/completion/total
  (so it holds prompt_tokens_details, cache_read_input_tokens, cache_creation_input_tokens,
  completion_tokens_details); cache_hit is the str() of LiteLLM's own response-cache flag.
- Docs: https://docs.litellm.ai/docs/proxy/cost_tracking , https://docs.litellm.ai/docs/proxy/caching

Exclusive token buckets (the rule implemented here):
    cache_read     = usage.cache_read_input_tokens, else usage.prompt_tokens_details.cached_tokens
    cache_write    = usage.cache_creation_input_tokens, else usage.prompt_tokens_details.cache_creation_tokens
    input_uncached = prompt_tokens - cache_read - cache_write
    output         = completion_tokens;  reasoning = usage.completion_tokens_details.reasoning_tokens
(usage = metadata.usage_object, else metadata.additional_usage_values). LiteLLM normalizes every
provider to OpenAI's usage shape, where prompt_tokens INCLUDES the cached tokens: OpenAI reports it
so natively (prompt_tokens_details.cached_tokens is a part of prompt_tokens), and for Anthropic,
whose input_tokens excludes the cache, LiteLLM's `calculate_usage`
(litellm/llms/anthropic/chat/transformation.py) sets prompt_tokens = input_tokens +
cache_creation_input_tokens + cache_read_input_tokens. Some older LiteLLM versions added only the
cache reads for Anthropic: set option `prompt_tokens_include_cache_write: false` for such exports.
A negative result is passed through, so the row is quarantined ("negative value") rather than
silently mis-bucketed.

Other rules:
- cache_hit "True" (LiteLLM's own response cache answered, no provider call) => cache_outcome
  app_hit and all token buckets 0: LiteLLM logs the cached response's usage with spend 0; those
  logged counts stay in `extra`. Otherwise a mapped cache_outcome, else app_miss when a cache_key
  was computed (caching on, not a hit), else none (cache_key "Cache OFF": LiteLLM caching is not
  configured; cache_hit is str() of LiteLLM's flag: "True", "False" or "None").
- latency_ms = request_duration_ms, else endTime - startTime. Naive startTime values are UTC.
- status "failure" => error, "success" => ok. provider from custom_llm_provider (normalized), else
  from the model name. model_requested = model_group (the public model name the app asked for),
  model_served = model (the deployment's model); dated snapshots are kept as logged.
- `spend` (LiteLLM's own cost estimate) and every other unmapped field stay in `extra`; the prompt
  and response payloads (messages, response, proxy_server_request) and LiteLLM's copy of its model
  price map (metadata.model_map_information) are not kept.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path

import duckdb

from ingest.adapters import adapter
from ingest.adapters.mapping import (
    NOT_OBJECT,
    Located,
    Mapping,
    SourceView,
    call_extra,
    call_time,
    count,
    elapsed_ms,
    extra_json,
    infer_provider,
    iso_z,
    load_mapping,
    merge,
    minus,
    parse_json_text,
    parse_time,
    place_dimensions,
    read_records,
    tokens,
    write_text,
)
from ingest.schemas import Field
from ingest.staging import LoadError, Reject, stage_records

SOURCE = "litellm"
TAGS = ("request_tags",)
DROP = frozenset(
    {
        ("messages",),
        ("response",),
        ("proxy_server_request",),
        ("metadata", "proxy_server_request"),
        ("metadata", "model_map_information"),
    }
)
USAGES = ("metadata.usage_object", "metadata.additional_usage_values")
CACHE_OFF = "Cache OFF"
STATUS = {"success": "ok", "ok": "ok", "failure": "error", "failed": "error", "error": "error"}
# column order of the CSV writer (the LiteLLM_SpendLogs order)
COLUMNS = (
    "request_id",
    "call_type",
    "api_key",
    "spend",
    "total_tokens",
    "prompt_tokens",
    "completion_tokens",
    "startTime",
    "endTime",
    "request_duration_ms",
    "completionStartTime",
    "model",
    "model_id",
    "model_group",
    "custom_llm_provider",
    "api_base",
    "user",
    "metadata",
    "cache_hit",
    "cache_key",
    "request_tags",
    "team_id",
    "organization_id",
    "end_user",
    "requester_ip_address",
    "session_id",
    "status",
)
WRITE_PROVIDER = {
    "google": "vertex_ai",
    "aws_bedrock": "bedrock",
    "azure_openai": "azure",
    "azure_ai_inference": "azure_ai",
}


def _usage(view: SourceView, *keys: str) -> object:
    return view.take(*(f"{u}.{k}" for k in keys for u in USAGES))


def to_canonical(record: dict, mapping: Mapping) -> dict[str, object]:
    """One SpendLogs row (JSON-valued fields already parsed) -> canonical call values."""
    view = SourceView(record, tags=TAGS, drop=DROP)
    out: dict[str, object] = {"call_id": view.get("request_id"), "started_at": view.get("startTime")}

    start, end = parse_time(view.get("startTime", use=False)), parse_time(view.get("endTime", use=False))
    if end is not None:
        view.use("endTime")  # read: the end of the call (start + latency)
    duration = view.get("request_duration_ms")
    out["latency_ms"] = count(duration) if duration is not None else elapsed_ms(start, end)

    for name in (
        "model_requested",
        "model_served",
        "billing_account",
        "environment",
        "region",
        "tenant_id",
        "user_id",
        "feature",
        "prompt_template",
        "prompt_version",
        "service_tier",
        "routing_decision",
    ):
        out[name] = view.resolve(mapping, name)
    out["provider"] = view.resolve(mapping, "provider") or infer_provider(view.get("model", use=False))

    status = view.take("status", "metadata.status")
    out["status"] = STATUS.get(str(status).strip().lower(), status) if status is not None else None

    cache_hit = str(view.get("cache_hit") or "").strip().lower() == "true"
    if cache_hit:
        out["cache_outcome"] = "app_hit"
        view.use("cache_key")
        for name in (
            "input_uncached_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "output_tokens",
            "reasoning_tokens",
        ):
            out[name] = 0
    else:
        mapped = view.resolve(mapping, "cache_outcome")
        cache_key = view.get("cache_key")  # "Cache OFF" when LiteLLM caching is not configured
        out["cache_outcome"] = mapped or ("app_miss" if cache_key not in (None, "", CACHE_OFF) else None)
        prompt = count(view.take("prompt_tokens", *(f"{u}.prompt_tokens" for u in USAGES)))
        completion = count(view.take("completion_tokens", *(f"{u}.completion_tokens" for u in USAGES)))
        view.take("total_tokens", *(f"{u}.total_tokens" for u in USAGES))  # = prompt + completion
        cache_read = count(_usage(view, "cache_read_input_tokens", "prompt_tokens_details.cached_tokens"))
        cache_write = count(_usage(view, "cache_creation_input_tokens", "prompt_tokens_details.cache_creation_tokens"))
        include_write = bool(mapping.options.get("prompt_tokens_include_cache_write", True))
        out["input_uncached_tokens"] = minus(prompt, cache_read, cache_write if include_write else None)
        out["cache_read_tokens"] = cache_read
        out["cache_write_tokens"] = cache_write
        out["output_tokens"] = completion
        out["reasoning_tokens"] = count(_usage(view, "completion_tokens_details.reasoning_tokens"))
    out["extra"] = extra_json(view.extra())
    return out


def _prepared(value: object) -> dict | None:
    if not isinstance(value, dict):
        return None
    return {k: parse_json_text(v) for k, v in value.items()}


def _json_rows(path: Path) -> tuple[list[Located], list[Reject]]:
    return read_records(path, "request_id", "LiteLLM spend-log rows")


def _csv_rows(path: Path) -> tuple[list[Located], list[Reject]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    rows: list[Located] = []
    rejects: list[Reject] = []
    start = reader.line_num + 1
    for cells in reader:
        number, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        raw = json.dumps(dict(zip(header, cells)), ensure_ascii=False)
        if len(cells) != len(header):
            rejects.append((number, f"expected {len(header)} fields, got {len(cells)}", raw))
            continue
        rows.append(Located(number, raw, {k: (v if v != "" else None) for k, v in zip(header, cells)}))
    return rows, rejects


@adapter("calls", SOURCE, ".json", ".jsonl", ".csv")
def stage(con: duckdb.DuckDBPyConnection, path: Path, fields: tuple[Field, ...]) -> list[Reject]:
    mapping = load_mapping(SOURCE, path)
    rows, rejects = _csv_rows(path) if path.suffix.lower() == ".csv" else _json_rows(path)
    records = []
    for row in rows:
        record = _prepared(row.value)
        if record is None:
            rejects.append((row.line, NOT_OBJECT, row.raw))
            continue
        records.append((row.line, row.raw, to_canonical(record, mapping)))
    stage_records(con, records, fields)
    return rejects


# --------------------------------------------------------------------------------------------
# writer (demo data)


def _row(call: dict, mapping: Mapping) -> dict:
    start = call_time(call["started_at"])
    latency = call.get("latency_ms")
    served = call.get("model_served")
    outcome = call.get("cache_outcome") or "none"
    row: dict = {"request_id": call["call_id"], "startTime": iso_z(start, 6)}
    if latency is not None:
        row["endTime"] = iso_z(start + timedelta(milliseconds=int(latency)), 6)
        row["request_duration_ms"] = int(latency)
    if served:
        row["model"] = served
    row["model_group"] = call["model_requested"]
    row["custom_llm_provider"] = WRITE_PROVIDER.get(call["provider"], call["provider"])
    row["status"] = "failure" if call.get("status") == "error" else "success"
    row["cache_hit"] = "True" if outcome == "app_hit" else "False"
    row["cache_key"] = (
        hashlib.sha256(str(call["call_id"]).encode()).hexdigest() if outcome in ("app_hit", "app_miss") else CACHE_OFF
    )
    counts = {
        n: tokens(call, n)
        for n in (
            "input_uncached_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "output_tokens",
            "reasoning_tokens",
        )
    }
    if outcome != "app_hit" or any(counts.values()):
        read, write = counts["cache_read_tokens"], counts["cache_write_tokens"]
        include_write = bool(mapping.options.get("prompt_tokens_include_cache_write", True))
        prompt = counts["input_uncached_tokens"] + read + (write if include_write else 0)
        usage: dict = {
            "prompt_tokens": prompt,
            "completion_tokens": counts["output_tokens"],
            "total_tokens": prompt + counts["output_tokens"],
        }
        if read:
            usage["prompt_tokens_details"] = {"cached_tokens": read}
            usage["cache_read_input_tokens"] = read
        if write:
            usage["cache_creation_input_tokens"] = write
        if counts["reasoning_tokens"]:
            usage["completion_tokens_details"] = {"reasoning_tokens": counts["reasoning_tokens"]}
        row.update(
            prompt_tokens=prompt,
            completion_tokens=counts["output_tokens"],
            total_tokens=prompt + counts["output_tokens"],
        )
        row["metadata"] = {"usage_object": usage}
    merge(row, call_extra(call))
    place_dimensions(
        row,
        call,
        mapping,
        (
            "billing_account",
            "environment",
            "region",
            "tenant_id",
            "user_id",
            "feature",
            "prompt_template",
            "prompt_version",
            "service_tier",
            "routing_decision",
        ),
        tags=TAGS,
    )
    return row


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def write(calls: list[dict], path: Path) -> None:
    """Write canonical calls as LiteLLM spend-log rows (.json array, .jsonl or .csv) that this adapter
    loads back to the same canonical values with the default mapping. Source fields that carry no
    canonical value (spend, api_key, call_type, ...) are written only when a call's `extra` holds
    them; app-hit calls are expected to carry no tokens."""
    mapping = load_mapping(SOURCE)
    rows = [_row(call, mapping) for call in calls]
    ext = path.suffix.lower()
    if ext == ".csv":
        columns = list(COLUMNS) + sorted({k for r in rows for k in r} - set(COLUMNS))
        sink = io.StringIO()
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(r.get(c)) for c in columns] for r in rows])
        write_text(path, sink.getvalue())
    elif ext == ".jsonl":
        write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    elif ext == ".json":
        write_text(path, json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    else:
        raise ValueError(f"{path}: the litellm writer writes .json, .jsonl or .csv")
