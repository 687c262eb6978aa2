"""Turn what a loader read into a checked, fingerprinted Dataset: metric, row choice, validation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vecbench.core.params import Metric
from vecbench.datasets.attach_attributes import dataset_attributes, dataset_seen
from vecbench.datasets.base import Dataset
from vecbench.datasets.fingerprint import fingerprint
from vecbench.datasets.raw import RawVectors
from vecbench.datasets.spec import DatasetSpec
from vecbench.datasets.split import held_out_rows
from vecbench.datasets.validate import as_float32, check_finite, check_not_empty, check_same_dim
from vecbench.errors import ConfigError, DatasetError

DEFAULT_HELD_OUT_QUERIES = 1000


@dataclass(frozen=True)
class Defaults:
    """What a dataset uses when the spec is silent.

    ``n_base`` None means every row (left after held-out queries); a number is an upper default that
    shrinks to fit a smaller file, while an explicit ``n_base`` that does not fit is an error.
    ``n_queries`` applies to held-out splits; datasets with their own queries use them all by default.
    """

    metric: Metric | None = None
    n_base: int | None = None
    n_queries: int = DEFAULT_HELD_OUT_QUERIES


def assemble(raw: RawVectors, spec: DatasetSpec, defaults: Defaults) -> Dataset:
    """Choose rows as the spec asks, convert to float32, validate and fingerprint."""
    label = spec.label()
    metric = _metric(raw, spec, defaults, label)
    check_not_empty(label, "base", raw.base)
    if raw.queries is not None:
        check_not_empty(label, "queries", raw.queries)
        check_same_dim(label, raw.base, raw.queries)
        base, queries = _own_queries(raw.base, raw.queries, spec, defaults, label)
        # Shipped ground truth stays valid only for the whole base under the file's own metric.
        shipped = (
            raw.neighbors is not None and base.shape[0] == raw.base.shape[0] and raw.metric in (None, metric)
        )
        neighbors = raw.neighbors[: queries.shape[0]] if shipped and raw.neighbors is not None else None
        distances = raw.distances[: queries.shape[0]] if shipped and raw.distances is not None else None
        base_rows = np.arange(base.shape[0])
        seen = dataset_seen(raw, base.shape[0], queries.shape[0])
    else:
        base, queries, base_rows = _held_out(raw, spec, defaults, label)
        neighbors = distances = None
        seen = None
    base, queries = as_float32(base), as_float32(queries)
    check_finite(label, "base", base)
    check_finite(label, "queries", queries)
    return Dataset(
        name=label,
        base=base,
        queries=queries,
        metric=metric,
        fingerprint=fingerprint(base, queries, metric),
        neighbors=neighbors,
        distances=distances,
        source=raw.source,
        attributes=dataset_attributes(raw, spec, base, base_rows, metric),
        seen=seen,
    )


def _metric(raw: RawVectors, spec: DatasetSpec, defaults: Defaults, label: str) -> Metric:
    """The spec's metric wins, then the file's, then the dataset's default."""
    if spec.metric is not None:
        return Metric.parse(spec.metric)
    if raw.metric is not None:
        return raw.metric
    if defaults.metric is not None:
        return defaults.metric
    known = ", ".join(m.value for m in Metric)
    raise ConfigError(f"dataset '{label}': {raw.source} records no metric; set metric: to one of {known}")


def _own_queries(
    base: np.ndarray, queries: np.ndarray, spec: DatasetSpec, defaults: Defaults, label: str
) -> tuple[np.ndarray, np.ndarray]:
    """First ``n_base`` base rows and first ``n_queries`` queries of a dataset that ships queries."""
    n_base = _count(label, "n_base", spec.n_base, defaults.n_base, base.shape[0], "base rows")
    n_queries = _count(label, "n_queries", spec.n_queries, None, queries.shape[0], "queries")
    return base[:n_base], queries[:n_queries]


def _count(label: str, field: str, given: int | None, default: int | None, available: int, what: str) -> int:
    if given is None:
        return available if default is None else min(default, available)
    if given > available:
        raise DatasetError(
            f"dataset '{label}': {field}={given} but it has {available} {what}; the maximum is {available}"
        )
    return given


def _held_out(
    raw: RawVectors, spec: DatasetSpec, defaults: Defaults, label: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded held-out queries, removed from the base set; also the file rows the base kept."""
    available = raw.base.shape[0]
    n_queries = spec.n_queries if spec.n_queries is not None else defaults.n_queries
    if n_queries >= available:
        raise DatasetError(
            f"dataset '{label}': n_queries={n_queries} held out of {available} rows leaves no base; "
            f"the maximum n_queries is {available - 1}"
        )
    room = available - n_queries
    if spec.n_base is None:
        n_base = room if defaults.n_base is None else min(defaults.n_base, room)
    elif spec.n_base > room:
        raise DatasetError(
            f"dataset '{label}': n_base={spec.n_base} plus n_queries={n_queries} held out needs "
            f"{spec.n_base + n_queries} rows but it has {available}; the maximum n_base is {room}"
        )
    else:
        n_base = spec.n_base
    base_rows, query_rows = held_out_rows(n_base, n_queries, spec.seed)
    head = raw.base[: n_base + n_queries]
    return np.asarray(head[base_rows]), np.asarray(head[query_rows]), base_rows
