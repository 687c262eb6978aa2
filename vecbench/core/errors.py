"""Error types that separate a user's bad input from a bug.

The CLI prints a ``VecbenchError`` as one line and exits 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class VecbenchError(Exception):
    """Bad input or configuration: the message names the problem and the fix."""


class ConfigError(VecbenchError):
    """The experiment config is malformed or names something unknown."""


class DatasetError(VecbenchError):
    """A dataset is missing, unreadable or unusable (NaN, empty, wrong dimension)."""


class UnsupportedError(VecbenchError):
    """An adapter was asked for something its declared capabilities exclude."""


def closest_hint(name: str, known: Iterable[str]) -> str:
    """Return ' (did you mean X?)' for the nearest known name, or a list of the known names."""
    options = sorted(known)
    same_but_case = [option for option in options if option.lower() == name.lower()]
    match = same_but_case or difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    if match:
        return f" (did you mean '{match[0]}'?)"
    return f" (known: {', '.join(options)})" if options else ""
