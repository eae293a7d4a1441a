"""The HTML report (`--html`, report_html.py, mathml.py): structure without a browser, every formula of
the catalog converted, hostile text escaped, the CLI option, and a render in headless Chromium that
fails on MathML errors (skipped without Chromium, except under CI)."""

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import make_claim, make_project
from verifier.cli import main
from verifier.mathml import LatexError, to_mathml
from verifier.report import make_report, render_html
from verifier.verify import Settings, verify

ROOT = Path(__file__).resolve().parent.parent
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source", "track", "embed"}

PROVED = '[symbols]\nx = "real"\n[check]\nlhs = "diff(x**3, x)"\nrhs = "3*x**2"\n'
REFUTED = ('[symbols]\nx = "real"\n[check]\nsteps = ["diff(x**2*exp(x), x)", "2*x*exp(x) + x**2*exp(x)", '
           '"x*exp(x)"]\n')
ILL_TYPED = ('[symbols]\nW = "matrix(m, n)"\nv = "vector(m)"\nx = "vector(n)"\n[check]\n'
             'lhs = "grad(v.T*W*x, x)"\nrhs = "W*v"\n')


@pytest.fixture(scope="module")
def small_report():
    claims = [make_claim(PROVED, claim_id="small.proved"), make_claim(REFUTED, claim_id="small.refuted"),
              make_claim(ILL_TYPED, claim_id="small.ill-typed")]
    return make_report([verify(c, Settings(seed=3, large=8)) for c in claims], seed=3)


# MathML elements with a fixed number of children: a browser draws any other count as an error.
ARITY = {"msup": 2, "msub": 2, "mfrac": 2, "msubsup": 3, "mover": 2, "munder": 2, "munderover": 3, "mroot": 2}
MATHML = {"math", "mrow", "mi", "mn", "mo", "mtext", "mspace", "msqrt", "mtable", "mtr", "mtd", *ARITY}


class _Checker(HTMLParser):
    """Balanced tags (void elements aside), MathML arity and names, the ids, the tags seen, the text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.ids, self.tags, self.text = [], [], [], [], []
        self.children = []   # child counts of the open elements, parallel to the stack

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids += [v for k, v in attrs if k == "id"]
        if self.stack and self.stack[-1] in MATHML and tag not in MATHML:
            self.errors.append(f"<{tag}> inside <{self.stack[-1]}>: not MathML")
        if self.children:
            self.children[-1] += 1
        if tag not in VOID:
            self.stack.append(tag)
            self.children.append(0)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        count = self.children.pop()
        if tag in ARITY and count != ARITY[tag]:
            self.errors.append(f"<{tag}> with {count} children, not {ARITY[tag]}")

    def handle_data(self, data):
        self.text.append(data)


def _check(text: str) -> _Checker:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    return checker


def test_the_checker_finds_bad_mathml():
    for bad in ["<math><msup><mi>a</mi></msup></math>", "<math><mfrac><mi>a</mi><mi>b</mi><mi>c</mi></mfrac></math>",
                "<math><mrow><b>x</b></mrow></math>", "<p><math><mi>x</mi></p>"]:
        checker = _Checker()
        checker.feed(bad)
        assert checker.errors, bad


def test_the_page_is_balanced_self_contained_and_lists_wrong_claims_first(small_report):
    text = render_html(small_report)
    checker = _check(text)
    assert text.startswith("<!DOCTYPE html>")
    assert not {"script", "link", "img", "iframe", "object"} & set(checker.tags)
    assert not re.search(r"(src|href)=\"(https?:)?//", text)          # nothing from the network
    assert not re.search(r"\son\w+=", text)                            # no event handler
    assert {"smallproved", "smallrefuted", "smallill-typed"} <= set(checker.ids)
    wrong = text[text.index('id="top.wrong"'):text.index('id="top.all"')]
    assert "small.refuted" in wrong and "small.ill-typed" in wrong and "small.proved" not in wrong
    assert "falsified by <code>x = " in wrong
    sections = re.findall(r'<section id="([^"]+)"', text)
    assert sections == ["smallill-typed", "smallrefuted", "smallproved"]      # wrong ones first
    assert text.count("<details open>") == 2 and text.count("<details>") == 1   # evidence open when wrong
    assert text.count("<math ") >= 4 and "<merror" not in text


def test_hostile_claim_text_is_escaped_everywhere():
    body = PROVED
    claim = make_claim(body, claim_id="evil.one")
    hostile = "<script>alert(1)</script> & <img src=x onerror=alert(1)> \x1b[31m </details></section>"
    entry = make_report([verify(claim, Settings(seed=0, large=8))], seed=0)
    c = entry["claims"][0]
    c["title"], c["claim"], c["message"] = hostile, hostile, hostile
    c["sources"] = [{"seed": hostile, "quote": hostile + "\n$$ \\frac{a}{b", "lines": [1, 2],
                     "confidence": hostile, "reading": hostile}]
    c["details"]["where"] = hostile
    text = render_html(entry)
    checker = _check(text)
    assert "script" not in checker.tags and "img" not in checker.tags
    assert "<script" not in text and "<img" not in text and "\x1b" not in text
    assert "&lt;script&gt;" in text and "\\x1b" in text
    assert text.count("<section") == 1 and text.count("</section>") == 1


def test_every_formula_of_the_catalog_report_converts_strictly():
    report = json.loads((ROOT / "reports" / "report.json").read_text(encoding="utf-8"))
    formulas = []
    for c in report["claims"]:
        d = c["details"]
        formulas += d["latex"] + [x["latex"] for x in d["let"]]
        g = d["diagnosis"] or {}
        formulas += [r["latex"] for r in g.get("repairs", [])]
        formulas += [g[k] for k in ("correct_statement", "difference") if g.get(k)]
    assert len(formulas) > 1000
    for tex in formulas:
        _check(to_mathml(tex, strict=True))


def test_malformed_latex_is_one_clean_error_and_shown_as_code():
    for bad in ["\\frac{a}{b", "a}", "\\left( x", "\\begin{aligned} x", "x^", "\\begin{evil} x \\end{evil}",
                "{" * 5000 + "}" * 5000]:
        with pytest.raises(LatexError):
            to_mathml(bad)
    with pytest.raises(LatexError):
        to_mathml("\\unknowncommand x", strict=True)
    assert "<mtext>\\unknowncommand</mtext>" in to_mathml("\\unknowncommand x")
    assert "&lt;" in to_mathml("a < b") and "<script" not in to_mathml("\\text{<script>}")
    from verifier.report_html import math
    assert math("\\frac{a}{b").startswith("<pre><code>")


def test_cli_writes_the_html_report_atomically_also_when_narrowed(tmp_path, monkeypatch):
    make_project(tmp_path, monkeypatch)
    result = CliRunner().invoke(main, ["-k", "cube", "--html", "out/r.html", "--seed", "0", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "wrote out/r.html" in result.output
    text = (tmp_path / "out" / "r.html").read_text(encoding="utf-8")
    assert "cube.wrong" in text and "cube.true" in text
    assert not (tmp_path / "reports").exists()             # narrowed: the default reports untouched
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["r.html"]
    result = CliRunner().invoke(main, ["--html", "out/s.html", "--no-report", "-j", "1"])
    assert result.exit_code == 0 and not (tmp_path / "out" / "s.html").exists()


def test_a_result_displays_as_html_in_a_notebook():
    result = verify(make_claim(REFUTED, claim_id="nb.refuted"), Settings(seed=0, large=8))
    text = result._repr_html_()
    _check(text)
    assert text.startswith('<section id="nbrefuted">') and "<math " in text and "Falsifying example" in text


# -- a real browser ------------------------------------------------------------------------------

def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but no chromium is installed (.ci/run installs it with apt-get)")
        pytest.skip("chromium is not installed (apt-get install chromium); the browser check is skipped")
    return found


def _browser(tmp_path, *args) -> list[str]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", *args]


def test_chromium_parses_every_formula_without_a_math_error(small_report, tmp_path):
    page = tmp_path / "report.html"
    text = render_html(small_report)
    page.write_text(text, encoding="utf-8")
    run = subprocess.run(_browser(tmp_path, "--dump-dom", page.as_uri()), capture_output=True, text=True,
                         timeout=180, check=False)
    dom = run.stdout
    assert run.returncode == 0 and "</html>" in dom, run.stderr[-2000:]
    written = text.count("<math ")
    assert written >= 4
    assert dom.count("<math ") == written                        # every <math> parsed as MathML
    assert "<merror" not in dom
    assert dom.count("<mfrac>") == text.count("<mfrac>") and dom.count("<msup>") == text.count("<msup>")
    assert dom.count("<section") == 3 and "<script" not in dom
    _check(dom[dom.index("<html"):])                            # as parsed: balanced, every MathML arity right


def test_chromium_takes_a_screenshot(small_report, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render_html(small_report), encoding="utf-8")
    shot = tmp_path / "report.png"
    run = subprocess.run(_browser(tmp_path, "--window-size=1000,1400", f"--screenshot={shot}", page.as_uri()),
                         capture_output=True, text=True, timeout=180, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_an_error_entry_with_a_hostile_file_name_is_one_escaped_section():
    from verifier.verify import error_result
    name = "evil\n<h2>x.y</h2>Verdict: <b>proved</b> <script>.toml"
    text = render_html(make_report([error_result(name, name, f"{name}: not valid TOML")], seed=0))
    checker = _check(text)
    assert "script" not in checker.tags and "b" not in checker.tags
    assert text.count("<section") == 1 and checker.tags.count("h2") == 3   # wrong list, table, the section
    assert "evil\\n&lt;h2&gt;" in text
