"""Format adapters, one module per landing format (`calls/<format>/`, `billing/<format>/`).

Each module registers its stagers with `@adapter(kind, format, *extensions)`. A stager takes
(DuckDB connection, file path, canonical fields), creates the temp table `_staged` (see
ingest.staging) and returns the records it rejected before field validation. Modules in this
package are imported automatically, so adding a format means adding one module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path

import duckdb

from ingest.schemas import Field
from ingest.staging import Reject

Stager = Callable[[duckdb.DuckDBPyConnection, Path, tuple[Field, ...]], list[Reject]]
ADAPTERS: dict[tuple[str, str, str], Stager] = {}


def adapter(kind: str, fmt: str, *extensions: str) -> Callable[[Stager], Stager]:
    def register(stager: Stager) -> Stager:
        for ext in extensions:
            key = (kind, fmt, ext)
            if key in ADAPTERS:
                raise RuntimeError(f"two adapters for {key}")
            ADAPTERS[key] = stager
        return stager

    return register


def supported(kind: str, fmt: str) -> list[str]:
    return sorted(ext for k, f, ext in ADAPTERS if k == kind and f == fmt)


def formats(kind: str) -> list[str]:
    return sorted({f for k, f, _ in ADAPTERS if k == kind})


for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
