"""MovieLens 100K items as a filterable catalogue: item attributes from u.item, ratings from u.data.

u.item is latin-1 and pipe-separated: id | title | release date (dd-Mon-yyyy) | video release date
| IMDb URL | 19 genre flags in u.genre's order. Item ids start at 1; row i is item i + 1.
Attributes: ``genres`` (tags), ``year`` (numeric, NaN where the date is missing) and
``release_date`` (timestamp). The item embedding lives in ``movielens_embedding`` so a better one can
replace it without touching this reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from vecbench.datasets.attributes import Attributes, Column, NumericColumn, TimestampColumn, tags_from_matrix
from vecbench.datasets.files import read_error, require_dir, require_file
from vecbench.errors import DatasetError

ITEM_FILE, GENRE_FILE, RATINGS_FILE = "u.item", "u.genre", "u.data"
ENCODING = "latin-1"
N_GENRES = 19


@dataclass(frozen=True)
class Ratings:
    """One row per rating, ids shifted to start at 0 (user u is row u - 1 of the user vectors)."""

    users: np.ndarray
    items: np.ndarray
    ratings: np.ndarray
    timestamps: np.ndarray

    @property
    def n_users(self) -> int:
        return int(self.users.max()) + 1 if self.users.size else 0


def read_genres(folder: Path) -> list[str]:
    """Genre names in flag order, from u.genre ('name|index' lines)."""
    path = require_file(folder / GENRE_FILE)
    try:
        lines = path.read_text(encoding=ENCODING).splitlines()
    except OSError as exc:
        raise read_error(path, exc) from None
    pairs = [line.rsplit("|", 1) for line in lines if line.strip()]
    try:
        ordered = sorted((int(index), name) for name, index in pairs)
    except ValueError:
        raise DatasetError(f"{path}: expected 'name|index' lines") from None
    return [name for _, name in ordered]


def read_item_attributes(folder: Path) -> Attributes:
    """genres, year and release_date of every item, row i = item id i + 1."""
    folder = require_dir(folder)
    genres = read_genres(folder)
    if len(genres) != N_GENRES:
        raise DatasetError(f"{folder / GENRE_FILE}: expected {N_GENRES} genres, found {len(genres)}")
    path = require_file(folder / ITEM_FILE)
    try:
        lines = path.read_text(encoding=ENCODING).splitlines()
    except OSError as exc:
        raise read_error(path, exc) from None
    flags = np.zeros((len(lines), N_GENRES), dtype=bool)
    dates = np.full(len(lines), np.datetime64("NaT"), dtype="datetime64[s]")
    for row, line in enumerate(lines):
        fields = line.split("|")
        if len(fields) != 5 + N_GENRES or fields[0] != str(row + 1):
            raise DatasetError(
                f"{path}: line {row + 1} is not 'id|title|date|video date|url|19 flags' in id order"
            )
        flags[row] = [flag == "1" for flag in fields[5:]]
        if fields[2]:
            try:
                dates[row] = np.datetime64(datetime.strptime(fields[2], "%d-%b-%Y"), "s")
            except ValueError:
                raise DatasetError(
                    f"{path}: line {row + 1}: release date {fields[2]!r} is not dd-Mon-yyyy"
                ) from None
    years = dates.astype("datetime64[Y]").astype(np.float64) + 1970.0
    years[np.isnat(dates)] = np.nan
    columns: dict[str, Column] = {
        "genres": tags_from_matrix(flags, genres),
        "year": NumericColumn(years),
        "release_date": TimestampColumn(dates),
    }
    return Attributes(columns, source=str(path))


def read_ratings(folder: Path) -> Ratings:
    """u.data: tab-separated user id, item id, rating, unix time."""
    path = require_file(require_dir(folder) / RATINGS_FILE)
    try:
        table = np.loadtxt(path, dtype=np.int64, delimiter="\t", ndmin=2)
    except OSError as exc:
        raise read_error(path, exc) from None
    except ValueError as exc:
        raise DatasetError(f"{path}: expected four tab-separated integers per line ({exc})") from None
    if table.shape[1] != 4 or table.size == 0 or table[:, :2].min() < 1:
        raise DatasetError(f"{path}: expected 'user id, item id, rating, timestamp' with ids from 1")
    return Ratings(table[:, 0] - 1, table[:, 1] - 1, table[:, 2].astype(np.float32), table[:, 3])


def seen_items(ratings: Ratings, n_users: int) -> tuple[np.ndarray, ...]:
    """The items each user rated (sorted ids): what "exclude seen" removes from their results."""
    order = np.lexsort((ratings.items, ratings.users))
    users, items = ratings.users[order], ratings.items[order]
    bounds = np.searchsorted(users, np.arange(n_users + 1))
    return tuple(np.unique(items[bounds[u] : bounds[u + 1]]) for u in range(n_users))
