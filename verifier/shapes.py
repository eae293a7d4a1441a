"""Shape inference over the tree, with symbolic dimensions, before any algebra.

A scalar is ``()``, an array ``(rows, cols)``, a vector(n) the column ``(n, 1)``;
a condition has the shape ``BOOL``.  A matrix product whose result is 1 x 1
(``v.T * x``) is a scalar, as on paper.  Anything that does not fit raises
ShapeError naming the sub-expression and both shapes; the claim is then
``ill-typed``.
"""

from __future__ import annotations

from .errors import ShapeError
from .functions import FUNCTIONS, fmt_shape, is_vector, vector_length
from .model import Claim
from .tree import BOOLEAN, COMPARISONS, Node

BOOL = ("bool",)


def entry_position(idx: list[int], shape: tuple, text: str) -> tuple[int, int]:
    """(row, column) of x[i] or W[i, j] in an array of a concrete shape; one index walks a vector."""
    from .errors import EvaluationError
    rows, cols = shape
    if len(idx) == 1:
        idx = [idx[0], 0] if cols == 1 else [0, idx[0]]
    if not (0 <= idx[0] < rows and 0 <= idx[1] < cols):
        raise EvaluationError(f"{text}: index {tuple(idx)} out of range for shape {shape} (indices count from 0)")
    return idx[0], idx[1]


def entry_label(k: int, shape: tuple) -> str:
    """The label of the k-th entry (row-major) of a value of this concrete shape: "[r, c]" or "value"."""
    if not shape:
        return "value"
    return f"[{k // shape[1]}, {k % shape[1]}]"


def shape_text(dims: dict) -> str:
    """A dimension assignment as people read it: "m=2, n=3" (or "scalars" when there is none)."""
    return ", ".join(f"{k}={v}" for k, v in dims.items()) or "scalars"


def collapse(shape: tuple) -> tuple:
    return () if shape == (1, 1) else shape


class ShapeEnv:
    """Shapes of the names a claim declares; lets are inferred in order."""

    def __init__(self, claim: Claim):
        self.claim = claim
        self.shapes: dict[str, tuple] = {d: () for d in claim.dims}
        self.shapes["pi"] = ()
        for s in claim.symbols:
            if s.kind != "function":
                self.shapes[s.name] = s.shape
        for name, node in claim.lets:
            self.shapes[name] = infer_shape(node, self)

    def independent(self, name: str) -> bool:
        spec = self.claim.symbol(name)
        return name in dict(self.claim.lets) or (spec is not None and spec.kind not in ("index", "function"))


def infer_shape(node: Node, env: ShapeEnv) -> tuple:
    rule = _RULES.get(node.op)
    if rule is None:
        raise ShapeError(node.text, f"no shape rule for `{node.op}`")
    return rule(node, [infer_shape(a, env) for a in node.args], env)


def _num(node, shapes, env):
    return ()


def _name(node, shapes, env):
    return env.shapes[node.value]


def _addsub(node, shapes, env):
    a, b = shapes
    _no_bool(node, shapes)
    if a == () or b == () or a == b:
        return a or b
    verb = "plus" if node.op == "add" else "minus"
    raise ShapeError(node.text, f"{fmt_shape(a)} {verb} {fmt_shape(b)}")


def _mul(node, shapes, env):
    """`*` scales when a side is a scalar and is the matrix product otherwise; `@` is always the matrix
    product, a scalar operand (a 1 x 1 product collapsed, `x.T @ a`) counting as a 1 x 1 matrix. Both back
    ends scale by a scalar, which is what the 1 x 1 matrix product does whenever the shapes fit."""
    a, b = shapes
    _no_bool(node, shapes)
    if node.op == "mul" and (a == () or b == ()):
        return a or b
    left, right = a or (1, 1), b or (1, 1)
    if left[1] != right[0]:
        if a == () or b == ():
            raise ShapeError(node.text, f"{_matrix_words(a)} times {_matrix_words(b)}: @ is the matrix "
                                        "product (a scalar counts as 1 x 1); use * to scale by a scalar")
        raise ShapeError(node.text, f"{fmt_shape(a)} times {fmt_shape(b)}")
    return collapse((left[0], right[1]))


def _matrix_words(shape: tuple) -> str:
    return "a scalar (1, 1)" if shape == () else fmt_shape(shape)


def _div(node, shapes, env):
    """`/` is entrywise: a scalar by anything, anything by a scalar, or two arrays of one shape."""
    a, b = shapes
    _no_bool(node, shapes)
    if b == () or a == () or a == b:
        return a or b
    raise ShapeError(node.text, f"{fmt_shape(a)} divided by {fmt_shape(b)}: `/` divides entry by entry, "
                                "so both sides need the same shape (or one of them a scalar)")


def _pow(node, shapes, env):
    _no_bool(node, shapes)
    if shapes[1] != ():
        raise ShapeError(node.text, f"exponent must be a scalar, got {fmt_shape(shapes[1])}")
    base = shapes[0]
    if len(base) == 2 and base[0] == base[1] and base[0] != 1:   # the matrix power or the entrywise one?
        raise ShapeError(node.text, f"`**` on a square {fmt_shape(base)} matrix is ambiguous: write "
                         "matpow(A, k) for the matrix power, hadamard(A, A) or sqrt(A) for entrywise ones "
                         "(on vectors and non-square matrices `**` is entrywise)")
    return base


def _same(node, shapes, env):
    _no_bool(node, shapes)
    return shapes[0]


def _transpose(node, shapes, env):
    _no_bool(node, shapes)
    s = shapes[0]
    return s if s == () else (s[1], s[0])


def _index(node, shapes, env):
    base, *idx = shapes
    if any(s != () for s in idx):
        raise ShapeError(node.text, "an index must be a scalar")
    if base == () or base == BOOL:
        raise ShapeError(node.text, f"cannot index a {fmt_shape(base)}")
    if len(idx) == 1 and not is_vector(base):
        raise ShapeError(node.text, f"one index into a {fmt_shape(base)} matrix; use W[i, j]")
    axes = [base[0] if base[1] == 1 else base[1]] if len(idx) == 1 else list(base)
    for arg, axis in zip(node.args[1:], axes):
        _check_index_range(node, arg, axis, env)
    return ()


def _check_index_range(node: Node, arg: Node, axis, env) -> None:
    """An index symbol must range over the indexed axis (index(m) into an axis of n is a type error,
    not an out-of-range entry at some shapes); a literal index must fall inside a literal dimension."""
    if arg.op == "name":
        spec = env.claim.symbol(arg.value)
        if spec is None or spec.kind != "index":
            return
        (bound,) = spec.dims
        fits = bound <= axis if isinstance(bound, int) and isinstance(axis, int) else bound == axis
        if not fits:
            raise ShapeError(node.text, f"the index {arg.value} ranges over {bound} values (index({bound})) but "
                                        f"the axis it indexes has {axis} entries")
    elif arg.op == "num" and isinstance(axis, int):
        if arg.value.denominator != 1 or not 0 <= arg.value < axis:
            raise ShapeError(node.text, f"index {arg.value} out of range for an axis of {axis} entries "
                                        "(indices count from 0)")


def _call(node, shapes, env):
    _no_bool(node, shapes)
    return FUNCTIONS[node.value].shape(shapes, node.text)


def _variable(node: Node, env: ShapeEnv, what: str):
    """The variable of diff/grad/jacobian: a declared name or an entry of one."""
    target = node.args[0] if node.op == "index" else node
    if target.op != "name" or not env.independent(target.value):
        raise ShapeError(node.text, f"{what} must be a declared symbol or [let] name, or an entry of one")


def _diff(node, shapes, env):
    _variable(node.args[1], env, "the variable of diff")
    if shapes[1] != ():
        raise ShapeError(node.text, f"diff is by a scalar; the variable is {fmt_shape(shapes[1])} (use grad)")
    return shapes[0]


def _grad(node, shapes, env):
    _variable(node.args[1], env, "the variable of grad")
    if shapes[0] != ():
        raise ShapeError(node.text, f"grad needs a scalar function, got {fmt_shape(shapes[0])} (use jacobian)")
    return shapes[1]


def _jacobian(node, shapes, env):
    _variable(node.args[1], env, "the variable of jacobian")
    lengths = []
    for s in shapes:
        if s != () and not is_vector(s):
            raise ShapeError(node.text, f"jacobian needs vectors or scalars, got {fmt_shape(s)}")
        lengths.append(1 if s == () else vector_length(s))
    return collapse(tuple(lengths))


def _size(node: Node, env: ShapeEnv, usage: str):
    if node.op == "name" and node.value in env.claim.dims:
        return node.value
    if node.op == "num" and node.value.denominator == 1 and 1 <= node.value <= 64:
        return int(node.value)
    raise ShapeError(node.text, f"{usage} needs a dimension name or a whole number from 1 to 64")


def _onehot(node, shapes, env):
    if shapes[0] != ():
        raise ShapeError(node.text, "onehot(i, n) needs a scalar index")
    size = _size(node.args[1], env, "onehot(i, n)")
    _check_index_range(node, node.args[0], size, env)
    return (size, 1)


def _vector(node, shapes, env):
    if any(s != () for s in shapes):
        raise ShapeError(node.text, "the entries of a vector literal must be scalars")
    return (len(shapes), 1)


def _limit(node, shapes, env):
    spec = env.claim.symbol(node.args[1].value)
    if spec is None or spec.kind not in ("real", "positive"):
        raise ShapeError(node.text, "the variable of limit must be a real or positive scalar symbol")
    return shapes[0]


def _ones(node, shapes, env):
    return (_size(node.args[0], env, "ones(n)"), 1)


def _eye(node, shapes, env):
    n = _size(node.args[0], env, "eye(n)")
    return (n, n)


def _ind(node, shapes, env):
    if shapes[0] != BOOL:
        raise ShapeError(node.text, "ind(...) needs a condition such as `a > b`")
    return ()


def _compare(node, shapes, env):
    a, b = shapes
    _no_bool(node, shapes)
    if a != () and b != () and a != b:
        raise ShapeError(node.text, f"compares {fmt_shape(a)} with {fmt_shape(b)}")
    return BOOL


def _boolean(node, shapes, env):
    if any(s != BOOL for s in shapes):
        raise ShapeError(node.text, "`and`, `or`, `not` need conditions")
    return BOOL


def _fapply(node, shapes, env):
    return _same(node, shapes, env)


def _no_bool(node, shapes):
    if BOOL in shapes:
        raise ShapeError(node.text, "a condition used as a number; wrap it in ind(...)")


_RULES = {"num": _num, "name": _name, "add": _addsub, "sub": _addsub, "mul": _mul, "matmul": _mul,
          "div": _div, "pow": _pow, "neg": _same, "T": _transpose, "index": _index, "call": _call,
          "fapply": _fapply, "diff": _diff, "grad": _grad, "jacobian": _jacobian, "onehot": _onehot, "ones": _ones, "eye": _eye, "vector": _vector, "limit": _limit,
          "ind": _ind, **{op: _compare for op in COMPARISONS}, **{op: _boolean for op in BOOLEAN}}


def check_claim_shapes(claim: Claim) -> list[tuple]:
    """Shapes of every step; raise ShapeError if a sub-expression or the sides disagree."""
    env = ShapeEnv(claim)
    shapes = [infer_shape(step, env) for step in claim.steps]
    for i, (node, shape) in enumerate(zip(claim.steps, shapes)):
        if shape == BOOL:
            raise ShapeError(node.text, "a side of the claim is a condition, not a value")
        broadcast = claim.relation != "=" and () in (shape, shapes[0])  # x < 0 entry by entry
        if i and collapse(shape) != collapse(shapes[0]) and not broadcast:   # 1 x 1 is a scalar, as in `*`
            what = "the right side" if not claim.chain else f"step {i}"
            raise ShapeError(f"{claim.steps[0].text} = {node.text}",
                             f"the left side is {fmt_shape(shapes[0])} but {what} is {fmt_shape(shape)}")
    if claim.where is not None and infer_shape(claim.where, env) != BOOL:
        raise ShapeError(claim.where.text, "`where` must be a condition such as `a > 0`")
    return shapes
