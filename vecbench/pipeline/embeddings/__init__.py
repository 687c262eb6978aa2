"""Item embeddings for the pipeline: collaborative (from the training log), text (MiniLM), or supplied."""

from vecbench.pipeline.embeddings.base import EmbeddingSpec, ItemEmbedder, ItemVectors, make_embedder

__all__ = ["EmbeddingSpec", "ItemEmbedder", "ItemVectors", "make_embedder"]
