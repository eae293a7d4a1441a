"""CI outputs rendered from the report dict: a JUnit XML file and a GitHub step summary (Markdown).

Rendering only; the CLI writes them (the JUnit file atomically, the summary appended to the file
named by $GITHUB_STEP_SUMMARY).  JUnit: one testcase per claim, classname the id's prefix (before
the first dot), the verdict, expectation and message as properties; a verdict that disagrees with
the claim's `expect` is a <failure>, an error or a timeout an <error>; a `confirmed` claim (no
symbolic proof, numbers only) carries a `confirmed` property and a note in <system-out>.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .report import link_sign, render_counterexample, reproduce_for
from .textsafe import code, inline, terminal

ERRORS = ("error", "timeout")
CONFIRMED_NOTE = "confirmed, not proved: sympy could not reduce the difference to 0; the numeric check agreed"
# Characters XML 1.0 cannot hold at all (after textsafe.terminal has escaped the control characters).
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def _xml(text) -> str:
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", terminal(text))


def render_junit(report: dict) -> str:
    claims = report["claims"]
    errors = sum(c["verdict"] in ERRORS for c in claims)
    failures = sum(not c["agrees"] and c["verdict"] not in ERRORS for c in claims)
    seconds = f"{sum(c['seconds'] for c in claims):.3f}"
    counts = dict(tests=str(len(claims)), failures=str(failures), errors=str(errors), skipped="0", time=seconds)
    root = ET.Element("testsuites", name="verify-derivations", **counts)
    suite = ET.SubElement(root, "testsuite", name="verify-derivations", **counts)
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="seed", value=str(report["seed"]))
    for c in claims:
        _testcase(suite, c)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(suite: ET.Element, c: dict) -> None:
    d = c["details"]
    classname = c["id"].split(".", 1)[0] if d["kind"] else "malformed"
    case = ET.SubElement(suite, "testcase", classname=_xml(classname), name=_xml(c["id"]), file=_xml(c["file"]),
                         time=f"{c['seconds']:.3f}")
    props = ET.SubElement(case, "properties")
    values = [("verdict", c["verdict"]), ("expect", c["expect"] or "holds (not stated)"),
              ("agrees", str(c["agrees"]).lower()), ("message", c["message"])]
    if d["diagnosis"]:
        values.append(("diagnosis", d["diagnosis"]["summary"]))
    if c["verdict"] == "confirmed":
        values.append(("confirmed", "numerically only"))
    if c.get("cached"):
        values.append(("cached", "true"))
    for name, value in values:
        ET.SubElement(props, "property", name=name, value=_xml(value))
    summary = f"{c['verdict']}, expected {c['expect'] or 'holds'}: {c['message']}"
    if c["verdict"] in ERRORS:
        ET.SubElement(case, "error", type=c["verdict"], message=_xml(summary)).text = _xml(c["message"])
    elif not c["agrees"]:
        body = [c["message"]] + ([f"diagnosis: {d['diagnosis']['summary']}"] if d["diagnosis"] else [])
        if d["counterexample"]:
            body += render_counterexample(c["id"], d["counterexample"], d["kind"] == "chain", link=link_sign(d, d["counterexample"]["step"]),
                                          reproduce=reproduce_for(c, d["counterexample"]["seed"]))
        failure = ET.SubElement(case, "failure", type=c["verdict"], message=_xml(summary))
        failure.text = "\n".join(_xml(line) for line in body)
    if c["verdict"] == "confirmed":
        ET.SubElement(case, "system-out").text = CONFIRMED_NOTE


def render_step_summary(report: dict, *, limit: int = 100) -> str:
    """A short Markdown summary for $GITHUB_STEP_SUMMARY: counts, then the wrong and unexpected claims."""
    s = report["summary"]
    verdict = "every verdict as expected" if not s["surprises"] else f"{len(s['surprises'])} NOT as expected"
    lines = [f"### verify-derivations: {s['total']} claims, {verdict}", "", "| verdict | claims |", "|---|---|"]
    lines += [f"| {v} | {n} |" for v, n in s["verdicts"].items() if n]
    listed = sorted((c for c in report["claims"] if not c["agrees"] or c["verdict"] in ("refuted", "ill-typed")),
                    key=lambda c: (c["agrees"], c["id"]))
    if listed:
        lines += ["", "Wrong or unexpected claims (unexpected first):", ""]
        for c in listed[:limit]:
            mark = "as expected" if c["agrees"] else f"**NOT as expected**, expected {c['expect'] or 'holds'}"
            reason = c["details"]["diagnosis"]["summary"] if c["details"]["diagnosis"] else c["message"]
            lines.append(f"- {code(c['id'])} {c['verdict']} ({mark}): {inline(reason)}")
        if len(listed) > limit:
            lines.append(f"- ... and {len(listed) - limit} more (see the report)")
    return "\n".join(lines) + "\n\n"
