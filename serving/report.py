"""A self-contained HTML spend report (plotly, with plotly.js inlined so it opens offline).

Sections: daily spend by provider over the trailing 90 days with a 7-day average trend, top features
and top tenants of the latest month, reconciliation per provider (month rollup and out-of-tolerance
days), and the anomalies of marts.fct_cost_anomalies (critical first).

"Spend" is usage billed or estimated (cost kinds usage and unattributed_usage, attributed cost);
credits and adjustments are reported apart. Money is DECIMAL in the warehouse and rounded to cents
only here, for display. Reads the serving file or the build file (read-only).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

TREND_DAYS = 90
ANOMALY_ROWS = 50
TOP_N = 10

SPEND_KINDS = "('usage', 'unattributed_usage')"

DAILY_SQL = f"""
with bounds as (
    select max(cost_day) as last_day from marts.fct_cost_daily
),

daily as (
    select cost_day, provider, sum(attributed_cost) as spend
    from marts.fct_cost_daily
    where cost_kind in {SPEND_KINDS}
    group by cost_day, provider
),

trended as (
    select
        cost_day,
        provider,
        spend,
        avg(spend) over (
            partition by provider order by cost_day
            range between interval 6 days preceding and current row
        ) as avg_7d
    from daily
)

select t.cost_day, t.provider, t.spend, t.avg_7d
from trended as t
cross join bounds as b
where t.cost_day > b.last_day - interval {TREND_DAYS} days
order by t.provider, t.cost_day
"""

LATEST_MONTH_SQL = "select date_trunc('month', max(cost_day))::date from marts.fct_cost_daily"

TOP_FEATURES_SQL = """
select feature, sum(calls) as calls, sum(attributed_cost) as cost
from marts.fct_cost_daily
where cost_kind = 'usage' and cost_day >= ? and cost_day < ?::date + interval 1 month
group by feature
order by cost desc, feature
limit ?
"""

TOP_TENANTS_SQL = """
select
    d.tenant_id,
    coalesce(t.tenant_name, d.tenant_id) as tenant_name,
    coalesce(t.plan, 'unknown') as plan,
    sum(d.attributed_cost) as cost
from marts.fct_cost_daily as d
left join marts.dim_tenants as t on t.tenant_id = d.tenant_id
where d.cost_kind = 'usage' and d.cost_day >= ? and d.cost_day < ?::date + interval 1 month
group by all
order by cost desc, d.tenant_id
limit ?
"""

RECONCILIATION_SQL = """
with bad_days as (
    select
        date_trunc('month', period_start)::date as month_start,
        provider,
        billing_account,
        count(*) filter (where reconciliation_status = 'out_of_tolerance') as out_of_tolerance_days,
        count(*) filter (where reconciliation_status in ('awaiting_bill', 'awaiting_calls')) as awaiting_days
    from marts.fct_reconciliation
    where period_grain = 'day'
    group by all
)

select
    strftime(m.period_start, '%Y-%m') as month,
    m.provider,
    m.billing_account,
    m.computed_cost,
    m.billed_usage_cost,
    m.variance_cost,
    m.variance_pct,
    m.credits_and_adjustments_cost,
    m.reconciliation_status,
    coalesce(b.out_of_tolerance_days, 0) as out_of_tolerance_days,
    coalesce(b.awaiting_days, 0) as awaiting_days,
    coalesce(m.allocated_at, '-') as allocated_at,
    m.fallback_allocated_cost
from marts.fct_reconciliation as m
left join bad_days as b
    on b.month_start = m.period_start and b.provider = m.provider and b.billing_account = m.billing_account
where m.period_grain = 'month'
order by m.period_start, m.provider, m.billing_account
"""

# The anomalies fct_cost_anomalies found (its rules, not a second copy here): critical first, newest
# first, at most ANOMALY_ROWS of them.
ANOMALIES_SQL = """
select period_start, anomaly_type, axis, axis_value, severity, actual, expected, ratio
from marts.fct_cost_anomalies
order by severity = 'critical' desc, period_start desc, anomaly_type, axis, axis_value
"""

# The reconciliation rule's numbers as fct_reconciliation carries them (null before the first period).
TOLERANCE_SQL = "select max(tolerance_pct), max(materiality_usd) from marts.fct_reconciliation"

TOTALS_SQL = f"""
select
    min(cost_day),
    max(cost_day),
    sum(attributed_cost) filter (where cost_kind in {SPEND_KINDS}),
    sum(attributed_cost) filter (where cost_kind not in {SPEND_KINDS}),
    sum(attributed_cost),
    sum(calls)
from marts.fct_cost_daily
"""


@dataclass(frozen=True)
class ReportData:
    first_day: date | None
    last_day: date | None
    spend: Decimal
    credits: Decimal
    net: Decimal
    calls: int
    daily: list[tuple]
    month: date | None
    features: list[tuple]
    tenants: list[tuple]
    reconciliation: list[tuple]
    anomalies: list[tuple]
    tolerance: tuple[Decimal | None, Decimal | None]


def cents(value: object) -> Decimal:
    """Round money to cents for display (half up, as invoices do)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def money(value: object) -> str:
    if value is None:
        return "–"
    amount = cents(value)
    return f"-${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"


def percent(value: object) -> str:
    return "–" if value is None else f"{float(value):.2%}"


def _period(start: datetime, anomaly_type: str) -> str:
    return start.strftime("%Y-%m-%d %H:00") if anomaly_type == "hourly_spend" else start.strftime("%Y-%m-%d")


def load(path: Path) -> ReportData:
    con = duckdb.connect(str(path), read_only=True)
    try:
        first, last, spend, credits, net, calls = con.execute(TOTALS_SQL).fetchone()
        month = con.execute(LATEST_MONTH_SQL).fetchone()[0]
        return ReportData(
            first_day=first,
            last_day=last,
            spend=spend or Decimal(0),
            credits=credits or Decimal(0),
            net=net or Decimal(0),
            calls=int(calls or 0),
            daily=con.execute(DAILY_SQL).fetchall(),
            month=month,
            features=con.execute(TOP_FEATURES_SQL, [month, month, TOP_N]).fetchall() if month else [],
            tenants=con.execute(TOP_TENANTS_SQL, [month, month, TOP_N]).fetchall() if month else [],
            reconciliation=con.execute(RECONCILIATION_SQL).fetchall(),
            anomalies=con.execute(ANOMALIES_SQL).fetchall(),
            tolerance=con.execute(TOLERANCE_SQL).fetchone(),
        )
    finally:
        con.close()


def _daily_figure(data: ReportData):
    import plotly.graph_objects as go
    from plotly.colors import qualitative

    fig = go.Figure()
    providers = sorted({row[1] for row in data.daily})
    for index, provider in enumerate(providers):
        color = qualitative.Plotly[index % len(qualitative.Plotly)]
        rows = [r for r in data.daily if r[1] == provider]
        days = [r[0] for r in rows]
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[float(cents(r[2])) for r in rows],
                mode="lines+markers",
                name=f"{provider}",
                legendgroup=provider,
                line={"color": color},
                hovertemplate="%{x|%Y-%m-%d} %{y:$,.2f}<extra>" + html.escape(provider) + "</extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[float(cents(r[3])) for r in rows],
                mode="lines",
                name=f"{provider} 7-day average",
                legendgroup=provider,
                line={"dash": "dot", "color": color},
                opacity=0.7,
                hovertemplate="%{x|%Y-%m-%d} 7-day avg %{y:$,.2f}<extra>" + html.escape(provider) + "</extra>",
            )
        )
    fig.update_layout(
        title=f"Daily spend by provider, trailing {TREND_DAYS} days",
        yaxis_title="USD / day",
        yaxis_tickformat="$,.2f",
        hovermode="x unified",
        height=420,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return fig


def _bar_figure(title: str, labels: list[str], values: list[object], hover: list[str]):
    import plotly.graph_objects as go

    amounts = [float(cents(v)) for v in values]
    fig = go.Figure(
        go.Bar(
            x=amounts[::-1],
            y=labels[::-1],
            orientation="h",
            text=[money(v) for v in values][::-1],
            textposition="auto",
            customdata=hover[::-1],
            hovertemplate="%{customdata}: %{x:$,.2f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title="attributed cost (USD)",
        xaxis_tickformat="$,.2f",
        height=max(260, 40 + 32 * len(labels)),
        margin={"l": 160, "r": 20, "t": 50, "b": 40},
    )
    return fig


def _table(headers: list[str], rows: list[list[str]], numeric: set[int], row_class=None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for index, row in enumerate(rows):
        cls = f' class="{row_class(index)}"' if row_class and row_class(index) else ""
        cells = "".join(f"<td{' class=num' if i in numeric else ''}>{html.escape(v)}</td>" for i, v in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render(data: ReportData, source: Path) -> str:
    month = data.month.strftime("%Y-%m") if data.month else "–"
    figures = [
        _daily_figure(data),
        _bar_figure(
            f"Top features, {month}",
            [r[0] for r in data.features],
            [r[2] for r in data.features],
            [f"{r[0]} ({r[1]:,} calls)" for r in data.features],
        ),
        _bar_figure(
            f"Top tenants, {month}",
            [r[1] for r in data.tenants],
            [r[3] for r in data.tenants],
            [f"{r[0]} {r[1]} ({r[2]})" for r in data.tenants],
        ),
    ]
    # plotly.js (~5 MB) is inlined once, with the first figure; the others reuse it.
    divs = [
        fig.to_html(
            full_html=False,
            include_plotlyjs=(i == 0),
            div_id=f"fig-{i}",
            config={"displaylogo": False, "responsive": True},
        )
        for i, fig in enumerate(figures)
    ]

    rec_rows = [
        [
            r[0],
            r[1],
            r[2],
            money(r[3]),
            money(r[4]),
            money(r[5]),
            percent(r[6]),
            money(r[7]),
            r[8],
            str(r[9]),
            str(r[10]),
            r[11].replace("_", " "),
            money(r[12]),
        ]
        for r in data.reconciliation
    ]
    reconciliation = (
        _table(
            [
                "month",
                "provider",
                "billing account",
                "computed",
                "billed usage",
                "variance",
                "variance %",
                "credits & adjustments",
                "status",
                "days out of tolerance",
                "days awaiting bill or calls",
                "allocated at (coarsest)",
                "allocated at a coarser grain",
            ],
            rec_rows,
            numeric={3, 4, 5, 6, 7, 9, 10, 12},
            row_class=lambda i: (
                "bad"
                if data.reconciliation[i][8] not in ("reconciled", "acknowledged") or data.reconciliation[i][9]
                else ""
            ),
        )
        if rec_rows
        else "<p>No reconciliation rows yet.</p>"
    )

    if data.anomalies:
        shown = data.anomalies[:ANOMALY_ROWS]
        anomalies = _table(
            ["period", "type", "axis", "value", "severity", "actual", "expected", "ratio"],
            [
                [
                    _period(r[0], r[1]),
                    r[1].replace("_", " "),
                    r[2],
                    r[3],
                    r[4],
                    money(r[5]),
                    money(r[6]),
                    f"{float(r[7]):.2f}x",
                ]
                for r in shown
            ],
            numeric={5, 6, 7},
            row_class=lambda i: "bad" if shown[i][4] == "critical" else "",
        )
        if len(data.anomalies) > len(shown):
            anomalies += (
                f'<p class="meta">{len(shown)} of {len(data.anomalies)} anomalies shown: the rest are in '
                "marts.fct_cost_anomalies.</p>"
            )
    else:
        anomalies = "<p>No anomaly: no spend crossed the rules of marts.fct_cost_anomalies.</p>"
    tolerance, materiality = data.tolerance
    rule = (
        f"tolerance {percent(tolerance)}, or a gap of at most {money(materiality)}"
        if tolerance is not None
        else "no period judged yet"
    )

    period = f"{data.first_day} .. {data.last_day}" if data.first_day else "no data"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AI spend report {html.escape(period)}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1200px;
       padding: 0 1rem; color: #1f2933; }}
h1 {{ margin-bottom: .2rem; }} h2 {{ margin-top: 2.2rem; border-bottom: 1px solid #d9e2ec; }}
.meta {{ color: #616e7c; }}
.kpis {{ display: flex; gap: 2rem; flex-wrap: wrap; margin: 1rem 0; }}
.kpi {{ background: #f0f4f8; padding: .8rem 1.2rem; border-radius: 6px; }}
.kpi b {{ display: block; font-size: 1.4rem; }}
table {{ border-collapse: collapse; width: 100%; font-size: .9rem; }}
th, td {{ border-bottom: 1px solid #e4e7eb; padding: .35rem .5rem; text-align: left; }}
td {{ white-space: nowrap; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr.bad td {{ background: #fff3f3; }}
.grid {{ display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }}
@media (max-width: 900px) {{ .grid {{ grid-template-columns: 1fr; }} }}
</style>
</head>
<body>
<h1>AI spend report</h1>
<p class="meta">{html.escape(period)} &middot; source {html.escape(source.name)} &middot; generated {generated}</p>
<div class="kpis">
  <div class="kpi">spend (usage)<b>{money(data.spend)}</b></div>
  <div class="kpi">credits &amp; adjustments<b>{money(data.credits)}</b></div>
  <div class="kpi">net billed<b>{money(data.net)}</b></div>
  <div class="kpi">logged calls<b>{data.calls:,}</b></div>
</div>

<h2 id="daily-spend">Daily spend by provider</h2>
<p class="meta">Attributed cost per UTC day (bill allocated onto calls, list-price estimate where the bill has not
arrived), dotted: 7-day average.</p>
{divs[0]}

<h2 id="top-features-tenants">Top features and tenants ({html.escape(month)})</h2>
<div class="grid">
<div>{divs[1]}</div>
<div>{divs[2]}</div>
</div>

<h2 id="reconciliation">Reconciliation by provider</h2>
<p class="meta">Computed (list) cost vs the vendor's billed usage per month; days out of tolerance counted from
the day grain ({rule}).</p>
{reconciliation}

<h2 id="anomalies">Anomalies</h2>
<p class="meta">Spend that crossed the anomaly rules of marts.fct_cost_anomalies (daily spend, hourly spend,
cost per call, on every axis; the rules are described in the dbt docs), critical first, newest first.</p>
{anomalies}
</body>
</html>
"""


def write_report(serving_or_build_path: Path, out_html: Path) -> Path:
    """Write the report for a warehouse file (serving or build) to ``out_html``; returns its path."""
    source = Path(serving_or_build_path)
    if not source.is_file():
        raise FileNotFoundError(f"no warehouse at {source}")
    text = render(load(source), source)
    out = Path(out_html)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out
