"""One vocabulary: ingest.schemas defines the values of the enumerated columns once; dbt reads the same
lists as vars, and these tests fail when a copy drifts or a list is spelled out again elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ingest import schemas

REPO = Path(__file__).resolve().parent.parent
DBT = REPO / "dbt_project"

# dbt var -> the ingest.schemas constant it copies
VOCABULARY = {
    "token_buckets": schemas.TOKEN_BUCKETS,
    "service_tiers": schemas.SERVICE_TIERS,
    "cache_outcomes": schemas.CACHE_OUTCOMES,
    "routing_decisions": schemas.ROUTING_DECISIONS,
    "call_statuses": schemas.CALL_STATUSES,
    "charge_categories": schemas.CHARGE_CATEGORIES,
    "charge_sources": schemas.CHARGE_SOURCES,
}


def test_dbt_vars_equal_the_schemas_vocabulary():
    dbt_vars = yaml.safe_load((DBT / "dbt_project.yml").read_text())["vars"]
    for name, values in VOCABULARY.items():
        assert tuple(dbt_vars[name]) == values, name


def test_the_token_bucket_macro_reads_the_var():
    macro = (DBT / "macros" / "token_buckets.sql").read_text()
    assert "var('token_buckets')" in macro and "'input_uncached'" not in macro


def test_accepted_values_of_vocabulary_columns_read_the_vars():
    """Every accepted_values test of a vocabulary column of the staged raw data names its var, never a
    literal list (the calls' columns are tested on int_calls_keyed: stg_raw__calls's rows of the run's
    window as a table)."""
    column_var = {
        "service_tier": "service_tiers",
        "cache_outcome": "cache_outcomes",
        "routing_decision": "routing_decisions",
        "charge_category": "charge_categories",
        "token_bucket": "token_buckets",
        "status": "call_statuses",
        "charge_source": "charge_sources",
    }
    seen = set()
    for path in list((DBT / "models").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            for column in model.get("columns", []):
                for test in column.get("data_tests", []) or []:
                    if (
                        isinstance(test, dict)
                        and "accepted_values" in test
                        and column["name"] in column_var
                        and (model["name"].startswith("stg_raw__") or model["name"] == "int_calls_keyed")
                    ):
                        values = test["accepted_values"]["arguments"]["values"]
                        assert values == f"{{{{ var('{column_var[column['name']]}') }}}}", (
                            path.name,
                            model["name"],
                            column["name"],
                        )
                        seen.add((model["name"], column["name"]))
    assert {
        ("int_calls_keyed", "service_tier"),
        ("int_calls_keyed", "cache_outcome"),
        ("int_calls_keyed", "routing_decision"),
        ("int_calls_keyed", "status"),
        ("stg_raw__bill_lines", "charge_category"),
        ("stg_raw__bill_lines", "charge_source"),
        ("stg_raw__price_catalog", "token_bucket"),
        ("stg_raw__price_catalog", "service_tier"),
    } <= seen


def test_no_other_code_spells_the_token_buckets_out():
    """In code, the full bucket list appears in ingest/schemas.py (and dbt_project.yml's checked copy)
    only; descriptions in the docs may name the buckets."""
    pattern = re.compile(
        r"input_uncached['\"]?\s*,\s*['\"]?cache_read['\"]?\s*,\s*['\"]?cache_write['\"]?\s*,\s*['\"]?output"
    )
    found = []
    for folder in ("ingest", "demo", "serving", "dagster_project", "dbt_project/models", "dbt_project/macros"):
        for path in (REPO / folder).rglob("*"):
            if path.suffix in (".py", ".sql") and pattern.search(path.read_text()):
                found.append(str(path.relative_to(REPO)))
    assert found == ["ingest/schemas.py"]
