"""Kept so existing imports work; the error types live in ``vecbench.core.errors``."""

from vecbench.core.errors import ConfigError, DatasetError, UnsupportedError, VecbenchError, closest_hint

__all__ = ["ConfigError", "DatasetError", "UnsupportedError", "VecbenchError", "closest_hint"]
