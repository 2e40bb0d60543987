"""The demo vendor's price book: the demo company's negotiated rates (price_overrides.csv) over the
list prices of the catalog, and the exact cost of a call from it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from demo.product import read_csv
from ingest.catalog import catalog_table, price_for, resolve_model
from ingest.schemas import SERVICE_TIERS, TOKEN_BUCKETS

if TYPE_CHECKING:
    from demo.simulator import Call

# The demo company's negotiated rates: written into its config dir (price_overrides.csv) by generate(),
# as a company would write its own (ingest.company_config).
DEMO_PRICE_OVERRIDES = Path(__file__).resolve().parent / "price_overrides.csv"

MTOK = Decimal(1_000_000)
CENT = Decimal("0.01")
EXACT = Decimal("1e-12")  # every true cost has at most 12 decimals (6 in the price, / 1e6)


# --------------------------------------------------------------------------------------------
# reference data (also the dbt seeds)


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
    """The vendor's truth for the demo: a negotiated override valid that day, else the list price of
    the genai-prices catalog (ingest.catalog.price_for), for the catalog model a name resolves to."""

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


def load_prices(overrides_csv: Path = DEMO_PRICE_OVERRIDES) -> PriceBook:
    rows = []
    for r in read_csv(overrides_csv):
        if r["token_bucket"] not in TOKEN_BUCKETS or r["service_tier"] not in SERVICE_TIERS:
            raise ValueError(f"price_overrides.csv: unknown bucket or tier in {r}")
        rows.append(Override(
            provider=r["provider"], model=r["model"], bucket=r["token_bucket"], tier=r["service_tier"],
            price_per_mtok=Decimal(r["price_per_mtok"]), valid_from=date.fromisoformat(r["valid_from"]),
            valid_to=date.fromisoformat(r["valid_to"]) if r["valid_to"] else None,
        ))
    return PriceBook(rows)


# --------------------------------------------------------------------------------------------
# pricing


def call_costs(call: Call, prices: PriceBook) -> dict[str, Decimal]:
    """Exact cost per token bucket (buckets with zero tokens are left out)."""
    costs = {}
    for bucket in TOKEN_BUCKETS:
        tokens = call.tokens(bucket)
        if tokens:
            input_tokens = call.input_uncached_tokens + call.cache_read_tokens + call.cache_write_tokens
            price = prices.price(call.provider, call.model_served, bucket, call.service_tier, call.day, input_tokens)
            costs[bucket] = tokens * price / MTOK
    return costs


def price_calls(calls: Iterable[Call], prices: PriceBook) -> None:
    for call in calls:
        call.costs = call_costs(call, prices)


def money(value: Decimal) -> str:
    """Exact decimal text with 12 decimals (DECIMAL(38,12)); refuses to round."""
    exact = value.quantize(EXACT)
    if exact != value:
        raise ValueError(f"{value} has more than 12 decimals")
    return format(exact, "f")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
