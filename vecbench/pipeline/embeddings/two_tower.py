"""A two-tower retrieval model learned jointly for users and items (``embedding: {kind: two_tower}``).

- Item tower: an item-id embedding plus the mean embedding of the item's categories (genres),
  through one linear layer, L2-normalised.
- User tower: the mean input embedding of the user's last ``history`` items strictly before the
  moment in question (id and categories, as for items) through a two-layer MLP, L2-normalised.
  The logs carry no user features, so the history is the user's whole description.
- Training: every training event (u, i, t) is an example whose query is u's history strictly
  before t and whose positive is i; the other positives of the batch are the negatives (in-batch
  sampled softmax) with the logQ correction of Yi et al. (2019): each logit minus the log of its
  item's share of the training positives, so popular items are not punished for being sampled
  often. In-batch copies of the positive are masked. Only the training window is used.
- ``popularity_bias``: unit vectors and cosine logits cannot say that one item is simply more
  likely than another (every item has the same norm), while popularity is most of what MovieLens
  rewards. With it each item has a learned logit bias, started at its log share of the training
  positives; the index holds ``[v, T * b]`` and the query ``[u, 1]``, so the inner product ranks
  by ``u.v / T + b``, the trained logit (inner-product metric only).
- Reproducible: the batches come from a seeded numpy generator, torch runs seeded, deterministic
  and on one thread (restored afterwards), so the same log and seed give the same vectors.

Item vectors are the index; ``fold_in`` runs the user tower on a request's history, so every
adapter retrieves with the tower's queries (``native_users``: the user spec's mean is not used).
Needs the ``torch`` extra (``pip install 'vecbench[torch]'``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np

from vecbench.datasets.logs.base import InteractionLog
from vecbench.errors import ConfigError, DatasetError
from vecbench.indexes.base import Metric, ParamSpec
from vecbench.pipeline.embeddings.base import ItemEmbedder, ItemVectors


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ConfigError("embedding two_tower needs torch; install it with: pip install 'vecbench[torch]'") from None
    return torch


@contextmanager
def _reproducible(torch: Any, seed: int) -> Iterator[None]:
    """Seeded, deterministic, single-threaded torch for the duration (previous settings restored)."""
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def training_examples(train: InteractionLog, column: np.ndarray, history: int) -> tuple[np.ndarray, np.ndarray]:
    """(histories, positives): per training event with a past, the user's last ``history`` known
    items strictly before its time (column + 1, 0 pads, most recent last) and its own column."""
    order = np.lexsort((train.timestamp, train.user))
    users, items, times = train.user[order], column[train.item[order]], train.timestamp[order]
    bounds = np.searchsorted(users, np.arange(train.n_users + 1))
    rows: list[np.ndarray] = []
    positives: list[int] = []
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if b - a < 2:
            continue
        seq, stamps = items[a:b], times[a:b]
        firsts = np.searchsorted(stamps, stamps, side="left")  # events before this second only
        for j in range(1, b - a):
            past = seq[max(0, firsts[j] - history) : firsts[j]]
            past = past[past >= 0]
            if past.size == 0 or seq[j] < 0:
                continue
            row = np.zeros(history, dtype=np.int64)
            row[history - past.size :] = past + 1
            rows.append(row)
            positives.append(int(seq[j]))
    if not rows:
        raise DatasetError(f"{train.name}: no training event has an earlier event of its user; two_tower cannot train")
    return np.stack(rows), np.asarray(positives, dtype=np.int64)


def category_table(train: InteractionLog, items: np.ndarray) -> tuple[np.ndarray, int]:
    """Per known item its category ids (+1, 0 pads) as a padded matrix, and the number of ids."""
    names = sorted({c for i in items.tolist() for c in train.items.categories[i]})
    index = {c: n + 1 for n, c in enumerate(names)}
    width = max([len(train.items.categories[i]) for i in items.tolist()] + [1])
    table = np.zeros((items.size + 1, width), dtype=np.int64)  # row 0: the padding item
    for row, item in enumerate(items.tolist(), start=1):
        cats = [index[c] for c in train.items.categories[item]]
        table[row, : len(cats)] = cats
    return table, len(names) + 1


class _Towers:
    """The two towers' parameters and forward passes (built lazily so torch loads only here)."""

    def __init__(
        self, torch: Any, n_items: int, n_categories: int, categories: np.ndarray, dim: int, log_q: np.ndarray
    ) -> None:
        nn = torch.nn
        self.torch = torch
        self.categories = torch.as_tensor(categories)
        self.item_id = nn.Embedding(n_items + 1, dim, padding_idx=0)
        self.item_cat = nn.EmbeddingBag(n_categories, dim, mode="mean", padding_idx=0)
        self.item_out = nn.Linear(dim, dim)
        self.hist_id = nn.Embedding(n_items + 1, dim, padding_idx=0)
        self.hist_cat = nn.EmbeddingBag(n_categories, dim, mode="mean", padding_idx=0)
        self.user_mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        for table in (self.item_id, self.hist_id):
            nn.init.normal_(table.weight, std=0.05)
            with torch.no_grad():
                table.weight[0].zero_()
        self.bias = nn.Embedding(n_items + 1, 1)  # popularity_bias only; made last: the others' init is unchanged
        with torch.no_grad():
            self.bias.weight.zero_()
            self.bias.weight[1:, 0] = torch.as_tensor(log_q, dtype=torch.float32)
        self.modules = nn.ModuleList(
            [self.item_id, self.item_cat, self.item_out, self.hist_id, self.hist_cat, self.user_mlp, self.bias]
        )

    def items(self, rows: Any) -> Any:
        """Item vectors of index rows (row = column + 1)."""
        base = self.item_id(rows) + self.item_cat(self.categories[rows])
        return self.torch.nn.functional.normalize(self.item_out(base), dim=-1)

    def users(self, histories: Any) -> Any:
        """User vectors of padded histories (rows, 0 pads)."""
        mask = (histories > 0).float().unsqueeze(-1)
        flat = histories.reshape(-1)
        cats = self.hist_cat(self.categories[flat]).reshape(*histories.shape, -1)
        pooled = ((self.hist_id(histories) + cats) * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.torch.nn.functional.normalize(pooled + self.user_mlp(pooled), dim=-1)


class TwoTowerEmbedder(ItemEmbedder):
    name: ClassVar[str] = "two_tower"
    provides_user_factors: ClassVar[bool] = True
    param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "dim": ParamSpec(int, 64, "output dimension of both towers", minimum=2),
        "history": ParamSpec(int, 50, "the user tower reads this many most recent items", minimum=1),
        "epochs": ParamSpec(int, 10, "passes over the training events", minimum=1),
        "batch_size": ParamSpec(int, 512, "examples per step (and in-batch negatives)", minimum=2),
        "lr": ParamSpec(float, 0.005, "Adam learning rate", minimum=0.0),
        "weight_decay": ParamSpec(float, 0.0, "Adam L2 penalty", minimum=0.0),
        "temperature": ParamSpec(float, 0.05, "softmax temperature of the cosine logits", minimum=1e-4),
        "logq": ParamSpec(bool, True, "subtract log item frequency from the logits (sampling correction)"),
        "min_count": ParamSpec(int, 1, "items need this many training events", minimum=1),
        "popularity_bias": ParamSpec(bool, False, "a learned per-item logit bias, started at log popularity"),
        "seed": ParamSpec(int, 0, "seed of the initialisation and the batch order", minimum=0),
    }

    def fit(self, train: InteractionLog, metric: Metric) -> ItemVectors:
        torch = _torch()
        p = self.params
        counts = train.item_counts()
        items = np.flatnonzero(counts >= p["min_count"])
        if items.size < 2:
            raise DatasetError(f"{train.name}: only {items.size} item(s) have >= {p['min_count']} training events")
        column = np.full(train.n_items, -1, dtype=np.int64)
        column[items] = np.arange(items.size)
        bias = p["popularity_bias"]
        if bias and metric is not Metric.INNER_PRODUCT:
            raise ConfigError(
                f"embedding two_tower: popularity_bias ranks by inner product, not {metric.value}; "
                "drop the metric or set popularity_bias: false"
            )
        histories, positives = training_examples(train, column, p["history"])
        categories, n_categories = category_table(train, items)
        share = counts[items].astype(np.float64)
        log_q = np.log(share / share.sum())
        with _reproducible(torch, p["seed"]):
            towers = _Towers(torch, items.size, n_categories, categories, p["dim"], log_q)
            self._train(towers, histories, positives, log_q)
            with torch.no_grad():
                rows = torch.arange(1, items.size + 1)
                vectors = towers.items(rows).numpy().astype(np.float32)
                if bias:
                    offsets = p["temperature"] * towers.bias(rows).numpy().astype(np.float32)
                    vectors = np.hstack([vectors, offsets])
        last = p["history"]

        def fold_in(history: np.ndarray, weights: np.ndarray) -> np.ndarray:
            """The user tower on this history (its last ``history`` known items; weights unused:
            the tower was trained on a plain mean, so serving reads the history the same way)."""
            cols = column[history]
            cols = cols[cols >= 0][-last:]
            row = np.zeros((1, last), dtype=np.int64)
            row[0, last - cols.size :] = cols + 1
            with _reproducible(torch, 0), torch.no_grad():
                user = np.asarray(towers.users(torch.as_tensor(row))[0].numpy(), dtype=np.float32)
            return np.append(user, np.float32(1.0)) if bias else user

        description = f"two_tower dim={p['dim']} epochs={p['epochs']} T={p['temperature']} logq={p['logq']}"
        description += " popularity_bias" if bias else ""
        return ItemVectors(items, np.ascontiguousarray(vectors), metric, description, fold_in, native_users=True)

    def _train(self, towers: _Towers, histories: np.ndarray, positives: np.ndarray, log_share: np.ndarray) -> None:
        torch, p = towers.torch, self.params
        log_q = torch.as_tensor(log_share, dtype=torch.float32)
        optimiser = torch.optim.Adam(towers.modules.parameters(), lr=p["lr"], weight_decay=p["weight_decay"])
        rng = np.random.default_rng(p["seed"])
        hist_t, pos_t = torch.as_tensor(histories), torch.as_tensor(positives)
        size = p["batch_size"]
        for _ in range(p["epochs"]):
            order = torch.as_tensor(rng.permutation(len(positives)))
            for start in range(0, len(positives), size):
                batch = order[start : start + size]
                if batch.numel() < 2:
                    continue
                pos = pos_t[batch]
                logits = towers.users(hist_t[batch]) @ towers.items(pos + 1).T / p["temperature"]
                if p["popularity_bias"]:
                    logits = logits + towers.bias(pos + 1)[:, 0][None, :]
                if p["logq"]:
                    logits = logits - log_q[pos][None, :]
                same = (pos[:, None] == pos[None, :]) & ~torch.eye(len(pos), dtype=torch.bool)
                logits = logits.masked_fill(same, float("-inf"))  # a copy of the positive is no negative
                loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(pos)))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
