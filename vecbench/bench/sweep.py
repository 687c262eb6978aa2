"""Expand a config's parameter grids into build points, each with its own query points.

An index is built once per build point and every query point is swept on it, so build-time and
query-time parameters stay separate here exactly as they are in the YAML.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vecbench.bench.config import ExperimentConfig, ParamGrid
from vecbench.core.params import key_params
from vecbench.indexes.base import resolve_params
from vecbench.indexes.registry import get_adapter_class


def expand_grid(grid: ParamGrid | list[ParamGrid]) -> list[dict[str, Any]]:
    """Cartesian product of every list-valued entry; scalars stay fixed. ``{}`` gives one point.

    A list of mappings is a list of parameter sets, taken in order (each may itself be a grid):
    ``[{leaves_to_search: 10, reorder_k: 50}, {leaves_to_search: 40, reorder_k: 200}]`` gives
    exactly those pairs, which no Cartesian grid can say.
    """
    if isinstance(grid, list):
        return [point for item in grid for point in expand_grid(item)]
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
    entries: tuple[int, ...] = ()  # the config's index entries this build point came from


def expand_sweep(config: ExperimentConfig, fingerprint: str) -> list[BuildPoint]:
    """``sweep_points`` without the notes on merged duplicates."""
    return sweep_points(config, fingerprint)[0]


def sweep_points(config: ExperimentConfig, fingerprint: str) -> tuple[list[BuildPoint], list[str]]:
    """All build points of the config, with parameters validated and defaults filled in.

    Keys hash the dataset fingerprint, k, adapter and resolved parameters, so a resumed run can
    recognise finished points and a changed dataset never matches old rows. Entries that resolve to
    the same build are merged into one build point (one index built, every query point measured
    once); the notes say what was merged.
    """
    points: list[BuildPoint] = []
    for position, entry in enumerate(config.indexes):
        cls = get_adapter_class(entry.adapter)
        for build in expand_grid(entry.build):
            build_params = resolve_params(entry.adapter, cls.build_param_specs, build)
            keyed = key_params(cls.build_param_specs, build_params)
            build_key = _digest(fingerprint, str(config.k), entry.adapter, canonical_json(keyed))
            queries = tuple(
                QueryPoint(params, _digest(build_key, canonical_json(key_params(cls.query_param_specs, params))))
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
                    entries=(position,),
                )
            )
    return merge_duplicates(points)


def merge_duplicates(points: list[BuildPoint]) -> tuple[list[BuildPoint], list[str]]:
    """One build point per build key, with the union of its query points (first label and timeout
    kept); a note for each build or query point that appeared more than once."""
    merged: dict[str, BuildPoint] = {}
    notes: list[str] = []
    for point in points:
        first = merged.get(point.key)
        if first is None:
            unique = tuple({q.key: q for q in point.query_points}.values())
            if len(unique) < len(point.query_points):
                notes.append(f"{point.label}: a query point is listed twice; measuring it once")
            merged[point.key] = dataclasses.replace(point, query_points=unique)
            continue
        known = {q.key for q in first.query_points}
        extra = tuple(q for q in point.query_points if q.key not in known)
        notes.append(
            f"{point.label} {canonical_json(point.build_params)} is listed twice; building it once"
            + (f" and measuring {len(extra)} more query point(s) on it" if extra else "")
        )
        merged[point.key] = dataclasses.replace(
            first, query_points=first.query_points + extra, entries=first.entries + point.entries
        )
    return list(merged.values()), notes
