"""Kept so existing imports work; the lazy importer lives in ``vecbench.core.lazy_import``."""

from vecbench.core.lazy_import import import_target

__all__ = ["import_target"]
