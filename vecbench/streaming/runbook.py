"""big-ann-benchmarks runbooks: parsed unchanged, scaled onto smaller data, validated before any build.

A runbook file maps dataset names to ``max_pts`` and numbered steps (1, 2, ...). ``insert`` and
``delete`` take ids ``start``..``end`` (end exclusive); ``replace`` gives the live tags
``tags_start``..``tags_end`` the vectors ``ids_start``..``ids_end``; ``search`` runs the query set
against what is live. A vector id is a row of the dataset; a tag is the id an item keeps (what a
search returns): an insert gives row i the tag i, a replace keeps the tag and changes its row.
Scaling multiplies every bound by one factor and rounds, so adjacent ranges stay adjacent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from vecbench.errors import ConfigError

OPERATIONS = ("insert", "delete", "replace", "search")
RANGE_FIELDS = {
    "insert": ("start", "end"),
    "delete": ("start", "end"),
    "replace": ("tags_start", "tags_end", "ids_start", "ids_end"),
    "search": (),
}
UPDATES = ("insert", "delete", "replace")


@dataclass(frozen=True)
class Step:
    """One runbook step; unused bounds are 0. For replace, ``start``/``end`` are the tags."""

    number: int
    operation: str
    start: int = 0
    end: int = 0
    ids_start: int = 0
    ids_end: int = 0

    @property
    def rows(self) -> int:
        return self.end - self.start if self.operation != "search" else 0

    def tags(self) -> np.ndarray:
        return np.arange(self.start, self.end, dtype=np.int64)

    def vector_rows(self) -> np.ndarray:
        """The dataset rows this step inserts (insert) or moves tags onto (replace)."""
        if self.operation == "replace":
            return np.arange(self.ids_start, self.ids_end, dtype=np.int64)
        return self.tags()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.number, "operation": self.operation}
        if self.operation in ("insert", "delete"):
            out.update(start=self.start, end=self.end)
        elif self.operation == "replace":
            out.update(
                tags_start=self.start, tags_end=self.end, ids_start=self.ids_start, ids_end=self.ids_end
            )
        return out


@dataclass(frozen=True)
class Runbook:
    """A validated runbook: its steps after scaling, the ids it needs and where it came from."""

    name: str  # "file.yaml:key"
    max_pts: int
    steps: tuple[Step, ...]
    n_ids: int  # one past the highest vector id or tag any step names
    scale: float

    def digest(self) -> str:
        """What the runbook does (its scaled steps), for cache and point keys; not where it lives."""
        text = json.dumps([s.as_dict() for s in self.steps], separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def search_steps(self) -> list[int]:
        return [s.number for s in self.steps if s.operation == "search"]


def read_runbook_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"runbook file {path} not found; give runbook.path as a big-ann runbook YAML file")
    try:
        data = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"runbook file {path} is not valid YAML: {' '.join(str(exc).split())[:160]}"
        ) from None
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"runbook file {path} must map dataset names to runbooks")
    return data


def load_runbook(
    path: Path, key: str, n_vectors: int, scale: float | str | None = None, max_pts: int | None = None
) -> Runbook:
    """Parse ``key`` of a runbook file, scale it and check it against ``n_vectors`` rows.

    ``scale``: a factor for every bound, or ``"fit"`` (the factor that makes the highest id the
    dataset's size); ``max_pts``: the factor that maps the runbook's ``max_pts`` onto this many.
    """
    data = read_runbook_file(path)
    name = f"{path.name}:{key}"
    if key not in data:
        known = ", ".join(sorted(str(k) for k in data))
        raise ConfigError(f"runbook file {path} has no key '{key}'; it has: {known}")
    raw = data[key]
    if not isinstance(raw, dict):
        raise ConfigError(f"runbook {name} must be a mapping of max_pts and numbered steps")
    steps = list(parse_steps(name, raw))
    runbook_max = raw.get("max_pts")
    if not isinstance(runbook_max, int) or runbook_max < 1:
        raise ConfigError(f"runbook {name}: max_pts must be a positive integer, got {runbook_max!r}")
    highest = max((bound for step in steps for bound in (step.end, step.ids_end)), default=0)
    factor = scale_factor(name, scale, max_pts, runbook_max, highest, n_vectors)
    scaled = tuple(scaled_step(step, factor) for step in steps) if factor != 1.0 else tuple(steps)
    n_ids = max((bound for step in scaled for bound in (step.end, step.ids_end)), default=0)
    runbook = Runbook(name, max(1, round(runbook_max * factor)), scaled, n_ids, factor)
    validate(runbook, n_vectors)
    return runbook


def parse_steps(name: str, raw: Mapping[Any, Any]) -> Iterator[Step]:
    """The numbered steps in order; other keys (max_pts, gt_url, comments) are not steps."""
    numbers = sorted(k for k in raw if isinstance(k, int) and not isinstance(k, bool))
    if not numbers:
        raise ConfigError(f"runbook {name} has no numbered steps")
    if numbers != list(range(1, len(numbers) + 1)):
        missing = sorted(set(range(1, numbers[-1] + 1)) - set(numbers))
        raise ConfigError(
            f"runbook {name}: steps must be numbered 1..{numbers[-1]} without gaps; missing {missing[:5]}"
        )
    for number in numbers:
        entry = raw[number]
        where = f"runbook {name} step {number}"
        if not isinstance(entry, dict) or "operation" not in entry:
            raise ConfigError(f"{where}: a step needs an 'operation' (one of {', '.join(OPERATIONS)})")
        operation = entry["operation"]
        if operation not in OPERATIONS:
            raise ConfigError(f"{where}: unknown operation {operation!r}; use one of {', '.join(OPERATIONS)}")
        fields = RANGE_FIELDS[operation]
        values: dict[str, int] = {}
        for field in fields:
            value = entry.get(field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(
                    f"{where}: {operation} needs {field} as a non-negative integer, got {value!r}"
                )
            values[field] = value
        extra = sorted(str(k) for k in entry if k != "operation" and k not in fields)
        if extra:
            raise ConfigError(
                f"{where}: {operation} takes no {extra[0]!r} (it takes {', '.join(fields) or 'nothing'})"
            )
        if operation == "replace":
            yield Step(
                number,
                operation,
                values["tags_start"],
                values["tags_end"],
                values["ids_start"],
                values["ids_end"],
            )
        else:
            yield Step(number, operation, values.get("start", 0), values.get("end", 0))


def scale_factor(
    name: str, scale: float | str | None, max_pts: int | None, runbook_max: int, highest: int, n_vectors: int
) -> float:
    if scale is not None and max_pts is not None:
        raise ConfigError(f"runbook {name}: give scale or max_pts, not both")
    if max_pts is not None:
        return max_pts / runbook_max
    if scale == "fit":
        return min(1.0, n_vectors / max(1, highest))
    if scale is None:
        return 1.0
    if isinstance(scale, str) or not 0 < scale <= 1:
        raise ConfigError(f"runbook {name}: scale must be in (0, 1] or 'fit', got {scale!r}")
    return float(scale)


def scaled_step(step: Step, factor: float) -> Step:
    def at(value: int) -> int:
        return int(np.floor(value * factor + 0.5))

    if step.operation == "replace":
        tags_start, ids_start = at(step.start), at(step.ids_start)
        # The two ranges of a replace must keep one length: the shorter one decides.
        length = min(at(step.end) - tags_start, at(step.ids_end) - ids_start)
        return Step(
            step.number, step.operation, tags_start, tags_start + length, ids_start, ids_start + length
        )
    return Step(step.number, step.operation, at(step.start), at(step.end))


def validate(runbook: Runbook, n_vectors: int) -> None:
    """Replay which tags are live and refuse anything a correct index could not do."""
    live = np.zeros(max(runbook.n_ids, 1), dtype=bool)
    where = f"runbook {runbook.name}"
    scaled = f" (after scaling by {runbook.scale:g})" if runbook.scale != 1.0 else ""
    if runbook.n_ids > n_vectors:
        raise ConfigError(
            f"{where} uses vector ids up to {runbook.n_ids}{scaled} but the dataset has {n_vectors} vectors; "
            f"set runbook scale: fit (or scale: {n_vectors / runbook.n_ids:.4g}), or use more data"
        )
    for step in runbook.steps:
        at = f"{where} step {step.number} ({step.operation})"
        if step.operation == "search":
            if not live.any():
                raise ConfigError(f"{at}: nothing is live yet to search; put an insert first")
            continue
        if step.end < step.start or step.ids_end < step.ids_start:
            raise ConfigError(f"{at}: the range ends before it starts ({step.as_dict()})")
        if step.number == 1 and (step.operation != "insert" or step.rows == 0):
            raise ConfigError(f"{at}: a runbook must start with an insert of at least one id{scaled}")
        tags = live[step.start : step.end]
        if step.operation == "insert" and tags.any():
            first = step.start + int(np.argmax(tags))
            raise ConfigError(f"{at}: inserts ids {step.start}..{step.end} but id {first} is live already")
        if step.operation in ("delete", "replace") and not tags.all():
            first = step.start + int(np.argmin(tags))
            what = "deletes ids" if step.operation == "delete" else "replaces tags"
            raise ConfigError(f"{at}: {what} {step.start}..{step.end} but {first} is not live then")
        live[step.start : step.end] = step.operation != "delete"
    if runbook.max_pts and int(np.max(live_counts(runbook), initial=0)) > runbook.max_pts * 1.01 + 1:
        raise ConfigError(f"{where}: more than max_pts={runbook.max_pts} ids are live at once{scaled}")


def live_counts(runbook: Runbook) -> list[int]:
    """How many tags are live after each step."""
    counts, live = [], 0
    for step in runbook.steps:
        live += step.rows if step.operation == "insert" else -step.rows if step.operation == "delete" else 0
        counts.append(live)
    return counts


class LiveState:
    """Which row each tag holds as a runbook plays (-1: not live): the same replay everywhere."""

    def __init__(self, n_ids: int) -> None:
        self.row_of_tag = np.full(max(n_ids, 1), -1, dtype=np.int64)
        self.live = 0

    def apply(self, step: Step) -> None:
        if step.operation == "insert":
            self.row_of_tag[step.start : step.end] = step.vector_rows()
            self.live += step.rows
        elif step.operation == "delete":
            self.row_of_tag[step.start : step.end] = -1
            self.live -= step.rows
        elif step.operation == "replace":
            self.row_of_tag[step.start : step.end] = step.vector_rows()

    def live_tags(self) -> np.ndarray:
        return np.flatnonzero(self.row_of_tag >= 0).astype(np.int64)

    def rows_of(self, tags: np.ndarray) -> np.ndarray:
        """Rows of the given tags (-1 for -1 pads and tags not live now)."""
        tags = np.asarray(tags, dtype=np.int64)
        inside = (tags >= 0) & (tags < self.row_of_tag.shape[0])
        return np.where(inside, self.row_of_tag[np.where(inside, tags, 0)], -1)
