"""An output folder as vecbench's own: its marker, its default place, and what may be mixed in it.

vecbench writes ``config.yaml``, ``environment.json``, ``report.html`` and ``plots/`` into the
folder it runs into, so it must never run into a folder of someone else's files: a folder is taken
only when it is new, empty, or already a vecbench result set (it holds the marker ``.vecbench``, or
result files of a version from before the marker).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from vecbench.core.atomic import atomic_write_text
from vecbench.errors import ConfigError, VecbenchError
from vecbench.reports.lock import LOCK_FILE
from vecbench.reports.parts import PARTS_DIR
from vecbench.reports.pipeline_store import PIPELINE_FILE, PipelineStore
from vecbench.reports.store import ENVIRONMENT_FILE, RESULTS_FILE, ResultStore, make_directory

MARKER_FILE = ".vecbench"
MARKER = {"format": "vecbench-results", "version": 1}
RUNS_DIR = Path("runs")


def safe_name(name: str) -> str:
    """A config name as one harmless folder name: no separators, no leading dots, never empty.

    ``../../x`` becomes ``x`` and ``/abs/dir`` becomes ``abs-dir``, so the default output folder
    always lies inside ``runs/``.
    """
    cleaned = re.sub(r"[^\w.-]+", "-", name).strip(".-")
    return cleaned[:120] or "experiment"


def default_out_dir(name: str) -> Path:
    """``runs/<safe name>``: where a run goes without ``--out``."""
    return RUNS_DIR / safe_name(name)


def is_result_set(folder: Path) -> bool:
    """Whether vecbench wrote this folder (marker, or the files of a version before the marker)."""
    if (folder / MARKER_FILE).is_file() or (folder / PARTS_DIR).is_dir():
        return True
    if (folder / RESULTS_FILE).is_file() or (folder / PIPELINE_FILE).is_file():
        return True
    return (folder / "config.yaml").is_file() and (folder / ENVIRONMENT_FILE).is_file()


def claim_folder(folder: Path) -> None:
    """Create ``folder``, or accept it when it is empty or a vecbench result set; refuse anything else."""
    if folder.exists() and not folder.is_dir():
        raise VecbenchError(f"--out {folder} is a file, not a folder; give a new or empty folder")
    if folder.is_dir():
        others = [entry.name for entry in folder.iterdir() if entry.name != LOCK_FILE]
        if others and not is_result_set(folder):
            raise VecbenchError(
                f"--out {folder} is not empty and is not a vecbench result set (no {MARKER_FILE} marker); "
                "give a new or empty folder, so nothing in it is overwritten"
            )
    make_directory(folder)


def write_marker(folder: Path) -> None:
    """Mark ``folder`` as a vecbench result set (idempotent)."""
    marker = folder / MARKER_FILE
    if not marker.is_file():
        atomic_write_text(marker, json.dumps(MARKER) + "\n")


def check_same_experiment(store: ResultStore, experiment: str, dataset: str, fingerprint: str) -> None:
    """Refuse to add an index sweep to a folder holding another experiment, dataset or a pipeline.

    Resuming (or extending the sweep of) the same experiment on the same data is allowed.
    """
    out = store.out_dir
    if PipelineStore(out).exists():
        raise ConfigError(
            f"{out} holds pipeline results; give another --out for the index sweep '{experiment}'"
        )
    existing = store.read()
    if existing.empty:
        return
    pairs = (
        existing[["experiment", "dataset", "dataset_fingerprint"]].astype(object).fillna("").drop_duplicates()
    )
    other = pairs[(pairs["experiment"] != experiment) | (pairs["dataset_fingerprint"] != fingerprint)]
    if other.empty:
        return
    found = other.iloc[0]
    raise ConfigError(
        f"{out} holds results of experiment '{found['experiment']}' on {found['dataset']} "
        f"(fingerprint {str(found['dataset_fingerprint'])[:12]}), not '{experiment}' on {dataset} "
        f"(fingerprint {fingerprint[:12]}); give another --out, or delete {out} to start over"
    )
