"""``vecbench tune`` against the exhaustive grid (and faiss's own OperatingPoints) per index family.

    PYTHONPATH=$PWD python benchmarks/tune_vs_grid.py [--n-base 30000] [--n-queries 1000]
        [--recall 0.95] [--families hnswlib faiss-ivf scann] [--out /tmp/tune-vs-grid]

For each family a config holds a grid of build x query values. The tuner runs first with a budget
of 20% of the grid's points (its trials land in OUT/<family>/search); then the whole grid is run
by the normal runner into the same folder, which resumes: the points the tuner measured are not
measured again, so the tuned choice and the grid's best are read from one table of one
measurement per point. Single measurements on a loaded machine rank near points at random (QPS
of one batch swings several-fold), so where the tuned choice is not the grid's best, the two are
measured again side by side (``--repeats`` worker runs, pooled) and that ratio is printed too.
Printed per family: grid size, evaluations the tuner used, the grid's best
QPS among points with recall >= target on the search queries, the QPS of the tuned choice in that
table and the ratio (target: >= 0.95 with <= 20% of the evaluations), and the tuned choice's
recall on the held-out queries. For faiss-IVF, faiss's ``ParameterSpace.explore`` (nprobe per
nlist, against the same search queries' ground truth, ``IntersectionCriterion``) is the baseline:
its evaluations, its choice, and that choice's QPS in the grid table. QPS is measured once per
point on a shared machine: read the ratios, not the absolute figures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.datasets import exact_ground_truth, load_dataset
from vecbench.datasets.spec import DatasetSpec
from vecbench.reports.store import ResultStore
from vecbench.tune.tuner import Tuner, TuneRequest

GRIDS: dict[str, dict[str, Any]] = {
    "hnswlib": {
        "adapter": "hnswlib",
        "build": {"M": [8, 12, 16, 24, 32], "ef_construction": [64, 128], "build_threads": 1},
        "query": {"ef": [10, 12, 16, 20, 24, 32, 40, 48, 64, 96]},
    },
    "faiss-ivf": {
        "adapter": "faiss-ivf",
        "build": {"nlist": [64, 128, 256, 512]},
        "query": {"nprobe": [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]},
    },
    "scann": {
        "adapter": "scann",
        "build": {"num_leaves": [100, 200, 400, 800], "reorder": True},
        "query": {"leaves_to_search": [2, 4, 6, 8, 12, 16, 24, 32, 48, 64], "reorder_k": [40, 100]},
    },
}


def family_config(family: str, dataset: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    return {
        "name": f"tvg-{family}",
        "dataset": dataset,
        "k": 10,
        "warmup_queries": 50,
        "indexes": [GRIDS[family]],
    }


def constrained_best(frame: pd.DataFrame, recall: float) -> pd.Series | None:
    ok = frame[(frame["status"] == "ok") & (pd.to_numeric(frame["recall"]) >= recall)]
    return None if ok.empty else ok.loc[pd.to_numeric(ok["qps"]).idxmax()]


def faiss_baseline(search_spec: dict[str, Any], grid: pd.DataFrame, recall: float) -> dict[str, Any]:
    """faiss's ParameterSpace over nprobe for each nlist of the grid; its fastest point meeting
    ``recall`` (faiss's own timing), then that point's QPS in vecbench's grid table."""
    import faiss

    dataset = load_dataset(DatasetSpec.model_validate(search_spec))
    truth = exact_ground_truth(dataset, 10, None).top(10)
    from vecbench.metrics.distances import normalised

    angular = dataset.metric.value == "angular"
    base = normalised(dataset.base) if angular else np.ascontiguousarray(dataset.base, dtype=np.float32)
    queries = (
        normalised(dataset.queries) if angular else np.ascontiguousarray(dataset.queries, dtype=np.float32)
    )
    metric = faiss.METRIC_INNER_PRODUCT if dataset.metric.value != "euclidean" else faiss.METRIC_L2
    evaluations, best = 0, None
    for nlist in GRIDS["faiss-ivf"]["build"]["nlist"]:
        index = faiss.index_factory(base.shape[1], f"IVF{nlist},Flat", metric)
        index.train(base)
        index.add(base)
        space = faiss.ParameterSpace()
        space.verbose = 0
        space.initialize(index)
        criterion = faiss.IntersectionCriterion(queries.shape[0], 10)
        criterion.set_groundtruth(None, np.ascontiguousarray(truth.ids, dtype=np.int64))
        points = space.explore(index, queries, criterion)
        evaluations += points.all_pts.size()
        for i in range(points.optimal_pts.size()):
            point = points.optimal_pts.at(i)
            if point.perf >= recall and (best is None or point.t < best[2]):
                best = (nlist, int(point.key.split("=")[1]), point.t)
    if best is None:
        return {"evaluations": evaluations, "chosen": None}
    nlist, nprobe, _ = best
    build = grid["build_params"].map(json.loads)
    query = grid["query_params"].map(json.loads)
    rows = grid[
        (build.map(lambda b: b.get("nlist")) == nlist) & (query.map(lambda q: q.get("nprobe")) == nprobe)
    ]
    row = rows.iloc[0] if not rows.empty else None
    return {
        "evaluations": evaluations,
        "chosen": {"nlist": nlist, "nprobe": nprobe},
        "grid_qps": None if row is None else float(row["qps"]),
        "grid_recall": None if row is None else float(row["recall"]),
    }


def recheck(
    family: str, search_spec: dict[str, Any], rows: dict[str, pd.Series], out: Path, repeats: int
) -> dict[str, float]:
    """QPS of each named row's point measured again side by side: one config holding all of them,
    ``repeats`` worker runs of 3 batch runs each (pooled medians), so the compared figures share
    the machine's state. Returns name -> QPS (the ratio the benchmark quotes comes from these)."""
    entries: dict[str, dict[str, Any]] = {}
    for row in rows.values():
        build = json.loads(row["build_params"])
        entry = entries.setdefault(
            canonical(build), {"adapter": GRIDS[family]["adapter"], "build": build, "query": []}
        )
        entry["query"].append(json.loads(row["query_params"]))
    indexes = [
        {**entry, "query": {key: sorted({q[key] for q in entry["query"]}) for key in entry["query"][0]}}
        for entry in entries.values()
    ]
    config = parse_config(
        {
            "name": f"tvg-{family}-recheck",
            "dataset": search_spec,
            "k": 10,
            "warmup_queries": 50,
            "runs": 3,
            "repeats": repeats,
            "indexes": indexes,
        }
    )
    Runner(config, out, progress=False).run()
    table = ResultStore(out).read()
    found = {}
    for name, row in rows.items():
        match = table[
            (table["build_params"] == row["build_params"]) & (table["query_params"] == row["query_params"])
        ]
        found[name] = float(match["qps"].iloc[0])
    return found


def canonical(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-base", type=int, default=30_000)
    parser.add_argument("--n-queries", type=int, default=1000)
    parser.add_argument("--recall", type=float, default=0.95)
    parser.add_argument("--share", type=float, default=0.2, help="tuning budget as a share of the grid")
    parser.add_argument("--families", nargs="+", default=list(GRIDS), choices=list(GRIDS))
    parser.add_argument("--out", default="/tmp/tune-vs-grid")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="worker runs of the side-by-side recheck")
    args = parser.parse_args()
    dataset = {"name": "glove-6b-50", "n_base": args.n_base, "n_queries": args.n_queries, "seed": 0}
    lines = []
    for family in args.families:
        config = parse_config(family_config(family, dataset, args))
        out = Path(args.out) / family
        grid_size = sum(1 for _ in _grid_points(GRIDS[family]))
        budget = max(1, int(args.share * grid_size))
        tuner = Tuner(
            config,
            out,
            TuneRequest(recall=args.recall, budget=budget, seed=args.seed),
            progress=lambda _: None,
        )
        result = tuner.run()
        search_spec = tuner._datasets()[0]
        grid_config = parse_config(
            {**family_config(family, search_spec, args), "name": f"{config.name}-tune"}
        )
        Runner(grid_config, out / "search", progress=False).run()  # resumes: tuned points are not re-measured
        table = ResultStore(out / "search").read()
        best = constrained_best(table, args.recall)
        chosen = None if result.chosen is None else table[table["point_key"] == result.chosen.key].iloc[0]
        ratio = None if best is None or chosen is None else float(chosen["qps"]) / float(best["qps"])
        rechecked = None
        if best is not None and chosen is not None:
            if chosen["point_key"] == best["point_key"]:
                rechecked = 1.0
            else:
                again = recheck(
                    family, search_spec, {"tuned": chosen, "best": best}, out / "recheck", args.repeats
                )
                rechecked = again["tuned"] / again["best"]
        line = {
            "family": family,
            "grid_points": len(table),
            "tune_evaluations": result.evaluations,
            "share": result.evaluations / len(table),
            "grid_best_qps": None if best is None else float(best["qps"]),
            "grid_best": None if best is None else f"{best['build_params']} {best['query_params']}",
            "tuned_qps": None if chosen is None else float(chosen["qps"]),
            "tuned": None if chosen is None else f"{chosen['build_params']} {chosen['query_params']}",
            "ratio": ratio,
            "ratio_rechecked": rechecked,
            "held_out_recall": result.held_out_recall(),
            "held_out_meets_target": result.meets_target(),
        }
        if family == "faiss-ivf":
            line["faiss_operating_points"] = faiss_baseline(search_spec, table, args.recall)
        lines.append(line)
        print(json.dumps(line, default=str), flush=True)
    print("\nfamily       grid  evals share  grid-best-qps  tuned-qps  ratio  rechecked  held-out-recall")
    for line in lines:
        print(
            f"{line['family']:<12} {line['grid_points']:>4} {line['tune_evaluations']:>6} {line['share']:>5.0%} "
            f"{line['grid_best_qps'] or float('nan'):>14.0f} {line['tuned_qps'] or float('nan'):>10.0f} "
            f"{line['ratio'] or float('nan'):>6.3f} {line['ratio_rechecked'] or float('nan'):>10.3f}  "
            f"{line['held_out_recall'] or float('nan'):.4f}"
        )


def _grid_points(entry: dict[str, Any]) -> list[tuple[Any, ...]]:
    from vecbench.bench.sweep import expand_grid

    return [(b, q) for b in expand_grid(entry["build"]) for q in expand_grid(entry["query"])]


if __name__ == "__main__":
    main()
