"""Shell completion scripts for bash and zsh, generated from the argument parser itself.

No completion package is needed: the parser is walked once for its commands and options, and the
script is a static table of them (so it never drifts from ``vecbench --help``). A word that is
neither an option nor a command falls back to file names, which is what vecbench's positionals are.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

SHELLS = ("bash", "zsh")


@dataclass
class Level:
    """What may follow one command path: its subcommands and its options."""

    commands: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)


def command_table(parser: argparse.ArgumentParser, path: str = "") -> dict[str, Level]:
    """Each command path ('', '/run', '/datasets/fetch') -> its subcommands and options."""
    level = Level(options=sorted(o for action in parser._actions for o in action.option_strings))
    table = {path: level}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                level.commands.append(name)
                table.update(command_table(sub, f"{path}/{name}"))
        elif not action.option_strings and action.choices:  # a positional with fixed values
            level.commands.extend(str(choice) for choice in action.choices)
    level.commands.sort()
    return table


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The script to source (bash) or to eval in zsh (it loads bashcompinit first)."""
    prog = parser.prog
    table = command_table(parser)
    paths = sorted(table)
    function = f"_{prog}_complete"
    lines = [
        f'# {shell} completion for {prog}: eval "$({prog} completion {shell})" (e.g. in ~/.{shell}rc)',
        *(["autoload -U +X bashcompinit && bashcompinit"] if shell == "zsh" else []),
        f"{function}() {{",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" key="" word i commands="" options=""',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        word="${COMP_WORDS[i]}"',
        '        case "$key/$word" in',
        f"            {'|'.join(p for p in paths if p)}) key=\"$key/$word\" ;;",
        "        esac",
        "    done",
        '    case "$key" in',
        *(
            f"        '{path}') commands='{' '.join(table[path].commands)}'; options='{' '.join(table[path].options)}' ;;"
            for path in paths
        ),
        "    esac",
        '    if [[ "$cur" == -* ]]; then',
        '        COMPREPLY=($(compgen -W "$options" -- "$cur"))',
        "    else",
        '        COMPREPLY=($(compgen -W "$commands" -- "$cur"))',
        "    fi",
        "}",
        f"complete -o default -F {function} {prog}",
        "",
    ]
    return "\n".join(lines)
