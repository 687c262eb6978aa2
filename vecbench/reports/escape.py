"""Text from configs, datasets and result files made safe for where it is shown.

A label, a parameter value or an error note can hold anything a user (or an attacker) typed:
terminal escape codes that rewrite the screen, newlines that forge extra lines, HTML and Markdown
that add headings or links to a pull-request comment. Every such string passes through here.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Characters that mean something in GitHub-flavoured Markdown; a backslash makes each literal.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]#!|~])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def terminal_text(text: str) -> str:
    """``text`` with control characters (escape codes, newlines, tabs) shown as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def terminal_block(text: str) -> str:
    """A multi-line table for the terminal: each line through ``terminal_text``, newlines kept."""
    return "\n".join(terminal_text(line) for line in text.split("\n"))


def markdown_text(text: str) -> str:
    """``text`` as literal Markdown on one line: control characters dropped to spaces, HTML
    entities for ``&<>"``, and a backslash before every Markdown punctuation mark."""
    flat = _CONTROL.sub(" ", text)
    escaped = "".join(_HTML.get(ch, ch) for ch in flat)
    return _MARKDOWN.sub(r"\\\1", escaped)
