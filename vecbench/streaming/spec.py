"""How an experiment config names a runbook and each index entry's update policy."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class RunbookSpec(BaseModel):
    """``runbook: {path: FILE, key: NAME}`` at the top level of an experiment config.

    ``scale`` multiplies every id bound (``fit``: so the highest id is the dataset's size);
    ``max_pts`` maps the runbook's max_pts onto this many points instead. ``freshness_sample``
    items per insert (and delete) step are searched for with their own vectors to time when they
    become (and stop being) visible.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    key: str
    scale: float | Literal["fit"] | None = None
    max_pts: int | None = Field(default=None, ge=1)
    freshness_sample: int = Field(default=16, ge=0, le=10_000)


# An index entry's ``policy``: "incremental", {rebuild_every: N}, {rebuild_every_rows: N} or
# {hybrid: SHARE}; parsed into vecbench.streaming.policy.Policy with one-line errors.
PolicySpec = str | dict[str, Any]
