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

from .errors import ShapeError
from .expression_text import to_text
from .model import Claim
from .shapes import ShapeEnv, infer_shape
from .tree import Node, num

Candidate = tuple[str, Node]
Factor = tuple[str, Node]   # (text, tree) of a factor such as 1/2 or 1/(m*n)


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
    """A sub-tree as the claim wrote it; a tree a repair built, printed in the expression syntax."""
    return node.text or to_text(node) or str(node)


def _shape(node: Node, claim: Claim) -> tuple | None:
    """The shape of a sub-tree, or None when it (or a [let] it reads) does not type-check."""
    try:
        return infer_shape(node, ShapeEnv(claim))
    except (ShapeError, KeyError):
        return None


def _transposable(node: Node, claim: Claim) -> bool:
    """Transposing a scalar (or a collapsed 1 x 1 product) changes nothing: never offered."""
    shape = _shape(node, claim)
    return shape is not None and shape != ()


def transpose_side(side: Node, claim: Claim) -> Iterator[Candidate]:
    if _transposable(side, claim):
        yield "transpose the whole side", Node("T", (side,), None, f"({_text(side)}).T")


def transpose_name(side: Node, claim: Claim) -> Iterator[Candidate]:
    """A missing transpose of a named array, or one too many."""
    arrays = {s.name for s in claim.symbols if s.kind in ("vector", "matrix")} | {n for n, _ in claim.lets}
    for path, sub in paths(side):
        if sub.op == "T" and sub.args[0].op == "name" and sub.args[0].value in arrays:
            if _transposable(sub.args[0], claim):
                yield f"drop the transpose of {sub.args[0].value}", replace_at(side, path, sub.args[0])
        elif sub.op == "name" and sub.value in arrays and not _under_transpose(side, path):
            if _transposable(sub, claim):
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


def make_factor(constant: Fraction, powers: dict[str, int]) -> Factor:
    """The factor constant * prod(name ** power) as (text, tree): 1/2, 1/(m*n), 2*T/N, m**2."""
    def product(items: list[Node]) -> Node:
        out = items[0]
        for item in items[1:]:
            out = Node("mul", (out, item), None, f"{out.text}*{item.text}")
        return out

    def power(name: str, e: int) -> Node:
        base = Node("name", (), name, name)
        return base if e == 1 else Node("pow", (base, num(e)), None, f"{name}**{e}")

    if not any(powers.values()):
        return str(constant), num(constant)
    top = [num(constant.numerator)] if constant.numerator != 1 or not any(e > 0 for e in powers.values()) else []
    top += [power(n, e) for n, e in powers.items() if e > 0]
    bottom = [num(constant.denominator)] if constant.denominator != 1 else []
    bottom += [power(n, -e) for n, e in powers.items() if e < 0]
    numerator = product(top)
    if not bottom:
        return numerator.text, numerator
    denominator = product(bottom)
    under = denominator.text if len(bottom) == 1 and denominator.op != "pow" else f"({denominator.text})"
    over = numerator.text if len(top) == 1 else f"({numerator.text})"
    text = f"{over}/{under}"
    return text, Node("div", (numerator, denominator), None, text)


def scale(side: Node, claim: Claim, factors: list[Factor] = ()) -> Iterator[Candidate]:
    """A lost factor: the diagnosis passes the ratios lhs / rhs it fitted at every shape and point tried,
    a constant (1/2) or one that depends on the dimensions or a scalar symbol (1/(m*n), 1/T)."""
    for text, factor in factors:
        if factor.op == "num" and factor.value in (0, 1, -1):
            continue
        yield f"off by a factor {text}", Node("mul", (factor, side), None, f"{text}*({_text(side)})")


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


def square(side: Node, claim: Claim) -> Iterator[Candidate]:
    """A missing square: 1 - tanh(x) for 1 - tanh(x)**2, sigmoid(x) for sigmoid(x)**2 (entrywise)."""
    for path, sub in paths(side):
        if sub.op in ("call", "fapply", "name") and not _under_power(side, path):
            squared = Node("pow", (sub, num(2)), None, f"{_text(sub)}**2")
            yield f"{_text(sub)} should be squared", replace_at(side, path, squared)


def _under_power(side: Node, path: tuple) -> bool:
    node = side
    for k in path[:-1]:
        node = node.args[k]
    return bool(path) and node.op == "pow"


# Derivatives of named entrywise functions, written the way a derivation writes them.
_NAMED_DERIVATIVES = {
    "sigmoid": lambda z: f"sigmoid({z})*(1 - sigmoid({z}))",
    "tanh": lambda z: f"1 - tanh({z})**2",
    "exp": lambda z: f"exp({z})",
}


def _named_derivative(name: str, z: Node, scalar: bool) -> Node:
    """g'(z) for a named entrywise function g, as a tree: sigmoid(z)*(1 - sigmoid(z)), 1 - tanh(z)**2,
    exp(z); other functions as diff(g)(z)."""
    def call(fn: str) -> Node:
        return Node("call", (z,), fn, f"{fn}({_text(z)})")
    if name == "sigmoid":
        s = call("sigmoid")
        return _product(s, Node("sub", (num(1), s), None, f"1 - {s.text}"), scalar=scalar)
    if name == "tanh":
        return Node("sub", (num(1), Node("pow", (call("tanh"), num(2)))), None, "")
    if name == "exp":
        return call("exp")
    return Node("fapply", (z,), (name, 1), "")


def _product(a: Node, b: Node, *, scalar: bool) -> Node:
    """a times b entrywise: `*` for scalars, hadamard(a, b) for arrays."""
    return Node("mul", (a, b), None, "") if scalar else Node("call", (a, b), "hadamard", "")


def named_chain_factor(side: Node, claim: Claim) -> Iterator[Candidate]:
    """A chain factor g'(z) of a named function forgotten: sigma'(z) = sigma(z)(1 - sigma(z)) for a
    sigmoid, 1 - tanh(z)**2, exp(z), for a g(z) the left side (or a definition) differentiates; on the
    whole side or on a sub-term of z's shape."""
    seen = []
    for tree in [node for _, node in claim.lets] + list(claim.steps[:1]):   # what is differentiated
        for sub in tree.walk():
            if (sub.op == "call" and len(sub.args) == 1 and sub.value in _NAMED_DERIVATIVES
                    and (sub.value, sub.args[0]) not in seen):
                seen.append((sub.value, sub.args[0]))
    for path, sub in paths(side):
        if sub.op == "call" and len(sub.args) == 1 and sub.value in _NAMED_DERIVATIVES and _shape(sub, claim) is not None:
            z = sub.args[0]
            fixed = _named_derivative(sub.value, z, _shape(z, claim) == ())
            yield (f"{sub.value}({_text(z)}) should be {sub.value}'({_text(z)}) = {_text(fixed)}",
                   replace_at(side, path, fixed))
    for name, z in seen:
        shape = _shape(z, claim)
        if shape is None:
            continue
        factor = _named_derivative(name, z, shape == ())
        words = f"a missing chain factor {name}'({_text(z)}) = {_text(factor)}"
        yield words, _product(side, factor, scalar=shape == ())
        for path, sub in paths(side):
            if path and sub.op in ("name", "call", "add", "sub", "mul", "matmul") and _shape(sub, claim) == shape:
                yield f"{words} on {_text(sub)}", replace_at(side, path, _product(sub, factor, scalar=shape == ()))


def variable_factor(side: Node, claim: Claim) -> Iterator[Candidate]:
    """A lost non-constant factor on one term: 1/m, 1/N, a temperature T (or the factor itself).  A lost
    factor of the whole side is fitted by `scale`; this one reaches the terms of a sum."""
    names = list(claim.dims) + [s.name for s in claim.symbols if s.kind in ("positive", "real")]
    for path, sub in _terms(side):
        for name in names:
            var = Node("name", (), name, name)
            for text, factor in ((f"1/{name}", Node("div", (num(1), var), None, f"1/{name}")), (name, var)):
                fixed = Node("mul", (factor, sub), None, "")
                yield f"a missing factor {text} on {_text(sub)}", replace_at(side, path, fixed)


def _terms(side: Node) -> Iterator[tuple[tuple, Node]]:
    """The terms of the sums in a side (every operand of + and -), not the whole side."""
    for path, sub in paths(side):
        if sub.op in ("add", "sub"):
            for k, arg in enumerate(sub.args):
                yield path + (k,), arg


def drop_factor(side: Node, claim: Claim) -> Iterator[Candidate]:
    """One factor too many: a*b (a @ b, hadamard(a, b), a/b) written for a or for b."""
    for path, sub in paths(side):
        if sub.op in ("mul", "matmul", "div") or (sub.op == "call" and sub.value == "hadamard"):
            a, b = sub.args
            yield f"an extra factor {_text(b)}", replace_at(side, path, a)
            if sub.op != "div":
                yield f"an extra factor {_text(a)}", replace_at(side, path, b)


def drop_term(side: Node, claim: Claim) -> Iterator[Candidate]:
    """One term too many: a + b written for a (or for b)."""
    for path, sub in paths(side):
        if sub.op in ("add", "sub"):
            a, b = sub.args
            yield f"drop the term {_text(b)}", replace_at(side, path, a)
            kept = b if sub.op == "add" else Node("neg", (b,), None, "")
            yield f"drop the term {_text(a)}", replace_at(side, path, kept)


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
    "square": square,
    "chain-factor": named_chain_factor,
    "variable-factor": variable_factor,
    "drop-term": drop_term,
    "drop-factor": drop_factor,
}
