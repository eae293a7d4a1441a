"""The library of repairs: the typical mistakes of ML derivations, undone one at a time.

Each repair is one small function that takes the wrong side (a tree) and the
claim, and yields (description, repaired side) candidates.  The diagnosis keeps
a candidate only if the repaired claim type-checks and then verifies with the
same checks as any claim.  Adding a kind of mistake means adding one function
to REPAIRS.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, Iterator

from .model import Claim
from .tree import Node, num

Candidate = tuple[str, Node]


def paths(node: Node, here: tuple = ()) -> Iterator[tuple[tuple, Node]]:
    """Every sub-tree with the path (argument positions) that leads to it."""
    yield here, node
    for k, arg in enumerate(node.args):
        yield from paths(arg, here + (k,))


def replace_at(node: Node, path: tuple, new: Node) -> Node:
    if not path:
        return new
    args = list(node.args)
    args[path[0]] = replace_at(args[path[0]], path[1:], new)
    return Node(node.op, tuple(args), node.value, node.text)


def _text(node: Node) -> str:
    return node.text or str(node)


def transpose_side(side: Node, claim: Claim) -> Iterator[Candidate]:
    yield "transpose the whole side", Node("T", (side,), None, f"({_text(side)}).T")


def transpose_name(side: Node, claim: Claim) -> Iterator[Candidate]:
    """A missing transpose of a named array, or one too many."""
    arrays = {s.name for s in claim.symbols if s.kind in ("vector", "matrix")} | {n for n, _ in claim.lets}
    for path, sub in paths(side):
        if sub.op == "T" and sub.args[0].op == "name" and sub.args[0].value in arrays:
            yield f"drop the transpose of {sub.args[0].value}", replace_at(side, path, sub.args[0])
        elif sub.op == "name" and sub.value in arrays and not _under_transpose(side, path):
            yield f"transpose {sub.value}", replace_at(side, path, Node("T", (sub,), None, f"{sub.value}.T"))


def _under_transpose(side: Node, path: tuple) -> bool:
    node = side
    for k in path[:-1]:
        node = node.args[k]
    return bool(path) and node.op == "T"


def negate(side: Node, claim: Claim) -> Iterator[Candidate]:
    if side.op == "neg":
        yield "off by a factor -1", side.args[0]
    elif side.op == "num":
        yield "off by a factor -1", num(-side.value)
    else:
        yield "off by a factor -1", Node("neg", (side,), None, f"-({_text(side)})")


def scale(side: Node, claim: Claim, factor: Fraction | None = None) -> Iterator[Candidate]:
    """A constant factor: the diagnosis passes the ratio of the two sides when it is constant."""
    if factor is not None and factor not in (0, 1, -1):
        yield f"off by a factor {factor}", Node("mul", (num(factor), side), None, f"{factor}*({_text(side)})")


def function_of_one_minus(side: Node, claim: Claim) -> Iterator[Candidate]:
    """g(1 - z) written for 1 - g(z) (sigma(1 - z) for 1 - sigma(z))."""
    for path, sub in paths(side):
        if sub.op in ("call", "fapply") and len(sub.args) == 1 and _is_one_minus(sub.args[0]):
            inner = sub.args[0].args[1]
            name = sub.value if sub.op == "call" else sub.value[0]
            applied = Node(sub.op, (inner,), sub.value, f"{name}({_text(inner)})")
            fixed = Node("sub", (num(1), applied), None, f"1 - {name}({_text(inner)})")
            yield f"{name}(1 - {_text(inner)}) should be 1 - {name}({_text(inner)})", replace_at(side, path, fixed)


def _is_one_minus(node: Node) -> bool:
    return node.op == "sub" and node.args[0].op == "num" and node.args[0].value == 1


def hadamard_matmul(side: Node, claim: Claim) -> Iterator[Candidate]:
    """A Hadamard product where a matrix product belongs, and the other way round."""
    for path, sub in paths(side):
        if sub.op == "call" and sub.value == "hadamard":
            a, b = sub.args
            for left, right, how in ((a, b, ""), (Node("T", (a,)), b, " with the first factor transposed"),
                                     (a, Node("T", (b,)), " with the second factor transposed")):
                fixed = Node("mul", (left, right), None, f"{_text(left)}*{_text(right)}")
                yield f"the Hadamard product in `{_text(sub)}` should be a matrix product{how}", \
                    replace_at(side, path, fixed)
        elif sub.op in ("mul", "matmul") and not _scalar_factor(sub, claim):
            fixed = Node("call", sub.args, "hadamard", f"hadamard({_text(sub.args[0])}, {_text(sub.args[1])})")
            yield f"the matrix product in `{_text(sub)}` should be a Hadamard product", replace_at(side, path, fixed)


def _scalar_factor(node: Node, claim: Claim) -> bool:
    scalars = {s.name for s in claim.symbols if s.kind in ("real", "positive", "index")} | set(claim.dims)
    return any(a.op == "num" or (a.op == "name" and a.value in scalars) for a in node.args)


def derivative_factor(side: Node, claim: Claim) -> Iterator[Candidate]:
    """A missing or extra f'(z) factor, or f(z) written for f'(z) (and the other way round)."""
    generic = {s.name for s in claim.symbols if s.kind == "function"}
    arguments = []
    for tree in [node for _, node in claim.lets] + list(claim.steps):
        for sub in tree.walk():
            if sub.op == "fapply" and sub.value[0] in generic and sub.args[0] not in arguments:
                arguments.append(sub.args[0])
    for path, sub in paths(side):
        if sub.op == "fapply" and sub.value[0] in generic:
            name, order = sub.value
            for new_order in {order + 1, order - 1} - {-1}:
                fixed = Node("fapply", sub.args, (name, new_order), "")
                yield (f"{_fname(name, order)}({_text(sub.args[0])}) should be "
                       f"{_fname(name, new_order)}({_text(sub.args[0])})"), replace_at(side, path, fixed)
        if sub.op == "call" and sub.value == "hadamard":
            for keep, drop in ((0, 1), (1, 0)):
                if sub.args[drop].op == "fapply" and sub.args[drop].value[1] >= 1:
                    yield f"an extra factor {_text(sub.args[drop])}", replace_at(side, path, sub.args[keep])
    for z in arguments:
        for name in sorted(generic):
            factor = Node("fapply", (z,), (name, 1), f"{name}prime({_text(z)})")
            yield (f"a missing factor {name}'({_text(z)})",
                   Node("call", (side, factor), "hadamard", f"hadamard({_text(side)}, {name}prime({_text(z)}))"))
            for path, sub in paths(side):
                if path and sub.op in ("name", "mul", "matmul") and _is_vector_like(sub, claim):
                    fixed = Node("call", (sub, factor), "hadamard", "")
                    yield f"a missing factor {name}'({_text(z)}) on {_text(sub)}", replace_at(side, path, fixed)


def _fname(name: str, order: int) -> str:
    return name + "'" * order


def _is_vector_like(node: Node, claim: Claim) -> bool:
    if node.op == "name":
        spec = claim.symbol(node.value)
        return (spec is not None and spec.kind == "vector") or node.value in dict(claim.lets)
    return True


def swap_name(side: Node, claim: Claim) -> Iterator[Candidate]:
    """One named quantity written for another (a⁽¹⁾ for a⁽²⁾); type-checking discards most swaps."""
    names = [s.name for s in claim.symbols if s.kind in ("vector", "matrix", "real", "positive")]
    names += [n for n, _ in claim.lets]
    for path, sub in paths(side):
        if sub.op == "name" and sub.value in names:
            for other in names:
                if other != sub.value:
                    yield f"{sub.value} should be {other}", replace_at(side, path, Node("name", (), other, other))


def use_definition(side: Node, claim: Claim) -> Iterator[Candidate]:
    """The whole side replaced by a quantity the claim defines (the note's own definition of it)."""
    for name, node in claim.lets:
        if node.op in ("name", "num") or side.op == "name" and side.value == name:
            continue
        yield f"the right side should be {name} = {_text(node)}", Node("name", (), name, name)


REPAIRS: dict[str, Callable[..., Iterator[Candidate]]] = {
    "transpose": transpose_name,
    "transpose-side": transpose_side,
    "negation": negate,
    "factor": scale,
    "function-argument": function_of_one_minus,
    "product": hadamard_matmul,
    "derivative-factor": derivative_factor,
    "swap-name": swap_name,
    "definition": use_definition,
}
