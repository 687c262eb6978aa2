"""Load generator overhead: open-loop latency of a no-op adapter beside a real index, same process.

At ``--rate`` requests/s (default 1,000, constant arrivals, one client thread) it runs
  noop:    FixedServiceAdapter(service_ms=0): the search returns at once, so the latency measured
           from each intended start is the generator's own cost (waking up on time, the clock
           reads, the call);
  index:   hnswlib (M=16, ef_construction=200, ef=--ef) on GloVe 6B 50-d, 100,000 items (angular),
           searched through the same path the load workload times;
alternating the two ``--repeats`` times, and prints each one's p50/p99 and the median ratio
noop/index. Target: the generator's p50 under 5% of the index's p50 at 1,000 requests/s.

    python benchmarks/load_overhead.py [--rate 1000] [--duration 5] [--repeats 3] [--ef 64]
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from vecbench.datasets import DatasetSpec, load_dataset
from vecbench.indexes.base import IndexAdapter
from vecbench.indexes.registry import get_adapter_class
from vecbench.load.clients import ClientPlan, run_threads
from vecbench.load.histogram import merged, unpack
from vecbench.load.histogram import pack as pack_histograms
from vecbench.load.schedule import arrival_offsets_ns
from vecbench.load.workload import in_process
from vecbench.testing.load_adapters import FixedServiceAdapter

K = 10


def measure(adapter: IndexAdapter, queries: np.ndarray, rate: float, duration: float) -> tuple[float, float]:
    """Open-loop p50 and p99 in ms after a 0.5 s warm-up."""
    schedule = arrival_offsets_ns(rate, "constant", 0.5 + duration)
    plan = ClientPlan(1, int(0.5e9), int(duration * 1e9), 10**10, schedule)
    results, _, _ = run_threads(plan, in_process(adapter, queries, K, 1))
    packed = pack_histograms([r.latency for r in results])
    histogram = merged(unpack(packed["bytes"], packed["offsets"]))
    return histogram.get_value_at_percentile(50) / 1e6, histogram.get_value_at_percentile(99) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ef", type=int, default=64)
    parser.add_argument("--n-base", type=int, default=100_000)
    args = parser.parse_args()

    dataset = load_dataset(DatasetSpec(name="glove-6b-50", n_base=args.n_base, n_queries=1000, seed=0))
    index = get_adapter_class("hnswlib")(dataset.metric, M=16, ef_construction=200)
    index.build(dataset.base)
    index.set_query_params(ef=args.ef)
    queries = index.prepare_vectors(dataset.queries)
    noop = FixedServiceAdapter(dataset.metric, service_ms=0.0)
    noop.build(dataset.base[:10])

    rows: dict[str, list[tuple[float, float]]] = {"noop": [], "index": []}
    for _ in range(args.repeats):
        rows["noop"].append(measure(noop, queries, args.rate, args.duration))
        rows["index"].append(measure(index, queries, args.rate, args.duration))
    print(f"open loop, {args.rate:g} req/s constant, 1 client thread, {args.duration:g} s x {args.repeats}")
    for name, values in rows.items():
        p50s = ", ".join(f"{p50 * 1e3:.1f}" for p50, _ in values)
        p99s = ", ".join(f"{p99 * 1e3:.1f}" for _, p99 in values)
        print(f"  {name:6s} p50 us: {p50s}   p99 us: {p99s}")
    ratio50 = statistics.median(n[0] / i[0] for n, i in zip(rows["noop"], rows["index"], strict=True))
    ratio99 = statistics.median(n[1] / i[1] for n, i in zip(rows["noop"], rows["index"], strict=True))
    print(f"generator overhead / measured latency (median of pairs): p50 {ratio50:.1%}, p99 {ratio99:.1%}")
    print(f"target p50 < 5%: {'met' if ratio50 < 0.05 else 'NOT met'}")


if __name__ == "__main__":
    main()
