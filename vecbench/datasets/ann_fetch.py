"""``vecbench datasets fetch NAME`` for the ann-benchmarks HDF5 files: download, hash, check, place.

The file streams into a hidden temporary name beside its destination, hashed on the way; only a
file whose SHA-256 matches the expected one (``--sha256`` or the recorded one) and whose shape and
distance match the published set is moved into place, so a half download is never mistaken for a
dataset. ``--url`` takes another location: any URL urllib opens, or a local path (a copy made on
another machine). Progress goes to stderr every few seconds: these files are 100 MB to 4 GB.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vecbench.datasets.ann_benchmarks import ANN_FILES, check_shape, data_dir
from vecbench.datasets.formats import load_file
from vecbench.errors import DatasetError

CHUNK = 1 << 20
PROGRESS_EVERY_S = 2.0
CHECKSUM_SUFFIX = ".sha256"

Say = Callable[[str], None]


@dataclass(frozen=True)
class Fetched:
    path: Path
    sha256: str
    downloaded: bool  # False: it was already there
    pinned: bool  # the digest was checked against a given or recorded one


def fetch_ann(
    name: str, dest: str | Path | None = None, url: str | None = None, sha256: str | None = None, say: Say | None = None
) -> Fetched:
    """Place ``NAME.hdf5`` in ``dest`` (default: the data folder) unless a checked copy is there."""
    entry = ANN_FILES[name]
    folder = Path(dest).expanduser() if dest is not None else data_dir()
    target = folder / entry.file_name(name)
    expected = (sha256 or entry.sha256 or "").lower() or None
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise DatasetError(f"{target} exists and is not a plain file; move it away or give another --dest")
    if target.is_file():
        return _present(target, expected)
    if folder.exists() and not folder.is_dir():
        raise DatasetError(f"--dest {folder} is a file, not a folder; give a folder to download into")
    folder.mkdir(parents=True, exist_ok=True)
    source = as_url(url) if url else entry.url(name)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".fetch-") as scratch:
        partial = Path(scratch) / target.name
        digest = download(source, partial, say or _stderr)
        if expected is not None and digest != expected:
            raise DatasetError(
                f"checksum mismatch for {source}: got sha256 {digest}, expected {expected}; "
                "the download is corrupt or the file changed (pass --sha256 if you trust the new one)"
            )
        check_shape(name, load_file(partial, "hdf5"), Path(source))
        os.replace(partial, target)
    (folder / (target.name + CHECKSUM_SUFFIX)).write_text(f"{digest}  {target.name}\n")
    return Fetched(target, digest, downloaded=True, pinned=expected is not None)


def _present(target: Path, expected: str | None) -> Fetched:
    """A file already in place: trusted by its recorded digest, re-hashed only when one is asked for."""
    recorded = recorded_sha256(target)
    if expected is not None and recorded != expected:
        actual = file_sha256(target) if recorded is None else recorded
        if actual != expected:
            raise DatasetError(
                f"{target} is there with sha256 {actual}, not {expected}; "
                "move it away to download again, or drop --sha256"
            )
    return Fetched(target, expected or recorded or "", downloaded=False, pinned=expected is not None)


def recorded_sha256(target: Path) -> str | None:
    """The digest a fetch wrote beside the file, if any."""
    sidecar = target.with_name(target.name + CHECKSUM_SUFFIX)
    try:
        text = sidecar.read_text().split()
    except OSError:
        return None
    return text[0].lower() if text else None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def as_url(location: str) -> str:
    """A URL as given; a local path (no scheme, or a drive-less absolute path) as a file:// URL."""
    if urllib.parse.urlsplit(location).scheme in ("", "file") and "://" not in location:
        path = Path(location).expanduser()
        if not path.is_file():
            raise DatasetError(f"--url {location}: no such file (give a URL or the path of a local copy)")
        return path.resolve().as_uri()
    return location


def download(url: str, path: Path, say: Say) -> str:
    """Stream ``url`` into ``path`` with a progress line every few seconds; the SHA-256 hex digest."""
    digest = hashlib.sha256()
    done, started, last = 0, time.monotonic(), time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(path, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            while chunk := response.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                done += len(chunk)
                if time.monotonic() - last >= PROGRESS_EVERY_S:
                    last = time.monotonic()
                    say(progress_line(url, done, total, last - started))
    except urllib.error.URLError as exc:
        raise DatasetError(f"cannot download {url}: {exc.reason}") from None
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot download {url}: {exc}") from None
    return digest.hexdigest()


def progress_line(url: str, done: int, total: int, seconds: float) -> str:
    rate = done / seconds / 2**20 if seconds > 0 else 0.0
    of = f" of {total / 2**20:,.0f} MiB ({100 * done / total:.0f}%)" if total else " MiB"
    return f"fetch {Path(urllib.parse.urlsplit(url).path).name}: {done / 2**20:,.0f}{of}, {rate:.1f} MiB/s"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
