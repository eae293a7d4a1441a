"""The `verify-derivations` command: a thin front end over runner.run_claims.

Each verdict line is printed as its claim finishes (cached results first); then a block per
wrong or unexpected claim (terminal.py), the reports, and a closing line.  A run narrowed by
-k or by PATHS other than derivations/ leaves the default report paths alone unless --report
or --json is given.  --junit and $GITHUB_STEP_SUMMARY are CI outputs (ci.py).

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

from dataclasses import dataclass

import click
from click.core import ParameterSource

from .cli_check import check_command, new_command
from .cache import ResultCache, split_cached, store_results
from .ci import render_junit, render_step_summary
from .loader import find_claim_files
from .notes import NotesDataError, write_notes_after_run
from .report import make_report, render_html, render_json, render_markdown, write_atomic
from .runner import load_all, run_claims
from .terminal import needs_block, render_block, render_summary_line, render_verdict_line, wants_color
from .textsafe import terminal
from .verify import Settings

EXIT_OK, EXIT_DISAGREE, EXIT_INPUT, EXIT_WRITE = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143
DEFAULT_PATH = Path("derivations")
DEFAULT_REPORT, DEFAULT_JSON = "reports/report.md", "reports/report.json"


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


EPILOG = """\b
Exit codes:
  0    every verdict agrees with its claim's `expect` (`holds` when absent)
  1    some verdict does not (or a claim errored or timed out)
  2    usage error, or an unreadable or malformed claim file
  3    a report file could not be written (the previous one is left intact)
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM)

\b
A run narrowed by -k or by PATHS other than derivations/ writes no report
unless --report or --json is given.

\b
One claim on one line: `verify-derivations check EQUATION --symbols SPEC`
(see `verify-derivations check --help`); `verify-derivations new` writes
its claim file.

\b
Example (one claim file, no report, the seed of a counterexample):
  verify-derivations derivations/sigmoid/derivative-steps-b.toml --no-report --seed 0
"""


def _given(ctx: click.Context, name: str) -> bool:
    """Whether the option was given (command line or environment), not left at its default."""
    return ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)


@click.command("verify", context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--report", "report_path", default=DEFAULT_REPORT, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Markdown report to write.")
@click.option("--json", "json_path", default=DEFAULT_JSON, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="JSON report to write.")
@click.option("--html", "html_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a self-contained HTML report (MathML, no script) to this file.")
@click.option("--no-report", is_flag=True, help="Write no report files; print verdicts only.")
@click.option("--junit", "junit_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a JUnit XML file (one testcase per claim) for CI.")
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
@click.version_option(package_name="derivation-verifier", prog_name="verify-derivations")
@click.pass_context
def verify_command(ctx, paths, report_path, json_path, html_path, no_report, junit_path, pattern, seed, timeout,
                   jobs, points, large, cache_dir, no_cache):
    """Verify the claim files under PATHS (default: derivations/) and write the reports."""
    default = [os.path.realpath(DEFAULT_PATH)]
    narrowed = bool(pattern) or (bool(paths) and [os.path.realpath(p) for p in paths] != default)
    paths = paths or (DEFAULT_PATH,)
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        raise click.BadParameter(f"path {terminal(missing[0])!r} does not exist", param_hint="PATHS")
    settings = Settings(seed=seed, points=points, timeout=timeout, large=large)
    outputs = Outputs(
        report=None if no_report or (narrowed and not _given(ctx, "report_path")) else report_path,
        json=None if no_report or (narrowed and not _given(ctx, "json_path")) else json_path,
        html=None if no_report else html_path, junit=junit_path,
        step_summary=os.environ.get("GITHUB_STEP_SUMMARY") or None,
        narrowed_skip=narrowed and not no_report and not (_given(ctx, "report_path") or _given(ctx, "json_path")))
    previous = _on_sigterm()
    try:
        code = _run(paths, pattern, settings, jobs, outputs, None if no_cache else ResultCache(cache_dir))
    except KeyboardInterrupt:
        click.echo("interrupted: workers stopped; no report file is half-written", err=True)
        code = EXIT_INTERRUPTED
    except Terminated:
        click.echo("terminated: workers stopped; no report file is half-written", err=True)
        code = EXIT_TERMINATED
    finally:
        _restore_sigterm(previous)
    sys.exit(code)


class _Main(click.Group):
    """`verify-derivations [PATHS] [options]` verifies claim files; `check` and `new` are the one-line
    commands (cli_check.py).  Anything but those two words goes to the verify command (so `--help` and
    `--version` are its own)."""

    def parse_args(self, ctx, args):
        if not args or args[0] not in self.commands:
            args = ["verify", *args]
        return super().parse_args(ctx, args)


main = _Main(name="verify-derivations", commands={"verify": verify_command, "check": check_command,
                                                 "new": new_command})


@dataclass(frozen=True)
class Outputs:
    """Where a run's results go besides the terminal (None: not written)."""
    report: Path | None
    json: Path | None
    html: Path | None   # only when given: as an explicit --report, written by a narrowed run too
    junit: Path | None
    step_summary: str | None
    narrowed_skip: bool  # a narrowed run left the default report paths alone: say so


def _run(paths, pattern, settings: Settings, jobs: int, outputs: Outputs, cache) -> int:
    digests: dict[str, str] = {}
    claims, load_errors = load_all(find_claim_files(paths), digests=digests)
    keep = select(pattern)
    claims = [c for c in claims if keep(c.id)]
    load_errors = [e for e in load_errors if keep(e.id)]
    if not claims and not load_errors:
        raise NoClaims(f"no claim files under {terminal(', '.join(map(str, paths)))}"
                       + (f" match -k {terminal(repr(pattern))}" if pattern else ""))
    color = wants_color(sys.stdout)
    cached, claims, keys = split_cached(cache, claims, digests, settings)
    click.echo(f"verifying {len(claims) + len(cached) + len(load_errors)} claims ({len(cached)} from the cache), "
               f"seed {settings.seed}, {jobs} job{'s' if jobs != 1 else ''}", err=True)
    for err in load_errors:
        click.echo(f"error: {terminal(err.message)}", err=True)
    for r in sorted(load_errors + cached, key=lambda r: r.id):
        click.echo(render_verdict_line(r, color=color))
    fresh = run_claims(claims, settings, jobs=jobs,
                       on_result=lambda r: click.echo(render_verdict_line(r, color=color)))
    store_results(cache, fresh, keys)
    results = load_errors + cached + fresh
    _print_blocks(results, settings.seed, color)
    report = make_report(results, seed=settings.seed)
    _write_outputs(report, outputs, notes=not pattern)
    summary = report["summary"]
    click.echo(render_summary_line(summary["verdicts"], summary["surprises"], color=color))
    if load_errors:
        return EXIT_INPUT
    return EXIT_OK if not summary["surprises"] else EXIT_DISAGREE


def _print_blocks(results, seed: int, color: bool) -> None:
    """A block per wrong or unexpected claim: the expected ones first, the surprises last (next to the end)."""
    shown = sorted((r for r in results if needs_block(r)), key=lambda r: (not r.agrees, r.id))
    for r in shown:
        click.echo("")
        for line in render_block(r, seed=seed, color=color):
            click.echo(line)
    if shown:
        click.echo("")


def _write_outputs(report: dict, outputs: Outputs, *, notes: bool) -> None:
    if outputs.report or outputs.json:
        _write_reports(report, outputs.report, outputs.json, notes=notes)
    elif outputs.narrowed_skip:
        click.echo("narrowed run: no report written; pass --report/--json to write one")
    if outputs.html:
        _write_file(outputs.html, render_html(report))
        click.echo(f"wrote {terminal(outputs.html)}")
    if outputs.junit:
        _write_file(outputs.junit, render_junit(report))
        click.echo(f"wrote {terminal(outputs.junit)}")
    if outputs.step_summary:
        try:
            with open(outputs.step_summary, "a", encoding="utf-8") as handle:
                handle.write(render_step_summary(report))
        except OSError as exc:
            click.echo(f"warning: cannot append to GITHUB_STEP_SUMMARY ({terminal(outputs.step_summary)}): "
                       f"{exc.strerror or exc}", err=True)


def _write_reports(report: dict, report_path: Path | None, json_path: Path | None, *, notes: bool) -> None:
    """The reports; after a run of every claim (no -k) at the default paths, also the graded pages and the
    README summary (``notes.write_notes_after_run``)."""
    written = []
    for path, render in ((json_path, render_json), (report_path, render_markdown)):
        if path is not None:
            _write_file(path, render(report))
            written.append(terminal(path))
    click.echo("wrote " + " and ".join(reversed(written)))
    if not notes or report_path is None or json_path is None:
        return
    try:  # a full run at the default paths also regenerates reports/notes/ and the README summary
        notes = write_notes_after_run(report, report_path, json_path)
    except (OSError, NotesDataError) as exc:
        raise ReportWriteError(f"cannot write the graded pages or the README: {terminal(exc)}") from None
    if notes:
        click.echo("wrote " + ", ".join(terminal(p.name) for p in notes))


def _write_file(path: Path, text: str) -> None:
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise ReportWriteError(f"cannot write {terminal(path)}: {exc.strerror or exc} "
                               "(the previous file there, if any, is unchanged)") from None


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
