"""A seeded synthetic interaction log with the structure real logs have.

- Zipf item popularity (exponent ``zipf_a``);
- users with a taste cluster: most picks come from items of that cluster (``taste_strength``);
- sessions: a user's events come in bursts a few minutes apart, sessions days apart;
- drift: at each new session a user moves to another taste cluster with probability ``drift``;
- a growing catalogue: ``initial_items`` of the items exist at the start, the rest are released
  evenly over the time span and can only be picked after their release.

Every draw comes from one ``numpy`` generator seeded by ``seed``, so the same options give the same log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from vecbench.core.params import ParamSpec, resolve_params
from vecbench.datasets.logs.base import InteractionLog, build_log

DAY = 86_400
START = 1_600_000_000  # 2020-09-13, an arbitrary fixed origin

OPTIONS: Mapping[str, ParamSpec] = {
    "n_users": ParamSpec(int, 1000, "users", minimum=1),
    "n_items": ParamSpec(int, 800, "catalogue size at the end of the log", minimum=2),
    "n_clusters": ParamSpec(int, 8, "taste clusters (each item belongs to one; its category)", minimum=1),
    "events_per_user": ParamSpec(float, 40.0, "mean events per user (geometric spread)", minimum=1.0),
    "session_length": ParamSpec(float, 6.0, "mean events per session", minimum=1.0),
    "days": ParamSpec(int, 180, "time span of the log in days", minimum=1),
    "zipf_a": ParamSpec(float, 1.0, "Zipf exponent of item popularity", minimum=0.0),
    "taste_strength": ParamSpec(
        float, 0.8, "share of picks from the user's current cluster", minimum=0.0, maximum=1.0
    ),
    "drift": ParamSpec(
        float, 0.15, "chance a user changes cluster at each new session", minimum=0.0, maximum=1.0
    ),
    "initial_items": ParamSpec(
        float, 0.6, "share of items available from the start", minimum=0.01, maximum=1.0
    ),
}


def generate_log(seed: int = 0, **options: Any) -> InteractionLog:
    """Draw a log; see the module docstring for what each option controls."""
    p = resolve_params("synthetic log", OPTIONS, options)
    rng = np.random.default_rng(seed)
    n_items, n_clusters = p["n_items"], p["n_clusters"]
    span = p["days"] * DAY
    item_cluster = rng.integers(0, n_clusters, n_items)
    popularity = 1.0 / np.arange(1, n_items + 1) ** p["zipf_a"]
    popularity = popularity[rng.permutation(n_items)]
    n_initial = max(1, round(p["initial_items"] * n_items))
    release = np.zeros(n_items, dtype=np.int64)
    release[n_initial:] = np.sort(rng.uniform(0, span, n_items - n_initial)).astype(np.int64)
    release = release[rng.permutation(n_items)]

    users: list[np.ndarray] = []
    items: list[np.ndarray] = []
    times: list[np.ndarray] = []
    for user in range(p["n_users"]):
        n_events = int(rng.geometric(1.0 / p["events_per_user"]))
        cluster = int(rng.integers(n_clusters))
        clock = float(rng.uniform(0, span * 0.8))
        seen = np.zeros(n_items, dtype=bool)
        done = 0
        while done < n_events and clock < span:
            if done and rng.random() < p["drift"]:
                cluster = int(rng.integers(n_clusters))
            size = min(n_events - done, int(rng.geometric(1.0 / p["session_length"])))
            stamps = clock + np.cumsum(rng.exponential(300.0, size))
            weights = popularity * np.where(
                item_cluster == cluster,
                p["taste_strength"],
                (1 - p["taste_strength"]) / max(1, n_clusters - 1),
            )
            available = (release <= clock) & ~seen
            weights = np.where(available, weights, 0.0)
            size = min(size, int(available.sum()))
            if size == 0:
                break
            picked = rng.choice(n_items, size=size, replace=False, p=weights / weights.sum())
            seen[picked] = True
            users.append(np.full(size, user))
            items.append(picked)
            times.append(stamps[:size])
            done += size
            clock = float(stamps[size - 1]) + rng.exponential(5.0 * DAY)
    catalogue = pd.DataFrame(
        {
            "item": [f"i{i}" for i in range(n_items)],
            "title": [f"item {i} (cluster {c})" for i, c in enumerate(item_cluster)],
            "categories": [(f"cluster-{c}",) for c in item_cluster],
            "released": pd.to_datetime(START + release, unit="s"),
        }
    )
    described = ", ".join(f"{k}={v}" for k, v in p.items())
    return build_log(
        "synthetic",
        np.concatenate(users),
        np.char.add("i", np.concatenate(items).astype(str)),
        (START + np.concatenate(times)).astype(np.int64),
        catalogue=catalogue,
        source=f"synthetic log ({described}, seed={seed})",
    )
