"""One benchmark script run against this tree and an earlier commit, interleaved (A B A B ...).

A refactoring must not cost speed: this checks out REF in a temporary git worktree, then runs
the same benchmark script alternately with this tree and REF first on `sys.path`, reads one
figure from each run's output with a regular expression, and reports each side's min and
median and their ratio. Only ratios from one run mean anything on a shared machine.

    .venv/bin/python benchmarks/versus_commit.py c57ec2d --rounds 5 \\
        --figure 'Policy.evaluate +best +([\\d,]+)/s' -- benchmarks/evaluate.py --n 3000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", help="the commit to compare against (e.g. HEAD~3)")
    parser.add_argument("--figure", required=True, help="regex with one group: the number to read")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each side (default: 5)")
    parser.add_argument(
        "--script-here",
        action="store_true",
        help="run this tree's script on both sides (a benchmark newer than REF)",
    )
    argv = sys.argv[1:]
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        parser.error("give the benchmark script after --: ... -- SCRIPT [ARGS...]")
    split = argv.index("--")
    args, script = parser.parse_args(argv[:split]), argv[split + 1 :]
    figure = re.compile(args.figure)
    with tempfile.TemporaryDirectory(prefix="versus-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.ref], cwd=ROOT,
                       check=True, capture_output=True)  # fmt: skip
        try:
            figures = _interleaved(base, script, figure, args.rounds, args.script_here)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT,
                           check=False, capture_output=True)  # fmt: skip
    for side, values in figures.items():
        low, mid, high = min(values), statistics.median(values), max(values)
        print(f"{side:>8}  min {low:>14,.1f}  median {mid:>14,.1f}  max {high:>14,.1f}")
    ratio = statistics.median(figures["this"]) / statistics.median(figures["base"])
    print(f"this / {args.ref} (medians): {ratio:.3f}")


def _interleaved(
    base: Path, script: list[str], figure: re.Pattern[str], rounds: int, here: bool = False
) -> dict[str, list[float]]:
    trees = {"this": ROOT, base.name: base}
    figures: dict[str, list[float]] = {"this": [], "base": []}
    for round_ in range(rounds):
        for side, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": str(tree)}
            path = (ROOT if here else tree) / script[0]
            run = subprocess.run([sys.executable, str(path), *script[1:]], env=env,
                                 cwd=tree, capture_output=True, text=True, check=True)  # fmt: skip
            match = figure.search(run.stdout)
            if match is None:
                raise SystemExit(f"no figure matching {figure.pattern!r} in:\n{run.stdout}")
            value = float(match.group(1).replace(",", ""))
            figures["this" if side == "this" else "base"].append(value)
            print(f"round {round_ + 1}: {side:>8} {value:,.1f}", file=sys.stderr)
    return figures


if __name__ == "__main__":
    main()
