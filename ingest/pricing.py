"""The pricing rule of a call's token bucket, in Python: a company override valid that day
(price_overrides.csv of the config dir), else the genai-prices catalog's list price for the catalog
model the name resolves to (ingest.catalog.price_for: the long-context tier the call's input reaches).
dbt applies the same rule in SQL (int_call_bucket_scenarios_priced); tests/test_pricing.py checks that
the two agree on every price the demo uses and on every catalog row. Python callers (the demo's truth,
the bulk generator and the benchmark) price through PriceBook only."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ingest.catalog import catalog_table, price_for, resolve_model
from ingest.schemas import SERVICE_TIERS, TOKEN_BUCKETS


@dataclass(frozen=True)
class Override:
    provider: str
    model: str  # catalog model id
    bucket: str
    tier: str
    price_per_mtok: Decimal
    valid_from: date
    valid_to: date | None  # exclusive; None = open


class PriceBook:
    """Prices by the rule: a negotiated override valid that day, else the list price of the
    genai-prices catalog (ingest.catalog.price_for), for the catalog model a name resolves to."""

    def __init__(self, overrides: Iterable[Override]) -> None:
        self._overrides: dict[tuple[str, str, str, str], list[Override]] = defaultdict(list)
        for row in overrides:
            self._overrides[(row.provider, row.model, row.bucket, row.tier)].append(row)
        self._catalog = catalog_table()
        self._cache: dict[tuple[str, str, str, str, date, int], Decimal] = {}

    def price(self, provider: str, model: str, bucket: str, tier: str, day: date, input_tokens: int = 0) -> Decimal:
        key = (provider, model, bucket, tier, day, input_tokens)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        catalog_model = resolve_model(provider, model) or model
        found = None
        for row in self._overrides.get((provider, catalog_model, bucket, tier), ()):
            if row.valid_from <= day and (row.valid_to is None or day < row.valid_to):
                found = row.price_per_mtok
        if found is None:
            found = price_for(self._catalog, provider, catalog_model, bucket, tier, day, input_tokens)
        if found is None:
            raise KeyError(f"no price for {provider}/{model}/{bucket}/{tier} on {day}")
        self._cache[key] = found
        return found

    def changes(self) -> list[tuple[str, str, date]]:
        """(provider, model, day) of every override start: the demo's mid-period price change."""
        return sorted({(r.provider, r.model, r.valid_from) for rows in self._overrides.values() for r in rows})


def read_price_overrides(path: Path) -> list[Override]:
    """The rows of a price_overrides.csv (the columns of ingest.schemas CONFIG_FILES)."""
    rows = []
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            if r["token_bucket"] not in TOKEN_BUCKETS or r["service_tier"] not in SERVICE_TIERS:
                raise ValueError(f"{path}: unknown bucket or tier in {r}")
            rows.append(
                Override(
                    provider=r["provider"],
                    model=r["model"],
                    bucket=r["token_bucket"],
                    tier=r["service_tier"],
                    price_per_mtok=Decimal(r["price_per_mtok"]),
                    valid_from=date.fromisoformat(r["valid_from"]),
                    valid_to=date.fromisoformat(r["valid_to"]) if r["valid_to"] else None,
                )
            )
    return rows
