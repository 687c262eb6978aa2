"""pgvector values on the wire: the binary form of a ``vector`` parameter and of a COPY stream.

Sending vectors in PostgreSQL's binary format keeps the client's own work per query (and per row
while loading) to one byte-order conversion, so the timed searches time the server, not text
formatting on the client. Layout (pgvector's ``vector_recv``): int16 dimension, int16 unused, then
the float4 values, all big-endian.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
from psycopg.adapt import Dumper
from psycopg.pq import Format

COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)


def vector_bytes(vector: np.ndarray) -> bytes:
    values = np.asarray(vector, dtype=">f4").reshape(-1)
    return struct.pack(">HH", values.size, 0) + values.tobytes()


class VectorDumper(Dumper):
    """numpy 1-d float arrays as pgvector ``vector`` parameters, in binary; ``oid`` is set per
    connection (the type's oid depends on where the extension was created)."""

    format = Format.BINARY

    def dump(self, obj: Any) -> bytes:
        return vector_bytes(obj)


def bound_dumper(oid: int) -> type[VectorDumper]:
    return type("BoundVectorDumper", (VectorDumper,), {"oid": oid})


def copy_rows(ids: np.ndarray, vectors: np.ndarray) -> bytes:
    """The tuples of a binary COPY of (id int8, embedding vector), built by numpy in one pass."""
    n, dim = vectors.shape
    row = np.dtype(
        [
            ("fields", ">i2"),
            ("id_len", ">i4"),
            ("id", ">i8"),
            ("vec_len", ">i4"),
            ("dim", ">u2"),
            ("unused", ">u2"),
            ("values", ">f4", (dim,)),
        ]
    )
    out = np.empty(n, dtype=row)
    out["fields"], out["id_len"], out["id"] = 2, 8, ids
    out["vec_len"], out["dim"], out["unused"] = 4 + 4 * dim, dim, 0
    out["values"] = vectors
    return out.tobytes()
