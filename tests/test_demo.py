"""The demo-data generator: layout, determinism, bill/ground-truth consistency and attribution accuracy.

Most checks read the written files back (JSONL/Parquet calls, FOCUS CSV bills, ground truth) and
recompute from them with the price seed, independently of the generator's own bookkeeping.
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from demo.generate import generate
from demo.prices import load_prices, price_calls
from demo.product import BILL_MODEL_IDS, DEFAULT_REFERENCE_DIR, build_streams, load_tenants
from demo.simulator import Call, missing_count, parquet_days, simulate_calls
from ingest.pricing import PriceBook
from ingest.schemas import BILL_FIELDS, CALL_FIELDS, CALL_SCHEMA

START = date(2026, 10, 1)
DAYS = 30
BUCKET_COLUMN = {
    "input_uncached": "input_uncached_tokens",
    "cache_read": "cache_read_tokens",
    "cache_write": "cache_write_tokens",
    "output": "output_tokens",
}
TOKEN_COLUMNS = (*BUCKET_COLUMN.values(), "reasoning_tokens")
REQUIRED_CALL_KEYS = {f.name for f in CALL_FIELDS if f.required}
SUB_ACCOUNTS = {
    "openai": ("proj_prod", "proj_nonprod"),
    "anthropic": ("wrk_prod", "wrk_dev"),
    "google": ("gcp_prod", "gcp_dev"),
}


# --------------------------------------------------------------------------------------------
# fixtures and readers (independent of the generator's internals)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "landing"
    generate(root)
    return root


@pytest.fixture(scope="module")
def manifest(landing: Path) -> dict:
    return json.loads((landing / "_demo" / "manifest.json").read_text())


def read_prices() -> PriceBook:
    return load_prices()


def price(prices: PriceBook, provider: str, model: str, bucket: str, tier: str, day: date) -> Decimal:
    return prices.price(provider, model, bucket, tier, day)


def normalize(record: dict) -> dict:
    """A call as the warehouse would see it: UTC instant, defaults applied."""
    started = record["started_at"]
    if isinstance(started, str):
        started = datetime.fromisoformat(started)
    started = started.astimezone(UTC)
    out = {f.name: record.get(f.name) for f in CALL_FIELDS}
    out["started_at"] = started
    out["day"] = started.date()
    out["model_served"] = record.get("model_served") or record["model_requested"]
    out["service_tier"] = record.get("service_tier") or "standard"
    out["cache_outcome"] = record.get("cache_outcome") or "none"
    out["routing_decision"] = record.get("routing_decision") or "none"
    out["status"] = record.get("status") or "ok"
    out["billing_account"] = record.get("billing_account") or "unknown"
    for col in TOKEN_COLUMNS:
        out[col] = record.get(col) or 0
    return out


@pytest.fixture(scope="module")
def raw_records(landing: Path) -> dict[str, list[dict]]:
    """Every calls file's records as written (JSON objects, or Parquet rows), by file name."""
    files: dict[str, list[dict]] = {}
    for path in sorted((landing / "calls" / "canonical").rglob("calls-*")):
        if path.suffix == ".jsonl":
            files[path.name] = [json.loads(line) for line in path.read_text().splitlines()]
        else:
            files[path.name] = pq.read_table(path).to_pylist()
    return files


@pytest.fixture(scope="module")
def calls(raw_records: dict[str, list[dict]]) -> list[dict]:
    prices = read_prices()
    out = []
    for records in raw_records.values():
        for record in records:
            call = normalize(record)
            call["costs"] = {
                bucket: call[col]
                * price(prices, call["provider"], call["model_served"], bucket, call["service_tier"], call["day"])
                / Decimal(1_000_000)
                for bucket, col in BUCKET_COLUMN.items()
                if call[col]
            }
            call["cost"] = sum(call["costs"].values(), Decimal(0))
            out.append(call)
    return out


@pytest.fixture(scope="module")
def bill_rows(landing: Path) -> list[dict]:
    rows = []
    for path in sorted((landing / "billing" / "focus").rglob("*.csv")):
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            assert reader.fieldnames == [f.name for f in BILL_FIELDS], path
            rows.extend(dict(r, _file=path.name) for r in reader)
    return rows


@pytest.fixture(scope="module")
def truth(landing: Path) -> list[dict]:
    with (landing / "_demo" / "ground_truth.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def true_calls() -> list[Call]:
    """The generator's TRUE calls (logged or not), rebuilt from its parts, priced, unmarked."""
    prices = load_prices()
    streams = build_streams(load_tenants(DEFAULT_REFERENCE_DIR), 42)
    result = simulate_calls(START, DAYS, 3000, 42, streams)
    price_calls(result, prices)
    return result


LOGGED_MODEL = {billed: logged for logged, billed in BILL_MODEL_IDS.items()}


def usage_grain(row: dict) -> tuple[str, str, date, str, str, str]:
    """A bill line's grain in the logs' model names (bills carry dated snapshot ids)."""
    return (
        row["ProviderName"],
        row["SubAccountId"],
        datetime.fromisoformat(row["ChargePeriodStart"]).date(),
        LOGGED_MODEL.get(row["x_Model"], row["x_Model"]),
        row["x_TokenBucket"],
        row["x_ServiceTier"],
    )


# --------------------------------------------------------------------------------------------
# seeds


def test_vendor_prices_are_the_catalog_with_the_negotiated_override() -> None:
    prices = read_prices()
    sonnet = "claude-sonnet-4-20250514"
    assert price(prices, "anthropic", sonnet, "cache_write", "standard", START) == Decimal("3.75")
    assert price(prices, "anthropic", sonnet, "cache_read", "standard", START) == Decimal("0.30")
    assert price(prices, "anthropic", sonnet, "output", "standard", date(2026, 10, 14)) == Decimal("15")
    assert price(prices, "anthropic", sonnet, "output", "standard", date(2026, 10, 15)) == Decimal("12")
    assert (
        price(prices, "openai", "gpt-4o", "cache_write", "standard", START)
        == price(prices, "openai", "gpt-4o", "input_uncached", "standard", START)
        == Decimal("2.5")
    )
    assert price(prices, "openai", "gpt-4o", "input_uncached", "batch", START) == Decimal("1.25")
    assert prices.changes() == [("anthropic", "claude-sonnet-4-0", date(2026, 10, 15))]


def test_tenant_seed() -> None:
    with (DEFAULT_REFERENCE_DIR / "tenants.csv").open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["tenant_id", "tenant_name", "plan", "monthly_revenue_usd"]
        rows = list(reader)
    assert [r["tenant_id"] for r in rows] == [f"t{i:03d}" for i in range(1, 21)]
    assert {r["plan"] for r in rows} == {"starter", "growth", "enterprise"}
    assert all(Decimal(r["monthly_revenue_usd"]) > 0 for r in rows)


# --------------------------------------------------------------------------------------------
# layout, formats, determinism


def test_expected_files_exist_and_parquet_days_are_parquet(landing: Path, manifest: dict) -> None:
    pq_days = set(parquet_days(START, DAYS))
    assert len(pq_days) == 10 and manifest["parameters"]["parquet_days"] == sorted(d.isoformat() for d in pq_days)
    for i in range(DAYS):
        day = START + timedelta(days=i)
        folder = landing / "calls" / "canonical" / f"{day:%Y/%m/%d}"
        names = sorted(p.name for p in folder.iterdir())
        if day in pq_days:
            assert names == [f"calls-{day.isoformat()}.parquet"]
            path = folder / names[0]
            assert path.read_bytes()[:4] == b"PAR1"
            assert pq.read_schema(path).remove_metadata() == CALL_SCHEMA
        else:
            assert names == [f"calls-{day.isoformat()}.jsonl"]
    for provider in ("openai", "anthropic", "google"):
        assert (landing / "billing" / "focus" / provider / f"{provider}-2026-10.csv").is_file()
    assert (landing / "_demo" / "ground_truth.csv").is_file()
    assert not list(landing.rglob("*.tmp"))


def test_same_arguments_give_identical_bytes(landing: Path, tmp_path: Path) -> None:
    second = tmp_path / "again"
    generate(second)
    first_files = {p.relative_to(landing): p.read_bytes() for p in sorted(landing.rglob("*")) if p.is_file()}
    second_files = {p.relative_to(second): p.read_bytes() for p in sorted(second.rglob("*")) if p.is_file()}
    assert first_files.keys() == second_files.keys()
    assert [k for k in first_files if first_files[k] != second_files[k]] == []


def test_small_run_differs_by_seed_and_respects_layout(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", days=4, calls_per_day=150, seed=1)
    b = generate(tmp_path / "b", days=4, calls_per_day=150, seed=2)
    assert a["spike"] is None and a["calls_true"] > 400
    assert a["true_cost_total"] != b["true_cost_total"]
    assert (tmp_path / "a" / "calls" / "canonical" / "2026" / "10" / "03" / "calls-2026-10-03.parquet").is_file()
    assert a["credit"]["day"] == "2026-10-04"


# --------------------------------------------------------------------------------------------
# bills and ground truth


def test_bill_lines_are_rounded_true_costs(
    bill_rows: list[dict], true_calls: list[Call], manifest: dict, truth: list[dict]
) -> None:
    usage = [r for r in bill_rows if r["ChargeCategory"] == "Usage"]
    credits = [r for r in bill_rows if r["ChargeCategory"] != "Usage"]
    # the true cost of every grain, from the TRUE calls (logged or not)
    exact: dict[tuple, Decimal] = defaultdict(Decimal)
    tokens: dict[tuple, int] = defaultdict(int)
    for call in true_calls:
        for bucket, cost in (call.costs or {}).items():
            key = (call.provider, call.billing_account, call.day, call.model_served, bucket, call.service_tier)
            exact[key] += cost
            tokens[key] += call.tokens(bucket)
    assert len(usage) == len(exact) == manifest["billed_usage_lines"]
    for row in usage:
        key = usage_grain(row)
        rounded = exact[key].quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert Decimal(row["BilledCost"]) == Decimal(row["EffectiveCost"]) == Decimal(row["ListCost"]) == rounded
        assert int(row["ConsumedQuantity"]) == tokens[key] > 0
        assert row["SkuId"] == f"{row['x_Model']}:{key[4]}:{key[5]}" and row["ConsumedUnit"] == "Tokens"
        assert row["BillingCurrency"] == "USD"
        assert row["ChargePeriodStart"].endswith("T00:00:00Z")
        assert datetime.fromisoformat(row["ChargePeriodEnd"]) - datetime.fromisoformat(
            row["ChargePeriodStart"]
        ) == timedelta(days=1)
    billed = sum(Decimal(r["BilledCost"]) for r in usage)
    true_total = sum((Decimal(r["true_cost_usd"]) for r in truth), Decimal(0))
    assert billed == Decimal(manifest["billed_usage_total"])
    assert true_total == Decimal(manifest["true_cost_total"]) == sum((c.cost for c in true_calls), Decimal(0))
    assert abs(billed - true_total) < Decimal("0.005") * len(usage)
    for provider, totals in manifest["by_provider"].items():
        assert Decimal(totals["billed_usage"]) == sum(
            Decimal(r["BilledCost"]) for r in usage if r["ProviderName"] == provider
        )
    # exactly one credit, not per bucket, negative
    assert len(credits) == 1
    credit = credits[0]
    assert credit["ChargeCategory"] == "Credit" and Decimal(credit["BilledCost"]) == Decimal("-25.00")
    assert credit["x_Model"] == "unknown" and credit["x_TokenBucket"] == "unknown"
    assert Decimal(manifest["credit_total"]) == Decimal("-25.00")


def test_ground_truth_is_exact_and_covers_every_true_call(
    truth: list[dict], true_calls: list[Call], manifest: dict
) -> None:
    assert list(truth[0]) == ["day", "tenant_id", "feature", "calls", "true_cost_usd"]
    assert sum(int(r["calls"]) for r in truth) == manifest["calls_true"] == len(true_calls)
    days = {r["day"] for r in truth}
    assert days == {(START + timedelta(days=i)).isoformat() for i in range(DAYS)}
    expected: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for call in true_calls:
        expected[(call.day.isoformat(), call.tenant_id, call.feature)] += call.cost
    for r in truth:
        value = Decimal(r["true_cost_usd"])
        assert value == expected[(r["day"], r["tenant_id"], r["feature"])]  # full precision, never rounded
        assert -value.as_tuple().exponent == 12
    assert len({r["tenant_id"] for r in truth}) == 20 and len({r["feature"] for r in truth}) == 10


# --------------------------------------------------------------------------------------------
# missing calls


def test_missing_calls_follow_the_systematic_rule(
    calls: list[dict], true_calls: list[Call], truth: list[dict], manifest: dict
) -> None:
    phases = {tuple(k.split("/")): v for k, v in manifest["missing_phases"].items()}
    # re-derive the lost calls from the true calls: every 100th non-app-hit call per stream
    streams: dict[tuple[str, str], list[Call]] = defaultdict(list)
    for call in sorted(true_calls, key=lambda c: (c.started_at, c.call_id)):
        if call.cache_outcome != "app_hit":
            streams[(call.tenant_id, call.feature)].append(call)
    expected_lost = {c.call_id for key, stream in streams.items() for c in stream[phases[key] - 1 :: 100]}
    logged_ids = {c["call_id"] for c in calls}
    assert len(logged_ids) == len(calls)
    assert {c.call_id for c in true_calls} - logged_ids == expected_lost
    assert logged_ids <= {c.call_id for c in true_calls}
    assert manifest["calls_missing"] == len(expected_lost)
    assert Decimal(manifest["missing_true_cost"]) == sum(c.cost for c in true_calls if c.call_id in expected_lost)
    assert manifest["calls_logged"] == len(calls) == manifest["calls_true"] - manifest["calls_missing"]
    assert 0.009 < manifest["calls_missing"] / manifest["calls_true"] < 0.011
    # the same count, from the files alone: ground-truth calls vs logged calls per stream
    true_count = Counter()
    for r in truth:
        true_count[(r["tenant_id"], r["feature"])] += int(r["calls"])
    hits = Counter((c["tenant_id"], c["feature"]) for c in calls if c["cache_outcome"] == "app_hit")
    non_hits = Counter((c["tenant_id"], c["feature"]) for c in calls if c["cache_outcome"] != "app_hit")
    for key, n in true_count.items():
        true_non_hits = n - hits[key]  # app hits are never lost
        assert n - hits[key] - non_hits[key] == missing_count(true_non_hits, phases[key]), key
        assert missing_count(true_non_hits, phases[key]) in (true_non_hits // 100, true_non_hits // 100 + 1)


# --------------------------------------------------------------------------------------------
# accuracy: allocate the bill onto the logged calls, as the warehouse will


def test_allocation_recovers_true_cost_per_tenant_feature(
    calls: list[dict], bill_rows: list[dict], truth: list[dict]
) -> None:
    grain_calls: dict[tuple, list[tuple[tuple[str, str], Decimal]]] = defaultdict(list)
    for call in calls:
        for bucket, cost in call["costs"].items():
            key = (
                call["provider"],
                call["billing_account"],
                call["day"],
                call["model_served"],
                bucket,
                call["service_tier"],
            )
            grain_calls[key].append(((call["tenant_id"], call["feature"]), cost))
    attributed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    unallocated = Decimal(0)
    for row in bill_rows:
        if row["ChargeCategory"] != "Usage":
            continue  # credits are not allocated
        billed = Decimal(row["BilledCost"])
        members = grain_calls.get(usage_grain(row), [])
        total = sum((cost for _, cost in members), Decimal(0))
        if not total:
            unallocated += billed
            continue
        for key, cost in members:
            attributed[key] += billed * cost / total
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in truth:
        expected[(r["tenant_id"], r["feature"])] += Decimal(r["true_cost_usd"])
    errors = {key: abs(attributed[key] / value - 1) for key, value in expected.items() if value}
    worst = max(errors, key=errors.get)
    assert len(errors) >= 60
    assert errors[worst] < Decimal("0.005"), f"{worst}: {errors[worst]:.4%}"
    assert unallocated == 0


def test_bill_matches_logged_cost_per_account_day(calls: list[dict], bill_rows: list[dict]) -> None:
    """Billed usage is within 2% of the logged calls' cost per provider x account x day.

    The vendor rounds every line to cents, so a small account-day (a dev project spending well
    under a dollar a day) also gets half a cent per line of slack on top of the 2%.
    """
    logged: dict[tuple[str, str, date], Decimal] = defaultdict(Decimal)
    for call in calls:
        logged[(call["provider"], call["billing_account"], call["day"])] += call["cost"]
    billed: dict[tuple[str, str, date], Decimal] = defaultdict(Decimal)
    lines: Counter = Counter()
    for row in bill_rows:
        if row["ChargeCategory"] == "Usage":
            key = usage_grain(row)[:3]
            billed[key] += Decimal(row["BilledCost"])
            lines[key] += 1
    assert billed.keys() == logged.keys() and len(billed) == 6 * DAYS
    gaps = {}
    for key, amount in billed.items():
        allowed = Decimal("0.02") * logged[key] + Decimal("0.005") * lines[key]
        assert abs(amount - logged[key]) <= allowed, (key, amount, logged[key])
        # and the warehouse's reconciliation rule: 2% of the bill, or at most $1.00 either way
        assert abs(amount - logged[key]) <= max(Decimal("0.02") * amount, Decimal("1.00")), key
        gaps[key] = amount / logged[key] - 1
    # the logs miss ~1% of the cost, evenly
    prod = [gap for (_, account, _), gap in gaps.items() if "prod" in account and "non" not in account]
    assert Decimal("0.007") < statistics.mean(prod) < Decimal("0.013")
    assert max(prod) < Decimal("0.02")


# --------------------------------------------------------------------------------------------
# the calls themselves


def test_call_records_are_well_formed(raw_records: dict[str, list[dict]], calls: list[dict]) -> None:
    omitted = 0
    for name, records in raw_records.items():
        file_day = date.fromisoformat(name[len("calls-") : len("calls-") + 10])
        for record in records:
            if name.endswith(".jsonl"):
                assert record.keys() >= REQUIRED_CALL_KEYS
                assert set(record) <= {f.name for f in CALL_FIELDS}
                assert None not in record.values()
                omitted += len(CALL_FIELDS) - len(record)
            assert normalize(record)["day"] == file_day  # files hold the calls of their UTC day
    assert omitted > 10_000  # keys with a default value are omitted, sometimes
    for call in calls:
        assert all(call[col] >= 0 for col in TOKEN_COLUMNS)
        assert call["reasoning_tokens"] <= call["output_tokens"]
        assert call["status"] in ("ok", "error")
        prod, other = SUB_ACCOUNTS[call["provider"]]
        assert call["billing_account"] == (prod if call["environment"] == "prod" else other)
        if call["cache_outcome"] == "app_hit":
            assert all(call[col] == 0 for col in TOKEN_COLUMNS) and call["cost"] == 0
        else:
            assert call["input_uncached_tokens"] + call["output_tokens"] > 0
        if call["routing_decision"] == "rerouted":
            assert call["model_served"] != call["model_requested"]
        else:
            assert call["model_served"] == call["model_requested"]
        if call["reasoning_tokens"]:
            assert call["model_served"] == "o3-mini"
        assert (call["service_tier"] == "batch") == (call["feature"] == "nightly_report")
    cache = {f: Counter() for f in {c["feature"] for c in calls}}
    routing = {f: Counter() for f in cache}
    for call in calls:
        cache[call["feature"]][call["cache_outcome"]] += 1
        routing[call["feature"]][call["routing_decision"]] += 1
    cached = {f for f, n in cache.items() if n["app_hit"]}
    routed = {f for f, n in routing.items() if n["rerouted"]}
    assert len(cached) == 4 and len(routed) == 3 and not cached & routed
    for feature in cache:  # a feature has an app cache / a router for all its calls, or for none
        assert (cache[feature]["none"] == 0) == (feature in cached)
        assert (routing[feature]["none"] == 0) == (feature in routed)
    hits = sum(cache[f]["app_hit"] for f in cached) / sum(cache[f]["app_hit"] + cache[f]["app_miss"] for f in cached)
    assert 0.06 < hits < 0.10
    rerouted = sum(routing[f]["rerouted"] for f in routed) / sum(
        routing[f]["rerouted"] + routing[f]["kept"] for f in routed
    )
    assert 0.25 < rerouted < 0.35
    envs = Counter(c["environment"] for c in calls)
    assert 0.75 < envs["prod"] / len(calls) < 0.85 and envs["dev"] < envs["staging"]
    anthropic = [c for c in calls if c["provider"] == "anthropic"]
    assert any(c["cache_write_tokens"] for c in anthropic) and any(c["cache_read_tokens"] for c in anthropic)
    assert any(c["cache_read_tokens"] for c in calls if c["provider"] == "openai")
    assert sum(c["status"] == "error" and c["output_tokens"] > 0 for c in calls) > 100


def test_timestamps_mix_styles_and_offsets_move_calls_across_midnight(
    raw_records: dict[str, list[dict]], manifest: dict
) -> None:
    styles: Counter = Counter()
    crosses = 0
    for name, records in raw_records.items():
        if not name.endswith(".jsonl"):
            continue
        for record in records:
            text = record["started_at"]
            if text.endswith("Z"):
                styles["Z"] += 1
            elif text.endswith("+00:00"):
                styles["+00:00"] += 1
            else:
                styles["offset"] += 1
                crosses += datetime.fromisoformat(text).date() != normalize(record)["day"]
    total = sum(styles.values())
    assert styles["Z"] / total > 0.8 and styles["+00:00"] / total > 0.05
    assert 0.003 < styles["offset"] / total < 0.008
    assert styles["offset"] == manifest["non_utc_timestamps"]
    assert crosses == manifest["non_utc_timestamps_local_day_differs"] > 10


def test_spike_day_has_five_times_the_usual_traffic(truth: list[dict], manifest: dict) -> None:
    spike = manifest["spike"]
    assert spike == {
        "day": "2026-10-20",
        "tenant": "t005",
        "tenant_id": "t005",
        "feature": "support_triage",
        "factor": 5,
    }
    per_day = {
        r["day"]: int(r["calls"])
        for r in truth
        if (r["tenant_id"], r["feature"]) == (spike["tenant_id"], spike["feature"])
    }
    others = [n for day, n in per_day.items() if day != spike["day"]]
    ratio = per_day[spike["day"]] / statistics.median(others)
    assert 4.0 < ratio < 6.5, ratio
    assert per_day[spike["day"]] > 2 * max(others)


def test_manifest_totals(manifest: dict, calls: list[dict]) -> None:
    assert manifest["price_change"] == {"provider": "anthropic", "model": "claude-sonnet-4-0", "day": "2026-10-15"}
    assert manifest["app_cache_hits"] == sum(c["cache_outcome"] == "app_hit" for c in calls) > 0
    logged_rerouted = sum(c["routing_decision"] == "rerouted" for c in calls)
    assert logged_rerouted <= manifest["rerouted_calls"] < logged_rerouted * 1.02
    assert manifest["batch_calls"] >= sum(c["service_tier"] == "batch" for c in calls) > 0
    assert set(manifest["by_provider"]) == {"openai", "anthropic", "google"}
    assert sum(Decimal(v["true_cost"]) for v in manifest["by_provider"].values()) == Decimal(
        manifest["true_cost_total"]
    )
    assert 80_000 < manifest["calls_true"] < 100_000


def test_the_loaders_accept_every_row(landing: Path, manifest: dict, tmp_path: Path) -> None:
    from ingest.loaders import load_landing
    from ingest.warehouse import connect

    con = connect(tmp_path / "w.duckdb")
    try:
        report = load_landing(con, landing)
        assert report.total("rows_quarantined") == 0
        assert con.execute("select count(*) from raw.calls").fetchone()[0] == manifest["calls_logged"]
        assert con.execute("select count(*) from raw.bill_lines").fetchone()[0] == manifest["billed_usage_lines"] + 1
        # the UTC instant decides the day, also for the non-UTC offsets
        days = con.execute("select count(distinct started_at::date) from raw.calls").fetchone()[0]
        assert days == DAYS
    finally:
        con.close()
