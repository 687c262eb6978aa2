"""Amazon Review Data (2018) 5-core files: one JSON object per line (reviewerID, asin, overall,
unixReviewTime, ...). Items carry no titles here (the metadata files are separate), so the asin
stands in; the ``style`` keys of a review are not item attributes and are ignored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from vecbench.datasets.files import read_error, require_file
from vecbench.datasets.logs.base import InteractionLog, build_log
from vecbench.errors import DatasetError

REQUIRED = ("reviewerID", "asin", "unixReviewTime")


def load_amazon_5core(path: str | Path) -> InteractionLog:
    """Read a ``*_5.json`` file (optionally gzip-compressed, ``.gz``)."""
    path = require_file(Path(path).expanduser())
    users: list[str] = []
    items: list[str] = []
    times: list[int] = []
    ratings: list[float] = []
    try:
        with _open(path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DatasetError(f"{path}: line {number} is not JSON ({exc.msg})") from None
                missing = [key for key in REQUIRED if key not in record]
                if missing:
                    raise DatasetError(
                        f"{path}: line {number} lacks {', '.join(missing)}; is it a 5-core file?"
                    )
                users.append(str(record["reviewerID"]))
                items.append(str(record["asin"]))
                times.append(int(record["unixReviewTime"]))
                overall = record.get("overall")
                ratings.append(float(overall) if overall is not None else 1.0)
    except OSError as exc:
        raise read_error(path, exc) from None
    return build_log(
        f"amazon-2018-5core:{path.name.split('_5.json')[0]}",
        users,
        items,
        times,
        ratings,
        source=f"Amazon Review Data 2018 5-core from {path}",
    )


def _open(path: Path) -> TextIO:
    if path.suffix == ".gz":
        import gzip

        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")
