"""Small regression models of a cost against base size n, with prediction intervals.

Every model is ordinary least squares on a transformed scale (``y`` or ``log y`` against a
feature of n), so one routine gives coefficients and the t-based prediction interval of a new
observation: yhat +- t(1 - a/2, m - p) * s * sqrt(1 + x0' (X'X)^-1 x0). A power law's interval is
computed on the log scale and mapped back, so it is asymmetric and stays positive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVEL = 0.90  # the prediction intervals' coverage


@dataclass(frozen=True)
class Model:
    """y (or log y when ``log_y``) = a + b * feature(n)."""

    name: str
    formula: str
    feature: Callable[[np.ndarray], np.ndarray]
    log_y: bool = False
    clip: tuple[float, float] | None = None  # recall stays in [0, 1]


MODELS: dict[str, Model] = {
    "linear": Model("linear", "a + b*n", lambda n: n),
    "nlogn": Model("nlogn", "a + b*n*ln(n)", lambda n: n * np.log(n)),
    "power": Model("power", "exp(a) * n^b", np.log, log_y=True),
    "log": Model("log", "a + b*ln(n)", np.log),
    "recall_log": Model("recall_log", "a + b*ln(n), clipped to [0, 1]", np.log, clip=(0.0, 1.0)),
    "recall_linear": Model("recall_linear", "a + b*n, clipped to [0, 1]", lambda n: n, clip=(0.0, 1.0)),
}


@dataclass(frozen=True)
class Fitted:
    """A model fitted to (n, y): coefficients and what the prediction interval needs."""

    model: Model
    coef: tuple[float, float]
    sizes: tuple[int, ...]
    resid_sd: float  # on the fitted scale; nan with no residual degrees of freedom
    xtx_inv: np.ndarray

    @property
    def dof(self) -> int:
        return len(self.sizes) - 2

    def predict(self, n: float, level: float = LEVEL) -> tuple[float, float, float]:
        """(prediction, lower, upper) at size n; the bounds are nan when the data cannot give them."""
        x0 = np.array([1.0, float(self.model.feature(np.array([float(n)]))[0])])
        centre = float(x0 @ np.array(self.coef))
        if self.dof > 0 and np.isfinite(self.resid_sd):
            half = float(stats.t.ppf(0.5 + level / 2, self.dof)) * self.resid_sd
            half *= float(np.sqrt(1.0 + x0 @ self.xtx_inv @ x0))
        else:
            half = float("nan")
        values = np.array([centre, centre - half, centre + half])
        if self.model.log_y:
            values = np.exp(values)
        if self.model.clip is not None:
            values = np.clip(values, *self.model.clip)
        # every cost modelled here is non-negative: a straight line's interval stops at zero
        values = np.maximum(values, 0.0)
        return float(values[0]), float(values[1]), float(values[2])


def fit(model: Model, sizes: np.ndarray, values: np.ndarray) -> Fitted | None:
    """Least squares on the model's scale; None with fewer than two sizes or a log of a non-positive."""
    n = np.asarray(sizes, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    if len(np.unique(n)) < 2 or (model.log_y and (y <= 0).any()):
        return None
    if model.log_y:
        y = np.log(y)
    x = np.column_stack([np.ones_like(n), model.feature(n)])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    dof = len(n) - 2
    resid = y - x @ coef
    sd = float(np.sqrt(resid @ resid / dof)) if dof > 0 else float("nan")
    return Fitted(
        model=model,
        coef=(float(coef[0]), float(coef[1])),
        sizes=tuple(int(v) for v in n),
        resid_sd=sd,
        xtx_inv=np.linalg.pinv(x.T @ x),
    )
