"""The `verify-derivations` command: a thin front end over runner.run_claims.

Exit codes: 0 every verdict agrees with its claim's `expect`; 1 some verdict does
not (or is an error or a timeout); 2 a usage error or an unreadable claim file
(the other claims are still verified and reported).
"""

from __future__ import annotations

import fnmatch
import os
import sys
from pathlib import Path

import click

from .loader import find_claim_files
from .report import make_report, render_json, render_markdown, write_atomic
from .runner import load_all, run_claims
from .verify import Settings

EXIT_OK, EXIT_DISAGREE, EXIT_INPUT = 0, 1, 2


class NoClaims(click.ClickException):
    """No claim file matched the paths and -k pattern; check them."""
    exit_code = EXIT_INPUT


def select(pattern: str | None):
    """Keep what -k selects: a substring of the id, or a glob over it."""
    if not pattern:
        return lambda text: True
    glob = any(ch in pattern for ch in "*?[")
    return lambda text: fnmatch.fnmatch(text, pattern) if glob else pattern in text


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--report", "report_path", default="reports/report.md", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Markdown report to write.")
@click.option("--json", "json_path", default="reports/report.json", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="JSON report to write.")
@click.option("--no-report", is_flag=True, help="Write no report files; print verdicts only.")
@click.option("-k", "pattern", default=None, help="Only claims whose id contains PATTERN (or matches it as a glob).")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of every random point.")
@click.option("--timeout", default=60.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds allowed per claim.")
@click.option("--jobs", "-j", default=os.cpu_count() or 1, show_default="the number of CPUs",
              type=click.IntRange(min=1), help="Claims verified at once, each in its own process.")
@click.option("--points", default=5, show_default=True, type=click.IntRange(min=1, max=100),
              help="Random points per step, shape and function, in both engines.")
@click.option("--large-size", "large", default=64, show_default=True, type=click.IntRange(min=0, max=4096),
              help="Dimension size of the numeric check's large shape (0: small shapes only).")
def main(paths, report_path, json_path, no_report, pattern, seed, timeout, jobs, points, large):
    """Verify the claim files under PATHS (default: derivations/) and write the reports."""
    paths = paths or (Path("derivations"),)
    if not all(p.exists() for p in paths):
        raise click.BadParameter("no such path", param_hint="PATHS")
    claims, load_errors = load_all(find_claim_files(paths))
    keep = select(pattern)
    claims = [c for c in claims if keep(c.id)]
    load_errors = [e for e in load_errors if keep(e.id)]
    if not claims and not load_errors:
        raise NoClaims(f"no claim files under {', '.join(map(str, paths))}"
                       + (f" match -k {pattern!r}" if pattern else ""))
    for err in load_errors:
        click.echo(f"error: {err.message}", err=True)
    settings = Settings(seed=seed, points=points, timeout=timeout, large=large)
    with click.progressbar(length=len(claims), label="verifying", file=sys.stderr,
                           item_show_func=lambda r: r.id if r else None) as bar:
        results = run_claims(claims, settings, jobs=jobs, on_result=lambda r: bar.update(1, r))
    results = load_errors + results
    for r in sorted(results, key=lambda r: r.id):
        flag = "" if r.agrees else ("  <- not verified" if r.claim is None else f"  <- expected {r.expect or 'holds'}")
        click.echo(f"{r.verdict:12} {r.id}{flag}")
    report = make_report(results, seed=seed)
    if not no_report:
        write_atomic(json_path, render_json(report))
        write_atomic(report_path, render_markdown(report))
        click.echo(f"wrote {report_path} and {json_path}")
    summary = report["summary"]
    counts = ", ".join(f"{n} {v}" for v, n in summary["verdicts"].items() if n)
    click.echo(f"{summary['total']} claims: {counts}")
    if load_errors:
        sys.exit(EXIT_INPUT)
    sys.exit(EXIT_OK if not summary["surprises"] else EXIT_DISAGREE)


if __name__ == "__main__":  # pragma: no cover
    main()
