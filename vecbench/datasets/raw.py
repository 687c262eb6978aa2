"""What a file loader hands back before rows are chosen, checked and fingerprinted."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vecbench.core.params import Metric
from vecbench.datasets.attributes import Attributes


@dataclass(frozen=True)
class RawVectors:
    """Vectors exactly as a file holds them, memory-mapped where the format allows.

    Arrays are float32, or the file's own integer dtype (bvecs, ivecs) so that a billion-row uint8
    file is only converted for the rows a benchmark keeps. ``queries`` is None when the file has no
    query set of its own (a held-out split is made). ``metric`` is None when the format does not
    record one. ``neighbors``/``distances`` are ground truth shipped with the file, if any.
    ``attributes`` (row i = base row i) and ``seen`` (per query, the base ids it already interacted
    with) come with recommendation datasets.
    """

    base: np.ndarray
    source: str
    queries: np.ndarray | None = None
    metric: Metric | None = None
    neighbors: np.ndarray | None = None
    distances: np.ndarray | None = None
    attributes: Attributes | None = None
    seen: tuple[np.ndarray, ...] | None = None
