"""``vecbench serve``: a real uvicorn process on 127.0.0.1 answering searches, and 4xx (never a
crash) for a wrong body, dimension, k or filter."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from vecbench.datasets import load_dataset
from vecbench.datasets.spec import DatasetSpec

DATASET = {"name": "synthetic", "n_base": 1500, "n_queries": 20, "seed": 4, "options": {"dim": 12}}
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    folder = tmp_path_factory.mktemp("serve")
    config = folder / "serve.yaml"
    config.write_text(
        yaml.safe_dump({"name": "serve", "dataset": DATASET, "indexes": [{"adapter": "exact"}]})
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "vecbench.cli", "serve", str(config), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"http://([\d.]+):(\d+)/search", line)
        assert found, line
        yield found.group(1), int(found.group(2))
        assert process.poll() is None, "the service died during the tests"
    finally:
        process.terminate()
        process.wait(10)


def post(
    server: tuple[str, int], body: bytes | str, path: str = "/search", method: str = "POST"
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(*server, timeout=10)
    conn.request(method, path, body=body.encode() if isinstance(body, str) else body)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data)


def test_search_answers_the_exact_neighbours(server: tuple[str, int]) -> None:
    dataset = load_dataset(DatasetSpec.model_validate(DATASET))
    query = dataset.queries[3]
    status, answer = post(server, json.dumps({"vector": query.tolist(), "k": 5}))
    assert status == 200, answer
    truth = np.argsort(((dataset.base - query) ** 2).sum(axis=1))[:5]
    assert answer["ids"] == truth.tolist()
    assert len(answer["distances"]) == 5 and answer["distances"] == sorted(answer["distances"])


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ('{"vector": [1, 2, 3], "k": 10}', 422, "3 dimensions; this index has 12"),
        ('{"vector": [0,0,0,0,0,0,0,0,0,0,0,0], "k": 0}', 422, "k must be an integer from 1 to 1500"),
        ('{"vector": [0,0,0,0,0,0,0,0,0,0,0,0], "k": 1501}', 422, "k must be an integer"),
        ('{"vector": [0,0,0,0,0,0,0,0,0,0,0,0], "k": "ten"}', 422, "k must be an integer"),
        ('{"vector": [0,0,0,0,0,0,0,0,0,0,0,NaN], "k": 3}', 422, "NaN or infinity"),
        ('{"vector": "zeros", "k": 3}', 422, "array of numbers"),
        ('{"vector": [0,0,0,0,0,0,0,0,0,0,0,0], "filter": {"genre": 1}}', 422, "filter is not served"),
        ('{"vectr": [0]}', 400, "unknown field 'vectr'"),
        ("not json", 400, "not JSON"),
        ("[1, 2]", 400, "JSON object"),
        (b"\xff\xfe", 400, "not JSON"),
    ],
)
def test_bad_requests_are_4xx_with_a_message(
    server: tuple[str, int], body: str | bytes, status: int, message: str
) -> None:
    got, answer = post(server, body)
    assert got == status and message in answer["error"], answer


def test_wrong_route_and_method_and_noop(server: tuple[str, int]) -> None:
    assert post(server, "", "/search", "GET")[0] == 405
    assert post(server, "{}", "/nowhere")[0] == 404
    assert post(server, "{}", "/noop") == (200, {})
    status, health = post(server, "", "/health", "GET")
    assert status == 200 and health["dim"] == 12 and health["items"] == 1500 and health["parallel"]


def test_busy_port_and_bad_config_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from vecbench.cli import main

    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump({"name": "serve", "dataset": DATASET, "indexes": [{"adapter": "exact"}]})
    )
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        assert main(["serve", str(config), "--port", str(busy.getsockname()[1])]) == 2
    assert "already in use; pick another --port" in capsys.readouterr().err
    assert main(["serve", str(tmp_path / "missing.yaml"), "--port", "0"]) == 2
    assert main(["serve", str(config), "--port", "70000"]) == 2
    assert "not a TCP port" in capsys.readouterr().err
