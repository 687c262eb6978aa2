"""Log loaders on the real files (counts from each SOURCE.md), generic tables, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vecbench.datasets.logs import LogSpec, load_log
from vecbench.datasets.logs.amazon import load_amazon_5core
from vecbench.datasets.logs.generic import load_table_log
from vecbench.datasets.logs.movielens import load_movielens_100k, load_movielens_latest_small
from vecbench.errors import ConfigError, DatasetError


def folder(shared_data: Path, name: str) -> Path:
    path = shared_data / name
    if not path.is_dir():
        pytest.skip(f"{name} not found in {shared_data}")
    return path


def test_movielens_100k_counts_titles_and_genres(shared_data: Path) -> None:
    log = load_movielens_100k(folder(shared_data, "movielens-100k"))
    assert (log.n_events, log.n_users, log.n_items) == (100_000, 943, 1682)
    assert (log.timestamp[0], log.timestamp[-1]) == (874724710, 893286638)
    assert np.all(np.diff(log.timestamp) >= 0), "events are in time order"
    assert np.bincount(log.weight.astype(int))[1:].tolist() == [6110, 11370, 27145, 34174, 21201]
    titles = dict(zip(log.items.ids, log.items.titles, strict=True))
    assert titles["1"] == "Toy Story (1995)" and "Misérables" in titles["543"]  # latin-1 decoded
    cats = dict(zip(log.items.ids, log.items.categories, strict=True))
    assert cats["1"] == ("Animation", "Children's", "Comedy")


def test_movielens_100k_item_attributes_match_the_catalogue_reader(shared_data: Path) -> None:
    """The log's filterable attributes agree with issue 3's u.item reader, item by item."""
    from vecbench.datasets.movielens_items import read_item_attributes

    path = folder(shared_data, "movielens-100k")
    log = load_movielens_100k(path)
    attributes = log.items.attributes
    assert attributes is not None and set(attributes) == {"genres", "year", "release_date"}
    reference = read_item_attributes(path)
    rows = np.array([int(i) - 1 for i in log.items.ids])  # u.item row of each dense item
    assert np.array_equal(attributes["year"].values, reference["year"].values[rows], equal_nan=True)  # type: ignore[union-attr]
    dates, expected = attributes["release_date"].values, reference["release_date"].values[rows]  # type: ignore[union-attr]
    assert np.array_equal(np.isnat(dates), np.isnat(expected)) and (dates == expected)[~np.isnat(dates)].all()
    assert np.isnat(dates).sum() == 1
    for dense in range(log.n_items):
        assert attributes["genres"].row_tags(dense) == reference["genres"].row_tags(int(rows[dense]))  # type: ignore[union-attr]
    toy_story = list(log.items.ids).index("1")
    assert attributes["year"].values[toy_story] == 1995  # type: ignore[union-attr]


def test_movielens_latest_small_counts_and_tags(shared_data: Path) -> None:
    log = load_movielens_latest_small(folder(shared_data, "movielens-latest-small"))
    assert (log.n_events, log.n_users, log.n_items) == (100_836, 610, 9742)
    assert len(np.unique(log.item)) == 9724
    assert log.tags is not None and len(log.tags.tag) == 3683
    assert (log.timestamp[0], log.timestamp[-1]) == (828124615, 1537799250)
    assert log.weight.min() == 0.5 and log.weight.max() == 5.0
    attributes = log.items.attributes
    assert attributes is not None and set(attributes) == {"genres", "year"}
    toy_story = list(log.items.ids).index("1")
    assert attributes["year"].values[toy_story] == 1995  # type: ignore[union-attr]
    assert attributes["genres"].row_tags(toy_story) == ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]  # type: ignore[union-attr]
    assert int(np.isnan(attributes["year"].values).sum()) == 13  # type: ignore[union-attr]  # titles without "(yyyy)"


def test_amazon_5core_both_files(shared_data: Path) -> None:
    base = folder(shared_data, "amazon-reviews-2018-5core")
    beauty = load_amazon_5core(base / "All_Beauty_5.json")
    assert (beauty.n_events, beauty.n_users, beauty.n_items) == (5269, 991, 85)
    assert (beauty.timestamp[0], beauty.timestamp[-1]) == (1095724800, 1534982400)
    fashion = load_log(LogSpec(name="amazon-2018-5core", path=str(base / "AMAZON_FASHION_5.json")))
    assert (fashion.n_events, fashion.n_users, fashion.n_items) == (3176, 406, 31)


def test_generic_csv_and_parquet_with_renamed_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"uid": ["a", "b", "a"], "iid": [10, 11, 11], "when": ["2024-01-02", "2024-01-01", "2024-01-03"]}
    )
    frame.to_csv(tmp_path / "log.csv", index=False)
    frame.to_parquet(tmp_path / "log.parquet")
    columns = {"user": "uid", "item": "iid", "timestamp": "when"}
    for name in ("log.csv", "log.parquet"):
        log = load_log(LogSpec(name="table", path=str(tmp_path / name), columns=columns))
        assert log.n_events == 3 and log.n_users == 2 and log.n_items == 2
        assert log.user_ids[log.user].tolist() == ["b", "a", "a"], "sorted by time"
        assert log.timestamp[0] == 1704067200 and log.weight.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("user,item\n1,2\n", "no 'timestamp' column"),
        ("user,item,timestamp\n1,2,yesterday-ish\n", "not times"),
        ("user,item,timestamp,weight\n1,2,5,heavy\n", "non-numeric timestamp or weight"),
        ("user,item,timestamp\n", "no events"),
    ],
)
def test_bad_tables_are_one_line_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DatasetError, match=message) as info:
        load_table_log(path)
    assert "\n" not in str(info.value)


def test_bad_specs_and_paths(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="did you mean 'movielens-100k'"):
        load_log(LogSpec(name="movielens-100", path="x"))
    with pytest.raises(ConfigError, match="needs path"):
        load_log(LogSpec(name="movielens-100k"))
    with pytest.raises(ConfigError, match="does not take 'columns'"):
        load_log(LogSpec(name="synthetic", columns={"user": "u"}))
    with pytest.raises(DatasetError, match=r"has no u\.data"):
        load_movielens_100k(tmp_path)
    (tmp_path / "bad.json").write_text('{"reviewerID": "a"}\n')
    with pytest.raises(DatasetError, match="lacks asin, unixReviewTime"):
        load_amazon_5core(tmp_path / "bad.json")
