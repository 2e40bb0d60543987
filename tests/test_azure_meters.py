"""Azure OpenAI / Foundry Models meter names as Microsoft writes them (ingest.adapters.azure_meters) and the
units of Microsoft's FOCUS export (ingest.adapters.focus_skus.azure_quantity).

The whole-list test reads tests/fixtures/azure_meters/retail_price_meters.csv: every Azure OpenAI /
Foundry Models meter the Azure Retail Prices API listed (see the fixture's header for where it comes from)."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from ingest.adapters import azure_meters
from ingest.adapters.azure_meters import (
    FINE_TUNING,
    MODALITY,
    NO_DIRECTION,
    NOT_IN_CATALOG,
    UNRECOGNISED,
    AzureMeter,
    format_table,
    meter_table,
    parse_meter,
)
from ingest.adapters.focus_skus import AZURE_COLUMNS, azure_quantity
from ingest.catalog import resolve_model
from ingest.loaders import load_landing
from ingest.warehouse import connect

METERS = Path(__file__).parent / "fixtures" / "azure_meters" / "retail_price_meters.csv"


def _fixture_rows() -> list[dict[str, str]]:
    with METERS.open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def _pairs(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
    """Distinct (meter name, product): one meter is listed once per unit/price/region in the API."""
    return sorted({(r["meterName"], r["productName"]) for r in rows})


def _parts(meter: AzureMeter) -> tuple:
    return meter.model, meter.bucket, meter.tier, meter.deployment, meter.context, meter.modality, meter.reason


# ---------------------------------------------------------------------------------------------
# the grammar, meter by meter (names copied from the Retail Prices list; the issue's own examples marked)


@pytest.mark.parametrize(
    "meter, product, expected",
    [
        # deployment words never end up in the model (issue: "gpt 4.1 Outp Data Zone" -> gpt-4.1-data-zone)
        (
            "gpt 4.1 Outp Data Zone Tokens",
            "Azure OpenAI",
            ("gpt-4.1", "output", "standard", "data_zone", "standard", "text", None),
        ),
        (
            "gpt 4.1 Inp regnl Tokens",
            "Azure OpenAI",
            ("gpt-4.1", "input_uncached", "standard", "regional", "standard", "text", None),
        ),
        (
            "gpt 4.1 mini Batch Inp DZone Tokens",
            "Azure OpenAI",
            ("gpt-4.1-mini", "input_uncached", "batch", "data_zone", "standard", "text", None),
        ),
        # dated versions -> the dated model id (issue: gpt-4o-0806, -1120, -0513, gpt-4o-mini-0718, o3-mini-0131)
        (
            "gpt-4o-0806-Inp-glbl Tokens",
            "Azure OpenAI",
            ("gpt-4o-2024-08-06", "input_uncached", "standard", "global", "standard", "text", None),
        ),
        (
            "gpt 4o 1120 cached Inp Data Zone Tokens",
            "Azure OpenAI",
            ("gpt-4o-2024-11-20", "cache_read", "standard", "data_zone", "standard", "text", None),
        ),
        (
            "gpt 4o 0513 Output regional Tokens",
            "Azure OpenAI",
            ("gpt-4o-2024-05-13", "output", "standard", "regional", "standard", "text", None),
        ),
        (
            "gpt-4o-mini-0718-Outp-glbl Tokens",
            "Azure OpenAI",
            ("gpt-4o-mini-2024-07-18", "output", "standard", "global", "standard", "text", None),
        ),
        (
            "o3 mini 0131 cached input regnl Tokens",
            "Azure OpenAI",
            ("o3-mini-2025-01-31", "cache_read", "standard", "regional", "standard", "text", None),
        ),
        (
            "o4-mini 0416 Batch Outp Data Zone Tokens",
            "Azure OpenAI Reasoning",
            ("o4-mini-2025-04-16", "output", "batch", "data_zone", "standard", "text", None),
        ),
        (
            "gpt 4.5 0227 cached Inp glbl Tokens",
            "Azure OpenAI",
            ("gpt-4.5-preview-2025-02-27", "cache_read", "standard", "global", "standard", "text", None),
        ),
        (
            "o3-deep research 0626-inp-cchd-dzone 1M Tokens",
            "Azure OpenAI Reasoning",
            ("o3-deep-research-2025-06-26", "cache_read", "standard", "data_zone", "standard", "text", None),
        ),
        # run-together words (issue: bucket unknown for these)
        (
            "gpt 4o mini0718 BatchOutp DataZone Tokens",
            "Azure OpenAI",
            ("gpt-4o-mini-2024-07-18", "output", "batch", "data_zone", "standard", "text", None),
        ),
        (
            "gpt4o realtimePrvwTxtInp DataZone Tokens",
            "Azure OpenAI",
            ("gpt-4o-realtime-preview", "input_uncached", "standard", "data_zone", "standard", "text", None),
        ),
        (
            "gpt4omini-rt-txt1217 cchd Inp DZn Tokens",
            "Azure OpenAI",
            (
                "gpt-4o-mini-realtime-preview-2024-12-17",
                "cache_read",
                "standard",
                "data_zone",
                "standard",
                "text",
                None,
            ),
        ),
        # cached spellings (issue: ccchd, cched missed -> billed as uncached input)
        (
            "gpt-5-codex-ccchd-inp-glbl Tokens",
            "Azure OpenAI GPT5",
            ("gpt-5-codex", "cache_read", "standard", "global", "standard", "text", None),
        ),
        (
            "GPT 5 Mini Batch Inpt cchd Dzone 1M Tokens",
            "Azure OpenAI GPT5",
            ("gpt-5-mini", "cache_read", "batch", "data_zone", "standard", "text", None),
        ),
        (
            "codex mini inp cchd rgnl Tokens",
            "Azure OpenAI Reasoning",
            ("codex-mini", "cache_read", "standard", "regional", "standard", "text", None),
        ),
        # bare versions of the GPT5 product (issue: 5.1-codex, 5.4 resolved to nothing)
        (
            "5.1 codex cd inp Dz 1M Tokens",
            "Azure OpenAI GPT5",
            ("gpt-5.1-codex", "cache_read", "standard", "data_zone", "standard", "text", None),
        ),
        (
            "5.4 pp opt Gl 1M Tokens",
            "Azure OpenAI GPT5",
            ("gpt-5.4", "output", "priority", "global", "standard", "text", None),
        ),
        (
            "4.1 mini pp cd Inp Gl Tokens",
            "Azure OpenAI PP FT GPT4s",
            ("gpt-4.1-mini", "cache_read", "priority", "global", "standard", "text", None),
        ),
        # context tiers stay out of the name (issue: ShortCo / LongCo left in it); cache writes
        (
            "5.4 longco batch cd inp Dz 1M Tokens",
            "Azure OpenAI GPT5",
            ("gpt-5.4", "cache_read", "batch", "data_zone", "long", "text", None),
        ),
        (
            "5.5 ShortCo PP opt Gl 1M Tokens",
            "Azure OpenAI GPT5",
            ("gpt-5.5", "output", "priority", "global", "short", "text", None),
        ),
        (
            "5.6 sol LongCo Cd Wr Std DZ 1M Tokens",
            "Azure OpenAI GPT5",
            ("gpt-5.6-sol", "cache_write", "standard", "data_zone", "long", "text", None),
        ),
        (
            "5.2 chat 0210 opt Gl 1M Tokens",
            "Azure OpenAI GPT5",
            ("gpt-5.2-chat", "output", "standard", "global", "standard", "text", None),
        ),
        (
            "chat-latest 05052026 cd inp Gl 1M Tokens",
            "Azure OpenAI GPT5",
            ("gpt-chat-latest", "cache_read", "standard", "global", "standard", "text", None),
        ),
        # embeddings bill input only (issue: bucket unknown for every embedding meter)
        (
            "text embedding 3 small DZ Tokens",
            "Azure OpenAI Embedding",
            ("text-embedding-3-small", "input_uncached", "standard", "data_zone", "standard", "text", None),
        ),
        (
            "embedding-ada-regional Tokens",
            "Azure OpenAI",
            ("text-embedding-ada-002", "input_uncached", "standard", "regional", "standard", "text", None),
        ),
        # older families
        (
            "gpt-35-trb16K-Batch-125-Inp-glbl Tokens",
            "Azure OpenAI",
            ("gpt-35-turbo-0125", "input_uncached", "batch", "global", "standard", "text", None),
        ),
        (
            "gpt-4-turbo-Vision-128K Outp-glbl Tokens",
            "Azure OpenAI",
            ("gpt-4-vision-preview", "output", "standard", "global", "standard", "text", None),
        ),
        # realtime / audio / image: text tokens map, audio and image tokens keep the model, not a bucket
        (
            "gpt-4o-rt-aud-1217 cchd Inp DZn Tokens",
            "Azure OpenAI",
            ("gpt-4o-realtime-preview-2024-12-17", "unknown", "standard", "data_zone", "standard", "audio", MODALITY),
        ),
        (
            "gpt-4o-aud-0603-txt Outp glbl Tokens",
            "Azure OpenAI",
            ("gpt-4o-audio-preview-2025-06-03", "output", "standard", "global", "standard", "text", None),
        ),
        (
            "gpt aud 0828 Inp regnl Tokens",
            "Azure OpenAI Media",
            ("gpt-audio-2025-08-28", "unknown", "standard", "regional", "standard", "audio", MODALITY),
        ),
        (
            "gpt rt txt mn cd in DZ 1215 1M Tokens",
            "Azure OpenAI Media",
            ("gpt-realtime-mini-2025-12-15", "cache_read", "standard", "data_zone", "standard", "text", None),
        ),
        (
            "gpt-realtime-2.1 Audio opt Gl 1M Tokens",
            "Azure OpenAI Media",
            ("gpt-realtime-2.1", "unknown", "standard", "global", "standard", "audio", MODALITY),
        ),
        (
            "gpt-image-1-inp-txt-glbl Tokens",
            "Azure OpenAI",
            ("gpt-image-1", "input_uncached", "standard", "global", "standard", "text", None),
        ),
        (
            "Image 2 img Batch inp DZ 1M Tokens",
            "Azure OpenAI Media",
            ("gpt-image-2", "unknown", "batch", "data_zone", "standard", "image", MODALITY),
        ),
        (
            "gpt 4o tcrb d aud inp dz Tokens",
            "Azure OpenAI Media",
            ("gpt-4o-transcribe-diarize", "unknown", "standard", "data_zone", "standard", "audio", MODALITY),
        ),
        # never a made-up model: fine-tuning, one-rate meters, names the catalog does not know
        (
            "gpt-4o-0806-cached-FT-inp-glbl Tokens",
            "Azure OpenAI",
            ("unknown", "unknown", "standard", "global", "standard", "text", FINE_TUNING),
        ),
        (
            "gpt-4.1-ft mdl grdr cchd inpt Tokens",
            "Azure OpenAI",
            ("unknown", "unknown", "standard", "unknown", "standard", "text", FINE_TUNING),
        ),
        (
            "babbage-002-base-glbl Tokens",
            "Azure OpenAI",
            ("babbage-002", "unknown", "standard", "global", "standard", "text", NO_DIRECTION),
        ),
        (
            "gpt-latest 05052026 inp Gl 1M Tokens",
            "Azure OpenAI Media",
            ("gpt-latest-2026-05-05", "input_uncached", "standard", "global", "standard", "text", NOT_IN_CATALOG),
        ),
        # the other Foundry vendors: a bare version is the product's model, never a GPT
        (
            "4.3 Cached Inp DZ L Tokens",
            "Azure Grok Models",
            ("grok-4.3", "cache_read", "standard", "data_zone", "long", "text", None),
        ),
        ("4.3 Inp DZ Tokens", None, ("unknown", "unknown", "standard", "data_zone", "standard", "text", UNRECOGNISED)),
        (
            "V4 Flash cached glbl Tokens",
            "Azure Deepseek Models",
            ("deepseek-v4-flash", "cache_read", "standard", "global", "standard", "text", None),
        ),
        (
            "K2.5 Thinking Outp DZ Tokens",
            "Azure Kimi",
            ("kimi-k2.5-thinking", "output", "standard", "data_zone", "standard", "text", None),
        ),
        (
            "FW DeepSeekV3.2 Cache Inp DZ Tokens",
            "Azure Fireworks Models",
            ("deepseek-v3.2", "cache_read", "standard", "data_zone", "standard", "text", None),
        ),
        (
            "Llama 3.3 70B Outp glbl Tokens",
            "Azure Llama Models",
            ("llama-3.3-70b", "output", "standard", "global", "standard", "text", NOT_IN_CATALOG),
        ),
    ],
)
def test_meter_grammar(meter, product, expected):
    assert _parts(parse_meter(meter, product)) == expected


@pytest.mark.parametrize(
    "meter, expected",
    [
        # quoted in issue 22 (not in the Retail Prices snapshot the fixture holds): priority spelled pp / prty
        ("gpt 41 mn pp out glb Tokens", ("gpt-4.1-mini", "output", "priority", "global")),
        ("gpt 41 prty inp glbl Tokens", ("gpt-4.1", "input_uncached", "priority", "global")),
        (
            "gpt-4o-rt-aud-1217 cchd Inp DZn Tokens",
            ("gpt-4o-realtime-preview-2024-12-17", "unknown", "standard", "data_zone"),
        ),
    ],
)
def test_issue_examples(meter, expected):
    parsed = parse_meter(meter, "Azure OpenAI")
    assert (parsed.model, parsed.bucket, parsed.tier, parsed.deployment) == expected


@pytest.mark.parametrize(
    "meter, kind",
    [
        ("Provisioned Managed Global Unit", "provisioned"),
        ("Provisioned Managed Data Zone Unit", "provisioned"),
        ("Az-Provisioned Throughput Units", "provisioned"),
        ("gpt-4.1-ft hosting global Unit", "other"),
        ("Sora 2 pro glbl Second", "other"),
        ("Image-Dall-E-3 HD HighRes-glbl Images", "other"),
        ("GPT 5 Batch Inpt Glbl", "tokens"),  # a SKU name without its unit word still names a direction
    ],
)
def test_meter_kind(meter, kind):
    parsed = parse_meter(meter, "Azure OpenAI")
    assert parsed.kind == kind
    if kind != "tokens":
        assert (parsed.model, parsed.bucket) == ("unknown", "unknown")


# ---------------------------------------------------------------------------------------------
# the whole public list

EXPECTED_TABLE = {
    # label: (all Foundry Models meters in the fixture, the Azure OpenAI products among them)
    "token meters": (1427, 1224),
    "  mapped": (943, 845),
    "  unresolved: fine-tuning": (180, 162),
    "  unresolved: audio/image tokens": (207, 207),
    "  unresolved: no token direction": (7, 7),
    "  unresolved: model not in price catalog": (90, 3),
    "  unresolved: unrecognised meter words": (0, 0),
    "non-token meters: provisioned": (25, 9),
    "non-token meters: other": (165, 141),
}


def test_whole_retail_price_list(capsys):
    rows = _fixture_rows()
    assert {r["source"] for r in rows} == {"retail-2026-08-11", "retail-2025-08-25"}
    pairs = _pairs(rows)
    openai = [(m, p) for m, p in pairs if "OpenAI" in p]
    table_all, table_openai = meter_table(pairs), meter_table(openai)
    with capsys.disabled():
        print(f"\nAzure meters ({METERS.name}): all Foundry products | Azure OpenAI products")
        width = max(len(label) for label, _ in table_all)
        for (label, n_all), (_, n_openai) in zip(table_all, table_openai):
            print(f"{label:<{width}}  {n_all:>5}  {n_openai:>5}")
    assert {label: (a, o) for (label, a), (_, o) in zip(table_all, table_openai)} == EXPECTED_TABLE
    assert format_table(table_all).splitlines()[0].startswith("token meters")


def test_every_mapped_meter_resolves_and_keeps_no_meter_words_in_the_model():
    parsed = [parse_meter(m, p) for m, p in _pairs(_fixture_rows())]
    mapped = [m for m in parsed if m.mapped]
    unresolved = [m for m in parsed if m.kind == "tokens" and not m.mapped]
    assert not [m.model for m in mapped if resolve_model("azure_openai", m.model) is None]
    assert not [
        m.model
        for m in mapped + unresolved
        if m.model != "unknown"
        and re.search(
            r"glbl|dzone|dzn|data-zone|regnl|rgnl|shortco|longco|batch|prty|cchd|cached|tokens"
            r"|(^|-)(gl|dz|pp|inp|outp|opt|cd)(-|$)",
            m.model,
        )
    ]
    assert all(m.bucket in ("input_uncached", "cache_read", "cache_write", "output") for m in mapped)
    assert all(m.tier in ("standard", "batch", "priority") for m in mapped)
    # a meter the grammar cannot read keeps model and bucket unknown; a known model keeps its name
    assert all(
        (m.model, m.bucket) == ("unknown", "unknown") for m in unresolved if m.reason in (FINE_TUNING, UNRECOGNISED)
    )
    assert all(m.bucket == "unknown" for m in unresolved if m.reason in (MODALITY, NO_DIRECTION))
    # the parts of the grammar all occur on the real list
    # (the legacy "Az-GPT4-Turbo-128K Input Tokens" meters name no deployment)
    assert Counter(m.deployment for m in mapped).keys() == {"global", "data_zone", "regional", "unknown"}
    assert Counter(m.context for m in mapped).keys() == {"standard", "short", "long"}
    assert {m.bucket for m in mapped} == {"input_uncached", "cache_read", "cache_write", "output"}


def test_same_model_across_deployments_and_tiers_is_one_name():
    """One model is one name whatever the deployment, tier, context or spelling (the issue's 'one model becomes
    several names')."""
    parsed = [parse_meter(m, p) for m, p in _pairs(_fixture_rows())]
    gpt41 = {
        m.model
        for m in parsed
        if m.mapped and re.match(r"(gpt )?4\.1 (pp |Batch |cached |Inp|Outp|cd |inp|opt)", m.meter)
    }
    assert gpt41 == {"gpt-4.1"}
    gpt54 = {m.model for m in parsed if m.mapped and re.match(r"5\.4 (pp|Batch|longco|cd|inp|opt)", m.meter)}
    assert gpt54 == {"gpt-5.4"}


# ---------------------------------------------------------------------------------------------
# units: ConsumedQuantity in tokens, whatever the export's unit form

TOKEN_METER = {"x_SkuMeterName": "gpt 4o 0806 cached Inp glbl Tokens", "x_SkuMeterSubcategory": "Azure OpenAI"}


@pytest.mark.parametrize(
    "columns, expected",
    [
        # the block in ConsumedUnit: the quantity counts blocks
        ({"ConsumedQuantity": "12.5", "ConsumedUnit": "1K Tokens"}, "12500"),
        ({"ConsumedQuantity": "0.05", "ConsumedUnit": "1M Tokens"}, "50000"),
        ({"ConsumedQuantity": "3", "ConsumedUnit": "1,000 Tokens"}, "3000"),
        # Microsoft's FOCUS export: distinct units in ConsumedUnit, the block in x_PricingBlockSize /
        # x_PricingUnitDescription, PricingQuantity = ConsumedQuantity / block: the quantity counts tokens
        (
            {
                "ConsumedQuantity": "12500",
                "ConsumedUnit": "Units",
                "PricingQuantity": "12.5",
                "PricingUnit": "Units",
                "x_PricingBlockSize": "1000",
                "x_PricingUnitDescription": "1K",
            },
            "12500",
        ),
        (
            {
                "ConsumedQuantity": "50000",
                "ConsumedUnit": "Units",
                "PricingQuantity": "0.05",
                "x_PricingUnitDescription": "1M",
            },
            "50000",
        ),
        ({"ConsumedQuantity": "12500", "ConsumedUnit": "Units", "x_PricingUnitDescription": "1K Tokens"}, "12500"),
        # ... unless ConsumedQuantity repeats PricingQuantity: then it counts blocks
        (
            {
                "ConsumedQuantity": "12.5",
                "ConsumedUnit": "Units",
                "PricingQuantity": "12.5",
                "x_PricingBlockSize": "1000",
                "x_PricingUnitDescription": "1K",
            },
            "12500",
        ),
        (
            {
                "ConsumedQuantity": "0.05",
                "ConsumedUnit": "Units",
                "PricingQuantity": "0.05",
                "x_PricingUnitDescription": "1M",
            },
            "50000",
        ),
        # already tokens
        ({"ConsumedQuantity": "777", "ConsumedUnit": "Tokens"}, "777"),
    ],
)
def test_token_quantity_per_unit_form(columns, expected):
    assert azure_quantity({**TOKEN_METER, **columns}) == (expected, "Tokens")


def test_non_token_quantities_pass_through():
    ptu = {
        "x_SkuMeterName": "Provisioned Managed Global Unit",
        "ConsumedQuantity": "24",
        "ConsumedUnit": "Units/Hour",
        "x_PricingUnitDescription": "1/Hour",
        "x_PricingBlockSize": "1",
    }
    assert azure_quantity(ptu) == ("24", "Units/Hour")
    assert azure_quantity({**TOKEN_METER, "ConsumedQuantity": None, "ConsumedUnit": None}) == (None, None)


# ---------------------------------------------------------------------------------------------
# a Microsoft FOCUS export end to end: units, meters, provisioned throughput

HEADER = [*AZURE_COLUMNS, "PricingQuantity", "PricingUnit"]


def _export_row(meter: str, subcategory: str, quantity: str, unit: str, cost: str, **extra: str) -> dict[str, str]:
    row = dict.fromkeys(HEADER, "")
    row.update(
        BilledCost=cost,
        EffectiveCost=cost,
        ListCost=cost,
        BillingAccountId="/providers/ba/1",
        BillingCurrency="USD",
        ChargeCategory="Usage",
        ChargePeriodStart="2025-08-01T00:00:00Z",
        ChargePeriodEnd="2025-08-02T00:00:00Z",
        ConsumedQuantity=quantity,
        ConsumedUnit=unit,
        ServiceName="Azure AI Services",
        SubAccountId="/subscriptions/aaaa",
        x_SkuMeterCategory="Foundry Models",
        x_SkuMeterName=meter,
        x_SkuMeterSubcategory=subcategory,
        SkuId="DZH318Z0HHG7/1SFR",
    )
    row.update(extra)
    return row


def test_microsoft_focus_export_loads_tokens_and_keeps_provisioned_hours(tmp_path):
    rows = [
        _export_row(
            "gpt 4.1 Outp Data Zone Tokens",
            "Azure OpenAI",
            "250000",
            "Units",
            "2.20",
            PricingQuantity="250",
            PricingUnit="Units",
            x_PricingBlockSize="1000",
            x_PricingUnitDescription="1K",
        ),
        _export_row(
            "gpt-5-codex-ccchd-inp-glbl Tokens",
            "Azure OpenAI GPT5",
            "4",
            "Units",
            "0.0005",
            PricingQuantity="4",
            x_PricingBlockSize="1000",
            x_PricingUnitDescription="1K",
        ),
        _export_row(
            "5.4 pp inp Gl 1M Tokens",
            "Azure OpenAI GPT5",
            "2000000",
            "Units",
            "10.00",
            PricingQuantity="2",
            x_PricingBlockSize="1000000",
            x_PricingUnitDescription="1M",
        ),
        _export_row(
            "Provisioned Managed Global Unit",
            "Azure OpenAI",
            "24",
            "Units/Hour",
            "24.00",
            PricingQuantity="24",
            x_PricingBlockSize="1",
            x_PricingUnitDescription="1/Hour",
        ),
        _export_row(
            "4.3 Inp DZ Tokens",
            "Azure Grok Models",
            "1000",
            "Units",
            "0.0013",
            PricingQuantity="1",
            x_PricingBlockSize="1000",
            x_PricingUnitDescription="1K",
        ),
    ]
    path = tmp_path / "landing" / "billing" / "focus_azure" / "export.csv"
    path.parent.mkdir(parents=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    con = connect(tmp_path / "wh.duckdb")
    try:
        (result,) = load_landing(con, tmp_path / "landing").files
        assert (result.rows_read, result.rows_quarantined) == (5, 0)
        got = con.execute(
            'select "x_Model", "x_TokenBucket", "x_ServiceTier", "ConsumedQuantity"::varchar, '
            '"ConsumedUnit", "BilledCost"::varchar from raw.bill_lines order by _line'
        ).fetchall()
    finally:
        con.close()
    assert got == [
        ("gpt-4.1", "output", "standard", "250000.000000", "Tokens", "2.200000000000"),
        ("gpt-5-codex", "cache_read", "standard", "4000.000000", "Tokens", "0.000500000000"),
        ("gpt-5.4", "input_uncached", "priority", "2000000.000000", "Tokens", "10.000000000000"),
        # provisioned throughput: non-token usage of the account, its cost kept, hours as exported
        ("unknown", "unknown", "standard", "24.000000", "Units/Hour", "24.000000000000"),
        ("grok-4.3", "input_uncached", "standard", "1000.000000", "Tokens", "0.001300000000"),
    ]


def test_module_reasons_are_the_table_rows():
    labels = [label for label, _ in meter_table([])]
    assert [label.removeprefix("  unresolved: ") for label in labels if "unresolved" in label] == list(
        azure_meters.REASONS
    )


def test_a_bare_version_under_a_generic_product_is_not_read_as_gpt():
    for product in (None, "Foundry Models"):
        assert _parts(parse_meter("4.3 Outp Glbl Tokens", product))[0::6] == ("unknown", UNRECOGNISED)
    assert parse_meter("5.4 opt Gl 1M Tokens", "Foundry Models").model == "gpt-5.4"  # known to the catalog
