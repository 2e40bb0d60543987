"""The FOCUS 1.3 export of the attributed cost (marts.focus_cost_and_usage, `finops export focus`).

On the demo built once per session (conftest `built`): the export is written through the real command,
validated offline by the FinOps Foundation's focus-validator (its newest release that runs on Python
3.11, 1.0.0, installed by `make focus-validator` into .tools/focus-validator/: it cannot share the
project's venv, tests/focus_validator/requirements.txt says why), and its BilledCost is held against the
bill lines of the raw table to the pico-dollar. The FOCUS 1.3 rules that validator cannot check are the
project's dbt tests (dbt_project/tests/assert_focus_*.sql, run by the daily build; here: that they ran and
passed, and that they catch a broken export); the provider names of Bedrock and Azure, which the demo does
not bill, are the dbt unit test focus_cost_and_usage::bedrock_and_azure_are_hosts.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from ingest.config import REPO_ROOT
from serving.export import ExportError, NoDataError, export_focus
from serving.publish import publish
from tests.conftest import run_dbt

MONTH = "2026-10"  # the demo's month (conftest DEMO_START .. DEMO_END)
VALIDATOR_VENV = REPO_ROOT / ".tools" / "focus-validator"
VALIDATOR_VERSION = "1.0.0"

# What focus-validator 1.0.0 reports on the export, exactly. Its FOCUS 1.0 rule set has 133 checks; the
# export fails these, by design, because the validator, not the export, is out of date:
# - four "Required" checks name columns by their FOCUS 0.5 / 1.0-preview ids, which FOCUS 1.0 renamed:
#   Provider -> ProviderName, Publisher -> PublisherName, InvoiceIssuer -> InvoiceIssuerName,
#   ResourceID -> ResourceId (the export has the 1.0+ names; a column named "Provider" would be a custom
#   column without the x_ prefix, which FOCUS forbids);
# - SkuPriceId_Nullable is a SQL check over ChargeType, the 1.0-preview name of ChargeCategory: the query
#   fails on a FOCUS 1.0+ dataset and counts as a failure.
# test_validator_failures_are_only_its_legacy_column_names proves it: the same file plus columns under the
# legacy names passes all 133.
LEGACY_NAME_FAILURES = {
    "InvoiceIssuer_Required",
    "Provider_Required",
    "Publisher_Required",
    "ResourceID_Required",
    "SkuPriceId_Nullable",
}
LEGACY_COLUMNS = {  # legacy id the validator looks for -> the FOCUS 1.0+ column holding it
    "Provider": "ProviderName",
    "Publisher": "PublisherName",
    "InvoiceIssuer": "InvoiceIssuerName",
    "ResourceID": "ResourceId",
    "ChargeType": "ChargeCategory",
}
# In Parquet the validator also fails its eight IsDecimal checks: it types a FOCUS Decimal as a pandas
# float (pandera Float), while the export keeps money exact as DECIMAL(38,12) (pandas reads it as
# decimal.Decimal objects). Money is never a float here, so these stay; the CSV, which pandas parses to
# floats, passes them.
PARQUET_DECIMAL_FAILURES = {
    f"{column}_IsDecimal"
    for column in (
        "BilledCost",
        "ConsumedQuantity",
        "ContractedCost",
        "ContractedUnitPrice",
        "EffectiveCost",
        "ListCost",
        "ListUnitPrice",
        "PricingQuantity",
    )
}
FOCUS_DBT_TESTS = (
    "assert_focus_rows_conform",
    "assert_focus_billed_cost_sums_to_bill",
    "assert_focus_provider_names",
    "assert_focus_columns_present",
    "warn_focus_conditional_columns",
)
GRAIN = (
    "x_OriginChargeId",
    "x_TenantId",
    "x_Feature",
    "x_PromptTemplate",
    "x_CallModel",
    "x_CallTokenBucket",
    "x_PriceSource",
    "ListUnitPrice",
    "ContractedUnitPrice",
)
FOCUS_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


# ---------------------------------------------------------------------------------------------
# fixtures and helpers


def validator_python() -> tuple[Path, Path]:
    """The focus-validator venv (`make focus-validator`, run here when missing; never skipped): its
    console script and its site-packages dir."""
    script = VALIDATOR_VENV / "bin" / "focus-validator"
    python = VALIDATOR_VENV / "bin" / "python"
    VALIDATOR_VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VALIDATOR_VENV.parent / ".focus-validator.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers: one installs, the others wait
        made = subprocess.run(
            ["make", "--no-print-directory", "focus-validator"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
    probe = subprocess.run(
        [
            str(python),
            "-c",
            (
                "import importlib.metadata as m, os, focus_validator as f; "
                "print(m.version('focus-validator')); print(os.path.dirname(os.path.dirname(f.__file__)))"
            ),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    version, site_packages = probe.stdout.split()
    assert version == VALIDATOR_VERSION
    return script, Path(site_packages)


@pytest.fixture(scope="module")
def validator() -> tuple[Path, Path]:
    return validator_python()


def run_validator(validator: tuple[Path, Path], data: Path, out: Path) -> tuple[int, dict[str, str], dict]:
    """Run focus-validator offline on one file against its FOCUS 1.0 rules; returns its exit code, the
    status of every check (passed / failure / error / skipped) and the report's totals.

    Its findings are read from its JUnit report, not its exit code (it exits 0 with failures). It runs in
    its site-packages dir because it opens its bundled ISO 4217 list by a path relative to the working
    directory (focus_validator/utils/currency_codes.csv): from anywhere else BillingCurrency_IsCurrencyCode
    fails on every currency. Offline: a proxy that refuses every connection is set, and nothing is fetched
    (the rules and the currency list ship in the package)."""
    script, site_packages = validator
    env = {
        **os.environ,
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
        "PYTHONWARNINGS": "ignore",
    }
    result = subprocess.run(
        [
            str(script),
            "--data-file",
            str(data),
            "--validate-version",
            "1.0",
            "--output-type",
            "unittest",
            "--output-destination",
            str(out),
        ],
        cwd=site_packages,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    root = ET.parse(out).getroot()
    checks: dict[str, str] = {}
    for case in root.iter("testcase"):
        name = case.attrib["name"].split(" :: ")[0]
        outcome = [child.tag for child in case]
        checks[name] = outcome[0] if outcome else "passed"
    return result.returncode, checks, dict(root.attrib)


def failed(checks: dict[str, str]) -> set[str]:
    return {name for name, status in checks.items() if status != "passed"}


@pytest.fixture(scope="module")
def exported(built, tmp_path_factory) -> dict[str, Path]:
    """The demo month exported by the real command, `finops export focus --month 2026-10 --out DIR`."""
    out = tmp_path_factory.mktemp("focus_export")
    result = built.finops("export", "focus", "--month", MONTH, "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    files = {p.suffix[1:]: p for p in out.iterdir()}
    assert set(files) == {"parquet", "csv"}, sorted(out.iterdir())  # nothing else (no temp file) is left
    assert files["csv"].name == f"focus_cost_and_usage_{MONTH}.csv"
    assert "rows, BilledCost" in result.stdout and str(files["csv"]) in result.stdout
    return files


def serving_of(ws) -> Path:
    return ws.warehouse.with_name("serving.duckdb")


def read_csv_exact(path: Path) -> duckdb.DuckDBPyRelation:
    """The CSV export, every column as text (as a consumer without a schema reads it)."""
    return duckdb.read_csv(str(path), all_varchar=True)


def with_legacy_columns(src: Path, dest: Path, *, decimals_as_double: bool = False) -> Path:
    """A copy of an export with the columns the validator looks for under their pre-1.0 names
    (LEGACY_COLUMNS) added; Parquet copies can have their decimals as doubles, the type it expects."""
    if src.suffix == ".csv":
        with src.open(newline="") as fin, dest.open("w", newline="") as fout:
            reader = csv.reader(fin)
            writer = csv.writer(fout)
            header = next(reader)
            at = [header.index(new) for new in LEGACY_COLUMNS.values()]
            writer.writerow(header + list(LEGACY_COLUMNS))
            for row in reader:
                writer.writerow(row + [row[i] for i in at])
        return dest
    table = pq.read_table(src)
    if decimals_as_double:
        import pyarrow as pa

        table = table.cast(
            pa.schema([pa.field(f.name, pa.float64()) if pa.types.is_decimal(f.type) else f for f in table.schema])
        )
    for legacy, current in LEGACY_COLUMNS.items():
        table = table.append_column(legacy, table.column(current))
    pq.write_table(table, dest)
    return dest


# ---------------------------------------------------------------------------------------------
# the FinOps Foundation's validator


def test_focus_validator_findings_on_the_export(exported, validator, tmp_path):
    """focus-validator 1.0.0 on both files: exactly the failures its outdated column names produce (CSV),
    plus its float typing of Decimal (Parquet); nothing errors, nothing else fails."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        csv_run = pool.submit(run_validator, validator, exported["csv"], tmp_path / "csv.xml")
        parquet_run = pool.submit(run_validator, validator, exported["parquet"], tmp_path / "parquet.xml")
        csv_code, csv_checks, csv_totals = csv_run.result()
        parquet_code, parquet_checks, parquet_totals = parquet_run.result()
    for code, checks, totals in ((csv_code, csv_checks, csv_totals), (parquet_code, parquet_checks, parquet_totals)):
        assert code == 0  # it exits 0 whatever it finds: the report is what counts
        assert len(checks) == 133 and totals["tests"] == "133" and totals["errors"] == "0"
        assert "error" not in checks.values() and "skipped" not in checks.values()
    assert failed(csv_checks) == LEGACY_NAME_FAILURES
    assert csv_totals["failures"] == str(len(LEGACY_NAME_FAILURES))
    assert failed(parquet_checks) == LEGACY_NAME_FAILURES | PARQUET_DECIMAL_FAILURES
    # what it does check and the export passes: mandatory columns present and typed, not-null where FOCUS 1.0
    # says so, the allowed values, ISO 4217 currency, date/time parsing, Tags as a JSON object
    for check in (
        "BilledCost_NotNull",
        "BillingCurrency_IsCurrencyCode",
        "ChargePeriodStart_IsDateTime",
        "BillingPeriodEnd_IsDateTime",
        "ChargeClass_Enum",
        "ChargeFrequency_Enum",
        "ServiceCategory_Enum",
        "PricingCategory_Enum_1.0",
        "Tags_IsJSONObject",
        "ListCost_IsDecimal",
        "ContractedCost_Required",
    ):
        assert csv_checks[check] == "passed", check


def test_validator_failures_are_only_its_legacy_column_names(exported, validator, tmp_path):
    """The same rows with the validator's legacy column names added (and, in Parquet, decimals as the
    floats it expects) pass every one of its 133 checks: no other finding is hidden behind them."""
    csv_copy = with_legacy_columns(exported["csv"], tmp_path / "legacy.csv")
    parquet_copy = with_legacy_columns(exported["parquet"], tmp_path / "legacy.parquet", decimals_as_double=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [
            pool.submit(run_validator, validator, csv_copy, tmp_path / "legacy_csv.xml"),
            pool.submit(run_validator, validator, parquet_copy, tmp_path / "legacy_parquet.xml"),
        ]
        for run in runs:
            _, checks, totals = run.result()
            assert len(checks) == 133 and failed(checks) == set(), sorted(failed(checks))
            assert totals["failures"] == "0" and totals["errors"] == "0"


# ---------------------------------------------------------------------------------------------
# the money identity, the grain, the files


def test_billed_cost_per_invoice_equals_the_bill(built, exported):
    """FOCUS BilledCost: per provider x billing account x sub-account x billing period (the invoice: the
    bills loaded have no invoice id) and per charge day, sum(BilledCost) of the exported files equals the
    raw bill lines (usage, credits, corrections; not usage reports) exactly, in Parquet and in CSV."""
    bill = built.query(
        'select lower(trim("ProviderName")), "BillingAccountId", "SubAccountId", '
        'cast("ChargePeriodStart" as date), sum("BilledCost") from raw.bill_lines '
        "where \"x_ChargeSource\" <> 'usage_report' and strftime(\"ChargePeriodStart\", '%Y-%m') = ? group by all",
        [MONTH],
    )
    per_day = {(p, a, s, d): total for p, a, s, d, total in bill}
    per_period: dict[tuple, Decimal] = {}
    for (p, a, s, _), total in per_day.items():
        per_period[(p, a, s)] = per_period.get((p, a, s), Decimal(0)) + total
    assert len(per_period) == 6 and sum(per_period.values()) > 0  # 3 providers x 2 sub-accounts
    group = '"x_Provider", "BillingAccountId", "SubAccountId"'
    parquet = duckdb.read_parquet(str(exported["parquet"]))
    csv_rel = read_csv_exact(exported["csv"])
    for rel, money in ((parquet, '"BilledCost"'), (csv_rel, 'cast("BilledCost" as decimal(38,12))')):
        got_day = {
            (p, a, s, d): t
            for p, a, s, d, t in rel.query(
                "e", f'select {group}, cast("x_ChargeDay" as date), sum({money}) from e group by all'
            ).fetchall()
        }
        got_period = {
            (p, a, s): t
            for p, a, s, t in rel.query("e", f"select {group}, sum({money}) from e group by all").fetchall()
        }
        periods = rel.query("e", 'select distinct cast("BillingPeriodStart" as varchar) from e').fetchall()
        assert got_day == per_day
        assert got_period == per_period and len(periods) == 1  # the export of one month is one billing period
    # and the invoice issuer's total for the month is the bill's total, credit included
    issuers = dict(parquet.query("e", 'select "InvoiceIssuerName", sum("BilledCost") from e group by 1').fetchall())
    assert issuers["Anthropic"] == sum(t for (p, _, _), t in per_period.items() if p == "anthropic")
    assert sum(issuers.values()) == sum(per_period.values())


def test_export_rows_are_the_mart_at_its_grain(built, exported):
    """One row per charge period x bill line x tenant x feature x prompt template x the calls' model and
    bucket (x their unit price); the month's rows of the published mart, no more, no fewer; the allocated
    bill shares equal fct_cost_daily's attributed billed cost per day x tenant x feature x prompt template."""
    parquet = duckdb.read_parquet(str(exported["parquet"]))
    [(rows, keys)] = parquet.query("e", f"select count(*), count(distinct ({', '.join(GRAIN)})) from e").fetchall()
    assert rows == keys > 1000
    con = duckdb.connect(str(serving_of(built)), read_only=True)
    try:
        assert con.execute(
            "select count(*) from marts.focus_cost_and_usage where strftime(x_ChargeDay, '%Y-%m') = ?", [MONTH]
        ).fetchone() == (rows,)
        daily = {
            tuple(k): v
            for *k, v in con.execute(
                "select cost_day, tenant_id, feature, prompt_template, sum(attributed_billed_cost) "
                "from marts.fct_cost_daily where cost_kind = 'usage' group by all "
                "having sum(attributed_billed_cost) <> 0"
            ).fetchall()
        }
    finally:
        con.close()
    allocated = {
        tuple(k): v
        for *k, v in parquet.query(
            "e",
            'select x_ChargeDay, x_TenantId, x_Feature, x_PromptTemplate, sum("BilledCost") from e '
            "where x_CostKind = 'usage' group by all",
        ).fetchall()
    }
    assert allocated == daily
    kinds = dict(parquet.query("e", "select x_CostKind, count(*) from e group by 1").fetchall())
    assert kinds == {"usage": rows - 1, "credit": 1}  # the demo's one credit line, unsplit


def test_export_columns_and_values_as_focus_wants_them(exported):
    """Column by column on the files: FOCUS names, then x_ extensions; exact decimals and UTC timestamps in
    Parquet, FOCUS date/time text in CSV; ConsumedUnit Tokens; the allocation in AllocatedMethodId and
    AllocatedTags; ListCost at list price, ContractedCost at the negotiated override where one applies."""
    schema = pq.read_schema(exported["parquet"])
    names = schema.names
    first_custom = next(i for i, n in enumerate(names) if n.startswith("x_"))
    assert all(n.startswith("x_") for n in names[first_custom:])
    assert all(re.fullmatch(r"[A-Z][A-Za-z]*", n) for n in names[:first_custom])
    assert {"BilledCost", "ServiceProviderName", "HostProviderName", "InvoiceIssuerName", "AllocatedTags"} <= set(names)
    assert str(schema.field("BilledCost").type) == "decimal128(38, 12)"
    assert str(schema.field("ChargePeriodStart").type) == "timestamp[us, tz=UTC]"
    parquet = duckdb.read_parquet(str(exported["parquet"]))
    csv_rel = read_csv_exact(exported["csv"])
    assert csv_rel.columns == names
    for column in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd"):
        values = {v for (v,) in csv_rel.query("e", f'select distinct "{column}" from e').fetchall()}
        assert values and all(FOCUS_DATETIME.fullmatch(v) for v in values), column
    usage = parquet.query("e", "select * from e where x_CostKind = 'usage'")
    assert usage.query("u", 'select distinct "ConsumedUnit", "PricingUnit", "ChargeCategory" from u').fetchall() == [
        ("Tokens", "1000000 Tokens", "Usage")
    ]
    tags = usage.query("u", 'select distinct "AllocatedMethodId", "AllocatedTags" from u').fetchall()
    assert {m for m, _ in tags} == {"list_cost_share/bill_line"}  # every demo line met its calls at its own grain
    for _, text in tags[:50]:
        assert set(json.loads(text)) == {"aispend/tenant_id", "aispend/feature", "aispend/prompt_template"}
    assert usage.query(
        "u",
        "select count(*) from u "
        "where \"AllocatedResourceId\" <> concat_ws('/', x_TenantId, x_Feature, x_PromptTemplate)",
    ).fetchall() == [(0,)]
    # the demo company's negotiated rates: ContractedCost below ListCost exactly where an override priced the calls
    by_source = {
        s: (lst, con)
        for s, lst, con in usage.query(
            "u", 'select x_PriceSource, sum("ListCost"), sum("ContractedCost") from u group by 1'
        ).fetchall()
    }
    assert set(by_source) == {"catalog", "override"}
    assert by_source["catalog"][0] == by_source["catalog"][1]
    assert by_source["override"][1] < by_source["override"][0]
    credit = parquet.query("e", "select * from e where x_CostKind = 'credit'").fetchall()
    credit_row = dict(zip(parquet.columns, credit[0], strict=True))
    assert credit_row["ChargeCategory"] == "Credit" and credit_row["BilledCost"] == Decimal("-25")
    assert credit_row["ListCost"] == credit_row["ContractedCost"] == credit_row["EffectiveCost"] == Decimal("-25")
    assert credit_row["AllocatedMethodId"] is None and credit_row["AllocatedTags"] is None
    assert credit_row["ConsumedQuantity"] is None and credit_row["PricingQuantity"] is None
    # provider names of the demo's vendors: each its own service provider, host and invoice issuer
    assert parquet.query(
        "e",
        'select distinct x_Provider, "ServiceProviderName", "HostProviderName", "InvoiceIssuerName" from e order by 1',
    ).fetchall() == [
        ("anthropic", "Anthropic", "Anthropic", "Anthropic"),
        ("google", "Google Cloud", "Google Cloud", "Google Cloud"),
        ("openai", "OpenAI", "OpenAI", "OpenAI"),
    ]


# ---------------------------------------------------------------------------------------------
# the dbt tests that encode the FOCUS 1.3 rules


def test_focus_dbt_tests_ran_in_the_daily_build_and_passed(built):
    """The FOCUS rules are dbt tests of the daily job (asset checks of marts/focus_cost_and_usage): the demo
    build ran every one, and they passed (the warning finds nothing: the demo prices every call)."""
    results = json.loads((built.warehouse.parent / "finops.duckdb.dbt" / "run_results.json").read_text())
    status = {r["unique_id"].split(".")[-1]: r["status"] for r in results["results"]}
    assert {name: status.get(name) for name in FOCUS_DBT_TESTS} == dict.fromkeys(FOCUS_DBT_TESTS, "pass")
    assert status.get("focus_cost_and_usage") == "success"


def test_focus_dbt_tests_catch_a_broken_export_and_pin_bedrock_and_azure(built, tmp_path):
    """On a copy of the build with a pico-dollar moved off one row, an openai row claiming AWS as its host and
    a ChargeClass FOCUS does not know, the FOCUS tests fail, each naming its rule; the dbt unit test
    bedrock_and_azure_are_hosts (hand-made Bedrock and Azure lines: the demo bills neither) passes."""
    warehouse = tmp_path / "finops.duckdb"
    shutil.copy2(built.warehouse, warehouse)
    con = duckdb.connect(str(warehouse))
    con.execute(  # one google row gets a pico-dollar more (EffectiveCost follows, as the export keeps them equal)
        'update marts.focus_cost_and_usage set "BilledCost" = "BilledCost" + 0.000000000001, '
        '"EffectiveCost" = "EffectiveCost" + 0.000000000001 '
        "where rowid = (select min(rowid) from marts.focus_cost_and_usage where x_Provider = 'google')"
    )
    con.execute(
        "update marts.focus_cost_and_usage "
        "set \"HostProviderName\" = 'Amazon Web Services', \"ChargeClass\" = 'Refund' "
        "where rowid = (select min(rowid) from marts.focus_cost_and_usage where x_Provider = 'openai')"
    )
    con.close()
    selected = ("test_type:unit,focus_cost_and_usage", *FOCUS_DBT_TESTS[:3])
    result = run_dbt("test", "--select", *selected, warehouse=warehouse, work=tmp_path)
    assert "PASS focus_cost_and_usage::bedrock_and_azure_are_hosts" in result.stdout, result.stdout[-4000:]
    for name in FOCUS_DBT_TESTS[:3]:
        assert f"FAIL 1 {name}" in result.stdout or re.search(rf"FAIL \d+ {name}", result.stdout), name
    assert "PASS=1 WARN=0 ERROR=3" in result.stdout
    broken = duckdb.connect(str(warehouse), read_only=True)
    try:
        rules = {
            r
            for (r,) in broken.execute(
                "select focus_rule from ("
                + (tmp_path / "target" / "compiled" / "finops" / "tests" / "assert_focus_rows_conform.sql").read_text()
                + ")"
            ).fetchall()
        }
    finally:
        broken.close()
    assert 'Columns > ChargeClass: ChargeClass MUST be "Correction" when ChargeClass is not null' in rules
    assert any(r.startswith("Attributes > Data Generator-Calculated Split Cost Allocation Handling") for r in rules)


# ---------------------------------------------------------------------------------------------
# the command and the function


def test_export_command_errors_and_default_directory(built, tmp_path):
    """`finops export focus`: a malformed --month exits 2 naming the argument; a month without data exits 1
    and says which months have data; without --out the files go to exports/focus/ beside the warehouse; a
    missing serving file is a clear error."""
    bad = built.finops("export", "focus", "--month", "2026-13")
    assert bad.returncode == 2
    assert "argument --month: not a month (YYYY-MM): '2026-13'" in bad.stderr
    assert built.finops("export", "focus", "--month", "October").returncode == 2
    empty = built.finops("export", "focus", "--month", "2026-11", "--out", str(tmp_path / "none"))
    assert empty.returncode == 1
    assert "no FOCUS rows for 2026-11" in empty.stderr and "months with data: 2026-10" in empty.stderr
    assert not (tmp_path / "none").exists()
    # the default directory, on a copy of the serving file (the built workspace stays read-only)
    home = tmp_path / "warehouse"
    home.mkdir()
    shutil.copy2(serving_of(built), home / "serving.duckdb")
    env = {**built.env(), "FINOPS_WAREHOUSE": str(home / "finops.duckdb")}
    env.pop("FINOPS_SERVING", None)
    done = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "export", "focus"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (home / "exports" / "focus").iterdir()) == [
        "focus_cost_and_usage_all.csv",
        "focus_cost_and_usage_all.parquet",
    ]
    missing = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "export", "focus"],
        env={**env, "FINOPS_WAREHOUSE": str(tmp_path / "nowhere" / "finops.duckdb")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 1 and "no serving file at" in missing.stderr


def test_export_function_writes_aside_and_replaces(built, tmp_path):
    """serving.export.export_focus: returns the paths and row counts; a second export replaces the files
    whole; an export that fails leaves the previous files as they were and no temp file behind."""
    first = export_focus(serving_of(built), tmp_path, MONTH)
    assert first.month == MONTH and first.rows > 1000 and [f.rows for f in first.files] == [first.rows] * 2
    assert [p.name for p in first.paths] == [
        f"focus_cost_and_usage_{MONTH}.parquet",
        f"focus_cost_and_usage_{MONTH}.csv",
    ]
    before = {p.name: p.read_bytes() for p in first.paths}
    again = export_focus(serving_of(built), tmp_path, MONTH)
    assert again.rows == first.rows and {p.name: p.read_bytes() for p in again.paths} == before
    with pytest.raises(NoDataError, match="no FOCUS rows for 2030-01"):
        export_focus(serving_of(built), tmp_path, "2030-01")
    with pytest.raises(ValueError, match="not a month"):
        export_focus(serving_of(built), tmp_path, "2026-1")
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "focus_cost_and_usage_2026-10.csv").mkdir()  # the rename onto it fails: a directory is in the way
    with pytest.raises(ExportError, match="replacing the FOCUS export"):
        export_focus(serving_of(built), blocked, MONTH)
    assert not [p for p in blocked.iterdir() if p.name.endswith(".tmp")]
    assert {p.name for p in tmp_path.iterdir()} >= set(before)


def test_incremental_publish_syncs_the_export_mart_by_day(built, tmp_path):
    """The daily run publishes focus_cost_and_usage by its day column (x_ChargeDay), like the other daily
    marts, instead of copying all its history every day."""
    serving = tmp_path / "serving.duckdb"
    shutil.copy2(serving_of(built), serving)
    result = publish(built.warehouse, serving, days=(date(2026, 10, 29), date(2026, 10, 30)))
    assert result.incremental
    assert result.synced_days.get("marts.focus_cost_and_usage") == 1


def test_export_refuses_a_month_whose_billed_days_are_missing(built, tmp_path):
    """A warehouse upgraded to the export holds only the days built since: the export of a month that lacks
    billed days refuses (its BilledCost would not sum to the bills) and names the command that rebuilds them."""
    serving = tmp_path / "serving.duckdb"
    shutil.copy2(serving_of(built), serving)
    with duckdb.connect(str(serving)) as con:
        con.execute("delete from marts.focus_cost_and_usage where x_ChargeDay in ('2026-10-03', '2026-10-07')")
    with pytest.raises(ExportError, match=r"lacks 2 billed day\(s\) of 2026-10 \(2026-10-03 \.\. 2026-10-07") as err:
        export_focus(serving, tmp_path / "out", MONTH)
    assert "finops materialize --start 2026-10-03 --end 2026-10-07" in str(err.value)
    assert not (tmp_path / "out").exists()
    with pytest.raises(ExportError, match="lacks 2 billed day"):
        export_focus(serving, tmp_path / "out")  # every month: the same
