"""The one registry type: lazy import, closest-name hints, plugins, and one-line import errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from vecbench.core.errors import ConfigError
from vecbench.core.registry import MissingLibraryError, Registry, lookup
from vecbench.indexes.base import IndexAdapter
from vecbench.indexes.registry import ADAPTERS, adapter_libraries


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on sys.path holding one module that needs a library nobody has installed."""
    (tmp_path / "vb_needs_lib.py").write_text("import vecbench_no_such_library_xyz\nThing = 1\n")
    (tmp_path / "vb_plain.py").write_text("Thing = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in ("vb_needs_lib", "vb_plain"):
        sys.modules.pop(name, None)


def test_entries_import_only_when_asked_for(plugins: Path) -> None:
    registry: Registry[int] = Registry("widget", {"plain": "vb_plain:Thing", "needy": "vb_needs_lib:Thing"})
    assert registry.names() == ["needy", "plain"] and "plain" in registry and len(registry) == 2
    assert "vb_plain" not in sys.modules
    assert registry.get("plain") == 1


def test_unknown_names_suggest_the_closest() -> None:
    with pytest.raises(ConfigError, match=r"^unknown adapter 'hnswlb' \(did you mean 'hnswlib'\?\)$"):
        ADAPTERS.get("hnswlb")
    with pytest.raises(ConfigError, match="did you mean 'x'"):
        lookup({"x": 1}, "X", "thing")


def test_a_missing_library_says_what_to_install(plugins: Path) -> None:
    registry: Registry[int] = Registry(
        "widget", {"needy": "vb_needs_lib:Thing"}, install={"vecbench_no_such_library_xyz": "nosuch-dist"}
    )
    with pytest.raises(MissingLibraryError) as info:
        registry.get("needy")
    message = str(info.value)
    assert "\n" not in message and "library not installed: pip install nosuch-dist" in message
    assert info.value.library == "nosuch-dist"


def test_plugins_by_module_and_class(plugins: Path) -> None:
    assert ADAPTERS.get("vecbench.indexes.exact:ExactAdapter").name == "exact"
    with pytest.raises(ConfigError, match="is not an IndexAdapter subclass"):
        ADAPTERS.get("vb_plain:Thing")
    with pytest.raises(ConfigError, match=r"cannot import module 'vb_absent_module'.*PYTHONPATH"):
        ADAPTERS.get("vb_absent_module:Adapter")
    closed: Registry[int] = Registry("widget", {"plain": "vb_plain:Thing"})
    with pytest.raises(ConfigError, match="unknown widget 'vb_plain:Thing'"):
        closed.get("vb_plain:Thing")  # only registries that take plugins import by path


def test_every_adapter_declares_its_library() -> None:
    libraries = adapter_libraries()
    assert {"faiss-cpu", "hnswlib", "annoy", "scann", "usearch", "psycopg", "pgserver", "chromadb"} <= set(libraries)
    assert len(libraries) == len(set(libraries))  # each recorded once, whatever adapters share it
    for name in ADAPTERS.names():
        try:
            cls = ADAPTERS.get(name)
        except MissingLibraryError:
            continue
        assert issubclass(cls, IndexAdapter) and cls.libraries, name


def test_core_imports_nothing_else_of_vecbench() -> None:
    core = Path(__file__).resolve().parents[2] / "vecbench" / "core"
    for path in core.glob("*.py"):
        for line in path.read_text().splitlines():
            if line.startswith(("import vecbench", "from vecbench")):
                assert line.startswith("from vecbench.core"), f"{path.name}: {line}"
