"""What a search must honour: a mask over the items, and optionally a restriction per query.

The per-query part is how a recommender says "exclude what this user has already seen": a list of
excluded ids per query, or (more general, more memory) a boolean mask per query. Strategies and
the filtered ground truth both read this one type, so they cannot disagree on what passes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vecbench.errors import ConfigError


@dataclass(frozen=True)
class QueryFilter:
    """Per-query restriction: ``excluded[q]`` ids removed for query q, or ``masks[q]`` to intersect."""

    excluded: tuple[np.ndarray, ...] | None = None
    masks: np.ndarray | None = None

    @classmethod
    def exclude(cls, ids_per_query: Sequence[Sequence[int] | np.ndarray]) -> QueryFilter:
        """Exclude, for each query, the listed item ids (e.g. the items its user has seen)."""
        return cls(excluded=tuple(np.unique(np.asarray(ids, dtype=np.int64)) for ids in ids_per_query))

    @classmethod
    def from_masks(cls, masks: np.ndarray) -> QueryFilter:
        """Allow, for query q, only the items where ``masks[q]`` is True (a (n_queries, n_items) array)."""
        array = np.asarray(masks, dtype=bool)
        if array.ndim != 2:
            raise ConfigError(f"per-query masks must be (n_queries, n_items), got shape {array.shape}")
        return cls(masks=array)

    @property
    def n_queries(self) -> int:
        if self.masks is not None:
            return int(self.masks.shape[0])
        return len(self.excluded or ())


@dataclass(frozen=True)
class ActiveFilter:
    """The global ``mask`` (n,) with an optional ``per_query`` restriction on top."""

    mask: np.ndarray
    per_query: QueryFilter | None = None

    def check(self, n_items: int, n_queries: int) -> None:
        """Refuse shapes that do not match the dataset, with one line."""
        if self.mask.shape != (n_items,):
            raise ConfigError(f"filter mask has shape {self.mask.shape}; the dataset has {n_items} items")
        pq = self.per_query
        if pq is None:
            return
        if pq.n_queries != n_queries:
            raise ConfigError(f"the per-query filter covers {pq.n_queries} queries; there are {n_queries}")
        if pq.masks is not None and pq.masks.shape[1] != n_items:
            raise ConfigError(f"per-query masks cover {pq.masks.shape[1]} items; the dataset has {n_items}")
        if pq.excluded is not None:
            bad = [ids for ids in pq.excluded if ids.size and (ids[0] < 0 or ids[-1] >= n_items)]
            if bad:
                raise ConfigError(
                    f"excluded ids must be in 0..{n_items - 1}; found {bad[0][[0, -1]].tolist()}"
                )

    def for_query(self, query: int) -> tuple[np.ndarray, np.ndarray | None]:
        """(allowed mask, excluded ids or None) for one query; the global mask is shared, not copied."""
        pq = self.per_query
        if pq is None:
            return self.mask, None
        if pq.masks is not None:
            return self.mask & pq.masks[query], None
        assert pq.excluded is not None
        return self.mask, pq.excluded[query]

    def passes(self, query: int, ids: np.ndarray) -> np.ndarray:
        """Which of ``ids`` (valid ids, >= 0) query ``query`` may return."""
        ok = self.mask[ids]
        pq = self.per_query
        if pq is not None and pq.masks is not None:
            ok &= pq.masks[query][ids]
        elif pq is not None and pq.excluded is not None and pq.excluded[query].size:
            ok &= ~np.isin(ids, pq.excluded[query], assume_unique=False)
        return ok

    def passes_block(self, rows: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """(len(rows), m) bool: which ids (-1 pads never pass) the query at each row may return."""
        valid = ids >= 0
        ok = valid & self.mask[np.where(valid, ids, 0)]
        if self.per_query is None:
            return ok
        for i, row in enumerate(rows.tolist()):
            ok[i, valid[i]] = self.passes(row, ids[i, valid[i]])
        return ok

    def allowed_counts(self, n_queries: int) -> np.ndarray:
        """Items each query may return."""
        total = int(self.mask.sum())
        pq = self.per_query
        if pq is None:
            return np.full(n_queries, total, dtype=np.int64)
        if pq.masks is not None:
            return (pq.masks & self.mask[None, :]).sum(axis=1).astype(np.int64)
        assert pq.excluded is not None
        return np.array([total - int(self.mask[ids].sum()) for ids in pq.excluded], dtype=np.int64)

    def pass_rate(self, n_queries: int) -> float:
        """Mean share of items a query may return: the measured pass-rate."""
        return float(self.allowed_counts(n_queries).mean() / max(1, self.mask.shape[0]))

    @property
    def is_per_query(self) -> bool:
        return self.per_query is not None

    def digest(self) -> str:
        """16 hex digits over the mask and the per-query part: what filtered results key on."""
        digest = hashlib.blake2b(digest_size=8)
        digest.update(np.packbits(self.mask).tobytes())
        pq = self.per_query
        if pq is not None and pq.masks is not None:
            digest.update(b"masks")
            digest.update(np.packbits(pq.masks, axis=1).tobytes())
        elif pq is not None and pq.excluded is not None:
            digest.update(b"excluded")
            for ids in pq.excluded:
                digest.update(np.int64(ids.size).tobytes() + ids.astype(np.int64).tobytes())
        return digest.hexdigest()
