"""`verify-derivations check EQUATION` and `verify-derivations new EQUATION --id ID`: one claim from one line.

`check` prints the verdict, the evidence, the falsifying example, the diagnosis and the correct statement;
exit 0 when the claim holds (proved, confirmed), 1 when it is wrong (refuted, ill-typed), 3 when it is
undecided (inconclusive, timeout, engine-disagreement), 2 for bad input.  `new` writes the claim file.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from .errors import ClaimFileError
from .loader import parse_claim
from .model import FAILING, PASSING
from .oneline import WHERE, claim_table, make_claim, render_toml
from .report import claim_entry, write_atomic
from .runner import run_claims
from .shapes import shape_text
from .terminal import render_block, render_verdict_line, wants_color
from .textsafe import terminal
from .verify import Settings

EXIT_HOLDS, EXIT_WRONG, EXIT_INPUT, EXIT_UNDECIDED = 0, 1, 2, 3
SPEC_HELP = ('Symbols as "name: kind" pairs separated by commas, kinds as in claim files '
             '("W: matrix(m, n), x: vector(n), f: function, y: onehot(n)"); an undeclared single letter is a real '
             'scalar.')

CHECK_EPILOG = """\b
Exit codes: 0 holds (proved, confirmed); 1 wrong (refuted, ill-typed);
3 undecided (inconclusive, timeout, engine-disagreement); 2 bad input.

\b
Examples:
  verify-derivations check 'diff(sigmoid(x), x) = sigmoid(x)*(1 - sigmoid(x))'
  verify-derivations check '\\nabla_x (x^T A x) = 2 A x' --symbols 'A: matrix(n, n), x: vector(n)'
  echo 'log(x*y) = log(x) + log(y)' | verify-derivations check - --symbols 'x: positive, y: positive'
"""


class BadInput(click.ClickException):
    """The equation, the symbol list or a condition could not be read; the message says which and why."""
    exit_code = EXIT_INPUT


def _timeout(ctx, param, value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise click.BadParameter(f"{value!r} is not a finite number of seconds above 0")
    return value


def _equation(text: str) -> str:
    text = sys.stdin.read() if text == "-" else text
    if not text.strip():
        raise BadInput("the equation is empty")
    return text.strip()


@click.command("check", context_settings={"help_option_names": ["-h", "--help"]}, epilog=CHECK_EPILOG)
@click.argument("equation")
@click.option("--symbols", "spec", default=None, metavar="SPEC", help=SPEC_HELP)
@click.option("--where", default=None, metavar="COND", help="A condition the claim is restricted to (`x > 0`).")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of every random point.")
@click.option("--timeout", default=60.0, show_default=True, type=float, callback=_timeout,
              help="Seconds allowed (finite, above 0).")
@click.option("--json", "json_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Write the claim's record (as in report.json) to FILE.")
def check_command(equation, spec, where, seed, timeout, json_path):
    """Check one claim written on one line: LaTeX or the expression syntax; `-` reads it from stdin."""
    equation = _equation(equation)
    try:
        claim = make_claim(equation, symbols=spec, where=where)
    except ClaimFileError as exc:
        raise BadInput(terminal(str(exc))) from None
    result = run_claims([claim], Settings(seed=seed, timeout=timeout))[0]
    color = wants_color(sys.stdout)
    click.echo(render_verdict_line(result, color=color))
    for line in _evidence(result):
        click.echo(line)
    if result.verdict not in PASSING:
        click.echo("")
        for line in render_block(result, seed=seed, color=color):
            click.echo(line)
    if json_path is not None:
        try:
            write_atomic(json_path, json.dumps(claim_entry(result), indent=2, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise click.ClickException(f"cannot write {terminal(json_path)}: {exc.strerror or exc}") from None
    sys.exit(EXIT_HOLDS if result.verdict in PASSING else EXIT_WRONG if result.verdict in FAILING
             else EXIT_INPUT if result.verdict == "error" else EXIT_UNDECIDED)


def _evidence(result) -> list[str]:
    """The evidence for any verdict: the message, each step's check, the numeric comparison, the fix."""
    lines = [f"  {terminal(result.message)}"] if result.message else []
    if len(result.steps) > 1:
        sign = (lambda i: result.claim.link_relation(i)) if result.claim is not None else (lambda i: "=")
        lines += [f"  step ({s.index - 1}) {sign(s.index)} ({s.index}): {s.verdict}: {terminal(s.detail)}"
                  for s in result.steps]
    n = result.numeric
    if n is not None:
        shapes = "; ".join(shape_text(d) for d in n.shapes) or "scalars"
        compared = ", ".join(f"{s.compared}" for s in n.steps)
        lines.append(f"  numeric cross-check: {n.points} points at {shapes}; compared per step: {compared}"
                     + (f"; stand-ins {', '.join(n.functions)}" if n.functions else ""))
    g = result.diagnosis
    if g is not None and g.correct_statement:
        lines.append(f"  correct statement: {terminal(g.correct_statement)}")
    return [line for line in lines if line]


@click.command("new", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("equation")
@click.option("--symbols", "spec", default=None, metavar="SPEC", help=SPEC_HELP)
@click.option("--where", default=None, metavar="COND", help="A condition the claim is restricted to.")
@click.option("--id", "claim_id", required=True, help="The claim's id (dotted words: `mlp2.delta-hidden`).")
@click.option("--out", "out_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it (default: derivations/<first word of the id>/<rest>.toml).")
def new_command(equation, spec, where, claim_id, out_path):
    """Write the claim file for a one-line claim (checked as the loader checks any file); never overwrites."""
    equation = _equation(equation)
    try:
        table = claim_table(equation, symbols=spec, where=where, claim_id=claim_id)
        text = render_toml(table)
        parse_claim(table, WHERE)
    except ClaimFileError as exc:
        raise BadInput(terminal(str(exc))) from None
    if out_path is None:
        head, _, rest = claim_id.partition(".")
        out_path = Path("derivations") / head / f"{rest or head}.toml"
    if out_path.exists():
        raise BadInput(f"{terminal(out_path)} exists; choose another --id or --out")
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out_path, text)
    except OSError as exc:
        raise click.ClickException(f"cannot write {terminal(out_path)}: {exc.strerror or exc}") from None
    click.echo(f"wrote {terminal(out_path)}; add a [[source]] table citing where the claim comes from")
