"""One config with the local executor, then with Ray: both wall times, and whether the rows agree.

    PYTHONPATH=$PWD python benchmarks/ray_vs_local.py configs/quickstart.yaml [--out /tmp/ray-vs-local]
        [--address ADDR] [--num-cpus N]

Both runs start from empty folders (ground truth is cached by the first). The Ray wall time
includes starting and stopping the private local cluster (or joining ``--address``), as a user
sees it. Printed: the wall times; whether both have the same point keys; how many points have the
same recall and the same ids in their raw files. Ids can differ where a library builds in parallel
with a racy insertion order (hnswlib with several build threads, ScaNN's training): the script
names those points rather than hiding them.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np

from vecbench.bench.config import load_config
from vecbench.bench.executor import LocalExecutor
from vecbench.bench.ray_executor import make_ray_executor, ray_cluster
from vecbench.bench.runner import Runner
from vecbench.reports.store import ResultStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--out", default="/tmp/ray-vs-local")
    parser.add_argument("--address", help="a Ray cluster to join (default: a private local one)")
    parser.add_argument("--num-cpus", type=int, help="CPUs of the private local cluster")
    args = parser.parse_args()
    config = load_config(args.config)
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)

    start = time.perf_counter()
    Runner(config, out / "local", progress=False, executor=LocalExecutor()).run()
    local_s = time.perf_counter() - start
    start = time.perf_counter()
    with ray_cluster(args.address, args.num_cpus):
        executor = make_ray_executor(config.executor)
        slots = executor.slots
        Runner(config, out / "ray", progress=False, executor=executor).run()
    ray_s = time.perf_counter() - start

    ours = ResultStore(out / "local").read().set_index("point_key").sort_index()
    theirs = ResultStore(out / "ray").read().set_index("point_key").sort_index()
    same_keys = list(ours.index) == list(theirs.index)
    same_recall = int((ours["recall"] == theirs["recall"].reindex(ours.index)).sum())
    same_ids, differ = 0, []
    for key, row in ours.iterrows():
        if key not in theirs.index or row["status"] != "ok":
            continue
        with (
            np.load(out / "local" / str(row["raw_path"])) as a,
            np.load(out / "ray" / str(theirs.loc[key, "raw_path"])) as b,
        ):
            if np.array_equal(a["ids"], b["ids"]):
                same_ids += 1
            else:
                differ.append(f"{row['adapter']} {row['build_params']} {row['query_params']}")
    print(f"{config.name}: {len(ours)} points")
    print(f"  local executor: {local_s:8.1f} s")
    print(f"  ray executor:   {ray_s:8.1f} s ({slots} build points at once, cluster start and stop included)")
    print(
        f"  same point keys: {same_keys}; same recall: {same_recall}/{len(ours)}; same ids: {same_ids}/{len(ours)}"
    )
    for line in differ:
        print(f"    ids differ: {line}")
    print(f"  failed rows: local {(ours['status'] != 'ok').sum()}, ray {(theirs['status'] != 'ok').sum()}")


if __name__ == "__main__":
    main()
