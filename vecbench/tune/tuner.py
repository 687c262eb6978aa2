"""``vecbench tune``: the best configuration under constraints, found with a budget of trials.

The dataset's queries are split once (seeded) into search queries and held-out queries; both
become npy datasets beside the results, sharing the base. Each trial is one (build, query) point
of the config's grids, proposed by Optuna's TPE sampler (told each trial's constraint values),
and measured by the normal ``Runner`` into ``OUT/search`` (so a repeated
proposal, or a re-run of ``tune`` into the same folder, re-uses the stored row). The best point
that meets every constraint on the search queries is then measured again on the held-out queries
into ``OUT/held-out``: that recall is the answer's honest one, since the search has selected for
luck on its own queries.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vecbench.bench.config import ExperimentConfig, parse_config
from vecbench.bench.runner import Runner
from vecbench.bench.sweep import canonical_json, sweep_points
from vecbench.datasets import load_dataset
from vecbench.errors import ConfigError
from vecbench.metrics.catalog import METRICS
from vecbench.reports.constraints import Constraints, Objective, meets
from vecbench.reports.store import ResultStore
from vecbench.tune.space import Candidate, SearchSpace

# A held-out recall this far below the target still counts as meeting it (sampling noise).
HELD_OUT_SLACK = 0.005
# Proposals allowed per evaluation before the search stops (TPE repeats points it likes).
PROPOSALS_PER_EVALUATION = 5
# Figures copied from a measured row into the answer.
FIGURES = ("recall", "qps", "cpu_ms_per_query", "latency_p50_ms", "latency_p99_ms", "index_bytes", "build_s")


@dataclass(frozen=True)
class TuneRequest:
    recall: float
    objective: Objective = "qps"
    budget: int = 30
    p99_ms: float | None = None
    memory_bytes: float | None = None
    held_out_fraction: float = 0.5
    seed: int = 0

    def constraints(self) -> Constraints:
        return Constraints(
            recall_min=self.recall,
            p99_ms_max=self.p99_ms,
            memory_bytes_max=self.memory_bytes,
            objective=self.objective,
        )


@dataclass
class Trial:
    candidate: Candidate
    key: str
    row: dict[str, Any]


@dataclass
class TuneResult:
    request: TuneRequest
    grid_size: int
    trials: list[Trial] = field(default_factory=list)
    proposals: int = 0
    chosen: Trial | None = None
    held_out: dict[str, Any] | None = None

    @property
    def evaluations(self) -> int:
        return len({t.key for t in self.trials})

    def held_out_recall(self) -> float | None:
        return None if self.held_out is None else _number(self.held_out.get("recall"))

    def meets_target(self) -> bool:
        recall = self.held_out_recall()
        return recall is not None and recall >= self.request.recall - HELD_OUT_SLACK

    def to_json(self, space: SearchSpace) -> dict[str, Any]:
        chosen = None
        if self.chosen is not None:
            entry = space.entries[self.chosen.candidate.entry]
            chosen = {
                "adapter": entry.adapter,
                "label": entry.label or entry.adapter,
                "build": self.chosen.candidate.build,
                "query": self.chosen.candidate.query,
                "point_key": self.chosen.key,
            }
        request = self.request
        recall = self.held_out_recall()
        return {
            "objective": request.objective,
            "constraints": {
                "recall": request.recall,
                "p99_ms": request.p99_ms,
                "memory_bytes": request.memory_bytes,
            },
            "budget": request.budget,
            "evaluations": self.evaluations,
            "proposals": self.proposals,
            "grid_size": self.grid_size,
            "chosen": chosen,
            "search": _figures(self.chosen.row) if self.chosen is not None else None,
            "held_out": _figures(self.held_out) if self.held_out is not None else None,
            "held_out_recall": recall,
            "held_out_meets_target": self.meets_target(),
            "answer": self.answer(),
        }

    def answer(self) -> str:
        if self.chosen is None:
            return f"no configuration met the constraints in {self.evaluations} evaluations"
        recall = self.held_out_recall()
        if recall is None:
            return "the chosen configuration failed on the held-out queries"
        if self.meets_target():
            return f"held-out recall {recall:.4f} meets the target {self.request.recall} (within {HELD_OUT_SLACK})"
        return (
            f"held-out recall {recall:.4f} is more than {HELD_OUT_SLACK} below the target {self.request.recall}: "
            "the chosen configuration does not meet it on unseen queries"
        )


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {name: _number(row.get(name)) for name in FIGURES} | {
        "status": row.get("status"),
        "error": row.get("error"),
    }


def split_queries(n_queries: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers of the search and the held-out queries (seeded, disjoint, both non-empty)."""
    if n_queries < 2:
        raise ConfigError(f"tune needs at least 2 queries to hold some out; the dataset has {n_queries}")
    order = np.random.default_rng(seed).permutation(n_queries)
    held = min(n_queries - 1, max(1, round(n_queries * fraction)))
    return np.sort(order[held:]), np.sort(order[:held])


class Tuner:
    """Runs one tuning job for a config into ``out``."""

    def __init__(
        self,
        config: ExperimentConfig,
        out: Path,
        request: TuneRequest,
        progress: Callable[[str], None] = print,
    ) -> None:
        if config.filters:
            raise ConfigError("tune searches unfiltered points; remove filters: from the config")
        if request.budget < 1:
            raise ConfigError(f"--budget must be at least 1, got {request.budget}")
        if not 0 < request.held_out_fraction < 1:
            raise ConfigError(
                f"the held-out fraction must be between 0 and 1, got {request.held_out_fraction}"
            )
        self.config = config
        self.out = out
        self.request = request
        self.space = SearchSpace(config)
        self.say = progress
        self.known: dict[str, Trial] = {}
        self.fingerprints: dict[str, str] = {}

    def run(self) -> TuneResult:
        import optuna

        search_spec, held_spec = self._datasets()
        result = TuneResult(self.request, self.space.grid_size())
        info = METRICS[self.request.objective]
        constraints = self.request.constraints()
        sampler = optuna.samplers.TPESampler(
            seed=self.request.seed,
            n_startup_trials=max(3, self.request.budget // 3),
        )
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(
            direction="maximize" if info.higher_is_better else "minimize", sampler=sampler
        )
        worst = 0.0 if info.higher_is_better else float("inf")
        grid = self.space.grid()
        grid_keys = [self._key(self.space.propose(FixedTrial(params)), search_spec) for params in grid]
        rng = np.random.default_rng(self.request.seed)
        repeated = False
        budget = min(self.request.budget, len(grid))
        while (
            result.evaluations < budget and result.proposals < PROPOSALS_PER_EVALUATION * self.request.budget
        ):
            if repeated:  # the sampler proposed a measured point again: explore an unmeasured one instead
                fresh = [params for params, key in zip(grid, grid_keys, strict=True) if key not in self.known]
                study.enqueue_trial(fresh[int(rng.integers(len(fresh)))])
            trial = study.ask()
            candidate = self.space.propose(trial)
            result.proposals += 1
            repeated = self._key(candidate, search_spec) in self.known
            measured = self._measure(candidate, search_spec, self.out / "search")
            result.trials.append(measured)
            row = measured.row
            value = _number(row.get(self.request.objective)) if row.get("status") == "ok" else None
            for (column, _, _), violation in zip(
                constraints.limits(), self._violations(row, constraints), strict=True
            ):
                trial.set_constraint(column, violation)  # <= 0: met (the sampler prefers feasible points)
            study.tell(trial, worst if value is None else value)
        frame = pd.DataFrame([t.row for t in self.known.values()])
        passing = frame[meets(frame, constraints)] if not frame.empty else frame
        if not passing.empty:
            values = pd.to_numeric(passing[self.request.objective], errors="coerce").to_numpy(dtype=float)
            best = int(np.nanargmax(values) if info.higher_is_better else np.nanargmin(values))
            best_key = str(passing["point_key"].iloc[best])
            result.chosen = self.known[best_key]
            self.say(
                f"chosen after {result.evaluations} evaluations: {self._describe(result.chosen.candidate)}"
            )
            result.held_out = self._measure(result.chosen.candidate, held_spec, self.out / "held-out").row
        return result

    def _violations(self, row: dict[str, Any], constraints: Constraints) -> list[float]:
        """One value per constraint, <= 0 where it is met (Optuna's convention); a failed point violates all."""
        if row.get("status") != "ok":
            return [1.0 for _ in constraints.limits()]
        found = []
        for column, op, bound in constraints.limits():
            value = _number(row.get(column))
            if value is None:
                found.append(1.0)
            else:  # relative, so recall and milliseconds weigh alike
                scale = max(abs(bound), 1e-12)
                found.append((bound - value) / scale if op == ">=" else (value - bound) / scale)
        return found

    def _datasets(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The search and held-out datasets as npy files in ``OUT/data`` (written once)."""
        data = self.out / "data"
        dataset = load_dataset(self.config.dataset)
        search, held = split_queries(dataset.n_queries, self.request.held_out_fraction, self.request.seed)
        files = {"base": dataset.base, "search": dataset.queries[search], "held-out": dataset.queries[held]}
        data.mkdir(parents=True, exist_ok=True)
        for name, array in files.items():
            path = data / f"{name}.npy"
            if not path.exists():
                np.save(path, np.asarray(array, dtype=np.float32))
        metric = dataset.metric.value

        def spec(name: str) -> dict[str, Any]:
            return {
                "path": str(data / "base.npy"),
                "format": "npy",
                "queries_path": str(data / f"{name}.npy"),
                "metric": metric,
            }

        return spec("search"), spec("held-out")

    def _trial_config(self, candidate: Candidate, dataset: dict[str, Any]) -> ExperimentConfig:
        data = self.config.model_dump(mode="json", exclude={"indexes", "dataset", "name", "executor"})
        return parse_config(
            {
                **data,
                "name": f"{self.config.name}-tune",
                "dataset": dataset,
                "indexes": [self.space.entry_config(candidate)],
            },
            source="tune trial",
        )

    def _key(self, candidate: Candidate, dataset: dict[str, Any]) -> str:
        """The point key the runner gives ``candidate`` on ``dataset`` (the dataset is fingerprinted once)."""
        config = self._trial_config(candidate, dataset)
        path = str(dataset["queries_path"])
        if path not in self.fingerprints:
            self.fingerprints[path] = load_dataset(config.dataset).fingerprint
        points, _ = sweep_points(config, self.fingerprints[path])
        return points[0].query_points[0].key

    def _measure(self, candidate: Candidate, dataset: dict[str, Any], out: Path) -> Trial:
        """Run one point through the normal runner (a point measured before is read back, not re-run)."""
        config = self._trial_config(candidate, dataset)
        key = self._key(candidate, dataset)
        if key in self.known and out.name == "search":
            return Trial(candidate, key, self.known[key].row)
        Runner(config, out, progress=False).run()
        frame = ResultStore(out).read()
        row = {str(name): value for name, value in frame[frame["point_key"] == key].iloc[-1].items()}
        trial = Trial(candidate, key, row)
        if out.name == "search":
            self.known[key] = trial
            self.say(f"trial {len(self.known)}: {self._describe(candidate)}: {self._line(row)}")
        return trial

    def _describe(self, candidate: Candidate) -> str:
        label = self.space.labels[candidate.entry].split(":", 1)[1]
        return f"{label} build={canonical_json(candidate.build)} query={canonical_json(candidate.query)}"

    def _line(self, row: dict[str, Any]) -> str:
        if row.get("status") != "ok":
            return f"failed: {row.get('error')}"
        return f"recall {row['recall']:.4f}, {self.request.objective} {row[self.request.objective]:.4g}"


class FixedTrial:
    """A trial whose every parameter is given (to list the grid's candidates through ``propose``)."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params

    def suggest_int(self, name: str, low: int, high: int) -> int:
        return int(self.params[name])

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        return self.params[name]


def write_json(result: TuneResult, space: SearchSpace, path: Path) -> None:
    from vecbench.core.atomic import atomic_write_text

    atomic_write_text(path, json.dumps(result.to_json(space), indent=2, default=str) + "\n")
