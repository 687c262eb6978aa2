"""Load points through the runner: an injected stall seen open-loop and closed-loop, forked
process clients for an adapter that holds the GIL, and a served point over the socket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.load.histogram import merged, unpack
from vecbench.reports.store import ResultStore

FIXED = "vecbench.testing.load_adapters:FixedServiceAdapter"
COLUMNS = (
    "load_mode", "offered_rate", "clients", "achieved_qps", "load_p50_ms", "load_p90_ms", "load_p99_ms",
    "load_p999_ms", "load_max_ms", "errors", "timeouts", "queue_delay_share", "cpu_utilisation", "client_kind",
)  # fmt: skip


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    config: dict[str, Any] = {
        "name": "load-runs",
        "dataset": {"name": "synthetic", "n_base": 1000, "n_queries": 50, "seed": 0, "options": {"dim": 8}},
        "latency": False,
        "warmup_queries": 0,
        "indexes": [
            {
                # 1 ms per search and one 1 s stall, 0.7 s after each load point's first request
                "adapter": FIXED,
                "build": {"service_ms": 1.0},
                "query": {"stall_at_s": 0.7, "stall_s": 1.0},
                "load": [
                    {"mode": "open", "rate": [300], "duration_s": 2.0, "warmup_s": 0.3},
                    {"mode": "closed", "clients": [1], "duration_s": 1.2, "warmup_s": 0.3},
                    {"mode": "closed", "clients": [2], "duration_s": 0.5, "warmup_s": 0.1, "served": True},
                ],
            },
        ],
    }
    out = tmp_path_factory.mktemp("load-runs")
    Runner(parse_config(config), out, progress=False).run()
    frame = ResultStore(out).read()
    return frame, out


def _one(frame: pd.DataFrame, **match: Any) -> pd.Series:
    sel = frame
    for column, value in match.items():
        sel = sel[sel[column] == value]
    assert len(sel) == 1, sel
    return sel.iloc[0]


def test_every_load_row_carries_the_load_columns(rows: tuple[pd.DataFrame, Path]) -> None:
    frame, _ = rows
    assert (frame["status"] == "ok").all(), frame[["label", "error"]]
    loads = frame[frame["load_mode"].notna()]
    assert len(loads) == 3 and len(frame) == 4  # and the static row of the query point
    for column in COLUMNS:
        assert loads[column].notna().all() or column == "offered_rate", column
    assert (loads["errors"] == 0).all() and (loads["achieved_qps"] > 0).all()


def test_a_stall_is_seen_open_loop_and_hidden_closed_loop(rows: tuple[pd.DataFrame, Path]) -> None:
    frame, _ = rows
    open_row = _one(frame, load_mode="open")
    closed = _one(frame, load_mode="closed", clients=1, served=False)
    # every request arriving during the 1 s stall waits for it: 1% of 600 arrive in its first 20 ms
    assert open_row["load_p99_ms"] >= 900
    assert open_row["queue_delay_share"] > 0.5
    assert open_row["offered_rate"] == 300 and open_row["achieved_qps"] == pytest.approx(300, rel=0.15)
    # closed loop: the stall is one slow request among ~200 (its own figure, not the user's)
    assert closed["load_max_ms"] >= 900
    assert closed["load_p99_ms"] < 100
    assert closed["queue_delay_share"] == 0
    assert open_row["client_kind"] == closed["client_kind"] == "thread"


def test_gil_holding_adapter_gets_forked_process_clients() -> None:
    from vecbench.indexes.hnswlib_index import HnswlibAdapter
    from vecbench.load.clients import ClientPlan, run_processes
    from vecbench.load.workload import client_kind, in_process
    from vecbench.testing.load_adapters import GilHoldingServiceAdapter

    assert client_kind(GilHoldingServiceAdapter, served=False) == "process"
    assert client_kind(GilHoldingServiceAdapter, served=True) == "thread"  # clients wait on a socket
    assert client_kind(HnswlibAdapter, served=False) == "thread"
    adapter = GilHoldingServiceAdapter("euclidean", service_ms=0.5)
    queries = np.zeros((4, 8), dtype=np.float32)
    adapter.build(queries)
    plan = ClientPlan(clients=2, warmup_ns=50_000_000, duration_ns=300_000_000, timeout_ns=10**9)
    results, _, cpu_ns = run_processes(plan, in_process(adapter, queries, 3, 1))
    assert len(results) == 2 and all(r.requests > 20 and r.errors == 0 for r in results)
    latency = merged(unpack(*_packed([r.latency for r in results])))
    assert latency.get_total_count() == sum(r.requests for r in results)
    assert latency.get_value_at_percentile(50) >= 500_000
    assert cpu_ns > 0  # the clients' own CPU time, summed over processes


def _packed(encoded: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    from vecbench.load.histogram import pack

    packed = pack(encoded)
    return packed["bytes"], packed["offsets"]


def test_served_point_splits_server_and_round_trip(rows: tuple[pd.DataFrame, Path]) -> None:
    frame, _ = rows
    row = _one(frame, served=True)
    assert row["client_kind"] == "thread" and row["clients"] == 2
    assert row["server_p50_ms"] >= 1.0  # the index's own 1 ms, timed in the server
    assert row["roundtrip_p50_ms"] > 0 and row["load_p50_ms"] > row["server_p50_ms"]
    assert row["load_p50_ms"] < 50  # no 40 ms Nagle / delayed-ACK stall on the socket


def test_raw_histograms_recompute_the_row(rows: tuple[pd.DataFrame, Path]) -> None:
    frame, out = rows
    row = _one(frame, load_mode="open")
    with np.load(out / row["raw_path"]) as raw:
        histogram = merged(unpack(raw["latency_hist"], raw["latency_offsets"]))
    assert histogram.get_value_at_percentile(99.0) / 1e6 == row["load_p99_ms"]
    assert histogram.get_total_count() == row["load_requests"]


def test_results_table_shows_the_load_rows_and_headline(rows: tuple[pd.DataFrame, Path]) -> None:
    from vecbench.reports.table import format_results

    frame, _ = rows
    text = format_results(frame)
    assert "load (open: latency from each request's intended start" in text
    assert "no offered rate kept p99 <= 10 ms" in text  # the stall breaks the only rate


@pytest.mark.slow  # matplotlib: a few seconds
def test_report_section_draws_the_load_curves(rows: tuple[pd.DataFrame, Path]) -> None:
    from vecbench.reports.constraints import Constraints
    from vecbench.reports.html.context import ReportContext, colours_for
    from vecbench.reports.html.load_section import load_section
    from vecbench.reports.resultset import load_result_set

    _, out = rows
    rs = load_result_set(out)
    html = str(load_section(rs, ReportContext(colours_for(rs.frame), Constraints(), out_dir=out)))
    assert "Max QPS with p99" in html and "latency vs offered load" in html


def test_gate_compares_load_latency_from_the_histograms(rows: tuple[pd.DataFrame, Path]) -> None:
    from vecbench.bench.records import load_raw
    from vecbench.gate.policy import GatePolicy
    from vecbench.gate.samples import PointSamples, summarise
    from vecbench.gate.verdict import run_gate

    frame, out = rows
    row = _one(frame, load_mode="closed", clients=1, served=False)
    raw = load_raw(out / row["raw_path"])
    samples = PointSamples.from_raws([raw, raw], n_queries=50)
    assert samples.has("load_p99_ms") and samples.repeats == 2
    # (the median: this row's p99 sits on the step up to its one 1 s stall, where interpolating
    # between quantile samples is not the histogram's rule)
    pooled = samples.values("load_p50_ms", normalize=False).ravel()
    assert float(summarise("load_p50_ms", pooled)) == pytest.approx(row["load_p50_ms"], rel=0.01)
    verdict = run_gate(out, out, GatePolicy(bootstrap=200))
    compared = [c for c in verdict.checks if c.metric == "load_p99_ms"]
    assert len(compared) == 3 and verdict.exit_code == 0


def test_a_served_request_past_its_timeout_is_a_timeout_not_an_error() -> None:
    from vecbench.load.clients import ClientPlan, run_threads
    from vecbench.load.workload import over_http
    from vecbench.serve.process import forked_service
    from vecbench.testing.load_adapters import FixedServiceAdapter

    adapter = FixedServiceAdapter("euclidean", service_ms=300.0)
    adapter.build(np.zeros((4, 3), dtype=np.float32))
    body = b'{"vector": [0, 0, 0], "k": 2}'
    plan = ClientPlan(clients=1, warmup_ns=0, duration_ns=400_000_000, timeout_ns=100_000_000)
    with forked_service(adapter) as served:
        results, _, _ = run_threads(plan, over_http(served.host, served.port, [body], "/search", 0.1))
    assert results[0].timeouts >= 2 and results[0].errors == 0 and results[0].requests == 0
