"""``vecbench serve CONFIG --port P [--host 127.0.0.1]``: the config's first index entry, built on
its dataset (first build and query point of its grids), behind the HTTP service until Ctrl-C."""

from __future__ import annotations

import argparse
import errno
import sys

from vecbench.errors import VecbenchError


def add_parser(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve a config's first index over HTTP (POST /search)",
        description="Build the config's first index entry on its dataset and answer POST /search "
        'with JSON {"vector": [...], "k": 10} -> {"ids": [...], "distances": [...]}; '
        "POST /noop answers at once (the round trip alone), GET /health describes the index.",
    )
    serve.add_argument("config", help="path to the YAML experiment config")
    serve.add_argument("--port", type=int, required=True, help="TCP port to listen on (0: any free port)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from vecbench.bench.config import load_config
    from vecbench.bench.sweep import expand_grid
    from vecbench.core.params import resolve_params
    from vecbench.datasets import load_dataset
    from vecbench.indexes.registry import get_adapter_class
    from vecbench.serve.app import IndexService
    from vecbench.serve.process import bind, serve_forever

    if not 0 <= args.port <= 65535:
        raise VecbenchError(f"--port {args.port} is not a TCP port; give 1-65535 (0: any free port)")
    config = load_config(args.config)
    entry = config.indexes[0]
    cls = get_adapter_class(entry.adapter)
    build = resolve_params(entry.adapter, cls.build_param_specs, expand_grid(entry.build)[0])
    query = resolve_params(entry.adapter, cls.query_param_specs, expand_grid(entry.query)[0])
    try:  # the port first: a busy port is an error before minutes of building
        sock = bind(args.host, args.port)
    except OSError as exc:
        reason = (
            "is already in use"
            if exc.errno == errno.EADDRINUSE
            else f"cannot be used ({exc.strerror or exc})"
        )
        raise VecbenchError(f"{args.host}:{args.port} {reason}; pick another --port or --host") from None
    dataset = load_dataset(config.dataset)
    adapter = cls(dataset.metric, **build)
    adapter.check_data(dataset.n_base, dataset.dim)
    adapter.build(dataset.base)
    adapter.set_query_params(**query)
    port = sock.getsockname()[1]
    print(
        f"serving {entry.label or entry.adapter} {build} {query} on {dataset.n_base} x {dataset.dim} "
        f"({dataset.metric.value}) at http://{args.host}:{port}/search (Ctrl-C stops)",
        flush=True,
    )
    serve_forever(IndexService(adapter, config.threads), sock)
    print("stopped", file=sys.stderr)
    return 0
