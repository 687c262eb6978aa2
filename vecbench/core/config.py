"""One-line messages for a config that does not validate or does not parse: where, what, the fix.

Every YAML file vecbench reads (experiment, pipeline and gate-policy configs) is read by
``read_yaml`` and reports its mistakes the same way: an unknown key first (a typo usually explains a missing key too), with the closest
known key of the section it is in, then a missing key, then the first other problem.

``read_yaml`` also refuses what a hostile or careless file could do to the reader: a file larger
than ``MAX_CONFIG_BYTES``, aliases that expand past ``MAX_EXPANDED_NODES`` (a few hundred bytes of
nested aliases can stand for gigabytes once printed), and duplicate keys (YAML would silently keep
the later one). ``shown`` cuts a value echoed in an error to a readable length.
"""

from __future__ import annotations

import reprlib
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from vecbench.core.errors import ConfigError, closest_hint

# A real config is a few kB and a few hundred nodes; these bounds are far above that and far
# below what would exhaust memory or flood a terminal.
MAX_CONFIG_BYTES = 1 << 20
MAX_EXPANDED_NODES = 100_000
SHOWN_CHARS = 80  # an echoed value is cut to about this many characters

_MERGE_TAG = "tag:yaml.org,2002:merge"


def validation_message(exc: ValidationError, source: str, model: type[BaseModel]) -> str:
    """The first error of ``exc`` (raised validating ``model``) as one line."""
    err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
    where = ".".join(str(part) for part in err["loc"]) or "config"
    if err["type"] == "extra_forbidden":
        key = str(err["loc"][-1])
        section = _section(model, err["loc"][:-1])
        return f"{source}: unknown key '{where}'{closest_hint(key, list(section.model_fields))}"
    if err["type"] == "missing":
        return f"{source}: missing required key '{where}'"
    return f"{source}: {where}: {err['msg']}"


def read_yaml(path: Path, what: str = "config") -> Any:
    """The parsed YAML of a config file; a missing, unreadable, oversized or malformed file, an
    alias bomb or a duplicate key is one line."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"{what} {path} is larger than {MAX_CONFIG_BYTES >> 20} MiB; a config is a few kB "
                "(put data in data files, not in the config)"
            )
        return parse_yaml(raw.decode("utf-8"), f"{what} {path}")
    except FileNotFoundError:
        raise ConfigError(f"{what} file not found: {path}; check the path") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {path} is a directory; give the YAML file inside it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {' '.join(str(exc).split())}") from None


def parse_yaml(text: str, what: str = "config") -> Any:
    """Safe-load ``text`` after checking its node graph: expanded size bounded, no duplicate keys."""
    loader = _CheckedLoader(text, what)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, what)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_message(exc, what)) from None
    finally:
        loader.dispose()


class _CheckedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses a mapping with the same key twice (merge keys aside)."""

    def __init__(self, text: str, what: str) -> None:
        super().__init__(text)
        self.what = what

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[tuple[str, str], int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = (key_node.tag, key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ConfigError(
                    f"duplicate key {shown(key_node.value)} in {self.what} at line {line} "
                    f"(first at line {seen[key]}); keep one of them"
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _check_expansion(root: yaml.Node, what: str) -> None:
    """Raise when the document, aliases expanded, has more than ``MAX_EXPANDED_NODES`` nodes.

    Sizes are memoised per node, so checking costs the size of the file, not of the expansion."""
    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def size(node: yaml.Node) -> int:
        ident = id(node)
        if ident in sizes:
            return sizes[ident]
        if ident in busy:
            raise ConfigError(f"{what}: an alias refers to itself (a recursive structure); remove it")
        busy.add(ident)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(key) + size(value) for key, value in node.value)
        busy.discard(ident)
        if total > MAX_EXPANDED_NODES:
            line = node.start_mark.line + 1
            raise ConfigError(
                f"{what}: the value at line {line} expands to more than {MAX_EXPANDED_NODES:,} "
                "YAML nodes through aliases (*name); write the values out or use fewer nested aliases"
            )
        sizes[ident] = total
        return total

    size(root)


_SHORT = reprlib.Repr()
_SHORT.maxstring = SHOWN_CHARS
_SHORT.maxother = SHOWN_CHARS
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxset = _SHORT.maxdict = 6
_SHORT.maxlevel = 3


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` cut to about ``limit`` characters, without building the full repr first."""
    text = _SHORT.repr(value)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    if len(text) > limit:
        text = f"{text[: limit - 3]}..."
    return text


def one_line(message: str, limit: int = 1000) -> str:
    """An error message as one printable line of at most about ``limit`` characters: control
    characters become spaces; a longer message keeps its start and its end (where the fix is)."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in message).split())
    if len(text) <= limit:
        return text
    tail = limit // 4
    return f"{text[: limit - tail]} ... ({len(text) - limit:,} characters cut) ... {text[-tail:]}"


def yaml_message(exc: yaml.YAMLError, what: str) -> str:
    """'malformed YAML in WHAT at line L, column C: problem; fix the syntax'."""
    where, problem = "", "invalid syntax"
    if isinstance(exc, yaml.MarkedYAMLError):
        if exc.problem_mark is not None:
            where = f" at line {exc.problem_mark.line + 1}, column {exc.problem_mark.column + 1}"
        problem = exc.problem or problem
    return f"malformed YAML in {what}{where}: {problem}; fix the syntax"


def _section(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel]:
    """The model whose keys sit at ``loc``: fields lead into sub-models; list indexes and mapping
    keys (no field of that name) stay in the model the container holds."""
    current = model
    for part in loc:
        field = current.model_fields.get(str(part))
        if field is not None:
            current = _model_in(field.annotation) or current
    return current


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The first BaseModel inside an annotation: X, X | None, list[X], dict[str, X]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
