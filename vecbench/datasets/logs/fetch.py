"""Download an official log archive, verify its SHA-256, and unpack it: for users who are online.

The real logs may not be redistributed, so vecbench never ships them; this fetches GroupLens'
archive itself. The checksums are those the archives were published with (as recorded by
TensorFlow Datasets' url_checksums). MovieLens latest-small is a development release that
GroupLens regenerates, so a future archive can differ: ``--sha256`` states the one you expect.
Any URL urllib opens works, ``file://`` included (that is how the tests run offline).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from vecbench.errors import ConfigError, DatasetError, closest_hint

CHUNK = 1 << 20


@dataclass(frozen=True)
class Archive:
    url: str
    sha256: str
    folder: str  # the top folder inside the zip
    required: tuple[str, ...]


ARCHIVES: dict[str, Archive] = {
    "movielens-100k": Archive(
        "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
        "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        "ml-100k",
        ("u.data", "u.item"),
    ),
    "movielens-latest-small": Archive(
        "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip",
        "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
        "ml-latest-small",
        ("ratings.csv", "movies.csv"),
    ),
}


def fetch(name: str, dest: str | Path, url: str | None = None, sha256: str | None = None) -> Path:
    """Download ``name`` into ``dest`` (unless already there) and return the data folder."""
    archive = ARCHIVES.get(name)
    if archive is None:
        raise ConfigError(f"no download for '{name}'{closest_hint(name, ARCHIVES)}")
    dest = Path(dest).expanduser()
    target = dest / archive.folder
    check_destination(dest, target)
    if all((target / f).is_file() for f in archive.required):
        return target
    if target.is_dir() and any(target.iterdir()):
        absent = next(f for f in archive.required if not (target / f).is_file())
        raise DatasetError(
            f"{target} exists without {absent}; vecbench never deletes a folder it did not make: "
            "move it away (or complete it by hand) and fetch again"
        )
    expected = (sha256 or archive.sha256).lower()
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".fetch-") as scratch:
        zip_path = Path(scratch) / "archive.zip"
        digest = _download(url or archive.url, zip_path)
        if digest != expected:
            raise DatasetError(
                f"checksum mismatch for {url or archive.url}: got sha256 {digest}, expected {expected}; "
                "the download is corrupt or the archive changed (pass --sha256 if you trust the new one)"
            )
        unpacked = Path(scratch) / "unpacked"
        _extract(zip_path, unpacked)
        found = unpacked / archive.folder
        missing = [f for f in archive.required if not (found / f).is_file()]
        if missing:
            raise DatasetError(f"the archive has no {archive.folder}/{missing[0]}; is it the {name} archive?")
        if target.is_dir():
            target.rmdir()  # empty (checked above): nothing of the user's is lost
        os.replace(found, target)  # the complete folder appears at once
    return target


def check_destination(dest: Path, target: Path) -> None:
    """Refuse, before downloading, a --dest that is a file and a data folder that is a symbolic
    link (unpacking would write through it, into whatever it points at)."""
    if dest.exists() and not dest.is_dir():
        raise DatasetError(f"--dest {dest} is a file, not a folder; give a folder to unpack into")
    for parent in dest.parents:
        if parent.exists() and not parent.is_dir():
            raise DatasetError(f"--dest {dest}: {parent} is a file, not a folder")
    if target.is_symlink():
        raise DatasetError(
            f"{target} is a symbolic link; remove it or give another --dest (vecbench never writes through a link)"
        )
    if target.exists() and not target.is_dir():
        raise DatasetError(f"{target} is a file, not a folder; move it away or give another --dest")


def _download(url: str, path: Path) -> str:
    """Stream ``url`` into ``path`` and return its SHA-256 hex digest."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(path, "wb") as out:
            while chunk := response.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
    except urllib.error.URLError as exc:
        raise DatasetError(f"cannot download {url}: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot download {url}: {exc}") from None
    return digest.hexdigest()


def _extract(zip_path: Path, into: Path) -> None:
    """Unpack, refusing members that would land outside ``into`` (absolute paths, '..')."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            root = into.resolve()
            for member in archive.namelist():
                if not (root / member).resolve().is_relative_to(root):
                    raise DatasetError(f"refusing archive member outside the target folder: {member}")
            archive.extractall(into)
    except zipfile.BadZipFile:
        raise DatasetError(f"{zip_path.name} is not a zip archive") from None
