"""Resources, configured from the environment (FINOPS_LANDING_DIR, FINOPS_WAREHOUSE)."""


import os
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource, DbtProject

from ingest.config import REPO_ROOT, Settings

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


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=DBT_PROJECT)
