"""Terminal text for verdicts: one line per claim as it finishes, a block per wrong claim, a closing line.

Rendering only (strings in, strings out); the CLI prints them and the pytest plugin uses the same
failure block.  Claim-supplied text (ids, paths, expressions, messages) goes through
``textsafe.terminal`` so that a claim file cannot colour, move or forge a line.  Colour is added
by ``click.style`` only when ``color`` is true; ``wants_color`` decides it (a TTY and no ``NO_COLOR``).
"""

from __future__ import annotations

import os

import click

from .model import FAILING, Result
from .report import ONE_LINE, claim_entry, link_sign, render_counterexample, reproduce_for
from .textsafe import terminal


def wants_color(stream, environ=os.environ) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set to anything but "" (no-color.org)."""
    if environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _paint(text: str, verdict: str, agrees: bool, color: bool) -> str:
    if not color:
        return text
    if not agrees:
        return click.style(text, fg="red", bold=True)
    return click.style(text, fg="yellow" if verdict == "confirmed" else "green")


def render_verdict_line(result: Result, *, color: bool = False) -> str:
    """`refuted      ce.grad-as-y  <- expected holds  (cached)`: the verdict padded to 12 columns."""
    if result.agrees or result.path == ONE_LINE:   # a one-line check states no expectation of its own
        flag = ""
    elif result.claim is None and result.verdict == "error":
        flag = "  <- not verified"
    else:
        flag = f"  <- expected {result.expect or 'holds'}"
    cached = "  (cached)" if getattr(result, "cached", False) else ""
    return (_paint(f"{result.verdict:12}", result.verdict, result.agrees, color) + " " + terminal(result.id)
            + _paint(flag, result.verdict, result.agrees, color) + cached)


def needs_block(result: Result) -> bool:
    """A wrong claim (refuted, ill-typed) or any verdict other than the expected one gets a block."""
    return result.verdict in FAILING or not result.agrees


def reproduce_path(path: str) -> str:
    """The claim file's path as given, made absolute so that the command works from any folder."""
    return os.path.abspath(path)


def render_block(result: Result, *, seed: int, color: bool = False) -> list[str]:
    """What is wrong with one claim: as written, why, the falsifying example, how to reproduce it."""
    entry = claim_entry(result)
    details = entry["details"]
    expected = "as expected" if result.agrees else f"NOT as expected: expected {result.expect or 'holds'}"
    head = (f"___ {terminal(result.id)}: {result.verdict} ___" if result.path == ONE_LINE
            else f"___ {terminal(result.id)}: {result.verdict} ({expected}) ___")
    lines = [_paint(head, result.verdict, result.agrees, color), f"file: {terminal(result.path)}"]
    lines.extend(_as_written(entry))
    lines.extend(_reasons(result, entry))
    path = reproduce_path(result.path)
    ce = details["counterexample"]
    if ce:
        lines.extend(terminal(line) for line in render_counterexample(
            result.id, ce, details["kind"] == "chain", reproduce=reproduce_for(entry, ce["seed"], path),
            link=link_sign(details, ce["step"])))
    else:
        lines.append("Reproduce: " + terminal(reproduce_for(entry, seed, path)))
    return lines


def _as_written(entry: dict) -> list[str]:
    details = entry["details"]
    lines = []
    if entry["claim"]:
        lines.append(f"claim: {terminal(entry['claim'])}")
    expressions = details["expressions"]
    if details["kind"] == "chain":
        lines.extend(f"  ({i}) {'  ' if i == 0 else link_sign(details, i) + ' '}{terminal(text)}"
                     for i, text in enumerate(expressions))
    elif expressions:
        lines.append("  " + f" {details['relation'] or '='} ".join(terminal(text) for text in expressions))
    if details["where"]:
        lines.append(f"  where {terminal(details['where'])}")
    return lines


def _reasons(result: Result, entry: dict) -> list[str]:
    lines = [f"reason: {terminal(result.message)}" if result.message else f"reason: {result.verdict}"]
    wrong = next((s for s in result.steps if s.verdict not in ("proved", "confirmed")), None)
    if wrong is not None and entry["details"]["kind"] == "chain" and f"({wrong.index})" not in result.message:
        lines.append(f"first wrong step: ({wrong.index - 1}) {link_sign(entry['details'], wrong.index)} "
                     f"({wrong.index}): {terminal(wrong.detail)}")
    g = result.diagnosis
    if g is not None:
        lines.append(f"diagnosis: {terminal(g.summary)}")
        for repair in g.repairs[:1]:
            lines.append(f"  repair: {terminal(repair.description)}: {terminal(repair.expression)} "
                         f"(verified by {repair.verified_by})")
        if g.side_condition:
            lines.append(f"  side condition: {terminal(g.side_condition)}")
    return lines


def render_summary_line(counts: dict, surprises: list[str], *, color: bool = False) -> str:
    """The closing line: counts per verdict and whether every verdict was the expected one."""
    total = sum(counts.values())
    text = f"{total} claims: " + ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    if not surprises:
        tail = "; every verdict as expected"
        return text + (click.style(tail, fg="green", bold=True) if color else tail)
    tail = f"; {len(surprises)} NOT as expected: " + ", ".join(terminal(i) for i in surprises)
    return text + (click.style(tail, fg="red", bold=True) if color else tail)
