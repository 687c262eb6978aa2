"""Where finished rows go after the result file: a small interface the runner calls.

The runner writes every row to the result store first and only then hands it to the sinks
(MLflow, the HTML report). A sink that fails is reported in one warning line and switched off
for the rest of the run: a sink can never cost a measurement or stop a sweep.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

Warn = Callable[[str], None]


def warn_line(message: str) -> None:
    """Print one line to stderr without breaking a progress bar that may be on screen."""
    tqdm.write(message, file=sys.stderr)


@dataclass(frozen=True)
class RunContext:
    """What a sink may know about the run that is starting (plain data, no runner objects)."""

    out_dir: Path
    experiment: str
    config: Mapping[str, Any]
    environment: Mapping[str, Any]
    dataset_label: str
    dataset_fingerprint: str


class ResultSink:
    """Base class: override what you need. Calls arrive in order start, row*, finish."""

    name: str = "sink"

    def start(self, context: RunContext) -> None:
        """The run is about to measure; the output folder, config and environment are written."""

    def row(self, row: Mapping[str, Any]) -> None:
        """One finished or failed point, already in the result file."""

    def configuration(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Every row of one finished (or failed) pipeline configuration, already in the result file."""

    def finish(self, completed: bool) -> None:
        """The run ended; ``completed`` is False when it was interrupted."""


@dataclass
class SinkChain:
    """Calls each sink in order; the first exception of a sink warns once and disables it."""

    sinks: Sequence[ResultSink] = ()
    warn: Warn = warn_line
    out_dir: Path | None = None
    _disabled: set[int] = field(default_factory=set)

    def start(self, context: RunContext) -> None:
        self.out_dir = context.out_dir
        self._each(lambda sink: sink.start(context))

    def row(self, row: Mapping[str, Any]) -> None:
        self._each(lambda sink: sink.row(row))

    def configuration(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._each(lambda sink: sink.configuration(rows))

    def finish(self, completed: bool) -> None:
        self._each(lambda sink: sink.finish(completed))

    def _each(self, call: Callable[[ResultSink], None]) -> None:
        for index, sink in enumerate(self.sinks):
            if index in self._disabled:
                continue
            try:
                call(sink)
            except Exception as exc:  # a sink must never cost results: report and switch it off
                self._disabled.add(index)
                where = f"{self.out_dir}/results.parquet" if self.out_dir else "the result file"
                text = " ".join(str(exc).split()) or type(exc).__name__
                self.warn(
                    f"warning: the {sink.name} sink failed and is off for this run "
                    f"({type(exc).__name__}: {text}); results are safe in {where}"
                )
