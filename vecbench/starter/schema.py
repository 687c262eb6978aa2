"""The configs' JSON schemas, for editors (yaml-language-server, VS Code, PyCharm) and CI linters.

Generated from the pydantic models, so the schema cannot drift from what ``vecbench run``
accepts; ``docs/schema/`` holds the published copies, which a test keeps equal to these.
"""

from __future__ import annotations

import json
from typing import Any

KINDS = ("experiment", "pipeline")


def config_schema(kind: str = "experiment") -> dict[str, Any]:
    """The JSON schema (draft 2020-12) of an index-sweep config, or of a ``kind: pipeline`` one."""
    if kind == "pipeline":
        from vecbench.bench.pipeline_config import PipelineConfig

        schema = PipelineConfig.model_json_schema()
    else:
        from vecbench.bench.config import ExperimentConfig

        schema = ExperimentConfig.model_json_schema()
    return {**schema, "$schema": "https://json-schema.org/draft/2020-12/schema", "title": f"vecbench {kind} config"}


def schema_text(kind: str = "experiment") -> str:
    return json.dumps(config_schema(kind), indent=2, sort_keys=True) + "\n"
