"""PostgreSQL with pgvector: an HNSW or IVFFlat index in a real server, searched over its socket.

Without a ``dsn`` the adapter starts its own server (``vecbench.servers.postgres``) when it builds
and stops it at ``close``; with one it uses that server and creates everything inside a new schema
of its own, which it drops at ``close`` (nothing it did not create is ever dropped). The table is
loaded with one binary COPY, then indexed; both phases are timed separately and the table is
verified (row count, an exact self-query, the index valid and chosen by the planner) before any
search. Sequential scans are disabled in the searching session so every search is an index scan.

Distances are pgvector's own: L2 (``<->``), negative inner product (``<#>``) and cosine distance
(``<=>``), each with its index operator class. A filtered search joins the table with the passing
ids (one table per filter, made outside the timed region); pgvector's HNSW scan stops after
``ef_search`` candidates, so at low pass-rates it returns fewer than k rows, as it does in use.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from vecbench.core.errors import ConfigError, UnsupportedError
from vecbench.indexes.base import Capabilities, ConformanceGrid, Metric, ParamSpec, SearchResult, pad_ids
from vecbench.indexes.pg_wire import COPY_HEADER, COPY_TRAILER, bound_dumper, copy_rows
from vecbench.indexes.remote import PROBE_QUERIES, ROUND_TRIPS, RemoteAdapter, RemoteProbe
from vecbench.servers.postgres import PostgresServer
from vecbench.servers.process import tree_memory_bytes

OPERATORS = {Metric.EUCLIDEAN: "<->", Metric.INNER_PRODUCT: "<#>", Metric.ANGULAR: "<=>"}
OPCLASSES = {
    Metric.EUCLIDEAN: "vector_l2_ops",
    Metric.INNER_PRODUCT: "vector_ip_ops",
    Metric.ANGULAR: "vector_cosine_ops",
}
MAX_INDEX_DIM = 2000  # pgvector 0.6: hnsw and ivfflat index at most 2,000 dimensions
COPY_CHUNK_ROWS = 20_000


def shown_dsn(dsn: str) -> str:
    """The dsn without its password, for messages and logs."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "<unparsable dsn>"
    parts.pop("password", None)
    return make_conninfo(**parts)  # type: ignore[arg-type]


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def connect_error(dsn: str, exc: BaseException) -> ConfigError:
    return ConfigError(
        f"pgvector: cannot connect to PostgreSQL at '{shown_dsn(dsn)}': {first_line(exc)}; check the "
        "index entry's dsn: (host, port, user, password via PGPASSWORD or ~/.pgpass), or remove it to let "
        "vecbench start its own server"
    )


def require_extension(conn: psycopg.Connection[Any], dsn: str) -> None:
    """A user's database must have pgvector already: vecbench creates nothing outside its schema
    there (an extension is shared by every schema, so it could never safely drop it again)."""
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone() is None:
        raise ConfigError(
            f"pgvector: the database at '{shown_dsn(dsn)}' has no vector extension; run "
            "'CREATE EXTENSION vector;' in it (vecbench creates nothing outside its own schema there)"
        )


class PgvectorAdapter(RemoteAdapter):
    """pgvector's ``hnsw`` or ``ivfflat`` index on a table ``items(id int8, embedding vector(d))``."""

    name: ClassVar[str] = "pgvector"
    capabilities: ClassVar[Capabilities] = Capabilities(
        metrics=frozenset(Metric),
        add=True,
        delete=True,
        native_filter=True,
        remote=True,
        effort_param="ef_search",
    )
    libraries: ClassVar[tuple[str, ...]] = ("psycopg", "pgserver")
    conformance: ClassVar[ConformanceGrid] = ConformanceGrid(
        build={"index": "hnsw", "m": 8, "ef_construction": 32},
        thorough={"ef_search": 400},
        effort=(10, 40, 160, 640),
        tiny_build={"index": "hnsw", "m": 4, "ef_construction": 16},
    )
    build_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "index": ParamSpec(str, "hnsw", "pgvector index type", choices=("hnsw", "ivfflat")),
        "m": ParamSpec(int, 16, "hnsw: neighbours per node", minimum=2, maximum=100),
        "ef_construction": ParamSpec(
            int, 64, "hnsw: candidate list while building (>= 2*m)", minimum=4, maximum=1000
        ),
        "lists": ParamSpec(int, 100, "ivfflat: inverted lists (k-means centroids)", minimum=1, maximum=32768),
        "maintenance_work_mem": ParamSpec(
            str, "512MB", "memory for the index build (an HNSW graph that fits builds fast)"
        ),
        "build_workers": ParamSpec(
            int, 0, "parallel maintenance workers for the build", minimum=0, maximum=64
        ),
        "dsn": ParamSpec(str, "", "the user's server (postgresql://...); empty: vecbench starts its own"),
    }
    query_param_specs: ClassVar[Mapping[str, ParamSpec]] = {
        "ef_search": ParamSpec(
            int, 40, "hnsw: candidate list per query (also caps the rows returned)", minimum=1, maximum=1000
        ),
        "probes": ParamSpec(int, 1, "ivfflat: lists searched per query", minimum=1, maximum=32768),
    }

    def __init__(self, metric: Metric | str, **build_params: Any) -> None:
        super().__init__(metric, **build_params)
        p = self.build_params
        if p["index"] == "hnsw" and p["ef_construction"] < 2 * p["m"]:
            raise ConfigError(
                f"pgvector: ef_construction={p['ef_construction']} must be at least 2*m={2 * p['m']}"
            )
        self.server: PostgresServer | None = None
        self.conn: psycopg.Connection[Any] | None = None
        self.schema = f"vecbench_{os.getpid()}_{secrets.token_hex(4)}"
        self.created_schema = False
        self._next_id = 0

    # ---- connecting --------------------------------------------------------------------------
    @property
    def dsn(self) -> str:
        if self.build_params["dsn"]:
            return str(self.build_params["dsn"])
        if self.server is None:
            raise RuntimeError("pgvector: no server (build first)")
        return self.server.dsn

    def check_data(self, n_items: int, dim: int) -> None:
        if dim > MAX_INDEX_DIM:
            raise ConfigError(
                f"pgvector: {dim}-dimensional vectors cannot be indexed (pgvector 0.6's hnsw and ivfflat "
                f"take at most {MAX_INDEX_DIM} dimensions); reduce the dimension or use another adapter"
            )
        if self.build_params["dsn"]:  # an unreachable server fails here, before anything is built
            try:
                with psycopg.connect(self.dsn, connect_timeout=10) as conn:
                    require_extension(conn, self.dsn)
            except psycopg.Error as exc:
                raise connect_error(self.dsn, exc) from None

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise connect_error(self.dsn, exc) from None
        if self.created_schema:
            self._session(conn)
        return conn

    def _session(self, conn: psycopg.Connection[Any]) -> None:
        """Search path, the vector type's binary dumper, index-only plans, build and query settings."""
        row = conn.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'vector'"
        ).fetchone()
        where = [self.schema] + ([row[0]] if row and row[0] != self.schema else [])
        conn.execute(sql.SQL("SET search_path = {}").format(sql.SQL(", ").join(map(sql.Identifier, where))))
        oid = conn.execute("SELECT 'vector'::regtype::oid").fetchone()
        assert oid is not None
        conn.adapters.register_dumper(np.ndarray, bound_dumper(int(oid[0])))
        p = self.build_params
        conn.execute("SELECT set_config('maintenance_work_mem', %s, false)", (p["maintenance_work_mem"],))
        conn.execute(
            "SELECT set_config('max_parallel_maintenance_workers', %s, false)", (str(p["build_workers"]),)
        )
        conn.execute("SET enable_seqscan = off")  # measure the index, never a planner's table scan
        if self.is_built:
            self._set_query(conn, self.query_params)

    def _create_schema(self, conn: psycopg.Connection[Any]) -> None:
        """A new schema of our own (CREATE fails rather than reuse one), with pgvector if missing."""
        if self.server is not None:  # our own server: the extension is ours to create
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        else:
            require_extension(conn, self.dsn)
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
        self.created_schema = True
        self._session(conn)

    def _live(self) -> psycopg.Connection[Any]:
        """The session, reconnected (and our own server restarted) if the server went away."""
        conn = self.conn
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        if self.server is not None and not self.server.running():
            self.server.restart()
        self.conn = self._connect()
        return self.conn

    # ---- building ----------------------------------------------------------------------------
    def _build(self, data: np.ndarray) -> None:
        if not self.build_params["dsn"]:
            self.server = PostgresServer.start()
        self.conn = self._connect()
        self._create_schema(self.conn)
        conn, n, dim = self.conn, data.shape[0], data.shape[1]
        start = time.perf_counter()
        conn.execute(f"CREATE TABLE items (id int8 NOT NULL, embedding vector({dim}) NOT NULL)")
        self._copy(np.arange(n, dtype=np.int64), data)
        conn.execute("ANALYZE items")
        loaded = time.perf_counter()
        conn.execute(self._index_sql())
        self.load_s, self.index_build_s = loaded - start, time.perf_counter() - loaded
        self._next_id = n
        self._verify(data)

    def _copy(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        assert self.conn is not None
        with self.conn.cursor().copy("COPY items (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.write(COPY_HEADER)
            for at in range(0, len(ids), COPY_CHUNK_ROWS):
                copy.write(copy_rows(ids[at : at + COPY_CHUNK_ROWS], vectors[at : at + COPY_CHUNK_ROWS]))
            copy.write(COPY_TRAILER)

    def _index_sql(self) -> str:
        p, opclass = self.build_params, OPCLASSES[self.metric]
        if p["index"] == "hnsw":
            options = f"m = {int(p['m'])}, ef_construction = {int(p['ef_construction'])}"
        else:
            options = f"lists = {int(p['lists'])}"
        return (
            f"CREATE INDEX items_embedding ON items USING {p['index']} (embedding {opclass}) WITH ({options})"
        )

    def _verify(self, data: np.ndarray) -> None:
        """Refuse to search an incomplete table or an index the planner would not use."""
        conn = self._live()
        count = conn.execute("SELECT count(*) FROM items").fetchone()
        if count is None or int(count[0]) != data.shape[0]:
            raise RuntimeError(f"pgvector: the table holds {count and count[0]} rows, not {data.shape[0]}")
        valid = conn.execute(
            "SELECT i.indisvalid AND i.indisready FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'items_embedding' AND n.nspname = %s",
            (self.schema,),
        ).fetchone()
        if not valid or not valid[0]:
            raise RuntimeError("pgvector: the index is not valid after CREATE INDEX")
        with conn.transaction():  # an exact scan: each sampled item must find itself at distance 0
            conn.execute("SET LOCAL enable_indexscan = off")
            conn.execute("SET LOCAL enable_seqscan = on")
            for row in sorted({0, data.shape[0] // 2, data.shape[0] - 1}):
                found = conn.execute("SELECT min(embedding <-> %b) FROM items", (data[row],)).fetchone()
                if found is None or found[0] is None or found[0] > 1e-4:
                    raise RuntimeError(f"pgvector: item {row} is not in the table as loaded")
        plan = json.dumps(self._explain(data[0], 10, analyze=False))
        if '"items_embedding"' not in plan:
            raise RuntimeError("pgvector: the planner does not use the index for a nearest-neighbour query")

    # ---- querying ----------------------------------------------------------------------------
    def _apply_query_params(self, params: Mapping[str, Any]) -> None:
        self._set_query(self._live(), params)

    @staticmethod
    def _set_query(conn: psycopg.Connection[Any], params: Mapping[str, Any]) -> None:
        conn.execute("SELECT set_config('hnsw.ef_search', %s, false)", (str(params["ef_search"]),))
        conn.execute("SELECT set_config('ivfflat.probes', %s, false)", (str(params["probes"]),))

    def _query_sql(self, filtered: str | None = None, excluded: bool = False) -> str:
        op = OPERATORS[self.metric]
        where = []
        if filtered is not None:
            where.append(f"EXISTS (SELECT 1 FROM {filtered} f WHERE f.id = i.id)")
        if excluded:
            where.append("i.id <> ALL(%s)")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return f"SELECT i.id, i.embedding {op} %b FROM items i{clause} ORDER BY i.embedding {op} %b LIMIT %s"

    def _run(
        self, query: np.ndarray, k: int, sql_text: str, extra: tuple[Any, ...] = ()
    ) -> tuple[np.ndarray, np.ndarray]:
        params = (query, *extra, query, k) if extra else (query, query, k)
        rows = self._live().execute(sql_text, params, binary=True).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        distances = np.fromiter((r[1] for r in rows), dtype=np.float32, count=len(rows))
        return ids, distances

    def _search_batch(self, queries: np.ndarray, k: int) -> SearchResult:
        text = self._query_sql()
        return self._collect([self._run(q, k, text) for q in queries], k)

    def _search_one(self, query: np.ndarray, k: int) -> SearchResult:
        result = self._collect([self._run(query, k, self._query_sql())], k)
        return SearchResult(result.ids[0], result.distances[0])

    @staticmethod
    def _collect(found: list[tuple[np.ndarray, np.ndarray]], k: int) -> SearchResult:
        ids = np.full((len(found), k), -1, dtype=np.int64)
        distances = np.full((len(found), k), np.inf, dtype=np.float32)
        for row, (i, d) in enumerate(found):
            ids[row, : len(i)], distances[row, : len(d)] = i[:k], d[:k]
        return SearchResult(pad_ids(ids, k), distances)

    # ---- filters: the passing ids as a table, joined inside the index scan --------------------
    def filter_handle(
        self, allowed: np.ndarray, excluded: np.ndarray | None = None
    ) -> tuple[str, list[int] | None]:
        self._require_built()

        def fill_table(table: str, passing: np.ndarray) -> None:
            conn = self._live()
            conn.execute(f"CREATE TABLE {table} (id int8 PRIMARY KEY)")
            with conn.cursor().copy(f"COPY {table} (id) FROM STDIN") as copy:
                for value in passing.tolist():
                    copy.write_row((value,))
            conn.execute(f"ANALYZE {table}")

        table = self.mask_name(allowed, fill_table)
        ids = (
            None
            if excluded is None or len(excluded) == 0
            else [int(i) for i in np.asarray(excluded).tolist()]
        )
        return table, ids

    def search_filtered(
        self, queries: np.ndarray, k: int, handle: tuple[str, list[int] | None]
    ) -> SearchResult:
        table, excluded = handle
        text = self._query_sql(table, excluded is not None)
        extra = (excluded,) if excluded is not None else ()
        return self._collect([self._run(q, k, text, extra) for q in queries], k)

    # ---- add / delete ------------------------------------------------------------------------
    def add(self, vectors: np.ndarray, ids: np.ndarray | None = None) -> np.ndarray:
        self._require_built()
        prepared = self.prepare_vectors(np.asarray(vectors).reshape(-1, self.dim))
        if ids is None:
            ids = np.arange(self._next_id, self._next_id + prepared.shape[0], dtype=np.int64)
        ids = np.asarray(ids, dtype=np.int64)
        self._live()
        self._copy(ids, prepared)
        self._next_id = max(self._next_id, int(ids.max()) + 1) if ids.size else self._next_id
        self.n_items += prepared.shape[0]
        return ids

    def next_id(self) -> int:
        return self._next_id

    def delete(self, ids: np.ndarray) -> None:
        self._require_built()
        self._live().execute(
            "DELETE FROM items WHERE id = ANY(%s)", ([int(i) for i in np.asarray(ids).tolist()],)
        )

    # ---- what the server reports -------------------------------------------------------------
    def _explain(self, query: np.ndarray, k: int, analyze: bool, handle: Any = None) -> Any:
        text = self._query_sql(*(handle[0], handle[1] is not None) if handle else ())
        extra = (handle[1],) if handle and handle[1] is not None else ()
        params = (query, *extra, query, k)
        option = "ANALYZE, TIMING OFF, " if analyze else ""
        row = self._live().execute(f"EXPLAIN ({option}FORMAT JSON) {text}", params).fetchone()
        assert row is not None
        return row[0]

    def probe(self, queries: np.ndarray, k: int, filtered: object | None = None) -> RemoteProbe:
        conn = self._live()
        trips = np.empty(ROUND_TRIPS, dtype=np.int64)
        for i in range(ROUND_TRIPS):
            start = time.perf_counter_ns()
            conn.execute("SELECT 1", prepare=True)
            trips[i] = time.perf_counter_ns() - start
        server = [
            int(float(self._explain(q, k, True, filtered)[0]["Execution Time"]) * 1e6)
            for q in queries[:PROBE_QUERIES]
        ]
        return RemoteProbe(trips, np.asarray(server, dtype=np.int64), self.server_memory_bytes())

    def server_memory_bytes(self) -> int | None:
        if self.server is not None:
            return self.server.memory_bytes()
        try:  # a user's server on this machine: its postmaster is our backend's parent
            row = self._live().execute("SELECT pg_backend_pid()").fetchone()
            with open(f"/proc/{row[0] if row else 0}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, psycopg.Error):
            return None
        return tree_memory_bytes(parent)

    def index_bytes(self) -> int | None:
        row = self._live().execute("SELECT pg_relation_size('items_embedding')").fetchone()
        return None if row is None else int(row[0])

    def server_pid(self) -> int | None:
        """The postmaster's pid where vecbench started the server (the fault tests kill it)."""
        return None if self.server is None else self.server.pid

    def kill_server(self) -> None:
        """SIGKILL the server vecbench started: what a crash looks like to the client."""
        if self.server is None or self.server.proc is None:
            raise UnsupportedError("pgvector: only a server vecbench started can be killed")
        self.server.proc.send_signal(signal.SIGKILL)
        self.server.proc.wait()

    # ---- the end -----------------------------------------------------------------------------
    def close(self) -> None:
        """Drop the schema we created (on a user's server), stop the server we started."""
        try:
            if self.created_schema and self.build_params["dsn"]:
                conn = self._live()
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(self.schema)))
                self.created_schema = False
        finally:
            if self.conn is not None:
                self.conn.close()
                self.conn = None
            if self.server is not None:
                self.server.stop()
                self.server = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at shutdown: the kernel still kills our server with us
            self.close()
