"""The M/D/1 queue (Poisson arrivals, one server, fixed service time): the model an open-loop
generator must reproduce on a fixed-service-time adapter, or its latencies are not the queue's.

Waiting time: Erlang's formula, P(W <= t) = (1 - rho) * sum_{k=0}^{floor(t/D)} [lam (kD - t)]^k / k!
* exp(-lam (kD - t)); response time is W + D. The alternating sum is exact in float64 for the
few-service-times range a percentile at moderate load needs (lam * t below about 30).
"""

from __future__ import annotations

import math


def md1_waiting_cdf(t: float, rate: float, service_s: float) -> float:
    rho = rate * service_s
    if not 0 < rho < 1:
        raise ValueError(f"utilisation {rho:g} is outside (0, 1): the queue has no steady state")
    if t < 0:
        return 0.0
    total = 0.0
    for k in range(math.floor(t / service_s) + 1):
        x = rate * (k * service_s - t)  # <= 0
        total += x**k / math.factorial(k) * math.exp(-x)
    return min(1.0, max(0.0, (1 - rho) * total))


def md1_response_quantile(q: float, rate: float, service_s: float) -> float:
    """The ``q`` quantile (0..1) of response time (wait + service) in seconds, by bisection."""
    lo, hi = 0.0, service_s
    while md1_waiting_cdf(hi, rate, service_s) < q:
        hi *= 2
    for _ in range(100):
        mid = (lo + hi) / 2
        if md1_waiting_cdf(mid, rate, service_s) < q:
            lo = mid
        else:
            hi = mid
    return hi + service_s
