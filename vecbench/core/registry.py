"""One registry type for every "name in a config -> code" table (adapters, strategies, pipeline
components), and one lookup for tables whose entries carry more than a target (datasets, logs).

Entries are "package.module:attribute" texts imported on first use, so an optional library costs
nothing until a config names its entry, and a missing one disables only that entry, with a one-line
error saying what to install. Unknown names suggest the closest known one. Where ``plugins`` is on, a
name that is not registered but has the form "package.module:Class" names a user's own class.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar, cast

from vecbench.core.errors import ConfigError, closest_hint

T = TypeVar("T")
E = TypeVar("E")


class MissingLibraryError(ConfigError):
    """An entry's module imports a library that is not installed; ``library`` is what to pip install."""

    def __init__(self, message: str, library: str) -> None:
        super().__init__(message)
        self.library = library


def lookup(entries: Mapping[str, E], name: str, kind: str, suffix: str = "") -> E:
    """``entries[name]``, or a one-line ConfigError naming the closest known name (then ``suffix``)."""
    entry = entries.get(name)
    if entry is None:
        raise ConfigError(f"unknown {kind} '{name}'{closest_hint(name, entries)}{suffix}")
    return entry


class Registry(Generic[T]):
    """Names -> lazily imported objects (classes or functions), with hints, plugins and install help.

    ``base``: loaded classes must subclass it. ``install``: pip requirement for a top-level module
    whose distribution is named differently (``{"faiss": "faiss-cpu"}``); others install as their
    module name with '_' read as '-'.
    """

    def __init__(
        self,
        kind: str,
        entries: Mapping[str, str],
        *,
        base: type | None = None,
        plugins: bool = False,
        install: Mapping[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.entries = dict(entries)
        self.base = base
        self.plugins = plugins
        self.install = dict(install or {})

    def names(self) -> list[str]:
        """Registered names, sorted, whether or not their libraries are installed."""
        return sorted(self.entries)

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.entries)

    def target(self, name: str) -> str:
        """The "module:attribute" a name stands for (itself for a plugin); unknown names hint."""
        found = self.entries.get(name)
        if found is not None:
            return found
        if self.plugins and is_plugin(name):
            return name
        return lookup(self.entries, name, self.kind)

    def get(self, name: str) -> T:
        """Import and return what ``name`` registers; every failure is a one-line ConfigError."""
        target = self.target(name)
        module_name, _, attribute = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise self._import_error(name, module_name, exc) from None
        except ImportError as exc:
            raise ConfigError(
                f"{self.kind} '{name}' is unavailable: {exc}; reinstall its library or remove it from the config"
            ) from None
        found = getattr(module, attribute, None)
        if self.base is not None and not (isinstance(found, type) and issubclass(found, self.base)):
            raise ConfigError(f"{self.kind} '{name}': {target} is not an {self.base.__name__} subclass")
        if found is None:
            raise ConfigError(f"{self.kind} '{name}': module {module_name} has no '{attribute}'")
        return cast(T, found)

    def _import_error(self, name: str, module_name: str, exc: ModuleNotFoundError) -> ConfigError:
        missing = exc.name or ""
        if not missing or module_name == missing or module_name.startswith(missing + "."):
            # The named module itself (or its package) is missing: a wrong path, not a library.
            return ConfigError(
                f"{self.kind} '{name}': cannot import module '{module_name}' ({exc}); check the module "
                "path and that its folder is importable (on PYTHONPATH)"
            )
        top = missing.partition(".")[0]
        library = self.install.get(top, top.replace("_", "-"))
        return MissingLibraryError(
            f"{self.kind} '{name}' is unavailable: library not installed: pip install {library} "
            f"({exc}); or remove it from the config",
            library,
        )


def is_plugin(name: str) -> bool:
    """'package.module:Class' with both parts non-empty: a user's own class named by import path."""
    module_name, colon, attribute = name.partition(":")
    return bool(colon and module_name and attribute.isidentifier())
