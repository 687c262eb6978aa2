"""Saturation point and headline from load rows (no worker: rows made by hand)."""

from __future__ import annotations

import pandas as pd

from vecbench.load.analysis import headline, saturation


def _frame() -> pd.DataFrame:
    static = [
        {"point_key": "q1", "load_mode": None, "recall": 0.95, "status": "ok"},
        {"point_key": "q2", "load_mode": None, "recall": 0.80, "status": "ok"},
    ]
    loads = []
    # q1: p99 under 10 ms up to 2000/s; 4000/s breaks it; a lucky 8000/s afterwards must not count
    for rate, p99, achieved in ((1000, 2.0, 1000), (2000, 8.0, 1990), (4000, 50.0, 3000), (8000, 9.0, 7900)):
        loads.append(
            {
                "query_key": "q1",
                "query_params": '{"ef":64}',
                "offered_rate": rate,
                "load_p99_ms": p99,
                "achieved_qps": achieved,
            }
        )
    # q2 (recall 0.80): faster, but below the recall the headline asks for
    for rate, p99 in ((1000, 1.0), (2000, 2.0), (4000, 3.0)):
        loads.append(
            {
                "query_key": "q2",
                "query_params": '{"ef":16}',
                "offered_rate": rate,
                "load_p99_ms": p99,
                "achieved_qps": rate,
            }
        )
    for row in loads:
        row.update(load_mode="open", status="ok", errors=0, p99_limit_ms=10.0, label="hnswlib", build_params="{}",
                   served=False, arrivals="poisson", burst=None, clients=1, point_key=f"{row['query_key']}-{row['offered_rate']}")  # fmt: skip
    return pd.DataFrame(static + loads)


def test_saturation_is_the_last_sustained_rate_before_the_first_miss() -> None:
    curves = saturation(_frame()).set_index("query_params")
    assert curves.loc['{"ef":64}', "saturation_rate"] == 2000
    assert curves.loc['{"ef":64}', "saturation_qps"] == 1990
    assert curves.loc['{"ef":16}', "saturation_rate"] == 4000
    assert curves.loc['{"ef":64}', "recall"] == 0.95


def test_headline_takes_the_fastest_point_that_meets_the_recall() -> None:
    top = headline(_frame(), recall_min=0.9)
    assert len(top) == 1
    assert top.iloc[0]["max_qps"] == 1990 and top.iloc[0]["at_query_params"] == '{"ef":64}'
    assert headline(_frame(), recall_min=0.5).iloc[0]["max_qps"] == 4000


def test_errors_or_an_unreached_rate_are_not_sustained() -> None:
    frame = _frame()
    frame.loc[(frame["query_key"] == "q2") & (frame["offered_rate"] == 2000), "errors"] = 3
    frame.loc[(frame["query_key"] == "q1") & (frame["offered_rate"] == 2000), "achieved_qps"] = 1500
    curves = saturation(frame).set_index("query_params")
    assert curves.loc['{"ef":16}', "saturation_rate"] == 1000
    assert curves.loc['{"ef":64}', "saturation_rate"] == 1000
