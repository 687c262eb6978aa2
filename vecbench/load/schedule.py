"""When each open-loop request is meant to start: constant or Poisson arrivals, with on/off bursts.

Arrivals are first laid out at unit rate in "operational time" (1, 2, 3, ... or a Poisson process
of rate 1) and then mapped through the inverse of the cumulative intended rate, so a burst pattern
warps the same arrival process instead of being a second generator. The schedule is computed
before the run, so drawing random numbers never happens inside a timed region.
"""

from __future__ import annotations

import numpy as np

from vecbench.load.spec import Burst


def cumulative_rate(rate: float, burst: Burst | None, horizon_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints ``(t, Lambda(t))`` of the piecewise-linear expected arrival count up to ``horizon_s``."""
    if burst is None:
        return np.array([0.0, horizon_s]), np.array([0.0, rate * horizon_s])
    times, counts = [0.0], [0.0]
    t = 0.0
    while t < horizon_s:
        for length, r in ((burst.on_s, rate * burst.factor), (burst.off_s, rate)):
            end = min(t + length, horizon_s)
            counts.append(counts[-1] + r * (end - t))
            times.append(end)
            t = end
            if t >= horizon_s:
                break
    return np.asarray(times), np.asarray(counts)


def arrival_offsets_ns(
    rate: float, arrivals: str, horizon_s: float, burst: Burst | None = None, seed: int = 0
) -> np.ndarray:
    """Intended start of every request in ``[0, horizon_s)``, in ns from the start of the run."""
    times, counts = cumulative_rate(rate, burst, horizon_s)
    total = counts[-1]
    if arrivals == "poisson":
        rng = np.random.default_rng(seed)
        # about total + 10 sigma gaps always cover the horizon; the surplus is cut below
        n = int(total + 10 * np.sqrt(total) + 10)
        operational = np.cumsum(rng.exponential(1.0, size=n))
        operational = operational[operational < total]
    elif arrivals == "constant":
        operational = np.arange(0.0, total, 1.0)
    else:
        raise ValueError(f"unknown arrivals '{arrivals}'; use constant or poisson")
    seconds = np.interp(operational, counts, times)
    return np.round(seconds * 1e9).astype(np.int64)
