"""Compute, then render: results -> a report dict -> JSON text here, Markdown in report_md.py, HTML in
report_html.py (both start with the wrong claims, chosen and worded by the helpers here).

Nothing here writes files; the front ends do (atomically, see ``write_atomic``).
The JSON schema is documented in the README; ``SCHEMA_VERSION`` changes when a
field changes meaning.
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
from dataclasses import asdict
from pathlib import Path

from .latex import to_latex
from .shapes import shape_text
from .model import FAILING, VERDICTS, Result
from .textsafe import inline, terminal

SCHEMA_VERSION = 1
ONE_LINE = "<command line>"   # the `file` of a claim given on one line (oneline.py)


def make_report(results: list[Result], *, seed: int) -> dict:
    results = sorted(results, key=lambda r: r.id)
    counts = {v: sum(r.verdict == v for r in results) for v in VERDICTS}
    return {
        "schema": SCHEMA_VERSION,
        "generator": "verify-derivations",
        "seed": seed,
        "summary": {
            "total": len(results),
            "verdicts": counts,
            "agree_with_expectation": sum(r.agrees for r in results),
            "surprises": [r.id for r in results if not r.agrees],
        },
        "claims": [claim_entry(r) for r in results],
    }


def claim_entry(r: Result) -> dict:
    c = r.claim
    entry = {
        "id": r.id,
        "title": c.title if c else None,
        "claim": c.statement if c else None,
        "file": r.path,
        "expect": r.expect,
        "verdict": r.verdict,
        "agrees": r.agrees,
        "message": r.message,
        "sources": [asdict(s) for s in c.sources] if c else [],
        "shapes": [dict(s) for s in r.shapes],
        "every_dimension": r.every_dimension,   # proved for every dimension: how (else null)
        "seconds": r.seconds,
        "details": {
            "kind": ("chain" if c.chain else "relation" if c.relation != "=" else "equality") if c else None,
            "relation": c.relation if c else None,
            "expressions": [s.text for s in c.steps] if c else [],
            "latex": [to_latex(s) for s in c.steps] if c else [],
            "where": c.where.text if c and c.where is not None else None,
            "let": [{"name": n, "expression": e.text, "latex": to_latex(e)} for n, e in c.lets] if c else [],
            "symbols": {s.name: s.describe() for s in c.symbols} if c else {},
            "steps": [asdict(s) for s in r.steps],
            "counterexample": asdict(r.counterexample) if r.counterexample else None,
            "numeric": asdict(r.numeric) if r.numeric else None,
            "diagnosis": asdict(r.diagnosis) if r.diagnosis else None,
        },
    }
    if c is not None and c.relations:   # a chain with an inequality: the relation of each link
        entry["details"]["relations"] = list(c.relations)
    if getattr(r, "cached", False):  # served from the result cache; absent on a fresh verdict
        entry["cached"] = True
    return entry


def render_json(report: dict) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


# -- what both renderers show first ----------------------------------------------------

MARKS = {"proved": "✓", "confirmed": "≈", "refuted": "✗", "ill-typed": "⚠", "engine-disagreement": "!",
         "inconclusive": "?", "error": "?", "timeout": "?"}
_GENERIC = "no single repair verifies"


def mark(verdict: str) -> str:
    """The one-character mark of a verdict in the summary tables (✓ ≈ ✗ ⚠, ? when undecided)."""
    return MARKS.get(verdict, "?")


def is_wrong(entry: dict) -> bool:
    """A claim the report lists first: refuted, ill-typed, or a verdict other than the expected one."""
    return entry["verdict"] in FAILING or not entry["agrees"]


def wrong_claims(report: dict) -> list[dict]:
    """The claims listed first: the surprises (verdict not the expected one) first, then the rest by id."""
    return sorted((c for c in report["claims"] if is_wrong(c)), key=lambda c: (c["agrees"], c["id"]))


def reason(entry: dict) -> str:
    """One line saying why a claim is wrong: the shape message or the first wrong step, and the diagnosis.

    Plain text (the renderers escape it): for a refuted claim the diagnosis alone when it names a
    repair or the first wrong step, else the verdict's message with the diagnosis after it."""
    diagnosis = entry["details"]["diagnosis"]
    summary = diagnosis["summary"] if diagnosis else ""
    parts = [] if entry["verdict"] == "refuted" and summary and summary != _GENERIC else [entry["message"]]
    if summary and summary not in parts:
        parts.append(summary)
    return "; ".join(p for p in parts if p)


def falsifying_values(entry: dict) -> list[str]:
    """`name = value` for each value of the certified counterexample (none without one)."""
    ce = entry["details"]["counterexample"]
    return [f"{name} = {_value(value)}" for name, value in ce["point"].items()] if ce else []


def source_place(src: dict) -> str:
    """`, lines 3–5, confidence high`: where in the seed the quote stands and how sure its reading is
    (plain text: the renderers escape it)."""
    lines = src.get("lines")
    place = "" if not lines else f", line {lines[0]}" if lines[0] == lines[1] else f", lines {lines[0]}–{lines[1]}"
    return place + (f", confidence {src['confidence']}" if src.get("confidence") else "")


def _source_place(src: dict) -> str:
    """``source_place`` escaped for Markdown prose (the graded pages' tests use it)."""
    return inline(source_place(src))


def relation_latex(relation: str | None) -> str:
    return {"=": "=", "<": "<", "<=": r"\le", ">": ">", ">=": r"\ge"}[relation or "="]


def link_sign(details: dict, step: int) -> str:
    """The relation between steps step-1 and step of a chain: `=`, or a link's inequality."""
    relations = details.get("relations")
    return relations[step - 1] if relations else "="


def step_label(details: dict, index: int) -> str:
    """`step (0) = (1)` (`step (1) <= (2)` in a chain with an inequality), or `lhs - rhs`."""
    if details["kind"] != "chain":
        return "lhs - rhs"
    return f"step ({index - 1}) {link_sign(details, index)} ({index})"


def numeric_steps(details: dict) -> list[tuple[str, int, str, str]]:
    """What the numeric cross-check saw at each step, for the Markdown and HTML reports alike:
    (label, comparisons, "certified" | "agreement" | "held", the agreement bound or the relation)."""
    n = details["numeric"]
    ce = n["counterexample"]
    rows = []
    for step in n["steps"]:
        index = step["index"]
        relation = link_sign(details, index) if details["kind"] == "chain" else details["relation"] or "="
        if ce and ce["step"] == index:
            seen, what = "certified", ""
        elif relation == "=":
            seen, what = "agreement", step["agreement"]
        else:
            seen, what = "held", relation
        rows.append((step_label(details, index), step["compared"], seen, what))
    return rows


def render_counterexample(claim_id: str, ce: dict, chain: bool, *, reproduce: str | None = None,
                          link: str = "="):
    """A falsifying example the way Hypothesis prints one: header, values, how to reproduce.

    ``reproduce`` is the command (``reproduce_for``); without it the claim is selected by id.
    """
    where = f"step ({ce['step'] - 1}) {link} ({ce['step']}), " if chain else ""
    shape = shape_text({**ce["shape"], **ce["indices"]})
    yield f"Falsifying example ({where}{shape}{', ' + ce['function'] if ce['function'] else ''}):"
    for name, value in ce["point"].items():
        yield f"  {name} = {_value(value)}"
    left, right = (f"({ce['step'] - 1})", f"({ce['step']})") if chain else ("lhs", "rhs")
    for e in ce["entries"]:
        entry = "" if e["entry"] == "value" else e["entry"]
        yield (f"  {left}{entry} = {e['lhs']}   {right}{entry} = {e['rhs']}   "
               f"relative difference {e['relative_error']}")
    if reproduce is None:
        yield f"Reproduce: verify-derivations -k {claim_id} --seed {ce['seed']}"
    else:
        yield f"Reproduce: {reproduce}"


def reproduce_for(entry: dict, seed: int, path: str | None = None) -> str:
    """How to verify a claim again: its file (``path``, else the entry's), or for a one-line claim
    (`verify-derivations check`, `verifier.check`) the same one-line command."""
    if entry["file"] != ONE_LINE:
        return reproduce_command(path or entry["file"], seed)
    d = entry["details"]
    parts = ["verify-derivations", "check", shlex.quote(entry["claim"] or "")]
    if d["symbols"]:
        parts += ["--symbols", shlex.quote(", ".join(f"{n}: {k}" for n, k in d["symbols"].items()))]
    if d["where"]:
        parts += ["--where", shlex.quote(d["where"])]
    return terminal(" ".join(parts + ["--seed", str(seed)]))


def reproduce_command(path, seed: int) -> str:
    """The command that verifies one claim file again and writes no report (one line, shell-quoted)."""
    return terminal(f"verify-derivations {shlex.quote(str(path))} --no-report --seed {seed}")


def _value(value) -> str:
    if isinstance(value, str):
        return value
    if all(len(row) == 1 for row in value):
        return "[" + ", ".join(row[0] for row in value) + "]^T"
    return "[" + "; ".join(", ".join(row) for row in value) + "]"


def _anchor(claim_id: str) -> str:
    return "".join(ch for ch in claim_id.lower() if ch.isalnum() or ch in "-_")


def write_atomic(path, text: str) -> None:
    """Write text to path through a temporary file and a rename: never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_markdown(report: dict) -> str:
    """The Markdown report (report_md.py)."""
    from .report_md import render_markdown as render  # noqa: PLC0415 (report_md imports this module)
    return render(report)


def render_result(result: Result, *, seed: int = 0) -> str:
    """One claim's section as Markdown (the notebook display of a Result, `verifier.check`)."""
    from .report_md import render_result as render  # noqa: PLC0415
    return render(result, seed=seed)


def render_html(report: dict) -> str:
    """The self-contained HTML report (report_html.py)."""
    from .report_html import render_html as render  # noqa: PLC0415
    return render(report)
