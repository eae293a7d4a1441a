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
    assert "$$" in text and r"\nabla_{W}" in text


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
