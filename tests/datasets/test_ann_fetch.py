"""``vecbench datasets fetch`` for ann-benchmarks HDF5 files, offline: file:// URLs and local paths
stand in for ann-benchmarks.com; the fetched file is then read by name from a config."""

from __future__ import annotations

import hashlib
from pathlib import Path

import h5py
import numpy as np
import pytest

from vecbench.cli import main
from vecbench.datasets import DatasetSpec, load_dataset
from vecbench.datasets.ann_fetch import fetch_ann, progress_line, recorded_sha256
from vecbench.errors import DatasetError

NAME = "glove-25-angular"


def ann_file(path: Path, dim: int = 25, distance: str = "angular", n: int = 300, q: int = 20) -> str:
    """A small file in ann-benchmarks' layout; returns its sha256."""
    rng = np.random.default_rng(0)
    train = rng.normal(size=(n, dim)).astype(np.float32)
    test = rng.normal(size=(q, dim)).astype(np.float32)
    unit = train / np.linalg.norm(train, axis=1, keepdims=True)
    scores = (test / np.linalg.norm(test, axis=1, keepdims=True)) @ unit.T
    neighbors = np.argsort(-scores, axis=1)[:, :10].astype(np.int32)
    with h5py.File(path, "w") as handle:
        handle.attrs["distance"] = distance
        handle["train"], handle["test"], handle["neighbors"] = train, test, neighbors
        handle["distances"] = (1 - np.take_along_axis(scores, neighbors, axis=1)).astype(np.float32)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fetch_checks_records_and_a_config_reads_it_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = ann_file(tmp_path / "source.hdf5")
    data = tmp_path / "data"
    monkeypatch.setenv("VECBENCH_DATA", str(data))
    url = (tmp_path / "source.hdf5").as_uri()
    assert main(["datasets", "fetch", NAME, "--url", url, "--sha256", digest]) == 0
    out = capsys.readouterr().out
    assert "downloaded and checked; matches the expected sha256" in out and digest in out
    target = data / f"{NAME}.hdf5"
    assert target.is_file() and recorded_sha256(target) == digest
    assert not list(data.glob(".fetch-*")), "no scratch folder is left"
    dataset = load_dataset(DatasetSpec(name=NAME))  # found in $VECBENCH_DATA
    assert dataset.base.shape == (300, 25) and dataset.queries.shape == (20, 25)
    assert dataset.neighbors is not None and dataset.metric.value == "angular"
    assert main(["datasets", "list"]) == 0
    listing = capsys.readouterr().out
    assert f"present: {target}" in listing and "sift-128-euclidean" in listing and "not fetched" in listing
    # Already there: no download (the broken URL would fail), and a different pin is refused.
    assert not fetch_ann(NAME, url="file:///nonexistent.hdf5").downloaded
    with pytest.raises(DatasetError, match="move it away"):
        fetch_ann(NAME, sha256="0" * 64)


def test_a_local_path_works_without_a_pin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digest = ann_file(tmp_path / "copy.hdf5")
    dest = tmp_path / "d"
    assert main(["datasets", "fetch", NAME, "--dest", str(dest), "--url", str(tmp_path / "copy.hdf5")]) == 0
    assert "pass --sha256 to pin one" in capsys.readouterr().out
    assert recorded_sha256(dest / f"{NAME}.hdf5") == digest


@pytest.mark.parametrize(
    ("dim", "distance", "sha", "message"),
    [
        (25, "angular", "f" * 64, "checksum mismatch"),
        (32, "angular", None, "32-d vectors but glove-25-angular is 25-d"),
        (25, "euclidean", None, "says distance 'euclidean' but glove-25-angular is angular"),
    ],
)
def test_wrong_files_are_refused_and_leave_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dim: int, distance: str, sha: str | None, message: str
) -> None:
    ann_file(tmp_path / "bad.hdf5", dim=dim, distance=distance)
    dest = tmp_path / "d"
    args = ["datasets", "fetch", NAME, "--dest", str(dest), "--url", (tmp_path / "bad.hdf5").as_uri()]
    assert main(args + (["--sha256", sha] if sha else [])) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert sorted(p.name for p in dest.iterdir()) == []


def test_bad_names_and_locations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VECBENCH_DATA", str(tmp_path / "empty"))
    with pytest.raises(DatasetError, match=r"not in .*empty: fetch it with 'vecbench datasets fetch glove-25-angular'"):
        load_dataset(DatasetSpec(name=NAME))
    assert main(["datasets", "fetch", "glove-100-angualr"]) == 2
    assert "did you mean 'glove-100-angular'" in capsys.readouterr().err
    assert main(["datasets", "fetch", NAME, "--dest", str(tmp_path), "--url", str(tmp_path / "none.hdf5")]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(DatasetError, match=r"file not found: .*absent.hdf5"):
        load_dataset(DatasetSpec(name=NAME, path=str(tmp_path / "absent.hdf5")))


def test_progress_line() -> None:
    assert progress_line("http://x/sift.hdf5", 300 * 2**20, 600 * 2**20, 2.0) == (
        "fetch sift.hdf5: 300 of 600 MiB (50%), 150.0 MiB/s"
    )
