"""`calls/otel/`: OpenTelemetry traces in the OTLP JSON encoding, one call per GenAI span.

Files: `.jsonl` holds one ExportTraceServiceRequest per line (the collector `file` exporter's JSON
lines). `.json` holds one ExportTraceServiceRequest (what an OTLP/HTTP JSON exporter posts) when the
file parses as one JSON document; else, when its first line is a JSON object on its own, it is read
as JSON lines like `.jsonl` (the collector's file exporter writes one request per line whatever the
file is called), each line that is not valid JSON quarantined with its line number. A `.json` file
that is neither is one reject naming where the document breaks.

The format, as OpenTelemetry defines it:
- OTLP JSON encoding (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding and
  open-telemetry/opentelemetry-proto `opentelemetry/proto/trace/v1/trace.proto`): resourceSpans[]
  -> {resource: {attributes}, scopeSpans[] -> {scope, spans[]}}; a span has traceId/spanId (hex),
  name, kind, startTimeUnixNano/endTimeUnixNano (uint64 nanoseconds since the epoch, written as
  JSON strings), attributes [{key, value: {stringValue | intValue (int64 as a string) | doubleValue
  | boolValue | arrayValue{values} | kvlistValue{values}}}], status {code: 0 unset | 1 ok |
  2 error, message}. Field names are lowerCamelCase; enum values are integers (the names, e.g.
  "STATUS_CODE_ERROR", are accepted too).
- GenAI semantic conventions (open-telemetry/semantic-conventions
  docs/registry/attributes/gen-ai.md, docs/gen-ai/gen-ai-spans.md;
  https://opentelemetry.io/docs/specs/semconv/gen-ai/): gen_ai.provider.name (replaces the
  deprecated gen_ai.system; well-known values openai, anthropic, aws.bedrock, azure.ai.openai,
  azure.ai.inference, gcp.gemini, gcp.vertex_ai, gcp.gen_ai, cohere, deepseek, groq, mistral_ai,
  perplexity, x_ai, ibm.watsonx.ai; older spellings az.ai.openai / az.ai.inference),
  gen_ai.operation.name, gen_ai.request.model, gen_ai.response.model, gen_ai.response.id,
  gen_ai.usage.input_tokens, gen_ai.usage.output_tokens, gen_ai.usage.cache_read.input_tokens,
  gen_ai.usage.cache_creation.input_tokens, gen_ai.usage.reasoning.output_tokens; resource
  attributes service.name and deployment.environment.name (deprecated: deployment.environment).
  gen_ai.usage.reasoning.output_tokens was added by semantic-conventions PR #3383. Also read: the
  deprecated gen_ai.usage.prompt_tokens / completion_tokens; gen_ai.usage.cache_write.input_tokens
  (the rename of cache_creation reported for the separate semantic-conventions-genai repository);
  and the spellings of earlier instrumentations (gen_ai.usage.cache_read_input_tokens,
  gen_ai.usage.cache_creation_input_tokens, gen_ai.usage.input_tokens.cached / .cache_write).

Which spans are calls: a span is a call when it carries gen_ai.request.model,
gen_ai.response.model or a gen_ai.usage.* attribute, and its gen_ai.operation.name is not an
agent/tool/retrieval step (execute_tool, invoke_agent, create_agent, invoke_workflow, retrieval:
these wrap model calls, and counting their token totals would count the calls twice). Every other
span (HTTP, database, framework spans) is NOT a record: it is neither loaded nor quarantined, and
it is not counted in rows read. Only GenAI spans are records.

Exclusive token buckets (the rule implemented here):
    cache_read     = gen_ai.usage.cache_read.input_tokens
    cache_write    = gen_ai.usage.cache_creation.input_tokens
    input_uncached = gen_ai.usage.input_tokens - cache_read - cache_write
    output         = gen_ai.usage.output_tokens;  reasoning = gen_ai.usage.reasoning.output_tokens
The conventions say gen_ai.usage.input_tokens "SHOULD include all types of input tokens, including
cached tokens", and that both cache attributes "SHOULD be included in gen_ai.usage.input_tokens",
for every provider: OpenAI-style usage reports it that way natively (prompt_tokens includes
cached_tokens), and instrumentations of Anthropic (whose API reports input_tokens apart from the
cache) are asked to sum. Some Anthropic instrumentations copy Anthropic's input_tokens verbatim
instead; declare such a provider with option `input_tokens_include_cache: {anthropic: false}` in
the landing dir's _mapping.yml, and its input_tokens is then taken as the uncached input. A negative
result is passed through, so the row is quarantined ("negative value") rather than mis-bucketed.

Other rules:
- call_id = gen_ai.response.id (the vendor's id of the completion), else the spanId.
- started_at from startTimeUnixNano (UTC; nanoseconds truncated to microseconds); latency_ms =
  (endTimeUnixNano - startTimeUnixNano) in whole ms. A value that is not an integer number of
  nanoseconds is passed through and quarantined.
- status = error when the span status code is 2 (ERROR) or error.type is set, else ok. A failed
  span without any usage attribute (e.g. a 429) is a call with 0 tokens: nothing was billed. A
  successful span without usage is quarantined (missing required field): it cannot be priced.
- provider from gen_ai.provider.name / gen_ai.system (normalized: aws.bedrock -> aws_bedrock,
  azure.ai.openai -> azure_openai, gcp.* -> google, ...), else from the model name.
- Dimensions: see the `otel` block of mappings.yml (span attributes, resource attributes).
- extra = {"span": unused span attributes, "resource": unused resource attributes}. Message content
  attributes (gen_ai.input.messages, gen_ai.output.messages, gen_ai.system_instructions,
  gen_ai.prompt, gen_ai.completion, gen_ai.tool.definitions) are not kept. Span events, links,
  the span name/kind and the scope are not attributes and are not kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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
    extra_json,
    infer_provider,
    iso_z,
    load_mapping,
    locate,
    merge,
    minus,
    place_dimensions,
    read_json_document,
    read_jsonl,
    tokens,
    write_text,
)
from ingest.schemas import Field
from ingest.staging import Reject, stage_records

SOURCE = "otel"
SPANS_PATH = ("resourceSpans", "*", "scopeSpans", "*", "spans", "*")
NOT_CALLS = frozenset({"execute_tool", "invoke_agent", "create_agent", "invoke_workflow", "retrieval"})
CONTENT = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.tool.definitions",
)
DROP = frozenset(("span", name) for name in CONTENT)

INPUT = ("span.gen_ai.usage.input_tokens", "span.gen_ai.usage.prompt_tokens")
OUTPUT = ("span.gen_ai.usage.output_tokens", "span.gen_ai.usage.completion_tokens")
CACHE_READ = (
    "span.gen_ai.usage.cache_read.input_tokens",
    "span.gen_ai.usage.cache_read_input_tokens",
    "span.gen_ai.usage.input_tokens.cached",
)
CACHE_WRITE = (
    "span.gen_ai.usage.cache_creation.input_tokens",
    "span.gen_ai.usage.cache_write.input_tokens",
    "span.gen_ai.usage.cache_creation_input_tokens",
    "span.gen_ai.usage.input_tokens.cache_write",
)
REASONING = ("span.gen_ai.usage.reasoning.output_tokens", "span.gen_ai.usage.reasoning_tokens")
WRITE_PROVIDER = {
    "google": "gcp.vertex_ai",
    "aws_bedrock": "aws.bedrock",
    "azure_openai": "azure.ai.openai",
    "azure_ai_inference": "azure.ai.inference",
    "mistral": "mistral_ai",
    "xai": "x_ai",
    "ibm_watsonx": "ibm.watsonx.ai",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# --------------------------------------------------------------------------------------------
# OTLP JSON values


def any_value(value: object) -> object:
    """An OTLP AnyValue ({"stringValue": ...} etc.) as a plain JSON value."""
    if not isinstance(value, dict) or not value:
        return None
    kind, inner = next(iter(value.items()))
    if kind == "intValue":
        number = count(inner)
        return number if isinstance(number, int) else inner  # a non-integer stays as written
    if kind == "arrayValue":
        return [any_value(v) for v in (inner or {}).get("values", [])]
    if kind == "kvlistValue":
        return attributes((inner or {}).get("values", []))
    if kind == "bytesValue":
        return inner
    return inner  # stringValue, boolValue, doubleValue


def attributes(items: object) -> dict:
    """An OTLP attribute list [{key, value}] as {key: plain value}."""
    out: dict = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = any_value(item.get("value"))
    return out


def to_any_value(value: object) -> dict:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [to_any_value(v) for v in value]}}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": to_attributes(value)}}
    return {"stringValue": str(value)}


def to_attributes(values: dict) -> list[dict]:
    return [{"key": k, "value": to_any_value(v)} for k, v in values.items()]


def _nanos(value: object) -> int | str | None:
    number = count(value)
    if number is None or (isinstance(number, int) and number == 0):
        return None  # proto3: 0 = unset
    return number if isinstance(number, int) and not isinstance(number, str) else str(value)


def _timestamp(nanos: int) -> str:
    try:
        return iso_z(_EPOCH + timedelta(microseconds=nanos // 1000), 6)
    except OverflowError:
        return str(nanos)  # out of any timestamp range: quarantined on started_at


# --------------------------------------------------------------------------------------------
# reading


def is_call(span_attrs: dict) -> bool:
    keys = span_attrs.keys()
    genai = (
        "gen_ai.request.model" in keys
        or "gen_ai.response.model" in keys
        or any(k.startswith("gen_ai.usage.") for k in keys)
    )
    return genai and span_attrs.get("gen_ai.operation.name") not in NOT_CALLS


def _status(span: dict, view: SourceView) -> str:
    status = span.get("status") if isinstance(span.get("status"), dict) else {}
    code = status.get("code")
    error_type = view.get("span.error.type")
    if code in (2, "2", "STATUS_CODE_ERROR") or error_type not in (None, ""):
        return "error"
    return "ok"


def to_canonical(span: dict, resource_attrs: dict, mapping: Mapping) -> dict[str, object]:
    """One GenAI span (with its resource's attributes) -> canonical call values."""
    view = SourceView({"span": attributes(span.get("attributes")), "resource": dict(resource_attrs)}, drop=DROP)
    out: dict[str, object] = {"call_id": view.get("span.gen_ai.response.id") or span.get("spanId") or None}
    start, end = _nanos(span.get("startTimeUnixNano")), _nanos(span.get("endTimeUnixNano"))
    out["started_at"] = _timestamp(start) if isinstance(start, int) else start
    if isinstance(start, int) and isinstance(end, int):
        out["latency_ms"] = (end - start) // 1_000_000
    elif isinstance(end, str):
        out["latency_ms"] = end  # not a number of nanoseconds: quarantined on latency_ms

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
    provider = view.resolve(mapping, "provider") or infer_provider(out["model_served"] or out["model_requested"])
    out["provider"] = provider
    out["status"] = _status(span, view)
    view.use("span.gen_ai.operation.name")

    inp = count(view.take(*INPUT))
    cache_read, cache_write = count(view.take(*CACHE_READ)), count(view.take(*CACHE_WRITE))
    included = mapping.options.get("input_tokens_include_cache", {"*": True})
    included = included if isinstance(included, dict) else {"*": included}
    if bool(included.get(provider or "", included.get("*", True))):
        out["input_uncached_tokens"] = minus(inp, cache_read, cache_write)
    else:
        out["input_uncached_tokens"] = inp
    out["cache_read_tokens"] = cache_read
    out["cache_write_tokens"] = cache_write
    out["output_tokens"] = count(view.take(*OUTPUT))
    out["reasoning_tokens"] = count(view.take(*REASONING))
    if out["status"] == "error" and inp is None and out["output_tokens"] is None:
        for name in ("input_uncached_tokens", "output_tokens"):  # failed before any usage: nothing billed
            out[name] = 0
    out["extra"] = extra_json(view.extra())
    return out


def _first_line_is_an_object(path: Path) -> bool:
    """Whether the first non-blank line of the file is a JSON object by itself (JSON lines)."""
    with path.open("rb") as handle:
        for raw in handle:
            if raw.strip():
                try:
                    return isinstance(json.loads(raw.decode("utf-8-sig")), dict)
                except ValueError:  # not JSON, or not UTF-8
                    return False
    return False


def _requests(path: Path) -> tuple[list[tuple[int, str, object]], list[Reject]]:
    """(line, text, parsed request) per ExportTraceServiceRequest of the file; line 0 = the whole file."""
    if path.suffix.lower() != ".jsonl":
        document = read_json_document(path)
        if isinstance(document[0], str):
            text, value = document
            return [(0, text, value)], []
        if not _first_line_is_an_object(path):
            return [], [document]  # type: ignore[list-item]
        # a .json file of JSON lines (the collector's file exporter): read as .jsonl below
    lines, rejects = read_jsonl(path)
    return [(r.line, r.raw, r.value) for r in lines], rejects


def _spans(request: dict) -> Iterator[tuple[dict, dict]]:
    """(span, resource attributes) of a request, in document order."""
    for resource_spans in request.get("resourceSpans") or []:
        if not isinstance(resource_spans, dict):
            continue
        resource = resource_spans.get("resource") if isinstance(resource_spans.get("resource"), dict) else {}
        resource_attrs = attributes(resource.get("attributes"))
        for scope_spans in resource_spans.get("scopeSpans") or []:
            if not isinstance(scope_spans, dict):
                continue
            for span in scope_spans.get("spans") or []:
                yield span, resource_attrs


@adapter("calls", SOURCE, ".json", ".jsonl")
def stage(con: duckdb.DuckDBPyConnection, path: Path, fields: tuple[Field, ...]) -> list[Reject]:
    mapping = load_mapping(SOURCE, path)
    requests, rejects = _requests(path)
    records = []
    for line, text, request in requests:
        if not isinstance(request, dict):
            rejects.append((max(line, 1), NOT_OBJECT, text))
            continue
        if not isinstance(request.get("resourceSpans"), list):
            rejects.append(
                (
                    max(line, 1),
                    "not an OTLP ExportTraceServiceRequest (no resourceSpans list)",
                    text if line else text[:2000],
                )
            )
            continue
        pairs = list(_spans(request))
        if line == 0:  # a whole-file request: the line each span starts on
            located = locate(text, SPANS_PATH, [s for s, _ in pairs])
        else:  # one request per line: every span of it is on that line
            located = [Located(line, json.dumps(s, ensure_ascii=False), s) for s, _ in pairs]
        for (span, resource_attrs), where in zip(pairs, located):
            if not isinstance(span, dict):
                rejects.append((where.line, "span is not a JSON object", where.raw))
                continue
            if is_call(attributes(span.get("attributes"))):
                records.append((where.line, where.raw, to_canonical(span, resource_attrs, mapping)))
    stage_records(con, records, fields)
    return rejects


# --------------------------------------------------------------------------------------------
# writer (demo data)


def _span(call: dict, mapping: Mapping) -> tuple[dict, dict]:
    """(OTLP span, resource attributes) of a canonical call."""
    start = call_time(call["started_at"])
    start_ns = (start - _EPOCH) // timedelta(microseconds=1) * 1000
    digest = hashlib.sha256(str(call["call_id"]).encode()).hexdigest()
    view: dict = {"span": {}, "resource": {}}
    attrs = view["span"]
    attrs["gen_ai.operation.name"] = "chat"
    attrs["gen_ai.provider.name"] = WRITE_PROVIDER.get(call["provider"], call["provider"])
    attrs["gen_ai.request.model"] = call["model_requested"]
    if call.get("model_served"):
        attrs["gen_ai.response.model"] = call["model_served"]
    attrs["gen_ai.response.id"] = call["call_id"]
    uncached, read, write = (
        tokens(call, n) for n in ("input_uncached_tokens", "cache_read_tokens", "cache_write_tokens")
    )
    included = mapping.options.get("input_tokens_include_cache", {"*": True})
    included = included if isinstance(included, dict) else {"*": included}
    include = bool(included.get(call["provider"], included.get("*", True)))
    attrs["gen_ai.usage.input_tokens"] = uncached + (read + write if include else 0)
    attrs["gen_ai.usage.output_tokens"] = tokens(call, "output_tokens")
    if read:
        attrs["gen_ai.usage.cache_read.input_tokens"] = read
    if write:
        attrs["gen_ai.usage.cache_creation.input_tokens"] = write
    if tokens(call, "reasoning_tokens"):
        attrs["gen_ai.usage.reasoning.output_tokens"] = tokens(call, "reasoning_tokens")
    merge(view, call_extra(call))
    place_dimensions(view, call, mapping, flat_after=1)
    span: dict = {
        "traceId": digest[16:48],
        "spanId": digest[:16],
        "name": f"chat {call['model_requested']}",
        "kind": 3,  # SPAN_KIND_CLIENT
        "startTimeUnixNano": str(start_ns),
    }
    if call.get("latency_ms") is not None:
        span["endTimeUnixNano"] = str(start_ns + int(call["latency_ms"]) * 1_000_000)
    span["attributes"] = to_attributes(view["span"])
    span["status"] = {"code": 2, "message": "error"} if call.get("status") == "error" else {}
    return span, view["resource"]


def _request(calls: list[dict], mapping: Mapping) -> dict:
    groups: dict[str, tuple[dict, list[dict]]] = {}
    for call in calls:
        span, resource = _span(call, mapping)
        key = json.dumps(resource, sort_keys=True)
        groups.setdefault(key, (resource, []))[1].append(span)
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": to_attributes(resource)},
                "scopeSpans": [{"scope": {"name": "ingest.demo", "version": "1"}, "spans": spans}],
            }
            for resource, spans in groups.values()
        ]
    }


def _dump(request: dict) -> str:
    """A request as JSON text with one span per line (so quarantine lines point at a span)."""

    def compact(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    blocks = []
    for rs in request["resourceSpans"]:
        scopes = []
        for ss in rs["scopeSpans"]:
            spans = ",\n".join(compact(span) for span in ss["spans"])
            scopes.append(f'{{"scope":{compact(ss["scope"])},"spans":[\n{spans}\n]}}')
        blocks.append(f'{{"resource":{compact(rs["resource"])},"scopeSpans":[{",".join(scopes)}]}}')
    return '{"resourceSpans":[\n' + ",\n".join(blocks) + "\n]}\n"


def write(calls: list[dict], path: Path) -> None:
    """Write canonical calls as OTLP JSON GenAI spans: `.json` = one ExportTraceServiceRequest,
    `.jsonl` = one request per call (one line each). Loading the file back through this adapter with
    the default mapping gives the same canonical values; a call's `extra` {"span": ..., "resource":
    ...} goes back to span and resource attributes."""
    mapping = load_mapping(SOURCE)
    ext = path.suffix.lower()
    if ext == ".json":
        write_text(path, _dump(_request(calls, mapping)))
    elif ext == ".jsonl":
        write_text(path, "".join(json.dumps(_request([c], mapping), ensure_ascii=False) + "\n" for c in calls))
    else:
        raise ValueError(f"{path}: the otel writer writes .json or .jsonl")
