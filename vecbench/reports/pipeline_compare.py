"""``vecbench report A --compare B`` for pipeline results: the two runs paired request by request.

Both runs must have replayed the same log under the same split (the ``log`` and ``split`` of their
rows, and the requests in ``OUT/pipeline_raw/requests.npz``: users, times and targets); otherwise
the comparison is refused with one line. Configurations are matched by ``retrieval`` label and
k_candidates; each stage's ranked lists (``OUT/pipeline_raw/<point_key>.npz``) are scored again
for the relevance metrics both runs report (all requests, and each replay window) and A - B gets
the same tests as the rows of a run: bootstrap interval, randomisation p, Holm across the pairs.
Catalogue metrics need the training log, which the output folders do not hold, so they are left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vecbench.errors import ConfigError
from vecbench.metrics.relevance import RELEVANCE, hit_matrix
from vecbench.metrics.significance import adjust
from vecbench.pipeline.comparison import STAGES, TestSettings, metric_rows
from vecbench.pipeline.pairs import stored_lists
from vecbench.reports.pipeline_store import PipelineStore

Requests = dict[str, np.ndarray]


def compare_runs(a_dir: str | Path, b_dir: str | Path, tests: TestSettings | None = None) -> pd.DataFrame:
    """Rows of A against B for every configuration and k both ran (``compared_with`` names B)."""
    a, b = PipelineStore(a_dir), PipelineStore(b_dir)
    fa, fb = (_ok(store.read()) for store in (a, b))
    if fa.empty or fb.empty:
        raise ConfigError(f"--compare needs pipeline results in both folders; {a_dir if fa.empty else b_dir} has none")
    for column in ("log", "split"):
        va, vb = set(fa[column].dropna()), set(fb[column].dropna())
        if va != vb:
            raise ConfigError(
                f"--compare: the runs differ in {column} ({', '.join(sorted(va))} vs {', '.join(sorted(vb))}); "
                "pipeline results pair only on the same log and split"
            )
    requests = _requests(a.raw_dir)
    if not _same_requests(requests, _requests(b.raw_dir)):
        raise ConfigError(
            "--compare: the runs replayed different requests (users, times or targets differ, e.g. another "
            "retrieval.filter with targets: passing); pipeline results pair only on the same requests"
        )
    settings = tests or TestSettings()
    cutoffs = sorted({int(m.split("@")[1]) for m in fa["metric"] if m.split("@")[0] in RELEVANCE})
    pa = fa.drop_duplicates(["retrieval", "k_candidates"]).set_index(["retrieval", "k_candidates"])["point_key"]
    pb = fb.drop_duplicates(["retrieval", "k_candidates"]).set_index(["retrieval", "k_candidates"])["point_key"]
    rows: list[dict[str, Any]] = []
    for key in [k for k in pa.index if k in pb.index]:
        ra = _relevance(stored_lists(a.raw_dir, pa[key]).lists(), requests, cutoffs)
        rb = _relevance(stored_lists(b.raw_dir, pb[key]).lists(), requests, cutoffs)
        base = {"retrieval": key[0], "k_candidates": key[1], "compared_with": f"{key[0]} ({b_dir})", "status": "ok"}
        rows.extend(metric_rows(base, ra, rb, requests["user"], settings))
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["p_adjusted"] = np.nan
    for _, index in out.groupby(["stage", "metric", "cohort"]).groups.items():
        out.loc[index, "p_adjusted"] = adjust(out.loc[index, "p_value"].to_numpy(np.float64), "holm")
    out["significant"] = out["p_adjusted"] < 1 - settings.level
    return out


def _ok(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame[(frame["status"] == "ok") & (frame["stage"].isin(STAGES)) & (frame["adapter"] != "compare")]


def _requests(raw_dir: Path) -> Requests:
    path = raw_dir / "requests.npz"
    if not path.is_file():
        raise ConfigError(f"--compare: {path} is missing; run the pipeline again to write it")
    with np.load(path) as raw:
        return {name: raw[name] for name in raw.files}


def _same_requests(a: Requests, b: Requests) -> bool:
    names = ("user", "time", "targets_indptr", "targets")
    return all(name in a and name in b and np.array_equal(a[name], b[name]) for name in names)


def _relevance(
    lists: dict[str, np.ndarray], requests: Requests, cutoffs: list[int]
) -> dict[tuple[str, str, str], Any]:
    """Per-request relevance metrics of each stage, all requests and each replay window."""
    indptr, values = requests["targets_indptr"], requests["targets"]
    targets = [values[indptr[i] : indptr[i + 1]] for i in range(len(indptr) - 1)]
    n_relevant = np.diff(indptr)
    steps = requests.get("step", np.zeros(len(targets), dtype=np.int64))
    windows = np.unique(steps).tolist()
    out: dict[tuple[str, str, str], Any] = {}
    for stage, ranked in lists.items():
        hits = hit_matrix(ranked, targets)
        for n in cutoffs:
            for name, fn in RELEVANCE.items():
                values_n = fn(hits, n_relevant, n)
                out[(stage, f"{name}@{n}", "all")] = values_n
                for window in windows if len(windows) > 1 else []:
                    out[(stage, f"{name}@{n}", f"window:{window}")] = np.where(steps == window, values_n, np.nan)
    return out
