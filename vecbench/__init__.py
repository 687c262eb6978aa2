"""vecbench: measure what each vector-search choice costs and loses, on your own data.

``vecbench.load_results(DIR)``, ``vecbench.load_pipeline(DIR)`` and ``vecbench.run(CONFIG, out=DIR)``
live in ``vecbench.api``; they are imported on first use, so ``import vecbench`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "load_pipeline", "load_results", "run"]

_API = ("load_pipeline", "load_results", "run")


def __getattr__(name: str) -> Any:
    """The API functions, imported when first asked for (PEP 562)."""
    if name in _API:
        from vecbench import api

        return getattr(api, name)
    raise AttributeError(f"module 'vecbench' has no attribute '{name}'")
