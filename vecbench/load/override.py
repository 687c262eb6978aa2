"""``vecbench run CONFIG --load '{mode: open, rate: [100, 200]}'``: one load block on every index
entry of a config, without editing it (entries keep a load block of their own)."""

from __future__ import annotations

from pydantic import ValidationError

from vecbench.bench.config import ExperimentConfig
from vecbench.core.config import parse_yaml, validation_message
from vecbench.errors import ConfigError
from vecbench.load.spec import LoadSpec


def with_load(config: ExperimentConfig, text: str) -> ExperimentConfig:
    data = parse_yaml(text, "--load")
    try:
        specs = (
            [LoadSpec.model_validate(d) for d in data]
            if isinstance(data, list)
            else [LoadSpec.model_validate(data)]
        )
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, "--load", LoadSpec)) from None
    indexes = [
        entry if entry.load is not None else entry.model_copy(update={"load": specs})
        for entry in config.indexes
    ]
    return config.model_copy(update={"indexes": indexes})
