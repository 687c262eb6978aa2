"""The shared vocabulary of parameters: distance metrics and declared, validated parameters.

Adapters, datasets, embeddings and pipeline stages all declare parameters the same way, so the
vocabulary lives here, below all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from vecbench.core.config import shown
from vecbench.core.errors import ConfigError, closest_hint


class Metric(str, Enum):
    """Distance metrics; ``angular`` is cosine distance (vectors are normalised on copies)."""

    EUCLIDEAN = "euclidean"
    INNER_PRODUCT = "inner_product"
    ANGULAR = "angular"

    @classmethod
    def parse(cls, value: str | Metric) -> Metric:
        if isinstance(value, Metric):
            return value
        aliases = {
            "l2": cls.EUCLIDEAN,
            "ip": cls.INNER_PRODUCT,
            "dot": cls.INNER_PRODUCT,
            "cosine": cls.ANGULAR,
        }
        key = str(value).strip().lower()
        if key in aliases:
            return aliases[key]
        try:
            return cls(key)
        except ValueError:
            raise ConfigError(
                f"unknown metric '{value}'{closest_hint(key, [m.value for m in cls])}; "
                f"use one of: {', '.join(m.value for m in cls)}"
            ) from None


@dataclass(frozen=True)
class ParamSpec:
    """One declared build or query parameter: its type, default and allowed range."""

    type: type
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    # A parameter added after point keys were published: at its default it is left out of the
    # keys, so results and baselines measured before it existed still resume and match.
    keyed_only_if_set: bool = False

    def coerce(self, adapter: str, name: str, value: Any) -> Any:
        """Return ``value`` converted to the declared type, or raise a one-line ConfigError."""
        expected = self.type
        if expected is bool:
            if not isinstance(value, bool):
                raise ConfigError(f"{adapter}: parameter '{name}' must be true or false, got {shown(value)}")
            return value
        if expected is int:
            if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
                raise ConfigError(f"{adapter}: parameter '{name}' must be an integer, got {shown(value)}")
            value = int(value)
        elif expected is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{adapter}: parameter '{name}' must be a number, got {shown(value)}")
            value = float(value)
        elif expected is str and not isinstance(value, str):
            raise ConfigError(f"{adapter}: parameter '{name}' must be a string, got {shown(value)}")
        if self.choices is not None and value not in self.choices:
            raise ConfigError(
                f"{adapter}: parameter '{name}'={shown(value)} is not allowed; use one of {list(self.choices)}"
            )
        if self.minimum is not None and value < self.minimum:
            raise ConfigError(
                f"{adapter}: parameter '{name}'={shown(value)} is below its minimum {self.minimum:g}"
            )
        if self.maximum is not None and value > self.maximum:
            raise ConfigError(
                f"{adapter}: parameter '{name}'={shown(value)} is above its maximum {self.maximum:g}"
            )
        return value


def resolve_params(adapter: str, specs: Mapping[str, ParamSpec], given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``given`` against ``specs`` and fill in defaults; unknown names suggest the closest."""
    unknown = [name for name in given if name not in specs]
    if unknown:
        name = unknown[0]
        raise ConfigError(f"{adapter}: unknown parameter '{name}'{closest_hint(name, specs)}")
    resolved = {name: spec.default for name, spec in specs.items()}
    for name, value in given.items():
        resolved[name] = specs[name].coerce(adapter, name, value)
    return resolved


def key_params(specs: Mapping[str, ParamSpec], params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a point key hashes: all resolved ones, less those declared
    ``keyed_only_if_set`` that sit at their default."""
    return {
        name: value
        for name, value in params.items()
        if not (name in specs and specs[name].keyed_only_if_set and value == specs[name].default)
    }
