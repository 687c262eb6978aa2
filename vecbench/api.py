"""The Python API: read result folders as DataFrames and run configs from a notebook or script.

``load_results`` and ``load_pipeline`` unpack the canonical-JSON ``build_params`` /
``query_params`` columns into one column per parameter, so ``frame[frame.ef == 64]`` works
without parsing strings. A parameter is named as given (``ef``, ``nprobe``); only a name that a
result column already uses, or that is both a build and a query parameter, becomes
``build.NAME`` / ``query.NAME``. The JSON columns stay, so nothing is lost.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from vecbench.errors import ConfigError, VecbenchError

PARAM_COLUMNS = ("build_params", "query_params")
_PREFIX = {"build_params": "build", "query_params": "query"}


def load_results(directory: str | Path) -> pd.DataFrame:
    """The index-sweep rows of a ``vecbench run`` output folder, one column per parameter."""
    from vecbench.reports.store import ResultStore

    store = ResultStore(directory)
    if not store.exists():
        raise VecbenchError(
            f"no index-sweep results in {directory}: expected {store.results_path} "
            f"(a pipeline folder? use vecbench.load_pipeline)"
        )
    return expand_params(store.read())


def load_pipeline(directory: str | Path) -> pd.DataFrame:
    """The recommendation-pipeline rows (long format) of an output folder, one column per parameter."""
    from vecbench.reports.pipeline_store import PipelineStore

    store = PipelineStore(directory)
    if not store.exists():
        raise VecbenchError(
            f"no pipeline results in {directory}: expected {store.path} "
            f"(an index sweep? use vecbench.load_results)"
        )
    return expand_params(store.read())


def expand_params(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each key of the JSON parameter columns as a column of its own."""
    decoded = {column: [_decode(text) for text in frame[column]] for column in PARAM_COLUMNS if column in frame}
    names = {column: sorted({key for params in rows for key in params}) for column, rows in decoded.items()}
    in_both = set(names.get("build_params", ())) & set(names.get("query_params", ()))
    out = frame.copy()
    for column, rows in decoded.items():
        for name in names[column]:
            label = name if name not in frame.columns and name not in in_both else f"{_PREFIX[column]}.{name}"
            out[label] = pd.Series([params.get(name) for params in rows], index=frame.index, dtype=_dtype(rows, name))
    return out


def _decode(text: Any) -> dict[str, Any]:
    if not isinstance(text, str) or not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _dtype(rows: list[dict[str, Any]], name: str) -> str:
    """Nullable integer, float, boolean or object: a parameter absent from a row is <NA>, not NaN-ish noise."""
    values = [params[name] for params in rows if params.get(name) is not None]
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "Int64"
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "float64"
    return "object"


def run(
    config: str | Path | Mapping[str, Any],
    out: str | Path | None = None,
    *,
    progress: bool = False,
    report: bool = True,
    mlflow: bool = False,
    tracking_uri: str | None = None,
) -> pd.DataFrame:
    """Run a config (a YAML path or the same mapping) into ``out`` and return what it wrote.

    An index sweep returns ``load_results(out)``, a pipeline (``kind: pipeline``) ``load_pipeline(out)``.
    Re-running into the same ``out`` resumes, as the command line does. Relative paths inside a
    mapping are read from the current directory. MLflow logging is off unless asked for.
    Workers are spawned processes that import the calling script again: in a script, call this
    under ``if __name__ == "__main__":`` (a notebook needs nothing).
    """
    if multiprocessing.parent_process() is not None:
        raise VecbenchError(
            "vecbench.run was called again inside a worker process that imported your script; "
            "put the call under 'if __name__ == \"__main__\":'"
        )
    with _config_file(config) as path:
        from vecbench.bench.pipeline_config import is_pipeline_config

        pipeline = is_pipeline_config(path)
        loaded: Any
        if pipeline:
            from vecbench.bench.pipeline_config import load_pipeline_config

            loaded = load_pipeline_config(path)
        else:
            from vecbench.bench.config import load_config

            loaded = load_config(path)
    from vecbench.reports.result_folder import default_out_dir

    folder = Path(out) if out is not None else default_out_dir(loaded.name)
    sinks = _sinks(report, mlflow, tracking_uri)
    with _claimed(folder):
        if pipeline:
            from vecbench.bench.pipeline_runner import PipelineRunner

            PipelineRunner(loaded, folder, progress=progress, sinks=sinks).run()
        else:
            from vecbench.bench.runner import Runner

            Runner(loaded, folder, progress=progress, sinks=sinks).run()
    return load_pipeline(folder) if pipeline else load_results(folder)


@contextlib.contextmanager
def _config_file(config: str | Path | Mapping[str, Any]) -> Iterator[Path]:
    """A path as given; a mapping written to a temporary YAML file the loaders read like any other."""
    if isinstance(config, str | Path):
        yield Path(config)
        return
    if not isinstance(config, Mapping):
        raise ConfigError(
            f"vecbench.run takes a config path or a dict, got {type(config).__name__}; "
            "e.g. vecbench.run('configs/quickstart.yaml')"
        )
    with tempfile.TemporaryDirectory(prefix="vecbench-config-") as scratch:
        path = Path(scratch) / "config.yaml"
        path.write_text(yaml.safe_dump(_plain(config), sort_keys=False))
        yield path


def _plain(value: Any) -> Any:
    """Mappings and sequences as plain dicts and lists (tuples too), so safe_dump accepts them."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _sinks(report: bool, mlflow: bool, tracking_uri: str | None) -> list[Any]:
    sinks: list[Any] = []
    if report:
        from vecbench.reports.html import ReportSink

        sinks.append(ReportSink())
    if mlflow:
        from vecbench.gate.mlflow_baseline import ARTIFACT_PATH, write_baseline_artifact
        from vecbench.reports.mlflow_sink import MlflowSink

        sinks.append(MlflowSink(tracking_uri, made={ARTIFACT_PATH: write_baseline_artifact}))
    return sinks


@contextlib.contextmanager
def _claimed(folder: Path) -> Iterator[None]:
    """As the CLI does: the folder must be new, empty or vecbench's, and one run writes into it at a time."""
    from vecbench.reports.lock import RunLock
    from vecbench.reports.result_folder import claim_folder, write_marker

    claim_folder(folder)
    with RunLock(folder, wait=False):
        write_marker(folder)
        yield
