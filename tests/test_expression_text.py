"""The expression-syntax printer of repaired trees: every catalog expression printed reads back as itself."""

from dataclasses import replace
from pathlib import Path

import pytest

from verifier.expression_text import to_text
from verifier.loader import find_claim_files, load_claim, make_scope
from verifier.parser import parse_expression
from verifier.tree import Node, num


def _scope(claim):
    scope = make_scope(claim.symbols)
    return replace(scope, values=scope.values | {n for n, _ in claim.lets})


def test_every_catalog_expression_reads_back_as_the_same_tree():
    checked = 0
    for path in find_claim_files([Path(__file__).parent.parent / "derivations"]):
        claim = load_claim(path)
        generic = {s.name for s in claim.symbols if s.kind == "function"}
        for tree in list(claim.steps) + [node for _, node in claim.lets]:
            text = to_text(tree, generic)
            assert text is not None, tree.text
            back = parse_expression(text, _scope(claim))
            # decimals read back as fractions (123.456 is 15432/125): the same value, another tree
            assert back == tree or to_text(back, generic) == text, (tree.text, text)
            checked += 1
    assert checked > 500


@pytest.mark.parametrize("tree, text", [
    (Node("neg", (Node("pow", (Node("name", (), "x"), num(2))),)), "-x**2"),
    (Node("pow", (Node("neg", (Node("name", (), "x"),)), num(2))), "(-x)**2"),
    (Node("sub", (Node("name", (), "a"), Node("sub", (Node("name", (), "b"), Node("name", (), "c"))))), "a - (b - c)"),
    (Node("div", (num(1), Node("mul", (Node("name", (), "m"), Node("name", (), "n"))))), "1/(m * n)"),
    (Node("T", (Node("matmul", (Node("name", (), "A"), Node("name", (), "B"))),)), "(A @ B).T"),
    (Node("fapply", (Node("name", (), "z"),), ("f", 1)), "fprime(z)"),
    (Node("fapply", (Node("name", (), "z"),), ("sigmoid", 1)), "diff(sigmoid)(z)"),
])
def test_precedence_and_spelling(tree, text):
    assert to_text(tree, {"f"}) == text


def test_an_unknown_operator_gives_none_not_a_guess():
    assert to_text(Node("mystery", (num(1),))) is None
