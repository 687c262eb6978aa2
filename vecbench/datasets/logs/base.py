"""The in-memory interaction log every log loader returns and the replay consumes.

Users and items get dense indices (0..n-1) once, at load time, so every later array is plain
integers; the original ids stay beside them for output. Events are sorted by time (ties by user,
then item), which is the order the replay walks them in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vecbench.datasets.attribute_files import infer_kind, series_column
from vecbench.datasets.attributes import Attributes, Column, tags
from vecbench.errors import DatasetError

CATALOGUE_KEYS = ("item", "title", "categories")


@dataclass(frozen=True)
class ItemTable:
    """Catalogue by dense item index: original id, title, categories (genres) and typed attributes.

    ``attributes`` is what stage-1 filters are written against: the categories as a tags attribute
    (named by the loader, e.g. ``genres``) plus any further catalogue column (year, release date).
    """

    ids: np.ndarray
    titles: tuple[str, ...]
    categories: tuple[tuple[str, ...], ...]
    attributes: Attributes | None = None

    def __len__(self) -> int:
        return len(self.titles)


@dataclass(frozen=True)
class ItemTags:
    """Free-text tags users put on items, with their times, so text features can respect a cutoff."""

    item: np.ndarray
    timestamp: np.ndarray
    tag: tuple[str, ...]


@dataclass(frozen=True)
class InteractionLog:
    """Time-ordered events (user, item, timestamp in seconds, weight) over fixed user and item spaces."""

    name: str
    user: np.ndarray
    item: np.ndarray
    timestamp: np.ndarray
    weight: np.ndarray
    user_ids: np.ndarray
    items: ItemTable
    tags: ItemTags | None = None
    source: str = ""
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def n_events(self) -> int:
        return int(self.user.shape[0])

    @property
    def n_users(self) -> int:
        return int(self.user_ids.shape[0])

    @property
    def n_items(self) -> int:
        return len(self.items)

    def subset(self, mask: np.ndarray) -> InteractionLog:
        """The events where ``mask`` holds, in the same user and item spaces (order kept)."""
        return InteractionLog(
            name=self.name,
            user=self.user[mask],
            item=self.item[mask],
            timestamp=self.timestamp[mask],
            weight=self.weight[mask],
            user_ids=self.user_ids,
            items=self.items,
            tags=self.tags,
            source=self.source,
            attributes=self.attributes,
        )

    def before(self, time: int) -> InteractionLog:
        """Only events strictly before ``time``: what a model trained at ``time`` may see."""
        return self.subset(self.timestamp < time)

    def item_counts(self) -> np.ndarray:
        """Interactions per item (all catalogue items, zeros included)."""
        return np.bincount(self.item, minlength=self.n_items)

    def describe(self) -> str:
        if self.n_events == 0:
            return f"{self.name}: empty"
        first, last = (pd.Timestamp(int(t), unit="s").date() for t in (self.timestamp[0], self.timestamp[-1]))
        return (
            f"{self.name}: {self.n_events:,} events, {len(np.unique(self.user)):,} users, "
            f"{len(np.unique(self.item)):,} items with events of {self.n_items:,} in the catalogue, "
            f"{first} .. {last}"
        )


def build_log(
    name: str,
    users: Sequence[object] | np.ndarray,
    items: Sequence[object] | np.ndarray,
    timestamps: Sequence[float] | np.ndarray,
    weights: Sequence[float] | np.ndarray | None = None,
    catalogue: pd.DataFrame | None = None,
    tags: pd.DataFrame | None = None,
    source: str = "",
    categories_as: str = "categories",
) -> InteractionLog:
    """Validate raw columns, assign dense ids and sort by time.

    ``catalogue`` has columns ``item``, ``title`` and ``categories`` (tuples); items in the log but
    not in the catalogue get their id as title. Any further catalogue column becomes an item
    attribute of the kind its dtype implies, and the categories become the tags attribute
    ``categories_as``. ``tags`` has ``item``, ``timestamp`` and ``tag``.
    """
    frame = pd.DataFrame(
        {
            "user": np.asarray(users, dtype=object).astype(str),
            "item": np.asarray(items, dtype=object).astype(str),
            "timestamp": pd.to_numeric(pd.Series(np.asarray(timestamps)), errors="coerce"),
        }
    )
    frame["weight"] = (
        1.0 if weights is None else pd.to_numeric(pd.Series(np.asarray(weights)), errors="coerce")
    )
    if frame.empty:
        raise DatasetError(f"{name}: the log has no events; check the file and its format")
    bad = frame["timestamp"].isna() | frame["weight"].isna() | ~np.isfinite(frame["weight"].to_numpy(float))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DatasetError(
            f"{name}: event {row} has a missing or non-numeric timestamp or weight; fix or drop such rows"
        )
    catalogue_ids: list[str] = [] if catalogue is None else [str(i) for i in catalogue["item"]]
    log_only = sorted(set(frame["item"]) - set(catalogue_ids))
    item_ids = np.asarray(catalogue_ids + log_only, dtype=object)
    item_index = {item: i for i, item in enumerate(item_ids)}
    titles = (
        {} if catalogue is None else dict(zip(catalogue_ids, catalogue["title"].astype(str), strict=True))
    )
    cats = {} if catalogue is None else dict(zip(catalogue_ids, catalogue["categories"], strict=True))
    user_ids, user_codes = np.unique(frame["user"].to_numpy(), return_inverse=True)
    item_codes = frame["item"].map(item_index).to_numpy(np.int64)
    timestamps_int = frame["timestamp"].to_numpy(np.float64).astype(np.int64)
    order = np.lexsort((item_codes, user_codes, timestamps_int))
    categories = tuple(tuple(cats.get(i, ())) for i in item_ids)
    table = ItemTable(
        ids=item_ids,
        titles=tuple(titles.get(i, i) for i in item_ids),
        categories=categories,
        attributes=_catalogue_attributes(name, catalogue, item_ids, categories, categories_as),
    )
    item_tags = None
    if tags is not None and len(tags):
        known = tags["item"].astype(str).isin(item_index)
        kept = tags[known]
        item_tags = ItemTags(
            item=kept["item"].astype(str).map(item_index).to_numpy(np.int64),
            timestamp=pd.to_numeric(kept["timestamp"]).to_numpy(np.int64),
            tag=tuple(kept["tag"].astype(str)),
        )
    return InteractionLog(
        name=name,
        user=user_codes.astype(np.int64)[order],
        item=item_codes[order],
        timestamp=timestamps_int[order],
        weight=frame["weight"].to_numpy(np.float32)[order],
        user_ids=user_ids.astype(object),
        items=table,
        tags=item_tags,
        source=source,
    )


def _catalogue_attributes(
    name: str,
    catalogue: pd.DataFrame | None,
    item_ids: np.ndarray,
    categories: tuple[tuple[str, ...], ...],
    categories_as: str,
) -> Attributes:
    """Typed attributes in dense item order; items missing from the catalogue get missing values."""
    columns: dict[str, Column] = {categories_as: tags(categories)}
    extra = [] if catalogue is None else [c for c in catalogue.columns if c not in CATALOGUE_KEYS]
    if catalogue is not None and extra:
        keyed = catalogue.assign(item=catalogue["item"].astype(str)).drop_duplicates("item", keep="last")
        frame = keyed.set_index("item")[extra].reindex(item_ids)
        for column in extra:
            if str(column) in columns:
                raise DatasetError(
                    f"{name}: catalogue column '{column}' clashes with the categories attribute"
                )
            series = frame[column]
            columns[str(column)] = series_column(series, infer_kind(series), "|", f"{name} catalogue")
    return Attributes(columns, source=f"{name} catalogue")
