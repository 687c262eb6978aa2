"""Exact top-K on a GPU (torch, fp32 + float64 re-rank) against the CPU backends, on seeded data.

    PYTHONPATH=$PWD python benchmarks/gpu_ground_truth.py [--n-base 1000000] [--n-queries 10000]
        [--dim 128] [--k 100] [--metric euclidean] [--cpu faiss numpy] [--seed 0]

The issue's size (exact top-100 for 10,000 queries over 1,000,000 x 128) is the default. It prints
the time of every backend over the same arrays, and the agreement of each with the first CPU
backend: tie-aware, rank by rank (the distance at each rank must match within 1e-3 relative; where
several ids share a distance their order is free), which must be 100%, plus the share of identical
ids. Without CUDA the torch backend runs on the CPU and the line says so. The data is Gaussian
clusters (so near neighbours are near, not the flat distances of uniform noise).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from vecbench.core.params import Metric
from vecbench.datasets.exact_backends import cuda_available
from vecbench.datasets.ground_truth import compute_exact

TOLERANCE = 1e-3


def clustered(n: int, dim: int, centres: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    picks = rng.integers(0, centres.shape[0], size=n)
    return (centres[picks] + 0.3 * rng.standard_normal((n, dim), dtype=np.float32)).astype(np.float32)


def agreement(
    ours: tuple[np.ndarray, np.ndarray], reference: tuple[np.ndarray, np.ndarray]
) -> tuple[float, float]:
    """(share of ranks whose distance matches the reference's, share of identical ids)."""
    a, b = ours[1].astype(np.float64), reference[1].astype(np.float64)
    close = np.abs(a - b) <= TOLERANCE * np.maximum(1.0, np.abs(b))
    return float(close.mean()), float((ours[0] == reference[0]).mean())


def timed(
    queries: np.ndarray, base: np.ndarray, metric: Metric, k: int, backend: str
) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
    start = time.perf_counter()
    found = compute_exact(queries, base, metric, k, backend=backend)
    return time.perf_counter() - start, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-base", type=int, default=1_000_000)
    parser.add_argument("--n-queries", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--metric", choices=[m.value for m in Metric], default="euclidean")
    parser.add_argument(
        "--cpu", nargs="+", default=["faiss"], choices=["faiss", "numpy"], help="CPU backends to time"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    centres = 3.0 * rng.standard_normal((1000, args.dim), dtype=np.float32)
    base = clustered(args.n_base, args.dim, centres, rng)
    queries = clustered(args.n_queries, args.dim, centres, rng)
    metric = Metric(args.metric)
    print(
        f"exact top-{args.k}: {args.n_queries:,} queries over {args.n_base:,} x {args.dim} ({metric.value})"
    )

    results = {}
    for backend in args.cpu:
        seconds, found = timed(queries, base, metric, args.k, backend)
        results[backend] = found
        print(f"  CPU {backend:<6} {seconds:9.2f} s")
    reference = results[args.cpu[0]]
    for backend in args.cpu[1:]:
        ranks, ids = agreement(results[backend], reference)
        print(
            f"  CPU {backend:<6} agrees with {args.cpu[0]}: {100 * ranks:.4f}% of ranks (tie-aware), {100 * ids:.4f}% ids"
        )

    device = "CUDA" if cuda_available() else "CPU (no CUDA here: not a GPU figure)"
    if cuda_available():
        timed(queries[:256], base, metric, args.k, "torch")  # CUDA context, kernels, first copy
    seconds, found = timed(queries, base, metric, args.k, "torch")
    ranks, ids = agreement(found, reference)
    print(f"  torch on {device}: {seconds:9.2f} s")
    print(
        f"  torch agrees with CPU {args.cpu[0]}: {100 * ranks:.4f}% of ranks (tie-aware), {100 * ids:.4f}% ids"
    )
    if ranks < 1.0:
        raise SystemExit("FAIL: the torch backend disagrees with the CPU result beyond ties")


if __name__ == "__main__":
    main()
