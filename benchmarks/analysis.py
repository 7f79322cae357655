"""The static analysis of each shipped rule file (target: under 5 s each).

Times `diagnose(source, analysis=True)` — parse, check, compile and analyse, as `check` and
`POST /v1/policies/check` run it — for every rule file of `rules/`, the compiled-file cache
emptied before each run, files taken in turn (A B C A B C ...). Reports each file's min and
median and the slowest file's median. The same script runs against an earlier commit's
analysis with `versus_commit.py` (`diagnose` is the same function there):

    .venv/bin/python benchmarks/analysis.py --repeat 5
    .venv/bin/python benchmarks/versus_commit.py 303c14e --rounds 3 \\
        --figure 'all shipped files +median +([\\d.]+) s' -- benchmarks/analysis.py --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from policycheck import policy as policy_module
from policycheck.language.diagnostics import Severity
from policycheck.language.source import Source
from policycheck.policy import diagnose

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 5.0


def analysed_once(path: Path) -> tuple[float, int]:
    """Seconds of one diagnose with the analysis, from an empty cache; its warnings."""
    policy_module._compiled_cache.clear()
    source = Source.read(path)
    start = time.perf_counter()
    _, diagnostics = diagnose(source, analysis=True)
    seconds = time.perf_counter() - start
    assert not [d for d in diagnostics if d.severity is Severity.ERROR], path
    return seconds, sum(d.severity is Severity.WARNING for d in diagnostics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each file")
    args = parser.parse_args()
    paths = sorted((ROOT / "rules").glob("*.policy"))
    runs: dict[Path, list[float]] = {path: [] for path in paths}
    warnings: dict[Path, int] = {}
    totals = []
    for _ in range(args.repeat):
        total = 0.0
        for path in paths:
            seconds, warnings[path] = analysed_once(path)
            runs[path].append(seconds)
            total += seconds
        totals.append(total)
    for path in paths:
        best, median = min(runs[path]), statistics.median(runs[path])
        print(
            f"{path.name:<40} best {best:6.3f} s   median {median:6.3f} s   "
            f"{warnings[path]} warning(s)"
        )
    slowest = max(statistics.median(r) for r in runs.values())
    verdict = "meets" if slowest < TARGET_S else "MISSES"
    print(f"slowest file median {slowest:.3f} s: {verdict} the target of < {TARGET_S:g} s each")
    print(
        f"all shipped files    best {min(totals):.3f} s   median {statistics.median(totals):.3f} s"
    )


if __name__ == "__main__":
    main()
