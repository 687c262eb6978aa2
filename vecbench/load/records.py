"""Load rows from raw files: client histograms merged exactly (across clients, processes and
repetitions), then throughput, percentiles, errors, queue-delay share and CPU utilisation."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from vecbench.bench.calibration import calibration_ms
from vecbench.load.histogram import merged, summary_ms, unpack
from vecbench.load.plan import LoadQueryPoint


def load_identity(point: LoadQueryPoint) -> dict[str, Any]:
    spec = point.load.spec
    return {
        "load_mode": spec.mode,
        "offered_rate": point.load.rate,
        "clients": point.load.clients,
        "arrivals": spec.arrivals if spec.mode == "open" else None,
        "burst": None if spec.burst is None else json.dumps(spec.burst.model_dump(), sort_keys=True),
        "served": spec.served,
        "load_duration_s": spec.duration_s,
        "query_key": point.query_key,
        "p99_limit_ms": spec.p99_limit_ms,
    }


def _hist(raws: Sequence[Mapping[str, np.ndarray]], name: str) -> Any:
    return merged(
        h
        for raw in raws
        if f"{name}_hist" in raw
        for h in unpack(raw[f"{name}_hist"], raw[f"{name}_offsets"])
    )


def _total(raws: Sequence[Mapping[str, np.ndarray]], name: str) -> int:
    return int(sum(int(np.sum(raw[name])) for raw in raws if name in raw))


def load_metrics(raws: Sequence[Mapping[str, np.ndarray]]) -> dict[str, Any]:
    """One load row's measurements over every repetition's raw file."""
    nan = float("nan")
    latency = _hist(raws, "latency")
    requests = _total(raws, "requests")
    # the measured window of each repetition: from the end of its warm-up to its last answer
    window_ns = sum(
        max(0, int(np.max(raw["last_ns"], initial=0)) - int(raw["t0_ns"][0]) - int(raw["warmup_ns"][0]))
        for raw in raws
    )
    wall_ns = _total(raws, "wall_ns")
    latency_sum = _total(raws, "latency_ns")
    out: dict[str, Any] = {
        "achieved_qps": requests / (window_ns / 1e9) if window_ns and requests else nan,
        **summary_ms(latency, "load"),
        "errors": _total(raws, "errors"),
        "timeouts": _total(raws, "timeouts"),
        "load_requests": requests,
        "queue_delay_share": _total(raws, "queue_ns") / latency_sum if latency_sum else nan,
        "cpu_utilisation": _total(raws, "cpu_ns") / wall_ns if wall_ns else nan,
        "client_kind": str(raws[-1]["client_kind"][0]),
        "calibration_ms": calibration_ms(
            np.concatenate([raw.get("calibration_ns", np.empty(0, np.int64)) for raw in raws])
        ),
    }
    service = summary_ms(_hist(raws, "service"), "service")
    out["service_p50_ms"], out["service_p99_ms"] = service["service_p50_ms"], service["service_p99_ms"]
    server = _hist(raws, "server")
    served = server.get_total_count() > 0
    server_ms = summary_ms(server, "server")
    out["server_p50_ms"] = server_ms["server_p50_ms"] if served else nan
    out["server_p99_ms"] = server_ms["server_p99_ms"] if served else nan
    out["server_cpu_utilisation"] = _total(raws, "server_cpu_ns") / wall_ns if served and wall_ns else nan
    noop = _hist(raws, "noop_latency")
    noop_ms = summary_ms(noop, "noop")
    out["roundtrip_p50_ms"] = noop_ms["noop_p50_ms"] if noop.get_total_count() else nan
    out["roundtrip_p99_ms"] = noop_ms["noop_p99_ms"] if noop.get_total_count() else nan
    return out


def load_base_row(
    experiment: str, dataset: Any, dataset_label: str, build: Any, point: LoadQueryPoint, k: int
) -> dict[str, Any]:
    """The identifying columns of a load row: its query point's, its own key, and the load settings."""
    from vecbench.bench.records import base_row
    from vecbench.bench.sweep import QueryPoint

    row = base_row(experiment, dataset, dataset_label, build, QueryPoint(point.params, point.key), k)
    row.update(load_identity(point))
    return row
