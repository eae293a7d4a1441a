"""The shortest verified form of a wrong side, when no repair of it verifies (issue 14, item 4).

A repair edits what was written; when no edit (or pair of edits) verifies, the report of a wrong
derivative still owes the reader a correct statement, and an entry-by-entry sprawl of sympy output is not one.  Here the correct
right side is searched for in the claim's own terms: the names it declares and defines, the sub-expressions
of both sides and of its definitions (no derivative: a derivative of the question restates it), entries of
its vectors at its index symbols (`yhat[j]`); for a claim without a derivative on its left, any such
form would only restate the left side, so the diagnosis does not search, and one operation on one or two of them (a product, a
difference, a sum, a Hadamard product, a transpose, a negation).  Candidates are tried shortest first; each
must type-check, pass the cheap float filter the repairs use, and then verify exactly like a claim.  Work
is counted (candidates built, candidates verified), never timed, so the same claim and seed give the same
form.
"""

from __future__ import annotations

from dataclasses import replace

from .errors import ShapeError
from .model import Claim
from .shapes import ShapeEnv, infer_shape
from .tree import Node, num

VOCABULARY = 40          # smallest terms combined
MAX_CANDIDATES = 2000    # candidates built and type-checked, at most
MAX_FILTERED = 200       # candidates evaluated at the float points, at most
MAX_VERIFIED = 3         # candidates verified in full, at most
DERIVATIVES = ("grad", "jacobian", "diff")
VALUE_KINDS = ("real", "positive", "vector", "matrix", "probability", "onehot")


def size(node: Node) -> int:
    return sum(1 for _ in node.walk())


def vocabulary(pair: Claim) -> list[Node]:
    """The claim's own terms, smallest first (ties in order of appearance)."""
    found: dict[Node, int] = {}

    def add(node: Node):
        if node.op in ("num",) or any(n.op in DERIVATIVES for n in node.walk()):
            return
        found.setdefault(node, len(found))

    for name, _ in pair.lets:
        add(Node("name", (), name, name))
    for spec in pair.symbols:
        if spec.kind in VALUE_KINDS:
            add(Node("name", (), spec.name, spec.name))
    for tree in (*pair.steps, *(node for _, node in pair.lets)):
        for node in tree.walk():
            add(node)
    env = ShapeEnv(pair)
    indices = [Node("name", (), s.name, s.name) for s in pair.symbols if s.kind == "index"]
    for node in list(found):
        shape = _shape(node, env)
        if shape is not None and len(shape) == 2 and shape[1] == 1:
            for i in indices:
                add(Node("index", (node, i), None, f"{node.text}[{i.text}]"))
    return sorted(found, key=lambda n: (size(n), found[n]))[:VOCABULARY]


def candidates(pair: Claim):
    """Every term, then one operation on one or two terms, by increasing size (built lazily per size)."""
    terms = vocabulary(pair)
    env = ShapeEnv(pair)
    built = []
    for a in terms:
        built.append(a)
        built.append(Node("neg", (a,), None, f"-({a.text})"))
        built.append(Node("T", (a,), None, f"({a.text}).T"))
        built.append(Node("sub", (num(1), a), None, f"1 - ({a.text})"))
        for b in terms:
            built.append(Node("mul", (a, b), None, f"({a.text})*({b.text})"))
            built.append(Node("mul", (Node("T", (a,), None, ""), b), None, f"({a.text}).T*({b.text})"))
            built.append(Node("call", (a, b), "hadamard", f"hadamard({a.text}, {b.text})"))
            if a != b:
                built.append(Node("sub", (a, b), None, f"({a.text}) - ({b.text})"))
                built.append(Node("add", (a, b), None, f"({a.text}) + ({b.text})"))
        if len(built) >= MAX_CANDIDATES:
            break
    want = _shape(pair.steps[0], env)
    order = sorted(range(len(built)), key=lambda k: (size(built[k]), k))
    for k in order:
        node = built[k]
        if want is not None and _shape(node, env) == want:
            yield node


def shortest_form(pair: Claim, settings, *, matches, points, verify, restates) -> tuple[Node, str] | None:
    """(the shortest candidate right side that verifies, how it was verified), or None.  `matches`,
    `points`, `verify` and `restates` are the diagnosis's own filter, points, full verification and
    restating test, so a form is held to exactly the standard of a repair."""
    lhs, wrong = pair.steps
    drawn = points(pair, settings.seed)
    if not drawn:
        return None
    filtered = verified = 0
    for node in candidates(pair):
        if node == wrong or restates(lhs, node):
            continue
        candidate = replace(pair, steps=(lhs, node))
        filtered += 1
        if filtered > MAX_FILTERED:
            return None
        if not matches(candidate, drawn):
            continue
        verified += 1
        how = verify(candidate, settings)
        if how:
            return node, how
        if verified >= MAX_VERIFIED:
            return None
    return None


def _shape(node: Node, env: ShapeEnv):
    try:
        return infer_shape(node, env)
    except (ShapeError, KeyError, ValueError, TypeError):
        return None
