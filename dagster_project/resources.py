"""Resources, configured from the environment (FINOPS_LANDING_DIR, FINOPS_WAREHOUSE)."""


import os
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version, parse

from ingest.config import REPO_ROOT, Settings
from ingest.warehouse import dbt_target_dir

# FINOPS_DBT_PROJECT_DIR points at another copy of the dbt project (its seeds are ../data/reference
# from there); tests use it to change a seed without touching the repository.
_DBT_DIR = Path(os.environ.get("FINOPS_DBT_PROJECT_DIR") or REPO_ROOT / "dbt_project").resolve()
DBT_PROJECT = DbtProject(project_dir=_DBT_DIR, profiles_dir=_DBT_DIR)


class WarehouseResource(ConfigurableResource):
    """Where landing files are read from and which DuckDB file is built (absolute paths)."""

    landing_dir: str
    warehouse: str

    @classmethod
    def from_env(cls) -> "WarehouseResource":
        settings = Settings.from_env()
        return cls(landing_dir=str(settings.landing_dir), warehouse=str(settings.warehouse))

    @property
    def landing_path(self) -> Path:
        return Path(self.landing_dir)

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse)

    @property
    def dbt_target_path(self) -> Path:
        """dbt's target and log dir for the runs on this warehouse, `<warehouse>.dbt/`, reused by every
        run instead of dagster-dbt's new ~10 MB dir under dbt_project/target/ per run: it holds the last
        run's run_results.json and compiled SQL, dbt's partial-parse state and dbt.log (appended and
        rotated by dbt). `finops materialize` runs on one warehouse never overlap (`<warehouse>.lock`)."""
        return dbt_target_dir(self.warehouse_path)


class FinopsDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource without its per-run preparation (~3 s of every run): it asks the dbt
    executable for its version in a subprocess, and opens a dbt adapter in process that serves only
    column metadata and row counts, which this project does not fetch. The version is the installed
    dbt-core's (the dbt of this environment). Both hooks are dagster-dbt internals: dagster-dbt is
    pinned, and tests/test_definitions.py fails if they change."""

    @cached_property
    def _cli_version(self) -> Version:
        return parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - dagster-dbt's signature
        return None


def dbt_resource() -> DbtCliResource:
    return FinopsDbtCliResource(project_dir=DBT_PROJECT)
