"""Claim files written in LaTeX, through the loader and the whole verify path (and the CLI)."""

import json

import pytest
from click.testing import CliRunner

from helpers import make_claim, verdict_of, write_claim
from verifier.cli import main
from verifier.errors import ClaimFileError

SIGMOID = """
[symbols]
x = "real"

[check]
latex = '{relation}'
"""


def test_sigmoid_derivative_in_latex_is_proved():
    result = verdict_of(SIGMOID.format(relation=r"\frac{d}{dx}\sigma(x) = \sigma(x)(1-\sigma(x))"))
    assert result.verdict == "proved", result.message


def test_sigmoid_of_one_minus_x_is_refuted_with_a_counterexample():
    result = verdict_of(SIGMOID.format(relation=r"\frac{d}{dx}\sigma(x) = \sigma(x)\sigma(1-x)"))
    assert result.verdict == "refuted", result.message
    assert result.counterexample is not None


def test_latex_relation_sets_the_relation_and_the_chain():
    claim = make_claim(SIGMOID.format(relation=r"\sigma(x) \le 1"))
    assert claim.relation == "<=" and not claim.chain and len(claim.steps) == 2
    claim = make_claim(SIGMOID.format(relation=r"e^{x} e^{-x} = e^{x - x} = 1"))
    assert claim.relation == "=" and claim.chain and len(claim.steps) == 3
    assert verdict_of(SIGMOID.format(relation=r"\sigma(x) < \frac{1}{2}")).verdict == "refuted"


def test_gradient_with_latex_lets_is_proved_and_a_slip_is_refuted():
    body = """
    [symbols]
    W = "matrix(m, n)"
    x = "vector(n)"
    b = "vector(m)"
    v = "vector(m)"
    f = "function"

    [let]
    z = '$W x + b$'
    s = '$v^T f(z)$'
    delta = '''$v \\odot f'(z)$'''

    [check]
    latex = '\\frac{{\\partial s}}{{\\partial W}} = {rhs}'
    """
    assert verdict_of(body.format(rhs=r"\delta x^\top")).verdict == "proved"
    assert verdict_of(body.format(rhs=r"(v \odot f(z)) x^\top")).verdict == "refuted"
    assert verdict_of(body.format(rhs=r"\delta x")).verdict == "ill-typed"


def test_piecewise_right_side_and_where_in_latex():
    body = """
    [symbols]
    x = "real"

    [check]
    latex = '\\frac{{d}}{{dx}} \\max(0, x) = \\begin{{cases}} {high} & x > 0 \\\\ 0 & \\text{{otherwise}} \\end{{cases}}'
    """
    assert verdict_of(body.format(high="1")).verdict in ("proved", "confirmed")
    assert verdict_of(body.format(high="x")).verdict == "refuted"


def test_python_and_latex_expressions_mix_in_one_file():
    claim = make_claim("""
    [symbols]
    s = "vector(n)"
    y = "index(n)"
    k = "index(n)"

    [let]
    L = '$\\sum_{j \\ne y} \\max(0, s_j - s_y + 1)$'

    [check]
    lhs = "diff(L, s[k])"
    rhs = '$\\frac{\\partial L}{\\partial s_k}$'
    where = '$k \\ne y$'
    """)
    assert claim.where.op == "ne" and claim.steps[1].op == "diff"
    assert dict(claim.lets)["L"].op == "sub"


@pytest.mark.parametrize("check, key, message", [
    ("latex = 'x = 1'\nlhs = \"x\"", "check", "not latex and lhs"),
    ("latex = 'x = 1'\nrelation = \"<\"", "check", "not latex and relation"),
    ("latex = '\\frac{d}{dx} \\sigma(x'", "check.latex", "ends too early"),
    ("latex = 'x_1 = 1'", "check.latex", "neither a declared name"),
    ("steps = [\"0\", \"x\", \"1\"]\nrelations = [\"<\"]", "check.relations", "one relation per link"),
    ("steps = [\"0\", \"x\", \"1\"]\nrelations = [\"<\", \"!=\"]", "check.relations", "unknown relation"),
    ("lhs = \"x\"\nrhs = \"1\"\nrelations = [\"<\"]", "check.relations", "relations go with steps"),
    ("steps = [\"0\", \"x\", \"1\"]\nrelation = \"<\"", "check.relation", "one relation per link"),
    ("latex = 3", "check.latex", "expected a string"),
    ("lhs = '$x^$'\nrhs = \"1\"", "check.lhs", "ends too early"),
    ("steps = 5", "check.steps", "must be a list"),                 # looking for LaTeX must not trip on it
    ("[let]\nz = '$$'", "let.z", "empty formula"),
    ("[let]\nz = '$x +* 1$'", "let.z", "unexpected `\\*`"),
])
def test_malformed_latex_is_one_error_naming_file_and_key(check, key, message):
    with pytest.raises(ClaimFileError, match=message) as info:
        make_claim(f'[symbols]\nx = "real"\n[check]\n{check}\n', path="derivations/bad.toml")
    assert str(info.value).startswith(f"derivations/bad.toml: [{key}]")


def test_a_bad_latex_file_does_not_stop_the_run(tmp_path):
    folder = tmp_path / "derivations"
    folder.mkdir()
    write_claim(folder, "good.toml", SIGMOID.format(relation=r"\frac{d}{dx}\sigma(x) = \sigma(x)(1-\sigma(x))"),
                claim_id="latex.good", expect="holds")
    write_claim(folder, "bad.toml", SIGMOID.format(relation=r"\frac{d}{dx}\sigma(x) = \sigam(x)"),
                claim_id="latex.bad")
    result = CliRunner().invoke(main, [str(folder), "--report", str(tmp_path / "r.md"), "--json", str(tmp_path / "r.json")])
    assert "proved       latex.good" in result.output
    assert "bad.toml: [check.latex]: unknown LaTeX command `\\sigam`" in result.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert [c["verdict"] for c in data["claims"]] == ["error", "proved"] or \
           sorted(c["verdict"] for c in data["claims"]) == ["error", "proved"]
    assert result.exit_code != 0


def test_the_inverse_of_a_declared_square_matrix_is_written_with_minus_one():
    square = '[symbols]\nX = "matrix(n, n)"\na = "vector(n)"\nb = "vector(n)"\nx = "real"\n[check]\n'
    claim = make_claim(square + "latex = '\\nabla_X (a^T X^{-1} b) = -X^{-T} a b^T X^{-T}'\n")
    rhs = claim.steps[1]
    assert any(n.op == "call" and n.value == "inv" for n in rhs.walk())
    assert any(n.op == "T" and n.args[0].op == "call" and n.args[0].value == "inv" for n in rhs.walk())
    scalar = make_claim(square + "latex = 'x^{-1} = \\frac{1}{x}'\n")
    assert scalar.steps[0].op == "pow"          # a scalar's ^{-1} stays a power
