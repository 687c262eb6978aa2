"""The in-memory dataset every loader returns and every benchmark consumes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vecbench.core.params import Metric
from vecbench.datasets.attributes import Attributes


@dataclass(frozen=True)
class Dataset:
    """Base vectors, query vectors and their metric; arrays may be memory-mapped (read-only).

    ``neighbors``/``distances`` hold ground truth that shipped with the file (ann-benchmarks HDF5),
    used to cross-check our own exact computation. ``fingerprint`` identifies the content, so caches
    and result rows can tell two datasets apart even under the same name.

    ``attributes`` (row i = base item i) feed filters; they have their own fingerprint and do not
    change the vectors' one, so unfiltered results stay comparable. ``seen`` lists, per query, the
    base ids it already interacted with (for "exclude seen" filters); None when unknown.
    """

    name: str
    base: np.ndarray
    queries: np.ndarray
    metric: Metric
    fingerprint: str
    neighbors: np.ndarray | None = None
    distances: np.ndarray | None = None
    source: str = ""
    attributes: Attributes | None = None
    seen: tuple[np.ndarray, ...] | None = None

    @property
    def dim(self) -> int:
        return int(self.base.shape[1])

    @property
    def n_base(self) -> int:
        return int(self.base.shape[0])

    @property
    def n_queries(self) -> int:
        return int(self.queries.shape[0])
