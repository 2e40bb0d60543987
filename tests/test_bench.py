"""The benchmark's own parts: the bulk generator writes loadable, reconcilable data, and the yardstick
(demo.yardstick) prices and allocates every call as an independent Python recomputation of the rule
does. (The pipeline-vs-yardstick comparison itself runs in `make bench` / `make bench-quick`, not in the suite.)"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from demo import bulk, yardstick
from demo.benchmark import peak_by_phase, phases
from demo.prices import load_prices
from demo.product import BILL_MODEL_IDS
from ingest.loaders import load_landing
from ingest.schemas import TOKEN_BUCKETS, TOKEN_COLUMN
from ingest.warehouse import connect

DAYS = (date(2026, 10, 14), date(2026, 10, 15))  # the negotiated claude-sonnet-4 price starts on the 15th
CALLS = 3000


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bulk")
    written = bulk.generate(
        root, start=DAYS[0], days=2, calls_per_day=CALLS, fmt="mixed", first_day_index=13, progress=lambda m: None
    )
    assert sorted(p.suffix for p in written if "calls" in p.parts) == [".jsonl", ".parquet"]
    return root


def _calls(landing: Path) -> list[dict]:
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        parquet = [str(p) for p in landing.rglob("*.parquet")]
        jsonl = [str(p) for p in landing.rglob("*.jsonl")]
        rows = con.execute(
            "select cast(started_at as date) as day, * exclude (started_at) from read_parquet(?) union all by name "
            "select cast(cast(started_at as timestamptz) as date) as day, * exclude (started_at) from read_json(?)",
            [parquet, jsonl],
        ).fetchall()
        names = [d[0] for d in con.description]
    return [dict(zip(names, r)) for r in rows]


def test_bulk_days_load_without_loss_and_bills_match_the_calls(landing: Path, tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    calls = load_landing(con, landing, kind="calls")
    bills = load_landing(con, landing, kind="billing")
    assert (calls.total("rows_read"), calls.total("rows_loaded"), calls.total("rows_quarantined")) == (
        2 * CALLS,
        2 * CALLS,
        0,
    )
    assert bills.total("rows_quarantined") == 0 and bills.total("rows_loaded") > 0
    assert con.execute("select count(distinct call_id) from raw.calls").fetchone() == (2 * CALLS,)
    # the bill: per provider-day usage line = tokens x the price book, to the cent; so the day's bill is
    # the day's list cost within half a cent per line
    billed = {
        (d, p): (v, n)
        for d, p, v, n in con.execute(
            'select "ChargePeriodStart"::date, "ProviderName", sum("BilledCost"), count(*) '
            "from raw.bill_lines group by all"
        ).fetchall()
    }
    prices = load_prices()
    cost: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    for c in _calls(landing):
        for b in TOKEN_BUCKETS:
            cost[(c["day"], c["provider"])] += (
                Decimal(c[TOKEN_COLUMN[b]])
                * prices.price(c["provider"], c["model_served"], b, c["service_tier"], c["day"])
                / Decimal(1_000_000)
            )
    assert set(billed) == {k for k, v in cost.items() if v}
    for key, (amount, lines) in billed.items():
        assert abs(amount - cost[key]) <= Decimal("0.005") * lines, key
    con.close()


def test_yardstick_equals_python_recomputation(landing: Path, tmp_path: Path) -> None:
    """The yardstick's list cost and allocation, call by call, against the rule recomputed in Python from
    the files: tokens x the price in effect that day, each bill grain split by floor(bill x cost / base)
    in pico-dollars, the remainder to the grain's largest call bucket (ties: smallest call id)."""
    prices = load_prices()
    pico = Decimal(10**12)
    billed_model = BILL_MODEL_IDS
    calls = _calls(landing)
    # list cost in pico-dollars per call and bucket, and the calls of each grain
    cost: dict[tuple[str, str], int] = {}
    grains: dict[tuple, list[tuple[int, str]]] = defaultdict(list)
    for c in calls:
        for b in TOKEN_BUCKETS:
            price = prices.price(c["provider"], c["model_served"], b, c["service_tier"], c["day"])
            value = Decimal(c[TOKEN_COLUMN[b]]) * price / Decimal(1_000_000) * pico
            assert value == int(value)
            cost[(c["call_id"], b)] = int(value)
            if value > 0:
                key = (
                    c["day"],
                    c["provider"],
                    c["billing_account"],
                    billed_model.get(c["model_served"], c["model_served"]),
                    b,
                    c["service_tier"],
                )
                grains[key].append((int(value), c["call_id"]))
    with duckdb.connect() as con:
        bills = con.execute(
            'select "ChargePeriodStart"[:10]::DATE, "ProviderName", "SubAccountId", "x_Model", "x_TokenBucket", '
            '"x_ServiceTier", "BilledCost"::DECIMAL(38,12) from read_csv(?, all_varchar = true)',
            [str(landing / "billing" / "focus" / "*" / "*.csv")],
        ).fetchall()
    expected: dict[str, int] = defaultdict(int)
    for *key, amount in bills:
        members = grains[tuple(key)]
        assert members, key  # the bench's bills all meet calls at their own grain
        bill, base = int(amount * pico), sum(w for w, _ in members)
        shares = {call_id: bill * w // base for w, call_id in members}
        largest = min(members, key=lambda m: (-m[0], m[1]))[1]
        shares[largest] += bill - sum(shares.values())
        for call_id, share in shares.items():
            expected[call_id] += share

    result = yardstick.run(landing, tmp_path / "y.duckdb")
    with duckdb.connect(str(tmp_path / "y.duckdb"), read_only=True) as con:
        got = con.execute("select call_id, list_pico, billed_pico from call_costs").fetchall()
    assert len(got) == len(calls) == 2 * CALLS
    listed = {call_id: sum(v for (c, _), v in cost.items() if c == call_id) for call_id in {c for c, _ in cost}}
    assert {c: lp for c, lp, _ in got} == listed
    assert {c: bp for c, _, bp in got} == {c["call_id"]: expected.get(c["call_id"], 0) for c in calls}
    # per day: the calls, their list cost, and an attributed cost that is the day's bill to the cent
    per_day = {date.fromisoformat(d): (n, Decimal(lc), Decimal(ac)) for d, n, lc, ac in result["per_day"]}
    assert {d: n for d, (n, _, _) in per_day.items()} == {DAYS[0]: CALLS, DAYS[1]: CALLS}
    for day, (_, _, attributed) in per_day.items():
        assert attributed == sum(a for d, *_, a in bills if d == day)


def test_phases_are_read_from_the_run_log() -> None:
    stamp = datetime(2026, 11, 24, 21, 0, 0)

    def line(second: int, text: str) -> str:
        return f"{stamp.replace(second=second):%Y-%m-%d %H:%M:%S} +0000 - dagster - INFO - job - id - {text}"

    log = "\n".join(
        [
            "noise before the run",
            line(5, "raw__bill_lines - [1/1] billing/x.csv: loaded"),
            line(9, "finops_dbt_assets - dbt build for UTC days [2026-10-01, 2026-10-02)"),
            line(12, "finops_dbt_assets - Running dbt command: `dbt build`"),
            line(40, "finops_dbt_assets - Finished dbt command: `dbt build`"),
            line(42, "serving__finops_serving - published 25 tables"),
        ]
    )
    assert phases(log, total=50.0) == {
        "start": 12.0,
        "ingest + GX": 4.0,
        "dbt start": 3.0,
        "dbt build": 28.0,
        "publish": 3.0,
    }
    assert phases("no dagster lines", total=3.0) == {}
    # the peak RSS of each phase, split by process, from the samples taken during the run
    samples = [
        (stamp.replace(second=s).timestamp(), {"cli": cli, "dbt": dbt})
        for s, cli, dbt in (
            (1, 300, 0),
            (6, 900, 0),
            (7, 800, 0),
            (13, 400, 1500),
            (20, 400, 1700),
            (41, 600, 0),
            (59, 100, 0),
        )
    ]
    assert peak_by_phase(log, samples) == {
        "start": {"cli": 300, "dbt": 0},
        "ingest + GX": {"cli": 900, "dbt": 0},
        "dbt build": {"cli": 400, "dbt": 1700},
        "publish": {"cli": 600, "dbt": 0},
        "end": {"cli": 100, "dbt": 0},
    }
    assert peak_by_phase("no dagster lines", samples) == {}
