"""The standard ann-benchmarks HDF5 files: what each is, where it lives, and how a config reads it.

ann-benchmarks (Aumüller, Bernhardsson, Faithfull) publishes each set as one HDF5 file
(``train``, ``test``, ``neighbors``, ``distances``, a ``distance`` attribute) at
``http://ann-benchmarks.com/NAME.hdf5``. vecbench never ships them: ``vecbench datasets fetch NAME``
downloads one into the data folder (``$VECBENCH_DATA``, default ``./data``), and a config names it
as ``dataset: {name: glove-100-angular}`` (or with ``path:`` to a copy elsewhere).

No checksums are published for these files, so none is recorded here: a fetch writes the SHA-256
it measured beside the file (``NAME.hdf5.sha256``) and checks the file's shape and distance
against this table; ``--sha256`` pins a digest you already trust.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vecbench.core.params import Metric
from vecbench.datasets.formats import load_file
from vecbench.datasets.raw import RawVectors
from vecbench.datasets.spec import DatasetSpec
from vecbench.errors import ConfigError, DatasetError

DATA_ENV = "VECBENCH_DATA"
BASE_URL = "http://ann-benchmarks.com"


@dataclass(frozen=True)
class AnnFile:
    """One published file: dimension, distance and sizes as ann-benchmarks lists them."""

    dim: int
    metric: Metric
    n_train: int
    n_test: int
    source: str
    sha256: str | None = None  # none is published; a fetch records the one it measured

    def file_name(self, name: str) -> str:
        return f"{name}.hdf5"

    def url(self, name: str) -> str:
        return f"{BASE_URL}/{self.file_name(name)}"

    @property
    def size(self) -> str:
        return f"{self.n_train:,} train + {self.n_test:,} test vectors, 100 true neighbours per query"


_GLOVE = "GloVe Twitter word vectors (Pennington et al. 2014)"
ANN_FILES: dict[str, AnnFile] = {
    "deep-image-96-angular": AnnFile(96, Metric.ANGULAR, 9_990_000, 10_000, "Deep1B image descriptors (Babenko, Lempitsky 2016)"),
    "fashion-mnist-784-euclidean": AnnFile(784, Metric.EUCLIDEAN, 60_000, 10_000, "Fashion-MNIST images (Xiao et al. 2017)"),
    "gist-960-euclidean": AnnFile(960, Metric.EUCLIDEAN, 1_000_000, 1_000, "GIST1M image descriptors (TEXMEX, Jégou et al.)"),
    "glove-25-angular": AnnFile(25, Metric.ANGULAR, 1_183_514, 10_000, _GLOVE),
    "glove-50-angular": AnnFile(50, Metric.ANGULAR, 1_183_514, 10_000, _GLOVE),
    "glove-100-angular": AnnFile(100, Metric.ANGULAR, 1_183_514, 10_000, _GLOVE),
    "glove-200-angular": AnnFile(200, Metric.ANGULAR, 1_183_514, 10_000, _GLOVE),
    "mnist-784-euclidean": AnnFile(784, Metric.EUCLIDEAN, 60_000, 10_000, "MNIST images (LeCun et al.)"),
    "nytimes-256-angular": AnnFile(256, Metric.ANGULAR, 290_000, 10_000, "New York Times bag of words, random projection (UCI)"),
    "sift-128-euclidean": AnnFile(128, Metric.EUCLIDEAN, 1_000_000, 10_000, "SIFT1M image descriptors (TEXMEX, Jégou et al.)"),
}


def data_dir() -> Path:
    """Where fetched files go and named ones are looked for: ``$VECBENCH_DATA``, else ``./data``."""
    return Path(os.environ.get(DATA_ENV) or "data").expanduser()


def local_path(name: str, folder: Path | None = None) -> Path:
    return (folder or data_dir()) / ANN_FILES[name].file_name(name)


def load_ann_benchmarks(spec: DatasetSpec) -> RawVectors:
    """Read the named file from ``path`` or the data folder, checked against the published shape."""
    assert spec.name is not None  # the registry calls this for a named spec only
    path = Path(spec.path).expanduser() if spec.path else local_path(spec.name)
    if spec.path and not path.exists():
        raise DatasetError(f"file not found: {path} (dataset '{spec.name}')")
    if not path.exists():
        raise DatasetError(
            f"dataset '{spec.name}' is not in {path.parent}: fetch it with "
            f"'vecbench datasets fetch {spec.name}' (or set path: to your copy)"
        )
    if spec.format not in (None, "hdf5"):
        raise ConfigError(f"dataset '{spec.name}' is an HDF5 file; remove format: {spec.format}")
    raw = load_file(path, "hdf5")
    check_shape(spec.name, raw, path)
    return raw


def check_shape(name: str, raw: RawVectors, path: Path) -> None:
    """A file under a published name must have that set's dimension and distance."""
    entry = ANN_FILES[name]
    if raw.base.shape[1] != entry.dim:
        raise DatasetError(
            f"{path} has {raw.base.shape[1]}-d vectors but {name} is {entry.dim}-d; is it another file?"
        )
    if raw.metric is not None and raw.metric is not entry.metric:
        raise DatasetError(
            f"{path} says distance '{raw.metric.value}' but {name} is {entry.metric.value}; is it another file?"
        )
    if raw.queries is None:
        raise DatasetError(f"{path} has no 'test' queries, which every ann-benchmarks file holds")
