"""Quantized adapters: bytes per vector from the serialized index follow the codec; refine helps."""

from __future__ import annotations

import pytest

from vecbench.errors import ConfigError
from vecbench.indexes.registry import get_adapter_class
from vecbench.testing.conformance import make_data, recall

N = 2000


def bytes_per_vector(name: str, **build: object) -> float:
    data = make_data(n=N)
    adapter = get_adapter_class(name)("euclidean", **build)
    adapter.build(data.base)
    size = adapter.index_bytes()
    assert size is not None
    return size / N


def test_scalar_codecs_shrink_the_index_in_order() -> None:
    sizes = [bytes_per_vector("faiss-ivf-sq", nlist=8, qtype=q) for q in ("sq4", "sq8", "fp16")]
    flat = bytes_per_vector("faiss-ivf", nlist=8)
    assert sizes[0] < sizes[1] < sizes[2] < flat
    # 16-d: 8, 16 and 32 code bytes plus an 8-byte id per vector (and the fixed centroids)
    assert sizes[1] == pytest.approx(16 + 8, rel=0.1)


def test_usearch_codecs_shrink_the_index() -> None:
    i8, f16, b1 = (bytes_per_vector("usearch", dtype=d, M=8) for d in ("i8", "f16", "b1"))
    assert b1 < i8 < f16


def test_refine_depth_raises_recall_and_needs_refine() -> None:
    data = make_data(n=N)
    cls = get_adapter_class("faiss-ivf-rabitq")
    adapter = cls("euclidean", nlist=8, refine=True)
    adapter.build(data.base)
    truth = data.true_ids(adapter.metric)
    found = []
    for k_factor in (1, 8):
        adapter.set_query_params(nprobe=8, k_factor=k_factor)
        found.append(recall(adapter.search_batch(data.queries, 10), truth))
    assert found[1] > found[0] and found[1] > 0.95
    with pytest.raises(ConfigError, match="refine: true"):
        cls("euclidean", nlist=8).set_query_params(k_factor=4)


@pytest.mark.parametrize("name", ["faiss-ivf-rabitq", "faiss-binary-hnsw", "usearch"])
def test_k_factor_without_refine_is_refused_by_every_refining_adapter(name: str) -> None:
    adapter = get_adapter_class(name)("euclidean", refine=False)
    with pytest.raises(ConfigError, match="only applies with refine: true"):
        adapter.set_query_params(k_factor=4)
    adapter.set_query_params(k_factor=1)  # the default is fine without refine
