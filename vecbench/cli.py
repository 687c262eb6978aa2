"""Command line: ``vecbench run``, ``datasets``, ``results``, ``report``, ``mlflow``, ``serve``.

The only place that parses arguments or exits."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from vecbench import __version__
from vecbench.core.config import one_line
from vecbench.errors import VecbenchError
from vecbench.reports.escape import terminal_block

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a command stopped by Ctrl-C


def cmd_run(args: argparse.Namespace) -> int:
    from vecbench.bench.pipeline_config import is_pipeline_config

    if is_pipeline_config(args.config):
        if args.executor not in (None, "local"):  # hook: issue 15
            raise VecbenchError("--executor ray runs index sweeps; a pipeline config runs with the local executor")
        return cmd_run_pipeline(args)
    from vecbench.bench.config import load_config
    from vecbench.bench.executor_spec import with_overrides
    from vecbench.bench.open_executor import opened_executor
    from vecbench.bench.runner import Runner
    from vecbench.reports.store import ResultStore
    from vecbench.reports.table import format_results

    config = load_config(args.config)
    if args.load:  # hook: issue 12
        from vecbench.load.override import with_load

        config = with_load(config, args.load)
    out = _out_dir(args, config.name)
    args.result_dir = out
    report, mlflow, sinks = _sinks(args)
    from vecbench.reports.sinks import warn_line
    from vecbench.reports.terminal import headline, written_params

    written = written_params(config.model_dump(mode="json"))
    spec = with_overrides(config.executor, args.executor, args.address)  # hook: issue 15
    with _claimed(out, args.wait), opened_executor(spec) as executor:
        on_row = (lambda row: warn_line(headline(row, written))) if not args.no_progress else None  # issue 17
        summary = Runner(
            config, out, progress=not args.no_progress, sinks=sinks, on_row=on_row, executor=executor
        ).run()
    objective = config.constraints.objective
    frame = ResultStore(out).read()
    print(terminal_block(format_results(frame, out_dir=out, objective=objective, constraints=config.constraints)))
    print(
        f"\n{summary.points_run} point(s) run, {summary.points_skipped} already done, "
        f"{summary.points_failed} failed, in {summary.wall_s:.1f} s. Results: {out / 'results.parquet'}"
    )
    if report.built is not None:
        print(_report_line(report.built))
    if mlflow is not None:
        print(_mlflow_line(mlflow))
    return EXIT_OK


def _out_dir(args: argparse.Namespace, name: str) -> Path:
    from vecbench.reports.result_folder import default_out_dir

    return Path(args.out) if args.out else default_out_dir(name)


@contextlib.contextmanager
def _claimed(out: Path, wait: bool) -> Iterator[None]:
    """The output folder checked (new, empty or vecbench's), locked for this run, and marked."""
    from vecbench.reports.lock import RunLock
    from vecbench.reports.result_folder import claim_folder, write_marker

    claim_folder(out)
    with RunLock(out, wait=wait):
        write_marker(out)
        yield


def _report_line(built: Any) -> str:
    return f"Report: {built.path} ({built.size_bytes:,} bytes, built in {built.seconds:.2f} s)"


def _made_folders() -> dict[str, Any]:
    """Folders attached to the MLflow parent run beside the result files: the gate baseline."""
    from vecbench.gate.mlflow_baseline import ARTIFACT_PATH, write_baseline_artifact

    return {ARTIFACT_PATH: write_baseline_artifact}


def _uploaded_line(target: Any, where: str = "") -> str:
    """What was uploaded, where to browse it, and the parent run id the gate takes as a baseline.

    Artifacts skipped on the way (a baseline that could not be made) each warn on stderr."""
    from vecbench.gate.mlflow_baseline import ARTIFACT_PATH, gate_hint
    from vecbench.reports.mlflow_sync import ui_note
    from vecbench.reports.sinks import warn_line

    for note in target.counts.notes:
        warn_line(f"warning: MLflow: {note}")
    line = f"MLflow: {target.counts.describe()}{where}; browse them with: {target.run_hint()}{ui_note(target.uri)}"
    line += f"; parent run {target.parent_run_id}"
    if f"{ARTIFACT_PATH}/" in target.counts.artifacts:
        line += f" (gate against it: vecbench gate {gate_hint(target.parent_run_id)} --tracking-uri {target.uri} ...)"
    return line


def _mlflow_line(sink: Any) -> str:
    if sink.target is not None and sink.done:
        return _uploaded_line(sink.target)
    return f"MLflow: runs not uploaded (see the warning above); upload them with: {sink.sync_command}"


def cmd_report(args: argparse.Namespace) -> int:
    from vecbench.reports.html import PlotOptions, build_comparison, build_leaderboard, build_report

    options = PlotOptions(logit=args.recall_axis == "logit")
    if args.compare and len(args.dir) > 1:
        raise VecbenchError(
            "--compare takes one result set beside it: 'vecbench report A --compare B', "
            "or 'vecbench report A B C ...' for a leaderboard"
        )
    if args.compare:
        built = build_comparison(args.dir[0], args.compare, args.output, options)
    elif len(args.dir) > 1:
        built = build_leaderboard(args.dir, args.output, options)
    else:
        built = build_report(args.dir[0], args.output, options)
    print(_report_line(built))
    return EXIT_OK


def cmd_mlflow_sync(args: argparse.Namespace) -> int:
    from vecbench.reports.mlflow_sync import sync_result_set

    target = sync_result_set(args.dir, args.tracking_uri, _made_folders())
    print(_uploaded_line(target, f" in experiment {target.experiment_id} at {target.uri}"))
    return EXIT_OK


def cmd_run_pipeline(args: argparse.Namespace) -> int:
    from vecbench.bench.pipeline_config import load_pipeline_config
    from vecbench.bench.pipeline_runner import PipelineRunner
    from vecbench.reports.pipeline_store import PipelineStore
    from vecbench.reports.pipeline_table import format_pipeline

    config = load_pipeline_config(args.config)
    out = _out_dir(args, config.name)
    args.result_dir = out
    with _claimed(out, args.wait):
        report, mlflow, sinks = _sinks(args)
        summary = PipelineRunner(config, out, progress=not args.no_progress, sinks=sinks).run()
    print("embedding checks: " + "\n".join(summary.checks))
    print(terminal_block(format_pipeline(PipelineStore(out).read())))
    print(
        f"\n{summary.runs} pipeline run(s), {summary.skipped} already done, {summary.failed} failed, "
        f"in {summary.wall_s:.1f} s. "
        f"Results: {out / 'pipeline.parquet'}"
    )
    if report.built is not None:
        print(_report_line(report.built))
    if mlflow is not None:
        print(_mlflow_line(mlflow))
    return EXIT_OK


def _sinks(args: argparse.Namespace) -> tuple[Any, Any, list[Any]]:
    """The HTML report first (MLflow attaches it at the end), then MLflow unless turned off."""
    from vecbench.reports.html import ReportSink

    report = ReportSink()
    mlflow = None
    if not args.no_mlflow:
        from vecbench.reports.mlflow_sink import MlflowSink

        mlflow = MlflowSink(args.tracking_uri, made=_made_folders())
    return report, mlflow, [report] if mlflow is None else [report, mlflow]


def cmd_datasets_list(args: argparse.Namespace) -> int:
    from vecbench.datasets import dataset_info, dataset_names
    from vecbench.datasets.ann_benchmarks import ANN_FILES, local_path

    for name in dataset_names():
        if name not in ANN_FILES:
            print(f"{name:28s} {dataset_info(name).get('description', '')}")
    print("\nann-benchmarks HDF5 files (fetch with 'vecbench datasets fetch NAME'; looked for in $VECBENCH_DATA or ./data)")
    for name, ann in ANN_FILES.items():
        where = local_path(name)
        mark = f"present: {where}" if where.is_file() else "not fetched"
        print(f"{name:28s} {ann.dim:4d}-d {ann.metric.value:9s} {ann.n_train:>10,} x {ann.n_test:<6,}  [{mark}]")
    from vecbench.datasets.logs.registry import LOGS

    print("\ninteraction logs (a pipeline config's log:)")
    for name, entry in sorted(LOGS.items()):
        print(f"{name:24s} {entry.description}")
    return EXIT_OK


def cmd_datasets_info(args: argparse.Namespace) -> int:
    from vecbench.datasets import dataset_info

    print(json.dumps(dataset_info(args.name), indent=2, default=str))
    return EXIT_OK


def cmd_datasets_fetch(args: argparse.Namespace) -> int:
    from vecbench.datasets.ann_benchmarks import ANN_FILES, data_dir

    if args.name in ANN_FILES:
        from vecbench.datasets.ann_fetch import fetch_ann

        got = fetch_ann(args.name, args.dest, url=args.url, sha256=args.sha256)
        state = "downloaded and checked" if got.downloaded else "already present"
        check = "matches the expected sha256" if got.pinned else "sha256 recorded beside it; pass --sha256 to pin one"
        print(f"{args.name}: {got.path} ({state}; {check}: {got.sha256 or 'not recorded'})")
        print(f"use it as: dataset: {{name: {args.name}}}  (or path: {got.path})")
        return EXIT_OK
    from vecbench.datasets.logs.fetch import ARCHIVES, fetch
    from vecbench.errors import ConfigError, closest_hint

    if args.name not in ARCHIVES:
        raise ConfigError(
            f"no download for '{args.name}'{closest_hint(args.name, [*ANN_FILES, *ARCHIVES])}; "
            "'vecbench datasets list' names them"
        )
    folder = fetch(args.name, args.dest or data_dir(), url=args.url, sha256=args.sha256)
    print(f"{args.name}: {folder} (use it as the log's path)")
    return EXIT_OK


def cmd_results_show(args: argparse.Namespace) -> int:
    from vecbench.reports.store import ResultStore
    from vecbench.reports.table import format_results

    store = ResultStore(args.dir)
    from vecbench.reports.pipeline_store import PipelineStore

    if not store.exists() and PipelineStore(args.dir).exists():
        from vecbench.reports.pipeline_table import format_pipeline

        print(terminal_block(format_pipeline(PipelineStore(args.dir).read())))
        return EXIT_OK
    if not store.exists():
        raise VecbenchError(
            f"no results in {args.dir}: expected {store.results_path}; run 'vecbench run CONFIG --out {args.dir}'"
        )
    from vecbench.reports.constraints import constraints_from
    from vecbench.reports.resultset import read_config

    constraints = constraints_from(read_config(store.out_dir))
    shown = format_results(
        store.read(), pareto=args.pareto, out_dir=store.out_dir, objective=constraints.objective, constraints=constraints
    )
    print(terminal_block(shown))
    return EXIT_OK


def cmd_results_repair(args: argparse.Namespace) -> int:
    from vecbench.bench.recover import recover_rows, recoverable
    from vecbench.reports.lock import RunLock
    from vecbench.reports.pipeline_store import PipelineStore
    from vecbench.reports.store import ResultStore

    folder = Path(args.dir)
    stores = [s for s in (ResultStore(folder), PipelineStore(folder)) if s.table.path.exists() or s.exists()]
    from_raw = folder.is_dir() and recoverable(folder) and not PipelineStore(folder).exists()
    if not folder.is_dir() or not (stores or from_raw):
        raise VecbenchError(
            f"no results in {folder}: nothing to repair; give an output directory of 'vecbench run'"
        )
    with RunLock(folder):  # not while a run writes into it
        for store in stores:
            print(store.repair().line())
        if from_raw:
            recovered = recover_rows(folder)
            print(f"{recovered} row(s) rebuilt from the raw arrays in {folder / 'raw'}")
    return EXIT_OK


def cmd_gate(args: argparse.Namespace) -> int:
    from vecbench.core.atomic import atomic_write_bytes
    from vecbench.gate.mlflow_baseline import baseline_location
    from vecbench.gate.policy import load_policy
    from vecbench.gate.render import format_json, format_markdown, format_terminal
    from vecbench.gate.verdict import run_gate

    outputs = [(Path(path), text) for path, text in ((args.markdown, format_markdown), (args.json, format_json)) if path]
    for path, _ in outputs:  # checked first: a bad path must not read as a regression (exit 1)
        check_output_file(path)
    policy = load_policy(args.policy)
    with baseline_location(args.baseline, args.tracking_uri) as baseline:
        verdict = run_gate(baseline, args.current, policy, baseline_label=args.baseline)
    print(format_terminal(verdict, everything=args.all), file=sys.stderr if verdict.error else sys.stdout)
    for path, text in outputs:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, text(verdict).encode())
        except OSError as exc:
            raise VecbenchError(f"cannot write {path}: {exc.strerror or exc}") from None
    return verdict.exit_code


def check_output_file(path: Path) -> None:
    """A file the command will write: not a directory, and inside a folder that is not a file."""
    if path.is_dir():
        raise VecbenchError(f"{path} is a directory; give a file name, e.g. {path / 'gate.out'}")
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise VecbenchError(f"cannot write {path}: {parent} is a file, not a folder")


def cmd_baseline_save(args: argparse.Namespace) -> int:
    from vecbench.gate.baseline import save_baseline
    from vecbench.gate.mlflow_baseline import baseline_location

    with contextlib.ExitStack() as stack:  # mlflow:<run_id> sources are downloaded first
        dirs = [stack.enter_context(baseline_location(d, args.tracking_uri)) for d in args.dirs]
        saved = save_baseline(dirs, args.to)
    print(
        f"baseline saved to {saved.path}: {saved.points} point(s), {saved.with_samples} with timing "
        f"samples, {saved.bytes / 1e3:.0f} kB"
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vecbench", description="Benchmark vector-search indexes for recommender systems."
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"vecbench {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run", help="run an experiment config", description="Run a YAML experiment config."
    )
    run.add_argument("config", help="path to the YAML experiment config")
    run.add_argument(
        "--out", help="output directory (default: runs/<config name>); re-running the same config resumes"
    )
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument(  # hook: issue 12
        "--load",
        metavar="YAML",
        help="a load: block for every index entry without one, e.g. '{mode: open, rate: [100, 200]}'",
    )
    run.add_argument(
        "--tracking-uri",
        help="MLflow tracking server or store (default: $MLFLOW_TRACKING_URI, else a SQLite store in OUT/mlflow)",
    )
    run.add_argument("--no-mlflow", action="store_true", help="do not log this run to MLflow")
    run.add_argument(
        "--wait",
        action="store_true",
        help="wait for another run into the same --out to finish (default: exit 2)",
    )
    run.add_argument(  # hook: issue 15
        "--executor", choices=("local", "ray"), help="where workers run (default: the config's executor, else local)"
    )
    run.add_argument(
        "--address",
        help="Ray cluster: auto, ray://host:port or host:port (default: start a local cluster for this run)",
    )
    run.set_defaults(handler=cmd_run)

    datasets = commands.add_parser(
        "datasets", help="list and describe datasets", description="Registered datasets."
    )
    dataset_commands = datasets.add_subparsers(dest="datasets_command", metavar="ACTION", required=True)
    dataset_commands.add_parser("list", help="list registered datasets").set_defaults(
        handler=cmd_datasets_list
    )
    info = dataset_commands.add_parser("info", help="describe one dataset")
    info.add_argument("name", help="a registered dataset name")
    info.set_defaults(handler=cmd_datasets_info)
    fetch = dataset_commands.add_parser(
        "fetch", help="download an ann-benchmarks HDF5 file or an interaction log's archive (checksum verified)"
    )
    fetch.add_argument(
        "name", help="an ann-benchmarks set (see 'datasets list'), movielens-100k or movielens-latest-small"
    )
    fetch.add_argument("--dest", help="folder to place it in (default: $VECBENCH_DATA, else ./data)")
    fetch.add_argument(
        "--url", help="another location of the same file: any urllib URL (file:// too) or, for HDF5 files, a local path"
    )
    fetch.add_argument("--sha256", help="the archive checksum to expect instead of the recorded one")
    fetch.set_defaults(handler=cmd_datasets_fetch)

    results = commands.add_parser(
        "results", help="inspect results", description="Inspect a result directory."
    )
    result_commands = results.add_subparsers(dest="results_command", metavar="ACTION", required=True)
    show = result_commands.add_parser("show", help="print the results table")
    show.add_argument("dir", help="an output directory of 'vecbench run'")
    show.add_argument("--pareto", action="store_true", help="only each adapter's recall/QPS frontier")
    show.set_defaults(handler=cmd_results_show)
    repair = result_commands.add_parser(
        "repair", help="rebuild a damaged results file from its part files (the damaged file is kept)"
    )
    repair.add_argument("dir", help="an output directory of 'vecbench run'")
    repair.set_defaults(handler=cmd_results_repair)

    report = commands.add_parser(
        "report",
        help="write the HTML report of a result set",
        description=(
            "Write one self-contained HTML report (default OUT/report.html); with several result sets, "
            "one leaderboard and frontier chart across them (default FIRST/leaderboard.html)."
        ),
    )
    report.add_argument(
        "dir",
        nargs="+",
        help="an output directory of 'vecbench run'; two or more: one leaderboard and frontier chart of all",
    )
    report.add_argument("--compare", metavar="OTHER", help="a second output directory to show side by side")
    report.add_argument(
        "--recall-axis",
        choices=("linear", "logit"),
        default="linear",
        help="logit spreads out recall 0.9-0.999, where choices are made (default: linear)",
    )
    report.add_argument("--output", help="where to write the HTML file")
    report.set_defaults(handler=cmd_report)

    mlflow = commands.add_parser(
        "mlflow", help="MLflow tracking", description="Upload result sets to MLflow."
    )
    mlflow_commands = mlflow.add_subparsers(dest="mlflow_command", metavar="ACTION", required=True)
    sync = mlflow_commands.add_parser(
        "sync",
        help="upload a result set (skips runs already there)",
        description="Upload a result set to MLflow.",
    )
    sync.add_argument("dir", help="an output directory of 'vecbench run'")
    sync.add_argument(
        "--tracking-uri",
        help="MLflow tracking server or store (default: $MLFLOW_TRACKING_URI, else OUT/mlflow)",
    )
    sync.set_defaults(handler=cmd_mlflow_sync)

    gate = commands.add_parser(
        "gate",
        help="fail when results regress against a baseline",
        description="Compare matching points of two result sets under a noise-aware policy. "
        "Exit 0: pass, 1: regression, 2: error (e.g. nothing to compare, mismatched datasets, "
        "an output path that is a directory), 3: inconclusive (the calibration kernel shows one "
        "side's machine ran much slower than unchanged runs differ, so speed checks cannot be "
        "trusted; 'busy_machine: fail' in the policy makes it a regression instead).",
    )
    gate.add_argument(
        "--baseline",
        required=True,
        help="a baseline directory, a 'vecbench run' output, or mlflow:<parent run id> (printed by 'vecbench run')",
    )
    gate.add_argument("--current", required=True, help="the 'vecbench run' output to judge")
    gate.add_argument("--policy", help="gate policy YAML (default: built-in limits, see README)")
    gate.add_argument(
        "--tracking-uri", help="MLflow tracking store of an mlflow: baseline (default: $MLFLOW_TRACKING_URI)"
    )
    gate.add_argument("--markdown", metavar="PATH", help="also write a Markdown summary (PR comment)")
    gate.add_argument("--json", metavar="PATH", help="also write the JSON verdict")
    gate.add_argument(
        "--all", action="store_true", help="print every check (default: only failing and warning ones)"
    )
    gate.set_defaults(handler=cmd_gate)

    from vecbench.tune.command import add_parser as add_tune_parser  # hook: issue 15

    add_tune_parser(commands)

    baseline = commands.add_parser("baseline", help="manage gate baselines", description="Gate baselines.")
    baseline_commands = baseline.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)
    save = baseline_commands.add_parser(
        "save", help="store a result directory as a compact baseline", description="Save a baseline."
    )
    save.add_argument(
        "dirs",
        nargs="+",
        metavar="DIR",
        help="output directories of 'vecbench run' or mlflow:<parent run id> (several runs of one config are pooled)",
    )
    save.add_argument("--to", required=True, help="the baseline directory to write (replaced if it exists)")
    save.add_argument(
        "--tracking-uri",
        help="MLflow tracking store of mlflow:<run id> sources (default: $MLFLOW_TRACKING_URI)",
    )
    save.set_defaults(handler=cmd_baseline_save)

    from vecbench.capacity.plan_cli import add_parser as add_plan_parser  # hook: issue 14

    add_plan_parser(commands)
    from vecbench.serve.command import add_parser as add_serve  # hook: issue 12

    add_serve(commands)
    from vecbench.start_cli import add_start_commands  # issue 17: init, schema, completion

    add_start_commands(commands, parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except VecbenchError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(interrupted_line(getattr(args, "result_dir", None)), file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        if args.debug:
            traceback.print_exc()
        print(f"error: {disk_full_line(exc, getattr(args, 'result_dir', None))}", file=sys.stderr)
        return EXIT_USAGE


def disk_full_line(exc: OSError, out: Path | None) -> str:
    """A full disk or quota: which folder, what was kept, and what to do."""
    where = Path(exc.filename).parent if exc.filename else out
    line = f"{exc.strerror or 'no space left on device'}: the disk holding {where or 'the output'} is full"
    if out is not None:
        line += f"; {kept_points(out)} points kept in {out}, free some space and re-run to resume"
    return line


def interrupted_line(out: Path | None) -> str:
    """What Ctrl-C left behind: the finished points kept in OUT, and how to go on."""
    if out is None:
        return "interrupted; nothing was written"
    return f"interrupted, {kept_points(out)} points kept, re-run to resume (results in {out})"


def kept_points(out: Path) -> int:
    """Finished points in a result folder (index sweep rows or pipeline runs); 0 when unreadable."""
    from vecbench.reports.pipeline_store import PipelineStore
    from vecbench.reports.store import ResultStore

    try:
        frame = ResultStore(out).read()
        if frame.empty:
            frame = PipelineStore(out).read()
    except (VecbenchError, OSError, KeyError):
        return 0
    if frame.empty or "status" not in frame.columns:
        return 0
    keys = "point_key" if "point_key" in frame.columns else None
    done = frame[frame["status"] == "ok"]
    return int(done[keys].nunique()) if keys else len(done)


if __name__ == "__main__":
    sys.exit(main())
