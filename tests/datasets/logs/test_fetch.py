"""``vecbench datasets fetch``: download, checksum, unpack, offline through a file:// URL."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from vecbench.cli import main
from vecbench.datasets.logs import LogSpec, load_log
from vecbench.datasets.logs.fetch import ARCHIVES, fetch
from vecbench.errors import DatasetError

U_DATA = "1\t10\t4\t881250949\n2\t10\t3\t881250950\n1\t11\t5\t881250951\n"
U_ITEM = "10|Tiny Film (1995)|01-Jan-1995||http://x|" + "|".join(["0"] * 18 + ["1"]) + "\n"


def make_zip(path: Path, members: dict[str, str]) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text.encode("latin-1"))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fetch_verifies_unpacks_and_the_loader_reads_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digest = make_zip(tmp_path / "ml.zip", {"ml-100k/u.data": U_DATA, "ml-100k/u.item": U_ITEM})
    url = (tmp_path / "ml.zip").as_uri()
    dest = tmp_path / "data"
    assert main(["datasets", "fetch", "movielens-100k", "--dest", str(dest), "--url", url, "--sha256", digest]) == 0
    assert str(dest / "ml-100k") in capsys.readouterr().out
    log = load_log(LogSpec(name="movielens-100k", path=str(dest / "ml-100k")))
    assert log.n_events == 3 and log.items.titles[0] == "Tiny Film (1995)"
    assert not list(dest.glob(".fetch-*")), "the scratch folder is cleaned up"
    # Already there: no download (a broken URL would fail otherwise).
    assert fetch("movielens-100k", dest, url="file:///nonexistent.zip") == dest / "ml-100k"


def test_checksum_mismatch_leaves_nothing_behind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_zip(tmp_path / "ml.zip", {"ml-100k/u.data": U_DATA, "ml-100k/u.item": U_ITEM})
    dest = tmp_path / "data"
    code = main(["datasets", "fetch", "movielens-100k", "--dest", str(dest), "--url", (tmp_path / "ml.zip").as_uri()])
    err = capsys.readouterr().err
    assert code == 2 and "checksum mismatch" in err and ARCHIVES["movielens-100k"].sha256 in err
    assert not (dest / "ml-100k").exists() and not list(dest.glob(".fetch-*"))


def test_bad_archives_and_urls(tmp_path: Path) -> None:
    digest = make_zip(tmp_path / "evil.zip", {"../escape.txt": "x"})
    with pytest.raises(DatasetError, match="outside the target folder"):
        fetch("movielens-100k", tmp_path / "d", url=(tmp_path / "evil.zip").as_uri(), sha256=digest)
    digest = make_zip(tmp_path / "other.zip", {"ml-100k/readme": "x"})
    with pytest.raises(DatasetError, match=r"no ml-100k/u\.data"):
        fetch("movielens-100k", tmp_path / "d", url=(tmp_path / "other.zip").as_uri(), sha256=digest)
    with pytest.raises(DatasetError, match="cannot download"):
        fetch("movielens-latest-small", tmp_path / "d", url=(tmp_path / "missing.zip").as_uri())


def test_an_incomplete_folder_of_the_users_is_never_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = make_zip(tmp_path / "ml.zip", {"ml-100k/u.data": U_DATA, "ml-100k/u.item": U_ITEM})
    dest = tmp_path / "data"
    mine = dest / "ml-100k" / "my-notes.txt"
    mine.parent.mkdir(parents=True)
    mine.write_text("keep me")
    args = ["datasets", "fetch", "movielens-100k", "--dest", str(dest), "--url", (tmp_path / "ml.zip").as_uri()]
    assert main([*args, "--sha256", digest]) == 2
    err = capsys.readouterr().err.strip()
    assert "exists without u.data" in err and "move it away" in err and len(err.splitlines()) == 1
    assert mine.read_text() == "keep me"
