"""``dsn:`` / ``url:`` on an index entry: the address of the user's database server.

They sit on the entry (beside ``adapter:``) rather than among the build parameters because they
say where the index lives, not how it is built; they are handed to the adapter as its ``dsn`` /
``url`` build parameter, which is empty when vecbench is to start the server itself.
"""

from __future__ import annotations

from typing import Any

from vecbench.core.errors import ConfigError

ADDRESS_KEYS = ("dsn", "url")


def server_address_into_build(data: Any) -> Any:
    """Move an entry's ``dsn`` / ``url`` into its ``build`` grid (as a single, fixed value)."""
    if not isinstance(data, dict) or not any(key in data for key in ADDRESS_KEYS):
        return data
    data = dict(data)
    build = dict(data.get("build") or {})
    for key in ADDRESS_KEYS:
        if key not in data:
            continue
        value = data.pop(key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"index entry: {key}: must be a non-empty address string, got {value!r}")
        if key in build and build[key] != value:
            raise ConfigError(f"index entry: {key}: is given both on the entry and under build:; keep one")
        build[key] = value
    data["build"] = build
    return data
