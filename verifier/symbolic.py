"""The sympy back end: build a claim's expressions entry by entry at one concrete shape.

Every array becomes an explicit sympy matrix of scalar symbols (``W[0,1]``), so
derivatives are sympy's ordinary scalar derivatives taken entry by entry; sympy's
MatrixSymbol calculus is never used (in sympy 1.14 it gets some gradients wrong).

Conventions: ``grad(L, X)`` has the shape of X; ``jacobian(y, x)`` has one row per
entry of y; a 1 x 1 matrix product is a scalar.  A derivative by a [let] name
treats that name as the variable (``grad(L, s)`` with ``s = W*x + b`` is dL/ds):
the expression is rebuilt with fresh symbols for s, differentiated, and the fresh
symbols are then replaced by s's value.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import sympy as sp

from . import limits
from .errors import EvaluationError
from .functions import FUNCTIONS
from .model import Claim, SymbolSpec
from .shapes import entry_position
from .tree import Node

Value = object  # a sympy Expr (scalar), an ImmutableMatrix (array), or a sympy Boolean (condition)


def is_array(v) -> bool:
    return isinstance(v, sp.MatrixBase)


def make_generic_function(name: str, order: int = 0):
    """A sympy function class for a declared `function` f: its derivative is fprime, then fprime2..."""
    label = name + ("" if order == 0 else "prime" if order == 1 else f"prime{order}")
    return _generic_class(label, name, order)


_GENERIC_CACHE: dict[str, type] = {}


def _generic_class(label, name, order):
    if label not in _GENERIC_CACHE:
        def fdiff(self, argindex=1):
            return make_generic_function(name, order + 1)(self.args[0])
        real = lambda self: self.args[0].is_extended_real   # a real function: real at real points
        _GENERIC_CACHE[label] = type(label, (sp.Function,), {"fdiff": fdiff, "generic_base": name,
                                                             "generic_order": order,
                                                             "_eval_is_extended_real": real})
    return _GENERIC_CACHE[label]


def make_symbol_value(spec: SymbolSpec, dims: dict[str, int], prefix: str = ""):
    """The sympy value of a declared symbol at concrete dimensions (index symbols excluded)."""
    name = prefix + spec.name
    if spec.kind in ("real", "positive"):
        return sp.Symbol(name, real=True, positive=spec.kind == "positive" or None)
    rows, cols = concrete_shape(spec.shape, dims)
    if rows * cols > limits.MAX_ENTRIES:
        raise EvaluationError(f"{spec.name} would have {rows * cols} entries (limit {limits.MAX_ENTRIES})")
    positive = spec.kind == "probability" or spec.constraint == "positive" or None
    if cols == 1:
        return sp.ImmutableMatrix(rows, 1, lambda i, j: sp.Symbol(f"{name}[{i}]", real=True, positive=positive))
    if spec.constraint in ("symmetric", "spd"):   # one symbol per pair (i, j), (j, i); spd: see sampling
        return sp.ImmutableMatrix(rows, cols, lambda i, j: sp.Symbol(f"{name}[{min(i, j)},{max(i, j)}]", real=True))
    return sp.ImmutableMatrix(rows, cols, lambda i, j: sp.Symbol(f"{name}[{i},{j}]", real=True, positive=positive))


def _shared_entries(claim: Claim) -> set[str]:
    return {s.name for s in claim.symbols if s.constraint in ("symmetric", "spd")}


def fresh_like(value, label: str):
    """Fresh real symbols of the same shape as value (the variable of a derivative by a let name)."""
    if is_array(value):
        rows, cols = value.shape
        return sp.ImmutableMatrix(rows, cols, lambda i, j: sp.Symbol(f"{label}[{i},{j}]", real=True))
    return sp.Symbol(label, real=True)


def concrete_shape(shape: tuple, dims: dict) -> tuple:
    return tuple(d if isinstance(d, int) else dims[d] for d in shape)


def index_cases(claim: Claim, dims: dict[str, int]) -> list[dict[str, int]]:
    """Every assignment of the index symbols at these dimensions (bounded)."""
    specs = [s for s in claim.symbols if s.kind == "index"]
    ranges = [range(concrete_shape((s.dims[0],), dims)[0]) for s in specs]
    total = 1
    for r in ranges:
        total *= len(r)
    if total > limits.MAX_INDEX_CASES:
        raise EvaluationError(f"{total} index cases at {dims} (limit {limits.MAX_INDEX_CASES})")
    return [dict(zip((s.name for s in specs), combo)) for combo in itertools.product(*ranges)]


@dataclass
class Instance:
    """A claim at one concrete shape and one assignment of its index symbols."""
    claim: Claim
    dims: dict[str, int]
    indices: dict[str, int]
    bindings: dict[str, Value] = field(default_factory=dict)

    @classmethod
    def make(cls, claim: Claim, dims: dict[str, int], indices: dict[str, int]) -> "Instance":
        bindings: dict[str, Value] = {d: sp.Integer(v) for d, v in dims.items()}
        bindings["pi"] = sp.pi
        for spec in claim.symbols:
            if spec.kind == "index":
                bindings[spec.name] = sp.Integer(indices[spec.name])
            elif spec.kind != "function":
                bindings[spec.name] = make_symbol_value(spec, dims)
        return cls(claim, dims, indices, bindings)

    def evaluator(self) -> "Evaluator":
        return Evaluator(self, dict(self.bindings))


class Evaluator:
    """Evaluates tree nodes to sympy values under a set of bindings; lets are evaluated on demand."""

    def __init__(self, instance: Instance, bindings: dict[str, Value], overrides: frozenset = frozenset()):
        self.instance = instance
        self.bindings = bindings
        self.overrides = overrides        # let names bound to fresh symbols (variables of a derivative)
        self.lets = dict(instance.claim.lets)

    def value(self, node: Node) -> Value:
        method = getattr(self, "on_" + node.op, None)
        if method is None:
            method = self.on_compare
        return method(node)

    def __call__(self, node: Node) -> Value:
        return self.value(node)

    # -- leaves ---------------------------------------------------------------------
    def on_num(self, node):
        return sp.Rational(node.value.numerator, node.value.denominator)

    def on_name(self, node):
        name = node.value
        if name not in self.bindings:
            self.bindings[name] = self.value(self.lets[name])
        return self.bindings[name]

    # -- arithmetic ---------------------------------------------------------------
    def on_add(self, node):
        return entrywise2(self(node.args[0]), self(node.args[1]), lambda a, b: a + b)

    def on_sub(self, node):
        return entrywise2(self(node.args[0]), self(node.args[1]), lambda a, b: a - b)

    def on_neg(self, node):
        return -self(node.args[0])

    def on_mul(self, node):
        a, b = self(node.args[0]), self(node.args[1])
        if is_array(a) and is_array(b):
            product = a * b
            return product[0, 0] if product.shape == (1, 1) else sp.ImmutableMatrix(product)
        return a * b

    on_matmul = on_mul

    def on_div(self, node):
        return entrywise2(self(node.args[0]), self(node.args[1]), lambda a, b: a / b)

    def on_pow(self, node):
        return entrywise2(self(node.args[0]), self(node.args[1]), lambda a, b: a ** b)

    def on_T(self, node):
        a = self(node.args[0])
        return sp.ImmutableMatrix(a.T) if is_array(a) else a

    def on_index(self, node):
        base = self(node.args[0])
        return base[entry_position([self.integer(i) for i in node.args[1:]], base.shape, node.text)]

    def integer(self, node) -> int:
        v = self(node)
        if not (isinstance(v, sp.Integer) or (isinstance(v, sp.Rational) and v.q == 1)):
            raise EvaluationError(f"{node.text}: an index must be an integer, got {v}")
        return int(v)

    # -- functions ----------------------------------------------------------------
    def on_call(self, node):
        args = [self(a) for a in node.args]
        try:
            return FUNCTIONS[node.value].build(args)
        except (ValueError, TypeError) as exc:
            raise EvaluationError(f"{node.text}: sympy cannot build this expression ({exc})") from None

    def on_fapply(self, node):
        name, order = node.value
        arg = self(node.args[0])
        if name in FUNCTIONS:
            x = sp.Dummy("x", real=True)
            derivative = sp.diff(FUNCTIONS[name].scalar(x), x, order)
            fn = lambda t: derivative.xreplace({x: t})
        else:
            fn = make_generic_function(name, order)
        return arg.applyfunc(fn) if is_array(arg) else fn(arg)

    def on_onehot(self, node):
        i = self.integer(node.args[0])
        n = int(self(node.args[1]))
        if not 0 <= i < n:
            raise EvaluationError(f"{node.text}: index {i} out of range 0..{n - 1}")
        return sp.ImmutableMatrix(n, 1, lambda r, c: sp.Integer(int(r == i)))

    def on_limit(self, node):
        """The two-sided limit; where the one-sided limits differ (or sympy cannot take them) it does not
        exist, and the value is nan, which no claim equals."""
        expr, var, point = self(node.args[0]), self(node.args[1]), self(node.args[2])

        def take(e):
            right, left = sp.limit(e, var, point, dir="+"), sp.limit(e, var, point, dir="-")
            if right == left or sp.simplify(right - left) == 0:
                return right
            return sp.nan
        return expr.applyfunc(take) if is_array(expr) else take(expr)

    def on_vector(self, node):
        return sp.ImmutableMatrix([self(a) for a in node.args])

    def on_ones(self, node):
        return sp.ImmutableMatrix(int(self(node.args[0])), 1, lambda r, c: sp.Integer(1))

    def on_eye(self, node):
        return sp.ImmutableMatrix(sp.eye(int(self(node.args[0]))))

    def on_ind(self, node):
        return indicator(self(node.args[0]), node)

    # -- derivatives --------------------------------------------------------------
    def variable(self, var: Node):
        """(evaluator to build the expression in, the variable's symbols, undo substitution)."""
        name_node = var.args[0] if var.op == "index" else var
        name = name_node.value
        if name in self.lets or name in _shared_entries(self.instance.claim):
            # a let, or a symmetric matrix whose (i, j) and (j, i) share one symbol: differentiate by
            # independent entries (the gradient by a matrix is the matrix of its entries' partials)
            actual = self.value(name_node)
            fresh = fresh_like(actual, f"{name}~")
            kept = {k: v for k, v in self.bindings.items() if k not in self.lets or k in self.overrides}
            child = Evaluator(self.instance, {**kept, name: fresh}, self.overrides | {name})
            undo = dict(zip(flat(fresh), flat(actual)))
        else:
            child, undo = self, {}
        return child, child.value(var), undo

    def on_diff(self, node):
        child, x, undo = self.variable(node.args[1])
        expr = child.value(node.args[0])
        result = expr.diff(x, node.value) if not is_array(expr) else expr.applyfunc(lambda e: sp.diff(e, x, node.value))
        return _undo(result, undo)

    def on_grad(self, node):
        child, x, undo = self.variable(node.args[1])
        expr = child.value(node.args[0])
        if is_array(x):
            result = x.applyfunc(lambda xi: sp.diff(expr, xi))
        else:
            result = sp.diff(expr, x)
        return _undo(result, undo)

    def on_jacobian(self, node):
        child, x, undo = self.variable(node.args[1])
        y = child.value(node.args[0])
        ys, xs = flat(y), flat(x)
        result = sp.ImmutableMatrix(len(ys), len(xs), lambda i, j: sp.diff(ys[i], xs[j]))
        return _undo(result[0, 0] if result.shape == (1, 1) else result, undo)

    # -- conditions -----------------------------------------------------------------
    def on_compare(self, node):
        a, b = self(node.args[0]), self(node.args[1])
        rel = {"lt": sp.Lt, "le": sp.Le, "gt": sp.Gt, "ge": sp.Ge, "eq": sp.Eq, "ne": sp.Ne}[node.op]
        n = len(flat(a if is_array(a) else b))
        xs = flat(a) if is_array(a) else [a] * n
        ys = flat(b) if is_array(b) else [b] * n
        return sp.And(*[rel(x, y) for x, y in zip(xs, ys)])

    def on_and(self, node):
        return sp.And(*[self(a) for a in node.args])

    def on_or(self, node):
        return sp.Or(*[self(a) for a in node.args])

    def on_not(self, node):
        return sp.Not(self(node.args[0]))


def entrywise2(a, b, op):
    if is_array(a) and is_array(b):
        return sp.ImmutableMatrix(*a.shape, lambda i, j: op(a[i, j], b[i, j]))
    if is_array(a):
        return a.applyfunc(lambda t: op(t, b))
    if is_array(b):
        return b.applyfunc(lambda t: op(a, t))
    return op(a, b)


def indicator(cond, node: Node):
    """ind(cond) as an expression: 1/0 when decided, else Heaviside of the margin."""
    if cond is sp.true:
        return sp.Integer(1)
    if cond is sp.false:
        return sp.Integer(0)
    if isinstance(cond, sp.And):
        return sp.Mul(*[indicator(c, node) for c in cond.args])
    if isinstance(cond, sp.Not):
        return 1 - indicator(cond.args[0], node)
    # H(0) is 0 for a strict comparison and 1 for a non-strict one, so that ind(max(0, u) > 0) is 0,
    # not 1/2, on the whole region u <= 0.
    if isinstance(cond, (sp.StrictGreaterThan, sp.GreaterThan)):
        return sp.Heaviside(cond.lhs - cond.rhs, 0 if isinstance(cond, sp.StrictGreaterThan) else 1)
    if isinstance(cond, (sp.StrictLessThan, sp.LessThan)):
        return sp.Heaviside(cond.rhs - cond.lhs, 0 if isinstance(cond, sp.StrictLessThan) else 1)
    raise EvaluationError(f"{node.text}: ind(...) of `==`, `!=` or `or` is only defined when it is decided "
                          f"(between indices or numbers), not between continuous values")


def flat(v) -> list:
    """The entries of a value, row-major (a scalar is one entry)."""
    return list(v) if is_array(v) else [v]


def paired_entries(a, b) -> tuple[list, list]:
    """The entries of two sides, a scalar side repeated against every entry of an array side
    (an inequality such as `[sigmoid(x), 1 - sigmoid(x)] > 0`)."""
    xs, ys = flat(a), flat(b)
    if len(xs) != len(ys):
        xs, ys = (xs * len(ys), ys) if len(xs) == 1 else (xs, ys * len(xs))
    return xs, ys


def _undo(result, undo):
    return result.xreplace(undo) if undo else result
