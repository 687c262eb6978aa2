"""Temporal splits and the replay of requests over them, with no look into the future.

A *request* is (user, time t): the user's state is built from their events strictly before t,
and the targets are the user's next interactions at or after t. Two protocols:

- ``global_time``: one cutoff for everyone (a time, or the quantile ``train_fraction`` of event
  times). The model, the index and every statistic are fitted on events before the cutoff only.
  The time after the cutoff is cut into ``replay_steps`` windows of equal event counts, replayed in
  time order: at each window start t_j a user active in the window gets a request whose history is
  every event before t_j (their events after the cutoff included) and whose targets are their
  events inside the window.
- ``leave_last_n``: each user's last ``n`` events are the targets and t is the first target's time.
  The training log is every event before its own user's t, so other users' later events are in it:
  the usual protocol, which leaks popularity across users; prefer ``global_time`` to rule it out.

Targets are new items for the user (items already in the history are dropped; duplicates once).

``same_second`` says what the user's other events in the very second of a request are (event
times are whole seconds, so their order within it is unknown): ``after`` (the default under
``global_time``) treats them as after the request, so they are targets; ``before`` treats them as
known at the request, so they join the history (seen, excluded from candidates, never targets)
and the request is placed one second later so that its state still uses only earlier events;
``drop`` leaves them out of both (the default under ``leave_last_n``, where the request's time is
its first held-out event's and its other events of that second were always neither). ``before`` is
``global_time`` only: under ``leave_last_n`` the held-out events share that second.

``as_of: request`` (``leave_last_n`` only): statistics (popularity, item age, the scorer's item
features) are taken from the events strictly before each request rather than from the training
log, which under ``leave_last_n`` holds other users' later events. What is fitted once (the
embedding, the scorer) still sees the training log; the replay warns about it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from vecbench.datasets.logs.base import InteractionLog
from vecbench.errors import DatasetError


class SplitSpec(BaseModel):
    """How to split a log; see the module docstring for the two protocols."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["global_time", "leave_last_n"] = "global_time"
    train_fraction: float = Field(
        default=0.8, gt=0, lt=1, description="global_time: share of events before the cutoff"
    )
    cutoff: int | None = Field(
        default=None, description="global_time: the cutoff as unix seconds (overrides train_fraction)"
    )
    replay_steps: int = Field(default=1, ge=1, description="global_time: windows replayed after the cutoff")
    n: int = Field(default=1, ge=1, description="leave_last_n: held-out events per user")
    targets_per_user: int | None = Field(
        default=None, ge=1, description="keep only the first targets (None: all)"
    )
    min_history: int = Field(default=1, ge=1, description="requests need at least this many past events")
    same_second: Literal["drop", "before", "after"] | None = Field(
        default=None,
        description="the user's events in the request's second: drop, before (history) or after "
        "(targets); default after under global_time, drop under leave_last_n",
    )
    as_of: Literal["train", "request"] = Field(
        default="train",
        description="leave_last_n: statistics from the training log, or from events before each request",
    )
    max_requests: int | None = Field(default=None, ge=1, description="seeded sample of requests, for speed")
    seed: int = 0

    @model_validator(mode="after")
    def _protocol_fields(self) -> SplitSpec:
        given = self.model_fields_set
        wrong = {"global_time": {"n", "as_of"}, "leave_last_n": {"train_fraction", "cutoff", "replay_steps"}}[
            self.kind
        ]
        if given & wrong:
            raise ValueError(f"split kind {self.kind} does not take {', '.join(sorted(given & wrong))}")
        if self.kind == "leave_last_n" and self.same_second == "before":
            raise ValueError(
                "leave_last_n takes same_second drop or after: its held-out events share the request's "
                "second, so a request placed after it would count them in every statistic; use global_time"
            )
        return self

    def same_second_rule(self) -> str:
        """The rule in force (the protocol's default when none is given)."""
        return self.same_second or ("after" if self.kind == "global_time" else "drop")


@dataclass(frozen=True)
class Ragged:
    """Variable-length rows in CSR form: row r is ``values[indptr[r]:indptr[r + 1]]``."""

    indptr: np.ndarray
    values: np.ndarray

    def row(self, r: int) -> np.ndarray:
        return self.values[self.indptr[r] : self.indptr[r + 1]]

    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def __len__(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def from_rows(cls, rows: list[np.ndarray], dtype: type = np.int64) -> Ragged:
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(r) for r in rows])
        values: np.ndarray = np.concatenate(rows).astype(dtype) if rows else np.empty(0, dtype=dtype)
        return cls(indptr, values)

    def take(self, rows: np.ndarray) -> Ragged:
        """The given rows, in that order."""
        return Ragged.from_rows([self.row(int(r)) for r in rows], self.values.dtype.type)


@dataclass(frozen=True)
class Requests:
    """Evaluation requests in time order: who, when, the past they may use and what came next."""

    user: np.ndarray
    time: np.ndarray
    step: np.ndarray
    history_items: Ragged
    history_times: Ragged
    targets: Ragged

    def __len__(self) -> int:
        return int(self.user.shape[0])

    def with_targets_in(self, allowed: np.ndarray) -> Requests:
        """Only the targets whose dense item index ``allowed`` marks; requests left with none are dropped."""
        kept = [t[allowed[t]] for t in (self.targets.row(r) for r in range(len(self)))]
        rows = np.array([r for r, t in enumerate(kept) if t.size], dtype=np.int64)
        return Requests(
            user=self.user[rows],
            time=self.time[rows],
            step=self.step[rows],
            history_items=self.history_items.take(rows),
            history_times=self.history_times.take(rows),
            targets=Ragged.from_rows([kept[r] for r in rows.tolist()], self.targets.values.dtype.type),
        )


@dataclass(frozen=True)
class Replay:
    """A split: the log the model may learn from, its cutoff, the requests and the step times."""

    log: InteractionLog
    train: InteractionLog
    requests: Requests
    step_times: tuple[int, ...]  # global_time: cutoff, then each later window start; else ()
    protocol: str
    as_of_request: bool = False  # statistics from events strictly before each request (leave_last_n)

    @property
    def cutoff(self) -> int | None:
        return self.step_times[0] if self.step_times else None


def split_log(log: InteractionLog, spec: SplitSpec) -> Replay:
    """Split ``log`` as ``spec`` says; raise DatasetError when no request can be formed."""
    if log.n_events < 2:
        raise DatasetError(f"{log.name}: {log.n_events} event(s) cannot be split; the log needs at least 2")
    replay = _global_time(log, spec) if spec.kind == "global_time" else _leave_last_n(log, spec)
    if len(replay.requests) == 0:
        raise DatasetError(
            f"{log.name}: the {spec.kind} split leaves no request with >= {spec.min_history} past event(s) "
            "and a target; lower min_history or move the cutoff"
        )
    return replay


def split_warnings(spec: SplitSpec) -> list[str]:
    """What a reader of the results must know about the protocol (printed with every replay)."""
    if spec.kind != "leave_last_n":
        return []
    fitted = "the embedding, the baselines' models and the learned scorer"
    stats = "popularity, item ages and the scorer's item features"
    if spec.as_of == "request":
        return [f"leave_last_n: other users' later events still enter {fitted} "
                f"(as_of: request keeps them out of {stats} only); global_time rules it out"]  # fmt: skip
    return [f"leave_last_n: other users' events after a request enter everything fitted ({stats}, "
            f"{fitted}); set split.as_of: request for the statistics, or use global_time"]  # fmt: skip


def _global_time(log: InteractionLog, spec: SplitSpec) -> Replay:
    stamps = log.timestamp
    cutoff = (
        spec.cutoff
        if spec.cutoff is not None
        else int(np.quantile(stamps, spec.train_fraction, method="higher"))
    )
    after = stamps[stamps >= cutoff]
    if after.size == 0 or cutoff <= stamps[0]:
        raise DatasetError(
            f"{log.name}: cutoff {cutoff} leaves no events on one side (log spans {stamps[0]}..{stamps[-1]})"
        )
    inner = [
        int(np.quantile(after, j / spec.replay_steps, method="higher")) for j in range(1, spec.replay_steps)
    ]
    bounds = sorted({cutoff, *inner})
    edges = [*bounds, int(stamps[-1]) + 1]
    rows: list[tuple[int, int, int, np.ndarray, np.ndarray, np.ndarray]] = []
    by_user = _events_by_user(log)
    rule = spec.same_second_rule()
    for step, (start, end) in enumerate(itertools.pairwise(edges)):
        active = np.unique(log.user[(stamps >= start) & (stamps < end)])
        for user in active.tolist():
            items, times = by_user[user]
            past = times <= start if rule == "before" else times < start
            window = (times < end) & (times > start if rule != "after" else times >= start)
            targets = _new_targets(items[window], items[past], spec.targets_per_user)
            if past.sum() >= spec.min_history and targets.size:
                at = start + 1 if rule == "before" else start  # state strictly before the request
                rows.append((user, at, step, items[past], times[past], targets))
    requests = _requests(rows, spec)
    return Replay(log, log.before(cutoff), requests, tuple(bounds), "global_time")


def _leave_last_n(log: InteractionLog, spec: SplitSpec) -> Replay:
    rows: list[tuple[int, int, int, np.ndarray, np.ndarray, np.ndarray]] = []
    query_time = np.full(log.n_users, np.iinfo(np.int64).max, dtype=np.int64)
    rule = spec.same_second_rule()
    for user, (items, times) in enumerate(_events_by_user(log)):
        if items.size <= spec.n:
            continue
        t = int(times[-spec.n])
        query_time[user] = t
        held = np.arange(items.size) >= items.size - spec.n
        same = (times == t) & ~held  # the user's other events in the first target's second
        past = times < t
        chosen = held | (same if rule == "after" else False)
        targets = _new_targets(items[chosen], items[past], spec.targets_per_user)
        if past.sum() >= spec.min_history and targets.size:
            rows.append((user, t, 0, items[past], times[past], targets))
    train = log.subset(log.timestamp < query_time[log.user])
    return Replay(log, train, _requests(rows, spec), (), "leave_last_n", as_of_request=spec.as_of == "request")


def _events_by_user(log: InteractionLog) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each user's (items, times) in time order (the log is sorted by time already)."""
    order = np.argsort(log.user, kind="stable")
    bounds = np.searchsorted(log.user[order], np.arange(log.n_users + 1))
    return [(log.item[order[a:b]], log.timestamp[order[a:b]]) for a, b in itertools.pairwise(bounds)]


def _new_targets(window: np.ndarray, past: np.ndarray, limit: int | None) -> np.ndarray:
    """Items of the window in time order, first occurrence only, minus items already in the past."""
    _, first = np.unique(window, return_index=True)
    ordered = window[np.sort(first)]
    ordered = ordered[~np.isin(ordered, past)]
    return ordered[:limit] if limit is not None else ordered


def _requests(
    rows: list[tuple[int, int, int, np.ndarray, np.ndarray, np.ndarray]], spec: SplitSpec
) -> Requests:
    if spec.max_requests is not None and len(rows) > spec.max_requests:
        keep = np.sort(np.random.default_rng(spec.seed).choice(len(rows), spec.max_requests, replace=False))
        rows = [rows[i] for i in keep]
    rows.sort(key=lambda row: (row[1], row[0]))  # replayed in time order
    return Requests(
        user=np.array([r[0] for r in rows], dtype=np.int64),
        time=np.array([r[1] for r in rows], dtype=np.int64),
        step=np.array([r[2] for r in rows], dtype=np.int64),
        history_items=Ragged.from_rows([r[3] for r in rows]),
        history_times=Ragged.from_rows([r[4] for r in rows]),
        targets=Ragged.from_rows([r[5] for r in rows]),
    )
