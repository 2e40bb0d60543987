"""Shared machinery of the call-log adapters (litellm, otel, langfuse): the declarative dimension
mapping, the view of a source record that tracks which of its fields were used (the rest becomes
the call's `extra`), token-count parsing, provider names, and position-aware JSON reading.

The mapping
-----------
Where tenant_id, feature, prompt_template, ... come from differs per company. For each mappable
canonical field (MAPPABLE_FIELDS) a source has an ordered list of paths; the first path holding a
non-empty scalar value wins:

    a.b.c        key path into the source record. At each step the longest key that exists wins,
                 so a key may contain dots (OTel attribute names: span.gen_ai.request.model is the
                 key "gen_ai.request.model" of the object "span").
    tag:name     the value of the first "name:<value>" entry of the record's tag list.
    const:value  a fixed value (a last-resort default).

Defaults per source live in ingest/adapters/mappings.yml. A landing dir may override them with
`<landing>/calls/<format>/_mapping.yml` (found by walking up from the data file to the
`calls/<format>` folder; discovery never loads files starting with `_`). It has the shape of one
source block of mappings.yml: `fields:` (a field listed there replaces that field's default list)
and `options:` (merged over the default options). An unknown field, option or path shape is a
LoadError naming the file.

Values: a winning value is turned into text (numbers and booleans as JSON writes them); objects
and lists are not dimension values and are skipped. provider, service_tier and environment values
are normalized (provider_name, service_tier_name, environment_name); every other value is kept as
written. Other paths of the list whose value normalizes to the winning one are redundant copies
and count as used too.

extra
-----
Every field of the source record that no path used and that the adapter did not read goes to the
canonical `extra` column as a JSON object (same nesting as the record), so an unknown or new field
is kept, not dropped. Empty values (null, "", [], {}) are left out, and so are the payload fields
an adapter declares (prompt and response contents: they are not cost data and may hold personal
data).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path

import yaml

from ingest.staging import LoadError, Reject, lines_table

DEFAULTS_FILE = Path(__file__).with_name("mappings.yml")
CUSTOM_MAPPING_NAME = "_mapping.yml"

MAPPABLE_FIELDS: tuple[str, ...] = (
    "provider",
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
)
KNOWN_OPTIONS: dict[str, frozenset[str]] = {
    "litellm": frozenset({"prompt_tokens_include_cache_write"}),
    "otel": frozenset({"input_tokens_include_cache"}),
    "langfuse": frozenset(),
}

# --------------------------------------------------------------------------------------------
# value normalization

# Source spellings of a provider -> the project's provider name (the vendor that bills the call).
# LiteLLM custom_llm_provider values, OTel gen_ai.provider.name / gen_ai.system values (current
# and the older az.* spellings), LangChain ls_provider values.
PROVIDER_ALIASES: dict[str, str] = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "openai_like": "openai",
    "anthropic": "anthropic",
    "anthropic_text": "anthropic",
    "azure": "azure_openai",
    "azure_text": "azure_openai",
    "azure_openai": "azure_openai",
    "azure.ai.openai": "azure_openai",
    "az.ai.openai": "azure_openai",
    "azure_ai": "azure_ai_inference",
    "azure.ai.inference": "azure_ai_inference",
    "az.ai.inference": "azure_ai_inference",
    "azure_ai_inference": "azure_ai_inference",
    "bedrock": "aws_bedrock",
    "bedrock_converse": "aws_bedrock",
    "aws.bedrock": "aws_bedrock",
    "aws_bedrock": "aws_bedrock",
    "amazon_bedrock": "aws_bedrock",
    "vertex_ai": "google",
    "vertex_ai_beta": "google",
    "gemini": "google",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "google": "google",
    "google_vertexai": "google",
    "google_genai": "google",
    "google_anthropic_vertex": "google",
    "mistral": "mistral",
    "mistral_ai": "mistral",
    "mistralai": "mistral",
    "codestral": "mistral",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "deepseek": "deepseek",
    "groq": "groq",
    "perplexity": "perplexity",
    "xai": "xai",
    "x_ai": "xai",
    "ibm.watsonx.ai": "ibm_watsonx",
    "watsonx": "ibm_watsonx",
}

_MODEL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("text-embedding-", "openai"),
    ("davinci", "openai"),
    ("babbage", "openai"),
    ("whisper", "openai"),
    ("dall-e", "openai"),
    ("tts-", "openai"),
    ("claude", "anthropic"),
    ("gemini", "google"),
    ("text-bison", "google"),
    ("mistral", "mistral"),
    ("mixtral", "mistral"),
    ("codestral", "mistral"),
    ("command", "cohere"),
    ("deepseek", "deepseek"),
    ("grok", "xai"),
)


def provider_name(value: str) -> str:
    """A source's provider spelling -> the project's lower-case provider name (unknown ones lower-cased)."""
    key = value.strip().lower()
    return PROVIDER_ALIASES.get(key, key)


def infer_provider(model: object) -> str | None:
    """Provider from a model name when the source names none: a LiteLLM-style "provider/model" prefix,
    a Bedrock model id ("anthropic.claude-...", "us.meta.llama..."), or a well-known model family."""
    if not isinstance(model, str) or not model.strip():
        return None
    name = model.strip().lower()
    if "/" in name:
        prefix = name.split("/", 1)[0]
        if prefix in PROVIDER_ALIASES:
            return PROVIDER_ALIASES[prefix]
        name = name.rsplit("/", 1)[1]
    if re.match(r"^((us|eu|apac|global)\.)?(anthropic|amazon|meta|cohere|mistral|ai21)\.[a-z]", name):
        return "aws_bedrock"
    for prefix, provider in _MODEL_PREFIXES:
        if name.startswith(prefix):
            return provider
    return None


_TIERS = {"default": "standard", "auto": "standard", "standard": "standard", "standard_only": "standard"}


def service_tier_name(value: str) -> str:
    """OpenAI's "default"/"auto" and Anthropic's "standard" are the standard tier; others lower-cased."""
    key = value.strip().lower()
    return _TIERS.get(key, key)


_ENVIRONMENTS = {
    "production": "prod",
    "prod": "prod",
    "prd": "prod",
    "staging": "staging",
    "stage": "staging",
    "stg": "staging",
    "development": "dev",
    "dev": "dev",
}


def environment_name(value: str) -> str:
    """production/prd -> prod, stage/stg -> staging, development -> dev; other names kept as written."""
    return _ENVIRONMENTS.get(value.strip().lower(), value)


NORMALIZERS = {"provider": provider_name, "service_tier": service_tier_name, "environment": environment_name}


def as_text(value: object) -> str | None:
    """A scalar as dimension text; None for missing/empty values and for objects and lists."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return repr(value)
    text = str(value)
    return text if text.strip() else None


def is_empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


# --------------------------------------------------------------------------------------------
# token counts


class Bad(str):
    """A source value that is not a token count. It is staged as its text, so the validation step
    quarantines the row naming the canonical field ("not a valid bigint: <text>")."""


_INTEGER = re.compile(r"[+-]?[0-9]+(\.0+)?")


def count(value: object) -> int | Bad | None:
    """A token count from a source value: ints, integral floats and integer text; None when absent."""
    if value is None:
        return None
    if isinstance(value, bool):
        return Bad(json.dumps(value))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value == int(value) else Bad(repr(value))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        return int(text.split(".", 1)[0]) if _INTEGER.fullmatch(text) else Bad(value)
    return Bad(json.dumps(value, ensure_ascii=False, default=str))


def minus(total: int | Bad | None, *parts: int | Bad | None) -> int | Bad | None:
    """total - parts. A bad total stays bad (it is that field's own error); a bad or missing part
    counts as 0 here: its own canonical column carries the bad text and quarantines the row."""
    if total is None or isinstance(total, Bad):
        return total
    return total - sum(p for p in parts if isinstance(p, int) and not isinstance(p, Bad))


def plus(*parts: int | Bad | None) -> int | Bad | None:
    """Sum of token counts; None when all are missing, the first bad one when any is bad."""
    present = [p for p in parts if p is not None]
    if not present:
        return None
    for p in present:
        if isinstance(p, Bad):
            return p
    return sum(present)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# the mapping


@dataclass(frozen=True)
class Mapping:
    source: str
    fields: dict[str, tuple[str, ...]]
    options: dict[str, object]
    origin: str  # the file(s) it was read from, for messages

    def paths(self, name: str) -> tuple[str, ...]:
        return self.fields.get(name, ())


def _check_paths(origin: str, name: str, paths: object) -> tuple[str, ...]:
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, list) or not all(isinstance(p, str) and p.strip() for p in paths):
        raise LoadError(f"{origin}: field '{name}' must be a list of source paths (strings)")
    for p in paths:
        if p.startswith("tag:") and len(p) == 4:
            raise LoadError(f"{origin}: field '{name}': 'tag:' needs a tag name")
    return tuple(p.strip() for p in paths)


def _parse_block(origin: str, source: str, block: object) -> tuple[dict[str, tuple[str, ...]], dict[str, object]]:
    if block is None:
        return {}, {}
    if not isinstance(block, dict) or not set(block) <= {"fields", "options"}:
        raise LoadError(f"{origin}: expected a mapping with 'fields:' and/or 'options:'")
    fields = block.get("fields") or {}
    options = block.get("options") or {}
    if not isinstance(fields, dict) or not isinstance(options, dict):
        raise LoadError(f"{origin}: 'fields' and 'options' must be mappings")
    unknown = sorted(set(fields) - set(MAPPABLE_FIELDS))
    if unknown:
        raise LoadError(
            f"{origin}: unknown canonical field(s) {', '.join(map(str, unknown))} "
            f"(mappable: {', '.join(MAPPABLE_FIELDS)})"
        )
    bad_options = sorted(set(options) - KNOWN_OPTIONS.get(source, frozenset()))
    if bad_options:
        raise LoadError(f"{origin}: unknown option(s) {', '.join(map(str, bad_options))} for {source}")
    return {name: _check_paths(origin, name, paths) for name, paths in fields.items()}, dict(options)


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LoadError(f"{path}: not a readable YAML mapping file ({exc})") from exc


@cache
def _defaults(source: str) -> Mapping:
    document = _read_yaml(DEFAULTS_FILE)
    if not isinstance(document, dict) or source not in document:
        raise LoadError(f"{DEFAULTS_FILE}: no default mapping for source '{source}'")
    fields, options = _parse_block(str(DEFAULTS_FILE), source, document[source])
    return Mapping(source, fields, options, str(DEFAULTS_FILE))


def default_mapping(source: str) -> Mapping:
    return _defaults(source)


def find_custom_mapping(data_file: Path, fmt: str) -> Path | None:
    """`calls/<fmt>/_mapping.yml` of the landing dir the data file sits in (walking up from it)."""
    for folder in Path(data_file).parents:
        if folder.name == fmt and folder.parent.name == "calls":
            candidate = folder / CUSTOM_MAPPING_NAME
            return candidate if candidate.is_file() else None
    return None


@lru_cache(maxsize=64)
def _custom(source: str, path: str, mtime_ns: int) -> Mapping:
    base = _defaults(source)
    fields, options = _parse_block(path, source, _read_yaml(Path(path)))
    return Mapping(source, {**base.fields, **fields}, {**base.options, **options}, f"{base.origin} + {path}")


def load_mapping(source: str, data_file: Path | None = None) -> Mapping:
    """The mapping for a data file: the defaults, overridden by the landing dir's _mapping.yml."""
    custom = find_custom_mapping(data_file, source) if data_file is not None else None
    if custom is None:
        return _defaults(source)
    return _custom(source, str(custom), os.stat(custom).st_mtime_ns)


# --------------------------------------------------------------------------------------------
# the view of a source record

Chain = tuple[str, ...]
_MISSING = object()


def _lookup(obj: object, parts: Sequence[str]) -> tuple[object, Chain] | None:
    """Follow parts through nested dicts, trying the longest dotted key first at each step."""
    if not parts:
        return obj, ()
    if not isinstance(obj, dict):
        return None
    for i in range(len(parts), 0, -1):
        key = ".".join(parts[:i])
        if key in obj:
            found = _lookup(obj[key], parts[i:])
            if found is not None:
                return found[0], (key, *found[1])
    return None


@dataclass
class SourceView:
    """One source record as the mapping sees it. Reads through `get`/`resolve`/`take` mark the
    fields they used; `extra()` returns everything else."""

    record: dict
    tags: Chain | None = None  # where the record's tag list is, if it has one
    drop: frozenset[Chain] = frozenset()  # payload fields never kept in extra
    used: set[Chain] = field(default_factory=set)
    used_tags: set[int] = field(default_factory=set)

    # -- reading
    def _tag_list(self) -> list:
        if self.tags is None:
            return []
        found = _lookup(self.record, self.tags)
        return found[0] if found is not None and isinstance(found[0], list) else []

    def _find(self, path: str) -> tuple[object, Chain | int | None]:
        if path.startswith("const:"):
            return path[len("const:") :], None
        if path.startswith("tag:"):
            name = path[len("tag:") :]
            for index, tag in enumerate(self._tag_list()):
                if isinstance(tag, str) and ":" in tag:
                    key, value = tag.split(":", 1)
                    if key.strip() == name and value.strip():
                        return value.strip(), index
            return _MISSING, None
        found = _lookup(self.record, path.split("."))
        if found is None:
            return _MISSING, None
        return found

    def _mark(self, where: Chain | int | None) -> None:
        if isinstance(where, int):
            self.used_tags.add(where)
        elif where:
            self.used.add(where)

    def get(self, path: str, use: bool = True) -> object:
        """The value at a path (None if absent); marks it used when it holds a value."""
        value, where = self._find(path)
        if value is _MISSING:
            return None
        if use and not is_empty(value):
            self._mark(where)
        return value

    def take(self, *paths: str) -> object:
        """The first non-empty value of the paths; every path holding a value is marked used
        (they are alternative spellings of one source field)."""
        result = None
        for path in paths:
            value = self.get(path)
            if result is None and not is_empty(value):
                result = value
        return result

    def has(self, path: str) -> bool:
        return self._find(path)[0] is not _MISSING

    def use(self, *paths: str) -> None:
        for path in paths:
            self.get(path)

    def resolve(self, mapping: Mapping, name: str) -> str | None:
        """The mapped value of a canonical field (normalized), or None when no path has one."""
        normalize = NORMALIZERS.get(name, lambda v: v)
        candidates = []
        for path in mapping.paths(name):
            value, where = self._find(path)
            text = None if value is _MISSING else as_text(value)
            candidates.append((None if text is None else normalize(text), where))
        winner = next((v for v, _ in candidates if v is not None), None)
        if winner is not None:
            for value, where in candidates:
                if value == winner:
                    self._mark(where)
        return winner

    # -- what is left
    def extra(self) -> dict:
        return self._prune(self.record, ())

    def _prune(self, obj: dict, prefix: Chain) -> dict:
        out: dict = {}
        for key, value in obj.items():
            chain = (*prefix, key)
            if chain in self.used or chain in self.drop:
                continue
            if chain == self.tags and isinstance(value, list):
                value = [t for i, t in enumerate(value) if i not in self.used_tags]
            elif isinstance(value, dict):
                value = self._prune(value, chain)
            if not is_empty(value):
                out[key] = value
        return out


def extra_json(extra: dict) -> str:
    return json.dumps(extra, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def parse_json_text(value: object, kinds: tuple[type, ...] = (dict, list)) -> object:
    """A JSON-valued source field that arrives as JSON text (LiteLLM metadata/request_tags, CSV
    cells) -> the parsed value; anything else (or text that is not JSON of those kinds) unchanged."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        if isinstance(parsed, kinds):
            return parsed
    return value


# --------------------------------------------------------------------------------------------
# times


def parse_time(value: object) -> datetime | None:
    """An ISO-8601 timestamp (offset honoured, naive = UTC) as an aware UTC datetime, else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = re.fullmatch(r"(.*?[T ]\d{2}:\d{2}:\d{2})\.(\d+)(.*)", text)
    if match:  # Python takes at most 6 fractional digits
        text = f"{match.group(1)}.{match.group(2)[:6].ljust(6, '0')}{match.group(3)}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def elapsed_ms(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return (end - start) // timedelta(milliseconds=1)


def iso_z(moment: datetime, digits: int = 3) -> str:
    """UTC ISO-8601 with a Z suffix and `digits` fractional digits (3 or 6)."""
    moment = moment.astimezone(UTC)
    fraction = f"{moment.microsecond:06d}"[:digits]
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "") + "Z"


def call_time(value: object) -> datetime:
    """A canonical call's started_at (UTC ISO string or datetime) for the writers."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    moment = parse_time(value)
    if moment is None:
        raise ValueError(f"started_at is not an ISO timestamp: {value!r}")
    return moment


# --------------------------------------------------------------------------------------------
# reading JSON files with record positions

INVALID_LINE = "invalid JSON (truncated or malformed line)"
NOT_OBJECT = "not a JSON object"
_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class Located:
    line: int  # 1-based line the value starts on
    raw: str  # its source text
    value: object


def read_jsonl(path: Path) -> tuple[list[Located], list[Reject]]:
    """One JSON value per line. Lines that are not valid JSON (or not UTF-8) are rejects."""
    lines, rejects = lines_table(path)
    out: list[Located] = []
    for number, text in zip(lines.column("_line").to_pylist(), lines.column("_raw").to_pylist()):
        try:
            out.append(Located(number, text, json.loads(text)))
        except ValueError:
            rejects.append((number, INVALID_LINE, text))
    return out, rejects


def read_json_document(path: Path) -> tuple[str, object] | Reject:
    """A whole-file JSON document, or one reject naming where it breaks (nothing in it is readable)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return (
            1,
            f"not valid UTF-8 ({exc.reason} at byte {exc.start}); no record of the file could be read",
            data[:2000].decode("utf-8", errors="replace"),
        )
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines() or [""]
        line = lines[min(exc.lineno, len(lines)) - 1]
        return (
            exc.lineno,
            (
                f"invalid JSON document ({exc.msg} at line {exc.lineno} column {exc.colno}); "
                "no record of the file could be read"
            ),
            line[:2000],
        )


def _skip(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()


def _positions(text: str, path: Sequence[str], pos: int) -> Iterator[tuple[int, int]]:
    """(start, end) of every value reached by `path` from the value at `pos` ('*' = each array item)."""
    pos = _skip(text, pos)
    if not path:
        _, end = _DECODER.raw_decode(text, pos)
        yield pos, end
        return
    head, rest = path[0], path[1:]
    opener, closer = ("[", "]") if head == "*" else ("{", "}")
    if pos >= len(text) or text[pos] != opener:
        return
    pos = _skip(text, pos + 1)
    if text[pos] == closer:
        return
    while True:
        if head != "*":
            key, pos = _DECODER.raw_decode(text, pos)
            pos = _skip(text, pos) + 1  # the ':'
            pos = _skip(text, pos)
        _, end = _DECODER.raw_decode(text, pos)
        if head == "*" or key == head:
            yield from _positions(text, rest, pos)
        pos = _skip(text, end)
        if text[pos] != ",":
            return
        pos = _skip(text, pos + 1)


def read_records(path: Path, single_key: str, what: str) -> tuple[list[Located], list[Reject]]:
    """Records of a JSONL file, or of a JSON file holding an array, an API page {"data": [...]}, or one
    record (an object with `single_key`); anything else is one reject naming `what` was expected."""
    if path.suffix.lower() == ".jsonl":
        return read_jsonl(path)
    document = read_json_document(path)
    if not isinstance(document[0], str):
        return [], [document]  # type: ignore[list-item]
    text, value = document
    if isinstance(value, list):
        return locate(text, ["*"], value), []
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        return locate(text, ["data", "*"], value["data"]), []
    if isinstance(value, dict) and single_key in value:
        return [Located(1, text, value)], []
    return [], [(1, f'not a JSON array of {what} (nor {{"data": [...]}})', text[:2000])]


def locate(text: str, path: Sequence[str], values: list) -> list[Located]:
    """The values a parsed document holds at `path`, with the line each starts on and its text.
    Falls back to ordinal numbers (1, 2, ...) if the positions cannot be matched to the values."""
    try:
        spans = list(_positions(text, path, 0))
    except (ValueError, IndexError):
        spans = []
    if len(spans) != len(values):
        return [Located(i, json.dumps(v, ensure_ascii=False), v) for i, v in enumerate(values, start=1)]
    out = []
    line, last = 1, 0
    for (start, end), value in zip(spans, values):
        line += text.count("\n", last, start)
        last = start
        out.append(Located(line, text[start:end], value))
    return out


# --------------------------------------------------------------------------------------------
# writing


def place(view: dict, path: str, value: object, *, flat_after: int | None = None, tags: Chain | None = None) -> bool:
    """Write value at a mapping path of a view being built (the writers' side of `resolve`).
    `flat_after=n`: after n nested keys the rest of the path is one key (OTel attribute names).
    Returns False when the path cannot hold it (const:, a tag without a tag list, taken by another
    value)."""
    if path.startswith("const:"):
        return False
    if path.startswith("tag:"):
        if tags is None:
            return False
        node = view
        for key in tags[:-1]:
            node = node.setdefault(key, {})
        node.setdefault(tags[-1], []).append(f"{path[len('tag:') :]}:{value}")
        return True
    parts = path.split(".")
    if flat_after is not None and len(parts) > flat_after:
        parts = [*parts[:flat_after], ".".join(parts[flat_after:])]
    node = view
    for key in parts[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            return False
        node = child
    if parts[-1] in node and node[parts[-1]] != value:
        return False
    node[parts[-1]] = value
    return True


DEFAULTS: dict[str, str] = {"service_tier": "standard", "cache_outcome": "none", "routing_decision": "none"}
DIMENSIONS: tuple[str, ...] = (
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
)


def place_dimensions(
    view: dict,
    call: dict,
    mapping: Mapping,
    names: Iterable[str] = DIMENSIONS,
    *,
    flat_after: int | None = None,
    tags: Chain | None = None,
) -> None:
    """Write a canonical call's mapped fields into a view so that `resolve` reads them back: a field
    whose value the view already yields (or the default, when it yields nothing) is left alone."""
    for name in names:
        value = call.get(name)
        if value is None:
            continue
        value = str(value)
        current = SourceView(view, tags=tags).resolve(mapping, name)
        if current == value or (current is None and value == DEFAULTS.get(name, "unknown")):
            continue
        if not any(place(view, p, value, flat_after=flat_after, tags=tags) for p in mapping.paths(name)):
            raise ValueError(f"cannot write {name}={value!r}: no writable path in the {mapping.source} mapping")


def call_extra(call: dict) -> dict:
    """A canonical call's `extra` (JSON text or dict) as a dict."""
    value = call.get("extra")
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise ValueError(f"extra must be a JSON object, got {value!r}")
    return value


def merge(base: dict, more: dict) -> dict:
    """Deep-merge `more` into `base` (the writers put a call's extra back where it came from)."""
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def write_text(path: Path, text: str) -> None:
    """Write through a temp name and rename, so a loader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def tokens(call: dict, name: str) -> int:
    value = call.get(name)
    return int(value) if value is not None else 0
