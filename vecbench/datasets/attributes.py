"""Item attributes beside the vectors: a small typed column container, row i = base item i.

Filters need to know each attribute's kind before any index is built (so ``year >= "x"`` fails in
validation, not mid-sweep), and must evaluate over hundreds of thousands of items fast. So each kind
is stored the way its predicates want it: categories as integer codes, tags as a CSR list of codes,
numbers as float64 (NaN missing), timestamps as datetime64[s] (NaT missing), booleans as bool.
A missing value fails every comparison.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from vecbench.errors import DatasetError


class AttributeKind(str, Enum):
    """What an attribute holds, which decides the filter operators it accepts."""

    CATEGORICAL = "categorical"  # one value per item (language, region, category)
    TAGS = "tags"  # several values per item (genres)
    NUMERIC = "numeric"  # price, year
    BOOLEAN = "boolean"  # available
    TIMESTAMP = "timestamp"  # freshness, release date


@dataclass(frozen=True)
class CategoricalColumn:
    """``codes[i]`` indexes ``categories``; -1 is a missing value."""

    codes: np.ndarray
    categories: tuple[str, ...]
    kind = AttributeKind.CATEGORICAL

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def take(self, rows: np.ndarray) -> CategoricalColumn:
        return CategoricalColumn(self.codes[rows], self.categories)

    def code_of(self, value: str) -> int:
        """The code of ``value``, or -1 when no item has it."""
        try:
            return self.categories.index(value)
        except ValueError:
            return -1


@dataclass(frozen=True)
class TagsColumn:
    """Item i holds ``vocabulary[codes[indptr[i]:indptr[i + 1]]]`` (CSR layout, no repeats per item)."""

    indptr: np.ndarray
    codes: np.ndarray
    vocabulary: tuple[str, ...]
    kind = AttributeKind.TAGS

    def __len__(self) -> int:
        return int(self.indptr.shape[0] - 1)

    def take(self, rows: np.ndarray) -> TagsColumn:
        rows = np.asarray(rows, dtype=np.int64)
        lengths = np.diff(self.indptr)[rows]
        indptr = np.zeros(rows.shape[0] + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        if rows.size == 0:
            return TagsColumn(indptr, self.codes[:0], self.vocabulary)
        # Positions of every kept entry: each row's start repeated over its length plus 0..len-1.
        starts = np.repeat(self.indptr[:-1][rows], lengths)
        offsets = np.arange(indptr[-1]) - np.repeat(indptr[:-1], lengths)
        return TagsColumn(indptr, self.codes[starts + offsets], self.vocabulary)

    def entry_rows(self) -> np.ndarray:
        """The item of every entry of ``codes``."""
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.indptr))

    def row_tags(self, row: int) -> list[str]:
        return [self.vocabulary[c] for c in self.codes[self.indptr[row] : self.indptr[row + 1]]]


@dataclass(frozen=True)
class NumericColumn:
    values: np.ndarray  # float64, NaN missing
    kind = AttributeKind.NUMERIC

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def take(self, rows: np.ndarray) -> NumericColumn:
        return NumericColumn(self.values[rows])


@dataclass(frozen=True)
class BooleanColumn:
    values: np.ndarray  # bool
    kind = AttributeKind.BOOLEAN

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def take(self, rows: np.ndarray) -> BooleanColumn:
        return BooleanColumn(self.values[rows])


@dataclass(frozen=True)
class TimestampColumn:
    values: np.ndarray  # datetime64[s], NaT missing
    kind = AttributeKind.TIMESTAMP

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def take(self, rows: np.ndarray) -> TimestampColumn:
        return TimestampColumn(self.values[rows])


Column = CategoricalColumn | TagsColumn | NumericColumn | BooleanColumn | TimestampColumn


@dataclass(frozen=True)
class Attributes:
    """Named attribute columns over the same ``n`` items; row i describes base item i."""

    columns: Mapping[str, Column]
    source: str = ""

    def __post_init__(self) -> None:
        lengths = {name: len(column) for name, column in self.columns.items()}
        if len(set(lengths.values())) > 1:
            raise DatasetError(
                f"attributes from {self.source or 'memory'}: columns differ in length {lengths}"
            )

    @property
    def n(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __getitem__(self, name: str) -> Column:
        return self.columns[name]

    def schema(self) -> dict[str, AttributeKind]:
        """Attribute name -> kind: what validation checks a filter against."""
        return {name: column.kind for name, column in self.columns.items()}

    def take(self, rows: np.ndarray) -> Attributes:
        """The attributes of the given rows, in that order (for base subsets and splits)."""
        rows = np.asarray(rows, dtype=np.int64)
        return Attributes({name: column.take(rows) for name, column in self.columns.items()}, self.source)

    def fingerprint(self) -> str:
        """16 hex digits over names, kinds, value tables and arrays: filtered results key on it."""
        digest = hashlib.blake2b(digest_size=8)
        digest.update(f"vecbench-attributes-v1|{self.n}".encode())
        for name in sorted(self.columns):
            column = self.columns[name]
            digest.update(f"|{name}:{column.kind.value}".encode())
            for array in _arrays(column):
                digest.update(np.ascontiguousarray(array).view(np.uint8).tobytes())
            for label in _labels(column):
                digest.update(label.encode("utf-8", "surrogateescape") + b"\x1f")
        return digest.hexdigest()


def _arrays(column: Column) -> list[np.ndarray]:
    if isinstance(column, CategoricalColumn):
        return [column.codes.astype(np.int64)]
    if isinstance(column, TagsColumn):
        return [column.indptr.astype(np.int64), column.codes.astype(np.int64)]
    if isinstance(column, TimestampColumn):
        return [column.values.astype("datetime64[s]").view(np.int64)]
    return [column.values]


def _labels(column: Column) -> Sequence[str]:
    if isinstance(column, CategoricalColumn):
        return column.categories
    if isinstance(column, TagsColumn):
        return column.vocabulary
    return ()


# ---- constructors from plain Python / NumPy values ------------------------------------------


def categorical(values: Sequence[object] | np.ndarray) -> CategoricalColumn:
    """A categorical column from values; None or NaN are missing; labels are kept as strings."""
    labels = [None if _is_missing(v) else str(v) for v in values]
    categories = tuple(sorted({label for label in labels if label is not None}))
    lookup = {label: code for code, label in enumerate(categories)}
    codes = np.array([-1 if label is None else lookup[label] for label in labels], dtype=np.int32)
    return CategoricalColumn(codes, categories)


def tags(values: Sequence[Sequence[object] | None]) -> TagsColumn:
    """A tags column from one collection of tags per item (None or empty: no tags)."""
    per_item = [sorted({str(t) for t in item}) if item is not None else [] for item in values]
    vocabulary = tuple(sorted({t for item in per_item for t in item}))
    lookup = {t: code for code, t in enumerate(vocabulary)}
    indptr = np.zeros(len(per_item) + 1, dtype=np.int64)
    np.cumsum([len(item) for item in per_item], out=indptr[1:])
    codes = np.array([lookup[t] for item in per_item for t in item], dtype=np.int32)
    return TagsColumn(indptr, codes, vocabulary)


def tags_from_matrix(matrix: np.ndarray, vocabulary: Sequence[str]) -> TagsColumn:
    """A tags column from an (n, len(vocabulary)) 0/1 matrix, such as MovieLens genre flags."""
    flags = np.asarray(matrix).astype(bool)
    indptr = np.zeros(flags.shape[0] + 1, dtype=np.int64)
    np.cumsum(flags.sum(axis=1), out=indptr[1:])
    codes = np.nonzero(flags)[1].astype(np.int32)
    # Keep the vocabulary sorted like every other tags column; remap the codes to match.
    order = sorted(range(len(vocabulary)), key=lambda c: vocabulary[c])
    remap = np.empty(len(vocabulary), dtype=np.int32)
    remap[order] = np.arange(len(vocabulary), dtype=np.int32)
    return TagsColumn(indptr, remap[codes], tuple(vocabulary[c] for c in order))


def numeric(values: Sequence[float | None] | np.ndarray) -> NumericColumn:
    array = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return NumericColumn(array)


def boolean(values: Sequence[bool] | np.ndarray) -> BooleanColumn:
    return BooleanColumn(np.asarray(values, dtype=bool))


def timestamp(values: Sequence[object] | np.ndarray) -> TimestampColumn:
    """Timestamps from datetime64 values, ISO strings or datetimes; None is missing (NaT)."""
    array = np.array([np.datetime64("NaT") if _is_missing(v) else v for v in values], dtype="datetime64[s]")
    return TimestampColumn(array)


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))
