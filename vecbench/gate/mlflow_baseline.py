"""Gate baselines kept in MLflow: written beside a result set's parent run, read back by run id.

Why here and not in ``reports``: the gate already reads the result store, so the baseline format
stays in one place and ``reports`` never imports ``gate``. The MLflow upload only takes a folder
maker (``write_baseline_artifact``) from the CLI and logs what it writes as ``baseline/``.
``vecbench gate --baseline mlflow:<run_id>`` downloads that folder into a temporary directory and
opens it like any baseline saved with ``vecbench baseline save``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

from vecbench.errors import VecbenchError
from vecbench.gate.baseline import save_baseline

ARTIFACT_PATH = "baseline"
PREFIX = "mlflow:"


def write_baseline_artifact(out_dir: Path, folder: Path) -> None:
    """The compact baseline of result set ``out_dir``, written to the new folder ``folder``."""
    save_baseline([out_dir], folder)


def gate_hint(run_id: str) -> str:
    return f"--baseline {PREFIX}{run_id}"


@contextlib.contextmanager
def baseline_location(spec: str, tracking_uri: str | None) -> Iterator[str]:
    """``spec`` itself, or for ``mlflow:<run_id>`` a temporary copy of that run's baseline."""
    if not spec.startswith(PREFIX):
        yield spec
        return
    run_id = spec[len(PREFIX) :].strip()
    if not run_id:
        raise VecbenchError(f"'{spec}' names no run; give --baseline mlflow:<parent run id>")
    with tempfile.TemporaryDirectory(prefix="vecbench-baseline-") as scratch:
        yield str(download_baseline(run_id, tracking_uri, Path(scratch)))


def download_baseline(run_id: str, tracking_uri: str | None, dest: Path) -> Path:
    """Fetch the ``baseline/`` artifact folder of parent run ``run_id`` into ``dest``."""
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        raise VecbenchError(
            "mlflow: baselines need a tracking store: give --tracking-uri (a server URL, or "
            "sqlite:////abs/path/OUT/mlflow/mlflow.db for a run's embedded store) or set MLFLOW_TRACKING_URI"
        )
    parsed = urlparse(uri)
    if parsed.scheme == "sqlite" and not Path(parsed.path).is_file():
        raise VecbenchError(f"no MLflow store at {parsed.path}; check --tracking-uri")
    from mlflow.exceptions import MlflowException
    from requests import RequestException

    from vecbench.reports.mlflow_sync import MlflowTarget

    client = MlflowTarget(uri).client  # same client settings as the upload (short retries, quiet logs)
    try:
        try:
            run = client.get_run(run_id)
        except MlflowException as exc:
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                raise VecbenchError(f"MLflow run {run_id} not found at {uri}; check the run id") from None
            raise
        if run.data.tags.get("vecbench.role") == "point":
            parent = run.data.tags.get("mlflow.parentRunId", "?")
            raise VecbenchError(
                f"MLflow run {run_id} is one point of a result set; give its parent run: {PREFIX}{parent}"
            )
        if not client.list_artifacts(run_id, ARTIFACT_PATH):
            raise VecbenchError(
                f"MLflow run {run_id} at {uri} has no {ARTIFACT_PATH}/ artifact (logged by an older "
                "vecbench, or not a vecbench result set); upload it again with a newer vecbench: "
                f"vecbench mlflow sync OUT --tracking-uri {uri}"
            )
        local = client.download_artifacts(run_id, ARTIFACT_PATH, str(dest))
    except (MlflowException, RequestException, OSError) as exc:
        text = " ".join(str(exc).split())
        raise VecbenchError(
            f"cannot read MLflow run {run_id} from {uri}: is the tracking server up and the URI right? "
            f"({type(exc).__name__}: {text[:160]}{'...' if len(text) > 160 else ''})"
        ) from None
    return Path(local)
