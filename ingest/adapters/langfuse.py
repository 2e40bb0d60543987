"""`calls/langfuse/`: Langfuse observations, one call per GENERATION observation.

Files: `.json` is a JSON array of observations or a public-API page `{"data": [...], "meta": {...}}`
(GET /api/public/observations, /api/public/v2/observations); `.jsonl` holds one observation per
line (a blob-storage / batch export).

The format, as Langfuse defines it:
- Public API (https://api.reference.langfuse.com, OpenAPI spec cloud.langfuse.com/generated/api/
  openapi.yml) `ObservationsView`: id, traceId, type (GENERATION, SPAN, EVENT, and the newer
  AGENT, TOOL, CHAIN, RETRIEVER, EMBEDDING, ...), name, startTime, endTime, completionStartTime
  (ISO-8601), model, modelParameters, input, output, metadata, usage (deprecated {input, output,
  total, unit}), usageDetails {usage type: count}, costDetails {usage type: USD}, level (DEBUG,
  DEFAULT, WARNING, ERROR), statusMessage, parentObservationId, promptId, promptName, promptVersion
  (integer), environment, modelId, inputPrice/outputPrice/totalPrice, calculated*Cost, latency (s),
  timeToFirstToken. `ObservationV2` (/api/public/v2/observations) adds userId, sessionId,
  providedModelName (instead of model), and with the trace_context field group tags, release and
  traceName (https://langfuse.com/changelog/2026-05-15-v2-observations-trace-context).
- Usage semantics (https://langfuse.com/docs/observability/features/token-and-cost-tracking,
  langfuse/langfuse packages/shared/src/server/ingestion/types.ts `OpenAICompletionUsageSchema`,
  `OpenAIResponseUsageSchema`): usage types are arbitrary keys; "If no total usage type is
  ingested, Langfuse sums up all usage type units to a total", i.e. the keys are disjoint parts.
  OpenAI-style usage is converted on ingestion: prompt_tokens -> input, completion_tokens -> output,
  the keys of prompt_tokens_details become input_<key> (input_cached_tokens, input_audio_tokens)
  and are SUBTRACTED from input, completion_tokens_details become output_<key>
  (output_reasoning_tokens) and are subtracted from output. Anthropic-style usage
  ({input, output, cache_read_input_tokens, cache_creation_input_tokens}) already has the cache
  apart. The Python SDK's LangChain handler does the same subtraction for input_token_details /
  output_token_details (input_cache_read, input_cache_creation, output_reasoning).

Exclusive token buckets (the rule implemented here), usage keys classified by name:
    cache_read     = keys containing "cache_read" or starting with "input_cached" (input_cached_tokens,
                     cache_read_input_tokens, input_cache_read)
    cache_write    = keys containing "cache_creation" or "cache_write" (cache_creation_input_tokens,
                     input_cache_creation)
    input_uncached = input + the other keys containing "input" (input_audio_tokens, ...)
    output         = output + every key containing "output" or "reasoning" (output_reasoning_tokens, ...)
    reasoning      = the keys containing "reasoning" (a part of output)
    total          = checked, not added
Because the stored keys are disjoint, nothing is subtracted. One exception, decided by the record's
own `total`: when the keys do not sum to total but do once input is taken to include the cache
keys (and/or output to include its detail keys) -- usage ingested by hand as
{input: prompt_tokens, input_cached_tokens: ..., total: prompt+completion} -- those keys are
subtracted from input (output). Without a total, Langfuse's disjoint definition holds. Keys that
match none of the rules stay in `extra`. Without usageDetails, the deprecated usage
{input, output, total} (or promptTokens/completionTokens/totalTokens) is read the same way.

Other rules:
- Only GENERATION observations are calls (an observation without a type is taken as one: a
  generations-only export). Every other observation (SPAN, EVENT, AGENT, TOOL, ..., also EMBEDDING)
  is NOT a record: neither loaded nor quarantined, and not counted in rows read.
- call_id = id; started_at = startTime; latency_ms = endTime - startTime (else latency seconds).
- status = error when level is ERROR, else ok. An ERROR generation without any usage is a call
  with 0 tokens (nothing was billed); a successful one without usage is quarantined.
- provider: mapped (metadata.provider, LangChain's metadata.ls_provider), else from the model name
  (Langfuse observations carry no provider field). model_requested = metadata.model_requested, else
  model; model_served = model (v2: providedModelName).
- environment "default" is Langfuse's value for "not set" and is ignored.
- costDetails (Langfuse's USD cost per usage type) and every other unmapped field stay in `extra`;
  the input and output payloads are not kept.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import duckdb

from ingest.adapters import adapter
from ingest.adapters.mapping import (
    NOT_OBJECT,
    Bad,
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
    parse_json_text,
    parse_time,
    place_dimensions,
    plus,
    read_records,
    tokens,
    write_text,
)
from ingest.schemas import Field
from ingest.staging import Reject, stage_records

SOURCE = "langfuse"
TAGS = ("tags",)
DROP = frozenset({("input",), ("output",)})


def _kind(key: str) -> str | None:
    k = key.lower()
    if k == "total":
        return "total"
    if "cache_read" in k or k.startswith("input_cached") or k == "cached_tokens":
        return "read"
    if "cache_creation" in k or "cache_write" in k:
        return "write"
    if "input" in k:
        return "input"
    if "reasoning" in k:
        return "reasoning"
    if "output" in k:
        return "output"
    return None


def _usage_source(view: SourceView) -> tuple[str, dict] | None:
    """(path, usage dict) of the record: usageDetails, else the deprecated usage object, else the
    legacy promptTokens/completionTokens/totalTokens fields."""
    details = view.get("usageDetails", use=False)
    if isinstance(details, dict) and details:
        view.use("usage", "promptTokens", "completionTokens", "totalTokens")  # derived copies of usageDetails
        return "usageDetails", details
    usage = view.get("usage", use=False)
    if isinstance(usage, dict) and any(usage.get(k) is not None for k in ("input", "output", "total")):
        view.use("usage.unit", "promptTokens", "completionTokens", "totalTokens")
        return "usage", {k: usage[k] for k in ("input", "output", "total") if k in usage}
    legacy = {
        new: view.get(old, use=False)
        for old, new in (("promptTokens", "input"), ("completionTokens", "output"), ("totalTokens", "total"))
    }
    if any(v is not None for v in legacy.values()):
        return "", legacy
    return None


def buckets(view: SourceView) -> dict[str, object]:
    """The exclusive token buckets of one observation (see the module docstring)."""
    found = _usage_source(view)
    if found is None:
        return {}
    where, usage = found
    parts: dict[str, list] = {"input": [], "read": [], "write": [], "output": [], "reasoning": [], "total": []}
    main: dict[str, object] = {}
    legacy = {"input": "promptTokens", "output": "completionTokens", "total": "totalTokens"}
    for key, value in usage.items():
        kind = _kind(key)
        if kind is None or value is None:
            continue
        number = count(value)
        view.use(f"{where}.{key}" if where else legacy[key])
        parts[kind].append(number)
        if key in ("input", "output"):
            main[key] = number
    uncached, read, write = plus(*parts["input"]), plus(*parts["read"]), plus(*parts["write"])
    output, reasoning = plus(*parts["output"], *parts["reasoning"]), plus(*parts["reasoning"])
    total = plus(*parts["total"])
    values = [uncached, read, write, output, total]
    if isinstance(total, int) and all(v is None or (isinstance(v, int) and not isinstance(v, Bad)) for v in values):
        cache = (read or 0) + (write or 0)
        output_details = (output or 0) - (main.get("output") or 0) if isinstance(main.get("output"), int) else 0
        disjoint = (uncached or 0) + cache + (output or 0)
        if disjoint != total and isinstance(main.get("input"), int):
            for drop_cache, drop_details in ((True, False), (False, True), (True, True)):
                if disjoint - cache * drop_cache - output_details * drop_details == total:
                    if drop_cache:
                        uncached = (uncached or 0) - cache
                    if drop_details:
                        output = (output or 0) - output_details
                    break
    return {
        "input_uncached_tokens": uncached,
        "cache_read_tokens": read,
        "cache_write_tokens": write,
        "output_tokens": output,
        "reasoning_tokens": reasoning,
    }


def is_call(observation: dict) -> bool:
    kind = observation.get("type")
    return kind is None or str(kind).upper() == "GENERATION"


def to_canonical(observation: dict, mapping: Mapping) -> dict[str, object]:
    """One GENERATION observation (JSON-valued fields parsed) -> canonical call values."""
    record = dict(observation)
    if record.get("environment") == "default":
        del record["environment"]  # Langfuse's "not set"
    view = SourceView(record, tags=TAGS, drop=DROP)
    view.use("type")
    out: dict[str, object] = {"call_id": view.get("id"), "started_at": view.get("startTime")}
    start, end = parse_time(view.get("startTime", use=False)), parse_time(view.get("endTime", use=False))
    if end is not None:
        view.use("endTime")
    out["latency_ms"] = elapsed_ms(start, end)
    if out["latency_ms"] is not None:
        view.use("latency")  # Langfuse's derived copy, in seconds
    elif isinstance(view.get("latency", use=False), (int, float)) and not isinstance(view.get("latency"), bool):
        out["latency_ms"] = round(float(view.get("latency")) * 1000)

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
        "cache_outcome",
        "routing_decision",
    ):
        out[name] = view.resolve(mapping, name)
    out["provider"] = view.resolve(mapping, "provider") or infer_provider(out["model_served"] or out["model_requested"])
    level = view.get("level")
    out["status"] = "error" if str(level or "").upper() == "ERROR" else "ok"
    out.update(buckets(view))
    if out["status"] == "error" and out.get("input_uncached_tokens") is None and out.get("output_tokens") is None:
        out["input_uncached_tokens"] = out["output_tokens"] = 0  # failed before any usage: nothing billed
    out["extra"] = extra_json(view.extra())
    return out


def _observations(path: Path) -> tuple[list[Located], list[Reject]]:
    return read_records(path, "id", "Langfuse observations")


@adapter("calls", SOURCE, ".json", ".jsonl")
def stage(con: duckdb.DuckDBPyConnection, path: Path, fields: tuple[Field, ...]) -> list[Reject]:
    mapping = load_mapping(SOURCE, path)
    rows, rejects = _observations(path)
    records = []
    for row in rows:
        if not isinstance(row.value, dict):
            rejects.append((row.line, NOT_OBJECT, row.raw))
            continue
        if not is_call(row.value):
            continue
        observation = {k: parse_json_text(v, (dict,)) if k == "metadata" else v for k, v in row.value.items()}
        records.append((row.line, row.raw, to_canonical(observation, mapping)))
    stage_records(con, records, fields)
    return rejects


# --------------------------------------------------------------------------------------------
# writer (demo data)


def _time(moment) -> str:
    return iso_z(moment, 3 if moment.microsecond % 1000 == 0 else 6)


def _observation(call: dict, mapping: Mapping) -> dict:
    start = call_time(call["started_at"])
    requested, served = call["model_requested"], call.get("model_served")
    model = served or requested
    obs: dict = {"id": call["call_id"], "type": "GENERATION", "startTime": _time(start)}
    if call.get("latency_ms") is not None:
        obs["endTime"] = _time(start + timedelta(milliseconds=int(call["latency_ms"])))
    obs["model"] = model
    if infer_provider(model) != call["provider"]:
        obs.setdefault("metadata", {})["provider"] = call["provider"]
    uncached, read, write, output, reasoning = (
        tokens(call, n)
        for n in (
            "input_uncached_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "output_tokens",
            "reasoning_tokens",
        )
    )
    usage = {"input": uncached, "output": output - reasoning}
    if read:
        openai_style = call["provider"] in ("openai", "azure_openai")
        usage["input_cached_tokens" if openai_style else "cache_read_input_tokens"] = read
    if write:
        usage["cache_creation_input_tokens"] = write
    if reasoning:
        usage["output_reasoning_tokens"] = reasoning
    usage["total"] = uncached + read + write + output
    obs["usageDetails"] = usage
    obs["level"] = "ERROR" if call.get("status") == "error" else "DEFAULT"
    template, version = call.get("prompt_template"), call.get("prompt_version")
    if template not in (None, "unknown") and version is not None and str(version).isdigit():
        obs["promptName"], obs["promptVersion"] = template, int(version)
    else:
        for name, value in (("prompt_template", template), ("prompt_version", version)):
            if value not in (None, "unknown"):
                obs.setdefault("metadata", {})[name] = value
    merge(obs, call_extra(call))
    place_dimensions(
        obs,
        call,
        mapping,
        (
            "model_requested",
            "billing_account",
            "environment",
            "region",
            "tenant_id",
            "user_id",
            "feature",
            "prompt_template",
            "prompt_version",
            "service_tier",
            "cache_outcome",
            "routing_decision",
        ),
        tags=TAGS,
    )
    return obs


def write(calls: list[dict], path: Path) -> None:
    """Write canonical calls as Langfuse GENERATION observations: `.json` = a public-API page
    {"data": [...], "meta": {...}}, `.jsonl` = one observation per line. Loading it back through this
    adapter with the default mapping gives the same canonical values (a call without model_served
    comes back with model_served = model_requested: Langfuse has one model field)."""
    mapping = load_mapping(SOURCE)
    observations = [_observation(call, mapping) for call in calls]
    ext = path.suffix.lower()
    if ext == ".json":
        page = {
            "data": observations,
            "meta": {"page": 1, "limit": len(observations), "totalItems": len(observations), "totalPages": 1},
        }
        write_text(path, json.dumps(page, ensure_ascii=False, indent=2) + "\n")
    elif ext == ".jsonl":
        write_text(path, "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in observations))
    else:
        raise ValueError(f"{path}: the langfuse writer writes .json or .jsonl")
