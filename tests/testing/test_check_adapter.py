"""check_adapter: quiet for a correct adapter, an AssertionError naming the check for a broken one,
and the README's own-adapter example works as written, down to a `vecbench run` through its
`module:Class` name."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
import yaml

from tests.conftest import REPO_ROOT
from vecbench.cli import main
from vecbench.indexes.base import SearchResult
from vecbench.indexes.exact import ExactAdapter
from vecbench.indexes.registry import get_adapter_class
from vecbench.reports.store import ResultStore
from vecbench.testing import check_adapter


class ReversedOrder(ExactAdapter):
    """Returns its neighbours farthest first."""

    name: ClassVar[str] = "reversed-order"

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        result = super()._search_batch(queries, k)
        return SearchResult(result.ids[:, ::-1].copy(), result.distances[:, ::-1].copy())


class DuplicateIds(ExactAdapter):
    """Returns its nearest neighbour twice."""

    name: ClassVar[str] = "duplicate-ids"

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        result = super()._search_batch(queries, k)
        ids = result.ids.copy()
        ids[:, 1] = ids[:, 0]
        return SearchResult(ids, result.distances)


class WrongDtype(ExactAdapter):
    """Returns int32 ids."""

    name: ClassVar[str] = "wrong-dtype"

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        result = super()._search_batch(queries, k)
        return SearchResult(result.ids.astype(np.int32), result.distances)


class IgnoresItsFilter(ExactAdapter):
    """Declares native filtering but searches everything."""

    name: ClassVar[str] = "ignores-its-filter"

    def search_filtered(self, queries: np.ndarray, k: int, handle: Any) -> SearchResult:
        return self.search_prepared(queries, k)


@pytest.mark.parametrize(
    ("broken", "check"),
    [
        (ReversedOrder, "sorted by distance"),
        (DuplicateIds, "no duplicates"),
        (WrongDtype, "shapes and dtypes"),
        (IgnoresItsFilter, "native filter"),
    ],
    ids=lambda value: value if isinstance(value, str) else value.name,
)
def test_a_broken_adapter_fails_naming_the_check(broken: type[ExactAdapter], check: str) -> None:
    with pytest.raises(AssertionError, match=f"check '{check}' failed"):
        check_adapter(broken)


def test_the_unbroken_parent_passes() -> None:
    check_adapter(ExactAdapter)


def readme_blocks() -> tuple[str, str]:
    """The README's adapter module (the python block headed '# my_adapters.py') and its usage block."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Your own adapter", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    module = next(block for block in blocks if block.startswith("# my_adapters.py"))
    usage = next(block for block in blocks if "check_adapter(" in block and block is not module)
    assert "adapter: my_adapters:NumpyFlat" in section
    return module, usage


@pytest.fixture
def my_adapters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The README's module written to a folder on sys.path (spawned workers inherit sys.path)."""
    module, _ = readme_blocks()
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "my_adapters.py").write_text(module)
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    sys.modules.pop("my_adapters", None)


def test_the_readme_example_passes_check_adapter(my_adapters: Path) -> None:
    _, usage = readme_blocks()
    exec(compile(usage, "README.md", "exec"), {})


def test_the_readme_plugin_runs_by_module_and_class_name(my_adapters: Path, tmp_path: Path) -> None:
    cls = get_adapter_class("my_adapters:NumpyFlat")
    assert cls.name == "numpy-flat"
    config = {
        "name": "plugin",
        "dataset": {"name": "synthetic", "n_base": 500, "n_queries": 10, "options": {"dim": 8}},
        "k": 10,
        "indexes": [{"adapter": "my_adapters:NumpyFlat"}, {"adapter": "exact"}],
    }
    path = tmp_path / "plugin.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-progress", "--no-mlflow"]) == 0
    results = ResultStore(out).read()
    assert set(results["adapter"]) == {"my_adapters:NumpyFlat", "exact"}
    assert (results["status"] == "ok").all()
    plugin = results[results["adapter"] == "my_adapters:NumpyFlat"]
    assert float(plugin["recall"].iloc[0]) == pytest.approx(1.0)
