"""MovieLens logs in their original formats: 100K (``u.data``, ``u.item`` in latin-1, ``u.user``)
and latest-small (``ratings.csv``, ``movies.csv``, ``tags.csv``).

Item attributes for stage-1 filters: ``genres`` (tags) and ``year`` (numeric; 100K from the release
date, latest-small from the "(1995)" at the end of the title), and for 100K ``release_date``.

GroupLens does not allow redistribution, so these read a local copy (the folder of the unpacked
archive); ``vecbench datasets fetch`` downloads the official archive for users who are online.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vecbench.datasets.files import read_error, require_dir, require_file
from vecbench.datasets.logs.base import InteractionLog, build_log
from vecbench.errors import DatasetError

ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
    "War", "Western",
)  # fmt: skip


def _folder(path: str | Path, marker: str) -> Path:
    """Accept the data folder or any file inside it; name the expected file when it is missing."""
    folder = Path(path).expanduser()
    if folder.is_file():
        folder = folder.parent
    require_dir(folder)
    if not (folder / marker).is_file():
        raise DatasetError(f"{folder} has no {marker}; give the folder of the unpacked MovieLens archive")
    return folder


def _read_csv(path: Path, **options: object) -> pd.DataFrame:
    require_file(path)
    try:
        return pd.read_csv(path, **options)  # type: ignore[call-overload]
    except OSError as exc:
        raise read_error(path, exc) from None
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot parse {path}: {' '.join(str(exc).split())}") from None


def load_movielens_100k(path: str | Path) -> InteractionLog:
    """``u.data`` (tab-separated user, item, rating, unix time) and ``u.item`` (latin-1, 19 genre flags)."""
    folder = _folder(path, "u.data")
    ratings = _read_csv(
        folder / "u.data", sep="\t", header=None, names=["user", "item", "rating", "timestamp"]
    )
    if ratings.shape[1] != 4 or ratings.isna().any().any():
        raise DatasetError(f"{folder / 'u.data'}: expected 4 tab-separated columns (user item rating time)")
    columns = ["item", "title", "release", "video_release", "url", *ML100K_GENRES]
    movies = _read_csv(folder / "u.item", sep="|", header=None, names=columns, encoding="latin-1")
    flags = movies[list(ML100K_GENRES)].to_numpy(dtype=bool)
    movies["categories"] = [tuple(g for g, on in zip(ML100K_GENRES, row, strict=True) if on) for row in flags]
    movies["release_date"] = pd.to_datetime(movies["release"], format="%d-%b-%Y", errors="coerce")
    movies["year"] = movies["release_date"].dt.year.astype("float64")
    log = build_log(
        "movielens-100k",
        ratings["user"].to_numpy(),
        ratings["item"].to_numpy(),
        ratings["timestamp"].to_numpy(),
        ratings["rating"].to_numpy(),
        catalogue=movies[["item", "title", "categories", "year", "release_date"]],
        source=f"MovieLens 100K from {folder}",
        categories_as="genres",
    )
    users_file = folder / "u.user"
    if users_file.is_file():  # demographics are optional: recorded when present
        users = _read_csv(
            users_file, sep="|", header=None, names=["user", "age", "gender", "occupation", "zip"]
        )
        log.attributes["users_with_demographics"] = str(len(users))
    return log


def load_movielens_latest_small(path: str | Path) -> InteractionLog:
    """``ratings.csv``, ``movies.csv`` (UTF-8, pipe-separated genres) and, when present, ``tags.csv``."""
    folder = _folder(path, "ratings.csv")
    ratings = _read_csv(folder / "ratings.csv")
    _require_columns(ratings, folder / "ratings.csv", ["userId", "movieId", "rating", "timestamp"])
    movies = _read_csv(folder / "movies.csv")
    _require_columns(movies, folder / "movies.csv", ["movieId", "title", "genres"])
    catalogue = pd.DataFrame(
        {
            "item": movies["movieId"],
            "title": movies["title"],
            "categories": [
                tuple(g for g in str(genres).split("|") if g and g != "(no genres listed)")
                for genres in movies["genres"]
            ],
            "year": pd.to_numeric(
                movies["title"].astype(str).str.extract(r"\((\d{4})\)\s*$")[0], errors="coerce"
            ).astype("float64"),
        }
    )
    tags = None
    if (folder / "tags.csv").is_file():
        raw = _read_csv(folder / "tags.csv")
        _require_columns(raw, folder / "tags.csv", ["movieId", "tag", "timestamp"])
        tags = pd.DataFrame({"item": raw["movieId"], "timestamp": raw["timestamp"], "tag": raw["tag"]})
    return build_log(
        "movielens-latest-small",
        ratings["userId"].to_numpy(),
        ratings["movieId"].to_numpy(),
        ratings["timestamp"].to_numpy(),
        ratings["rating"].to_numpy(),
        catalogue=catalogue,
        tags=tags,
        source=f"MovieLens latest-small from {folder}",
        categories_as="genres",
    )


def _require_columns(frame: pd.DataFrame, path: Path, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DatasetError(f"{path} lacks column(s) {', '.join(missing)}; is it the original MovieLens file?")
