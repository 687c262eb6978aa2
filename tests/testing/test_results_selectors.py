"""``assert_metric`` with a selector that matches nothing says which one and what is known."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gate.fabricate import FakePoint, fabricate
from vecbench.testing.results import Results


def test_a_selector_that_matches_nothing_names_the_known_values(tmp_path: Path) -> None:
    results = Results(fabricate(tmp_path / "r", [FakePoint("a"), FakePoint("b", label="faiss-hnsw")]))
    with pytest.raises(AssertionError, match=r"adapter='hnsw' matches no point; known adapters: 'faiss-hnsw', 'hnswlib'"):
        results.assert_metric("recall@10", at_least=0.9, adapter="hnsw")
    with pytest.raises(AssertionError, match=r"ef=7 matches no point; known efs: 32"):
        results.assert_metric("recall", at_least=0.9, adapter="hnswlib", ef=7)
    with pytest.raises(AssertionError, match=r"no point has a column or parameter 'nprobe'"):
        results.assert_metric("recall", at_least=0.9, nprobe=4)
    assert len(results.assert_metric("recall@10", at_least=0.9, adapter="hnswlib")) == 1
