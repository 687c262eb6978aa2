"""Stage 2: order the candidates. Pluggable; three scorers here.

- ``similarity``: the exact user-item similarity alone;
- ``popularity_blend``: (1 - weight) * z(similarity) + weight * z(recency-weighted popularity);
- ``learned``: a gradient-boosted classifier (scikit-learn) over the candidate features, trained
  on the training window alone (see ``vecbench.pipeline.training``).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from vecbench.core.params import ParamSpec, resolve_params
from vecbench.core.registry import Registry
from vecbench.errors import ConfigError
from vecbench.pipeline.components import ComponentSpec


class Scorer(abc.ABC):
    name: ClassVar[str]
    needs_training: ClassVar[bool] = False
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {}

    def __init__(self, **params: Any) -> None:
        self.params = resolve_params(f"scorer {self.name}", self.param_specs, params)

    def fit(self, features: np.ndarray, labels: np.ndarray) -> None:  # noqa: B027 (optional hook)
        """Learn from labelled candidate features (only scorers with ``needs_training``)."""

    @abc.abstractmethod
    def score(self, features: np.ndarray) -> np.ndarray:
        """One score per candidate row; higher ranks first."""


def _z(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)


class SimilarityScorer(Scorer):
    name: ClassVar[str] = "similarity"

    def score(self, features: np.ndarray) -> np.ndarray:
        return features[:, 0]


class PopularityBlendScorer(Scorer):
    name: ClassVar[str] = "popularity_blend"
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "weight": ParamSpec(float, 0.2, "share of the recency-weighted popularity", minimum=0.0, maximum=1.0),
    }

    def score(self, features: np.ndarray) -> np.ndarray:
        w = self.params["weight"]
        return (1 - w) * _z(features[:, 0]) + w * _z(features[:, 2])


class LearnedScorer(Scorer):
    name: ClassVar[str] = "learned"
    needs_training: ClassVar[bool] = True
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "max_iter": ParamSpec(int, 100, "boosting rounds", minimum=1),
        "learning_rate": ParamSpec(float, 0.1, "shrinkage", minimum=0.0),
        "max_leaf_nodes": ParamSpec(int, 15, "leaves per tree", minimum=2),
        "seed": ParamSpec(int, 0, "random_state", minimum=0),
        "train_fraction": ParamSpec(
            float, 0.7, "inner cutoff inside the training window", minimum=0.05, maximum=0.99
        ),
        "max_requests": ParamSpec(int, 2000, "training requests sampled from the inner split", minimum=1),
    }

    def fit(self, features: np.ndarray, labels: np.ndarray) -> None:
        from sklearn.ensemble import HistGradientBoostingClassifier

        if labels.sum() == 0 or labels.sum() == labels.size:
            raise ConfigError(
                "scorer learned: the training window gives only one class of examples; "
                "use more data, a larger k_candidates or another scorer"
            )
        p = self.params
        self.model = HistGradientBoostingClassifier(
            max_iter=p["max_iter"],
            learning_rate=p["learning_rate"],
            max_leaf_nodes=p["max_leaf_nodes"],
            early_stopping=False,
            random_state=p["seed"],
        ).fit(features, labels)

    def score(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict_proba(features)[:, 1])


class ScorerSpec(ComponentSpec):
    """``{kind: learned, max_iter: 30}``: a scorer and its parameters (similarity by default)."""

    kind: str = "similarity"


SCORERS: Registry[type[Scorer]] = Registry(
    "scorer",
    {
        "similarity": "vecbench.pipeline.scoring:SimilarityScorer",
        "popularity_blend": "vecbench.pipeline.scoring:PopularityBlendScorer",
        "learned": "vecbench.pipeline.scoring:LearnedScorer",
    },
    base=Scorer,
)


def make_scorer(spec: ScorerSpec) -> Scorer:
    cls = SCORERS.get(spec.kind)
    return cls(**spec.params())
