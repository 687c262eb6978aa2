"""Print issue 13's table from a finished run of configs/glove-100k-databases.yaml.

    python benchmarks/database_table.py runs/glove-100k-databases

One line per (index, query point): recall@10, QPS, p50/p99 latency, build time (with the
database's load and index phases), index size, server memory and the round trip's share of a
single query; then filtered recall and short-result share per pass-rate (strategy ``pre``, the
index's own filtered search). Every figure is read from the result file, as measured.
"""

from __future__ import annotations

import sys

import pandas as pd

from vecbench.reports.store import ResultStore


def mb(value: object) -> str:
    return "-" if pd.isna(value) else f"{float(value) / 2**20:.0f}"  # type: ignore[arg-type]


def ms(value: object) -> str:
    return "-" if pd.isna(value) else f"{float(value):.3f}"  # type: ignore[arg-type]


def main() -> None:
    frame = ResultStore(sys.argv[1]).read()
    frame = frame[frame["status"] == "ok"]
    plain = frame[frame["filter"].isna()]
    print(
        "| index | query | recall@10 | QPS | p50 ms | p99 ms | build s (load + index) | index MB | server MB | round trip share |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for _, row in plain.sort_values(["label", "query_params"]).iterrows():
        phases = "" if pd.isna(row["load_s"]) else f" ({row['load_s']:.1f} + {row['index_build_s']:.1f})"
        share = "-" if pd.isna(row["roundtrip_share"]) else f"{row['roundtrip_share']:.0%}"
        print(
            f"| {row['label']} | {row['query_params']} | {row['recall']:.3f} | {row['qps']:.0f} | "
            f"{row['latency_p50_ms']:.2f} | {row['latency_p99_ms']:.2f} | {row['build_s']:.1f}{phases} | "
            f"{mb(row['index_bytes'])} | {mb(row['server_memory_bytes'])} | {ms(row['server_ms_p50'])} | "
            f"{ms(row['roundtrip_ms'])} | {share} |"
        )
    filtered = frame[frame["filter"].notna()]
    print("\n| index | query | pass-rate | filtered recall@10 | short_result_frac | p50 ms |")
    print("|---|---|---|---|---|---|")
    for _, row in filtered.sort_values(["label", "query_params", "pass_rate"]).iterrows():
        print(
            f"| {row['label']} | {row['query_params']} | {row['pass_rate']:.2f} | {row['recall']:.3f} | "
            f"{row['short_result_frac']:.2f} | {row['latency_p50_ms']:.2f} |"
        )


if __name__ == "__main__":
    main()
