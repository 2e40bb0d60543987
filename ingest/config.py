"""Paths the whole project agrees on, resolved once to absolute paths."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path

    @classmethod
    def from_env(cls) -> "Settings":
        landing = os.environ.get("FINOPS_LANDING_DIR") or "data/landing"
        warehouse = os.environ.get("FINOPS_WAREHOUSE") or "data/warehouse/finops.duckdb"
        return cls(landing_dir=_absolute(landing), warehouse=_absolute(warehouse))


def _absolute(value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path.resolve()
