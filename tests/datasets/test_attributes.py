"""Item attributes: files beside the vectors, rows kept with the vectors, generated ones, MovieLens."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vecbench.datasets import DatasetSpec, load_dataset
from vecbench.datasets.attribute_files import read_attribute_file
from vecbench.datasets.attributes import AttributeKind, NumericColumn, TagsColumn, tags
from vecbench.datasets.movielens_items import read_item_attributes, read_ratings, seen_items
from vecbench.datasets.synthetic_attributes import generate_attributes
from vecbench.errors import ConfigError, DatasetError
from vecbench.indexes.base import Metric
from vecbench.metrics.distances import pairwise_distances

KINDS = {
    "lang": AttributeKind.CATEGORICAL,
    "genres": AttributeKind.TAGS,
    "price": AttributeKind.NUMERIC,
    "available": AttributeKind.BOOLEAN,
    "published": AttributeKind.TIMESTAMP,
}


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lang": [["en", "fr", "de"][i % 3] for i in range(n)],
            "genres": [["a", "b"] if i % 2 else ["c"] for i in range(n)],
            "price": np.arange(n, dtype=np.float64),
            "available": [i % 4 != 0 for i in range(n)],
            "published": pd.date_range("2020-01-01", periods=n, freq="D"),
        }
    )


def test_parquet_npz_and_csv_give_the_same_attributes(tmp_path: Path) -> None:
    data = frame(12)
    data.to_parquet(tmp_path / "a.parquet")
    pd.DataFrame({**data, "genres": ["|".join(g) for g in data["genres"]]}).to_csv(
        tmp_path / "a.csv", index=False
    )
    np.savez(
        tmp_path / "a.npz",
        lang=data["lang"].to_numpy(dtype=str),
        genres=np.array(["|".join(g) for g in data["genres"]], dtype=str),
        price=data["price"].to_numpy(),
        available=data["available"].to_numpy(),
        published=data["published"].to_numpy().astype("datetime64[s]"),
    )
    parquet = read_attribute_file(tmp_path / "a.parquet")
    csv = read_attribute_file(tmp_path / "a.csv", types={"genres": "tags", "published": "timestamp"})
    npz = read_attribute_file(tmp_path / "a.npz", types={"genres": "tags"})
    for found in (parquet, csv, npz):
        assert found.schema() == KINDS
        assert found.fingerprint() == parquet.fingerprint()
    genres = parquet["genres"]
    assert isinstance(genres, TagsColumn) and genres.row_tags(1) == ["a", "b"] and genres.row_tags(2) == ["c"]


def test_bad_attribute_files_fail_with_one_line(tmp_path: Path) -> None:
    frame(3).to_parquet(tmp_path / "a.parquet")
    with pytest.raises(
        ConfigError, match=r"attributes.types names 'prise', which .* lacks .*did you mean 'price'"
    ):
        read_attribute_file(tmp_path / "a.parquet", types={"prise": "numeric"})
    with pytest.raises(ConfigError, match="'number' for 'price' is not a kind"):
        read_attribute_file(tmp_path / "a.parquet", types={"price": "number"})
    with pytest.raises(DatasetError, match="attribute 'lang' cannot be read as numeric"):
        read_attribute_file(tmp_path / "a.parquet", types={"lang": "numeric"})
    with pytest.raises(ConfigError, match="cannot tell the format of attributes file"):
        (tmp_path / "a.txt").write_text("x")
        read_attribute_file(tmp_path / "a.txt")


def test_attribute_rows_follow_the_base_rows_the_dataset_keeps(tmp_path: Path) -> None:
    """Vectors encode their file row; attributes per file row must land on the same base items."""
    rows = np.arange(500, dtype=np.float32)
    np.save(tmp_path / "v.npy", np.stack([rows, np.ones_like(rows)], axis=1))
    pd.DataFrame({"row": np.arange(500.0)}).to_parquet(tmp_path / "per_file_row.parquet")
    spec = DatasetSpec(
        path=str(tmp_path / "v.npy"),
        metric="euclidean",
        n_queries=50,
        attributes=str(tmp_path / "per_file_row.parquet"),
    )
    dataset = load_dataset(spec)
    column = dataset.attributes["row"] if dataset.attributes else None
    assert isinstance(column, NumericColumn)
    np.testing.assert_array_equal(column.values, dataset.base[:, 0])
    pd.DataFrame({"row": np.arange(123.0)}).to_parquet(tmp_path / "short.parquet")
    with pytest.raises(
        DatasetError,
        match="has 123 rows; it needs one per base item \\(450\\) or one per row of the vector file \\(500\\)",
    ):
        load_dataset(
            DatasetSpec.model_validate({**spec.model_dump(), "attributes": str(tmp_path / "short.parquet")})
        )


def test_attributes_do_not_change_the_vector_fingerprint() -> None:
    plain = DatasetSpec(name="synthetic", n_base=300, n_queries=10)
    with_attributes = DatasetSpec.model_validate({**plain.model_dump(), "attributes": {"generate": {}}})
    assert load_dataset(plain).fingerprint == load_dataset(with_attributes).fingerprint


def test_generated_pass_rates_are_exact_and_correlation_is_controlled() -> None:
    dataset = load_dataset(
        DatasetSpec(name="synthetic", n_base=4000, n_queries=10, seed=2, options={"dim": 8})
    )
    attrs = generate_attributes(
        dataset.base, Metric.EUCLIDEAN, {"n_clusters": 40, "category_correlation": 1.0}
    )
    again = generate_attributes(
        dataset.base, Metric.EUCLIDEAN, {"n_clusters": 40, "category_correlation": 1.0}
    )
    assert attrs.fingerprint() == again.fingerprint()
    assert set(attrs.schema().values()) == set(AttributeKind)
    d = pairwise_distances(dataset.base[:1000], dataset.base, Metric.EUCLIDEAN)
    neighbours = np.argsort(d, axis=1)[:, 1:11]
    share = {}
    for name in ("uniform", "clustered"):
        values = attrs[name].values  # type: ignore[union-attr]
        for rate in (0.001, 0.01, 0.1, 0.5, 0.9):
            assert int((values < rate).sum()) == round(rate * 4000)
        passing = values < 0.1
        rows = np.flatnonzero(passing[:1000])
        share[name] = passing[neighbours[rows]].mean()  # neighbours of passing items that pass too
    assert share["uniform"] < 0.2 and share["clustered"] > 0.6, share
    bands = attrs["clustered_band"]
    assert bands.categories == ("p0.001", "p0.01", "p0.1", "p0.5", "p0.9", "p1")  # type: ignore[union-attr]


def test_tags_take_keeps_each_items_tags() -> None:
    column = tags([["a"], ["b", "c"], [], ["a", "c"]])
    taken = column.take(np.array([3, 1, 2]))
    assert [taken.row_tags(i) for i in range(3)] == [["a", "c"], ["b", "c"], []]


def test_movielens_item_attributes_and_ratings(shared_data: Path) -> None:
    folder = shared_data / "movielens-100k"
    if not (folder / "u.item").is_file():
        pytest.skip(f"MovieLens 100K not found in {folder}")
    attrs = read_item_attributes(folder)
    assert attrs.n == 1682 and attrs.schema() == {
        "genres": AttributeKind.TAGS,
        "year": AttributeKind.NUMERIC,
        "release_date": AttributeKind.TIMESTAMP,
    }
    genres = attrs["genres"]
    assert isinstance(genres, TagsColumn) and len(genres.vocabulary) == 19
    assert genres.row_tags(0) == ["Animation", "Children's", "Comedy"]  # Toy Story
    year = attrs["year"].values  # type: ignore[union-attr]
    assert year[0] == 1995 and np.isnan(year[266]) and np.isnan(year).sum() == 1  # item 267 has no date
    ratings = read_ratings(folder)
    assert ratings.users.shape == (100_000,) and ratings.n_users == 943
    assert sum(len(s) for s in seen_items(ratings, 943)) == 100_000  # no user rates an item twice
    dataset = load_dataset(DatasetSpec(name="movielens-100k", path=str(folder), options={"dim": 16}))
    assert (dataset.n_base, dataset.n_queries, dataset.dim) == (1682, 943, 16)
    assert dataset.metric is Metric.INNER_PRODUCT and dataset.seen is not None and len(dataset.seen) == 943
