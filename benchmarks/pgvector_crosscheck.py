"""Cross-check vecbench's pgvector numbers against VectorDBBench's own pgvector client.

    python benchmarks/pgvector_crosscheck.py [--n 100000] [--queries 1000] [--rounds 3]

Both clients load the same GloVe 6B 50-d vectors (angular) into the same PostgreSQL 16 +
pgvector server (one vecbench starts), build the same HNSW index (m, ef_construction, one build
worker) and search the same held-out queries one at a time at the same ef_search. Recall@k is
computed for both the same way (plain id recall against vecbench's exact ground truth); QPS is
queries over wall time of the serial loop, alternated between the two clients ``--rounds`` times so
machine noise hits both alike. Prints both figures, their differences and the spread of the rounds.
Needs the extras ``pgvector`` and ``crosscheck`` (``pip install 'vecbench[pgvector,crosscheck]'``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from vectordb_bench.backend.clients.api import MetricType
from vectordb_bench.backend.clients.pgvector.config import PgVectorHNSWConfig
from vectordb_bench.backend.clients.pgvector.pgvector import PgVector

from vecbench.datasets import exact_ground_truth, load_dataset
from vecbench.datasets.ground_truth import default_cache_dir
from vecbench.datasets.spec import DatasetSpec
from vecbench.indexes.pgvector_index import PgvectorAdapter
from vecbench.metrics.recall import id_recall
from vecbench.servers.postgres import PostgresServer

K = 10


def vdbb_client(server: PostgresServer, dim: int, args: argparse.Namespace) -> PgVector:
    connect = {
        "host": str(server.socket_dir),
        "port": 5432,
        "dbname": "postgres",
        "user": "postgres",
        "password": "",
    }
    case = PgVectorHNSWConfig(
        metric_type=MetricType.COSINE,
        m=args.m,
        ef_construction=args.ef_construction,
        ef_search=args.ef_search,
        maintenance_work_mem=args.maintenance_work_mem,
        iterative_scan="",  # pgvector 0.8's setting; the server has 0.6, so none is set
    )
    return PgVector(dim, {"connect_config": connect, "table_name": "vdbb_crosscheck"}, case, drop_old=True)


def vdbb_build(db: PgVector, base: np.ndarray) -> float:
    start = time.perf_counter()
    with db.init():
        for at in range(0, len(base), 10_000):
            block = base[at : at + 10_000]
            _, error = db.insert_embeddings(block.tolist(), list(range(at, at + len(block))))
            if error is not None:
                raise error
        db.optimize()
    return time.perf_counter() - start


def vdbb_search(db: PgVector, queries: np.ndarray) -> tuple[np.ndarray, float]:
    lists = [q.tolist() for q in queries]
    with db.init():
        db.prepare_filter(_no_filter())
        for q in lists[:50]:
            db.search_embedding(q, K)
        start = time.perf_counter()
        found = [db.search_embedding(q, K) for q in lists]
        elapsed = time.perf_counter() - start
    ids = np.full((len(found), K), -1, dtype=np.int64)
    for row, got in enumerate(found):
        ids[row, : len(got)] = got
    return ids, len(lists) / elapsed


def _no_filter() -> Any:
    from vectordb_bench.backend.filter import non_filter

    return non_filter


def vecbench_search(adapter: PgvectorAdapter, queries: np.ndarray) -> tuple[np.ndarray, float]:
    prepared = adapter.prepare_vectors(queries)
    for q in prepared[:50]:
        adapter.search_one_prepared(q, K)
    start = time.perf_counter()
    found = [adapter.search_one_prepared(q, K).ids for q in prepared]
    elapsed = time.perf_counter() - start
    return np.stack(found), len(prepared) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=64)
    parser.add_argument("--ef-search", type=int, default=40)
    parser.add_argument("--maintenance-work-mem", default="512MB")
    args = parser.parse_args()

    dataset = load_dataset(DatasetSpec(name="glove-6b-50", n_base=args.n, n_queries=args.queries))
    truth = exact_ground_truth(dataset, K, Path(default_cache_dir()))
    base, queries = np.asarray(dataset.base, np.float32), np.asarray(dataset.queries, np.float32)
    server = PostgresServer.start()
    try:
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION vector")
            conn.execute("ALTER SYSTEM SET max_parallel_maintenance_workers = 0")  # one build worker for both
            conn.execute("SELECT pg_reload_conf()")
        adapter = PgvectorAdapter(
            dataset.metric, dsn=server.dsn, m=args.m, ef_construction=args.ef_construction,
            maintenance_work_mem=args.maintenance_work_mem, build_workers=0,
        )  # fmt: skip
        start = time.perf_counter()
        adapter.build(base)
        ours_build = time.perf_counter() - start
        adapter.set_query_params(ef_search=args.ef_search)
        db = vdbb_client(server, base.shape[1], args)
        theirs_build = vdbb_build(db, base)
        results: dict[str, list[tuple[float, float]]] = {"vecbench": [], "vectordb-bench": []}
        for _ in range(args.rounds):
            for name in results:
                ids, qps = (
                    vecbench_search(adapter, queries) if name == "vecbench" else vdbb_search(db, queries)
                )
                results[name].append((float(id_recall(ids, truth.ids, K).mean()), qps))
        adapter.close()
    finally:
        server.stop()

    print(f"GloVe 6B 50-d, {args.n} items, {args.queries} queries, HNSW m={args.m} "
          f"ef_construction={args.ef_construction} ef_search={args.ef_search}, k={K}, {args.rounds} alternated rounds")  # fmt: skip
    print(f"build (load + index) s: vecbench {ours_build:.1f}, vectordb-bench {theirs_build:.1f}")
    for name, rounds in results.items():
        recalls, qps = [r for r, _ in rounds], [q for _, q in rounds]
        print(
            f"{name:15s} recall@{K} {np.median(recalls):.4f}  QPS median {np.median(qps):7.1f} "
            f"(rounds: {', '.join(f'{q:.0f}' for q in qps)})"
        )
    ours, theirs = results["vecbench"], results["vectordb-bench"]
    recall_gap = abs(np.median([r for r, _ in ours]) - np.median([r for r, _ in theirs]))
    qps_ratio = np.median([q for _, q in ours]) / np.median([q for _, q in theirs])
    spread = max(
        np.ptp([q for _, q in rounds]) / np.median([q for _, q in rounds]) for rounds in results.values()
    )
    print(f"recall difference {recall_gap:.4f} (limit 0.005): {'ok' if recall_gap <= 0.005 else 'DISAGREE'}")
    print(
        f"QPS ratio vecbench/vectordb-bench {qps_ratio:.3f}; round-to-round spread up to {spread:.1%}: "
        f"{'within noise' if abs(qps_ratio - 1) <= max(spread, 0.05) else 'OUTSIDE noise'}"
    )


if __name__ == "__main__":
    main()
