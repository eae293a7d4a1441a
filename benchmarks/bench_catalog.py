"""Benchmark of the whole catalog through the CLI (run: python benchmarks/bench_catalog.py).

Measures on this machine, in one run so that ratios are comparable:
1. the catalog (derivations/) cold: `verify-derivations --no-report --no-cache --jobs 2`;
2. the same run filling a fresh, temporary result cache (`--cache-dir`), then warm: the unchanged
   catalog again, served from that cache; the ratio warm / cold;
3. every claim serially (runner.run_claims with one job: a worker process per claim, as the CLI does),
   the 10 slowest with their seconds;
4. for the 5 slowest, the time of each phase in this process: shapes and plan, symbolic check, numeric
   check, and the rest of the whole verify (the combination and the diagnosis; all of it for an
   ill-typed claim, whose diagnosis verifies candidate repairs like claims).

The cache folder is a temporary one, removed at the end; the repository's .verify-cache/ is never read
or written.  Verdicts of the runs are compared and any difference is printed (never asserted: this is a
benchmark, the tests decide correctness).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from verifier.errors import ShapeError
from verifier.loader import find_claim_files
from verifier.numeric_check import check_numeric
from verifier.plan import Settings, make_plan
from verifier.runner import load_all, run_claims
from verifier.shapes import check_claim_shapes
from verifier.symbolic_check import check_symbolic
from verifier.verify import verify

ROOT = Path(__file__).resolve().parent.parent
VERDICT_LINE = re.compile(r"^(\S+)\s+(\S+)(.*)$")
VERDICTS = {"proved", "confirmed", "refuted", "ill-typed", "engine-disagreement", "inconclusive", "error",
            "timeout"}


def run_cli(*options: str) -> tuple[float, dict, int, int]:
    """(wall seconds, id -> verdict, claims served from the cache, exit code) of one CLI run."""
    env = {k: v for k, v in os.environ.items() if k != "VERIFY_DERIVATIONS_NO_CACHE"}
    command = [sys.executable, "-m", "verifier.cli", "derivations", "--no-report", *options]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    verdicts, cached = {}, 0
    for line in done.stdout.splitlines():
        match = VERDICT_LINE.match(line)
        if match and match.group(1) in VERDICTS:
            verdicts[match.group(2)] = match.group(1)
            cached += "(cached)" in match.group(3)
    if done.returncode not in (0, 1):
        print(f"  (exit code {done.returncode}: {done.stderr.strip().splitlines()[-1:]})")
    return seconds, verdicts, cached, done.returncode


def compare_verdicts(name: str, base: dict, other: dict) -> None:
    changed = sorted(k for k in base.keys() | other.keys() if base.get(k) != other.get(k))
    if changed:
        print(f"  ! {name}: {len(changed)} verdicts differ from the cold run: "
              + ", ".join(f"{k} ({base.get(k)} -> {other.get(k)})" for k in changed[:10]))


def serial_times(claims, settings: Settings):
    """Each claim alone in its worker: (seconds inside the worker, verdict, id), slowest first, and the wall."""
    start = time.perf_counter()
    results = run_claims(claims, settings, jobs=1)
    wall = time.perf_counter() - start
    rows = sorted(((r.seconds or 0.0, r.verdict, r.id) for r in results), reverse=True)
    return rows, wall


def phase_times(claim, settings: Settings) -> dict:
    """Seconds of each phase of one claim in this process.  An ill-typed claim stops after the shape
    check (its whole verify is then the diagnosis); "rest" is the combination and the diagnosis."""
    out = {"symbolic": None, "numeric": None, "points": None}
    start = time.perf_counter()
    try:
        check_claim_shapes(claim)
        plan = make_plan(claim, settings)
        out["shapes+plan"] = time.perf_counter() - start
        start = time.perf_counter()
        check_symbolic(plan)
        out["symbolic"] = time.perf_counter() - start
        start = time.perf_counter()
        numeric = check_numeric(plan)
        out["numeric"] = time.perf_counter() - start
        out["points"] = numeric.points
    except ShapeError:
        out["shapes+plan"] = time.perf_counter() - start
    start = time.perf_counter()
    result = verify(claim, settings)
    out["verify"] = time.perf_counter() - start
    out["rest"] = out["verify"] - sum(out[k] or 0.0 for k in ("shapes+plan", "symbolic", "numeric"))
    out["verdict"] = result.verdict
    return out


def print_phases(claims, settings: Settings) -> None:
    print("| claim | shapes + plan | symbolic | numeric (points) | rest: combine + diagnosis | whole verify "
          "| verdict |")
    print("|---|---|---|---|---|---|---|")
    for claim in claims:
        try:
            p = phase_times(claim, settings)
        except Exception as exc:  # a benchmark reports a crash and goes on
            print(f"| `{claim.id}` | crashed: {type(exc).__name__}: {exc} | | | | | |")
            continue
        numeric = "-" if p["numeric"] is None else f"{p['numeric']:.2f} ({p['points']})"
        symbolic = "-" if p["symbolic"] is None else f"{p['symbolic']:.2f}"
        print(f"| `{claim.id}` | {p['shapes+plan']:.3f} | {symbolic} | {numeric} | {max(p['rest'], 0.0):.2f} | "
              f"{p['verify']:.2f} | {p['verdict']} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--top", type=int, default=10, help="slowest claims listed")
    parser.add_argument("--phases", type=int, default=5, help="slowest claims timed phase by phase")
    args = parser.parse_args()
    began = time.perf_counter()
    print(f"machine: {os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.2f} "
          f"(other work on the machine changes every figure below)")
    jobs = f"--jobs={args.jobs}"

    cold, base, _, code = run_cli("--no-cache", jobs)
    print(f"\n## 1-2. The catalog ({len(base)} claims) through the CLI, --jobs {args.jobs}, wall seconds")
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
        fill, filled, _, _ = run_cli("--cache-dir", cache, jobs)
        warm, again, served, _ = run_cli("--cache-dir", cache, jobs)
        stored = len(list(Path(cache).rglob("*.json")))
    print("| run | seconds | served from the cache | ratio to cold |")
    print("|---|---|---|---|")
    print(f"| cold (`--no-cache`) | {cold:.1f} | - | 1 |")
    print(f"| cold, filling a fresh cache | {fill:.1f} | 0 | {fill / cold:.2f} |")
    print(f"| warm (unchanged catalog, same cache) | {warm:.2f} | {served} of {len(again)} | {warm / cold:.3f} |")
    print(f"\ncache entries written: {stored}; exit code of the cold run: {code}; verdicts: "
          + ", ".join(f"{n} {v}" for v, n in Counter(base.values()).most_common()))
    compare_verdicts("cold, filling the cache", base, filled)
    compare_verdicts("warm", base, again)

    settings = Settings()
    claims, errors = load_all(find_claim_files([ROOT / "derivations"]))
    rows, wall = serial_times(claims, settings)
    total = sum(s for s, _, _ in rows)
    print(f"\n## 3. Each claim alone (one job, a worker per claim): {wall:.1f} s wall, {total:.1f} s inside "
          f"the workers; the {args.top} slowest")
    print("| claim | verdict | seconds | share of the total |")
    print("|---|---|---|---|")
    for seconds, verdict, claim_id in rows[:args.top]:
        print(f"| `{claim_id}` | {verdict} | {seconds:.2f} | {seconds / total:.0%} |")
    slow = [s for s, _, _ in rows]
    print(f"\nmedian claim {slow[len(slow) // 2]:.3f} s; claims over 1 s: {sum(s > 1 for s in slow)}; "
          f"over 2 s: {sum(s > 2 for s in slow)}; load errors: {len(errors)}")

    by_id = {c.id: c for c in claims}
    print(f"\n## 4. Phases of the {args.phases} slowest claims, in this process, seconds")
    print_phases([by_id[claim_id] for _, _, claim_id in rows[:args.phases]], settings)
    print(f"\n(total {time.perf_counter() - began:.0f} s; load average at the end {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
