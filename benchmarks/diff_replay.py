"""`policycheck diff --db` on a large decision log: the 15-jours-ouvrables amendment of TomTom's
clause a replayed over N logged decisions (target: 1 million in under 60 s on 2 cores).

The log is a realistic one (benchmarks/tomtom_log.py: conversations of agents with customers
over the policy's two and a half years, exceptions granted), made once per size and seed and
kept in the temporary folder (`policycheck-bench/`: generating a million decisions takes a while).
The command runs as a user runs it, in its own process, with every core (`--workers` default)
and with one worker, interleaved (A B A B ...); each reports the min and the median of its
wall-clock times and of its CPU time (the command's and its workers': what a machine that
others use too does not change much), and the ratio per round. Every run's JSON report must be
the same.

    .venv/bin/python benchmarks/diff_replay.py [--decisions 1000000] [--seed 2012] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import tomtom_log  # beside this file (the script's folder is first on sys.path)
from common import BIN, ROOT, interleaved, min_median, ratios

from policycheck.toolkit.replay import cores

TARGET_SECONDS = 60.0  # for 1,000,000 decisions on 2 cores


def cached_log(decisions: int, seed: int) -> Path:
    """The log of `decisions` decisions for `seed`, generated on first use."""
    folder = Path(tempfile.gettempdir()) / "policycheck-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"diff-replay-{decisions}-{seed}-v{tomtom_log.VERSION}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    for stale in folder.glob(partial.name + "*"):
        stale.unlink()
    print(f"generating {decisions:,} logged decisions (seed {seed}) into {path} ...", flush=True)
    start = time.perf_counter()
    logged, granted = tomtom_log.generate(f"sqlite:///{partial}", decisions, seed)
    for suffix in ("-wal", "-shm", ".write-lock"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    partial.rename(path)
    took = time.perf_counter() - start
    print(f"  {logged:,} decisions, {granted:,} exceptions in {took:.0f} s", flush=True)
    return path


def _children_cpu() -> float:
    """CPU seconds (user and system) of the child processes waited for so far: a run's share of
    a machine that others also use."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def amendment(into: Path) -> tuple[Path, Path]:
    """The rule file in force and its amendment (15 jours ouvrables), beside the law."""
    for name in ("tomtom-fr-2012.policy", "fr-code-consommation-2012.policy"):
        shutil.copy(ROOT / "rules" / name, into / name)
    old = into / "tomtom-fr-2012.policy"
    text = old.read_text(encoding="utf-8")
    assert "within 14 ouvrables" in text
    new = into / "tomtom-15.policy"
    new.write_text(text.replace("within 14 ouvrables", "within 15 ouvrables"), encoding="utf-8")
    return old, new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2012)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    log = cached_log(args.decisions, args.seed)
    every = cores()
    with tempfile.TemporaryDirectory() as scratch:
        old, new = amendment(Path(scratch))
        reports: list[str] = []
        cpu: dict[str, list[float]] = {"all cores": [], "1 worker": []}

        def run(name: str, _round: int) -> float:
            workers = every if name == "all cores" else 1
            command = [str(BIN / "policycheck"), "diff", str(old), str(new), "--format", "json"]
            command += ["--db", f"sqlite:///{log}", "--workers", str(workers)]
            before = _children_cpu()
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            took = time.perf_counter() - start
            cpu[name].append(_children_cpu() - before)
            assert done.returncode == 1, done.stderr  # 1: decisions change
            reports.append(done.stdout)
            print(f"  {name:<9} ({workers} worker{'s' if workers > 1 else ''}): {took:6.1f} s, "
                  f"CPU {cpu[name][-1]:6.1f} s", flush=True)  # fmt: skip
            return took

        print(f"diff --db over {args.decisions:,} logged decisions, {os.cpu_count()} CPUs")
        times = interleaved(["all cores", "1 worker"], args.rounds, run)
    assert len(set(reports)) == 1, "the report depends on the workers"
    counts = json.loads(reports[0])["decisions"]
    print(f"replayed {counts['replayed']:,}, changed {counts['changed']:,}, "
          f"read {counts['read']:,}")  # fmt: skip
    for name, found in times.items():
        rate = args.decisions / statistics.median(found)
        print(f"{name:<10} {min_median(found, '{:.1f} s')}  ({rate:,.0f} decisions/s median); "
              f"CPU time {min_median(cpu[name], '{:.1f} s')}")  # fmt: skip
    speedup = ratios(times["1 worker"], times["all cores"])
    print(f"1 worker / all cores per round: {min_median(speedup, '{:.2f}x')}")
    if args.decisions == 1_000_000:
        best = min(times["all cores"])
        verdict = "met" if best < TARGET_SECONDS else "missed"
        print(f"target < {TARGET_SECONDS:.0f} s for 1,000,000 on 2 cores: {verdict} ({best:.1f} s)")


if __name__ == "__main__":
    main()
