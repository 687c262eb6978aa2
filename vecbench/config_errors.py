"""One-line messages for a config that does not validate or does not parse: where, what, the fix.

Every YAML file vecbench reads (experiment, pipeline and gate-policy configs) is read by
``read_yaml`` and reports its mistakes the same way: an unknown key first (a typo usually explains a missing key too), with the closest
known key of the section it is in, then a missing key, then the first other problem.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from vecbench.errors import ConfigError, closest_hint


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
    """The parsed YAML of a config file; a missing, unreadable or malformed file is one line."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} file not found: {path}; check the path") from None
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_message(exc, f"{what} {path}")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {' '.join(str(exc).split())}") from None


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
