"""The company's configuration dir (FINOPS_CONFIG_DIR): price overrides (negotiated rates), model aliases
(a bill SKU / usage type or a logged name -> the model key), account maps (a gateway deployment, api_base,
key alias or team -> the vendor billing account) and acknowledged variances. It lives outside the
repository (default: `config/` beside the landing dir), so upgrading the project never touches it.

Each file is `<config dir>/<name>.csv` with the columns of `ingest.schemas.CONFIG_FILES[name]` (a header
row; optional columns may be left out). It is validated like a landing file: a row with a bad or missing
value goes to raw.quarantine (file, line, field, reason) and the others load. Every run replaces
raw.config_<name> with the file's valid rows (an absent file = no rows). The UTC days a changed row
applies to are recorded in raw.changed_days, so the run rebuilds them (ingest.rebuild): a price override
its validity, an acknowledgment its period, an alias or account map every day of its provider's data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.loaders import file_sha256, validation_sql
from ingest.schemas import CONFIG_FILES, SERVICE_TIERS, TOKEN_BUCKETS, Field
from ingest.staging import LoadError, stage_csv
from ingest.warehouse import RAW, ensure_raw_schema

# rules beyond a field's type, per file: (field, SQL condition that must hold, reason when it does not)
RULES: dict[str, list[tuple[str, str, str]]] = {
    "price_overrides": [
        ("token_bucket", f"token_bucket in {TOKEN_BUCKETS}", f"token_bucket must be one of {', '.join(TOKEN_BUCKETS)}"),
        ("service_tier", f"service_tier in {SERVICE_TIERS}", f"service_tier must be one of {', '.join(SERVICE_TIERS)}"),
        ("valid_to", "valid_to is null or valid_to > valid_from", "valid_to must be after valid_from"),
    ],
    "acknowledged_variances": [
        ("period_end", "period_end >= period_start", "period_end is before period_start"),
    ],
    "account_map": [
        (
            "field",
            (
                "field in ('model_requested', 'model_served', 'region', 'environment', 'tenant_id', 'user_id', "
                "'feature', 'prompt_template') or (starts_with(field, 'extra.') and length(field) > 6)"
            ),
            (
                "field must be a call column (model_requested, model_served, region, environment, tenant_id, user_id, "
                "feature, prompt_template) or extra.<key>"
            ),
        ),
    ],
}
# the UTC days a row applies to, as (first day, end exclusive) SQL over the changed row `c`; null = every
# day of its provider's calls and bills
DAY_RANGES: dict[str, tuple[str, str] | None] = {
    "price_overrides": ("c.valid_from", "coalesce(c.valid_to, date '9999-12-31')"),
    "acknowledged_variances": ("c.period_start", "c.period_end + 1"),
    "model_aliases": None,
    "account_map": None,
}


def table_name(name: str) -> str:
    return f"config_{name}"


def ensure_config_tables(con: duckdb.DuckDBPyConnection) -> None:
    ensure_raw_schema(con)
    for name, fields in CONFIG_FILES.items():
        cols = ", ".join(f'"{f.name}" {f.duck_type}' for f in fields)
        con.execute(f"create table if not exists {RAW}.{table_name(name)} ({cols}, _file_id varchar, _line bigint)")


@dataclass
class ConfigReport:
    loaded: dict[str, int] = field(default_factory=dict)  # name -> valid rows
    quarantined: dict[str, int] = field(default_factory=dict)  # name -> rejected rows
    changed_days: dict[str, int] = field(default_factory=dict)  # name -> days recorded as changed
    unknown_files: list[str] = field(default_factory=list)


def load_config(con: duckdb.DuckDBPyConnection, config_dir: Path) -> ConfigReport:
    """Replace every raw.config_<name> with the valid rows of <config_dir>/<name>.csv (module docstring)."""
    ensure_config_tables(con)
    report = ConfigReport()
    if config_dir.is_dir():
        report.unknown_files = sorted(
            p.name
            for p in config_dir.iterdir()
            if p.is_file() and not p.name.startswith((".", "_")) and p.suffix == ".csv" and p.stem not in CONFIG_FILES
        )
    for name, fields in CONFIG_FILES.items():
        path = config_dir / f"{name}.csv"
        con.execute("begin transaction")
        try:
            loaded, bad, changed = _load_one(con, name, fields, path)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        report.loaded[name], report.quarantined[name], report.changed_days[name] = loaded, bad, changed
    return report


def _load_one(con: duckdb.DuckDBPyConnection, name: str, fields: tuple[Field, ...], path: Path) -> tuple[int, int, int]:
    table = f"{RAW}.{table_name(name)}"
    names = ", ".join(f'"{f.name}"' for f in fields)
    file_id = file_sha256(path) if path.is_file() else None
    con.execute(f"create or replace temp table _config_before as select {names} from {table}")
    con.execute(f"delete from {table}")
    con.execute("delete from raw.quarantine where file_path = ?", [str(path)])
    bad = 0
    if file_id is not None:
        rejects = stage_csv(con, path, fields)
        con.execute(f"create or replace temp table _validated as {validation_sql(fields)}")
        for column, condition, reason in RULES.get(name, []):
            con.execute(
                f"update _validated set _field = ?, _reason = ? where _reason is null and not ({condition})",
                [column, reason],
            )
        con.execute(f"insert into {table} select {names}, ?, _line from _validated where _reason is null", [file_id])
        con.execute(
            "insert into raw.quarantine select ?, ?, _line, _field, _reason, _raw, now() "
            "from _validated where _reason is not null",
            [file_id, str(path)],
        )
        for line, reason, raw in rejects:
            con.execute(
                "insert into raw.quarantine values (?, ?, ?, '_row', ?, ?, now())",
                [file_id, str(path), line, reason, raw],
            )
        bad = con.execute("select count(*) from _validated where _reason is not null").fetchone()[0] + len(rejects)
        con.execute("drop table _validated")
        con.execute("drop table if exists _staged")
    loaded = con.execute(f"select count(*) from {table}").fetchone()[0]
    changed = _record_changed_days(con, name, names, table, path)
    con.execute("drop table _config_before")
    return loaded, bad, changed


def _record_changed_days(con: duckdb.DuckDBPyConnection, name: str, names: str, table: str, path: Path) -> int:
    """The days of the rows added or removed (module docstring), limited to days that have data."""
    changed_rows = (
        f"(select {names} from {table} except all select * from _config_before) "
        f"union all (select * from _config_before except all select {names} from {table})"
    )
    if not con.execute(f"select count(*) from ({changed_rows})").fetchone()[0]:
        return 0  # the usual run: nothing changed, and the raw tables are not scanned
    data_days = (
        "select distinct lower(trim(provider)) as provider, started_at::date as day from raw.calls "
        'union select distinct lower(trim("ProviderName")), "ChargePeriodStart"::date from raw.bill_lines'
    )
    span = DAY_RANGES[name]
    in_range = f"and d.day >= {span[0]} and d.day < {span[1]}" if span else ""
    provider_match = "(c.provider = '*' or d.provider = lower(trim(c.provider)))"
    days = [
        r[0]
        for r in con.execute(
            f"select distinct d.day from ({changed_rows}) c join ({data_days}) d "
            f"on {provider_match} {in_range} order by 1"
        ).fetchall()
    ]
    if days:
        con.executemany(
            "insert into raw.changed_days values (?, 'config', ?, now(), null)", [[d, str(path)] for d in days]
        )
    return len(days)


def check_config_dir(config_dir: Path) -> None:
    """A config dir that is set but is not a directory is a mistake worth stopping for."""
    if config_dir.exists() and not config_dir.is_dir():
        raise LoadError(f"FINOPS_CONFIG_DIR {config_dir} is not a directory")
