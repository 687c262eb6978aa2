"""The capacity planner: from fitted cost models to shards, replicas, machines and cost per family.

For each index configuration measured at several sizes it predicts, at the shard size N/S, the
serialized index bytes, single-query p99, CPU time per query and recall (each with its 90%
prediction interval), raises S until one shard fits a machine's usable memory, and sizes replicas
from single-thread CPU time. Every assumption the figures rest on is listed in the answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from vecbench.capacity.fanout import FanoutTail, fanout_tails
from vecbench.capacity.fits import MetricFit, fit_results
from vecbench.capacity.load_throughput import LoadThroughput, load_throughput
from vecbench.capacity.prices import Machine, PriceTable
from vecbench.errors import ConfigError

USABLE_MEMORY = 0.8  # of a machine's memory; the rest for the OS, the process and queries
UTILISATION = 0.5  # planned CPU load per core, queueing headroom to hold the p99 under load
FAR_EXTRAPOLATION = 10.0  # target / largest measured size beyond which the answer warns
MAX_SHARDS = 1_000_000
NEEDED = ("index_bytes", "latency_p99_ms", "cpu_ms_per_query", "recall")

MEMORY_ASSUMPTION = (
    f"memory per replica is the serialized index size (upper 90% bound) and must fit in "
    f"{USABLE_MEMORY:.0%} of a machine's memory; build-time peaks and the process itself are not included"
)
CPU_ASSUMPTION = (
    "replicas come from single-thread CPU time per query, with cores planned at "
    f"{UTILISATION:.0%} utilisation (no load-test figures for the configuration)"
)
LOAD_ASSUMPTION = (
    "where a load sweep measured the configuration, replicas come from its throughput per busy core at "
    "the p99 limit (open loop), scaled to the shard size by the fitted CPU time per query and to the "
    "machine by its cores (linear in cores)"
)
RECALL_ASSUMPTION = (
    "a sharded index is searched on every shard (scatter-gather); its recall is taken as one shard's "
    "recall at the shard size"
)
TAIL_ASSUMPTION = (
    "its p99 is the slowest of S shards: the 0.99^(1/S) quantile of the measured single-query "
    "latencies, as a factor over their p99, applied to the p99 predicted at the shard size (shards "
    "taken as independent)"
)
NO_TAIL_ASSUMPTION = (
    "no raw latencies were found for the fan-out tail: a sharded p99 is one shard's p99, which "
    "understates the slowest of S shards"
)


@dataclass(frozen=True)
class Target:
    items: int
    qps: float
    p99_ms: float
    recall: float

    def check(self) -> None:
        if self.items < 1 or self.qps <= 0 or self.p99_ms <= 0 or not 0 < self.recall <= 1:
            raise ConfigError(
                "plan: need --items >= 1, --qps > 0, --p99-ms > 0 and 0 < --recall <= 1; "
                f"got items={self.items}, qps={self.qps}, p99_ms={self.p99_ms}, recall={self.recall}"
            )


@dataclass(frozen=True)
class Figure:
    """A predicted figure with its 90% interval and the held-out error of the fit behind it."""

    value: float
    lower: float
    upper: float
    heldout_rel_error: float | None
    model: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "interval_90": [self.lower, self.upper],
            "heldout_rel_error": self.heldout_rel_error,
            "model": self.model,
        }


def figure(fit: MetricFit, n: float) -> Figure:
    centre, low, high = fit.predict(n)
    held = fit.held_out.rel_error if fit.held_out is not None else None
    if fit.metric == "recall" and fit.held_out is not None:
        held = fit.held_out.abs_error  # recall errors are absolute (0.02 means two points)
    return Figure(centre, low, high, held, fit.fitted.model.name)


def _bound(value: float, fallback: float) -> float:
    return value if math.isfinite(value) else fallback


@dataclass
class Option:
    """One configuration planned on one machine."""

    adapter: str
    build_params: str
    query_params: str
    machine: Machine
    shards: int
    shards_range: tuple[int, int]
    replicas: int
    replicas_range: tuple[int, int]
    figures: dict[str, Figure]
    feasible: bool
    reasons: list[str] = field(default_factory=list)
    replicas_from: str = "single-thread CPU time"

    @property
    def machines(self) -> int:
        return self.shards * self.replicas

    def cost(self) -> float | None:
        return None if self.machine.per_month is None else self.machines * self.machine.per_month

    def as_dict(self) -> dict[str, Any]:
        return {
            "adapter": self.adapter,
            "configuration": {"build": self.build_params, "query": self.query_params},
            "machine": self.machine.as_dict(),
            "memory_per_replica_bytes": self.figures["index_bytes_total"].as_dict(),
            "shards": {"value": self.shards, "range_90": list(self.shards_range)},
            "replicas": {"value": self.replicas, "range_90": list(self.replicas_range), "from": self.replicas_from},
            "machines": {
                "value": self.machines,
                "range_90": [
                    self.shards_range[0] * self.replicas_range[0],
                    self.shards_range[1] * self.replicas_range[1],
                ],
            },
            "cost_per_month": self.cost(),
            "per_shard": {
                name: f.as_dict() for name, f in self.figures.items() if name != "index_bytes_total"
            },
            "feasible": self.feasible,
            "why_not": self.reasons,
        }


def _shards(fit: MetricFit, items: int, machine: Machine, which: int) -> int:
    """The fewest shards whose index (centre, lower or upper bound: which = 0, 1, 2) fits one machine."""
    room = machine.mem_bytes * USABLE_MEMORY
    shards = max(1, math.ceil(_bound(fit.predict(items)[which], fit.predict(items)[0]) / room))
    while shards < MAX_SHARDS:
        size = fit.predict(items / shards)
        if _bound(size[which], size[0]) <= room:
            return shards
        shards += 1
    return MAX_SHARDS


@dataclass(frozen=True)
class Measured:
    """What load sweeps and raw latencies add to the fits of one configuration, where present."""

    load: LoadThroughput | None = None
    tail: FanoutTail | None = None


def plan_option(
    fits: dict[str, MetricFit], target: Target, machine: Machine, measured: Measured = Measured()
) -> Option:
    """Shards, replicas and the per-shard figures of one configuration on one machine."""
    memory = fits["index_bytes"]
    shards = _shards(memory, target.items, machine, 0)
    shard_range = (_shards(memory, target.items, machine, 1), _shards(memory, target.items, machine, 2))
    n_shard = target.items / shards
    figures = {
        "index_bytes_total": figure(memory, target.items),
        "index_bytes": figure(memory, n_shard),
        "latency_p99_ms": figure(fits["latency_p99_ms"], n_shard),
        "cpu_ms_per_query": figure(fits["cpu_ms_per_query"], n_shard),
        "recall": figure(fits["recall"], n_shard),
    }
    cpu = figures["cpu_ms_per_query"]
    load = measured.load
    measured_cpu = fits["cpu_ms_per_query"].predict(load.n_base)[0] if load is not None else math.nan

    def replicas(cpu_ms: float) -> int:
        if load is not None and measured_cpu > 0:  # measured under load, scaled to the shard's CPU cost
            per_machine_qps = load.per_core_qps * machine.cores * measured_cpu / max(cpu_ms, 1e-9)
        else:
            per_machine_qps = machine.cores * UTILISATION * 1000.0 / max(cpu_ms, 1e-9)
        return max(1, math.ceil(target.qps / per_machine_qps))

    replica_range = (replicas(_bound(cpu.lower, cpu.value)), replicas(_bound(cpu.upper, cpu.value)))
    one_shard = figures["latency_p99_ms"]
    if measured.tail is not None and shards > 1:
        factor = measured.tail.factor(shards)
        figures["fanout_p99_ms"] = Figure(
            one_shard.value * factor, one_shard.lower * factor, one_shard.upper * factor,
            one_shard.heldout_rel_error, one_shard.model,
        )  # fmt: skip
    reasons = []
    p99, recall = figures.get("fanout_p99_ms", one_shard), figures["recall"]
    if _bound(p99.upper, p99.value) > target.p99_ms:
        which = f"fan-out p99 over {shards} shards" if "fanout_p99_ms" in figures else "p99"
        reasons.append(f"{which} {p99.value:.3g} ms (upper {p99.upper:.3g}) exceeds {target.p99_ms:g} ms")
    if _bound(recall.lower, recall.value) < target.recall:
        reasons.append(f"recall {recall.value:.3f} (lower {recall.lower:.3f}) is below {target.recall:g}")
    return Option(
        adapter=memory.adapter,
        build_params=memory.build_params,
        query_params=fits["recall"].query_params,
        machine=machine,
        shards=shards,
        shards_range=shard_range,
        replicas=replicas(cpu.value),
        replicas_range=replica_range,
        figures=figures,
        feasible=not reasons,
        reasons=reasons,
        replicas_from="load sweep" if load is not None else "single-thread CPU time",
    )


def configurations(fits: Sequence[MetricFit]) -> list[dict[str, MetricFit]]:
    """Every (adapter, build, query) with all of NEEDED fitted; build-scope fits shared by its queries."""
    build = {(f.adapter, f.build_params): f for f in fits if f.metric == "index_bytes"}
    by_query: dict[tuple[str, str, str], dict[str, MetricFit]] = {}
    for f in fits:
        if f.query_params:
            by_query.setdefault((f.adapter, f.build_params, f.query_params), {})[f.metric] = f
    out = []
    for (adapter, build_params, _), metrics in sorted(by_query.items()):
        memory = build.get((adapter, build_params))
        if memory is not None and all(name in metrics for name in NEEDED[1:]):
            out.append({"index_bytes": memory, **metrics})
    return out


def _rank(option: Option) -> tuple[float, ...]:
    cost = option.cost()
    return (
        0 if option.feasible else 1,
        cost if cost is not None else option.machines,
        option.machines,
        option.figures["latency_p99_ms"].value,
    )


def plan(
    frame: pd.DataFrame,
    target: Target,
    machines: Sequence[Machine],
    prices: PriceTable | None,
    out_dir: Path | None = None,
) -> dict[str, Any]:
    """The planner's answer: per index family the cheapest configuration that meets the target
    (or, when none does, the closest one and why it fails), with the assumptions and warnings.
    ``out_dir`` (the results folder) gives the raw latencies the fan-out tail is read from."""
    target.check()
    fits = fit_results(frame)
    configs = configurations(fits)
    if not configs:
        raise ConfigError(
            "plan: no index configuration in these results was measured at 3 or more sizes with index "
            "bytes, p99 latency, CPU time and recall; run a config with sizes: [..] first"
        )
    largest = int(frame.loc[frame["status"] == "ok", "n_base"].max())
    loads = load_throughput(frame, target.p99_ms)
    tails = fanout_tails(frame, out_dir) if out_dir is not None else {}
    families: dict[str, Option] = {}
    for config in configs:
        key = (config["recall"].adapter, config["recall"].build_params, config["recall"].query_params)
        measured = Measured(loads.get(key), tails.get(key))
        for machine in machines:
            option = plan_option(config, target, machine, measured)
            best = families.get(option.adapter)
            if best is None or _rank(option) < _rank(best):
                families[option.adapter] = option
    warnings = []
    factor = target.items / largest
    if factor >= FAR_EXTRAPOLATION:
        warnings.append(
            f"the target of {target.items:,} items is {factor:,.0f}x the largest measured size "
            f"({largest:,}); every figure is extrapolated far beyond the data and the intervals assume "
            "the fitted model keeps holding there"
        )
    return {
        "target": {
            "items": target.items,
            "qps": target.qps,
            "p99_ms": target.p99_ms,
            "recall": target.recall,
        },
        "largest_measured_size": largest,
        "prices": prices.as_dict() if prices is not None else None,
        "assumptions": [
            MEMORY_ASSUMPTION,
            *([LOAD_ASSUMPTION] if loads else []),
            CPU_ASSUMPTION,
            RECALL_ASSUMPTION,
            TAIL_ASSUMPTION if tails else NO_TAIL_ASSUMPTION,
        ],
        "warnings": warnings,
        "families": {name: option.as_dict() for name, option in sorted(families.items())},
    }


def format_plan(answer: dict[str, Any]) -> str:
    """The answer as a terminal table, one line per index family, then warnings and assumptions."""
    t = answer["target"]
    lines = [
        f"plan for {t['items']:,} items at {t['qps']:g} QPS, p99 <= {t['p99_ms']:g} ms, recall >= {t['recall']:g} "
        f"(largest measured size {answer['largest_measured_size']:,})",
        f"{'family':<18} {'ok':<3} {'machine':<14} {'memory/replica':>16} {'shards':>12} {'replicas':>12} "
        f"{'machines':>12} {'cost/month':>12} {'p99 ms':>8} {'recall':>7}  configuration",
    ]
    for name, o in answer["families"].items():
        mem = o["memory_per_replica_bytes"]
        cost = o["cost_per_month"]
        shard = o["per_shard"]
        lines.append(
            f"{name:<18} {'yes' if o['feasible'] else 'no':<3} {o['machine']['name']:<14} "
            f"{_gib(mem['value']):>16} {_range(o['shards']):>12} {_range(o['replicas']):>12} "
            f"{_range(o['machines']):>12} {('-' if cost is None else f'{cost:,.0f}'):>12} "
            f"{shard.get('fanout_p99_ms', shard['latency_p99_ms'])['value']:>8.3g} {shard['recall']['value']:>7.3f}  "
            f"{o['configuration']['build']} {o['configuration']['query']}"
        )
        for reason in o["why_not"]:
            lines.append(f"{'':<18} not met: {reason}")
    if answer["prices"]:
        p = answer["prices"]
        lines.append(f"prices: {p['source']} dated {p['date']} ({p['currency']} per machine-month)")
    lines += [f"warning: {w}" for w in answer["warnings"]]
    lines += [f"assumption: {a}" for a in answer["assumptions"]]
    return "\n".join(lines)


def _gib(value: float) -> str:
    return f"{value / 2**30:,.2f} GiB"


def _range(entry: dict[str, Any]) -> str:
    low, high = entry["range_90"]
    return f"{entry['value']}" if low == high == entry["value"] else f"{entry['value']} [{low}-{high}]"
