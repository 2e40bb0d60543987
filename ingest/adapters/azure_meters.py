"""Azure OpenAI / Foundry Models meter names -> catalog model, token bucket, service tier.

Microsoft bills Azure OpenAI (and the other Foundry Models) per meter; the meter name (Retail Prices API
`meterName`, Cost Management `x_SkuMeterName`) is the only place that says which model, which kind of
token and which deployment a line bills. Meter names are abbreviated by hand and inconsistently across
model generations, e.g.

    gpt 4o 0806 cached Inp glbl Tokens          gpt-4o-mini-0718-Outp-glbl Tokens
    GPT 5 Mini Batch Inpt cchd Dzone 1M Tokens  gpt 4o mini0718 BatchOutp DataZone Tokens
    5.4 longco batch cd inp Gl 1M Tokens        5.6 sol ShortCo Cd Wr PP DZ 1M Tokens
    gpt-4o-rt-aud-1217 cchd Inp DZn Tokens      gpt4o realtimePrvwTxtInp DataZone Tokens
    gpt-5-codex-ccchd-inp-glbl Tokens           text embedding 3 small DZ Tokens

THE GRAMMAR. The name is cut into words (spaces, '-', '_', camelCase joints such as `BatchOutp`, glued
dates such as `mini0718`) and every word is read as one of:

    direction   inp inpt input in -> input;  outp outpt output opt out -> output
    cache       cached cchd ccchd cched cd cache ch -> cache read;  + wr/write -> cache write
    tier        batch -> batch;  pp prty priority -> priority;  flex fl -> flex;  std standard -> standard
    deployment  glbl gl glb global -> global;  dz dzn dzone datazone "data zone" -> data zone;
                regnl rgnl regn rg reg regional -> regional          (reported, not a price key here)
    context     shortco shco -> short;  longco (l) -> long           (reported; the catalog prices long
                                                                      context by input size, not by tier)
    modality    aud audio, txt text, img image                       (audio / image tokens have no
                                                                      canonical bucket)
    version     MMDD (0806, 1217, ...) or MMDDYYYY (05052026) -> the model's dated release
    fine-tuning ft, training/trng, grader/grdr, hosting, rft, dev, "fine tuned"
    unit        tokens tkn 1k 1m (dropped)
    model       everything else: the family and its variant words (gpt 4o mini, 5.1 codex max, o3 deep
                research, rt = realtime, mn = mini, trb = turbo, prvw = preview, ...)

The family words become a model name as OpenAI spells it ("gpt 4o" + 0806 -> gpt-4o-2024-08-06,
"gpt-4o-rt-aud" + 1217 -> gpt-4o-realtime-preview-2024-12-17, "5.4 mini" -> gpt-5.4-mini,
"o3 mini" + 0131 -> o3-mini-2025-01-31, "text embedding 3 small" -> text-embedding-3-small). Where the
dated name is unknown to the price catalog (ingest.catalog.resolve_model) the undated one is used; the
chosen name is the one the warehouse resolves like a call's model. Meters of the other Foundry vendors
(product / meter subcategory "Azure Deepseek Models", "Azure Grok Models", "Azure Kimi", ...) get the
vendor's prefix ("V3.2" -> deepseek-v3.2, "4.3" -> grok-4.3): a bare version number is never read as a
GPT model outside an OpenAI product.

A meter is MAPPED when its model resolves in the price catalog and its token bucket is canonical. Any
other token meter is UNRESOLVED with one reason (`REASONS`); it is never split into a made-up model:
    fine-tuning          training, grader, hosting or fine-tuned-deployment tokens -> model unknown
    audio/image tokens   the model is known, the bucket is not (no audio/image token bucket here)
    no token direction   one rate for input and output (babbage-002 base) -> bucket unknown
    model not in price catalog   the parsed name is kept (it shows up as an unknown model name)
    unrecognised meter words     a word outside the grammar -> model and bucket unknown
A meter that does not bill tokens (provisioned throughput units, hosting hours, images, video seconds)
is kind 'provisioned' or 'other': model and bucket unknown, billed cost kept.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from ingest.schemas import UNKNOWN

PROVIDER = "azure_openai"

# unresolved reasons, in the order the closing table lists them
FINE_TUNING = "fine-tuning"
MODALITY = "audio/image tokens"
NO_DIRECTION = "no token direction"
NOT_IN_CATALOG = "model not in price catalog"
UNRECOGNISED = "unrecognised meter words"
REASONS = (FINE_TUNING, MODALITY, NO_DIRECTION, NOT_IN_CATALOG, UNRECOGNISED)


@dataclass(frozen=True)
class AzureMeter:
    """What one meter name says. `reason` is None when the meter is mapped."""

    meter: str
    kind: str = "tokens"  # tokens | provisioned | other
    model: str = UNKNOWN
    bucket: str = UNKNOWN
    tier: str = "standard"
    deployment: str = UNKNOWN  # global | data_zone | regional | unknown
    context: str = "standard"  # standard | short | long
    modality: str = "text"  # text | audio | image
    token: str = UNKNOWN  # the kind of token the name says, whatever the modality (bucket is what is billed)
    reason: str | None = None

    @property
    def mapped(self) -> bool:
        return self.kind == "tokens" and self.reason is None


# ---------------------------------------------------------------------------------------------
# words

_INPUT = {"inp", "inpt", "input", "in"}
_OUTPUT = {"outp", "outpt", "output", "opt", "out"}
_CACHED = {"cached", "cchd", "ccchd", "cched", "cd", "cache", "ch"}
_WRITE = {"wr", "wrt", "write"}
_TIERS = {
    "batch": "batch",
    "pp": "priority",
    "prty": "priority",
    "priority": "priority",
    "flex": "flex",
    "fl": "flex",
    "std": "standard",
    "standard": "standard",
}
_DEPLOYMENTS = {
    **dict.fromkeys(("glbl", "gl", "glb", "global"), "global"),
    **dict.fromkeys(("dz", "dzn", "dzone", "datazone"), "data_zone"),
    **dict.fromkeys(("regnl", "rgnl", "regn", "rg", "reg", "regional"), "regional"),
}
_CONTEXTS = {"shortco": "short", "shco": "short", "longco": "long", "l": "long"}
_MODALITIES = {"aud": "audio", "audio": "audio", "txt": "text", "text": "text", "img": "image", "image": "image"}
_FINE_TUNING = {
    "ft",
    "training",
    "trng",
    "grader",
    "grdr",
    "mdl",
    "mdel",
    "hosting",
    "hstng",
    "rft",
    "dev",
    "tuned",
    "fine",
}
_UNITS = {"tokens", "token", "tkn", "1k", "1m", "az"}  # "Az-" prefixes the legacy meters
_NOISE = {"rsng", "base"}  # "GPT 5 Rsng" (the gpt-5 reasoning meters), "babbage-002-base"
_ALIASES = {
    "mn": "mini",
    "trb": "turbo",
    "prvw": "preview",
    "trscb": "transcribe",
    "tcrb": "transcribe",
    "rtime": "realtime",
    "rt": "realtime",
    "embeddings": "embedding",
    "img": "image",
}
# MMDD version -> year of the release, for the dated model ids Azure deploys (the meter drops the year)
_RELEASE_YEAR = {
    "0513": 2024,
    "0718": 2024,
    "0806": 2024,
    "1120": 2024,
    "1217": 2024,
    "0125": 2024,
    "1106": 2023,
    "0131": 2025,
    "0227": 2025,
    "0416": 2025,
    "0603": 2025,
    "0626": 2025,
    "0828": 2025,
    "1215": 2025,
    "0210": 2026,
    "0324": 2025,
}

# family words an OpenAI model name may contain; any other word leaves the meter unrecognised
_OPENAI_WORDS = {
    "gpt",
    "o1",
    "o3",
    "o4",
    "mini",
    "nano",
    "pro",
    "chat",
    "codex",
    "max",
    "latest",
    "chat-latest",
    "turbo",
    "instruct",
    "vision",
    "embedding",
    "ada",
    "babbage",
    "davinci",
    "oss",
    "computer",
    "use",
    "large",
    "small",
    "deep",
    "research",
    "sol",
    "luna",
    "terra",
    "cyber",
    "preview",
    "realtime",
    "transcribe",
    "tts",
    "d",
    "image",
    "audio",
    "text",
    "4o",
    "4omini",
}
_AUDIO_USERS = {"realtime", "rt", "rtime", "transcribe", "trscb", "tcrb", "tts"}  # models of audio tokens
_VERSION = re.compile(r"^(?:\d+(?:\.\d+)?[a-z]?|\d+k|\d+b)$")

# Foundry vendors whose meters leave the vendor out of the name: product -> model prefix
VENDOR_PREFIX = {
    "azure deepseek models": "deepseek",
    "azure grok models": "grok",
    "azure kimi": "kimi",
    "azure llama models": "llama",
    "azure mistral models": "mistral",
    "cohere models": "cohere",
    "azure fireworks models": "",
    "azure phi models": "phi",
}


def _is_openai_product(product: str | None) -> bool:
    return not product or "openai" in product.lower() or product.lower() in ("foundry models", "cognitive services")


_GLUED = [
    (re.compile(r"([a-z])([A-Z])"), r"\1 \2"),  # realtimePrvwTxtInp, BatchOutp, DataZone
    (re.compile(r"(?i)\bgpt(?=\d)"), "gpt "),  # gpt4o, GPT35
    (re.compile(r"(?i)(4o)(?=mini)"), r"\1 "),  # gpt4omini
    (re.compile(r"(?i)\b(mini|aud|txt|turbo|trb|grok|llama)(?=\d)"), r"\1 "),  # mini0718, aud1217, turbo16K
    (re.compile(r"(\d[bB])(?=FT)"), r"\1 "),  # Ministral 3bFTregnl
    (re.compile(r"FT(?=[a-z])"), "FT "),
]
_PAIRS = {
    ("data", "zone"): "datazone",
    ("short", "co"): "shortco",
    ("long", "co"): "longco",
    ("sh", "co"): "shco",
    ("deep", "seek"): "deepseek",
    ("mini", "max"): "minimax",
    ("fine", "tuned"): "ft",
    ("chat", "latest"): "chat-latest",
}
_UNIT_SUFFIX = re.compile(
    r"\s+(?:1[KM]\s+)?(Tokens|Units?|Images|Second|Seconds|Calls|GB|Session|Characters"
    r"|Pages|Search|Video)\s*$",
    re.I,
)


def words(meter: str) -> list[str]:
    """The meter name cut into lower-case words (unit suffix dropped, glued words split)."""
    text = _UNIT_SUFFIX.sub("", meter.strip())
    text = re.sub(r"\b(20\d\d)-(\d\d)-(\d\d)\b", r"\2\3\1", text)  # gpt-4o-2024-08-06: one date word
    for pattern, repl in _GLUED:
        text = pattern.sub(repl, text)
    raw = [w.lower() for w in re.split(r"[\s\-_/]+", text) if w]
    out: list[str] = []
    for w in raw:
        if out and (out[-1], w) in _PAIRS:
            out[-1] = _PAIRS[(out[-1], w)]
        else:
            out.append(w)
    return out


_OTHER_UNIT = re.compile(r"\b(units?|images|seconds?|calls|gb|session|characters|pages|search|video|hours?)\s*$")


def _kind(meter: str, ws: list[str]) -> str:
    """tokens | provisioned | other, from the unit word that ends a meter name (a name without one, e.g. a
    SKU name "GPT 5 Batch Inpt Glbl", bills tokens when it names a token direction)."""
    low = meter.lower()
    if re.search(r"\btokens?\s*$", low):
        return "tokens"
    if "provisioned" in low:
        return "provisioned"
    if _OTHER_UNIT.search(low):
        return "other"
    return "tokens" if set(ws) & (_INPUT | _OUTPUT | _CACHED) else "other"


def _date(mmdd: str, year: int | None = None) -> str | None:
    if len(mmdd) == 3:  # "gpt-35-trb16K-Batch-125": 0125
        mmdd = "0" + mmdd
    if len(mmdd) == 8:  # MMDDYYYY
        return f"{mmdd[4:]}-{mmdd[:2]}-{mmdd[2:4]}"
    year = year or _RELEASE_YEAR.get(mmdd)
    return f"{year}-{mmdd[:2]}-{mmdd[2:]}" if year else None


# ---------------------------------------------------------------------------------------------
# model names


def _openai_candidates(core: list[str], dates: list[str]) -> list[str] | None:
    """Model names (most specific first) for the family words of an OpenAI meter, or None."""
    core = [_ALIASES.get(w, w) for w in core]
    if "4omini" in core:
        i = core.index("4omini")
        core[i : i + 1] = ["4o", "mini"]
    realtime = "realtime" in core
    core = [w for w in core if w != "realtime"]
    if not core:
        return None
    # a bare version starts a GPT name: "5.4 mini" -> gpt 5.4 mini; "41" -> 4.1, "54" -> 5.4
    if re.fullmatch(r"\d(\.\d)?|4o", core[0]) or (re.fullmatch(r"[4-6]\d", core[0]) and core[0] != "35"):
        core.insert(0, "gpt")
    if core[0] == "gpt" and len(core) > 1 and re.fullmatch(r"[4-6][1-9]", core[1]):
        core[1] = f"{core[1][0]}.{core[1][1]}"
    if core[:2] == ["gpt", "3.5"]:
        core[1] = "35"
    if core[0] == "chat-latest":
        core.insert(0, "gpt")
    if core[0] == "image":  # "Image 2 img inp" (Azure OpenAI Media): gpt-image-2
        core.insert(0, "gpt")
    unknown = [w for w in core if w not in _OPENAI_WORDS and not _VERSION.match(w)]
    if unknown:
        return None
    name = "-".join(core)
    date = dates[0] if dates else None
    # families whose Azure meters abbreviate the OpenAI id (context sizes: 4K/8K/128K are the base model)
    if name == "gpt-35-turbo-16k" and date:
        name = "gpt-35-turbo"  # gpt-35-turbo16K-0125 -> gpt-35-turbo-0125
    name = re.sub(r"^(gpt-35-turbo|gpt-4)-(4k|8k)$", r"\1", name)
    name = re.sub(r"^gpt-4-turbo-vision(-128k)?$", "gpt-4-vision-preview", name)
    name = re.sub(r"-128k$", "", name)
    name = {
        "embedding-ada": "text-embedding-ada-002",
        "computer-use": "computer-use-preview",
        "gpt-4.5": "gpt-4.5-preview",
        "gpt-4o-transcribe-d": "gpt-4o-transcribe-diarize",
    }.get(name, name)
    if realtime:
        if name.startswith("gpt-4o"):  # gpt-4o(-mini)-rt -> gpt-4o(-mini)-realtime-preview
            name = name.removesuffix("-preview") + "-realtime-preview"
        elif name.startswith("gpt-realtime"):
            pass
        elif name.startswith("gpt"):  # "gpt rt aud mn" -> gpt-realtime-mini, "gpt rt 1.5" -> gpt-realtime-1.5
            name = "gpt-realtime" + name[3:]
        else:
            return None
    elif "audio" in core and not {"transcribe", "tts"} & set(core):
        if name.startswith("gpt-4o"):  # gpt-4o(-mini)-aud -> gpt-4o(-mini)-audio-preview
            name = name.replace("-audio", "") + "-audio-preview"
        elif name.startswith("gpt-audio"):
            pass
        else:
            return None
    if "gpt-35-turbo" in name and date:  # Azure and OpenAI keep the 4-digit version here
        return [f"gpt-35-turbo-{date[5:7]}{date[8:10]}"]
    if date:
        return [f"{name}-{date}", name]
    return [name]


_VENDOR_FAMILIES = {"mai", "codestral", "ministral", "mnstrl", "llama", "deepseek", "glm", "minimax", "kimi", "grok"}


def _vendor_candidates(prefix: str, core: list[str], dates: list[str]) -> list[str] | None:
    core = [_ALIASES.get(w, w) for w in core]
    if core and core[0] == "fw":  # Fireworks meters name the vendor themselves
        core = core[1:]
    if prefix and core and core[0] != prefix and core[0] not in _VENDOR_FAMILIES:
        core = [prefix, *core]
    if not core:
        return None
    name = "-".join(core)
    if dates:  # "V3-0324": the vendor's own version suffix
        name = f"{name}-{dates[0][5:7]}{dates[0][8:10]}"
    return [name]


# ---------------------------------------------------------------------------------------------
# the parser


def parse_meter(
    meter: str | None, product: str | None = None, resolve: Callable[[str, str], str | None] | None = None
) -> AzureMeter:
    """Read one meter name (see module docstring). `product` is the Retail Prices `productName` or the
    export's meter subcategory (it decides the vendor of a bare version number); `resolve` is the
    catalog lookup (default ingest.catalog.resolve_model)."""
    name = (meter or "").strip()
    ws = words(name)
    kind = _kind(name, ws)
    tier, deployment, context, modality = "standard", UNKNOWN, "standard", None
    cached = write = fine_tuning = audio_model = False
    direction: str | None = None
    dates: list[str] = []
    core: list[str] = []
    bad: list[str] = []
    for w in ws:
        if w in _INPUT:
            direction = direction or "input"
        elif w in _OUTPUT:
            direction = "output"
        elif w in _CACHED:
            cached = True
        elif w in _WRITE:
            write = True
        elif w in _TIERS:
            tier = _TIERS[w] if _TIERS[w] != "standard" else tier
        elif w in _DEPLOYMENTS:
            deployment = _DEPLOYMENTS[w]
        elif w in _CONTEXTS and (w != "l" or core):
            context = _CONTEXTS[w]
        elif w in _FINE_TUNING:
            fine_tuning = True
        elif w in _UNITS or w in _NOISE:
            continue
        elif re.fullmatch(r"\d{4}|\d{8}|125", w) and core:
            date = _date(w)
            if date is None:
                bad.append(w)
            else:
                dates.append(date)
        elif w in _MODALITIES and core and _modality_word(core, w):
            if _MODALITIES[w] == "audio" and not _AUDIO_USERS & set(core) and "audio" not in core:
                core.append("audio")  # gpt-4o-aud-0603, gpt aud 0828: the audio model itself
                audio_model = True
            else:
                modality = modality or _MODALITIES[w]
        else:
            core.append(w)
    token = (
        ("cache_write" if write else "cache_read")
        if cached
        else {"output": "output", "input": "input_uncached"}.get(direction or "", UNKNOWN)
    )
    result = AzureMeter(
        meter=name,
        kind=kind,
        tier=tier,
        deployment=deployment,
        context=context,
        modality=modality or ("audio" if audio_model else "text"),
        token=token,
    )
    if kind != "tokens":
        return result
    if fine_tuning:
        return _with(result, reason=FINE_TUNING)
    product_key = (product or "").strip().lower()
    if product_key in VENDOR_PREFIX:
        candidates = _vendor_candidates(VENDOR_PREFIX[product_key], core, dates)
    elif _is_openai_product(product):
        candidates = _openai_candidates(core, dates)
    else:
        candidates = None
    if candidates is None or bad:
        return _with(result, reason=UNRECOGNISED)
    bare_version = bool(core) and candidates[0].startswith("gpt-") and not core[0].startswith("gpt")
    if resolve is None:
        from ingest.catalog import resolve_model as resolve
    model = next((c for c in candidates if resolve(PROVIDER, c)), None)
    embedding = "embedding" in candidates[0] or candidates[0].startswith("cohere-embed")
    bucket = "input_uncached" if token == UNKNOWN and embedding else token  # embeddings bill input only
    result = _with(result, token=bucket)
    if model is None:
        if bare_version and product_key in ("", "foundry models", "cognitive services"):
            # "4.3 Inp DZ" without its product may be Grok's: not knowingly a GPT model
            return _with(result, reason=UNRECOGNISED)
        return _with(result, model=candidates[0], bucket=bucket, reason=NOT_IN_CATALOG)
    if result.modality != "text":
        return _with(result, model=model, reason=MODALITY)
    if bucket == UNKNOWN:
        return _with(result, model=model, reason=NO_DIRECTION)
    return _with(result, model=model, bucket=bucket)


@functools.lru_cache(maxsize=65536)
def parse_meter_cached(meter: str | None, product: str | None = None) -> AzureMeter:
    """parse_meter with the catalog lookup, remembered (an export repeats a few hundred meters)."""
    return parse_meter(meter, product)


def _modality_word(core: list[str], word: str) -> bool:
    """Is `word` (aud/txt/img/...) the kind of token, or part of the model's name?
    "Image 2 img" and "gpt image 1": the first image word is the family; "gpt-realtime-2 Text": modality."""
    return not (word in ("image", "img") and (core in (["gpt"],) or core == []))


def _with(meter: AzureMeter, **changes: object) -> AzureMeter:
    return AzureMeter(**{**meter.__dict__, **changes})


# ---------------------------------------------------------------------------------------------
# the closing table: how a list of meters maps


def meter_table(meters: list[tuple[str, str | None]]) -> list[tuple[str, int]]:
    """(label, count) rows for (meter name, product) pairs: token meters total, mapped, unresolved by
    reason, then the meters that bill something else than tokens."""
    parsed = [parse_meter(meter, product) for meter, product in meters]
    tokens = [p for p in parsed if p.kind == "tokens"]
    rows = [("token meters", len(tokens)), ("  mapped", sum(p.mapped for p in tokens))]
    rows += [(f"  unresolved: {reason}", sum(p.reason == reason for p in tokens)) for reason in REASONS]
    rows += [(f"non-token meters: {kind}", sum(p.kind == kind for p in parsed)) for kind in ("provisioned", "other")]
    return rows


def format_table(rows: list[tuple[str, int]]) -> str:
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {count:>5}" for label, count in rows)
