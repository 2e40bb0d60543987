"""Paths the whole project agrees on, resolved once to absolute paths."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path  # the build file: only the pipeline opens it
    serving: Path  # the published copy that readers (BI, SQL, the alert sensor) open
    config_dir: Path  # the company's configuration (ingest.company_config), outside the repository

    @classmethod
    def from_env(cls) -> Settings:
        landing = os.environ.get("FINOPS_LANDING_DIR") or "data/landing"
        warehouse = _absolute(os.environ.get("FINOPS_WAREHOUSE") or "data/warehouse/finops.duckdb")
        serving = os.environ.get("FINOPS_SERVING")
        config = os.environ.get("FINOPS_CONFIG_DIR")
        landing_dir = _absolute(landing)
        return cls(
            landing_dir=landing_dir,
            warehouse=warehouse,
            serving=_absolute(serving) if serving else warehouse.with_name("serving.duckdb"),
            config_dir=_absolute(config) if config else default_config_dir(landing_dir),
        )


def default_config_dir(landing_dir: Path) -> Path:
    """The company config dir when FINOPS_CONFIG_DIR is not set: `config/` beside the landing dir."""
    return landing_dir.parent / "config"


def _absolute(value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path.resolve()
