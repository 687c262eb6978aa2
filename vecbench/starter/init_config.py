"""``vecbench init DATA``: a starter config sized to the user's own vectors, which loads as written.

The grids are a first look, not a tuned answer: exact search (the reference), HNSW over a few
``ef`` values, and IVF with ``nlist`` near 4 sqrt(n) probed at 1-25 % of its lists. The metric is
angular when the rows are unit length (as most embedding models write them), else euclidean;
the comment says so, so the user can change it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from vecbench.datasets.formats import load_file, resolve_format
from vecbench.errors import DatasetError

UNIT_TOLERANCE = 1e-3
SAMPLE_ROWS = 2000
MIN_ROWS = 20


@dataclass(frozen=True)
class Starter:
    text: str  # the YAML as written, with its comments
    config: dict[str, Any]
    rows: int
    dim: int
    metric: str
    metric_reason: str


def starter_config(data: Path, name: str | None = None) -> Starter:
    """Read ``data`` (any format vecbench reads), look at its shape and norms, and write a config."""
    path = data.expanduser()
    if not path.exists():
        raise DatasetError(f"file not found: {path}; give the vectors to benchmark, e.g. vecbench init embeddings.npy")
    fmt = resolve_format(None, path)
    raw = load_file(path, fmt)
    rows, dim = int(raw.base.shape[0]), int(raw.base.shape[1])
    if rows < MIN_ROWS:
        raise DatasetError(f"{path} has {rows} rows; a benchmark needs at least {MIN_ROWS} (queries are held out of them)")
    metric, reason = _metric(raw.base, raw.metric.value if raw.metric is not None else None)
    n_queries = 0 if raw.queries is not None else min(1000, max(1, rows // 10))
    nlist = max(1, min(4096, round(4 * math.sqrt(rows - n_queries))))
    dataset: dict[str, Any] = {"path": str(path), "format": fmt, "metric": metric}
    if n_queries:
        dataset["n_queries"] = n_queries
    config = {
        "name": name or _safe(path.stem),
        "dataset": dataset,
        "k": 10,
        "indexes": [
            {"adapter": "exact"},
            {"adapter": "hnswlib", "build": {"M": 16, "ef_construction": 200}, "query": {"ef": [16, 32, 64, 128, 256]}},
            {
                "adapter": "faiss-ivf",
                "build": {"nlist": nlist},
                "query": {"nprobe": sorted({max(1, round(nlist * f)) for f in (0.01, 0.03, 0.1, 0.25)})},
            },
        ],
        "repeats": 3,
    }
    queries = "its own queries" if raw.queries is not None else f"{n_queries} rows held out as queries"
    text = "\n".join(
        [
            f"# Starter config written by 'vecbench init' for {path.name}: {rows:,} x {dim}, {queries}.",
            f"# metric: {metric} because {reason}; change it if your model says otherwise.",
            "# Lists under query:/build: expand as a grid; repeats: 3 gives the gate and the report",
            "# an interval. Run it with: vecbench run THIS_FILE",
            "# Editor completion: vecbench schema > vecbench.schema.json, then put this line on top:",
            "#   # yaml-language-server: $schema=vecbench.schema.json",
            yaml.safe_dump(config, sort_keys=False, default_flow_style=None),
        ]
    )
    return Starter(text, config, rows, dim, metric, reason)


def _metric(base: np.ndarray, declared: str | None) -> tuple[str, str]:
    if declared is not None:
        return declared, "the file says so"
    step = max(1, base.shape[0] // SAMPLE_ROWS)
    norms = np.linalg.norm(np.asarray(base[::step], dtype=np.float64), axis=1)
    if norms.size and float(np.max(np.abs(norms - 1.0))) < UNIT_TOLERANCE:
        return "angular", "every sampled row has unit length"
    return "euclidean", f"the rows are not unit length (norms {norms.min():.3g} to {norms.max():.3g})"


def _safe(stem: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in stem).strip("-")
    return cleaned or "my-vectors"
