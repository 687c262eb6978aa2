"""The getting-started commands: ``vecbench init``, ``vecbench schema``, ``vecbench completion``.

Registered on the main parser by ``add_start_commands``; kept here so cli.py stays a list of commands.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vecbench.errors import VecbenchError


def add_start_commands(commands: Any, root: argparse.ArgumentParser) -> None:
    """Add the three commands to the main parser's subcommands."""
    init = commands.add_parser(
        "init",
        help="write a starter config for your own vectors",
        description="Look at a vectors file (.npy, .fvecs, .hdf5, ...) and write a config that runs as is.",
    )
    init.add_argument("data", help="the vectors to benchmark, e.g. embeddings.npy")
    init.add_argument("-o", "--output", help="the config file to write (default: DATA's name with .yaml, here)")
    init.add_argument("--name", help="experiment name (default: DATA's file name)")
    init.add_argument("--force", action="store_true", help="replace the output file if it exists")
    init.set_defaults(handler=cmd_init)

    schema = commands.add_parser(
        "schema",
        help="print the config's JSON schema (for editors)",
        description="Print the JSON schema of a config, for yaml-language-server and other editors.",
    )
    schema.add_argument(
        "--kind", choices=("experiment", "pipeline"), default="experiment", help="which config (default: experiment)"
    )
    schema.add_argument("-o", "--output", help="write it to this file instead of stdout")
    schema.set_defaults(handler=cmd_schema)

    completion = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description='Print a completion script: eval "$(vecbench completion bash)" in ~/.bashrc (zsh: ~/.zshrc).',
    )
    completion.add_argument("shell", choices=("bash", "zsh"))
    completion.set_defaults(handler=cmd_completion, root_parser=root)  # what the script completes


def cmd_init(args: argparse.Namespace) -> int:
    from vecbench.bench.config import parse_config
    from vecbench.starter.init_config import starter_config

    data = Path(args.data)
    output = Path(args.output) if args.output else Path(f"{data.stem}.yaml")
    if output.exists() and not args.force:
        raise VecbenchError(f"{output} exists; give another --output or add --force to replace it")
    if output.is_dir():
        raise VecbenchError(f"{output} is a directory; give a file name, e.g. {output / 'vecbench.yaml'}")
    starter = starter_config(data, args.name)
    parse_config(starter.config, source=str(output))  # what init writes always loads
    try:
        output.write_text(starter.text)
    except OSError as exc:
        raise VecbenchError(f"cannot write {output}: {exc.strerror or exc}") from None
    print(
        f"wrote {output}: {starter.rows:,} x {starter.dim} vectors, metric {starter.metric} "
        f"({starter.metric_reason}); run it with: vecbench run {output}"
    )
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from vecbench.starter.schema import schema_text

    text = schema_text(args.kind)
    if args.output:
        try:
            Path(args.output).write_text(text)
        except OSError as exc:
            raise VecbenchError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        print(f"wrote {args.output}")
    else:
        print(text, end="")
    return 0


def cmd_completion(args: argparse.Namespace) -> int:
    from vecbench.starter.completion import completion_script

    print(completion_script(args.root_parser, args.shell), end="")
    return 0
