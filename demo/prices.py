"""The demo vendor's price book: the demo company's negotiated rates (price_overrides.csv) over the
list prices of the catalog, by the product's one pricing rule (ingest.pricing), and the exact cost of a
call from it."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.pricing import PriceBook, read_price_overrides
from ingest.schemas import TOKEN_BUCKETS

if TYPE_CHECKING:
    from demo.simulator import Call

# The demo company's negotiated rates: written into its config dir (price_overrides.csv) by generate(),
# as a company would write its own (ingest.company_config).
DEMO_PRICE_OVERRIDES = Path(__file__).resolve().parent / "price_overrides.csv"

MTOK = Decimal(1_000_000)
CENT = Decimal("0.01")
EXACT = Decimal("1e-12")  # every true cost has at most 12 decimals (6 in the price, / 1e6)


def load_prices(overrides_csv: Path = DEMO_PRICE_OVERRIDES) -> PriceBook:
    """The demo vendor's price book: its negotiated rates over the catalog."""
    return PriceBook(read_price_overrides(overrides_csv))


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
