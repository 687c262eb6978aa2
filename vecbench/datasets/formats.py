"""File formats a spec can name by ``format:`` or leave to the path's suffix; loaders import lazily."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vecbench.core.lazy_import import import_target
from vecbench.core.params import Metric
from vecbench.core.registry import lookup
from vecbench.datasets.raw import RawVectors
from vecbench.errors import ConfigError


@dataclass(frozen=True)
class FileFormat:
    """How to read one format: a lazily imported loader, its suffixes, and the metric it implies."""

    loader: str  # "module:function" taking a Path and returning RawVectors
    suffixes: tuple[str, ...]
    description: str
    metric: Metric | None = None  # None: the file or the spec must say
    queries_file: bool = True  # whether spec.queries_path (a second file, same format) makes sense


_LOADERS = "vecbench.datasets.loaders"

# Adding a format is one entry here and one loader module.
FORMATS: dict[str, FileFormat] = {
    "hdf5": FileFormat(
        f"{_LOADERS}.hdf5:load_hdf5",
        (".hdf5", ".h5"),
        "ann-benchmarks HDF5: train, test, neighbors, distances and a distance attribute",
        queries_file=False,
    ),
    "fvecs": FileFormat(f"{_LOADERS}.texmex:load_fvecs", (".fvecs",), "TEXMEX float32 vectors"),
    "ivecs": FileFormat(f"{_LOADERS}.texmex:load_ivecs", (".ivecs",), "TEXMEX int32 vectors"),
    "bvecs": FileFormat(f"{_LOADERS}.texmex:load_bvecs", (".bvecs",), "TEXMEX uint8 vectors (SIFT1B)"),
    "npy": FileFormat(f"{_LOADERS}.npy:load_npy", (".npy",), "a 2-d NumPy array"),
    "mnist-idx": FileFormat(
        f"{_LOADERS}.mnist:load_idx",
        ("-ubyte.gz", "-ubyte"),
        "IDX images as LeCun distributes MNIST, or a folder holding t10k-images-idx3-ubyte.gz",
        metric=Metric.EUCLIDEAN,
    ),
    "glove-txt": FileFormat(
        f"{_LOADERS}.glove:load_glove_txt",
        (".txt",),
        "GloVe text: a token then its values on each line",
        metric=Metric.ANGULAR,
    ),
    "glove-npy": FileFormat(
        f"{_LOADERS}.glove:load_glove_npy",
        (),
        "a folder holding glove_6B_50d_emb*.npy (or such a file)",
        metric=Metric.ANGULAR,
    ),
}


def format_names() -> list[str]:
    """Names a spec's ``format:`` may take."""
    return sorted(FORMATS)


def resolve_format(given: str | None, path: Path) -> str:
    """The spec's format if known, else the one the path's suffix (or folder contents) implies."""
    if given is not None:
        lookup(FORMATS, given, "dataset format", f"; formats: {', '.join(format_names())}")
        return given
    return infer_format(path)


def infer_format(path: Path) -> str:
    """Guess the format from a suffix, or from what a folder holds; ConfigError when it cannot tell."""
    if path.is_dir():
        if any(path.glob("glove_6B_50d_emb*.npy")):
            return "glove-npy"
        if any(path.glob("*-images-idx3-ubyte*")):
            return "mnist-idx"
        raise ConfigError(
            f"cannot tell the format of folder {path}; set format: to glove-npy or mnist-idx, "
            "or give the path of a file"
        )
    name = path.name.lower()
    for fmt, spec in FORMATS.items():
        if name.endswith(spec.suffixes):
            return fmt
    raise ConfigError(
        f"cannot tell the format of {path} from its suffix; set format: to one of {', '.join(format_names())}"
    )


def load_file(path: Path, fmt: str) -> RawVectors:
    """Read ``path`` with the loader of ``fmt`` (a key of FORMATS)."""
    return _loader(FORMATS[fmt].loader)(path)


def _loader(target: str) -> Callable[[Path], RawVectors]:
    loader: Callable[[Path], RawVectors] = import_target(target)
    return loader
