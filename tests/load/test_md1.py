"""At 50% utilisation of a fixed-service-time adapter, open-loop Poisson load reproduces the M/D/1
queue: its p99 (and p90) match the model within 10%. Slow: 60 s of load for a stable p99.

The model's service time is the one the adapter delivered (the median of the measured send-to-answer
times: a sleep of 10 ms plus the kernel's wake-up delay), so the check is on the queueing the
generator produces, not on the machine's timer."""

from __future__ import annotations

import pytest

from vecbench.load.clients import ClientPlan, run_threads
from vecbench.load.histogram import merged, pack, unpack
from vecbench.load.queueing import md1_response_quantile
from vecbench.load.schedule import arrival_offsets_ns
from vecbench.load.workload import in_process
from vecbench.testing.load_adapters import FixedServiceAdapter

# 10 ms: long against the kernel's wake-up delays on a busy machine; 3,000 requests for the p99
SERVICE_S = 0.010
RATE = 50.0  # utilisation 0.5


@pytest.mark.slow
def test_open_loop_matches_md1_at_half_utilisation() -> None:
    import numpy as np

    adapter = FixedServiceAdapter("euclidean", service_ms=SERVICE_S * 1e3)
    data = np.zeros((10, 4), dtype=np.float32)
    adapter.build(data)
    warmup, duration = 2.0, 60.0
    schedule = arrival_offsets_ns(RATE, "poisson", warmup + duration, seed=11)
    plan = ClientPlan(1, int(warmup * 1e9), int(duration * 1e9), 10**10, schedule)
    results, _, _ = run_threads(plan, in_process(adapter, data, 1, 1))
    packed = pack([r.latency for r in results])
    histogram = merged(unpack(packed["bytes"], packed["offsets"]))
    service_packed = pack([r.service for r in results])
    service = merged(unpack(service_packed["bytes"], service_packed["offsets"]))
    delivered = service.get_value_at_percentile(50) / 1e9
    spread = service.get_value_at_percentile(90) / 1e9
    print(
        f"service p50 {delivered * 1e3:.3f} ms, p90 {spread * 1e3:.3f} ms, utilisation {RATE * delivered:.3f}"
    )
    found = []
    for q in (90.0, 99.0):
        measured = histogram.get_value_at_percentile(q) / 1e9
        model = md1_response_quantile(q / 100, RATE, delivered)
        print(f"p{q:g}: measured {measured * 1e3:.3f} ms, M/D/1 {model * 1e3:.3f} ms")
        found.append((measured, model))
    assert spread < 1.1 * delivered, (
        "the service time was not near-fixed: the machine is too busy for this check"
    )
    for measured, model in found:
        assert measured == pytest.approx(model, rel=0.10)
