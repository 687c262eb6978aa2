"""Expand a config's parameter grids into build points, each with its own query points.

An index is built once per build point and every query point is swept on it, so build-time and
query-time parameters stay separate here exactly as they are in the YAML.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vecbench.bench.config import ExperimentConfig, ParamGrid
from vecbench.indexes.base import resolve_params
from vecbench.indexes.registry import get_adapter_class


def expand_grid(grid: ParamGrid) -> list[dict[str, Any]]:
    """Cartesian product of every list-valued entry; scalars stay fixed. ``{}`` gives one point."""
    keys = list(grid)
    choices = [value if isinstance(value, list) else [value] for value in grid.values()]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*choices)]


def canonical_json(params: Mapping[str, Any]) -> str:
    """Stable JSON for parameters: the form stored in results and hashed into keys."""
    return json.dumps(dict(params), sort_keys=True, separators=(",", ":"))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class QueryPoint:
    params: dict[str, Any]
    key: str


@dataclass(frozen=True)
class BuildPoint:
    adapter: str
    label: str
    build_params: dict[str, Any]
    query_points: tuple[QueryPoint, ...]
    timeout_s: float
    key: str


def expand_sweep(config: ExperimentConfig, fingerprint: str) -> list[BuildPoint]:
    """All build points of the config, with parameters validated and defaults filled in.

    Keys hash the dataset fingerprint, k, adapter and resolved parameters, so a resumed run can
    recognise finished points and a changed dataset never matches old rows.
    """
    points: list[BuildPoint] = []
    for entry in config.indexes:
        cls = get_adapter_class(entry.adapter)
        for build in expand_grid(entry.build):
            build_params = resolve_params(entry.adapter, cls.build_param_specs, build)
            build_key = _digest(fingerprint, str(config.k), entry.adapter, canonical_json(build_params))
            queries = tuple(
                QueryPoint(params, _digest(build_key, canonical_json(params)))
                for params in (
                    resolve_params(entry.adapter, cls.query_param_specs, q) for q in expand_grid(entry.query)
                )
            )
            points.append(
                BuildPoint(
                    adapter=entry.adapter,
                    label=entry.label or entry.adapter,
                    build_params=build_params,
                    query_points=queries,
                    timeout_s=entry.timeout_s or config.timeout_s,
                    key=build_key,
                )
            )
    return points
