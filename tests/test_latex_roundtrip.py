"""Render -> read back: every expression of the catalog, and random trees, come back as the same
tree from their LaTeX (verifier/latex.py renders, verifier/latex_parse.py reads)."""

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from verifier.errors import UnsafeExpression
from verifier.latex import to_latex
from verifier.latex_parse import parse_latex
from verifier.loader import find_claim_files, load_claim
from verifier.parser import Scope, parse_expression
from verifier.shapes import ShapeEnv, infer_shape

CATALOG = Path(__file__).resolve().parent.parent / "derivations"


def _expressions(claim):
    """(key, tree, names in scope) for every let, step and condition of a claim."""
    symbols = {s.name for s in claim.symbols if s.kind != "function"} | set(claim.dims)
    defined = []
    for name, node in claim.lets:
        yield f"let.{name}", node, symbols | set(defined)
        defined.append(name)
    everything = symbols | set(defined)
    for k, node in enumerate(claim.steps):
        yield f"steps[{k}]", node, everything
    if claim.where is not None:
        yield "where", claim.where, everything


def _shapes(claim) -> dict:
    shapes = {d: () for d in claim.dims} | {s.name: s.shape for s in claim.symbols if s.kind != "function"}
    env = ShapeEnv.__new__(ShapeEnv)
    env.claim, env.shapes = claim, dict(shapes)
    for name, node in claim.lets:       # as the loader does: an ill-typed let stays unknown
        try:
            env.shapes[name] = infer_shape(node, env)
        except Exception:  # noqa: BLE001
            pass
    return env.shapes


@pytest.mark.parametrize("path", find_claim_files([CATALOG]), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_catalog_expression_reads_back_from_its_latex(path):
    claim = load_claim(path)
    shapes = _shapes(claim)
    functions = frozenset(s.name for s in claim.symbols if s.kind == "function")
    for key, node, names in _expressions(claim):
        scope = Scope(values=frozenset(names), functions=functions,
                      shapes=tuple((n, s) for n, s in shapes.items() if n in names))
        text = to_latex(node)
        assert parse_latex(text, scope, path=str(path), key=key) == node, f"{key}: {node.text} -> {text}"


# -- random trees ----------------------------------------------------------------------------------
# Names of every kind the reader tells apart: scalars, a vector, a matrix, a name with a digit (x1,
# which renders as x_{1}), an accented name, a Greek name, an index and a generic function.
SHAPES = {"x": (), "y": (), "x1": (), "yhat": (), "delta": (), "v": ("n", 1), "u": ("n", 1), "W": ("n", "n"),
          "i": (), "n": ()}
SCOPE = Scope(values=frozenset(SHAPES), functions=frozenset({"f"}), shapes=tuple(SHAPES.items()))

LEAVES = st.sampled_from(["x", "y", "x1", "yhat", "delta", "v", "W", "u", "1", "2", "3.5", "pi", "-1", "v[i]",
                          "W[i, 0]", "0.25"])
UNARY = ["-({})", "exp({})", "log({})", "sigmoid({})", "tanh({})", "f({})", "fprime(y)", "diff(f, 2)({})",
         "({}).T", "sum({})", "Abs({})", "sqrt({})", "softmax({})", "diff({}, x)", "diff({}, v[i])", "grad({}, W)",
         "grad({}, v)", "ind({} > 0)", "ind(not ({} <= 1))", "Max(0, {})", "relu({})", "onehot(i, n)*{}",
         "ones(n)*{}", "({})**2", "({})**-1", "trace({})", "size({})", "limit({}, x, 0)"]
BINARY = ["({}) + ({})", "({}) - ({})", "({}) * ({})", "({}) / ({})", "hadamard({}, {})", "outer({}, {})",
          "dot({}, {})", "Max({}, {})", "({}) ** ({})", "ind({} < {} and x > 0)", "[{}, {}]", "({}) + ({}) + x"]


def _extend(children):
    unary = st.tuples(st.sampled_from(UNARY), children).map(lambda t: t[0].format(t[1]))
    binary = st.tuples(st.sampled_from(BINARY), children, children).map(lambda t: t[0].format(t[1], t[2]))
    return unary | binary


EXPRESSIONS = st.recursive(LEAVES, _extend, max_leaves=8)


@settings(max_examples=400, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(EXPRESSIONS)
def test_random_trees_read_back_from_their_latex(text):
    try:
        node = parse_expression(text, SCOPE)
    except UnsafeExpression:
        assume(False)   # a constant too large, a vector literal of arrays: not a tree to render
    # W**-1 (entrywise, W is m x n) renders as W^{-1}, which the reader takes for an inverse and refuses
    # (W is not square); the inverse itself renders as \operatorname{inv}(W) and reads back
    assume(not any(n.op == "pow" and n.args[0].op == "name" and n.args[0].value == "W"
                   and n.args[1].op == "num" and n.args[1].value == -1 for n in node.walk()))
    rendered = to_latex(node)
    assert parse_latex(rendered, SCOPE) == node, f"{text} -> {rendered}"
    # what the reports print must also read right to a person: no number juxtaposed after a number
    assert not re.search(r"[0-9}] \{*[0-9]|[0-9] \\frac", rendered), f"{text} -> {rendered}"


@pytest.mark.parametrize("text, latex", [("2*(1/4)", r"2 \cdot \frac{1}{4}"), ("2*3.5", r"2 \cdot 3.5"),
                                         ("x*2", r"x \cdot 2"), ("2*x*3", r"2 x \cdot 3"),
                                         ("3*2**x", r"3 \cdot {2}^{x}"), ("2*x", "2 x")])
def test_a_number_after_a_factor_takes_a_cdot(text, latex):
    node = parse_expression(text, SCOPE)
    assert to_latex(node) == latex
    assert parse_latex(latex, SCOPE) == node


def test_every_repair_of_the_catalog_report_reads_back():
    """The repaired right sides that report.md and the HTML report print (report.json's `latex` of each
    repair): read back with the claim's declarations, they render to the same LaTeX."""
    import json
    report = json.loads((CATALOG.parent / "reports" / "report.json").read_text(encoding="utf-8"))
    checked = 0
    for entry in report["claims"]:
        repairs = (entry["details"]["diagnosis"] or {}).get("repairs", [])
        if not repairs:
            continue
        claim = load_claim(CATALOG.parent / entry["file"])
        shapes = _shapes(claim)
        scope = Scope(values=frozenset(shapes), shapes=tuple(shapes.items()),
                      functions=frozenset(s.name for s in claim.symbols if s.kind == "function"))
        for repair in repairs:
            node = parse_latex(repair["latex"], scope, path=entry["file"], key="repair")
            assert to_latex(node) == repair["latex"], entry["id"]
            checked += 1
    assert checked >= 20


def test_parenthesised_hadamard_product_keeps_its_parentheses():
    """The known bug: a^T (A ⊙ X ⊙ B) b lost its parentheses and read as a^T A ⊙ X ⊙ (B b)."""
    shapes = {"a": ("n", 1), "b": ("n", 1), "A": ("n", "n"), "X": ("n", "n"), "B": ("n", "n")}
    scope = Scope(values=frozenset(shapes), shapes=tuple(shapes.items()))
    node = parse_expression("a.T*hadamard(hadamard(A, X), B)*b", scope)
    text = to_latex(node)
    assert r"\left(A \odot X \odot B\right)" in text
    assert parse_latex(text, scope) == node
    right_nested = parse_expression("hadamard(A, hadamard(X, B))", scope)
    assert to_latex(right_nested) == r"A \odot \left(X \odot B\right)"
    assert parse_latex(to_latex(right_nested), scope) == right_nested
