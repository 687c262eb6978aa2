"""The ``load:`` block of an index entry: how requests arrive, for how long, and from how many clients.

Each rate (open loop) or client count (closed loop) is one more result row. The block is a
mapping, or a list of mappings when one index should be driven both ways (one build serves all).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Far above any real use; a typo such as duration_s: 1e9 is a one-line error, not a run that never ends.
MAX_DURATION_S = 3600.0
MAX_RATE = 1_000_000.0
MAX_CLIENTS = 256


class Burst(BaseModel):
    """On/off bursts: for ``on_s`` seconds the rate is ``factor`` times the base rate, then
    ``off_s`` seconds at the base rate, repeated from the start of the warm-up."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    on_s: float = Field(gt=0, le=MAX_DURATION_S)
    off_s: float = Field(gt=0, le=MAX_DURATION_S)
    factor: float = Field(gt=0, le=1000)


class LoadSpec(BaseModel):
    """One load sweep. ``mode: open``: requests arrive on a schedule at each ``rate`` (req/s),
    whatever the service does, and latency counts from each request's intended start (no
    coordinated omission); ``clients`` is how many requests may be in service at once. ``mode:
    closed``: each of ``clients`` clients sends its next request when the last one answered."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["open", "closed"]
    rate: list[float] | None = None
    clients: list[int] | None = None
    arrivals: Literal["constant", "poisson"] = "constant"
    burst: Burst | None = None
    duration_s: float = Field(default=10.0, gt=0, le=MAX_DURATION_S)
    warmup_s: float = Field(default=1.0, ge=0, le=MAX_DURATION_S)
    timeout_s: float = Field(
        default=10.0, gt=0, le=MAX_DURATION_S, description="a slower request counts as a timeout"
    )
    served: bool = Field(default=False, description="drive the index through its HTTP service on 127.0.0.1")
    seed: int = Field(default=0, ge=0)
    # Not part of the measurement (left out of point keys): what the saturation point is judged by.
    p99_limit_ms: float = Field(
        default=10.0, gt=0, description="saturation: the highest rate whose p99 stays below"
    )

    @model_validator(mode="after")
    def _check(self) -> LoadSpec:
        if self.mode == "open":
            if not self.rate:
                raise ValueError("mode: open needs rate: [requests per second, ...]")
            if any(not 0 < r <= MAX_RATE for r in self.rate):
                raise ValueError(f"every rate must be in (0, {MAX_RATE:g}] requests/s")
        else:
            if not self.clients:
                raise ValueError("mode: closed needs clients: [1, 2, ...]")
            if self.rate is not None or self.burst is not None or self.arrivals != "constant":
                raise ValueError(
                    "rate, arrivals and burst belong to mode: open; a closed loop has clients only"
                )
        if self.clients is not None and any(not 1 <= c <= MAX_CLIENTS for c in self.clients):
            raise ValueError(f"every clients value must be in [1, {MAX_CLIENTS}]")
        return self

    def points(self) -> list[LoadPoint]:
        """One point per rate x clients (open) or per client count (closed)."""
        clients = self.clients or [1]
        if self.mode == "closed":
            return [LoadPoint(self, None, c) for c in clients]
        return [LoadPoint(self, float(r), c) for r in self.rate or () for c in clients]


class LoadPoint(BaseModel):
    """One row's load: its sweep, its offered rate (open) and its client count."""

    model_config = ConfigDict(frozen=True)

    spec: LoadSpec
    rate: float | None
    clients: int

    def __init__(self, spec: LoadSpec, rate: float | None, clients: int) -> None:
        super().__init__(spec=spec, rate=rate, clients=clients)

    def identity(self) -> dict[str, object]:
        """What the point key hashes: everything that changes the measurement."""
        spec = self.spec.model_dump(mode="json", exclude={"rate", "clients", "p99_limit_ms"})
        return {**spec, "rate": self.rate, "clients": self.clients}


def load_specs(value: LoadSpec | list[LoadSpec] | None) -> list[LoadSpec]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
