"""Pluggable pipeline components (embedders, scorers, re-rankers) as a config names them.

Each is ``{kind: NAME, ...parameters}``: the kind picks a class from its ``Registry`` (EMBEDDERS,
SCORERS, RERANKERS), and the class checks the parameters itself (``resolve_params``), so one spec
type and one registry type serve them all.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class ComponentSpec(BaseModel):
    """``{kind: NAME, ...}``: the kind and the parameters that go to its class."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: str

    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})
