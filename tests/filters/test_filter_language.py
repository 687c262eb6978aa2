"""The filter language: parsing, the Python builder, validation errors (one line each) and evaluation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from vecbench.datasets.attributes import Attributes, boolean, categorical, numeric, tags, timestamp
from vecbench.errors import ConfigError
from vecbench.filters import attr, evaluate, parse_filter, validate_filter


@pytest.fixture(scope="module")
def items() -> Attributes:
    """Six items with one attribute of every kind, including missing values."""
    return Attributes(
        {
            "lang": categorical(["en", "fr", "en", None, "de", "fr"]),
            "genres": tags([["comedy", "drama"], ["drama"], [], None, ["comedy"], ["action", "comedy"]]),
            "year": numeric([1990, 2001, None, 1985, 2010, 1999.5]),
            "available": boolean([True, False, True, True, False, True]),
            "published": timestamp(
                ["2020-01-01", "2021-06-30", None, "2019-12-31", "2024-02-29", "2020-01-01T12:00:00"]
            ),
        }
    )


def mask_of(spec: object, items: Attributes) -> list[int]:
    return np.flatnonzero(evaluate(parse_filter(spec), items)).tolist()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"lang": "en"}, [0, 2]),
        ({"lang": {"ne": "en"}}, [1, 4, 5]),  # a missing value fails every comparison
        ({"lang": {"in": ["fr", "de"]}}, [1, 4, 5]),
        ({"genres": {"any": ["comedy", "action"]}}, [0, 4, 5]),
        ({"genres": {"all": ["comedy", "drama"]}}, [0]),
        ({"year": {"gte": 1990, "lt": 2005}}, [0, 1, 5]),
        ({"year": {"in": [1985, 2010]}}, [3, 4]),
        ({"available": True}, [0, 2, 3, 5]),
        ({"published": {"gte": dt.date(2020, 1, 1), "lt": "2021-01-01"}}, [0, 5]),
        ({"not": {"available": True}}, [1, 4]),
        ({"or": [{"lang": "de"}, {"year": {"lt": 1986}}]}, [3, 4]),
        ({"and": [{"lang": "fr"}, {"genres": {"any": ["comedy"]}}], "available": True}, [5]),
    ],
)
def test_evaluation_matches_the_meaning(items: Attributes, spec: object, expected: list[int]) -> None:
    assert mask_of(spec, items) == expected


def test_python_builder_and_mapping_give_the_same_canonical_filter() -> None:
    built = attr("genres").any("comedy") & (attr("year") >= 1990) & ~attr("available").eq(False)
    parsed = parse_filter(
        {"and": [{"not": {"available": False}}, {"year": {"gte": 1990}}, {"genres": {"any": ["comedy"]}}]}
    )
    assert built.canonical() == parsed.canonical()
    assert (
        parse_filter({"lang": {"in": ["a", "b"]}}).canonical()
        == parse_filter({"lang": {"in": ["b", "a"]}}).canonical()
    )
    assert (attr("year") < 5).canonical() != (attr("year") <= 5).canonical()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"lang": {"in": []}}, "'in' needs at least one value"),
        ({"genres": {"any": []}}, "'any' needs at least one value"),
        ({"year": {"gtee": 3}}, "unknown operator 'gtee' (did you mean 'gte'?)"),
        ({"lang": ["en", "fr"]}, "a bare list is ambiguous"),
        ({}, "a filter is a non-empty mapping"),
        ({"and": []}, "'and' takes a non-empty list"),
        ({"year": {"in": 1990}}, "'in' takes a list of values"),
    ],
)
def test_malformed_filters_fail_while_parsing(spec: object, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        parse_filter(spec)
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"yaer": {"gte": 1990}}, "unknown attribute 'yaer' (did you mean 'year'?)"),
        ({"year": {"gte": "1990"}}, "'year' is numeric and compares with a number"),
        ({"year": True}, "'year' is numeric and compares with a number"),
        ({"genres": "comedy"}, "'genres' is tags, which takes any, all, not 'eq'"),
        ({"lang": {"lt": "en"}}, "'lang' is categorical, which takes eq, ne, in, not 'lt'"),
        ({"available": 1}, "'available' is boolean and compares with true or false"),
        ({"available": {"gt": True}}, "'available' is boolean, which takes eq, ne, in, not 'gt'"),
        ({"published": {"gte": "last tuesday"}}, "'published' is timestamp and compares with a date"),
        ({"lang": "eng"}, "no item has category \"eng\" in 'lang' (did you mean 'en'?)"),
        ({"genres": {"all": ["comdy"]}}, "no item has tag \"comdy\" in 'genres' (did you mean 'comedy'?)"),
        ({"not": {"or": [{"lang": "en"}, {"year": {"lt": "x"}}]}}, "'year' is numeric"),
    ],
)
def test_filters_that_do_not_fit_the_data_fail_validation(
    items: Attributes, spec: object, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_filter(parse_filter(spec), items)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_dataset_without_attributes_says_how_to_add_them() -> None:
    with pytest.raises(ConfigError, match="has no item attributes; add attributes:"):
        validate_filter(parse_filter({"year": 1}), None)
