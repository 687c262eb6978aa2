"""Registries name their entries as "package.module:attribute" and import them only when used, so
an optional library (ScaNN, sentence-transformers) costs nothing until a config asks for it."""

from __future__ import annotations

import importlib
from typing import Any


def import_target(target: str) -> Any:
    """The object a "package.module:attribute" text names (ImportError / AttributeError propagate)."""
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
