"""Machines and the user's dated price table, as the planner reads them.

A price table is YAML the user keeps (prices change; the planner never invents one)::

    date: 2026-12-01
    currency: USD
    source: on-demand list prices, eu-west
    machines:
      - {name: c16-m64, cores: 16, mem: 64GiB, per_month: 410}
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vecbench.core.config import read_yaml, validation_message
from vecbench.errors import ConfigError

UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
         "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*$")


def parse_bytes(text: str) -> int:
    """'64GiB', '64 GB', '1e9' -> bytes."""
    match = _SIZE.match(str(text))
    if match is None or match.group(2).lower() not in UNITS:
        raise ConfigError(f"memory size '{text}' is not understood; write it like 64GiB or 128GB")
    return int(float(match.group(1)) * UNITS[match.group(2).lower()])


@dataclass(frozen=True)
class Machine:
    name: str
    cores: int
    mem_bytes: int
    per_month: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "cores": self.cores,
            "mem_bytes": self.mem_bytes,
            "per_month": self.per_month,
        }


def parse_machine(text: str) -> Machine:
    """``cores=16,mem=64GiB`` -> a Machine (no price)."""
    fields: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or key.strip() not in ("cores", "mem"):
            raise ConfigError(f"--machine '{text}': write it as cores=16,mem=64GiB")
        fields[key.strip()] = value.strip()
    if set(fields) != {"cores", "mem"}:
        raise ConfigError(f"--machine '{text}': give both cores= and mem=, e.g. cores=16,mem=64GiB")
    try:
        cores = int(fields["cores"])
    except ValueError:
        raise ConfigError(f"--machine '{text}': cores must be a whole number") from None
    if cores < 1:
        raise ConfigError(f"--machine '{text}': cores must be at least 1")
    mem = parse_bytes(fields["mem"])
    if mem <= 0:
        raise ConfigError(f"--machine '{text}': mem must be positive")
    return Machine(f"{cores}c-{mem / 2**30:g}GiB", cores, mem)


class PricedMachine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    cores: int = Field(ge=1)
    mem: str
    per_month: float = Field(gt=0)

    @field_validator("mem", mode="before")
    @classmethod
    def _mem_text(cls, value: Any) -> str:
        return str(value)


class PriceTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    date: datetime.date
    currency: str
    source: str = "user price table"
    machines: list[PricedMachine] = Field(min_length=1)

    def priced(self) -> list[Machine]:
        return [Machine(m.name, m.cores, parse_bytes(m.mem), m.per_month) for m in self.machines]

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "currency": self.currency, "source": self.source}


def load_prices(path: str | Path) -> PriceTable:
    data = read_yaml(Path(path))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a price table is a mapping with date, currency and machines")
    try:
        return PriceTable.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, str(path), PriceTable)) from None


def machines_for(machine: Machine | None, prices: PriceTable | None) -> list[Machine]:
    """The machines to plan on: the one given (priced when the table lists its shape), else every
    priced machine, else the default of 16 cores and 64 GiB."""
    if machine is None:
        return prices.priced() if prices is not None else [Machine("16c-64GiB", 16, 64 * 2**30)]
    if prices is None:
        return [machine]
    same = [m for m in prices.priced() if m.cores == machine.cores and m.mem_bytes == machine.mem_bytes]
    if not same:
        raise ConfigError(
            f"--machine {machine.name}: the price table lists no machine with {machine.cores} cores and "
            f"{machine.mem_bytes / 2**30:g} GiB; add it there or drop --machine to plan on its machines"
        )
    return same[:1]
