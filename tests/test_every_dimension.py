"""The index-notation engine (issue 15): identities proved for every dimension, and never a claim that is
wrong, or true only at some sizes."""

import pytest

from helpers import make_claim
from verifier.every_dimension import prove_every_dimension


def proof(symbols, lhs, rhs, lets="", where=None):
    body = f"[symbols]\n{symbols}\n" + (f"[let]\n{lets}\n" if lets else "") + \
        f'[check]\nlhs = "{lhs}"\nrhs = "{rhs}"\n' + (f'where = "{where}"\n' if where else "")
    return prove_every_dimension(make_claim(body))


CLASSIC = [   # the matrix-calculus identities the issue lists, and the models' gradients
    ('x = "vector(n)"\na = "vector(n)"', "grad(x.T*a, x)", "a", ""),
    ('X = "matrix(m, n)"\na = "vector(m)"\nb = "vector(n)"', "grad(a.T*X*b, X)", "a*b.T", ""),
    ('x = "vector(n)"\nB = "matrix(n, n)"', "grad(x.T*B*x, x)", "(B + B.T)*x", ""),
    ('A = "matrix(p, m)"\nX = "matrix(m, n)"\nB = "matrix(n, p)"', "grad(trace(A*X*B), X)", "A.T*B.T", ""),
    ('A = "matrix(m, n)"\nx = "vector(n)"\nb = "vector(m)"', "grad(sum((A*x - b)**2), x)", "2*A.T*(A*x - b)", ""),
    ('s = "vector(n)"\nc = "index(n)"', "grad(-log(softmax(s)[c]), s)", "softmax(s) - onehot(c, n)", ""),
    ('W = "matrix(m, n)"\nx = "vector(n)"\nb = "vector(m)"\nf = "function"',
     "grad(sum(f(W*x + b)), W)", "hadamard(fprime(W*x + b), ones(m))*x.T", ""),
    ('W1 = "matrix(h, d)"\nW2 = "matrix(k, h)"\nx = "vector(d)"\nf = "function"\ny = "vector(k)"',
     "grad(L, z1)", "hadamard(W2.T*(W2*a1 - y), fprime(z1))",
     'z1 = "W1*x"\na1 = "f(z1)"\nL = "sum((W2*a1 - y)**2)/2"'),
    ('z = "vector(n)"\ni = "index(n)"\nj = "index(n)"', "diff(softmax(z)[i], z[j])",
     "softmax(z)[i]*(ind(i == j) - softmax(z)[j])", ""),
    ('A = "matrix(n, n)"', "trace(eye(n))", "n", ""),
    ('x = "vector(n)"', "sum(x*ones(n).T)", "n*sum(x)", ""),
    ('A = "matrix(n, m)"\nB = "matrix(m, n)"', "trace(A*B)", "trace(B*A)", ""),
    ('A = "matrix(n, m)"\nB = "matrix(m, k)"', "(A*B).T", "B.T*A.T", ""),
    ('A = "matrix(n, n)"\nx = "vector(n)"', "x.T*A*x", "x.T*A.T*x", ""),
    ('z = "vector(n)"\nc = "real"\ni = "index(n)"', "softmax(z - c*ones(n))[i]", "softmax(z)[i]", ""),
]


@pytest.mark.parametrize("symbols, lhs, rhs, lets", CLASSIC)
def test_classic_identities_are_proved_for_every_dimension(symbols, lhs, rhs, lets):
    out = proof(symbols, lhs, rhs, lets)
    assert out.proved, out.reason


WRONG = [
    # a dropped transpose, which a square shape hides from shape checking
    ('X = "matrix(n, n)"\na = "vector(n)"\nb = "vector(n)"', "grad(a.T*X*b, X)", "b*a.T"),
    ('x = "vector(n)"\nB = "matrix(n, n)"', "grad(x.T*B*x, x)", "2*B*x"),
    # a wrong factor
    ('A = "matrix(m, n)"\nx = "vector(n)"\nb = "vector(m)"', "grad(sum((A*x - b)**2), x)", "A.T*(A*x - b)"),
    # true only at n = 2 and 3, and true at every tried size but not beyond
    ('v = "vector(n)"', "sum(ones(n))", "n**2 - 4*n + 6"),
    ('v = "vector(n)"', "ind(n > 100)*sum(v)", "0"),
    # orders of a product that only a symmetric matrix or a cyclic trace allows
    ('A = "matrix(n, n)"\nx = "vector(n)"\ny = "vector(n)"', "x.T*A*y", "y.T*A*x"),
    ('A = "matrix(n, n)"\nB = "matrix(n, n)"\nC = "matrix(n, n)"', "trace(A*B*C)", "trace(C*B*A)"),
    ('A = "matrix(n, n)"\nx = "vector(n)"', "sum(A*x)", "sum(A.T*x)"),
    # a sum of exponentials "cancelled"
    ('z = "vector(n)"\ni = "index(n)"', "softmax(z)[i]", "exp(z[i])/exp(sum(z))"),
    # different indices over two ranges may be equal
    ('x = "vector(m)"\ny = "vector(n)"\ni = "index(m)"\nj = "index(n)"', "ind(i == j)*x[i]", "0"),
]


@pytest.mark.parametrize("symbols, lhs, rhs", WRONG)
def test_wrong_claims_are_not_proved_for_every_dimension(symbols, lhs, rhs):
    assert not proof(symbols, lhs, rhs).proved


def test_the_standard_polynomial_that_vanishes_only_on_small_matrices_is_not_proved():
    """s_4(A, B, C, D) vanishes on 2 x 2 matrices (Amitsur-Levitzki) and not on larger ones."""
    import itertools
    names = "ABCD"
    terms = []
    for perm in itertools.permutations(range(4)):
        inversions = sum(1 for a, b in itertools.combinations(perm, 2) if a > b)
        terms.append(("-" if inversions % 2 else "+") + "*".join(names[p] for p in perm))
    lhs = "".join(terms).lstrip("+")
    symbols = "\n".join(f'{n} = "matrix(n, n)"' for n in names)
    assert not proof(symbols, f"sum({lhs})", "0").proved


def test_a_condition_between_indices_splits_the_cases():
    symbols = 'z = "vector(n)"\ni = "index(n)"\nj = "index(n)"'
    assert proof(symbols, "diff(softmax(z)[i], z[j])", "-softmax(z)[i]*softmax(z)[j]", where="i != j").proved
    assert not proof(symbols, "diff(softmax(z)[i], z[j])", "-softmax(z)[i]*softmax(z)[j]").proved


def test_a_where_that_no_case_of_the_indices_satisfies_proves_nothing():
    symbols = 'x = "vector(m)"\ny = "vector(n)"\ni = "index(m)"\nj = "index(n)"'
    assert not proof(symbols, "x[i]", "x[i] + 1", where="i == j").proved


def test_what_it_cannot_read_is_undecided_with_a_reason():
    out = proof('A = "matrix(n, n)"', "det(A)", "det(A.T)")
    assert not out.proved and "det" in out.reason
    out = proof('v = "vector(n)"', "v[0]", "v[0]")
    assert not out.proved and "index" in out.reason
    out = proof('x = "real"', "x", "x")
    assert not out.proved and "no dimensions" in out.reason


def _catalog_claims():
    from pathlib import Path

    from verifier.loader import load_claim
    root = Path(__file__).resolve().parent.parent / "derivations"
    return [load_claim(p) for p in sorted(root.rglob("*.toml"))]


def test_on_the_catalog_it_proves_no_wrong_claim_and_most_dimensional_ones():
    """Differential: a claim the concrete engines refute or find ill-typed is never proved for every
    dimension; and the backprop, softmax, cross-entropy and linear-model claims mostly are."""
    import json
    from pathlib import Path
    report = json.loads((Path(__file__).resolve().parent.parent / "reports" / "report.json").read_text())
    verdicts = {c["id"]: c["verdict"] for c in report["claims"]}
    proved = total = 0
    for claim in _catalog_claims():
        if not claim.dims or claim.relation != "=":
            continue
        out = prove_every_dimension(claim)
        assert not (out.proved and verdicts[claim.id] in ("refuted", "ill-typed")), claim.id
        if verdicts[claim.id] == "proved":
            total += 1
            proved += out.proved
    assert proved >= 0.8 * total, (proved, total)


def test_mutated_catalog_claims_are_not_proved_unless_the_concrete_engine_agrees():
    """Each catalog claim proved for every dimension, with its right side doubled or two of its indices
    swapped: the index engine proves the mutant only when the exact proof at concrete shapes does too."""
    from dataclasses import replace

    from verifier.plan import Settings, make_plan
    from verifier.symbolic_check import check_symbolic
    from verifier.tree import Node, num
    for claim in _catalog_claims():
        if not claim.dims or claim.relation != "=" or not prove_every_dimension(claim).proved:
            continue
        last = claim.steps[-1]
        mutants = [Node("mul", (num(2), last), text=f"2*({last.text})")]
        indices = [s.name for s in claim.symbols if s.kind == "index"]
        same = [(a, b) for a in indices for b in indices if a < b
                and claim.symbol(a).dims == claim.symbol(b).dims]
        for a, b in same[:1]:
            mutants.append(_swap(last, a, b))
        for rhs in mutants:
            mutant = replace(claim, steps=claim.steps[:-1] + (rhs,))
            if prove_every_dimension(mutant).proved:
                steps, _, _ = check_symbolic(make_plan(mutant, Settings()))
                assert all(s.verdict == "proved" for s in steps), (claim.id, rhs.text)


def _swap(node, a, b):
    from verifier.tree import Node
    if node.op == "name" and node.value in (a, b):
        return Node("name", (), b if node.value == a else a, text=b if node.value == a else a)
    return Node(node.op, tuple(_swap(x, a, b) for x in node.args), node.value, text=f"swap({node.text})")


# -- in the verdict ------------------------------------------------------------------------------

def _verify(body):
    from verifier.plan import Settings
    from verifier.verify import verify
    return verify(make_claim(body), Settings(), diagnose=False)


def test_a_backprop_identity_is_reported_proved_for_every_dimension():
    body = ('[symbols]\nW = "matrix(m, n)"\nx = "vector(n)"\nb = "vector(m)"\nv = "vector(m)"\nf = "function"\n'
            '[let]\nz = "W*x + b"\n[check]\nlhs = "grad(v.T*f(z), W)"\nrhs = "hadamard(v, fprime(z))*x.T"\n')
    result = _verify(body)
    assert result.verdict == "proved"
    assert "for every dimension" in result.message and result.every_dimension
    assert "not for every dimension" not in result.message


def test_a_claim_proved_only_at_the_tried_shapes_says_so():
    """det(A^T) = det(A) is true, but the index engine does not cover det: the exact engine proves it at
    its shapes, and the report says that it is proved there only."""
    body = '[symbols]\nA = "matrix(n, n)"\n[check]\nlhs = "det(A.T)"\nrhs = "det(A)"\n'
    result = _verify(body)
    assert result.verdict == "proved" and result.every_dimension is None
    assert "at shapes n=2; n=3 (not for every dimension)" in result.message


def test_a_proof_for_every_dimension_against_a_certified_difference_is_a_disagreement(monkeypatch):
    """Should the index engine ever prove a wrong claim, the verdict is engine-disagreement, never proved."""
    import verifier.verify as verify_module
    from verifier.every_dimension import DimensionProof
    monkeypatch.setattr(verify_module, "prove_every_dimension", lambda claim, env=None: DimensionProof(True, "fake"))
    body = '[symbols]\nX = "matrix(n, n)"\na = "vector(n)"\nb = "vector(n)"\n' \
           '[check]\nlhs = "grad(a.T*X*b, X)"\nrhs = "b*a.T"\n'
    result = _verify(body)
    assert result.verdict == "engine-disagreement"
    assert "index-notation engine" in result.message and result.counterexample is not None


def test_a_proof_for_every_dimension_decides_what_the_exact_engine_at_shapes_leaves_open(monkeypatch):
    """The exact engine at concrete shapes inconclusive, the index engine proves it: proved, and said so."""
    import verifier.verify as verify_module
    from verifier.model import StepResult
    real = verify_module.check_symbolic

    def undecided(plan):
        steps, shapes, ce = real(plan)
        return tuple(StepResult(s.index, "inconclusive", "made undecided for the test") for s in steps), shapes, ce
    monkeypatch.setattr(verify_module, "check_symbolic", undecided)
    body = ('[symbols]\nW = "matrix(m, n)"\nx = "vector(n)"\nv = "vector(m)"\n'
            '[check]\nlhs = "grad(v.T*tanh(W*x), W)"\nrhs = "hadamard(v, 1 - tanh(W*x)**2)*x.T"\n')
    result = _verify(body)
    assert result.verdict == "proved" and result.every_dimension
    assert "for every dimension" in result.message and "sympy could not reduce every entry" in result.message


SQUARE = 'X = "matrix(n, n)"\nY = "matrix(n, n)"\na = "vector(n)"\nb = "vector(n)"\ni = "index(n)"\nj = "index(n)"\nk = "index(n)"\nl = "index(n)"'


@pytest.mark.parametrize("lhs, rhs", [
    ("grad(a.T*inv(X)*b, X)", "-inv(X).T*a*b.T*inv(X).T"),
    ("grad(log(det(X)), X)", "inv(X).T"),
    ("grad(det(X), X)", "det(X)*inv(X).T"),
    ("diff(inv(X)[i, j], X[k, l])", "-inv(X)[i, k]*inv(X)[l, j]"),
])
def test_the_inverse_and_the_determinant_are_proved_for_every_dimension(lhs, rhs):
    assert proof(SQUARE, lhs, rhs).proved


@pytest.mark.parametrize("lhs, rhs", [
    ("grad(a.T*inv(X)*b, X)", "-inv(X)*a*b.T*inv(X)"),          # transposes dropped
    ("grad(a.T*inv(X)*b, X)", "inv(X).T*a*b.T*inv(X).T"),        # sign
    ("grad(log(det(X)), X)", "inv(X)"),
    ("grad(det(X), X)", "inv(X).T"),                             # the det factor lost
    ("inv(X).T", "inv(X)"),
    ("inv(Y)", "inv(X)"),
    ("det(Y)", "det(X)"),
    ("inv(X)*X", "eye(n)"),       # true, but the atoms know nothing of X inv(X) = I: not proved, not refuted
])
def test_wrong_or_unknowable_inverse_claims_are_not_proved_for_every_dimension(lhs, rhs):
    assert not proof(SQUARE, lhs, rhs).proved


def test_inverse_claims_end_to_end():
    from helpers import verdict_of
    body = f"[symbols]\n{SQUARE}\n[check]\n"
    right = verdict_of(body + 'lhs = "grad(a.T*inv(X)*b, X)"\nrhs = "-inv(X).T*a*b.T*inv(X).T"\n')
    assert right.verdict == "proved" and right.every_dimension
    wrong = verdict_of(body + 'lhs = "grad(log(det(X)), X)"\nrhs = "inv(X)"\n')
    assert wrong.verdict == "refuted" and not wrong.every_dimension
    identity = verdict_of(body + 'lhs = "inv(X)*X"\nrhs = "eye(n)"\n')
    assert identity.verdict == "proved" and not identity.every_dimension
    assert proof('X = "matrix(m, n)"', "det(X)", "det(X)").reason   # not square: undecided, with a reason
