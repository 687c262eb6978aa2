"""User state at request time t, from the user's events strictly before t and nothing else.

``mean``: the recency-weighted mean of the history's item vectors, weight 0.5^(age / half-life)
(no half-life: a plain mean); ``last_n`` keeps only the most recent events. ``factors``: the
collaborative model's own user factors, folded in from the same history (models that declare it).
A model with its own user tower (two_tower) always answers with it, whatever the kind.
``text``: the request's recent items written as text and embedded with the items' text model
(``embedding: {kind: text}``; see ``embeddings.text``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from vecbench.datasets.logs.split import Requests
from vecbench.errors import ConfigError
from vecbench.pipeline.embeddings.base import ItemVectors

DAY_S = 86_400.0


class UserSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["mean", "factors", "text"] = "mean"
    half_life_days: float | None = Field(
        default=30.0, gt=0, description="recency decay; null for a plain mean"
    )
    last_n: int | None = Field(
        default=None, ge=1, description="use only the most recent events (text: default 10)"
    )


def recency_weights(times: np.ndarray, now: int, half_life_days: float | None) -> np.ndarray:
    """0.5^((now - t) / half-life) per past event; ones without a half-life. Refuses future events."""
    times = np.asarray(times, dtype=np.int64)
    if times.size and times.max() >= now:
        raise ValueError("a user's state may only use events strictly before the request time")
    if half_life_days is None:
        return np.ones(times.shape, dtype=np.float64)
    return np.power(0.5, (now - times) / (half_life_days * DAY_S))


def user_vector(
    history: np.ndarray, times: np.ndarray, now: int, vectors: ItemVectors, rows: np.ndarray, spec: UserSpec
) -> np.ndarray | None:
    """The user's vector at ``now``; None when no history item has a vector (nothing to go on)."""
    if spec.last_n is not None:
        history, times = history[-spec.last_n :], times[-spec.last_n :]
    weights = recency_weights(times, now, spec.half_life_days)
    if spec.kind == "factors" or vectors.native_users:
        if vectors.fold_in is None:
            raise ConfigError(
                f"user vectors 'factors' need a model with user factors; {vectors.description} has none"
            )
        if not (rows[history] >= 0).any():
            return None
        return vectors.fold_in(history, weights)
    known = rows[history]
    mask = known >= 0
    if not mask.any():
        return None
    w = weights[mask]
    return (w[:, None] * vectors.vectors[known[mask]]).sum(axis=0) / w.sum()


def user_matrix(
    requests: Requests, vectors: ItemVectors, n_items: int, spec: UserSpec
) -> tuple[np.ndarray, np.ndarray]:
    """Vectors for every request (float32) and a mask of requests that have one."""
    if spec.kind == "text":
        return text_user_matrix(requests, vectors, spec)
    rows = vectors.rows_of(n_items)
    out = np.zeros((len(requests), vectors.dim), dtype=np.float32)
    ok = np.zeros(len(requests), dtype=bool)
    for r in range(len(requests)):
        vec = user_vector(
            requests.history_items.row(r),
            requests.history_times.row(r),
            int(requests.time[r]),
            vectors,
            rows,
            spec,
        )
        if vec is not None:
            out[r], ok[r] = vec, True
    return out, ok


def text_user_matrix(requests: Requests, vectors: ItemVectors, spec: UserSpec) -> tuple[np.ndarray, np.ndarray]:
    """Each request's recent history written as text and embedded with the items' text model."""
    if vectors.user_texts is None:
        raise ConfigError(
            f"users: {{kind: text}} needs a text embedding of the items (embedding: {{kind: text}}); "
            f"{vectors.description} has none"
        )
    last_n = spec.last_n or 10
    texts = [
        vectors.user_texts.text(requests.history_items.row(r), int(requests.time[r]), last_n)
        for r in range(len(requests))
    ]
    ok = np.array([bool(t) for t in texts], dtype=bool)
    out = np.zeros((len(requests), vectors.dim), dtype=np.float32)
    if ok.any():
        out[ok] = vectors.user_texts.vectors([t for t in texts if t])
    return out, ok
