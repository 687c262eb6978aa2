"""Pluggable pipeline components (embedders, scorers, re-rankers) as a config names them.

Each is ``{kind: NAME, ...parameters}``: the kind picks a class from its registry, and the class
checks the parameters itself (``resolve_params``), so one spec type and one lookup serve them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from vecbench.errors import ConfigError, closest_hint
from vecbench.lazy_import import import_target


class ComponentSpec(BaseModel):
    """``{kind: NAME, ...}``: the kind and the parameters that go to its class."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: str

    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def component_class(registry: Mapping[str, str], kind: str, what: str) -> Any:
    """The class registered for ``kind``; an unknown kind is a one-line error naming the closest."""
    target = registry.get(kind)
    if target is None:
        raise ConfigError(f"unknown {what} '{kind}'{closest_hint(kind, registry)}")
    return import_target(target)
