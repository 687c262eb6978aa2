"""``vecbench plan RESULTS --items N --qps Q --p99-ms L --recall R``: the planner on the command line.

Numbers are parsed here (not by argparse) so that a bad one is a one-line error with exit 2 like
every other input mistake.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from vecbench.errors import ConfigError


def add_parser(commands: Any) -> None:
    plan = commands.add_parser(
        "plan",
        help="size shards, replicas and machines from a size sweep's fitted cost models",
        description="Fit each configuration's memory, latency, CPU time and recall against base size "
        "(a results folder of a config with sizes: [..]) and answer, per index family, the cheapest "
        "configuration meeting the target, with 90%% prediction intervals and held-out errors.",
    )
    plan.add_argument("results", help="a 'vecbench run' output folder of a size sweep")
    plan.add_argument("--items", required=True, help="items to index, e.g. 50e6")
    plan.add_argument("--qps", required=True, help="queries per second to carry")
    plan.add_argument("--p99-ms", required=True, dest="p99_ms", help="p99 latency limit in milliseconds")
    plan.add_argument("--recall", required=True, help="recall@k to hold, e.g. 0.95")
    plan.add_argument("--machine", help="machine shape, e.g. cores=16,mem=64GiB (default: the priced ones)")
    plan.add_argument("--prices", help="dated price table YAML (see vecbench.capacity.prices)")
    plan.add_argument("--json", metavar="FILE", help="also write the answer as JSON")
    plan.add_argument("--markdown", metavar="FILE", help="also write the report section (fits and plan)")
    plan.set_defaults(handler=cmd_plan)


def number(flag: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{flag} '{text}' is not a number; write e.g. {flag} 1000") from None
    if not math.isfinite(value):
        raise ConfigError(f"{flag} '{text}' must be a finite number")
    return value


def cmd_plan(args: argparse.Namespace) -> int:
    from vecbench.capacity.planner import Target, format_plan, plan
    from vecbench.capacity.prices import load_prices, machines_for, parse_machine
    from vecbench.capacity.report import plan_markdown
    from vecbench.core.atomic import atomic_write_text
    from vecbench.reports.store import ResultStore

    items = number("--items", args.items)
    if items != int(items):
        raise ConfigError(f"--items '{args.items}' must be a whole number of items")
    target = Target(
        int(items),
        number("--qps", args.qps),
        number("--p99-ms", args.p99_ms),
        number("--recall", args.recall),
    )
    target.check()
    for path in (args.json, args.markdown):
        if path and Path(path).is_dir():
            raise ConfigError(f"{path} is a directory; give a file name")
    prices = load_prices(args.prices) if args.prices else None
    machine = parse_machine(args.machine) if args.machine else None
    results = Path(args.results)
    store = ResultStore(results)
    if not results.is_dir() or not store.exists():
        raise ConfigError(f"{results} holds no results; give the output folder of 'vecbench run'")
    frame = store.read()
    answer = plan(frame, target, machines_for(machine, prices), prices, results)
    print(format_plan(answer))
    if args.json:
        atomic_write_text(Path(args.json), json.dumps(plain(answer), indent=2, allow_nan=False) + "\n")
    if args.markdown:
        atomic_write_text(Path(args.markdown), plan_markdown(frame, answer))
    return 0


def plain(value: Any) -> Any:
    """JSON-ready: numpy scalars as Python numbers, NaN and infinity (no interval) as null."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
