"""The dataset registry: names, info, formats by suffix, and config mistakes caught with a hint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydantic
import pytest

from vecbench.datasets import DatasetSpec, dataset_info, dataset_names, format_names, load_dataset
from vecbench.datasets.formats import infer_format
from vecbench.errors import ConfigError


def test_registered_names() -> None:
    assert {"glove-6b-50", "mnist-test", "synthetic"} <= set(dataset_names())


@pytest.mark.parametrize("name", ["glove-6b-50", "mnist-test", "synthetic"])
def test_info_describes_every_dataset(name: str) -> None:
    info = dataset_info(name)
    assert info["name"] == name
    assert info["description"] and info["source"] and info["size"]
    assert info["metric"] in {"euclidean", "angular", "inner_product"}
    assert isinstance(info["dimension"], int) and info["dimension"] > 0
    assert {"n_base", "n_queries", "seed", "metric"} <= set(info["options"])


def test_info_values() -> None:
    assert dataset_info("glove-6b-50")["metric"] == "angular"
    assert dataset_info("glove-6b-50")["dimension"] == 50
    assert dataset_info("mnist-test")["metric"] == "euclidean"
    assert "required" in dataset_info("mnist-test")["options"]["path"]
    assert "cluster_std" in dataset_info("synthetic")["options"]["options"]


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(ConfigError, match=r"unknown dataset 'glove-6b-5' \(did you mean 'glove-6b-50'\?\)"):
        load_dataset(DatasetSpec(name="glove-6b-5"))
    with pytest.raises(ConfigError, match=r"unknown dataset 'mnist'"):
        dataset_info("mnist")


def test_unknown_format_lists_formats(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    np.save(path, np.ones((5, 2), dtype=np.float32))
    with pytest.raises(
        ConfigError, match=r"unknown dataset format 'nyp' \(did you mean 'npy'\?\); formats: bvecs, fvecs"
    ):
        load_dataset(DatasetSpec(path=str(path), format="nyp", metric="l2"))


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("glove-100-angular.hdf5", "hdf5"),
        ("x.h5", "hdf5"),
        ("sift_base.fvecs", "fvecs"),
        ("sift_groundtruth.ivecs", "ivecs"),
        ("bigann_base.bvecs", "bvecs"),
        ("emb.npy", "npy"),
        ("t10k-images-idx3-ubyte.gz", "mnist-idx"),
        ("train-images-idx3-ubyte", "mnist-idx"),
        ("glove.6B.50d.txt", "glove-txt"),
    ],
)
def test_format_from_suffix(tmp_path: Path, name: str, fmt: str) -> None:
    assert infer_format(tmp_path / name) == fmt
    assert fmt in format_names()


def test_format_of_folders(tmp_path: Path) -> None:
    (tmp_path / "glove").mkdir()
    (tmp_path / "glove" / "glove_6B_50d_emb.npy").touch()
    assert infer_format(tmp_path / "glove") == "glove-npy"
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz").touch()
    assert infer_format(tmp_path / "mnist") == "mnist-idx"
    with pytest.raises(ConfigError, match=r"cannot tell the format of folder"):
        infer_format(tmp_path)


def test_unknown_suffix_asks_for_a_format(tmp_path: Path) -> None:
    path = tmp_path / "vectors.csv"
    path.write_text("1,2\n")
    with pytest.raises(
        ConfigError, match=r"cannot tell the format of .*vectors\.csv from its suffix; set format:"
    ):
        load_dataset(DatasetSpec(path=str(path)))


def test_fields_a_dataset_would_ignore_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    np.save(path, np.ones((5, 2), dtype=np.float32))
    with pytest.raises(ConfigError, match=r"a npy file does not take 'options'"):
        load_dataset(DatasetSpec(path=str(path), metric="l2", options={"dim": 3}))
    with pytest.raises(ConfigError, match=r"'mnist-test' does not take 'options'"):
        load_dataset(DatasetSpec(name="mnist-test", path=str(tmp_path), options={"dim": 3}))


def test_spec_needs_name_or_path_and_positive_sizes() -> None:
    with pytest.raises(pydantic.ValidationError, match=r"give 'name'"):
        DatasetSpec()
    with pytest.raises(pydantic.ValidationError):
        DatasetSpec(name="synthetic", n_base=0)
    spec = DatasetSpec(name="glove-6b-50", path="/data/glove")
    assert spec.label() == "glove-6b-50"
