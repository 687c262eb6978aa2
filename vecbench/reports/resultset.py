"""One output folder read back as plain data: rows, environment and the config that made them.

Reports and the MLflow sync read result sets through this and never run anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from vecbench.errors import VecbenchError
from vecbench.reports.store import ResultStore

CONFIG_FILE = "config.yaml"


@dataclass(frozen=True)
class ResultSet:
    out_dir: Path
    frame: pd.DataFrame
    environment: dict[str, Any]
    config: dict[str, Any]

    @property
    def name(self) -> str:
        """The experiment name(s) of the rows, else the folder name."""
        if not self.frame.empty:
            names = sorted({str(n) for n in self.frame["experiment"].dropna()})
            if names:
                return ", ".join(names)
        return str(self.config.get("name") or self.out_dir.name)

    def ok(self) -> pd.DataFrame:
        return self.frame[self.frame["status"] == "ok"] if not self.frame.empty else self.frame

    def failed(self) -> pd.DataFrame:
        return self.frame[self.frame["status"] != "ok"] if not self.frame.empty else self.frame


def load_result_set(out_dir: str | Path) -> ResultSet:
    """Read OUT/results.parquet, environment.json and config.yaml; a one-line error if absent."""
    store = ResultStore(out_dir)
    if not store.exists():
        raise VecbenchError(
            f"no results in {out_dir}: expected {store.results_path}; run 'vecbench run CONFIG --out {out_dir}'"
        )
    try:
        environment = store.read_environment()
    except (OSError, json.JSONDecodeError) as exc:
        raise VecbenchError(f"cannot read {store.out_dir / 'environment.json'}: {exc}") from None
    return ResultSet(store.out_dir, store.read(), environment, read_config(store.out_dir))


def read_config(out_dir: Path) -> dict[str, Any]:
    """The config the runner stored beside the results, as a mapping ({} when absent)."""
    path = out_dir / CONFIG_FILE
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise VecbenchError(f"cannot read {path}: {exc}; re-run the experiment to rewrite it") from None
    return data if isinstance(data, dict) else {}
