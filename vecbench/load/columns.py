"""The identifying columns of a load row (its measurements are metrics in the catalogue)."""

from __future__ import annotations

LOAD_COLUMNS: dict[str, str] = {
    "load_mode": "string",
    "offered_rate": "float64",
    "clients": "Int64",
    "arrivals": "string",
    "burst": "string",
    "served": "boolean",
    "client_kind": "string",
    "load_duration_s": "float64",
    "query_key": "string",
    "p99_limit_ms": "float64",
}
