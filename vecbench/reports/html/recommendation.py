"""The recommendation section: pipeline results (OUT/pipeline.parquet) against exact retrieval.

The pipeline store is long (one row per configuration, stage, metric and cohort, with the
difference from exact retrieval and a paired-bootstrap interval, see ``reports.pipeline_store``).
Here it becomes, per ``k_candidates``: a metric × configuration table, the headline differences
with their intervals as a chart, the cohorts of the headline metric with the worst marked, and the
embedding drift. A cell is green or red only where the difference is significant: the paired
randomisation test's p, corrected across the run's configurations (``p_adjusted``), below alpha.
Comparisons between configurations of a run (``compare`` rows) get their own table, and the
scorer's own effect (its stage against retrieval order on exact candidates) a sentence that says
whether it helps.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from markupsafe import Markup

from vecbench.reports.html.context import ReportContext, slug
from vecbench.reports.html.markup import Cell, join, note, table, tag
from vecbench.reports.html.plots import Delta, compact_params, delta_chart
from vecbench.reports.resultset import ResultSet

RELEVANCE = ("ndcg", "recall", "hit_rate", "precision", "mrr", "map")
NEUTRAL, BETTER, WORSE = "#7f7f7f", "#2a9d4b", "#c83b3b"


def _cutoff(metric: str) -> tuple[str, int]:
    name, _, k = metric.partition("@")
    return name, int(k) if k.isdigit() else 0


def metric_order(metric: str) -> tuple[int, int, str]:
    """Relevance metrics first (ndcg, recall, ...), then beyond-accuracy, then latencies."""
    name, k = _cutoff(metric)
    if name in RELEVANCE:
        return (0, k * 10 + RELEVANCE.index(name), name)
    if name.startswith("latency"):
        return (2, 0, name)
    return (1, k, name)


def configurations(rows: pd.DataFrame) -> list[str]:
    """Exact first, then baselines (no parameters), then index configurations by name."""
    names = list(dict.fromkeys(str(r) for r in rows["retrieval"]))
    baselines = set(rows.loc[rows["build_params"].fillna("{}") == "{}", "retrieval"].astype(str))
    return sorted(names, key=lambda n: (n != "exact", n not in baselines, n))


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def judged(row: pd.Series) -> str | None:
    """'better' or 'worse' where the difference is significant (corrected p below alpha), by the
    metric's direction; rows without a test (latencies) are never coloured."""
    flag = row.get("significant")
    delta = _num(row.get("delta"))
    if flag is None or flag is pd.NA or not bool(flag) or not math.isfinite(delta) or delta == 0:
        return None
    higher = row.get("higher_is_better")
    higher = True if higher is None or higher is pd.NA else bool(higher)
    return "better" if (delta > 0) == higher else "worse"


def _p_text(row: pd.Series) -> str:
    p, adjusted = _num(row.get("p_value")), _num(row.get("p_adjusted"))
    if not math.isfinite(p):
        return ""
    return f" p {p:.3g}" + (f", adj. {adjusted:.3g}" if math.isfinite(adjusted) else "")


def value_cell(row: pd.Series | None) -> Cell:
    if row is None:
        return Cell("-")
    value = _num(row["value"])
    text: Markup | str = f"{value:.4g}"
    delta = _num(row.get("delta"))
    if math.isfinite(delta):
        low, high = _num(row.get("delta_low")), _num(row.get("delta_high"))
        interval = f"[{low:+.4f}, {high:+.4f}]" if math.isfinite(low) and math.isfinite(high) else ""
        spans = [tag("span", f"Δ {delta:+.4f}", class_="delta")]
        if interval:  # on a line of its own, so a column is as narrow as its widest number
            spans.append(tag("span", interval, class_="delta"))
        p_text = _p_text(row)
        if p_text:
            spans.append(tag("span", p_text.strip(), class_="delta"))
        text = join([f"{value:.4g}", *spans])
    return Cell(text, value, judged(row))


def _matrix(rows: pd.DataFrame, configs: list[str], bad: set[str]) -> Markup:
    """Metric rows (final stage for quality, every stage for latency) × configuration columns."""
    picked = rows[
        (rows["cohort"] == "all")
        & (
            (rows["stage"] == "final")
            | rows["metric"].str.startswith("candidate_recall")
            | rows["metric"].str.startswith("latency")
        )
    ]
    lines = []
    keys = sorted(
        {(str(r["stage"]), str(r["metric"])) for _, r in picked.iterrows()},
        key=lambda sm: (
            metric_order(sm[1]),
            ("retrieval", "scoring", "final").index(sm[0])
            if sm[0] in ("retrieval", "scoring", "final")
            else 3,
        ),
    )
    cells = {(str(r["stage"]), str(r["metric"]), str(r["retrieval"])): r for _, r in picked.iterrows()}
    for stage, metric in keys:
        shown = [value_cell(cells.get((stage, metric, c))) for c in configs]
        shown = [
            Cell(v.text, v.sort, None) if c in bad and v.cls == "better" else v
            for c, v in zip(configs, shown, strict=True)
        ]
        lines.append([Cell(metric), Cell(stage), *shown])
    return tag(
        "details",
        tag("summary", f"every metric and stage ({len(lines)} rows × {len(configs)} configurations)"),
        tag("div", table(["metric", "stage", *configs], lines, name="recommendation"), class_="scroll"),
    )


BROKEN_FRACTION = 0.1  # below this share of exact retrieval's relevance a configuration is broken


def broken(rows: pd.DataFrame, configs: list[str]) -> set[str]:
    """Configurations that plainly do not work: first ndcg or candidate recall under a tenth of
    exact retrieval's (recall about 0). None of their cells is ever shown green."""
    out = set()
    heads = [
        *_headlines(rows)[:1],
        *sorted(m for m in set(rows["metric"]) if str(m).startswith("candidate_recall")),
    ]
    for metric in heads:
        chosen = rows[(rows["metric"] == metric) & (rows["cohort"] == "all")]
        values = {str(r["retrieval"]): _num(r["value"]) for _, r in chosen.iterrows()}
        reference = values.get("exact", math.nan)
        if not math.isfinite(reference) or reference <= 0:
            continue
        out |= {c for c in configs if values.get(c, math.inf) < BROKEN_FRACTION * reference}
    return out


def summary_header(stage: str, metric: str) -> str:
    """'ndcg@10' (final lists), 'candidate_recall@40', 'retrieval p50 ms': short column titles."""
    if stage == "final" or metric.startswith("candidate_recall"):
        return metric
    return f"{stage} {metric.removeprefix('latency_').replace('_ms', ' ms')}"


def _summary(rows: pd.DataFrame, configs: list[str], bad: set[str]) -> Markup:
    """Configurations as rows, the headline metrics as columns (final lists, candidate recall,
    retrieval latency): the table a reader compares configurations in."""
    metrics = [
        ("final", m)
        for m in sorted({str(m) for m in rows["metric"]}, key=metric_order)
        if m.split("@")[0] in ("ndcg", "recall")
    ]
    metrics += [
        ("retrieval", m) for m in sorted({str(m) for m in rows["metric"]}) if m.startswith("candidate_recall")
    ]
    metrics += [("retrieval", "latency_p50_ms")]
    cells = {
        (str(r["stage"]), str(r["metric"]), str(r["retrieval"])): r
        for _, r in rows[rows["cohort"] == "all"].iterrows()
    }
    lines = []
    for config in configs:
        name = Cell(
            config,
            None,
            "worse-text" if config in bad else None,
            "broken: relevance about 0" if config in bad else None,
        )
        line = [name]
        for stage, metric in metrics:
            found = value_cell(cells.get((stage, metric, config)))
            if config in bad and found.cls == "better":
                found = Cell(found.text, found.sort, None)
            line.append(found)
        lines.append(line)
    headers = ["configuration", *(summary_header(stage, metric) for stage, metric in metrics)]
    return tag("div", table(headers, lines, sortable=True, name="recommendation-summary"), class_="scroll")


def _headlines(rows: pd.DataFrame) -> list[str]:
    """The first ndcg cut-off and the last recall cut-off, as the text table does."""
    metrics = {str(m) for m in rows["metric"]}
    ndcg = sorted((m for m in metrics if m.startswith("ndcg@")), key=lambda m: _cutoff(m)[1])
    recall = sorted((m for m in metrics if m.startswith("recall@")), key=lambda m: _cutoff(m)[1])
    return [*ndcg[:1], *recall[-1:]]


def _deltas(rows: pd.DataFrame, metric: str, configs: list[str], bad: set[str]) -> list[Delta]:
    chosen = rows[(rows["stage"] == "final") & (rows["cohort"] == "all") & (rows["metric"] == metric)]
    by_name = {str(r["retrieval"]): r for _, r in chosen.iterrows()}
    items = []
    for name in configs:
        row = by_name.get(name)
        if row is None or not math.isfinite(_num(row.get("delta"))):
            continue
        verdict = judged(row)
        if name in bad and verdict == "better":
            verdict = None
        colour = BETTER if verdict == "better" else WORSE if verdict == "worse" else NEUTRAL
        items.append(
            Delta(name, _num(row["delta"]), _num(row.get("delta_low")), _num(row.get("delta_high")), colour)
        )
    return items


def _cohorts(rows: pd.DataFrame, metric: str, configs: list[str]) -> Markup:
    chosen = rows[(rows["stage"] == "final") & (rows["metric"] == metric) & (rows["cohort"] != "all")]
    if chosen.empty:
        return Markup("")
    cells = {(str(r["cohort"]), str(r["retrieval"])): _num(r["value"]) for _, r in chosen.iterrows()}
    cohorts = sorted({c for c, _ in cells})

    def ranked(cohort: str, config: str) -> float:  # a cohort without requests cannot be the worst
        value = cells.get((cohort, config), math.nan)
        return value if math.isfinite(value) else math.inf

    worst = {c: min(cohorts, key=lambda k: ranked(k, c)) for c in configs}
    lines = []
    for config in configs:
        line = [Cell(config)]
        for cohort in cohorts:
            value = cells.get((cohort, config), math.nan)
            shown = "-" if not math.isfinite(value) else f"{value:.4f}"
            line.append(
                Cell(
                    shown,
                    value if math.isfinite(value) else None,
                    "worst" if worst[config] == cohort else None,
                )
            )
        lines.append(line)
    return join(
        [
            tag("h4", f"{metric} by cohort (final lists); the worst cohort of each configuration in red"),
            tag("div", table(["configuration", *cohorts], lines, name="cohorts"), class_="scroll"),
        ]
    )


def _comparisons(rows: pd.DataFrame) -> Markup:
    """``compare`` rows (A vs B, paired by request) for the headline metrics, all requests."""
    pairs = rows[(rows["adapter"] == "compare") & (rows["cohort"] == "all")]
    pairs = pairs[pairs["metric"].isin(_headlines(rows))]
    if pairs.empty:
        return Markup("")
    lines = [
        [Cell(str(r["retrieval"])), Cell(str(r["stage"])), Cell(str(r["metric"])), value_cell(r)]
        for _, r in pairs.sort_values(["retrieval", "metric", "stage"]).iterrows()
    ]
    return join(
        [
            tag("h4", "Comparisons within the run (A vs B, paired by request; Δ = A - B)"),
            table(["pair", "stage", "metric", "A (Δ vs B)"], lines, name="comparisons"),
        ]
    )


def scorer_verdict(rows: pd.DataFrame) -> str | None:
    """What the scorer does to the headline NDCG on exact candidates, in one sentence."""
    check = rows[
        (rows["adapter"] == "compare")
        & (rows["retrieval"] == "exact/scoring vs exact/retrieval")
        & (rows["cohort"] == "all")
        & rows["metric"].str.startswith("ndcg@")
    ]
    if check.empty:
        return None
    row = check.iloc[0]
    delta, p = _num(row["delta"]), _num(row.get("p_adjusted"))
    verdict = judged(row)
    effect, advice = {
        "better": ("raises", ""),
        "worse": ("lowers", " It hurts here: prefer retrieval order (scorer: similarity)."),
        None: ("does not measurably change", " It cannot help on this log."),
    }[verdict]
    shown_p = f", adjusted p {p:.3g}" if math.isfinite(p) else ""
    return (
        f"The scorer ({row.get('scorer', '?')}) {effect} {row['metric']} against retrieval order on exact "
        f"candidates ({_num(row['exact_value']):.4f} -> {_num(row['value']):.4f}, Δ {delta:+.4f}{shown_p}).{advice}"
    )


def _drift(frame: pd.DataFrame) -> Markup:
    drift = frame[(frame["status"] == "ok") & (frame["stage"] == "embedding")]
    if drift.empty:
        return Markup("")
    lines = [
        [
            Cell(str(r["metric"])),
            Cell(str(r["cohort"])),
            Cell(f"{_num(r['value']):.4f}", _num(r["value"])),
            Cell(str(r["n_requests"])),
        ]
        for _, r in drift.iterrows()
    ]
    return join(
        [
            tag("h3", "Embedding drift"),
            note(
                "Neighbour-set stability (Jaccard of item neighbour lists over probe items) between embedding versions."
            ),
            table(["metric", "between", "value", "probe items"], lines, name="drift"),
        ]
    )


def recommendation(rs: ResultSet, ctx: ReportContext) -> Markup:
    frame = rs.pipeline
    if frame.empty:
        return note("no recommendation runs in this result set")
    ok = frame[(frame["status"] == "ok") & (frame["stage"] != "embedding")]
    if "adapter" not in ok.columns:
        ok = ok.assign(adapter="")
    parts: list[Markup] = [
        note(
            "Pipeline results: retrieval → scoring → re-ranking on a temporal replay. Δ is the value "
            "minus exact retrieval with the same number of candidates, with a paired bootstrap "
            "interval over users and the paired randomisation test's p (adj.: corrected across the "
            "run's configurations); green or red only where the corrected p is below alpha."
        )
    ]
    for key, rows in ok.groupby(["experiment", "k_candidates"], sort=True):
        experiment, k = str(key[0]), str(key[1])
        where = f"{experiment}, k_candidates={k}"
        pairs = rows[rows["adapter"] == "compare"]
        rows = rows[rows["adapter"] != "compare"]
        configs = configurations(rows)
        bad = broken(rows, configs)
        parts.append(tag("h3", where))
        verdict = scorer_verdict(pairs)
        if verdict:
            parts.append(note(verdict))
        parts.append(_summary(rows, configs, bad))
        parts.append(_matrix(rows, configs, bad))
        charts = [
            delta_chart(_deltas(rows, metric, configs, bad), metric, where) for metric in _headlines(rows)
        ]
        drawn = [ctx.add(chart, f"{slug(experiment)}-kc{k}") for chart in charts if chart is not None]
        if drawn:
            parts.append(tag("div", *drawn, class_="plots"))
        for metric in _headlines(rows)[:1]:
            parts.append(_cohorts(rows, metric, configs))
        parts.append(_comparisons(pd.concat([pairs, rows]) if not pairs.empty else rows))
    parts.append(_drift(frame))
    return join(parts)


def pipeline_failures(frame: pd.DataFrame) -> list[list[Cell]]:
    """Failed pipeline configurations as rows of the failures table (adapter, build, query, reason)."""
    if frame.empty:
        return []
    bad = frame[frame["status"] != "ok"].drop_duplicates("point_key")
    return [
        [
            Cell(f"{r['retrieval']} (pipeline, k_candidates={r['k_candidates']})"),
            Cell(compact_params(r["build_params"])),
            Cell(compact_params(r["query_params"])),
            Cell(str(r["error"]), None, "error"),
        ]
        for _, r in bad.iterrows()
    ]
