"""How big the HTML report of a result set is and how long it takes to build, measured.

Builds ``vecbench report OUT`` ``--repeats`` times into a scratch file (the result set is only
read) and prints the size in bytes and the median and range of the build times.

    python benchmarks/report_build.py runs/quickstart [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from vecbench.reports.html import build_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="an output directory of 'vecbench run'")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "report.html"
        builds = [build_report(args.out, target) for _ in range(args.repeats)]
    seconds = sorted(b.seconds for b in builds)
    sizes = {b.size_bytes for b in builds}
    print(f"report of {args.out}: {', '.join(f'{s:,}' for s in sorted(sizes))} bytes")
    print(
        f"build time over {len(seconds)} builds: median {statistics.median(seconds):.3f} s "
        f"(min {seconds[0]:.3f}, max {seconds[-1]:.3f})"
    )


if __name__ == "__main__":
    main()
