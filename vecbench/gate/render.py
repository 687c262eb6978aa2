"""The verdict as a terminal table, as Markdown for a pull-request comment, and as JSON."""

from __future__ import annotations

import json
import math
from typing import Any

from vecbench.gate.checks import ATTENTION, Check, Status
from vecbench.gate.verdict import Verdict
from vecbench.reports.escape import markdown_text, terminal_text

ORDER = [
    Status.REGRESSION,
    Status.INCONCLUSIVE,
    Status.FAILED,
    Status.MISSING,
    Status.WARN,
    Status.IMPROVED,
    Status.NOT_MEASURED,
    Status.NEW,
    Status.FIXED,
    Status.STILL_FAILING,
    Status.PASS,
]
HEADER = ["status", "point", "metric", "baseline", "current", "change", "interval", "limit", "note"]
MARK = {"pass": "✅", "regression": "❌", "error": "⚠️", "inconclusive": "❔"}


def sorted_checks(checks: list[Check]) -> list[Check]:
    """Failing first, then warnings and news, passes last; stable within a status."""
    return sorted(checks, key=lambda c: (not c.fails, ORDER.index(c.status)))


def _num(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _change(check: Check, value: float | None) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "+inf"
    return f"{value * 100:+.1f}%" if check.relative else f"{value:+.4f}"


def cells(check: Check) -> list[str]:
    """One check as table cells (shared by the terminal and Markdown tables)."""
    status = check.status.value + ("" if check.gated or check.status in (Status.PASS,) else " (not gated)")
    interval = "-" if check.low is None else f"[{_change(check, check.low)}, {_change(check, check.high)}]"
    limit = "-" if check.limit is None else (f"{check.limit:.0%}" if check.relative else f"{check.limit:g}")
    metric = check.metric + (" (cal.)" if check.normalized else "")
    return [
        status,
        check.point.describe(),
        metric,
        _num(check.baseline),
        _num(check.current),
        _change(check, check.change),
        interval,
        limit,
        "" if check.status is Status.PASS else check.note,
    ]


def _summary_line(verdict: Verdict) -> str:
    failures = verdict.failures()
    counts = ", ".join(f"{n} {status}" for status, n in sorted(verdict.counts().items()))
    return (
        f"{len(failures)} failing of {len(verdict.checks)} checks on {verdict.points_compared()} "
        f"matched points ({counts})"
    )


def _environment_lines(verdict: Verdict) -> list[str]:
    lines = []
    for side, env in verdict.environments.items():
        cal = env.get("calibration_ms")
        cal_text = f"calibration kernel {cal:.3f} ms" if isinstance(cal, int | float) else "no calibration"
        lines.append(f"{side}: {env.get('hostname')} | {env.get('cpu_model')} | {cal_text}")
    policy = verdict.policy
    intervals = (
        f"; {policy.confidence:.0%} bootstrap intervals ({policy.bootstrap} resamples)"
        if any(check.low is not None for check in verdict.checks)
        else ""
    )
    lines.append(f"{verdict.normalization}{intervals}; limit = how much worse a metric may get")
    return lines


def needs_attention(check: Check) -> bool:
    """Failing, warning and inconclusive checks (gated or not): what a reader must look at."""
    return check.status in ATTENTION


def format_terminal(verdict: Verdict, everything: bool = False) -> str:
    """A plain-text table of the failing and warning checks (every check with ``everything``),
    failing ones first, with a headline and summary; control characters from labels are shown
    escaped, never sent to the terminal."""
    if verdict.error is not None:
        return terminal_text(f"vecbench gate: ERROR (exit {verdict.exit_code}): {verdict.error}")
    ordered = sorted_checks(verdict.checks)
    shown = ordered if everything else [check for check in ordered if needs_attention(check)]
    rows = [HEADER] + [[terminal_text(cell) for cell in cells(check)] for check in shown]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    table = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    if not shown:
        table = ["every check is within its limit"]
    hidden = len(ordered) - len(shown)
    head = f"vecbench gate: {verdict.outcome.upper()} (exit {verdict.exit_code})"
    lines = [
        head,
        terminal_text(f"baseline {verdict.baseline}  vs  current {verdict.current}"),
        *(terminal_text(line) for line in _environment_lines(verdict)),
        "",
        *table,
        "",
        terminal_text(_summary_line(verdict)),
    ]
    if hidden:
        lines.append(f"{hidden} passing or informational check(s) not shown; --all prints every check")
    return "\n".join(lines)


def _md_table(checks: list[Check]) -> list[str]:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for check in checks:
        lines.append("| " + " | ".join(markdown_text(cell) for cell in cells(check)) + " |")
    return lines


def format_markdown(verdict: Verdict) -> str:
    """A pull-request comment: headline, the checks that need attention, all checks folded away."""
    head = f"## {MARK[verdict.outcome]} vecbench gate: {verdict.outcome}"
    if verdict.error is not None:
        return f"{head}\n\n{markdown_text(verdict.error)}\n"
    ordered = sorted_checks(verdict.checks)
    notable = [c for c in ordered if c.status is not Status.PASS]
    lines = [
        head,
        "",
        f"Baseline {markdown_text(verdict.baseline)} vs current {markdown_text(verdict.current)}: "
        f"{markdown_text(_summary_line(verdict))}.",
        "",
    ]
    if notable:
        lines += _md_table(notable)
    else:
        lines.append("Every check is within its limit.")
    lines += [
        "",
        f"<details><summary>All {len(ordered)} checks</summary>",
        "",
        *_md_table(ordered),
        "",
        "</details>",
        "",
    ]
    lines += [f"- {markdown_text(line)}" for line in _environment_lines(verdict)]
    return "\n".join(lines) + "\n"


def format_json(verdict: Verdict) -> str:
    return json.dumps(_finite(verdict.to_dict()), indent=2)


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value
