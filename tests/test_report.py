"""Report text against golden files, with the seed pinned and timings zeroed."""

import dataclasses
import json
import os
from pathlib import Path

import pytest

from verifier.loader import find_claim_files, load_claim
from verifier.report import make_report, render_json, render_markdown, write_atomic
from verifier.verify import Settings, verify

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def report():
    cwd = os.getcwd()
    os.chdir(GOLDEN)
    try:
        claims = [load_claim(p) for p in find_claim_files(["claims"])]
        results = [dataclasses.replace(verify(c, Settings(seed=7)), seconds=0.0) for c in claims]
    finally:
        os.chdir(cwd)
    return make_report(results, seed=7)


@pytest.mark.parametrize("name, render", [("report.md", render_markdown), ("report.json", render_json)])
def test_report_matches_golden_file(report, name, render):
    text = render(report)
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_report_summary_counts_and_surprises(report):
    summary = report["summary"]
    assert summary["total"] == 4
    assert summary["verdicts"]["proved"] == 1
    assert summary["verdicts"]["refuted"] == 2
    assert summary["verdicts"]["ill-typed"] == 1
    assert summary["surprises"] == []


def test_json_has_the_documented_fields(report):
    data = json.loads(render_json(report))
    for claim in data["claims"]:
        assert {"id", "verdict", "expect", "sources", "shapes", "seconds", "details"} <= set(claim)
    wrong = next(c for c in data["claims"] if c["id"] == "golden.wrong-matrix")
    ce = wrong["details"]["counterexample"]
    assert ce["seed"] == 7 and set(ce["point"]) == {"W", "x", "v"}


def test_markdown_shows_the_counterexample_and_how_to_reproduce(report):
    text = render_markdown(report)
    assert "Falsifying example (step (2) = (3), scalars)" in text
    assert "first wrong step: (2) = (3)" in text
    assert "Reproduce: verify-derivations claims/chain.toml --no-report --seed 7" in text
    assert "W*v: (m, n) times (m, 1)" in text
    assert "```math" in text and r"\nabla_{W}" in text


def test_markdown_lists_the_wrong_claims_first_with_reason_and_values(report):
    text = render_markdown(report)
    top = text[:text.index("| id | verdict | diagnosis |")]
    assert "## " not in top
    lines = [ln for ln in top.splitlines() if ln.startswith("- ")]
    assert [ln.split("](#")[1].split(")")[0] for ln in lines] == ["goldenchain", "goldenill-typed",
                                                                    "goldenwrong-matrix"]
    assert "`W*v: (m, n) times (m, 1); transpose W`" in lines[1]
    assert "falsified by `x = 1`" in lines[0]
    assert "falsified by `W = [" in lines[2] and "`v = [" in lines[2]
    assert "golden.matrix" not in top                       # proved: only in the table


def test_markdown_summary_table_is_narrow_with_marks(report):
    rows = [ln for ln in render_markdown(report).splitlines() if ln.startswith("| [`golden.")]
    assert len(rows) == 4 and all(ln.count(" | ") == 2 for ln in rows)
    assert "| ✗ refuted |" in rows[0] and "| ✓ proved |" in rows[2] and "| ⚠ ill-typed |" in rows[1]
    assert "`a missing factor f'(W*x) on v`" in rows[3]


def test_markdown_math_is_fenced_and_every_formula_reads(report):
    from verifier.mathml import to_mathml
    text = render_markdown(report)
    assert "$$" not in text
    blocks, current = [], None
    for line in text.splitlines():
        if line.strip() == "```math":
            current = []
        elif current is not None and line.strip() == "```":
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line.strip())
    assert current is None and len(blocks) >= 6
    for block in blocks:
        to_mathml(block, strict=True)      # balanced, and only commands GitHub's renderer knows


def test_markdown_expressions_are_code_so_no_star_is_eaten(report):
    text = render_markdown(report)
    assert "Claim as written: `ds/dW = v xᵀ`" in text
    assert "- `transpose W`: the repaired right side verifies" in text
    assert "W*v" not in text.replace("`W*v: (m, n) times (m, 1)", "").replace("`W*v: (m, n) times (m, 1); ", "")


def test_quotes_whose_latex_does_not_balance_are_code():
    from verifier.textsafe import latex_balanced, quote_lines
    assert quote_lines("$$ a = b $$") == ["> $$ a = b $$"]
    assert quote_lines("$$ \\frac{a}{b} = c") == ["> `$$ \\frac{a}{b} = c`"]
    assert quote_lines("\\left( x\nnext line") == ["> `\\left( x`", "> `next line`"]
    assert not latex_balanced("\\frac{a}{b") and not latex_balanced("a}{b")
    assert latex_balanced("\\{ x \\} = \\left( y \\right) and $z$")
    assert not latex_balanced("\\begin{aligned} x")


def test_write_atomic_leaves_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "report.md"
    target.write_text("old report", encoding="utf-8")

    def failing_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new report")
    assert target.read_text(encoding="utf-8") == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]
