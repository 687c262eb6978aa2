"""pgvector and Chroma against real servers: conformance, an experiment end to end, and faults.

The servers are started once per session by fixtures (the adapters use them as "the user's
server", through ``dsn`` / ``url``); the end-to-end runs let vecbench start and stop its own.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vecbench.bench.config import parse_config
from vecbench.bench.runner import Runner
from vecbench.cli import main
from vecbench.core.errors import ConfigError
from vecbench.core.registry import MissingLibraryError
from vecbench.indexes.registry import ADAPTERS
from vecbench.reports.store import ResultStore
from vecbench.testing import check_adapter
from vecbench.testing.conformance import make_data

psycopg = pytest.importorskip("psycopg", reason="needs the pgvector extra: pip install 'vecbench[pgvector]'")

KILLING = "vecbench.testing.server_faults:ServerKillingPgvector"
SYNTHETIC: dict[str, Any] = {
    "name": "synthetic",
    "n_base": 2000,
    "n_queries": 30,
    "seed": 1,
    "options": {"dim": 16},
    "attributes": {"generate": {"n_clusters": 20}},
}


def server_processes(prefix: str) -> dict[int, str]:
    """Pid -> server folder of running processes whose command line names one of vecbench's."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid() or zombie(int(entry)):
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        for arg in argv:
            path = Path(arg)
            owned = [p for p in (path, *path.parents) if p.name.startswith(prefix)]
            if owned:
                found[int(entry)] = str(owned[0])
                break
    return found


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def new_servers(prefix: str, before: set[int]) -> set[int]:
    """Servers started since ``before`` that nobody owns any more (their starting process is gone,
    or their folder is): a leak. Servers of other live runs on the machine are not counted."""
    from vecbench.servers.process import alive

    leaked = set()
    for pid, folder in server_processes(prefix).items():
        if pid in before:
            continue
        try:
            owner = int(Path(folder, "owner.pid").read_text())
        except (OSError, ValueError):
            leaked.add(pid)  # running without its folder
            continue
        if not alive(owner) or owner == os.getpid():
            leaked.add(pid)
    return leaked


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    pytest.importorskip("pgserver", reason="needs the pgvector extra: pip install 'vecbench[pgvector]'")
    from vecbench.servers.postgres import PostgresServer

    server = PostgresServer.start()
    try:
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION vector")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chroma_server() -> Iterator[Any]:
    pytest.importorskip("chromadb", reason="needs the chroma extra: pip install 'vecbench[chroma]'")
    from vecbench.servers.chroma import ChromaServer

    server = ChromaServer.start()
    try:
        yield server
    finally:
        server.stop()


def at_server(cls: Any, key: str, address: str, **grid: Any) -> Any:
    """The adapter class with its conformance grid pointed at a running server."""
    conformance = dataclasses.replace(cls.conformance, **grid) if grid else cls.conformance
    conformance = dataclasses.replace(
        conformance,
        build={**conformance.build, key: address},
        tiny_build={**conformance.tiny_build, key: address},
    )
    return type(f"{cls.__name__}AtServer", (cls,), {"conformance": conformance})


# ---- conformance -------------------------------------------------------------------------------
def test_pgvector_hnsw_conforms(pg_server: Any) -> None:
    from vecbench.indexes.pgvector_index import PgvectorAdapter

    check_adapter(at_server(PgvectorAdapter, "dsn", pg_server.dsn))


@pytest.mark.slow
def test_pgvector_ivfflat_conforms(pg_server: Any) -> None:
    from vecbench.indexes.pgvector_index import PgvectorAdapter

    check_adapter(
        at_server(
            PgvectorAdapter,
            "dsn",
            pg_server.dsn,
            build={"index": "ivfflat", "lists": 20},
            thorough={"probes": 20},
            tiny_build={"index": "ivfflat", "lists": 1},
        )
    )


@pytest.mark.slow
def test_chroma_conforms(chroma_server: Any) -> None:
    from vecbench.indexes.chroma_index import ChromaAdapter

    check_adapter(at_server(ChromaAdapter, "url", chroma_server.url))


# ---- a user's server: its own schema, nothing else touched ---------------------------------------
def test_pgvector_uses_a_schema_of_its_own_and_drops_only_that(pg_server: Any) -> None:
    from vecbench.indexes.pgvector_index import PgvectorAdapter

    with psycopg.connect(pg_server.dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS public.items (id int8)")  # a user's table of the same name
        conn.execute("INSERT INTO public.items VALUES (7)")
        data = make_data(n=300, nq=5)
        adapter = PgvectorAdapter("euclidean", dsn=pg_server.dsn, m=4, ef_construction=16)
        adapter.build(data.base)
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace").fetchall()}
        assert adapter.schema in schemas
        assert adapter.index_bytes() and adapter.index_bytes() > 0  # pg_relation_size of the index
        adapter.close()
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace").fetchall()}
        assert adapter.schema not in schemas
        assert conn.execute("SELECT count(*) FROM public.items").fetchone() == (1,)
        assert conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone() == (1,)
        conn.execute("DROP TABLE public.items")


# ---- refusals before anything is built -----------------------------------------------------------
def test_unreachable_dsn_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "name: t\ndataset: {name: synthetic, n_base: 200, n_queries: 5, options: {dim: 8}}\n"
        "indexes:\n  - adapter: pgvector\n    dsn: postgresql://nobody@127.0.0.1:1/none\n"
    )
    assert main(["run", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "cannot connect to PostgreSQL at" in err and "127.0.0.1" in err and "port=1" in err


def test_wrong_credentials_and_missing_extension_are_one_line(pg_server: Any) -> None:
    from vecbench.indexes.pgvector_index import PgvectorAdapter

    wrong_user = pg_server.dsn.replace("user=postgres", "user=nosuchrole")
    with pytest.raises(ConfigError, match=r'role "nosuchrole" does not exist') as caught:
        PgvectorAdapter("euclidean", dsn=wrong_user).check_data(100, 8)
    assert "\n" not in str(caught.value)
    with psycopg.connect(pg_server.dsn, autocommit=True) as conn:
        conn.execute("CREATE DATABASE plain")
    try:
        bare = pg_server.dsn.replace("dbname=postgres", "dbname=plain")
        with pytest.raises(ConfigError, match=r"has no vector extension; run 'CREATE EXTENSION vector;'"):
            PgvectorAdapter("euclidean", dsn=bare).check_data(100, 8)
    finally:
        with psycopg.connect(pg_server.dsn, autocommit=True) as conn:
            conn.execute("DROP DATABASE plain")


def test_a_dimension_pgvector_cannot_index_is_refused() -> None:
    from vecbench.indexes.pgvector_index import PgvectorAdapter

    with pytest.raises(ConfigError, match="3000-dimensional vectors cannot be indexed"):
        PgvectorAdapter("euclidean").check_data(100, 3000)
    with pytest.raises(ConfigError, match=r"ef_construction=8 must be at least 2\*m=32"):
        PgvectorAdapter("euclidean", m=16, ef_construction=8)


def test_unreachable_chroma_url_is_refused() -> None:
    pytest.importorskip("chromadb")
    from vecbench.indexes.chroma_index import ChromaAdapter

    with pytest.raises(ConfigError, match=r"no Chroma server answers at 127\.0\.0\.1:1"):
        ChromaAdapter("euclidean", url="http://127.0.0.1:1").check_data(100, 8)


def test_without_the_extra_the_adapters_are_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    for module, name, extra in (("psycopg", "pgvector", "pgvector"), ("chromadb", "chroma", "chroma")):
        monkeypatch.setitem(sys.modules, module, None)  # importing it now fails as if absent
        monkeypatch.delitem(sys.modules, f"vecbench.indexes.{name}_index", raising=False)
        with pytest.raises(MissingLibraryError, match=rf"not installed: pip install vecbench\[{extra}\]"):
            ADAPTERS.get(name)


# ---- the server dies between points --------------------------------------------------------------
@pytest.mark.slow
def test_pgvector_restarts_its_server_after_a_crash() -> None:
    from vecbench.indexes.pgvector_index import PgvectorAdapter

    data = make_data(n=500, nq=10)
    running = set(server_processes("vecbench-pg-"))
    adapter = PgvectorAdapter("euclidean", m=8, ef_construction=32)  # starts its own server
    try:
        adapter.build(data.base)
        before = adapter.search_batch(data.queries, 10)
        adapter.kill_server()
        with pytest.raises(psycopg.OperationalError):
            adapter.search_batch(data.queries, 10)
        adapter.set_query_params(ef_search=40)  # the next point: reconnects, restarting the server
        after = adapter.search_batch(data.queries, 10)
        assert np.array_equal(after.ids, before.ids)
    finally:
        folder = adapter.server.folder if adapter.server else None
        adapter.close()
    assert folder is not None and not folder.exists()
    assert new_servers("vecbench-pg-", running) == set()


# ---- an experiment end to end, vecbench starting and stopping its own server -----------------------
def test_pgvector_experiment_end_to_end(tmp_path: Path) -> None:
    """Two points (one unfiltered, one pushed-down filter at 2%): kept small for the default run."""
    pytest.importorskip("pgserver")
    config = parse_config(
        {
            "name": "pg",
            "dataset": SYNTHETIC,
            "k": 10,
            "warmup_queries": 5,
            "indexes": [
                {
                    "adapter": "pgvector",
                    "build": {"index": "hnsw", "m": 8, "ef_construction": 32},
                    "query": {"ef_search": 40},
                    "strategies": ["pre"],
                }
            ],
            "filters": [{"pass_rate": 0.02}],
        }
    )
    before = set(server_processes("vecbench-pg-"))
    Runner(config, tmp_path, progress=False).run()
    frame = ResultStore(tmp_path).read()
    assert list(frame["status"]) == ["ok"] * 2, frame["error"].tolist()
    plain, pre = frame[frame["filter"].isna()].iloc[0], frame[frame["strategy"] == "pre"].iloc[0]
    assert plain["recall"] > 0.8
    for column in ("roundtrip_ms", "server_ms_p50", "roundtrip_share", "load_s", "index_build_s"):
        assert plain[column] > 0, column
    assert plain["server_memory_bytes"] > 0 and plain["index_bytes"] > 0  # pg_relation_size
    assert plain["server_ms_p50"] < plain["latency_p50_ms"]  # the server's part of a query
    assert plain["load_s"] + plain["index_build_s"] < plain["build_s"]
    # pgvector's HNSW scan stops after ef_search candidates: at 2% pass-rate most come back short
    assert pre["short_result_frac"] > 0.5 and pre["filter_violations"] == 0
    assert new_servers("vecbench-pg-", before) == set()


@pytest.mark.slow
def test_pgvector_sweep_end_to_end(tmp_path: Path) -> None:
    """Both index kinds, several query points, the pre and post strategies and exact-subset."""
    pytest.importorskip("pgserver")
    config = parse_config(
        {
            "name": "pg",
            "dataset": SYNTHETIC,
            "k": 10,
            "warmup_queries": 5,
            "indexes": [
                {
                    "adapter": "pgvector",
                    "build": {"index": "hnsw", "m": 8, "ef_construction": 32},
                    "query": {"ef_search": [10, 80]},
                    "strategies": ["pre", "post", "exact-subset"],
                },
                {
                    "adapter": "pgvector",
                    "build": {"index": "ivfflat", "lists": 20},
                    "query": {"probes": [1, 20]},
                    "strategies": ["pre"],
                },
            ],
            "filters": [{"pass_rate": [0.02, 0.5]}],
        }
    )
    before = set(server_processes("vecbench-pg-"))
    Runner(config, tmp_path, progress=False).run()
    frame = ResultStore(tmp_path).read()
    assert (frame["status"] == "ok").all(), frame["error"].tolist()
    assert len(frame) == (2 + 2 * 2 * 3) + (2 + 2 * 2)  # hnsw: 3 strategies, ivfflat: pre only
    exact = frame[frame["strategy"] == "exact-subset"]
    assert (exact["recall"] > 0.99).all()
    ivf = frame[frame["build_params"].str.contains("ivfflat") & frame["filter"].isna()].sort_values(
        "query_params"
    )
    assert ivf["recall"].iloc[1] >= ivf["recall"].iloc[0] and ivf["recall"].iloc[1] > 0.99  # 20 of 20 lists
    assert new_servers("vecbench-pg-", before) == set()


@pytest.mark.slow
def test_chroma_experiment_end_to_end(tmp_path: Path) -> None:
    pytest.importorskip("chromadb")
    config = parse_config(
        {
            "name": "chroma",
            "dataset": SYNTHETIC,
            "k": 10,
            "warmup_queries": 5,
            "indexes": [
                {
                    "adapter": "chroma",
                    "build": {"max_neighbors": 8},
                    "query": {"ef_search": [10, 80]},
                    "strategies": ["pre", "exact-subset"],
                },
            ],
            "filters": [{"pass_rate": 0.1}],
        }
    )
    before = set(server_processes("vecbench-chroma-"))
    Runner(config, tmp_path, progress=False).run()
    frame = ResultStore(tmp_path).read()
    assert list(frame["status"]) == ["ok"] * 6, frame["error"].tolist()
    assert (frame["roundtrip_ms"] > 0).all() and (frame["server_memory_bytes"] > 0).all()
    assert (frame["recall"] > 0.5).all()
    assert new_servers("vecbench-chroma-", before) == set()


# ---- faults through the runner -----------------------------------------------------------------
@pytest.mark.slow
def test_a_server_that_dies_mid_point_fails_that_row_and_is_restarted(tmp_path: Path) -> None:
    pytest.importorskip("pgserver")
    config = parse_config(
        {
            "name": "crash",
            "dataset": SYNTHETIC,
            "k": 10,
            "warmup_queries": 0,
            # one build point (entries with equal build parameters merge), its points in this order
            "indexes": [
                {"adapter": KILLING, "build": {"m": 8, "ef_construction": 32}, "query": query}
                for query in ({"ef_search": 40}, {"ef_search": 41, "kill_after": 15}, {"ef_search": 80})
            ],
        }
    )
    before = set(server_processes("vecbench-pg-"))
    Runner(config, tmp_path, progress=False).run()
    frame = ResultStore(tmp_path).read().sort_values("query_params")
    assert list(frame["status"]) == ["ok", "failed", "ok"], frame["error"].tolist()
    error = frame["error"].iloc[1]  # psycopg's OperationalError, or its AdminShutdown subclass
    assert ("OperationalError" in error or "postmaster exit" in error) and "\n" not in error
    assert frame["recall"].iloc[2] >= frame["recall"].iloc[0] > 0.8  # the restarted server has it all
    assert new_servers("vecbench-pg-", before) == set()


@pytest.mark.slow
def test_a_killed_run_leaves_no_server_running(tmp_path: Path) -> None:
    pytest.importorskip("pgserver")
    config = tmp_path / "c.yaml"
    config.write_text(
        "name: killed\ndataset: {name: synthetic, n_base: 5000, n_queries: 2000, options: {dim: 32}}\n"
        "indexes:\n  - adapter: pgvector\n    query: {ef_search: [10, 20, 40, 80, 160]}\n"
    )
    before = set(server_processes("vecbench-pg-"))
    run = subprocess.Popen(
        [sys.executable, "-m", "vecbench.cli", "run", str(config), "--out", str(tmp_path / "out")],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 600  # a loaded machine takes minutes to reach the build
        while not set(server_processes("vecbench-pg-")) - before:
            assert run.poll() is None and time.monotonic() < deadline, "no server was started"
            time.sleep(0.2)
        time.sleep(1.0)
    finally:
        run.kill()  # SIGKILL: nothing of vecbench runs after this; the kernel must clean up
        run.wait()
    deadline = time.monotonic() + 30
    while new_servers("vecbench-pg-", before) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert new_servers("vecbench-pg-", before) == set()
