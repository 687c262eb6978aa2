"""``vecbench tune CONFIG --recall R [--p99-ms L] [--memory M] --objective qps --budget N``."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any, get_args

from vecbench.errors import ConfigError
from vecbench.reports.constraints import Objective

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def parse_bytes(text: str) -> float:
    """``4GiB``, ``512MB``, ``1e9``: a size in bytes, or a one-line error saying the form."""
    found = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    unit = found.group(2).lower() if found else ""
    if found is None or unit not in _UNITS:
        raise ConfigError(f"--memory {text!r}: give a size such as 4GiB, 512MB or 1e9 (bytes)")
    return float(found.group(1)) * _UNITS[unit]


def add_parser(commands: Any) -> None:
    tune = commands.add_parser(
        "tune",
        help="find the best configuration under constraints with a trial budget",
        description="Search the config's build and query ranges (lists) with Optuna's TPE sampler, each trial "
        "measured by the normal runner; the best configuration meeting the constraints is validated on "
        "held-out queries the search never saw.",
    )
    tune.add_argument("config", help="path to the YAML experiment config (its lists are the ranges)")
    tune.add_argument("--recall", type=float, required=True, help="recall@k the answer must reach")
    tune.add_argument("--p99-ms", type=float, help="p99 single-query latency limit in ms")
    tune.add_argument("--memory", help="index size limit (e.g. 4GiB)")
    tune.add_argument(
        "--objective", choices=get_args(Objective), default="qps", help="what to optimise (default: qps)"
    )
    tune.add_argument("--budget", type=int, default=30, help="distinct points to measure (default: 30)")
    tune.add_argument(
        "--held-out", type=float, default=0.5, help="share of the queries held out (default: 0.5)"
    )
    tune.add_argument("--seed", type=int, default=0, help="seeds the query split and the sampler")
    tune.add_argument("--json", metavar="FILE", help="also write the answer as JSON")
    tune.add_argument("--out", help="output directory (default: runs/<config name>-tune); re-running resumes")
    tune.set_defaults(handler=cmd_tune)


def cmd_tune(args: argparse.Namespace) -> int:
    from vecbench.bench.config import load_config
    from vecbench.reports.result_folder import default_out_dir
    from vecbench.tune.tuner import Tuner, TuneRequest, write_json

    config = load_config(args.config)
    if not 0 < args.recall <= 1:
        raise ConfigError(f"--recall must be in (0, 1], got {args.recall}")
    request = TuneRequest(
        recall=args.recall,
        objective=args.objective,
        budget=args.budget,
        p99_ms=args.p99_ms,
        memory_bytes=parse_bytes(args.memory) if args.memory else None,
        held_out_fraction=args.held_out,
        seed=args.seed,
    )
    out = Path(args.out) if args.out else default_out_dir(f"{config.name}-tune")
    tuner = Tuner(config, out, request)
    result = tuner.run()
    summary = result.to_json(tuner.space)
    if args.json:
        write_json(result, tuner.space, Path(args.json))
    print(
        f"{summary['evaluations']} evaluation(s) of a {summary['grid_size']}-point grid; "
        f"chosen: {summary['chosen']}; search figures: {summary['search']}; held-out: {summary['held_out']}"
    )
    print(result.answer())
    return 0 if result.chosen is not None else 1
