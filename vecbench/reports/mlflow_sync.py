"""Result sets in MLflow: one parent run per result set, one child run per measured point.

Why a child per point (not per build point): an MLflow run holds one value per parameter and the
UI compares runs, not steps. With one run per (build, query) point every build and query parameter
is a column of the runs table, and recall, QPS and latency can be charted against each other
across runs (scatter and parallel-coordinates views) exactly as the report's Pareto plot does;
a run per build point would have to squeeze its query points into metric steps, which the UI
only shows as per-run curves. Build-level values (build time, index size) repeat on each child
and ``vecbench.build_key`` groups them.

Idempotence: every run is tagged with the result set's id (a UUID kept in OUT/result_set.json),
children also with their ``point_key`` and ``finished_at``. A sync creates what is missing,
replaces a child whose row was re-measured (the old run is deleted), finishes runs left half
written by an interrupted upload, and leaves complete ones alone, so it can be repeated freely.

MLflow is imported only when a sync or the sink runs: ``--no-mlflow`` never pays for it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from vecbench.core.atomic import atomic_write_bytes
from vecbench.errors import VecbenchError
from vecbench.reports.constraints import best_choices, constraints_from
from vecbench.reports.mlflow_runs import (
    SHARED_TAGS,
    TAG_FINISHED,
    TAG_POINT,
    TAG_RESULT_SET,
    TAG_ROLE,
    ParentInfo,
    PointRun,
    finite_number,
    parent_info,
    pipeline_point_runs,
    point_run,
)
from vecbench.reports.pipeline_store import PipelineStore
from vecbench.reports.resultset import ResultSet, load_result_set
from vecbench.reports.store import ResultStore

RESULT_SET_FILE = "result_set.json"
ARTIFACT_FILES = ("config.yaml", "results.parquet", "pipeline.parquet", "environment.json", "report.html")
ARTIFACT_FOLDERS = ("plots",)
LOCAL_STORE_DIR = "mlflow"
LOCAL_DB = "mlflow.db"

# A folder artifact made at upload time by a layer above ``reports`` (the CLI passes the gate's
# baseline writer): given OUT and a new folder to fill, it writes the folder or raises
# VecbenchError, which skips that artifact with a note and never stops the upload.
FolderMaker = Callable[[Path, Path], None]

# Fail fast when a tracking server is gone; the user's own settings win (setdefault).
CLIENT_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
    # No background network traffic from the process that runs benchmarks.
    "MLFLOW_DISABLE_TELEMETRY": "true",
    # Artifact transfers print one result line, not a progress bar per file.
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


def result_set_id(out_dir: Path) -> str:
    """The stable id of a result set, created on first use and kept beside the results."""
    path = out_dir / RESULT_SET_FILE
    if path.is_file():
        try:
            return str(json.loads(path.read_text())["id"])
        except (OSError, ValueError, KeyError, TypeError):
            raise VecbenchError(f"{path} is damaged; delete it to give this result set a new id") from None
    value = uuid.uuid4().hex
    atomic_write_bytes(path, json.dumps({"id": value}).encode())
    return value


def local_store_uri(out_dir: Path) -> str:
    """The embedded store: a SQLite file inside the output folder (MLflow 3's local default kind)."""
    return "sqlite:///" + str((out_dir / LOCAL_STORE_DIR / LOCAL_DB).resolve())


def resolve_tracking_uri(out_dir: Path, given: str | None) -> str:
    """--tracking-uri, else MLFLOW_TRACKING_URI, else the embedded store in OUT."""
    return given or os.environ.get("MLFLOW_TRACKING_URI") or local_store_uri(out_dir)


def is_local(uri: str) -> bool:
    return urlparse(uri).scheme in ("sqlite", "file", "")


def browse_hint(uri: str, experiment_id: str | None = None, run_id: str | None = None) -> str:
    """The one command (or address) with which a person opens these runs."""
    if urlparse(uri).scheme == "sqlite":
        return f"mlflow ui --backend-store-uri {uri}"
    if is_local(uri):
        return f"mlflow ui --backend-store-uri {uri}"
    if experiment_id and run_id:
        return f"{uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"
    return uri


def ui_note(uri: str) -> str:
    """A hint when the MLflow web UI is not installed (vecbench needs only mlflow-skinny)."""
    if not is_local(uri):
        return ""
    from importlib import resources

    if resources.files("mlflow").joinpath("server/js/build/index.html").is_file():
        return ""
    return " (the web UI comes with the full package: pip install mlflow)"


def _artifact_root(uri: str) -> str | None:
    """Where a local store keeps artifacts: beside its database (MLflow would use ./mlruns)."""
    parsed = urlparse(uri)
    if parsed.scheme == "sqlite":
        return (Path(parsed.path).parent / "artifacts").resolve().as_uri()
    return None


@dataclass(frozen=True)
class KnownRun:
    """A child run already in the store, as far as deciding whether to log again needs."""

    run_id: str
    finished: str
    status: str

    @property
    def complete(self) -> bool:
        return self.status in ("FINISHED", "FAILED")


@dataclass
class SyncCounts:
    """What happened to each point in this process: created, replaced, completed or already there."""

    outcomes: dict[str, str] = field(default_factory=dict)
    artifacts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # artifacts skipped, and why

    def record(self, point_key: str, outcome: str) -> None:
        # A point logged live and found again by the closing sync stays 'created'.
        if outcome != "already there" or point_key not in self.outcomes:
            self.outcomes[point_key] = outcome

    def describe(self) -> str:
        counts = Counter(self.outcomes.values())
        done = ", ".join(
            f"{counts[name]} {name}"
            for name in ("created", "replaced", "completed", "already there")
            if counts[name]
        )
        return f"{len(self.outcomes)} point runs: {done or 'none'}"


class MlflowTarget:
    """One tracking store, one experiment, one parent run; logs points idempotently."""

    def __init__(self, uri: str) -> None:
        for name, value in CLIENT_DEFAULTS.items():
            os.environ.setdefault(name, value)
        from mlflow import MlflowClient  # heavy import, only when MLflow is used

        logging.getLogger("mlflow").setLevel(logging.WARNING)
        logging.getLogger("alembic").setLevel(logging.WARNING)
        parsed = urlparse(uri)
        if parsed.scheme == "sqlite":
            Path(parsed.path).parent.mkdir(parents=True, exist_ok=True)
        self.uri = uri
        self.client = MlflowClient(tracking_uri=uri)
        self.experiment_id = ""
        self.parent_run_id = ""
        self.result_set = ""
        self.existing: dict[str, list[KnownRun]] = {}
        self.shared_tags: dict[str, str] = {}
        self.counts = SyncCounts()

    def open(self, info: ParentInfo) -> None:
        """Find or create the experiment and this result set's parent run; list its children."""
        self.result_set = info.result_set
        # Machine and code tags go on every child too, so runs filter by them on a shared server.
        self.shared_tags = {key: value for key, value in info.tags.items() if key in SHARED_TAGS}
        experiment = self.client.get_experiment_by_name(info.experiment)
        if experiment is None:
            self.experiment_id = self.client.create_experiment(
                info.experiment, artifact_location=_artifact_root(self.uri)
            )
        elif experiment.lifecycle_stage == "deleted":
            raise VecbenchError(
                f"MLflow experiment '{info.experiment}' is deleted at {self.uri}; restore it or delete it for good"
            )
        else:
            self.experiment_id = experiment.experiment_id
        parents = self._search(f"tags.`{TAG_ROLE}` = 'result_set'")
        if parents:
            parent = min(parents, key=lambda run: run.info.start_time or 0)
            self.parent_run_id = parent.info.run_id
            if parent.info.status != "RUNNING":
                self.client.update_run(self.parent_run_id, status="RUNNING")
        else:
            run = self.client.create_run(self.experiment_id, tags=info.tags, run_name=info.run_name)
            self.parent_run_id = run.info.run_id
        self._log(self.parent_run_id, params=info.params, tags=info.tags, fresh=False)
        self.existing = {}
        for run in self._search(f"tags.`{TAG_ROLE}` = 'point'"):
            key = run.data.tags.get(TAG_POINT)
            if key is not None:
                known = KnownRun(run.info.run_id, run.data.tags.get(TAG_FINISHED, ""), run.info.status)
                self.existing.setdefault(key, []).append(known)

    def _search(self, condition: str) -> list[Any]:
        from mlflow.entities import ViewType

        query = f"tags.`{TAG_RESULT_SET}` = '{self.result_set}' and {condition}"
        found: list[Any] = []
        token = None
        while True:
            page = self.client.search_runs(
                [self.experiment_id],
                query,
                run_view_type=ViewType.ACTIVE_ONLY,
                max_results=1000,
                page_token=token,
            )
            found.extend(page)
            token = page.token
            if not token:
                return found

    def log_point(self, row: Mapping[str, Any]) -> str:
        """Log one index-sweep row as a child run (see ``log_run``)."""
        return self.log_run(point_run(row, self.result_set, self.parent_run_id))

    def log_run(self, run: PointRun) -> str:
        """Log a child run unless an identical complete one exists: 'created', 'replaced' (the
        point was re-measured), 'completed' (a half-written run) or 'already there'."""
        key = run.tags[TAG_POINT]
        previous = self.existing.get(key, [])
        same = [known for known in previous if known.finished == run.tags[TAG_FINISHED]]
        if any(known.complete for known in same):
            self.counts.record(key, "already there")
            return "already there"
        for stale in previous:
            self.client.delete_run(stale.run_id)
        created = self.client.create_run(
            self.experiment_id,
            start_time=run.timestamp_ms,
            tags={**self.shared_tags, **run.tags},
            run_name=run.name,
        )
        run_id = created.info.run_id
        self._log(run_id, params=run.params, metrics=run.metrics, timestamp_ms=run.timestamp_ms)
        # Terminated last: a run that is FINISHED or FAILED is known to hold everything.
        self.client.set_terminated(run_id, status=run.status, end_time=run.timestamp_ms)
        self.existing[key] = [KnownRun(run_id, run.tags[TAG_FINISHED], run.status)]
        outcome = "completed" if same else "replaced" if previous else "created"
        self.counts.record(key, outcome)
        return outcome

    def _log(
        self,
        run_id: str,
        params: Mapping[str, str] | None = None,
        metrics: Mapping[str, float] | None = None,
        tags: Mapping[str, str] | None = None,
        timestamp_ms: int = 0,
        fresh: bool = True,
    ) -> None:
        """log_batch in chunks of 100. Params are write-once in MLflow, so on a run that may
        already hold some (``fresh`` False) only the new names are sent; the first value stays."""
        from mlflow.entities import Metric, Param, RunTag

        existing = {} if fresh or not params else self.client.get_run(run_id).data.params
        new_params = [Param(k, v[:6000]) for k, v in (params or {}).items() if k not in existing]
        stamp = timestamp_ms or int(time.time() * 1000)
        metric_list = [Metric(k, v, stamp, 0) for k, v in (metrics or {}).items()]
        tag_list = [RunTag(k, v) for k, v in (tags or {}).items()]
        for start in range(0, max(len(new_params), len(metric_list), len(tag_list), 1), 100):
            self.client.log_batch(
                run_id,
                metrics=metric_list[start : start + 100],
                params=new_params[start : start + 100],
                tags=tag_list[start : start + 100],
            )

    def log_artifacts(self, out_dir: Path, files: Iterable[str], folders: Iterable[str]) -> list[str]:
        """Attach files of OUT (config, results, report) and whole folders (plots) to the parent."""
        done = []
        for name in files:
            path = out_dir / name
            if path.is_file():
                self.client.log_artifact(self.parent_run_id, str(path))
                done.append(name)
        for name in folders:
            path = out_dir / name
            if path.is_dir() and any(path.iterdir()):
                self.client.log_artifacts(self.parent_run_id, str(path), artifact_path=name)
                done.append(f"{name}/")
        self.counts.artifacts = done
        return done

    def log_made_folders(self, out_dir: Path, makers: Mapping[str, FolderMaker]) -> None:
        """Make each folder in a scratch directory and attach it to the parent under its name."""
        for name, make in makers.items():
            with tempfile.TemporaryDirectory(prefix="vecbench-artifact-") as scratch:
                folder = Path(scratch) / name
                try:
                    make(out_dir, folder)
                except VecbenchError as exc:
                    self.counts.notes.append(f"{name}/ not logged: {exc}")
                    continue
                self.client.log_artifacts(self.parent_run_id, str(folder), artifact_path=name)
                self.counts.artifacts.append(f"{name}/")

    def close(self, status: str, summary: Mapping[str, float] | None = None) -> None:
        if summary:
            self._log(self.parent_run_id, metrics=summary, fresh=False)
        self.client.set_terminated(self.parent_run_id, status=status)

    def run_hint(self) -> str:
        return browse_hint(self.uri, self.experiment_id, self.parent_run_id)


def experiment_name(rs: ResultSet) -> str:
    """The config's name: what the live sink used, so a later sync finds the same experiment."""
    name = rs.config.get("name")
    if name:
        return str(name)
    return rs.name.split(", ")[0]


def parent_for(rs: ResultSet) -> ParentInfo:
    labels = sorted({str(d) for d in rs.frame["dataset"].dropna()}) if not rs.frame.empty else []
    if not rs.pipeline.empty:
        labels += sorted({str(log) for log in rs.pipeline["log"].dropna()})
    prints = [str(f) for f in rs.frame["dataset_fingerprint"].dropna()] if not rs.frame.empty else []
    return parent_info(
        result_set_id(rs.out_dir),
        experiment_name(rs),
        rs.config,
        rs.environment,
        ", ".join(labels),
        prints,
        rs.out_dir,
    )


def summary_metrics(rs: ResultSet) -> dict[str, float]:
    """Counts, and the best point's figures where the result set has one dataset and k."""
    summary = {"points_ok": float(len(rs.ok())), "points_failed": float(len(rs.failed()))}
    if not rs.pipeline.empty:
        status = rs.pipeline.groupby("point_key")["status"].agg(lambda s: bool((s == "ok").all()))
        summary["pipeline_configurations_ok"] = float(status.sum())
        summary["pipeline_configurations_failed"] = float((~status).sum())
    choices = [
        c
        for c in best_choices(rs.frame, constraints_from(rs.config), rs.out_dir)
        if c.scope == "all adapters"
    ]
    if len(choices) == 1 and choices[0].row is not None:
        row = choices[0].row
        for column in ("recall", "qps", "cpu_ms_per_query", "latency_p99_ms", "index_bytes"):
            number = finite_number(row.get(column))
            if number is not None:
                summary[f"best_{column}"] = number
    return summary


def upload(
    target: MlflowTarget,
    rs: ResultSet,
    made: Mapping[str, FolderMaker] | None = None,
    say: Callable[[str], None] | None = None,
) -> SyncCounts:
    """Every row (idempotently), the artifacts (and ``made`` folders), then the parent marked finished.

    ``say`` hears a line when the upload starts, every few seconds while runs go up, and at the
    end: a large result set takes tens of seconds, which must not look like a hang."""
    progress = UploadProgress(len(rs.frame), say)
    for _, row in rs.frame.iterrows():
        target.log_point({str(key): value for key, value in row.items()})
        progress.step()
    for run in pipeline_point_runs(rs.pipeline, target.result_set, target.parent_run_id):
        target.log_run(run)
        progress.step()
    progress.note("attaching the result files and the report")
    target.log_artifacts(rs.out_dir, ARTIFACT_FILES, ARTIFACT_FOLDERS)
    target.log_made_folders(rs.out_dir, made or {})
    target.close("FINISHED", summary_metrics(rs))
    progress.note(f"done in {time.monotonic() - progress.started:.1f} s")
    return target.counts


class UploadProgress:
    """Progress lines of an upload, at most one every ``EVERY_S`` seconds."""

    EVERY_S = 3.0

    def __init__(self, points: int, say: Callable[[str], None] | None) -> None:
        self.say, self.done = say, 0
        self.started = self.last = time.monotonic()
        self.note(f"uploading {points} point run(s) and the artifacts" if points else "uploading the runs and artifacts")

    def step(self) -> None:
        self.done += 1
        if self.say is not None and time.monotonic() - self.last >= self.EVERY_S:
            self.last = time.monotonic()
            self.note(f"{self.done} run(s) logged, {self.last - self.started:.0f} s")

    def note(self, text: str) -> None:
        if self.say is not None:
            self.say(f"MLflow: {text}")


def sync_result_set(
    out_dir: str | Path, tracking_uri: str | None = None, made: Mapping[str, FolderMaker] | None = None
) -> MlflowTarget:
    """``vecbench mlflow sync OUT``: upload what the store holds and MLflow lacks."""
    for store in (ResultStore(out_dir), PipelineStore(out_dir)):
        store.compact()  # a killed run's part files into the result file that is attached
    rs = load_result_set(out_dir)
    uri = resolve_tracking_uri(rs.out_dir, tracking_uri)
    from mlflow.exceptions import MlflowException
    from requests import RequestException

    try:
        target = MlflowTarget(uri)
        target.open(parent_for(rs))
        upload(target, rs, made)
    except (MlflowException, RequestException, OSError) as exc:
        text = " ".join(str(exc).split())[:300]
        raise VecbenchError(
            f"MLflow sync to {uri} failed ({type(exc).__name__}: {text}); check that the tracking "
            "server is up and the URI is right, then run the same command again (it resumes)"
        ) from None
    return target
