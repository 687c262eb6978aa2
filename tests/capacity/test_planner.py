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
