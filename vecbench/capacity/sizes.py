"""Size sweeps: one dataset per entry of a config's ``sizes``, nested, with the queries held fixed.

The base at size n is the first n rows of one seeded permutation of the largest base (sorted back
into file order), so every smaller base is a subset of every larger one and each size differs only
in how many items it holds. Synthetic data is drawn iid, so there the base at size n is the prefix,
which is exactly what the generator draws at that size (the same fingerprint and point keys as a
plain run with ``n_base: n``). Ground truth is computed exactly per size by the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vecbench.datasets import Dataset, GroundTruth, exact_ground_truth, load_dataset
from vecbench.datasets.fingerprint import fingerprint
from vecbench.datasets.spec import DatasetSpec
from vecbench.errors import ConfigError

if TYPE_CHECKING:
    from vecbench.bench.config import ExperimentConfig
    from vecbench.bench.sweep import BuildPoint
    from vecbench.bench.worker import DataSource
    from vecbench.bench.workloads import Prepared
    from vecbench.reports.store import ResultStore

# The datasets whose base rows are iid draws: a prefix is already a uniform subsample.
IID_DATASETS = frozenset({"synthetic"})


def full_spec(spec: DatasetSpec, sizes: Sequence[int]) -> DatasetSpec:
    """The dataset spec holding the largest size: ``n_base`` raised to it when the spec is silent."""
    largest = max(sizes)
    if spec.n_base is None:
        return spec.model_copy(update={"n_base": largest})
    if spec.n_base < largest:
        raise ConfigError(
            f"sizes: the largest size {largest} exceeds the dataset's n_base={spec.n_base}; "
            f"raise n_base to at least {largest} or drop it (sizes then set it)"
        )
    return spec


def check_sizes(config: ExperimentConfig) -> list[int]:
    """The sizes sorted ascending; duplicates and a filters section are refused."""
    sizes = list(config.sizes or [])
    if len(set(sizes)) != len(sizes):
        raise ConfigError(f"sizes: {sizes} lists a size twice; give each size once")
    if config.filters:
        raise ConfigError("sizes: cannot be combined with filters yet; run the filters in their own config")
    return sorted(sizes)


def subsample_rows(spec: DatasetSpec, n_full: int, n: int) -> np.ndarray:
    """Rows of the full base kept at size n: a prefix of one seeded permutation (nested in n)."""
    if spec.name in IID_DATASETS:
        return np.arange(n)
    order = np.random.default_rng([spec.seed, 14]).permutation(n_full)
    return np.sort(order[:n])


def subsample(full: Dataset, spec: DatasetSpec, n: int) -> Dataset:
    """The dataset at size n, with the full dataset's queries; attributes and shipped truth dropped."""
    if n == full.n_base:
        base = full.base
    else:
        base = np.ascontiguousarray(full.base[subsample_rows(spec, full.n_base, n)])
    return Dataset(
        name=full.name,
        base=base,
        queries=full.queries,
        metric=full.metric,
        fingerprint=fingerprint(base, full.queries, full.metric),
        neighbors=full.neighbors if n == full.n_base else None,
        distances=full.distances if n == full.n_base else None,
        source=f"{full.source}; nested subsample of {n} base rows" if n != full.n_base else full.source,
    )


def sized_datasets(config: ExperimentConfig) -> list[Dataset]:
    """One dataset per size, smallest first; without ``sizes`` the config's dataset alone."""
    if not config.sizes:
        return [load_dataset(config.dataset)]
    sizes = check_sizes(config)
    spec = full_spec(config.dataset, sizes)
    full = load_dataset(spec)
    if sizes[-1] > full.n_base:
        raise ConfigError(
            f"sizes: the largest size {sizes[-1]} exceeds the {full.n_base} base rows the dataset has"
        )
    return [subsample(full, spec, n) for n in sizes]


@dataclass(frozen=True)
class SizedSource:
    """A worker's data at one size: the full dataset subsampled as the runner did (synthetic data is
    drawn at that size directly, the same rows), checked against the planned fingerprint."""

    spec: DatasetSpec
    n_base: int
    fingerprint: str

    def load(self) -> Prepared:
        from vecbench.bench.workloads import Prepared

        if self.spec.name in IID_DATASETS:  # the generator at this size draws exactly the prefix
            dataset = load_dataset(self.spec.model_copy(update={"n_base": self.n_base}))
        else:
            dataset = subsample(load_dataset(self.spec), self.spec, self.n_base)
        if dataset.fingerprint != self.fingerprint:
            raise RuntimeError("dataset changed between the runner and the worker (fingerprint mismatch)")
        return Prepared(dataset.base, dataset.queries, dataset.metric, None)


def data_source(config: ExperimentConfig, dataset: Dataset) -> DataSource:
    """What a worker loads for this dataset: the plain spec, or the spec at one size of a sweep."""
    from vecbench.bench.worker import DatasetSource

    if not config.sizes:
        return DatasetSource(config.dataset, dataset.fingerprint)
    return SizedSource(full_spec(config.dataset, config.sizes), dataset.n_base, dataset.fingerprint)


SizedPoint = tuple["BuildPoint", Dataset, GroundTruth]


def sized_points(
    config: ExperimentConfig,
    datasets: Sequence[Dataset],
    points: Sequence[BuildPoint],
    truth: GroundTruth,
    cache_dir: Path,
    sweep: Callable[[ExperimentConfig, str], list[BuildPoint]],
) -> list[SizedPoint]:
    """Every build point at every size (smallest size first), each with its dataset and exact truth.

    ``points`` and ``truth`` belong to the last (largest) dataset and are reused; the others are
    swept and their truth computed here. Build parameters are checked against each size's shape.
    """
    from vecbench.indexes.registry import get_adapter_class

    work: list[SizedPoint] = []
    for dataset in datasets[:-1]:
        if config.k > dataset.n_base:
            raise ConfigError(f"sizes: k={config.k} exceeds the smallest size {dataset.n_base}; raise it")
        size_truth = exact_ground_truth(dataset, config.k, cache_dir)
        for point in sweep(config, dataset.fingerprint):
            cls = get_adapter_class(point.adapter)
            try:
                cls(dataset.metric, **point.build_params).check_data(dataset.n_base, dataset.dim)
            except ConfigError as exc:
                raise ConfigError(f"sizes: at size {dataset.n_base}: {exc}") from None
            work.append((point, dataset, size_truth))
    work.extend((point, datasets[-1], truth) for point in points)
    return work


def check_sized_experiment(store: ResultStore, config: ExperimentConfig, datasets: Sequence[Dataset]) -> None:
    """Resume only the same experiment: without sizes the runner's own check; with sizes every
    stored row must belong to one of this sweep's sizes (same name, one of its fingerprints)."""
    from vecbench.reports.pipeline_store import PipelineStore
    from vecbench.reports.result_folder import check_same_experiment

    label = str(config.dataset.label())
    if not config.sizes:
        check_same_experiment(store, config.name, label, datasets[-1].fingerprint)
        return
    if PipelineStore(store.out_dir).exists():
        raise ConfigError(f"{store.out_dir} holds pipeline results; give another --out for '{config.name}'")
    existing = store.read()
    if existing.empty:
        return
    known = {d.fingerprint for d in datasets}
    other = existing[(existing["experiment"] != config.name) | ~existing["dataset_fingerprint"].isin(known)]
    if not other.empty:
        found = other.iloc[0]
        raise ConfigError(
            f"{store.out_dir} holds results of experiment '{found['experiment']}' on {found['dataset']} at "
            f"n_base={found['n_base']} that this size sweep of '{config.name}' does not have; "
            f"give another --out, or delete {store.out_dir} to start over"
        )
