"""Kept so existing imports work; config reading lives in ``vecbench.core.config``."""

from vecbench.core.config import (
    MAX_CONFIG_BYTES,
    MAX_EXPANDED_NODES,
    SHOWN_CHARS,
    one_line,
    parse_yaml,
    read_yaml,
    shown,
    validation_message,
    yaml_message,
)

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_EXPANDED_NODES",
    "SHOWN_CHARS",
    "one_line",
    "parse_yaml",
    "read_yaml",
    "shown",
    "validation_message",
    "yaml_message",
]
