"""Cost models: exact recovery of known laws, model choice by held-out error, honest intervals."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from vecbench.capacity.fits import fit_results, memory_constants
from vecbench.capacity.formulas import formula_bytes_per_vector
from vecbench.capacity.models import MODELS, fit

SIZES = np.array([10_000, 30_000, 100_000, 300_000, 1_000_000])


def frame(
    values: dict[str, np.ndarray], adapter: str = "faiss-hnsw", build: str = '{"M":16}'
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "adapter": adapter,
            "build_params": build,
            "query_params": '{"ef_search":64}',
            "status": "ok",
            "n_base": SIZES,
            "dim": 32,
            **values,
        }
    )


def test_linear_memory_is_recovered_and_predicts_the_largest_size_exactly() -> None:
    (result,) = fit_results(frame({"index_bytes": 4096 + 264.0 * SIZES}), ["index_bytes"])
    assert result.fitted.coef[1] == pytest.approx(264.0)
    assert result.held_out is not None and abs(result.held_out.rel_error) < 1e-9
    (row,) = memory_constants(frame({"index_bytes": 4096 + 264.0 * SIZES}), [result])
    assert row["faiss_wiki_bytes_per_vector"] == 4 * 32 + 2 * 16 * 4
    assert row["faiss_wiki_ratio"] == pytest.approx(264.0 / 256.0)


def test_build_time_model_is_chosen_by_held_out_error() -> None:
    rng = np.random.default_rng(0)
    power = 1e-5 * SIZES**1.3 * rng.uniform(0.98, 1.02, SIZES.size)
    nlogn = 2e-7 * SIZES * np.log(SIZES) * rng.uniform(0.98, 1.02, SIZES.size)
    (as_power,) = fit_results(frame({"build_s": power}), ["build_s"])
    (as_nlogn,) = fit_results(frame({"build_s": nlogn}), ["build_s"])
    assert as_power.fitted.model.name == "power" and as_power.chosen_by.startswith("held-out")
    assert as_nlogn.fitted.model.name == "nlogn"


def test_prediction_interval_covers_noisy_truth_and_widens_with_distance() -> None:
    rng = np.random.default_rng(1)
    noisy = 0.05 * SIZES**0.3 * np.exp(rng.normal(0, 0.05, SIZES.size))
    fitted = fit(MODELS["power"], SIZES, noisy)
    assert fitted is not None
    near, low_near, high_near = fitted.predict(1_000_000)
    far, low_far, high_far = fitted.predict(100_000_000)
    assert low_near < 0.05 * 1e6**0.3 < high_near
    assert (high_far - low_far) / far > (high_near - low_near) / near


def test_recall_decays_and_stays_a_fraction() -> None:
    recall = 1.02 - 0.01 * np.log(SIZES)
    (result,) = fit_results(frame({"recall": recall}), ["recall"])
    assert result.fitted.coef[1] == pytest.approx(-0.01)
    value, low, high = result.predict(1e12)
    assert 0.0 <= low <= value <= high <= 1.0


def test_too_few_sizes_give_no_fit_and_no_interval() -> None:
    two = frame({"index_bytes": 1.0 + SIZES}).iloc[:2]
    assert fit_results(two, ["index_bytes"]) == []
    three = frame({"latency_p99_ms": 0.1 * SIZES**0.2}).iloc[:3]
    (result,) = fit_results(three, ["latency_p99_ms"])
    assert "too few" in result.chosen_by
    assert result.held_out is not None and result.held_out.inside is None  # 2 points: no interval


def test_formulas_know_the_quantized_codecs() -> None:
    sq8 = formula_bytes_per_vector("faiss-ivf-sq", json.loads('{"qtype":"sq8"}'), 64)
    sq4 = formula_bytes_per_vector("faiss-ivf-sq", {"qtype": "sq4"}, 64)
    assert sq8["code_plus_id"] == 64 + 8 and sq4["code_plus_id"] == 32 + 8
    assert formula_bytes_per_vector("unknown-adapter", {}, 64) == {}


def test_effort_needed_for_a_recall_target_grows_with_n() -> None:
    from vecbench.capacity.fits import effort_for_recall

    rows = []
    for n, needed in zip(SIZES, (16, 32, 64, 128, 256), strict=True):
        for ef in (16, 32, 64, 128, 256):
            rows.append(
                {
                    "n_base": n,
                    "query_params": f'{{"ef_search":{ef}}}',
                    "recall": 0.99 if ef >= needed else 0.9,
                }
            )
    table = frame({}).iloc[:0]
    data = pd.DataFrame(rows).assign(adapter="faiss-hnsw", build_params='{"M":16}', status="ok")
    (result,) = effort_for_recall(pd.concat([table, data]), 0.95)
    assert result["param"] == "ef_search" and result["needed"][int(SIZES[0])] == 16
    assert result["b"] == pytest.approx(np.log(2) / np.log(3), rel=0.2)  # doubling per ~3.2x more items
    data.loc[data["n_base"] == SIZES[-1], "recall"] = 0.5
    (missed,) = effort_for_recall(data, 0.95)
    assert missed["unreached_at"] == [int(SIZES[-1])] and "b" not in missed
