"""Load points of a build point: one per (query point of the entry, rate or client count).

A load point's key hashes its query point's key with the load settings, so the keys of every
existing query point are untouched by adding ``load:`` and a resumed run recognises finished load
rows. The query params are those of the query point it loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vecbench.bench.config import ExperimentConfig
from vecbench.bench.sweep import BuildPoint, _digest, canonical_json, expand_grid
from vecbench.core.params import key_params, resolve_params
from vecbench.indexes.registry import get_adapter_class
from vecbench.load.spec import LoadPoint, load_specs


@dataclass(frozen=True)
class LoadQueryPoint:
    params: dict[str, Any]
    key: str
    query_key: str  # the static query point with the same params (recall comes from its row)
    load: LoadPoint


def load_points(config: ExperimentConfig, point: BuildPoint) -> list[LoadQueryPoint]:
    found: dict[str, LoadQueryPoint] = {}
    for position in point.entries:
        entry = config.indexes[position]
        specs = load_specs(entry.load)
        if not specs:
            continue
        cls = get_adapter_class(entry.adapter)
        for grid_point in expand_grid(entry.query):
            params = resolve_params(entry.adapter, cls.query_param_specs, grid_point)
            query_key = _digest(point.key, canonical_json(key_params(cls.query_param_specs, params)))
            for spec in specs:
                for load in spec.points():
                    key = _digest(query_key, "load", canonical_json(load.identity()))
                    found.setdefault(key, LoadQueryPoint(params, key, query_key, load))
    return list(found.values())
