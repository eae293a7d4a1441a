"""The `verify-derivations` command: a thin front end over runner.run_claims.

Exit codes: 0 every verdict agrees with its claim's `expect`; 1 some verdict does
not (or is an error or a timeout); 2 a usage error or an unreadable claim file
(the other claims are still verified and reported); 3 a report file could not be
written (the previous one is left intact); 130 interrupted (Ctrl-C), 143
terminated (SIGTERM): workers are killed and no report file is half-written.
"""

from __future__ import annotations

import fnmatch
import math
import os
import signal
import sys
from pathlib import Path

import click

from .cache import ResultCache, split_cached, store_results
from .loader import find_claim_files
from .notes import NotesDataError, write_notes_after_run
from .report import make_report, render_json, render_markdown, write_atomic
from .runner import load_all, run_claims
from .textsafe import terminal
from .verify import Settings

EXIT_OK, EXIT_DISAGREE, EXIT_INPUT, EXIT_WRITE = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


class NoClaims(click.ClickException):
    """No claim file matched the paths and -k pattern; check them."""
    exit_code = EXIT_INPUT


class ReportWriteError(click.ClickException):
    """A report file could not be written (a read-only folder, a full disk); the previous
    report at that path is left intact.  Free space or choose another --report/--json."""
    exit_code = EXIT_WRITE


class Terminated(BaseException):
    """SIGTERM arrived: handled like Ctrl-C (workers killed, nothing half-written)."""


def select(pattern: str | None):
    """Keep what -k selects: a substring of the id, or a glob over it."""
    if not pattern:
        return lambda text: True
    glob = any(ch in pattern for ch in "*?[")
    return lambda text: fnmatch.fnmatch(text, pattern) if glob else pattern in text


def check_timeout(ctx, param, value: float) -> float:
    """--timeout: a finite number of seconds above 0 (`inf` and `nan` would disable the limit)."""
    if not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"{value!r} is not a finite number of seconds above 0")
    return value


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--report", "report_path", default="reports/report.md", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Markdown report to write.")
@click.option("--json", "json_path", default="reports/report.json", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="JSON report to write.")
@click.option("--no-report", is_flag=True, help="Write no report files; print verdicts only.")
@click.option("-k", "pattern", default=None, help="Only claims whose id contains PATTERN (or matches it as a glob).")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of every random point.")
@click.option("--timeout", default=60.0, show_default=True, type=float, callback=check_timeout,
              help="Seconds allowed per claim (finite, above 0).")
@click.option("--jobs", "-j", default=os.cpu_count() or 1, show_default="the number of CPUs",
              type=click.IntRange(min=1, max=1024), help="Claims verified at once, each in its own process.")
@click.option("--points", default=5, show_default=True, type=click.IntRange(min=1, max=100),
              help="Random points per step, shape and function, in both engines.")
@click.option("--large-size", "large", default=64, show_default=True, type=click.IntRange(min=0, max=4096),
              help="Dimension size of the numeric check's large shape (0: small shapes only).")
@click.option("--cache-dir", default=".verify-cache", show_default=True, type=click.Path(path_type=Path),
              help="Folder of cached results (keyed by file content, verifier source and settings).")
@click.option("--no-cache", is_flag=True, envvar="VERIFY_DERIVATIONS_NO_CACHE",
              help="Verify every claim again; neither read nor write the cache.")
def main(paths, report_path, json_path, no_report, pattern, seed, timeout, jobs, points, large, cache_dir,
         no_cache):
    """Verify the claim files under PATHS (default: derivations/) and write the reports."""
    paths = paths or (Path("derivations"),)
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        raise click.BadParameter(f"path {terminal(missing[0])!r} does not exist", param_hint="PATHS")
    settings = Settings(seed=seed, points=points, timeout=timeout, large=large)
    previous = _on_sigterm()
    try:
        code = _run(paths, pattern, settings, jobs, None if no_report else (report_path, json_path),
                    None if no_cache else ResultCache(cache_dir))
    except KeyboardInterrupt:
        click.echo("interrupted: workers stopped; no report file is half-written", err=True)
        code = EXIT_INTERRUPTED
    except Terminated:
        click.echo("terminated: workers stopped; no report file is half-written", err=True)
        code = EXIT_TERMINATED
    finally:
        _restore_sigterm(previous)
    sys.exit(code)


def _run(paths, pattern, settings: Settings, jobs: int, report_paths, cache) -> int:
    digests: dict[str, str] = {}
    claims, load_errors = load_all(find_claim_files(paths), digests=digests)
    keep = select(pattern)
    claims = [c for c in claims if keep(c.id)]
    load_errors = [e for e in load_errors if keep(e.id)]
    if not claims and not load_errors:
        raise NoClaims(f"no claim files under {terminal(', '.join(map(str, paths)))}"
                       + (f" match -k {terminal(repr(pattern))}" if pattern else ""))
    for err in load_errors:
        click.echo(f"error: {terminal(err.message)}", err=True)
    cached, claims, keys = split_cached(cache, claims, digests, settings)
    with click.progressbar(length=len(claims), label="verifying", file=sys.stderr,
                           item_show_func=lambda r: terminal(r.id) if r else None) as bar:
        fresh = run_claims(claims, settings, jobs=jobs, on_result=lambda r: bar.update(1, r))
    store_results(cache, fresh, keys)
    results = load_errors + cached + fresh
    for r in sorted(results, key=lambda r: r.id):
        flag = "" if r.agrees else ("  <- not verified" if r.claim is None else f"  <- expected {r.expect or 'holds'}")
        click.echo(f"{r.verdict:12} {terminal(r.id)}{flag}{'  (cached)' if getattr(r, 'cached', False) else ''}")
    report = make_report(results, seed=settings.seed)
    if report_paths:
        _write_reports(report, *report_paths)
    summary = report["summary"]
    counts = ", ".join(f"{n} {v}" for v, n in summary["verdicts"].items() if n)
    click.echo(f"{summary['total']} claims: {counts}")
    if load_errors:
        return EXIT_INPUT
    return EXIT_OK if not summary["surprises"] else EXIT_DISAGREE


def _write_reports(report: dict, report_path: Path, json_path: Path) -> None:
    for path, text in ((json_path, render_json(report)), (report_path, render_markdown(report))):
        try:
            write_atomic(path, text)
        except OSError as exc:
            raise ReportWriteError(f"cannot write {terminal(path)}: {exc.strerror or exc} "
                                   "(the previous file there, if any, is unchanged)") from None
    click.echo(f"wrote {terminal(report_path)} and {terminal(json_path)}")
    try:  # a full run at the default paths also regenerates reports/notes/ and the README summary
        notes = write_notes_after_run(report, report_path, json_path)
    except (OSError, NotesDataError) as exc:
        raise ReportWriteError(f"cannot write the graded pages or the README: {terminal(exc)}") from None
    if notes:
        click.echo("wrote " + ", ".join(terminal(p.name) for p in notes))


def _on_sigterm():
    """Turn SIGTERM into Terminated in this (main) thread; the previous handler, to restore."""
    def handler(signum, frame):
        raise Terminated()
    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        return None


def _restore_sigterm(previous) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    main()
