"""The committed reports are what verify-derivations produces for the catalog today (timings aside)."""

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifier.cli import main

ROOT = Path(__file__).parent.parent


def without_timings_md(text: str) -> str:
    text = re.sub(r"\| [0-9]+\.[0-9]{2} \|$", "| - |", text, flags=re.M)
    return text


def without_timings_json(text: str) -> dict:
    data = json.loads(text)
    for claim in data["claims"]:
        claim.pop("seconds")
    return data


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """One run of the CLI over the catalog, from the repository root as a user runs it."""
    out = tmp_path_factory.mktemp("report")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(main, ["derivations", "--report", str(out / "report.md"),
                                           "--json", str(out / "report.json"), "--jobs", "2"])
    finally:
        os.chdir(cwd)
    return result, out


def test_every_verdict_is_the_expected_one(fresh):
    result, out = fresh
    assert result.exit_code == 0, result.output
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["summary"]["surprises"] == []


def test_committed_json_report_is_current(fresh):
    _, out = fresh
    committed = (ROOT / "reports" / "report.json").read_text(encoding="utf-8")
    assert without_timings_json((out / "report.json").read_text(encoding="utf-8")) == \
        without_timings_json(committed), "reports/ is stale: run verify-derivations and commit reports/"


def test_committed_markdown_report_is_current(fresh):
    _, out = fresh
    committed = (ROOT / "reports" / "report.md").read_text(encoding="utf-8")
    assert without_timings_md((out / "report.md").read_text(encoding="utf-8")) == without_timings_md(committed), \
        "reports/ is stale: run verify-derivations and commit reports/"


ISSUE_IDS = """
linear.l2-reg-entry linear.l2-reg-grad svm.grad-scores svm.grad-weights-outer svm.grad-weight-rows
softmax-ce.log-split softmax-ce.grad-scores softmax-ce.grad-weight-rows linear.full-grad-weights
linear.full-grad-bias softmax.shift-invariance softmax.shift-invariance-steps-a softmax.shift-invariance-steps-b
sigmoid.derivative-steps-a sigmoid.derivative-steps-b ce.softmax-grad ce.softmax-grad-true-class
mlp1.sigmoid-layer-jacobian mlp1.grad-input-as-written mlp1.grad-input mlp1.param-count mlp1.param-count-variant
softmax-clf.grad-input-steps calc.chain-rule calc.exp-neg calc.multivariate-chain-rule calc.gradient-of-pair
maxmargin.grad-v maxmargin.grad-v-variant maxmargin.grad-W-entry maxmargin.grad-W maxmargin.grad-b
maxmargin.grad-x maxmargin.grad-x-row-variant maxmargin.loss-grad-W mlp2.grad-W2 mlp2.delta-hidden mlp2.grad-W1
mlp2.delta-hidden-no-transpose mlp2.delta-hidden-variant mlp2.grad-W2-variant backprop.delta-recursion
gradcheck.central-difference gradcheck.square-example gradcheck.vector-example linreg.grad linreg.grad-variant
linreg.update-direction sigmoid.range log.range exp.sum-of-exponents softmax-ce.grad-prob softmax.jacobian-cases
softmax-ce.grad-weight-vector softmax-ce.grad-bias-true-class softmax-ce.grad-bias-other-class calc.quotient-rule
softmax.jacobian-quotient-form softmax.backward-vector mlp.grad-output-weights
""".split()


def test_every_claim_the_issue_lists_is_catalogued_with_a_source():
    data = json.loads((ROOT / "reports" / "report.json").read_text(encoding="utf-8"))
    claims = {c["id"]: c for c in data["claims"]}
    missing = [i for i in ISSUE_IDS if i not in claims]
    assert missing == []
    seeds = {p.name for p in (ROOT.parent / "shared" / "seeds").glob("*.txt")} or None
    for claim in claims.values():
        assert claim["sources"], claim["id"]
        if seeds:
            assert all(s["seed"] in seeds for s in claim["sources"]), claim["id"]
