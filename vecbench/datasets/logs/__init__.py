"""Interaction logs: loaders for real logs in their original formats, a synthetic generator, and
the temporal splits the recommendation replay evaluates on. Logs know nothing of indexes."""

from vecbench.datasets.logs.base import InteractionLog, ItemTable, ItemTags, build_log
from vecbench.datasets.logs.registry import LogSpec, load_log, log_names

__all__ = ["InteractionLog", "ItemTable", "ItemTags", "LogSpec", "build_log", "load_log", "log_names"]
