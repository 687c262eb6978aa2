"""Name -> adapter class, imported lazily so a missing library only disables its own adapter."""

from __future__ import annotations

import importlib

from vecbench.errors import ConfigError, closest_hint
from vecbench.indexes.base import IndexAdapter

# Registered adapters: name -> "module:ClassName". Adding an adapter is one line here.
ADAPTERS: dict[str, str] = {
    "exact": "vecbench.indexes.exact:ExactAdapter",
    "faiss-hnsw": "vecbench.indexes.faiss_indexes:FaissHNSWAdapter",
    "faiss-ivf": "vecbench.indexes.faiss_indexes:FaissIVFAdapter",
    "faiss-ivfpq": "vecbench.indexes.faiss_indexes:FaissIVFPQAdapter",
    "hnswlib": "vecbench.indexes.hnswlib_index:HnswlibAdapter",
    "annoy": "vecbench.indexes.annoy_index:AnnoyAdapter",
    "scann": "vecbench.indexes.scann_index:ScannAdapter",
}


def adapter_names() -> list[str]:
    """Names of the registered adapters, whether or not their libraries are installed."""
    return sorted(ADAPTERS)


def get_adapter_class(name: str) -> type[IndexAdapter]:
    """Resolve a registered name, or a plugin given as 'package.module:ClassName'."""
    target = ADAPTERS.get(name)
    if target is None:
        if ":" not in name:
            raise ConfigError(f"unknown adapter '{name}'{closest_hint(name, ADAPTERS)}")
        target = name
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"adapter '{name}' is unavailable: {exc}; install its library (pip install vecbench) "
            "or remove it from the config"
        ) from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, IndexAdapter)):
        raise ConfigError(f"adapter '{name}': {target} is not an IndexAdapter subclass")
    return cls
