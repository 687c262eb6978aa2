"""The result store: part files per append, compaction, old folders, concurrent writers, repair."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from vecbench.cli import main
from vecbench.core.atomic import atomic_write_bytes, atomic_writer
from vecbench.errors import VecbenchError
from vecbench.reports.parts import PARTS_DIR
from vecbench.reports.pipeline_store import PipelineStore
from vecbench.reports.schema import COLUMNS, conform
from vecbench.reports.store import ResultStore


def row(key: str, recall: float, **extra: Any) -> dict[str, Any]:
    return {"point_key": key, "status": "ok", "recall": recall, "k": 10, "adapter": "hnswlib", **extra}


def reference(appends: list[list[dict[str, Any]]]) -> pd.DataFrame:
    """What the old rewrite-per-append store held after these appends (its upsert, without the I/O)."""
    frame = pd.DataFrame()
    for batch in appends:
        new = conform(pd.DataFrame(batch), COLUMNS)
        if not frame.empty:
            frame = frame[~frame["point_key"].isin(set(new["point_key"]))]
        frame = pd.concat([frame, new], ignore_index=True) if not frame.empty else new
    return frame


def test_later_append_of_a_key_replaces_all_its_rows_in_append_order(tmp_path: Path) -> None:
    appends = [
        [row("a", 0.1)],
        [row("b", 0.2), row("b", 0.25)],  # a pipeline configuration: several rows per key
        [row("c", 0.3)],
        [row("b", 0.9)],  # replaces both earlier b rows, and b moves to the end
        [row("a", 0.5, error=None)],
    ]
    store = ResultStore(tmp_path)
    for batch in appends:
        store.append(batch)
    pd.testing.assert_frame_equal(store.read(), reference(appends))
    assert list(store.read()["point_key"]) == ["c", "b", "a"]


def test_compacted_folder_is_a_plain_results_parquet_with_the_same_rows(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    for i in range(30):
        store.append([row(f"k{i % 20}", i / 30)], environment={"host": "x"})
    before = store.read()
    assert (tmp_path / PARTS_DIR).is_dir() and not store.results_path.exists()
    assert store.compact() == 30
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.parquet"]  # as earlier versions left it
    plain = pq.read_table(store.results_path)
    pd.testing.assert_frame_equal(plain.to_pandas(), before)
    assert plain.schema.metadata[b"vecbench.environment"] == b'{"host": "x"}'
    assert len(before) == 20 and store.compact() == 0


def test_results_written_by_the_previous_version_still_read_and_extend(tmp_path: Path) -> None:
    old = conform(pd.DataFrame([row("a", 0.1), row("b", 0.2)]), COLUMNS)
    pq.write_table(pa.Table.from_pandas(old, preserve_index=False), tmp_path / "results.parquet")
    store = ResultStore(tmp_path)
    pd.testing.assert_frame_equal(store.read(), old)
    store.append([row("a", 0.7)])
    assert store.read().set_index("point_key")["recall"].to_dict() == {"b": 0.2, "a": 0.7}
    store.compact()
    assert store.read().set_index("point_key")["recall"].to_dict() == {"b": 0.2, "a": 0.7}


def test_uncompacted_parts_count_as_results(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    assert not store.exists() and store.read().empty
    store.append([row("a", 0.1)])
    assert store.exists() and store.finished_keys() == {"a"}


def _append_many(out: str, writer: int, count: int) -> None:
    store = ResultStore(out)
    for i in range(count):
        store.append([row(f"w{writer}-{i}", float(i), label=f"writer {writer}")])
        if writer == 0 and i % 50 == 49:
            store.compact()  # compactions race with the other writers' appends and reads
        if writer == 1 and i % 100 == 99:
            assert len(store.read()) >= i + 1


@pytest.mark.parametrize("per_writer", [300, pytest.param(2500, marks=pytest.mark.slow)])
def test_four_processes_appending_at_once_lose_nothing_and_corrupt_nothing(
    tmp_path: Path, per_writer: int
) -> None:
    writers = 4
    spawn = multiprocessing.get_context("spawn")
    processes = [
        spawn.Process(target=_append_many, args=(str(tmp_path), w, per_writer)) for w in range(writers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=240)
    assert [p.exitcode for p in processes] == [0] * writers
    store = ResultStore(tmp_path)
    frame = store.read()
    assert len(frame) == writers * per_writer and frame["point_key"].is_unique
    for w in range(writers):  # each writer's rows intact, in its own append order
        mine = frame[frame["label"] == f"writer {w}"]
        assert list(mine["recall"]) == [float(i) for i in range(per_writer)]
    store.compact()
    pd.testing.assert_frame_equal(pq.read_table(store.results_path).to_pandas(), frame)
    assert not (tmp_path / PARTS_DIR).exists()


def test_pipeline_store_appends_parts_and_compacts(tmp_path: Path) -> None:
    store = PipelineStore(tmp_path)
    store.append([{"point_key": "p", "metric": "ndcg@10", "value": 0.1, "status": "ok"}] * 3)
    store.append([{"point_key": "p", "metric": "ndcg@10", "value": 0.4, "status": "ok"}])
    assert list(store.read()["value"]) == [0.4]
    store.compact()
    assert (tmp_path / "pipeline.parquet").is_file() and list(store.read()["value"]) == [0.4]


def test_damaged_results_file_is_one_line_then_repair_rebuilds_from_parts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ResultStore(tmp_path)
    store.append([row("a", 0.1)])
    store.compact()
    store.append([row("b", 0.2)])
    store.append([row("c", 0.3)])
    data = store.results_path.read_bytes()
    store.results_path.write_bytes(data[: len(data) // 2])  # damaged from outside (disk, copy, old version)
    with pytest.raises(VecbenchError, match="vecbench results repair"):
        store.read()
    assert main(["results", "show", str(tmp_path)]) == 2
    assert main(["results", "repair", str(tmp_path)]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert "was damaged: rebuilt from 2 part file(s) with 2 row(s)" in line
    assert sorted(store.read()["point_key"]) == ["b", "c"]
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("results.parquet.damaged-")]
    assert len(kept) == 1 and kept[0].read_bytes() == data[: len(data) // 2]  # never deleted


def test_atomic_writer_uses_unique_temporary_names_and_keeps_the_target_on_error(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    atomic_write_bytes(target, b"old")
    with atomic_writer(target) as one, atomic_writer(target) as two:  # two writers at once
        assert len([p for p in tmp_path.iterdir() if p.name.startswith(".f.json.")]) == 2
        one.write(b"first")
        two.write(b"second")
    assert target.read_bytes() == b"first"  # the writer that finished last (the outer block) wins
    with pytest.raises(RuntimeError), atomic_writer(target) as handle:
        handle.write(b"half")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"first" and os.listdir(tmp_path) == ["f.json"]


def test_a_part_a_compaction_missed_still_loses_to_newer_rows_and_keeps_its_place(tmp_path: Path) -> None:
    """A directory listing is no snapshot: a compaction can fold a newer part while an older one is
    still being renamed into place. Append order and the winner of a key must not depend on it."""
    store = ResultStore(tmp_path)
    store.append([row("a", 0.1)])
    store.append([row("k", 0.2)])  # the stale row of k
    store.append([row("k", 0.9)])  # its replacement
    store.append([row("b", 0.3)])
    parts = sorted((tmp_path / PARTS_DIR / "results").iterdir())
    aside = tmp_path / "in-flight"
    aside.mkdir()
    for late in (parts[0], parts[1]):  # not yet renamed into place when the compaction lists parts
        late.rename(aside / late.name)
    store.compact()
    (tmp_path / PARTS_DIR / "results").mkdir(parents=True, exist_ok=True)  # a compaction removed it
    for late in aside.iterdir():
        late.rename(tmp_path / PARTS_DIR / "results" / late.name)
    for frame in (store.read(), (store.compact(), store.read())[1]):
        assert list(frame["point_key"]) == ["a", "k", "b"]
        assert list(frame["recall"]) == [0.1, 0.9, 0.3]
