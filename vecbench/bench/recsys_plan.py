"""What a pipeline run measures, planned before anything is trained: its index points, the key of
every configuration's rows, and the identity each configuration's rows carry.

A configuration is one (index build point, filter strategy, query point, ``k_candidates``), or
exact retrieval or a baseline at one ``k_candidates``. Its key hashes the config's name and
fingerprint, the requested label and parameters, k, the stage filter and the requested strategy,
so a resumed run knows it before anything runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from vecbench.bench.calibration import calibration_ms
from vecbench.bench.config import StrategySpec
from vecbench.bench.messages import Built, Measured
from vecbench.bench.pipeline_config import PipelineConfig
from vecbench.bench.sweep import canonical_json, expand_grid
from vecbench.bench.worker import exception_line
from vecbench.core.params import key_params
from vecbench.datasets.attributes import Attributes
from vecbench.filters.strategies.base import CheckTarget
from vecbench.filters.strategies.registry import make_strategy
from vecbench.indexes.base import Metric, resolve_params
from vecbench.indexes.registry import adapter_names, get_adapter_class

DEFAULT_TIMEOUT_S = 1800.0  # per build point, in its worker (an index entry's timeout_s overrides)


@dataclass(frozen=True)
class IndexPoint:
    """One adapter build point with its query points, validated before any work."""

    adapter: str
    label: str
    build_params: dict[str, Any]
    query_params: tuple[dict[str, Any], ...]
    strategies: tuple[StrategySpec, ...]
    timeout_s: float


@dataclass(frozen=True)
class Identity:
    """What names one configuration's rows: its label, adapter, parameters and filter strategy
    (the label of what ran, and the requested spec that keys it)."""

    label: str
    adapter: str
    build: dict[str, Any]
    query: dict[str, Any]
    strategy: str
    strategy_spec: str
    key_label: str = ""  # the label as requested (auto before its choice); the label if empty


@dataclass(frozen=True)
class WorkerFigures:
    """What the worker measured around a run, as index sweeps record it: build time, index size,
    peak RSS (VmHWM) and the calibration kernel's median time beside the run."""

    build_s: float | None
    index_bytes: int | None
    rss_peak_bytes: int
    calibration_ms: float

    def columns(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class PlannedRun:
    """One (strategy, query point, k) of a build point: the key its rows get, and once it ran, the
    identity of what ran (``auto`` names its choice) and the worker's figures."""

    key: str
    strategy: int
    query: dict[str, Any]
    k: int
    identity: Identity
    strategy_name: str
    point: IndexPoint | None = None  # None for exact retrieval, whose label never changes
    worker: WorkerFigures | None = None

    def ran(self, measured: Measured, built: Built | None) -> PlannedRun:
        with np.load(measured.raw_path) as raw:
            calibration = calibration_ms(raw["calibration_ns"])
        figures = WorkerFigures(
            built.build_s if built else None, built.index_bytes if built else None,
            measured.rss_peak_bytes, calibration,
        )  # fmt: skip
        identity = self.identity
        if self.point is not None and measured.label is not None:  # exact keeps its fixed label
            shown = (
                self.strategy_name
                if measured.label == identity.strategy
                else f"{self.strategy_name}:{measured.label}"
            )
            identity = dataclasses.replace(
                identity, label=_label(self.point, self.query, shown), strategy=measured.label
            )
        return dataclasses.replace(self, identity=identity, worker=figures)


def config_fingerprint(config: PipelineConfig) -> str:
    """16 hex digits over everything that shapes every row's value: the log, split, embedding,
    metric, users, stage-1 filter, scorer, re-rankers, baselines, evaluation and drift. The index
    list is left out (each configuration keys its own rows), so adding an index resumes."""
    data = config.model_dump(mode="json")
    data.pop("memory_limit_gb", None)  # how workers are run, not what the rows measure
    data["retrieval"] = {k: v for k, v in data["retrieval"].items() if k not in ("indexes", "strategies")}
    data.pop("compare", None)  # pairs are evaluated afresh from the stored lists at the end of each run
    for section, name, default in ADDED_AT_DEFAULT:
        if data.get(section, {}).get(name, default) == default:
            data.get(section, {}).pop(name, None)
    # A baseline without options is written as its bare kind, as configs named it before options existed.
    data["baselines"] = [b["kind"] if set(b) == {"kind"} else b for b in data.get("baselines", [])]
    return hashlib.blake2b(canonical_json(data).encode(), digest_size=8).hexdigest()


# Options added after pipeline keys were published: at their defaults they leave the fingerprint
# (and so every point key) as it was, so earlier results resume and pipeline baselines still match.
ADDED_AT_DEFAULT: tuple[tuple[str, str, object], ...] = (
    ("evaluation", "correction", "holm"),
    ("evaluation", "permutations", 2000),
    ("retrieval", "cold_start", None),
    ("split", "as_of", "train"),
    ("split", "same_second", None),
)


def expand_points(config: PipelineConfig, metric: Metric) -> list[IndexPoint]:
    """The configured index points (exact is the reference and runs anyway), checked up front."""
    points = []
    for entry in config.retrieval.indexes:
        if entry.adapter == "exact":
            continue
        cls = get_adapter_class(entry.adapter)
        strategies = tuple(entry.strategies or config.retrieval.strategies)
        for spec in strategies:
            make_strategy(spec)  # names and parameters, before anything is trained
        for build in expand_grid(entry.build):
            params = resolve_params(entry.adapter, cls.build_param_specs, build)
            cls(metric, **params)  # refuses an unsupported metric before anything is trained
            queries = tuple(
                resolve_params(entry.adapter, cls.query_param_specs, q) for q in expand_grid(entry.query)
            )
            label = entry.label or entry.adapter
            timeout = entry.timeout_s or DEFAULT_TIMEOUT_S
            points.append(IndexPoint(entry.adapter, label, params, queries, strategies, timeout))
    return points


def check_strategies(
    points: list[IndexPoint], metric: Metric, dim: int, attributes: Attributes | None
) -> None:
    """Each point's strategies against its adapter and the indexed items (before any index is built)."""
    for point in points:
        cls = get_adapter_class(point.adapter)
        for spec in point.strategies:
            make_strategy(spec).check(CheckTarget(cls, point.build_params, metric, dim, attributes))


def point_labels(points: list[IndexPoint]) -> list[str]:
    """The requested label of every configuration of the index points (``compare:`` names them)."""
    return [
        _label(point, query, name)
        for point in points
        for name in strategy_names(point.strategies)
        for query in point.query_params
    ]


def strategy_names(specs: tuple[StrategySpec, ...]) -> list[str]:
    """A distinct name per requested strategy for row labels: its label (``pre``,
    ``post-adaptive``, ``auto``), with its parameters where two would otherwise read the same."""
    made = [make_strategy(spec) for spec in specs]
    labels = [strategy.label() for strategy in made]
    return [
        label
        if labels.count(label) == 1
        else f"{label}({' '.join(f'{k}={v}' for k, v in strategy.params.items())})"
        for label, strategy in zip(labels, made, strict=True)
    ]


def failure_reason(exc: Exception) -> str:
    """A worker's reason as it gave it; anything raised here as 'Type: message'."""
    return str(exc) if isinstance(exc, RuntimeError) and str(exc) else exception_line(exc)


def _label(point: IndexPoint, query: dict[str, Any], strategy: str) -> str:
    build, query = _keyed(point.adapter, point.build_params, query)
    params = {**build, **query}
    shown = " ".join(f"{k}={v}" for k, v in params.items() if k not in ("seed", "build_threads"))
    return f"{point.label} {shown} {strategy}".replace("  ", " ").strip()


@dataclass(frozen=True)
class RunKeys:
    """How one pipeline config keys its configurations' rows."""

    experiment: str
    fingerprint: str
    stage_filter: str

    def key(self, key_label: str, build: dict[str, Any], query: dict[str, Any], k: int | None,
            strategy_spec: str) -> str:  # fmt: skip
        """A configuration's point key: the config's name and fingerprint, its requested label,
        parameters, k, the stage filter and the requested strategy."""
        parts = [self.experiment, self.fingerprint, key_label, canonical_json(build), canonical_json(query),
                 str(k), self.stage_filter, strategy_spec]  # fmt: skip
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]

    def of(self, identity: Identity, k: int | None) -> str:
        build, query = _keyed(identity.adapter, identity.build, identity.query)
        return self.key(identity.key_label or identity.label, build, query, k, identity.strategy_spec)


def _keyed(adapter: str, build: dict[str, Any], query: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parameters keys and labels show: an adapter's, less those added at their default
    after keys were published (``ParamSpec.keyed_only_if_set``); a baseline's as they are."""
    if adapter not in adapter_names():
        return build, query
    cls = get_adapter_class(adapter)
    return key_params(cls.build_param_specs, build), key_params(cls.query_param_specs, query)


@dataclass(frozen=True)
class BaselineRun:
    """One baseline at one ``k_candidates``: a configuration computed here, with no index to build."""

    key: str
    k: int
    identity: Identity


EXACT = IndexPoint("exact", "exact", {}, ({},), ("exact-subset",), DEFAULT_TIMEOUT_S)


def planned_runs(point: IndexPoint, ks: tuple[int, ...], keys: RunKeys, exact: bool = False) -> list[PlannedRun]:
    """Every (strategy, query point, k) of a build point with the key its rows get."""
    names = strategy_names(point.strategies)
    runs = []
    for s, spec in enumerate(point.strategies):
        asked = make_strategy(spec)
        for query in point.query_params:
            for k in ks:
                key_label = "exact" if exact else _label(point, query, names[s])
                # exact retrieval keys its rows by its strategy's name, as it always has
                spec_text = asked.label() if exact else asked.spec()
                identity = Identity(key_label, point.adapter, point.build_params if not exact else {},
                                    query, asked.label(), spec_text, key_label)  # fmt: skip
                key = keys.of(identity, k)
                runs.append(PlannedRun(key, s, query, k, identity, names[s], None if exact else point))
    return runs
