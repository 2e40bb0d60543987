"""A self-contained HTML spend report (plotly, with plotly.js inlined so it opens offline).

Sections: what needs attention first (serving/attention.py, as `finops summary`: the open alerts of
marts.fct_alerts, critical first; the reconciliation periods out of tolerance; unpriced models;
quarantined rows per file with their top reasons), then daily spend by provider over the trailing 90
days with a 7-day average trend, top features and top tenants of the latest month, reconciliation per
provider (month rollup and out-of-tolerance days), and the anomalies of marts.fct_cost_anomalies
(critical first, then newest first).

"Spend" is usage billed or estimated (cost kinds usage and unattributed_usage, attributed cost);
credits and adjustments are reported apart. Money is DECIMAL in the warehouse and rounded to cents
only here, for display. Reads the serving file or the build file (read-only). The quarantine is not
published: from a serving file it is read from the build file named in its meta.published, unless a
pipeline run is on that file (then the report says it is not available).
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

from serving.attention import (
    ALERT_WINDOW_DAYS,
    Attention,
    Quarantine,
    attention,
    has_quarantine,
    published_from,
    quarantine_in,
    read_quarantine,
)

TREND_DAYS = 90
ANOMALY_ROWS = 200
ATTENTION_ROWS = 10  # alerts, out-of-tolerance periods, unpriced models, quarantined files shown each
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

# The anomalies fct_cost_anomalies found (its rules, not a second copy here): critical first, then
# newest first; the report shows at most ANOMALY_ROWS of them.
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
    attention: Attention


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


def _quarantine(con: duckdb.DuckDBPyConnection, build_path: Path | None) -> Quarantine:
    """raw.quarantine of the report's own file (a build file), else of the build file given or named by the
    serving file's meta.published (never opened while a run is on it)."""
    if has_quarantine(con):
        return quarantine_in(con)
    build = build_path or published_from(con)
    if build is None:
        return Quarantine(files=(), unavailable="this file has no raw.quarantine and names no build file")
    return read_quarantine(build)


def load(path: Path, build_path: Path | None = None) -> ReportData:
    """The report's numbers from the warehouse file ``path`` (serving or build); ``build_path``: where to
    read the quarantine from when ``path`` is a serving file (default: the build file it was published
    from)."""
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
            attention=attention(con, _quarantine(con, build_path)),
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


def _table(
    headers: list[str],
    rows: list[list[str]],
    numeric: set[int],
    row_class: Callable[[int], str] | None = None,
    wrap: set[int] | frozenset[int] = frozenset(),
) -> str:
    """An HTML table of text cells (escaped here); ``numeric`` columns right-aligned, ``wrap`` columns
    allowed to wrap (long messages, file paths)."""
    head = "".join(f"<th{' class=num' if i in numeric else ''}>{html.escape(h)}</th>" for i, h in enumerate(headers))
    body = []
    for index, row in enumerate(rows):
        cls = f' class="{row_class(index)}"' if row_class and row_class(index) else ""
        cells = "".join(
            f"<td{' class=num' if i in numeric else ' class=wrap' if i in wrap else ''}>{html.escape(v)}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _line(status: str, text: str) -> str:
    """One finding of the attention section: status ok, warning, critical or unknown."""
    mark = {"ok": "&#10003;", "warning": "!", "critical": "!!", "unknown": "?"}[status]
    return f'<p class="line {status}"><span class="mark">{mark}</span> {text}</p>'


def _more(shown: int, total: int, where: str) -> str:
    return f'<p class="meta more">&hellip; and {total - shown:,} more: {where}</p>' if total > shown else ""


def _attention(found: Attention, rule: str) -> str:
    """The "Needs attention" section: one line per finding, a table under each finding that is not clean."""
    parts = []
    alerts = found.alerts
    if alerts:
        shown = alerts[:ATTENTION_ROWS]
        critical = found.critical
        parts.append(
            _line(
                "critical" if critical else "warning",
                f"<b>Open alerts</b>, last {ALERT_WINDOW_DAYS} days of data: <b>{len(alerts):,}</b> "
                f"({critical:,} critical) &middot; marts.fct_alerts",
            )
        )
        parts.append(
            _table(
                ["severity", "type", "period", "message"],
                [[a.severity, a.alert_type.replace("_", " "), a.period, a.message] for a in shown],
                numeric=set(),
                row_class=lambda i: shown[i].severity,
                wrap={3},
            )
        )
        rest = alerts[len(shown) :]
        rest_critical = sum(a.severity == "critical" for a in rest)
        parts.append(
            _more(
                len(shown),
                len(alerts),
                (f"{rest_critical:,} critical, " if rest_critical else "all warnings, ")
                + "<code>select * from marts.fct_alerts order by period_start desc</code>",
            )
        )
    else:
        parts.append(_line("ok", f"<b>Open alerts</b>: none in the last {ALERT_WINDOW_DAYS} days of data"))

    bad = found.out_of_tolerance
    if bad:
        shown_bad = bad[:ATTENTION_ROWS]
        parts.append(
            _line("critical", f"<b>Reconciliation</b>: <b>{len(bad):,}</b> period(s) out of tolerance ({rule})")
        )
        parts.append(
            _table(
                [
                    "grain",
                    "period",
                    "provider",
                    "billing account",
                    "computed",
                    "billed usage",
                    "variance",
                    "variance %",
                ],
                [
                    [
                        r.grain,
                        r.period,
                        r.provider,
                        r.billing_account,
                        money(r.computed),
                        money(r.billed),
                        money(r.variance),
                        percent(r.variance_pct),
                    ]
                    for r in shown_bad
                ],
                numeric={4, 5, 6, 7},
                row_class=lambda i: "critical",
            )
        )
        parts.append(_more(len(shown_bad), len(bad), "<code>finops reconcile</code>"))
    else:
        parts.append(_line("ok", f"<b>Reconciliation</b>: every bill within tolerance ({rule})"))

    unpriced = found.unpriced
    if unpriced:
        shown_unpriced = unpriced[:ATTENTION_ROWS]
        calls = sum(u.calls for u in unpriced)
        parts.append(
            _line(
                "warning",
                f"<b>Unpriced models</b>: <b>{len(unpriced):,}</b> model(s), {calls:,} calls without a list price "
                "&middot; add a price to price_overrides.csv in the config dir",
            )
        )
        parts.append(
            _table(
                ["provider", "model", "calls"],
                [[u.provider, u.model, f"{u.calls:,}"] for u in shown_unpriced],
                numeric={2},
            )
        )
        parts.append(_more(len(shown_unpriced), len(unpriced), "marts.fct_llm_calls where not is_priced"))
    else:
        parts.append(_line("ok", "<b>Unpriced models</b>: none, every call has a list price"))

    quarantine = found.quarantine
    if quarantine.not_loaded:
        parts.append(
            _line(
                "critical",
                f"<b>Landing files not loaded</b>: <b>{len(quarantine.not_loaded):,}</b> &middot; raw.files "
                "(the other files were loaded; <code>finops materialize</code> exits 5 until they are fixed)",
            )
        )
        parts.append(
            _table(
                ["file", "problem", "where it probably goes"],
                [[f.path, f.problem, f.hint or "–"] for f in quarantine.not_loaded[:ATTENTION_ROWS]],
                numeric=set(),
                wrap={0, 1, 2},
            )
        )
        parts.append(_more(min(len(quarantine.not_loaded), ATTENTION_ROWS), len(quarantine.not_loaded), "raw.files"))
    if quarantine.unavailable:
        parts.append(
            _line("unknown", f"<b>Quarantined rows</b>: not available ({html.escape(quarantine.unavailable)})")
        )
    elif quarantine.files:
        files = quarantine.files
        shown_files = files[:ATTENTION_ROWS]
        parts.append(
            _line(
                "warning",
                f"<b>Quarantined rows</b>: <b>{quarantine.rows:,}</b> in {len(files):,} file(s) &middot; "
                "raw.quarantine of the build file",
            )
        )
        parts.append(
            _table(
                ["file", "rows", "top reasons (rows)"],
                [
                    [f.path, f"{f.rows:,}", "; ".join(f"{reason} ({n:,})" for reason, n in f.reasons)]
                    for f in shown_files
                ],
                numeric={1},
                wrap={0, 2},
            )
        )
        parts.append(_more(len(shown_files), len(files), "raw.quarantine"))
    else:
        parts.append(_line("ok", "<b>Quarantined rows</b>: none, every landed row was loaded"))
    return "\n".join(p for p in parts if p)


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
        critical = sum(r[4] == "critical" for r in data.anomalies)
        anomalies = (
            f'<p class="meta">{len(data.anomalies):,} anomalies ({critical:,} critical), critical first, then '
            "newest first.</p>"
        ) + _table(
            ["severity", "period", "type", "axis", "value", "actual", "expected", "ratio"],
            [
                [
                    r[4],
                    _period(r[0], r[1]),
                    r[1].replace("_", " "),
                    r[2],
                    r[3],
                    money(r[5]),
                    money(r[6]),
                    f"{float(r[7]):.2f}x",
                ]
                for r in shown
            ],
            numeric={5, 6, 7},
            row_class=lambda i: shown[i][4],  # critical or warning
        )
        if len(data.anomalies) > len(shown):
            anomalies += (
                f'<p class="meta">{len(shown):,} of {len(data.anomalies):,} anomalies shown: the rest are in '
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
    needs_attention = _attention(data.attention, rule)

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
th.num {{ text-align: right; }}
td.wrap {{ white-space: normal; }}
tr.bad td {{ background: #fff3f3; }}
tr.critical td {{ background: #fde8e8; }}
tr.critical td:first-child {{ box-shadow: inset 4px 0 #c81e1e; font-weight: 600; color: #9b1c1c; }}
tr.warning td:first-child {{ box-shadow: inset 4px 0 #e3a008; color: #8e4b10; }}
.attention table {{ margin: .2rem 0 .6rem; width: auto; min-width: 40%; }}
.line {{ margin: .7rem 0 .3rem; }}
.line .mark {{ display: inline-block; min-width: 1.6rem; text-align: center; border-radius: 4px; margin-right: .3rem;
              font-weight: 700; color: #fff; }}
.line.ok .mark {{ background: #31c48d; }}
.line.warning .mark {{ background: #e3a008; }}
.line.critical .mark {{ background: #c81e1e; }}
.line.unknown .mark {{ background: #9aa5b1; }}
.more {{ margin-top: 0; }}
code {{ font-size: .85rem; background: #f0f4f8; padding: 0 .2rem; border-radius: 3px; }}
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

<h2 id="attention">Needs attention</h2>
<div class="attention">
{needs_attention}
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
cost per call, on every axis; the rules are described in the dbt docs): actual vs expected spend of the period,
and their ratio.</p>
{anomalies}
</body>
</html>
"""


def write_report(serving_or_build_path: Path, out_html: Path, build_path: Path | None = None) -> Path:
    """Write the report for a warehouse file (serving or build) to ``out_html``; returns its path.
    ``build_path``: see load."""
    source = Path(serving_or_build_path)
    if not source.is_file():
        raise FileNotFoundError(f"no warehouse at {source}")
    text = render(load(source, build_path), source)
    out = Path(out_html)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out
