"""The planner: shards from memory, replicas from CPU time, feasibility, warnings, and its CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vecbench.capacity.planner import Target, plan
from vecbench.capacity.prices import Machine, load_prices, machines_for, parse_bytes, parse_machine
from vecbench.cli import main
from vecbench.errors import ConfigError

SIZES = np.array([10_000, 30_000, 100_000, 300_000])
GIB = 2**30


def measured(bytes_per_vector: float = 1000.0, cpu_ms: float = 0.5, p99_ms: float = 2.0) -> pd.DataFrame:
    """A size sweep of one configuration whose costs follow known laws (flat latency and CPU time)."""
    return pd.DataFrame(
        {
            "adapter": "faiss-hnsw",
            "build_params": '{"M":16}',
            "query_params": '{"ef_search":64}',
            "status": "ok",
            "n_base": SIZES,
            "dim": 32,
            "index_bytes": bytes_per_vector * SIZES,
            "latency_p99_ms": p99_ms * (1 + 1e-4 * np.arange(4)),
            "cpu_ms_per_query": cpu_ms * (1 + 1e-4 * np.arange(4)),
            "recall": 0.99 - 1e-4 * np.log(SIZES),
        }
    )


def test_shards_replicas_and_machines_follow_memory_and_cpu() -> None:
    machine = Machine("m", cores=16, mem_bytes=64 * GIB, per_month=100.0)
    answer = plan(measured(), Target(100_000_000, 4000, 10, 0.95), [machine], None)
    option = answer["families"]["faiss-hnsw"]
    # 1e11 bytes over 80% of 64 GiB -> 2 shards; one machine carries 16 cores * 50% / 0.5 ms = 16,000
    # QPS, so 4,000 QPS needs 1 replica
    assert option["shards"]["value"] == 2
    assert option["replicas"]["value"] == 1
    assert option["machines"]["value"] == 2 and option["cost_per_month"] == 200.0
    assert option["feasible"]
    assert answer["warnings"] and "333x" in answer["warnings"][0]
    # at 3.9 ms a machine carries 16 * 0.5 / 3.9 ms = 2,051 QPS: 4,000 QPS needs 2 replicas
    busy = plan(measured(cpu_ms=3.9), Target(1_000_000, 4000, 10, 0.95), [machine], None)
    assert busy["families"]["faiss-hnsw"]["replicas"]["value"] == 2


def test_infeasible_targets_say_why() -> None:
    answer = plan(measured(p99_ms=30.0), Target(1_000_000, 100, 10, 0.999), machines_for(None, None), None)
    option = answer["families"]["faiss-hnsw"]
    assert not option["feasible"]
    assert any("p99" in r for r in option["why_not"]) and any("recall" in r for r in option["why_not"])


def test_machines_and_prices_parse_and_refuse_nonsense(tmp_path: Path) -> None:
    assert parse_machine("cores=8,mem=32GiB") == Machine("8c-32GiB", 8, 32 * GIB)
    assert parse_bytes("1.5 GB") == 1_500_000_000
    for bad in ("cores=8", "cores=x,mem=1GiB", "mem=1GiB,cores=0", "cores=8,mem=lots"):
        with pytest.raises(ConfigError):
            parse_machine(bad)
    table = tmp_path / "prices.yaml"
    table.write_text(
        "date: 2026-12-01\ncurrency: EUR\nmachines:\n  - {name: a, cores: 16, mem: 64GiB, per_month: 300}\n"
    )
    prices = load_prices(table)
    assert machines_for(parse_machine("cores=16,mem=64GiB"), prices)[0].per_month == 300
    with pytest.raises(ConfigError, match="lists no machine"):
        machines_for(parse_machine("cores=4,mem=8GiB"), prices)
    table.write_text("currency: EUR\nmachines: []\n")
    with pytest.raises(ConfigError, match="date"):
        load_prices(table)


def test_plan_cli_prints_writes_json_and_a_report_section(
    sweep_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, md = tmp_path / "plan.json", tmp_path / "plan.md"
    args = [str(sweep_dir), "--items", "10e6", "--qps", "1000", "--p99-ms", "10", "--recall", "0.95"]
    assert (
        main(["plan", *args, "--machine", "cores=16,mem=64GiB", "--json", str(out), "--markdown", str(md)])
        == 0
    )
    assert "faiss-hnsw" in capsys.readouterr().out
    answer = json.loads(out.read_text())
    family = answer["families"]["faiss-hnsw"]
    for key in ("configuration", "memory_per_replica_bytes", "shards", "replicas"):
        assert key in family
    assert "interval_90" in family["memory_per_replica_bytes"]
    assert "heldout_rel_error" in family["per_shard"]["latency_p99_ms"]
    assert answer["warnings"]  # 10M is far beyond 1,200 items
    assert "## Capacity plan" in md.read_text() and "held-out" in md.read_text()


@pytest.mark.parametrize(
    "extra",
    [
        ["--items", "lots"],
        ["--items", "-5"],
        ["--recall", "1.5"],
        ["--machine", "cores=16"],
        ["--prices", "/nonexistent/prices.yaml"],
    ],
)
def test_plan_cli_bad_input_is_one_line_exit_2(
    sweep_dir: Path, extra: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    base = {"--items": "1e6", "--qps": "100", "--p99-ms": "10", "--recall": "0.9"}
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        base[flag] = value
    args = [part for pair in base.items() for part in pair]
    assert main(["plan", str(sweep_dir), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err


def test_plan_cli_refuses_a_folder_without_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--items", "1e6", "--qps", "100", "--p99-ms", "10", "--recall", "0.9"]
    assert main(["plan", str(tmp_path), *args]) == 2
    assert "holds no results" in capsys.readouterr().err


def test_the_example_price_table_loads() -> None:
    from tests.conftest import REPO_ROOT

    prices = load_prices(REPO_ROOT / "configs" / "prices.example.yaml")
    assert prices.date.isoformat() == "2026-12-01" and len(prices.priced()) == 3


def test_fanout_tail_is_the_slowest_of_s_shards_from_the_measured_latencies(tmp_path: Path) -> None:
    from vecbench.capacity.fanout import FanoutTail

    samples = np.arange(1, 10_001, dtype=np.float64)  # 1..10,000 ms: quantile q is about 10,000 q
    tail = FanoutTail(samples, 300_000)
    assert tail.factor(1) == 1.0
    assert tail.factor(2) == pytest.approx(np.quantile(samples, 0.99**0.5) / np.quantile(samples, 0.99))
    assert tail.resolved(10) and not tail.resolved(1000)  # 0.99^(1/1000) needs 100,000 samples
    assert tail.factor(1000) == pytest.approx(10_000 / np.quantile(samples, 0.99))  # the slowest sample

    # a heavy tail above p99: one shard meets 10 ms, but the slowest of 2 does not
    frame = measured(p99_ms=2.0)
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    heavy = np.concatenate([np.full(983, 1.0), np.full(10, 2.0), np.full(7, 50.0)]) * 1e6  # ns: p99 2, p99.5 50
    frame["raw_path"] = "raw/largest.npz"
    np.savez(raw_dir / "largest.npz", latencies_ns=heavy.astype(np.int64))
    machine = Machine("m", cores=16, mem_bytes=64 * GIB)
    target = Target(100_000_000, 1000, 10, 0.95)  # 1e11 bytes: 2 shards
    without = plan(frame, target, [machine], None)["families"]["faiss-hnsw"]
    sharded = plan(frame, target, [machine], None, tmp_path)
    option = sharded["families"]["faiss-hnsw"]
    assert without["feasible"] and option["shards"]["value"] == 2
    fanout = option["per_shard"]["fanout_p99_ms"]["value"]
    assert fanout == pytest.approx(option["per_shard"]["latency_p99_ms"]["value"] * 25.0, rel=0.05)
    assert not option["feasible"] and "fan-out p99 over 2 shards" in option["why_not"][0]
    assert any("0.99^(1/S)" in a for a in sharded["assumptions"])


def test_replicas_come_from_measured_throughput_under_load_where_a_load_sweep_ran() -> None:
    """At the largest size an open-loop sweep held p99 <= 10 ms up to 2,000 QPS on one busy core,
    while 4,000 QPS blew it: 16 cores carry 32,000 QPS, so 40,000 QPS needs 2 replicas (CPU time
    alone, 0.5 ms at 50% utilisation, would say 16,000 per machine and 3 replicas)."""
    static = measured()
    static["point_key"] = [f"q{i}" for i in range(len(static))]
    static["label"] = "faiss-hnsw"
    largest = static.iloc[-1]
    rates = [1000.0, 2000.0, 4000.0]
    load = pd.DataFrame(
        {
            "adapter": "faiss-hnsw",
            "label": "faiss-hnsw",
            "build_params": largest["build_params"],
            "query_params": largest["query_params"],
            "status": "ok",
            "n_base": largest["n_base"],
            "load_mode": "open",
            "offered_rate": rates,
            "achieved_qps": rates,
            "load_p99_ms": [1.0, 2.0, 50.0],
            "errors": 0,
            "cpu_utilisation": [0.5, 1.0, 1.0],
            "served": False,
            "arrivals": "poisson",
            "burst": None,
            "clients": None,
            "query_key": largest["point_key"],
            "p99_limit_ms": 5.0,
            "point_key": ["l1", "l2", "l3"],
        }
    )
    frame = pd.concat([static.assign(load_mode=None), load], ignore_index=True)
    machine = Machine("m", cores=16, mem_bytes=64 * GIB)
    answer = plan(frame, Target(1_000_000, 40_000, 10, 0.95), [machine], None)
    option = answer["families"]["faiss-hnsw"]
    assert option["replicas"]["value"] == 2 and option["replicas"]["from"] == "load sweep"
    assert any("load sweep" in a for a in answer["assumptions"])
    cpu_only = plan(static, Target(1_000_000, 40_000, 10, 0.95), [machine], None)["families"]["faiss-hnsw"]
    assert cpu_only["replicas"]["value"] == 3 and cpu_only["replicas"]["from"] == "single-thread CPU time"
