"""`billing/focus_aws/` and `billing/focus_azure/`: FOCUS 1.x exports as AWS and Azure write them.

The `focus` format expects our own x_Model / x_TokenBucket / x_ServiceTier columns; real provider
exports do not have them. These formats read the FOCUS columns the providers write (CSV with a
header row, gzip-compressed CSV `.csv.gz`, or Parquet) and derive the model, token bucket and service
tier from the provider's SKU naming.

ONLY AI SERVICE LINES BECOME ROWS. A provider export covers every service of the account; lines of
other services (EC2, S3, Speech, ...) are not staged at all (they are not rows read, loaded or
quarantined). The adapter logs, per file, how many lines it kept and how many it skipped and of which
services (logger `ingest.adapters.focus_skus`, level INFO). Credits, refunds, taxes and corrections of
an AI service (ChargeCategory Credit/Adjustment/Tax, ChargeClass Correction) are AI lines and stay
visible rows with their ChargeCategory / ChargeClass as exported.

Columns read (FOCUS names): ChargePeriodStart, ChargePeriodEnd ("2025-08-01T00:00:00Z" or
"2025-08-01 00:00:00"; naive = UTC), BillingAccountId, SubAccountId, ChargeCategory, ChargeClass,
ChargeDescription, SkuId, SkuPriceId, ServiceName, ConsumedQuantity, ConsumedUnit, BilledCost,
EffectiveCost, ListCost, BillingCurrency, Tags, plus the provider's x_ columns named below. Every
column of the source row (Tags included) is kept in `_raw` as JSON; the bill line has no tag column.
Amounts are passed through as the exported decimal text (Parquet decimals formatted exactly, Parquet
doubles as their shortest repr). A malformed CSV record (wrong number of fields) is quarantined
('_row') whatever its service, since its ServiceName cannot be trusted.
ConsumedQuantity is converted to tokens when ConsumedUnit states a block size ("1K Tokens",
"1M Tokens", "Million Tokens"); any other unit passes through unchanged.
SkuId: the exported SkuId, or the usage type / meter name when the export leaves it empty
(Azure writes "-2" or "Unassigned" for a missing id: read as empty).

focus_aws (AWS Data Exports, FOCUS 1.0/1.2 with AWS columns), ProviderName 'aws_bedrock'
    AI lines: ServiceName containing "Bedrock" ("Amazon Bedrock", and the per-model AWS Marketplace
    services "<Model> (Amazon Bedrock Edition)" under which Anthropic models are billed), or
    x_ServiceCode starting with "AmazonBedrock".
    Model / bucket / tier from x_UsageType (`parse_bedrock_usage_type`):
      Amazon Bedrock usage types  <REGION>-<BillingModelName>[-mantle]-<token type>[-<tier>][-cross-region-...]
        e.g. USE1-Claude3.5Sonnet-input-tokens, USE1-NovaPro-output-tokens-batch,
        USE1-Claude4Sonnet-cache-read-input-token-count-cross-region-global,
        USE1-openai.gpt-oss-120b-mantle-input-tokens-standard
        token types: input-tokens -> input_uncached, output-tokens -> output,
        cache-read-input-token-count -> cache_read, cache-write-input-token-count -> cache_write
      Marketplace usage types     <REGION>-MP:<REGION>_<Dimension>-Units, model = ServiceName without
        " (Amazon Bedrock Edition)"; InputTokenCount, OutputTokenCount, CacheReadInputTokenCount,
        CacheWrite[1h]InputTokenCount (with _Global, _Batch, LongContext variants), and the newer
        input_tokens_standard / input_tokens_global_standard / cache_write_tokens_1h_standard style.
      tier: 'batch' / 'priority' in the usage type -> batch / priority, 'flex' passes through as 'flex',
      otherwise standard (cross-region / global routing is not a tier and is ignored).
    x_Model is the BILLING name of the model ("Claude3.5Sonnet", "Claude Sonnet 4.5", "NovaPro"), not the
    model id an application sends ("anthropic.claude-3-5-sonnet-20240620-v1:0"): no mapping between the
    two is published, so matching them to call logs needs a reference mapping.
    Other Bedrock usage types (guardrails, knowledge bases, provisioned throughput, images) -> model
    and bucket 'unknown', kept.

focus_azure (Microsoft Cost Management FOCUS export), ProviderName 'azure_openai'
    AI lines: ServiceName, x_SkuMeterCategory or x_SkuMeterSubcategory mentioning OpenAI ("Azure OpenAI",
    "Azure OpenAI Service", "Azure OpenAI GPT5"), or the meter category "Foundry Models" (which also
    bills non-OpenAI models hosted by Azure). The FOCUS ServiceName of an Azure OpenAI resource is
    "Azure AI Services" (shared with Speech, Vision, ...), so that alone does not make a line AI.
    Model / bucket / tier from the meter name (x_SkuMeterName, else SkuMeter, else ChargeDescription) and
    the meter subcategory (the Retail Prices product: "Azure OpenAI GPT5", "Azure Grok Models", ...), by the
    meter grammar of ingest.adapters.azure_meters: "gpt 4o 1120 cached Inp Data Zone Tokens" ->
    gpt-4o-2024-11-20 / cache_read / standard, "5.4 pp opt Gl 1M Tokens" -> gpt-5.4 / output / priority,
    "GPT 5 Mini Batch Inpt cchd Dzone 1M Tokens" -> gpt-5-mini / cache_read / batch. Deployment (global, data
    zone, regional) and context tier (ShortCo / LongCo) are read and left out of the model name. A token
    meter the grammar cannot map to a catalog model and canonical bucket (fine-tuning, audio / image tokens,
    a model the price catalog does not know) keeps model and/or bucket 'unknown' rather than a made-up name.
    Provisioned throughput (PTU) and other non-token meters: model and bucket 'unknown', billed cost and
    quantity kept as exported, so they are allocated as usage of the account (allocation fallback).
    ConsumedQuantity of a token meter is converted to tokens from ConsumedUnit, x_PricingBlockSize,
    x_PricingUnitDescription and PricingQuantity (`azure_quantity`): Microsoft writes ConsumedUnit "Units"
    and the block ("1K", "1M") apart, and ConsumedQuantity counts tokens unless it repeats PricingQuantity
    (then it counts blocks) or ConsumedUnit itself names a block ("1K Tokens").

Sources:
- FOCUS columns: https://focus.finops.org/focus-specification/ (1.2) and the AWS export tables
  "FOCUS 1.2 with AWS columns" / "FOCUS 1.0 with AWS columns" (x_UsageType, x_Operation, x_ServiceCode, ...):
  https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-focus-1-2-aws-columns.html and
  https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-focus-1-0-aws-columns.html
  (note: AWS types BilledCost & co. as double, so a Parquet export is only as exact as its doubles; the
  shortest repr of each double is used, e.g. 0.45 -> "0.45").
- Bedrock usage types and token types in CUR: https://docs.aws.amazon.com/bedrock/latest/userguide/cost-mgmt-understanding-cur-data.html
  ("*-input-tokens", "*-output-tokens", "*-cache-read-input-token-count", "*-cache-write-input-token-count";
  tier and cross-region reflected in the usage type); service tiers priority/default/flex:
  https://docs.aws.amazon.com/bedrock/latest/userguide/service-tiers-inference.html
- Marketplace usage types ("USE1-MP:USE1_InputTokenCount-Units", "..._CacheReadInputTokenCount-Units",
  "..._Batch-Units", "USE1_input_tokens_standard-Units") and "<Model> (Amazon Bedrock Edition)" service
  names: AWS Price List offer AmazonBedrockFoundationModels, as used in public code (code corpus).
- Azure FOCUS dataset: https://microsoft.github.io/finops-toolkit/focus/metadata and data dictionary
  https://microsoft.github.io/finops-toolkit/help/data-dictionary (x_SkuMeterCategory, x_SkuMeterSubcategory,
  x_SkuMeterName); ServiceName of microsoft.cognitiveservices/accounts = "Azure AI Services":
  https://github.com/microsoft/finops-toolkit/blob/dev/src/open-data/Services.csv
- Azure OpenAI meter names: Azure Retail Prices API (https://prices.azure.com/api/retail/prices, productName
  "Azure OpenAI", "Azure OpenAI GPT5", serviceName "Foundry Models"); the whole list the tests use is
  tests/fixtures/azure_meters/retail_price_meters.csv (its header says where it comes from).
- Azure pricing units: the FinOps toolkit's PricingUnits open data (UnitOfMeasure "1K" -> x_PricingBlockSize
  1000, distinct unit "Units") and data dictionary ("Divide UsageQuantity by PricingBlockSize to get the
  PricingQuantity"): https://github.com/microsoft/finops-toolkit/blob/dev/src/open-data/PricingUnits.csv
Where the naming is uncertain: the Bedrock marketplace usage-type spelling for priority / flex, the Azure
flex meter spelling (none on the Retail Prices list yet), and the ConsumedUnit AWS uses for marketplace
token units ("Units", likely millions of tokens) are not confirmed by an official document; such lines still
load with the parts that could be read.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.adapters import adapter, azure_meters
from ingest.schemas import SERVICE_TIERS, TOKEN_BUCKETS, UNKNOWN, Field
from ingest.staging import LoadError, Reject, stage_records

log = logging.getLogger(__name__)


QuantityOf = Callable[[Mapping[str, str | None]], tuple[str | None, str | None]]


@dataclass(frozen=True)
class Sku:
    model: str = UNKNOWN
    bucket: str = UNKNOWN
    tier: str = "standard"


# =============================================================================================
# reading FOCUS rows


def _cell(value: object) -> str | None:
    """A Parquet cell as text (exact decimals, ISO timestamps, JSON for nested values)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):  # AWS types amounts as double: its shortest repr, without exponent
        return format(Decimal(repr(value)), "f") if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        value = dict(value)  # a Parquet MAP column (e.g. Tags) arrives as a list of (key, value) pairs
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def read_rows(path: Path) -> tuple[list[tuple[int, dict[str, str | None]]], list[Reject]]:
    """(line, row) of a FOCUS CSV (.csv, .csv.gz) or Parquet file; malformed CSV records are rejects."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        try:
            table = pq.read_table(path)
        except Exception as exc:  # broad: any unreadable parquet is one clear error
            raise LoadError(f"{path}: not a readable Parquet file ({exc})") from exc
        rows = table.to_pylist()
        return [(i, {k: _cell(v) for k, v in row.items()}) for i, row in enumerate(rows, start=1)], []
    data = path.read_bytes()
    if name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise LoadError(f"{path}: not a readable gzip file ({exc})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    rows: list[tuple[int, dict[str, str | None]]] = []
    rejects: list[Reject] = []
    start = reader.line_num + 1
    for record in reader:
        number, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        row = dict(zip(header, record))
        if len(record) != len(header):
            rejects.append(
                (number, f"expected {len(header)} fields, got {len(record)}", json.dumps(row, ensure_ascii=False))
            )
            continue
        rows.append((number, dict(row)))
    return rows, rejects


def _get(row: Mapping[str, str | None], *names: str) -> str | None:
    """First non-empty value among the columns (exact name, else a case-insensitive match)."""
    for name in names:
        value = row.get(name)
        if value is None and name not in row:
            value = next((v for k, v in row.items() if k.lower() == name.lower()), None)
        if value is not None and value.strip():
            return value.strip()
    return None


def _id(row: Mapping[str, str | None], name: str) -> str | None:
    """An identifier column; Azure writes "-2" or "Unassigned" for a missing value."""
    value = _get(row, name)
    return None if value in ("-2", "Unassigned") else value


_BLOCK = re.compile(r"^\s*(1\s*k|1,?000|thousand|1\s*m|1,?000,?000|million|1\s*million)\s+tokens?\s*$", re.I)


def tokens_quantity(quantity: str | None, unit: str | None) -> tuple[str | None, str | None]:
    """ConsumedQuantity in tokens when the unit names a block size; otherwise unchanged."""
    if quantity is None or unit is None:
        return quantity, unit
    match = _BLOCK.match(unit)
    if not match:
        return quantity, unit
    try:
        value = Decimal(quantity.strip())
    except InvalidOperation:
        return quantity, unit
    block = match.group(1).lower().replace(" ", "").replace(",", "")
    factor = 1000 if block in ("1k", "1000", "thousand") else 1_000_000
    return format(value * factor, "f"), "Tokens"


def bill_line(
    row: Mapping[str, str | None],
    provider: str,
    sku: Sku,
    sku_fallback: str | None,
    quantity_of: QuantityOf | None = None,
) -> dict[str, object]:
    quantity, unit = (
        quantity_of(row) if quantity_of else tokens_quantity(_get(row, "ConsumedQuantity"), _get(row, "ConsumedUnit"))
    )
    currency = _get(row, "BillingCurrency")
    return {
        "ChargePeriodStart": _get(row, "ChargePeriodStart"),
        "ChargePeriodEnd": _get(row, "ChargePeriodEnd"),
        "ProviderName": provider,
        "BillingAccountId": _id(row, "BillingAccountId"),
        "SubAccountId": _id(row, "SubAccountId"),
        "ChargeCategory": _get(row, "ChargeCategory"),
        "ChargeClass": _get(row, "ChargeClass") or "",
        "ChargeDescription": _get(row, "ChargeDescription") or "",
        "SkuId": _id(row, "SkuId") or sku_fallback,
        "ConsumedQuantity": quantity,
        "ConsumedUnit": unit or "",
        "BilledCost": _get(row, "BilledCost"),
        "EffectiveCost": _get(row, "EffectiveCost"),
        "ListCost": _get(row, "ListCost"),
        "BillingCurrency": currency.upper() if currency else None,
        "x_Model": sku.model,
        "x_TokenBucket": sku.bucket,
        "x_ServiceTier": sku.tier,
    }


def stage_focus(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fields: tuple[Field, ...],
    *,
    provider: str,
    is_ai: Callable[[Mapping[str, str | None]], bool],
    sku_of: Callable[[Mapping[str, str | None]], tuple[Sku, str | None]],
    quantity_of: QuantityOf | None = None,
) -> list[Reject]:
    rows, rejects = read_rows(path)
    if rows and not any(k.lower() == "servicename" for k in rows[0][1]):
        raise LoadError(f"{path}: no ServiceName column, cannot tell AI lines from other services")
    records: list[tuple[int, str, dict[str, object]]] = []
    skipped: Counter[str] = Counter()
    for number, row in rows:
        if not is_ai(row):
            label = _get(row, "ServiceName") or "(no ServiceName)"
            sub = _get(row, "x_SkuMeterSubcategory")
            skipped[f"{label} / {sub}" if sub else label] += 1
            continue
        sku, fallback = sku_of(row)
        records.append(
            (number, json.dumps(row, ensure_ascii=False), bill_line(row, provider, sku, fallback, quantity_of))
        )
    stage_records(con, records, fields)
    services = ", ".join(f"{name}: {n}" for name, n in skipped.most_common())
    log.info(
        "%s: %d %s line(s) staged, %d line(s) of other services skipped%s",
        path,
        len(records),
        provider,
        sum(skipped.values()),
        f" ({services})" if services else "",
    )
    return rejects


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s_]+", text.strip()) if w]


def _tier_from(words: Sequence[str]) -> str:
    lowered = {w.lower() for w in words}
    if "batch" in lowered:
        return "batch"
    if lowered & {"priority", "pp"}:
        return "priority"
    if "flex" in lowered:
        return "flex"
    return "standard"


# =============================================================================================
# AWS (Bedrock)

BEDROCK_EDITION = " (Amazon Bedrock Edition)"
_BEDROCK_TOKEN = re.compile(
    r"^(?P<region>[A-Za-z0-9]+)-(?P<model>.+?)-(?:mantle-)?"
    r"(?P<token>input-tokens|output-tokens|cache-read-input-token-count|cache-write-input-token-count"
    r"|cache-read-input-tokens|cache-write-input-tokens|cache-read-tokens|cache-write-tokens)"
    r"(?P<rest>(?:-.*)?)$"
)
_BEDROCK_BUCKET = {
    "input": "input_uncached",
    "output": "output",
    "cache-read": "cache_read",
    "cache-write": "cache_write",
}


def parse_bedrock_usage_type(usage_type: str | None, service_name: str | None = None) -> Sku:
    """Model (billing name), token bucket and tier of an AWS Bedrock usage type (see module docstring)."""
    usage = (usage_type or "").strip()
    service = (service_name or "").strip()
    edition_model = service[: -len(BEDROCK_EDITION)].strip() if service.endswith(BEDROCK_EDITION) else ""
    if "MP:" in usage or edition_model:
        dimension = usage.split("MP:", 1)[-1]
        dimension = re.sub(r"^[A-Za-z0-9]+_", "", dimension)  # region prefix "USE1_"
        dimension = re.sub(r"-Units$", "", dimension, flags=re.I)
        flat = re.sub(r"[^a-z0-9]", "", dimension.lower())
        tier = _tier_from(re.findall(r"batch|priority|flex", flat))
        if flat.startswith("cacheread"):
            bucket = "cache_read"
        elif flat.startswith("cachewrite"):
            bucket = "cache_write"
        elif flat.startswith("input"):
            bucket = "input_uncached"
        elif flat.startswith("output"):
            bucket = "output"
        else:
            bucket = UNKNOWN
        return Sku(edition_model or UNKNOWN, bucket, tier)
    match = _BEDROCK_TOKEN.match(usage)
    if not match:
        return Sku(tier=_tier_from(usage.lower().split("-")))
    model, rest = match.group("model"), match.group("rest").lower().split("-")
    if model.lower().endswith("-batch"):
        model, rest = model[: -len("-batch")], [*rest, "batch"]
    token = match.group("token")
    bucket = _BEDROCK_BUCKET[next(k for k in ("cache-read", "cache-write", "input", "output") if token.startswith(k))]
    return Sku(model, bucket, _tier_from(rest))


def is_bedrock(row: Mapping[str, str | None]) -> bool:
    service = (_get(row, "ServiceName") or "").lower()
    code = (_get(row, "x_ServiceCode") or "").lower()
    return "bedrock" in service or code.startswith("amazonbedrock")


def bedrock_sku(row: Mapping[str, str | None]) -> tuple[Sku, str | None]:
    usage_type = _get(row, "x_UsageType")
    return parse_bedrock_usage_type(usage_type, _get(row, "ServiceName")), usage_type


@adapter("billing", "focus_aws", ".csv", ".gz", ".parquet")
def stage_focus_aws(con: duckdb.DuckDBPyConnection, path: Path, fields: tuple[Field, ...]) -> list[Reject]:
    return stage_focus(con, path, fields, provider="aws_bedrock", is_ai=is_bedrock, sku_of=bedrock_sku)


# =============================================================================================
# Azure (OpenAI and the other Foundry Models)


def parse_azure_meter(meter: str | None, product: str | None = None) -> Sku:
    """Model, token bucket and tier of an Azure meter name (grammar: ingest.adapters.azure_meters)."""
    parsed = azure_meters.parse_meter_cached(meter, product)
    return Sku(parsed.model, parsed.bucket, parsed.tier)


def _flat(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def is_azure_openai(row: Mapping[str, str | None]) -> bool:
    names = [_flat(_get(row, c)) for c in ("ServiceName", "x_SkuMeterCategory", "x_SkuMeterSubcategory")]
    return any("openai" in n for n in names) or any(n == "foundrymodels" for n in names)


def _azure_meter(row: Mapping[str, str | None]) -> tuple[str | None, str | None]:
    """(meter name, product) of a row: x_SkuMeterName (else SkuMeter, else ChargeDescription) and the meter
    subcategory, which names the product ("Azure OpenAI GPT5", "Azure Grok Models")."""
    meter = _get(row, "x_SkuMeterName", "SkuMeter")
    return meter, _get(row, "x_SkuMeterSubcategory")


def azure_sku(row: Mapping[str, str | None]) -> tuple[Sku, str | None]:
    meter, product = _azure_meter(row)
    return parse_azure_meter(meter or _get(row, "ChargeDescription"), product), meter


_BLOCK_WORDS = {"k": 1000, "thousand": 1000, "m": 1_000_000, "million": 1_000_000}
_BLOCK_TEXT = re.compile(r"^\s*(?:(\d[\d,]*(?:\.\d+)?)\s*(k|m|million|thousand)?|(k|m|million|thousand))\b", re.I)


def _block_size(text: str | None) -> Decimal | None:
    """Units per block of a unit text: "1K" / "1K Tokens" -> 1000, "1M" -> 1000000, "1,000 Tokens" -> 1000,
    "1000" -> 1000, "Units" / "Tokens" -> None (no block)."""
    match = _BLOCK_TEXT.match(text or "")
    if not match:
        return None
    number, word = match.group(1), (match.group(2) or match.group(3) or "").lower()
    try:
        size = Decimal(number.replace(",", "")) if number else Decimal(1)
    except InvalidOperation:
        return None
    return size * _BLOCK_WORDS.get(word, 1)


def _decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal(text.strip()) if text is not None else None
    except InvalidOperation:
        return None


def azure_quantity(row: Mapping[str, str | None]) -> tuple[str | None, str | None]:
    """ConsumedQuantity of an Azure line in tokens when the line bills tokens; other lines unchanged.

    Microsoft's FOCUS export states the pricing block in x_PricingBlockSize (1000) and
    x_PricingUnitDescription ("1K", "1M", "1K Tokens") and puts the distinct unit ("Units") in ConsumedUnit
    and PricingUnit; by its definition ConsumedQuantity counts units (tokens) and PricingQuantity =
    ConsumedQuantity / x_PricingBlockSize counts blocks. The rule, in order:
      1. ConsumedUnit itself names a block ("1K Tokens", "1M", "1,000 Tokens"): ConsumedQuantity counts
         blocks -> x block size.
      2. A block size > 1 from x_PricingBlockSize, else x_PricingUnitDescription, else PricingUnit: with a
         PricingQuantity, ConsumedQuantity counts blocks when it equals PricingQuantity (-> x block size) and
         tokens when it equals PricingQuantity x block size; without one, tokens (Microsoft's definition).
      3. Otherwise ("Tokens", no block columns) the quantity is taken as tokens.
    """
    quantity, unit = _get(row, "ConsumedQuantity"), _get(row, "ConsumedUnit")
    meter, product = _azure_meter(row)
    description = _get(row, "x_PricingUnitDescription")
    parsed = azure_meters.parse_meter_cached(meter or _get(row, "ChargeDescription"), product)
    mentions_tokens = "token" in f"{unit or ''} {description or ''}".lower()
    if parsed.kind != "tokens" and not mentions_tokens:
        return quantity, unit
    value = _decimal(quantity)
    if value is None:
        return quantity, unit
    block_in_unit = _block_size(unit)
    if block_in_unit is not None and block_in_unit > 1:
        tokens = value * block_in_unit
    else:
        block = (
            _decimal(_get(row, "x_PricingBlockSize"))
            or _block_size(description)
            or _block_size(_get(row, "PricingUnit"))
        )
        pricing = _decimal(_get(row, "PricingQuantity"))
        if block is not None and block > 1 and pricing is not None and value != 0 and value == pricing:
            tokens = value * block  # ConsumedQuantity repeats PricingQuantity: it counts blocks
        else:
            tokens = value
    return format(tokens.normalize() if tokens == tokens.to_integral() else tokens, "f"), "Tokens"


@adapter("billing", "focus_azure", ".csv", ".gz", ".parquet")
def stage_focus_azure(con: duckdb.DuckDBPyConnection, path: Path, fields: tuple[Field, ...]) -> list[Reject]:
    return stage_focus(
        con, path, fields, provider="azure_openai", is_ai=is_azure_openai, sku_of=azure_sku, quantity_of=azure_quantity
    )


# =============================================================================================
# writers (finops demo --formats real)

AWS_COLUMNS = (
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ConsumedQuantity",
    "ConsumedUnit",
    "EffectiveCost",
    "ListCost",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "ServiceCategory",
    "ServiceName",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
    "x_Operation",
    "x_ServiceCode",
    "x_UsageType",
)
AZURE_COLUMNS = (
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ConsumedQuantity",
    "ConsumedUnit",
    "EffectiveCost",
    "ListCost",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "ServiceCategory",
    "ServiceName",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
    "x_PricingBlockSize",
    "x_PricingUnitDescription",
    "x_ResourceGroupName",
    "x_SkuMeterCategory",
    "x_SkuMeterName",
    "x_SkuMeterSubcategory",
)
_AWS_TOKEN = {
    "input_uncached": "input-tokens",
    "output": "output-tokens",
    "cache_read": "cache-read-input-token-count",
    "cache_write": "cache-write-input-token-count",
}
_AWS_MP_DIMENSION = {
    "input_uncached": "InputTokenCount",
    "output": "OutputTokenCount",
    "cache_read": "CacheReadInputTokenCount",
    "cache_write": "CacheWriteInputTokenCount",
}
_AZURE_DIRECTION = {"input_uncached": "Inp", "cache_read": "cached Inp", "output": "Outp"}


def _text(line: Mapping[str, object], key: str) -> str:
    value = line.get(key)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _period(line: Mapping[str, object]) -> tuple[str, str]:
    start = _text(line, "ChargePeriodStart")
    month = start[:7]
    year, mon = int(month[:4]), int(month[5:7])
    nxt = f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"
    return f"{month}-01T00:00:00Z", f"{nxt}-01T00:00:00Z"


def _common(line: Mapping[str, object]) -> dict[str, str]:
    billing_start, billing_end = _period(line)
    category = _text(line, "ChargeCategory") or "Usage"
    return {
        "BilledCost": _text(line, "BilledCost"),
        "BillingAccountId": _text(line, "BillingAccountId"),
        "BillingAccountName": "",
        "BillingCurrency": _text(line, "BillingCurrency") or "USD",
        "BillingPeriodStart": billing_start,
        "BillingPeriodEnd": billing_end,
        "ChargeCategory": category,
        "ChargeClass": _text(line, "ChargeClass"),
        "ChargeDescription": _text(line, "ChargeDescription"),
        "ChargeFrequency": "Usage-Based" if category == "Usage" else "One-Time",
        "ChargePeriodStart": _text(line, "ChargePeriodStart"),
        "ChargePeriodEnd": _text(line, "ChargePeriodEnd"),
        "ConsumedQuantity": _text(line, "ConsumedQuantity"),
        "ConsumedUnit": _text(line, "ConsumedUnit"),
        "EffectiveCost": _text(line, "EffectiveCost") or _text(line, "BilledCost"),
        "ListCost": _text(line, "ListCost"),
        "PricingQuantity": _text(line, "ConsumedQuantity"),
        "PricingUnit": _text(line, "ConsumedUnit"),
        "SubAccountId": _text(line, "SubAccountId"),
        "SubAccountName": _text(line, "SubAccountId"),
        "Tags": "{}",
        "SkuPriceId": "",
    }


def _model_bucket_tier(line: Mapping[str, object]) -> tuple[str, str, str]:
    return (
        _text(line, "x_Model") or UNKNOWN,
        _text(line, "x_TokenBucket") or UNKNOWN,
        _text(line, "x_ServiceTier") or "standard",
    )


def aws_row(line: Mapping[str, object]) -> dict[str, str]:
    """A canonical bill line as an AWS FOCUS row of Amazon Bedrock (Claude models as Marketplace lines)."""
    model, bucket, tier = _model_bucket_tier(line)
    row = {
        **_common(line),
        "ProviderName": "AWS",
        "PublisherName": "Amazon Web Services",
        "RegionId": "us-east-1",
        "ServiceCategory": "AI and Machine Learning",
        "ServiceName": "Amazon Bedrock",
        "x_Operation": "Usage",
        "x_ServiceCode": "AmazonBedrock",
        "x_UsageType": "",
    }
    if bucket in TOKEN_BUCKETS and model != UNKNOWN:
        if tier not in SERVICE_TIERS:
            raise ValueError(f"no Bedrock usage type for tier {tier!r}")
        if model.lower().startswith("claude") and tier != "priority":
            batch = "_Batch" if tier == "batch" else ""
            row.update(
                ServiceName=f"{model}{BEDROCK_EDITION}",
                PublisherName="Anthropic",
                x_UsageType=f"USE1-MP:USE1_{_AWS_MP_DIMENSION[bucket]}{batch}-Units",
            )
        else:
            suffix = "" if tier == "standard" else f"-{tier}"
            row["x_UsageType"] = f"USE1-{model}-{_AWS_TOKEN[bucket]}{suffix}"
        row["x_Operation"] = "InvokeModelInference"
    elif model != UNKNOWN or bucket != UNKNOWN:
        raise ValueError(f"no Bedrock usage type for model {model!r} / bucket {bucket!r}")
    row["SkuId"] = row["x_UsageType"] or _text(line, "SkuId") or row["ChargeCategory"].lower()
    return row


def azure_row(line: Mapping[str, object]) -> dict[str, str]:
    """A canonical bill line as an Azure Cost Management FOCUS row of Azure OpenAI."""
    model, bucket, tier = _model_bucket_tier(line)
    meter = ""
    if bucket in _AZURE_DIRECTION and model != UNKNOWN:
        if tier not in SERVICE_TIERS:
            raise ValueError(f"no Azure OpenAI meter for tier {tier!r}")
        tier_word = {"standard": "", "batch": "Batch ", "priority": "pp "}[tier]
        meter = f"{model} {tier_word}{_AZURE_DIRECTION[bucket]} glbl Tokens"
    elif model != UNKNOWN or bucket != UNKNOWN:
        raise ValueError(f"no Azure OpenAI meter for model {model!r} / bucket {bucket!r} (no cache-write meter)")
    row = {
        **_common(line),
        "ProviderName": "Microsoft",
        "PublisherName": "Microsoft",
        "RegionId": "eastus2",
        "ServiceCategory": "AI and Machine Learning",
        "ServiceName": "Azure AI Services",
        "SkuId": meter or _text(line, "SkuId") or _text(line, "ChargeCategory").lower(),
        "x_ResourceGroupName": "rg-ai",
        "x_SkuMeterCategory": "Foundry Models",
        "x_SkuMeterSubcategory": "Azure OpenAI",
        "x_SkuMeterName": meter,
    }
    tokens = _decimal(row["ConsumedQuantity"])
    if meter and tokens is not None:  # as Microsoft writes a 1K meter: distinct units, block size apart
        row.update(
            ConsumedUnit="Units",
            PricingUnit="Units",
            x_PricingBlockSize="1000",
            x_PricingUnitDescription="1K",
            PricingQuantity=format(tokens / 1000, "f"),
        )
    return row


def can_write_aws(line: Mapping[str, object]) -> bool:
    try:
        aws_row(line)
    except ValueError:
        return False
    return True


def can_write_azure(line: Mapping[str, object]) -> bool:
    try:
        azure_row(line)
    except ValueError:
        return False
    return True


def _write_rows(rows: Sequence[Mapping[str, str]], columns: Sequence[str], path: Path) -> None:
    name = path.name.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if name.endswith(".parquet"):
        pq.write_table(pa.table({c: pa.array([r.get(c) or None for r in rows], pa.string()) for c in columns}), tmp)
    else:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[r.get(c, "") for c in columns] for r in rows])
        data = out.getvalue().encode("utf-8")
        tmp.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
    tmp.replace(path)


def write_aws(lines: Sequence[Mapping[str, object]], path: Path) -> None:
    """Write canonical bill-line dicts as an AWS FOCUS export (.csv, .csv.gz or .parquet); ValueError for a
    line Bedrock cannot express (a cache-write or unknown tier on a model that has no such usage type)."""
    _write_rows([aws_row(line) for line in lines], AWS_COLUMNS, path)


def write_azure(lines: Sequence[Mapping[str, object]], path: Path) -> None:
    """Write canonical bill-line dicts as an Azure FOCUS export (.csv, .csv.gz or .parquet); ValueError for a
    line Azure OpenAI cannot express (cache_write: Azure OpenAI has no cache-write meter)."""
    _write_rows([azure_row(line) for line in lines], AZURE_COLUMNS, path)


WRITERS: dict[str, Callable[[Sequence[Mapping[str, object]], Path], None]] = {
    "focus_aws": write_aws,
    "focus_azure": write_azure,
}
