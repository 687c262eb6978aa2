"""Update policies: how a runbook's changes reach an index, and when it is rebuilt.

- ``incremental``: every change is applied to the index as it comes (add, delete, replace; an
  add-only index with a native filter serves deletes with a tombstone filter).
- ``{rebuild_every: N}`` / ``{rebuild_every_rows: N}``: batch. Changes wait in a buffer (the index
  serves its last build) and the index is rebuilt from the live items after every N update steps,
  or once N rows have changed.
- ``{hybrid: SHARE}``: incremental, and rebuilt once the deleted share (rows deleted since the last
  build, a replace served as delete + add included, over the rows the index held plus those added)
  passes SHARE. An in-place replace (hnswlib) deletes nothing and does not count.

A rebuild is blocking and timed inside the run: the old index is dropped and no search is served
until the new one is built (one index in memory at a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vecbench.errors import ConfigError
from vecbench.indexes.base import Capabilities

KINDS = ("incremental", "rebuild_every", "rebuild_every_rows", "hybrid")


@dataclass(frozen=True)
class Policy:
    kind: str
    every: float = 0.0  # steps, rows or deleted share, by kind

    @property
    def buffered(self) -> bool:
        return self.kind in ("rebuild_every", "rebuild_every_rows")

    def label(self) -> str:
        return self.kind if self.kind == "incremental" else f"{self.kind}={self.every:g}"

    def as_json(self) -> dict[str, Any] | str:
        return self.kind if self.kind == "incremental" else {self.kind: self.every}

    def rebuild_due(self, steps_since: int, rows_since: int, deleted_share: float) -> bool:
        """Whether to rebuild after an update step, from what changed since the last build."""
        if self.kind == "rebuild_every":
            return steps_since >= self.every
        if self.kind == "rebuild_every_rows":
            return rows_since >= self.every
        if self.kind == "hybrid":
            return deleted_share > self.every
        return False


def parse_policy(value: Any, adapter: str, capabilities: Capabilities) -> Policy:
    """An index entry's policy, checked against what the adapter declares; a one-line error if not."""
    where = f"index '{adapter}': policy"
    if value is None:
        return Policy("incremental") if capabilities.add else Policy("rebuild_every", 1)
    if value == "incremental":
        policy = Policy("incremental")
    elif isinstance(value, dict) and len(value) == 1:
        kind, every = next(iter(value.items()))
        if kind not in KINDS[1:]:
            raise ConfigError(
                f"{where} {{{kind}: ...}} is unknown; use incremental, rebuild_every, rebuild_every_rows or hybrid"
            )
        if isinstance(every, bool) or not isinstance(every, int | float):
            raise ConfigError(f"{where} {kind} needs a number, got {every!r}")
        if kind == "hybrid" and not 0 < every < 1:
            raise ConfigError(
                f"{where} hybrid is the deleted share that triggers a rebuild, in (0, 1); got {every}"
            )
        if kind != "hybrid" and (every < 1 or every != int(every)):
            raise ConfigError(f"{where} {kind} must be a whole number >= 1, got {every}")
        policy = Policy(kind, float(every))
    else:
        raise ConfigError(
            f"{where} must be incremental, {{rebuild_every: N}}, {{rebuild_every_rows: N}} or {{hybrid: SHARE}}; got {value!r}"
        )
    if not policy.buffered and not capabilities.add:
        raise ConfigError(
            f"{where} {policy.label()} needs incremental adds, which '{adapter}' does not declare; use rebuild_every: N"
        )
    return policy
