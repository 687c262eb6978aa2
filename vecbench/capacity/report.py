"""The capacity report section (Markdown): the fit table, the memory constants and the plan."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from vecbench.capacity.fits import effort_for_recall, fit_results, fit_table, memory_constants
from vecbench.capacity.planner import format_plan


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    return str(value).replace("|", "\\|")


def markdown_table(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    present = [c for c in columns if c in frame.columns]
    lines = ["| " + " | ".join(present) + " |", "|" + "---|" * len(present)]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(_cell(row[c]) for c in present) + " |")
    return "\n".join(lines)


EFFORT_TARGET = 0.95
FIT_COLUMNS = (
    "adapter", "build_params", "query_params", "metric", "model", "a", "b", "chosen_by",
    "heldout_n", "heldout_predicted", "heldout_measured", "heldout_rel_error", "heldout_abs_error",
    "heldout_inside_pi",
)  # fmt: skip


def fits_markdown(frame: pd.DataFrame) -> str:
    """Per configuration and metric: model, coefficients and the held-out error at the largest size."""
    fits = fit_results(frame)
    constants = pd.DataFrame(memory_constants(frame, fits))
    parts = [
        "## Cost models against base size",
        "Each fit uses every size; the held-out columns refit the chosen model without the largest "
        "size and predict it (relative error; absolute for recall), with its 90% interval.",
        markdown_table(fit_table(fits), FIT_COLUMNS) if fits else "(no configuration measured at 3+ sizes)",
    ]
    efforts = pd.DataFrame(effort_for_recall(frame, EFFORT_TARGET))
    if not efforts.empty:
        parts += [f"### Query effort needed for recall >= {EFFORT_TARGET} at each size",
                  markdown_table(efforts, list(efforts.columns))]  # fmt: skip
    if not constants.empty:
        parts += [
            "### Bytes per vector: fitted slope against the published formulas",
            markdown_table(constants, list(constants.columns)),
        ]
    return "\n\n".join(parts) + "\n"


def plan_markdown(frame: pd.DataFrame, answer: dict[str, Any]) -> str:
    """The report section: fits, the codec frontier and the plan."""
    plan_text = "\n## Capacity plan\n\n```\n" + format_plan(answer) + "\n```\n"
    return fits_markdown(frame) + "\n" + frontier_markdown(frame) + plan_text


def frontier(frame: pd.DataFrame, carry: Sequence[str] = ()) -> pd.DataFrame:
    """Recall, bytes per vector (serialized index over n) and QPS per configuration at each size,
    with ``pareto`` marking the points no other point beats on all three at the same size;
    ``carry`` names more columns to keep beside them (a report's labels)."""
    ok = frame[(frame["status"] == "ok") & frame["index_bytes"].notna()].copy()
    ok["bytes_per_vector"] = ok["index_bytes"].astype(float) / ok["n_base"].astype(float)
    columns = ["n_base", "adapter", "build_params", "query_params", "recall", "bytes_per_vector", "qps", *carry]
    table = ok[columns].sort_values(["n_base", "bytes_per_vector"]).reset_index(drop=True)
    values = table[["recall", "bytes_per_vector", "qps"]].to_numpy(float)
    sizes = table["n_base"].to_numpy()

    def beaten(i: int) -> bool:
        r, b, q = values[i]
        same = sizes == sizes[i]
        better = (values[:, 0] >= r) & (values[:, 1] <= b) & (values[:, 2] >= q)
        strictly = (values[:, 0] > r) | (values[:, 1] < b) | (values[:, 2] > q)
        return bool((same & better & strictly).any())

    table["pareto"] = [not beaten(i) for i in range(len(table))]
    return table


def frontier_markdown(frame: pd.DataFrame) -> str:
    table = frontier(frame)
    return "## Recall vs bytes per vector vs QPS\n\n" + markdown_table(table, list(table.columns)) + "\n"
