"""Canonical schemas: the one place where the call record and the bill line are defined.

Every loader validates landing rows against these field lists, the DuckDB `raw` tables are
created from them, and the Arrow schemas are derived from them.

Rules fixed here:
- Token buckets are EXCLUSIVE: input_uncached + cache_read + cache_write + output is everything
  the provider billed for a call. reasoning_tokens is a subset of output_tokens (reporting only).
- Money is DECIMAL(38,12), never float.
- Timestamps are UTC. An offset in the source is honoured; a naive timestamp is taken as UTC.
- Dimensions that a call does not carry become the explicit value 'unknown', never NULL.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

MONEY = "DECIMAL(38,12)"
QUANTITY = "DECIMAL(38,6)"
UNKNOWN = "unknown"

# The vocabulary: the values these columns may take, defined here once. Python reads these names; dbt
# reads the same lists as vars (dbt_project.yml: its macros and accepted_values tests), and
# tests/test_vocabulary.py fails when the two differ.
TOKEN_BUCKETS: tuple[str, ...] = ("input_uncached", "cache_read", "cache_write", "output")  # exclusive, this order
SERVICE_TIERS: tuple[str, ...] = ("standard", "batch", "priority")
CACHE_OUTCOMES: tuple[str, ...] = ("app_hit", "app_miss", "none")
ROUTING_DECISIONS: tuple[str, ...] = ("none", "kept", "rerouted")
CALL_STATUSES: tuple[str, ...] = ("ok", "error")
CHARGE_CATEGORIES: tuple[str, ...] = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")
# Where a bill line comes from: the invoice or cost report (bill), or a vendor usage report (usage_report:
# token quantities, no cost; never billed money, only what the calls should add up to).
CHARGE_SOURCES: tuple[str, ...] = ("bill", "usage_report")
# Limits: a call above this many tokens in one bucket is quarantined as absurd (a unit or parsing error).
MAX_TOKENS_PER_CALL = 50_000_000
# The token column of each bucket in the call record and the raw tables.
TOKEN_COLUMN: dict[str, str] = {bucket: f"{bucket}_tokens" for bucket in TOKEN_BUCKETS}


@dataclass(frozen=True)
class Field:
    name: str
    duck_type: str  # DuckDB type of the raw column
    required: bool = False  # missing/empty -> the row is quarantined
    default: str | None = None  # SQL literal used when the value is missing (optional fields)
    non_negative: bool = False  # a negative value quarantines the row
    plausible_time: bool = False  # a time before 2000-01-01 or over a day after the load quarantines the row
    description: str = ""


def _dim(name: str, description: str) -> Field:
    return Field(name, "VARCHAR", default=f"'{UNKNOWN}'", description=description)


def _tokens(name: str, description: str, required: bool = False) -> Field:
    return Field(
        name, "BIGINT", required=required, default=None if required else "0", non_negative=True, description=description
    )


CALL_FIELDS: tuple[Field, ...] = (
    Field("call_id", "VARCHAR", required=True, description="Unique id of the LLM API call."),
    Field("started_at", "TIMESTAMP", required=True, plausible_time=True, description="Request start, UTC."),
    Field("latency_ms", "BIGINT", non_negative=True, description="End-to-end latency in ms, if logged."),
    Field(
        "provider", "VARCHAR", required=True, description="Vendor that served the call: openai, anthropic, google, ..."
    ),
    _dim("billing_account", "Vendor billing scope the call is billed to (project / workspace / sub-account)."),
    Field("model_requested", "VARCHAR", required=True, description="Model the application asked for."),
    Field(
        "model_served",
        "VARCHAR",
        description="Model that actually served the call (after routing); defaults to the requested one.",
    ),
    _dim("environment", "prod, staging or dev."),
    _dim("region", "Vendor region the call ran in."),
    _dim("tenant_id", "Customer (tenant) the call was made for."),
    _dim("user_id", "End user of the tenant."),
    _dim("feature", "Product feature that made the call."),
    _dim("prompt_template", "Prompt template name."),
    _dim("prompt_version", "Prompt template version."),
    Field("service_tier", "VARCHAR", default="'standard'", description="standard, batch or priority."),
    Field(
        "cache_outcome",
        "VARCHAR",
        default="'none'",
        description=(
            "Application cache outcome: app_hit (answered from the app's cache, no provider call), app_miss, none."
        ),
    ),
    Field(
        "routing_decision",
        "VARCHAR",
        default="'none'",
        description=(
            "Router decision: none (no router), kept (served as requested), rerouted (served by another model)."
        ),
    ),
    _tokens("input_uncached_tokens", "Input tokens billed at the normal input price.", required=True),
    _tokens("cache_read_tokens", "Input tokens read from the provider's prompt cache."),
    _tokens("cache_write_tokens", "Input tokens written to the provider's prompt cache."),
    _tokens("output_tokens", "Output tokens, reasoning included.", required=True),
    _tokens("reasoning_tokens", "Reasoning tokens (a subset of output_tokens)."),
    Field("status", "VARCHAR", default="'ok'", description="ok or error."),
    Field(
        "extra",
        "VARCHAR",
        default="'{}'",
        description="Source fields not mapped to a canonical column, as a JSON object.",
    ),
)

# FOCUS-aligned bill line. Column names follow FinOps FOCUS; x_ columns are FOCUS-style extensions.
BILL_FIELDS: tuple[Field, ...] = (
    Field("ChargePeriodStart", "TIMESTAMP", required=True, description="Start of the charge period, UTC (inclusive)."),
    Field("ChargePeriodEnd", "TIMESTAMP", required=True, description="End of the charge period, UTC (exclusive)."),
    Field("ProviderName", "VARCHAR", required=True, description="Vendor: openai, anthropic, google, ..."),
    Field("BillingAccountId", "VARCHAR", default=f"'{UNKNOWN}'", description="Vendor billing account / organization."),
    Field(
        "SubAccountId",
        "VARCHAR",
        default=f"'{UNKNOWN}'",
        description="Project / workspace / sub-account; matches calls.billing_account.",
    ),
    Field("ChargeCategory", "VARCHAR", required=True, description="Usage, Purchase, Tax, Credit or Adjustment."),
    Field(
        "ChargeClass",
        "VARCHAR",
        default="''",
        description="Empty, or Correction for a line correcting an earlier period.",
    ),
    Field("ChargeDescription", "VARCHAR", default="''", description="Free text from the vendor."),
    Field("SkuId", "VARCHAR", default=f"'{UNKNOWN}'", description="Vendor SKU of the line."),
    Field("ConsumedQuantity", QUANTITY, description="Quantity consumed (tokens for token SKUs)."),
    Field("ConsumedUnit", "VARCHAR", default="''", description="Unit of ConsumedQuantity (Tokens)."),
    Field("BilledCost", MONEY, required=True, description="Amount invoiced, in BillingCurrency."),
    Field("EffectiveCost", MONEY, description="Amortized cost after discounts."),
    Field("ListCost", MONEY, description="Cost at list price."),
    Field("BillingCurrency", "VARCHAR", default="'USD'", description="ISO currency of the amounts."),
    Field("x_Model", "VARCHAR", default=f"'{UNKNOWN}'", description="Model the line bills."),
    Field(
        "x_TokenBucket",
        "VARCHAR",
        default=f"'{UNKNOWN}'",
        description="input_uncached, cache_read, cache_write or output; unknown when the line is not per bucket.",
    ),
    Field("x_ServiceTier", "VARCHAR", default="'standard'", description="standard, batch or priority."),
    Field(
        "x_ChargeSource",
        "VARCHAR",
        default="'bill'",
        description=(
            "bill (invoice or cost report, the default) or usage_report (a vendor usage report's token "
            "quantities: no cost)."
        ),
    ),
)

# Columns every raw row carries besides its canonical fields (lineage).
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_file_id", "VARCHAR"),  # sha256 of the file content
    ("_line", "BIGINT"),  # 1-based line (JSONL/CSV) or row (Parquet) number in the file
    ("_loaded_at", "TIMESTAMP"),  # when the file was loaded (UTC)
)

QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_id", "VARCHAR"),
    ("file_path", "VARCHAR"),
    ("line", "BIGINT"),
    ("field", "VARCHAR"),
    ("reason", "VARCHAR"),
    ("raw", "VARCHAR"),
    ("quarantined_at", "TIMESTAMP"),
)

FILE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_id", "VARCHAR"),
    ("file_path", "VARCHAR"),
    ("kind", "VARCHAR"),  # calls | billing
    ("format", "VARCHAR"),
    ("size_bytes", "BIGINT"),
    ("status", "VARCHAR"),  # loaded | duplicate | superseded | rejected (no adapter read it: see reason)
    ("duplicate_of", "VARCHAR"),
    ("rows_read", "BIGINT"),
    ("rows_loaded", "BIGINT"),
    ("rows_quarantined", "BIGINT"),
    ("min_day", "DATE"),
    ("max_day", "DATE"),
    ("loaded_at", "TIMESTAMP"),
    # st_mtime_ns of the file when it was hashed, next to size_bytes: a file whose path, size and mtime
    # match a loaded/duplicate row is not hashed again. Null when unknown (rows of warehouses from
    # before this column, files modified moments before the load). Last, so that warehouses created
    # before it (ensure_raw_schema adds it there) have the same column order as new ones.
    ("mtime_ns", "BIGINT"),
    # why a 'rejected' file was not read (no adapter for its folder and extension, unreadable content)
    ("reason", "VARCHAR"),
    # for a rejected file, or one whose rows were all quarantined, what its content looks like and where
    # it goes ("looks like LiteLLM SpendLogs: move it to calls/litellm/"; ingest.sniff)
    ("hint", "VARCHAR"),
)

# UTC days whose inputs changed (new or restated calls or bill lines, a changed config row): the daily
# run rebuilds every such day within its lookback, then stamps built_at (ingest.rebuild).
CHANGED_DAYS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("day", "DATE"),
    ("kind", "VARCHAR"),  # calls | billing | config
    ("source", "VARCHAR"),  # the file (or config file) whose change touched the day
    ("noted_at", "TIMESTAMP"),
    ("built_at", "TIMESTAMP"),  # null until a run rebuilt and published the day
)

TABLES: dict[str, tuple[Field, ...]] = {"calls": CALL_FIELDS, "bill_lines": BILL_FIELDS}

_ARROW = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    MONEY: pa.decimal128(38, 12),
    QUANTITY: pa.decimal128(38, 6),
    "DATE": pa.date32(),
}


def arrow_schema(fields: tuple[Field, ...]) -> pa.Schema:
    return pa.schema([pa.field(f.name, _ARROW[f.duck_type], nullable=not f.required) for f in fields])


CALL_SCHEMA = arrow_schema(CALL_FIELDS)
BILL_SCHEMA = arrow_schema(BILL_FIELDS)


def create_table_sql(schema: str, table: str, columns: list[tuple[str, str]]) -> str:
    cols = ", ".join(f'"{n}" {t}' for n, t in columns)
    return f"create table if not exists {schema}.{table} ({cols})"


def raw_table_columns(fields: tuple[Field, ...]) -> list[tuple[str, str]]:
    return [(f.name, f.duck_type) for f in fields] + list(LINEAGE_COLUMNS)


# --------------------------------------------------------------------------------------------
# Company configuration (FINOPS_CONFIG_DIR): what a company writes, outside the repository. One CSV
# per table, validated like a landing file (bad rows go to raw.quarantine with file, line, field and
# reason) and loaded whole into raw.config_<name> on every run.

CONFIG_FILES: dict[str, tuple[Field, ...]] = {
    # negotiated rates and prices the catalog lacks, USD per million tokens, valid_from inclusive,
    # valid_to exclusive (empty = open); on a day where one is valid it wins over the catalog
    "price_overrides": (
        Field(
            "provider",
            "VARCHAR",
            required=True,
            description="Vendor, lower case (openai, anthropic, aws_bedrock, ...).",
        ),
        Field(
            "model",
            "VARCHAR",
            required=True,
            description="Catalog model id (marts.dim_models.model_key), or the name as logged.",
        ),
        Field(
            "token_bucket", "VARCHAR", required=True, description="input_uncached, cache_read, cache_write or output."
        ),
        Field("service_tier", "VARCHAR", default="'standard'", description="standard, batch or priority."),
        Field("price_per_mtok", QUANTITY, required=True, non_negative=True, description="USD per million tokens."),
        Field("valid_from", "DATE", required=True, description="First UTC day the price applies."),
        Field("valid_to", "DATE", description="First UTC day it no longer applies; empty = open."),
        Field("note", "VARCHAR", default="''", description="Why (contract, quote)."),
    ),
    # a model name as a bill or a log spells it (SKU, usage type, deployment name) -> the model key
    "model_aliases": (
        Field("provider", "VARCHAR", required=True, description="Vendor, lower case."),
        Field("name", "VARCHAR", required=True, description="The name as the bill or the log writes it."),
        Field("model", "VARCHAR", required=True, description="The model key it stands for (catalog model id)."),
        Field("note", "VARCHAR", default="''", description="Why."),
    ),
    # value maps: a call field's value (a gateway deployment, api_base, key alias, team) -> the vendor
    # billing account its calls are billed to; applied where the log does not say the account
    "account_map": (
        Field("provider", "VARCHAR", default="'*'", description="Vendor, lower case; * = any."),
        Field(
            "field",
            "VARCHAR",
            required=True,
            description=(
                "A call column (model_requested, region, environment, ...) or extra.<key> for a source "
                "field kept in extra (e.g. extra.api_base, extra.model_id, extra.team_id)."
            ),
        ),
        Field("value", "VARCHAR", required=True, description="The value of that field."),
        Field("billing_account", "VARCHAR", required=True, description="The vendor project / workspace / account."),
        Field("note", "VARCHAR", default="''", description="Why."),
    ),
    # variances a person explained: periods inside [period_start, period_end] of this provider and
    # account that are beyond tolerance are 'acknowledged', not 'out_of_tolerance'
    "acknowledged_variances": (
        Field("provider", "VARCHAR", required=True, description="Vendor, lower case."),
        Field(
            "billing_account",
            "VARCHAR",
            default="'*'",
            description="Billing account; * = every account of the provider.",
        ),
        Field("period_start", "DATE", required=True, description="First UTC day acknowledged."),
        Field("period_end", "DATE", required=True, description="Last UTC day acknowledged (inclusive)."),
        Field("reason", "VARCHAR", required=True, description="The explanation (who, why)."),
    ),
}
