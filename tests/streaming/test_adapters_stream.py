"""Every adapter under a runbook, in this process: no deleted id comes back, exact is exact.

The workload runs exactly as in a worker (same ``StreamingOps.play``), only without the process
around it, so each adapter costs its build and updates and nothing else. The runbooks are big-ann's
``simple_runbook.yaml`` and ``simple_replace_runbook.yaml`` (key random-xs), scaled onto 2,500 seeded
vectors in the default run and unscaled on 10,000 in the slow one.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vecbench.bench.calibration import CalibrationKernel
from vecbench.bench.workloads import Timing, WorkerContext
from vecbench.core.params import Metric
from vecbench.indexes.registry import get_adapter_class
from vecbench.streaming.index import update_mode
from vecbench.streaming.policy import parse_policy
from vecbench.streaming.records import step_rows, summary
from vecbench.streaming.runbook import Runbook, live_counts, load_runbook
from vecbench.streaming.truth import replay_truth
from vecbench.streaming.workload import StreamingOps, StreamPrepared

K = 10
ADAPTERS: list[tuple[str, dict[str, Any], dict[str, Any], Any]] = [
    ("exact", {}, {}, None),
    ("hnswlib", {"M": 8, "ef_construction": 40}, {"ef": 60}, None),
    ("faiss-ivf", {"nlist": 16}, {"nprobe": 4}, None),
    ("faiss-ivfpq", {"nlist": 16, "m": 4, "nbits": 6, "refine": True}, {"nprobe": 4, "k_factor": 8}, None),
    ("faiss-hnsw", {"M": 8, "ef_construction": 40}, {"ef_search": 60}, None),  # tombstones
    ("annoy", {"n_trees": 5, "build_threads": 1}, {"search_k": 500}, None),  # rebuild only
]


def play(
    runbook: Runbook,
    name: str,
    build: dict[str, Any],
    query: dict[str, Any],
    policy: Any,
    base: np.ndarray,
    queries: np.ndarray,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    cls = get_adapter_class(name)
    parsed = parse_policy(policy, name, cls.capabilities)
    mode = update_mode(name, cls.capabilities, parsed, deletes=True)
    first = runbook.steps[0]
    adapter = cls(Metric.EUCLIDEAN, **build)
    started = time.perf_counter_ns()
    adapter.build(base[first.start : first.end])
    build_ns = time.perf_counter_ns() - started
    adapter.set_num_threads(1)
    ctx = WorkerContext(
        adapter=adapter,
        adapter_class=cls,
        build_params=build,
        data=StreamPrepared(base[first.start : first.end], queries, Metric.EUCLIDEAN, vectors=base),
        queries=adapter.prepare_vectors(queries),
        kernel=CalibrationKernel.create(),
        build_ns=build_ns,
        threads=1,
        raw_dir=Path("."),
        repeat=0,
        peak_rss=lambda: 0,
    )
    workload = StreamingOps(
        (("p", query),),
        runbook.steps,
        runbook.n_ids,
        parsed,
        mode,
        Timing(K, 1, 0, latency=False),
        freshness_sample=8,
    )
    shared, per_point = workload.play(ctx)
    raw = {**shared, **per_point["p"]}
    truth = replay_truth(runbook, queries, base, Metric.EUCLIDEAN, K)
    rows = step_rows(raw, runbook, truth, queries, base, Metric.EUCLIDEAN, K, {"adapter": name})
    # latency: False leaves no single-query samples: the summary pools none
    raw.update({f"s{n}_latencies_ns": np.zeros(1, np.int64) for n in runbook.search_steps()})
    return rows, summary(rows, raw, runbook)


def seeded(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    return rng.standard_normal((n, 8)).astype(np.float32), rng.standard_normal((40, 8)).astype(np.float32)


# The default run: the replace runbook (insert, replace, delete) scaled onto 2,500 vectors; the slow
# run: both runbooks unscaled on 10,000.
CASES = [
    pytest.param("simple_replace_runbook.yaml", 2500, id="replace-2.5k"),
    pytest.param("simple_replace_runbook.yaml", 10_000, id="replace-10k", marks=pytest.mark.slow),
    pytest.param("simple_runbook.yaml", 10_000, id="simple-10k", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("file", "size"), CASES)
@pytest.mark.parametrize(("name", "build", "query", "policy"), ADAPTERS, ids=[a[0] for a in ADAPTERS])
def test_no_deleted_id_is_returned(
    runbooks: Path, file: str, size: int, name: str, build: dict[str, Any], query: dict[str, Any], policy: Any
) -> None:
    base, queries = seeded(size)
    runbook = load_runbook(runbooks / file, "random-xs", size, scale=size / 10_000)
    rows, total = play(runbook, name, build, query, policy, base, queries)
    searches = [row for row in rows if row["operation"] == "search"]
    assert len(searches) == len(runbook.search_steps())
    assert all(row["deleted_returned"] == 0 for row in searches), [
        row["deleted_returned"] for row in searches
    ]
    assert [row["live_count"] for row in rows] == live_counts(runbook)
    if name == "exact":
        assert all(row["recall"] == 1.0 and row["recall_ids"] == 1.0 for row in searches)
        assert total["visible_never"] == 0.0 and total["gone_never"] == 0.0
    else:
        assert min(row["recall"] for row in searches) > 0.5
    updates = [row for row in rows[1:] if row["operation"] != "search"]
    assert all(row["seconds"] > 0 for row in updates)
    if name == "annoy":
        assert total["rebuilds"] == len(updates) and total["rebuild_s"] > 0


def test_a_stale_batch_index_returns_deleted_ids(runbooks: Path) -> None:
    """rebuild_every: 2 serves its last build: the delete at step 3 is still visible at step 4."""
    base, queries = seeded(2500)
    runbook = load_runbook(runbooks / "simple_runbook.yaml", "random-xs", 2500, scale="fit")
    rows, total = play(runbook, "exact", {}, {}, {"rebuild_every": 2}, base, queries)
    by_step = {row["step"]: row for row in rows}
    assert by_step[4]["deleted_returned"] > 0 and by_step[4]["recall"] < 1.0
    assert by_step[6]["deleted_returned"] == 0 and by_step[6]["recall"] == 1.0  # rebuilt after step 5
    assert total["rebuilds"] == 1 and total["worst_step"] == 4
