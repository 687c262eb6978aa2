"""Run every hostile case of ``vecbench.testing.attacks`` and print "cases tried / held / data lost".

    PYTHONPATH=. python benchmarks/attack_cases.py            # every case, slow ones too
    PYTHONPATH=. python benchmarks/attack_cases.py --fast     # only the default-suite ones

Each case runs in its own scratch folder; the table lists every case that did not hold, then a
total per group. The same cases are the parametrised tests of ``tests/test_attacks.py``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from vecbench.testing.attacks import ATTACKS, Outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="skip the cases marked slow")
    parser.add_argument("--verbose", action="store_true", help="one line per case")
    parser.add_argument("-k", metavar="TEXT", default="", help="only cases whose name contains TEXT")
    args = parser.parse_args()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    failures = []
    skipped: list[tuple[str, Outcome]] = []
    start = time.monotonic()
    for case in ATTACKS:
        if (args.fast and case.slow) or args.k not in case.name:
            continue
        with tempfile.TemporaryDirectory(prefix="attack-") as scratch:
            began = time.monotonic()
            try:
                outcome = case.run(Path(scratch))
            except Exception as exc:  # a case that crashes did not hold; say why and go on
                outcome = Outcome(False, f"the case itself raised {type(exc).__name__}: {exc}")
        if outcome.skipped:  # not tried here: counted neither as held nor as failed
            skipped.append((case.name, outcome))
            continue
        row = totals[case.group]
        row[0] += 1
        row[1] += outcome.held and not outcome.rows_lost
        row[2] += max(0, outcome.rows_lost)
        if args.verbose:
            mark = "held" if outcome.held and not outcome.rows_lost else "FAILED"
            print(f"{mark:6s} {time.monotonic() - began:5.1f} s  {case.name}: {outcome.detail}")
        if not outcome.held or outcome.rows_lost:
            failures.append((case.name, outcome))
    print(f"\n{'group':22s} {'tried':>6s} {'held':>6s} {'rows lost':>10s}")
    for group, (tried, held, lost) in totals.items():
        print(f"{group:22s} {tried:6d} {held:6d} {lost:10d}")
    tried, held, lost = (sum(row[i] for row in totals.values()) for i in range(3))
    print(f"{'all':22s} {tried:6d} {held:6d} {lost:10d}   ({time.monotonic() - start:.0f} s)")
    for name, outcome in failures:
        print(f"not held: {name}: {outcome.detail}")
    for name, outcome in skipped:
        print(f"skipped (not counted): {name}: {outcome.detail}")


if __name__ == "__main__":
    main()
