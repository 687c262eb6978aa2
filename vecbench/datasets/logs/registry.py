"""Registered interaction logs and ``load_log``: the one entry point from a config to a log."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from vecbench.core.lazy_import import import_target
from vecbench.core.registry import lookup
from vecbench.datasets.logs.base import InteractionLog
from vecbench.errors import ConfigError

SHARED_DATA_ENV = "VECBENCH_SHARED_DATA"


class LogSpec(BaseModel):
    """``{name: movielens-100k, path: DIR}``, ``{name: synthetic, seed: 0, options: {...}}`` or
    ``{name: table, path: log.csv, columns: {user: userId}, items: items.csv}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    path: str | None = None
    columns: dict[str, str] = {}
    items: str | None = None
    seed: int = 0
    options: dict[str, Any] = {}

    def label(self) -> str:
        return self.name if self.path is None or self.name != "table" else Path(self.path).name


@dataclass(frozen=True)
class NamedLog:
    description: str
    loader: str  # "module:function" taking the LogSpec, imported when used
    fields: Mapping[str, str]
    path_required: bool = True


# Adding a log format is one entry here and one loader module.
LOGS: dict[str, NamedLog] = {
    "movielens-100k": NamedLog(
        "MovieLens 100K: 100,000 ratings 1997-98, 943 users, 1,682 movies; filter on genres, year, release_date",
        "vecbench.datasets.logs.registry:_movielens_100k",
        {"path": "the folder holding u.data and u.item (vecbench datasets fetch movielens-100k)"},
    ),
    "movielens-latest-small": NamedLog(
        "MovieLens latest-small: 100,836 ratings 1996-2018, 610 users, 9,742 movies, tags; filter on genres, year",
        "vecbench.datasets.logs.registry:_movielens_latest_small",
        {
            "path": "the folder holding ratings.csv and movies.csv (vecbench datasets fetch movielens-latest-small)"
        },
    ),
    "amazon-2018-5core": NamedLog(
        "Amazon Review Data 2018, a 5-core category file (JSON lines with unixReviewTime)",
        "vecbench.datasets.logs.registry:_amazon",
        {"path": "a *_5.json or *_5.json.gz file"},
    ),
    "table": NamedLog(
        "any CSV/TSV/parquet log with user, item and timestamp columns, optionally weight and an items file to filter on",
        "vecbench.datasets.logs.registry:_table",
        {
            "path": "the .csv, .tsv or .parquet file",
            "columns": "renames, e.g. {user: userId, item: movieId}",
            "items": "optional catalogue file: an item column, optional title and '|'-separated "
            "categories, and any attribute columns to filter on (year, price, ...)",
        },
    ),
    "synthetic": NamedLog(
        "seeded synthetic log: Zipf popularity, taste clusters, sessions, drift, growing catalogue; filter on categories, released",
        "vecbench.datasets.logs.registry:_synthetic",
        {"seed": "generator seed (default 0)", "options": "see vecbench.datasets.logs.synthetic.OPTIONS"},
        path_required=False,
    ),
}


def log_names() -> list[str]:
    return sorted(LOGS)


def load_log(spec: LogSpec) -> InteractionLog:
    """Load the log a spec names; unknown names and missing paths are one-line ConfigErrors."""
    entry = lookup(LOGS, spec.name, "log")
    for field in spec.model_dump(exclude_defaults=True):
        if field != "name" and field not in entry.fields:
            raise ConfigError(
                f"log '{spec.name}' does not take '{field}'; it accepts: {', '.join(entry.fields)}"
            )
    if entry.path_required and spec.path is None:
        raise ConfigError(f"log '{spec.name}' needs path: {entry.fields['path']}")
    loader: Callable[[LogSpec], InteractionLog] = import_target(entry.loader)
    return loader(spec)


def resolve_path(path: str) -> Path:
    """Expand ``~`` and ``$VECBENCH_SHARED_DATA`` (default ``../shared/data``) in a config path."""
    if "$VECBENCH_SHARED_DATA" in path or "${VECBENCH_SHARED_DATA}" in path:
        shared = os.environ.get(SHARED_DATA_ENV, "../shared/data")
        path = path.replace("${VECBENCH_SHARED_DATA}", shared).replace("$VECBENCH_SHARED_DATA", shared)
    return Path(path).expanduser()


def _movielens_100k(spec: LogSpec) -> InteractionLog:
    from vecbench.datasets.logs.movielens import load_movielens_100k

    assert spec.path is not None
    return load_movielens_100k(resolve_path(spec.path))


def _movielens_latest_small(spec: LogSpec) -> InteractionLog:
    from vecbench.datasets.logs.movielens import load_movielens_latest_small

    assert spec.path is not None
    return load_movielens_latest_small(resolve_path(spec.path))


def _amazon(spec: LogSpec) -> InteractionLog:
    from vecbench.datasets.logs.amazon import load_amazon_5core

    assert spec.path is not None
    return load_amazon_5core(resolve_path(spec.path))


def _table(spec: LogSpec) -> InteractionLog:
    from vecbench.datasets.logs.generic import load_table_log

    assert spec.path is not None
    items = None if spec.items is None else resolve_path(spec.items)
    return load_table_log(resolve_path(spec.path), spec.columns, items)


def _synthetic(spec: LogSpec) -> InteractionLog:
    from vecbench.datasets.logs.synthetic import generate_log

    return generate_log(spec.seed, **spec.options)
