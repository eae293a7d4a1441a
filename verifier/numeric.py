"""The NumPy back end: evaluate the tree on whole arrays, in one of two number systems.

It reads the same tree as the sympy back end and never uses sympy's calculus on
the claim:

- ``FLOAT`` (float64): the fast screening at many points and any shape;
  ``grad``, ``jacobian`` and ``diff`` are central differences of the forward
  expression.  Every kink switch met while evaluating is recorded, and a
  difference whose two evaluations see a kink on different sides raises
  ``KinkCrossed``: that estimate means nothing, and only that comparison is
  skipped (so a true kinked claim is decided at any shape).
- ``intervals.INTERVAL``: rigorous enclosures for certification; derivatives by
  forward-mode automatic differentiation (exact, no truncation error).

Values: a scalar is a 0-d number, an array a 2-D ndarray (a vector is a column).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import sympy as sp

from .errors import EvaluationError
from .functions import FUNCTIONS, KINKED
from .intervals import Dual, Undecided, new_tag, tangent
from .model import Claim
from .shapes import entry_position
from .standins import concrete_for, standin
from .tree import Node

DERIVATIVE_OPS = ("grad", "jacobian", "diff")


class NotChecked(Exception):
    """Something the numeric back end does not evaluate; the claim rests on the symbolic check."""


class KinkCrossed(Exception):
    """A finite difference straddles a kink: its two evaluations lie on different branches."""


# -- float64 ------------------------------------------------------------------------------

def _sigmoid(x):
    with np.errstate(over="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


@lru_cache(maxsize=None)
def scalar_function(name: str, order: int):
    """A fixed scalar function of ours (a table entry or a stand-in label) or its derivative, for
    numpy.  Only our own sympy expressions are compiled here, never text from a claim file."""
    if name == "sigmoid" and order == 0:
        return _sigmoid
    x = sp.Symbol("x", real=True)
    base = FUNCTIONS[name].scalar(x) if name in FUNCTIONS else standin(name)(x)
    expr = sp.diff(base, x, order) if order else base
    fn = sp.lambdify(x, expr, modules=[{"Heaviside": lambda v, h0=0.5: np.heaviside(v, h0)}, "numpy"])
    if expr.is_number:
        return lambda t: np.full(np.shape(t), float(expr)) if np.ndim(t) else float(expr)
    return fn


class FloatOps:
    """float64: the fast check."""
    name = "float64"
    exact_derivatives = False
    eps = float(np.finfo(float).eps)

    def const(self, value):
        return float(value)

    def array(self, values, shape):
        return np.asarray(values, dtype=float).reshape(shape)

    ENTRYWISE = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "tanh": np.tanh, "sin": np.sin, "cos": np.cos, "tan": np.tan,
                 "softplus": lambda t: np.logaddexp(0, t), "relu": lambda t: np.maximum(0, t), "Abs": np.abs,
                 "Heaviside": lambda t: np.heaviside(t, 0.5), "sign": np.sign, "sigmoid": _sigmoid}

    def entrywise(self, name, a):
        return self.apply(self.ENTRYWISE[name], a)

    def scalar(self, name, order):
        return scalar_function(name, order)

    def apply(self, fn, a):
        with np.errstate(all="ignore"):
            return fn(a)

    def binary(self, name, a, b):
        return (np.maximum if name == "Max" else np.minimum)(a, b)

    def total(self, a):
        return np.sum(a)

    def largest(self, a):
        return np.max(a)

    def diag(self, v):
        return np.diag(np.ravel(v))

    def det(self, a):
        return np.linalg.det(a)

    def inv(self, a):
        try:
            return np.linalg.inv(a)
        except np.linalg.LinAlgError:
            return np.full(a.shape, np.nan)

    def power(self, a, b):
        with np.errstate(all="ignore"):
            return np.power(a, b)

    def step(self, scale):
        """About eps^(1/3) * max(1, |x|), rounded to a power of two so that it is exactly representable."""
        return 2.0 ** np.round(np.log2(self.eps ** (1 / 3) * np.maximum(1.0, np.abs(scale))))


FLOAT = FloatOps()


# -- the evaluator ---------------------------------------------------------------------

@dataclass
class ArrayEvaluator:
    """Evaluates tree nodes at one point.  `values` binds symbols (and overridden lets)."""
    claim: Claim
    values: dict
    ops: object = FLOAT
    function: str | None = None       # the stand-ins for generic functions (a choice label)
    step_scale: int = 1               # finite-difference steps are multiplied by this (1, or 2 for the error estimate)
    signs: list = field(default_factory=list)  # sign of every kink switch met (float crossing detection)

    def __post_init__(self):
        self.lets = dict(self.claim.lets)
        self.cache: dict = {}

    def with_values(self, overrides: dict) -> "ArrayEvaluator":
        return ArrayEvaluator(self.claim, {**self.values, **overrides}, self.ops, self.function, self.step_scale)

    def __call__(self, node: Node):
        return getattr(self, "on_" + node.op, self.on_compare)(node)

    # -- leaves and arithmetic ---------------------------------------------------------
    def on_num(self, node):
        return self.ops.const(node.value)

    def on_name(self, node):
        name = node.value
        if name in self.values:
            return self.values[name]
        if name not in self.cache:
            self.cache[name] = self(self.lets[name])
        return self.cache[name]

    def on_add(self, node):
        return self(node.args[0]) + self(node.args[1])

    def on_sub(self, node):
        return self(node.args[0]) - self(node.args[1])

    def on_neg(self, node):
        return -self(node.args[0])

    def on_mul(self, node):
        a, b = self(node.args[0]), self(node.args[1])
        if is_array(a) and is_array(b):
            product = a @ b
            return product[0, 0] if product.shape == (1, 1) else product
        return a * b

    on_matmul = on_mul

    def on_div(self, node):
        with np.errstate(all="ignore"):
            return self(node.args[0]) / self(node.args[1])

    def on_pow(self, node):
        return self.ops.power(self(node.args[0]), self(node.args[1]))

    def on_T(self, node):
        a = self(node.args[0])
        return a.T if is_array(a) else a

    def on_index(self, node):
        if node.args[0].op == "grad":
            return self._grad_entry(node)
        base = self(node.args[0])
        return base[entry_position([self.integer(i) for i in node.args[1:]], base.shape, node.text)]

    def integer(self, node) -> int:
        value = self(node)
        number = float(value) if not hasattr(value, "mid") else float(value.mid)
        if int(number) != number:
            raise EvaluationError(f"{node.text}: an index must be an integer, got {value}")
        return int(number)

    # -- functions ---------------------------------------------------------------------
    def on_call(self, node):
        args = [self(a) for a in node.args]
        if node.value in KINKED and not self.ops.exact_derivatives:
            switch = args[0] - args[1] if node.value in ("Max", "Min") else args[0]
            self.signs.append(np.sign(switch))
        return FUNCTIONS[node.value].numeric(args, self.ops)

    def on_fapply(self, node):
        name, order = node.value
        base = name if name in FUNCTIONS else (self.function and concrete_for(self.function, name))
        if base is None:
            raise EvaluationError(f"{node.text}: no concrete function chosen for `{name}`")
        return self.ops.apply(self.ops.scalar(base, order), self(node.args[0]))

    def on_onehot(self, node):
        i, n = self.integer(node.args[0]), self.integer(node.args[1])
        out = self.ops.array(np.zeros(n), (n, 1))
        out[i, 0] = self.ops.const(1)
        return out

    LIMIT_STEPS = (2.0 ** -14, 2.0 ** -17)   # offsets from the limit point, both sides

    def on_limit(self, node):
        """float64: the body at point +- d for two offsets d; the one-sided values must agree and settle.
        Returns their mean, with (via the h/2h error estimate of the caller) the spread as its error.
        Interval arithmetic cannot enclose a limit: there it is undecided."""
        if self.ops.exact_derivatives:
            raise Undecided(f"{node.text}: a limit has no interval enclosure")
        body, var, point = node.args
        p = self(point)
        offsets = [d * self.step_scale for d in self.LIMIT_STEPS]
        values = [(self.with_values({var.value: p + d})(body), self.with_values({var.value: p - d})(body))
                  for d in offsets]
        right, left = values[-1]
        spread = max(abs(r - l) for r, l in values) + abs(values[0][0] - right)
        if spread > 1e-3 * max(1.0, abs(right), abs(left)):
            return np.nan   # the one-sided values disagree, or have not settled: no limit seen here
        return (right + left) / 2

    def on_vector(self, node):
        entries = [self(a) for a in node.args]
        if self.ops.exact_derivatives:
            return np.array(entries, dtype=object).reshape(len(entries), 1)
        return np.array([float(e) for e in entries]).reshape(len(entries), 1)

    def on_ones(self, node):
        n = self.integer(node.args[0])
        return self.ops.array(np.ones(n), (n, 1))

    def on_eye(self, node):
        n = self.integer(node.args[0])
        return self.ops.array(np.eye(n), (n, n))

    def on_ind(self, node):
        return self.ops.const(1) if self.truth(node.args[0]) else self.ops.const(0)

    # -- conditions --------------------------------------------------------------------
    def truth(self, node) -> bool:
        """A condition's value; in interval arithmetic an undecidable one raises Undecided."""
        value = self(node)
        if value is None:
            raise Undecided(f"`{node.text}` cannot be decided at this point")
        return bool(value)

    def on_compare(self, node):
        a, b = self(node.args[0]), self(node.args[1])
        op = {"lt": lambda x, y: x < y, "le": lambda x, y: x <= y, "gt": lambda x, y: x > y,
              "ge": lambda x, y: x >= y, "eq": lambda x, y: x == y, "ne": lambda x, y: x != y}[node.op]
        if not self.ops.exact_derivatives:
            result = np.asarray(op(a, b))
            self.signs.append(result)
            return bool(np.all(result))
        results = [op(x, y) for x, y in _pairs(a, b)]
        if any(r is None for r in results) or (node.op in ("eq", "ne") and not _exact(a, b)):
            return None
        return all(results)

    def on_and(self, node):
        return all(self.truth(a) for a in node.args)

    def on_or(self, node):
        return any(self.truth(a) for a in node.args)

    def on_not(self, node):
        return not self.truth(node.args[0])

    # -- derivatives ---------------------------------------------------------------------
    def variable(self, var: Node):
        """(name, entry or None, current value of the whole variable)."""
        if var.op == "index":
            value = self(var.args[0])
            entry = entry_position([self.integer(i) for i in var.args[1:]], value.shape, var.text)
            return var.args[0].value, entry, value
        return var.value, None, self(var)

    def along(self, var: Node, direction, g, *, entry=None):
        """d/dt g(this evaluator with var moved by t * direction) at t = 0 (direction 1 when the variable is
        one entry): a central difference in float64, forward-mode AD in interval arithmetic."""
        name, var_entry, value = self.variable(var)
        entry = var_entry if entry is None else entry
        if self.ops.exact_derivatives:
            return self._dual(name, value, entry, direction, g)
        x = value[entry] if entry is not None else value
        h = self.ops.step(_max_abs(x)) * self.step_scale
        d = 1.0 if entry is not None else direction
        plus, minus = self._moved(name, value, entry, d * h), self._moved(name, value, entry, -d * h)
        high, low = g(plus), g(minus)
        if not _same_signs(plus.signs, minus.signs):
            raise KinkCrossed(f"a kink lies within the difference step of {name}")
        return (high - low) / (2 * h)

    def _moved(self, name, value, entry, delta):
        if is_array(value):
            moved = value.copy()
            if entry is None:
                moved = moved + delta
            else:
                moved[entry] = moved[entry] + delta
        else:
            moved = value + delta
        return self.with_values({name: moved})

    def _dual(self, name, value, entry, direction, g):
        tag = new_tag()
        if is_array(value):
            seeded = value.copy()
            if entry is None:
                d = np.broadcast_to(np.asarray(direction, dtype=object), value.shape)
                for pos in np.ndindex(value.shape):
                    seeded[pos] = Dual(tag, value[pos], self.ops.const(d[pos]))
            else:
                seeded[entry] = Dual(tag, value[entry], self.ops.const(1))
        else:
            seeded = Dual(tag, value, self.ops.const(direction if entry is None else 1))
        out = g(self.with_values({name: seeded}))
        if isinstance(out, np.ndarray):
            return np.frompyfunc(lambda x: tangent(x, tag), 1, 1)(out)
        return tangent(out, tag)

    def on_diff(self, node):
        body, var = node.args

        def derivative(ev, order):
            if order == 0:
                return ev(body)
            return ev.along(var, 1.0, lambda e: derivative(e, order - 1))

        if self.ops.exact_derivatives or node.value == 1:
            return derivative(self, node.value)
        if node.value == 2:
            name, entry, value = self.variable(var)
            x = value[entry] if entry is not None else value
            h = self.ops.step(_max_abs(x)) ** 0.75 * self.step_scale
            plus, minus = self._moved(name, value, entry, h), self._moved(name, value, entry, -h)
            high, mid, low = plus(body), self(body), minus(body)
            if not _same_signs(plus.signs, minus.signs):
                raise KinkCrossed(f"a kink lies within the difference step of {name}")
            return (high - 2 * mid + low) / (h * h)
        raise NotChecked(f"{node.text}: derivatives of order {node.value} are checked in exact arithmetic only")

    def on_grad(self, node):
        body, var = node.args
        name, entry, value = self.variable(var)
        if entry is not None or not is_array(value):
            return self.along(var, 1.0, lambda e: e(body))
        rows, cols = value.shape
        out = self.ops.array(np.zeros(rows * cols), (rows, cols))
        for pos in np.ndindex(rows, cols):
            out[pos] = self.along(var, 1.0, lambda e: e(body), entry=pos)
        return out

    def _grad_entry(self, node):
        """grad(body, var)[i(, j)]: the one derivative that entry needs, not the whole gradient (the same
        value as indexing the full gradient, at a fraction of its cost)."""
        body, var = node.args[0].args
        name, entry, value = self.variable(var)
        if entry is not None or not is_array(value):
            base = self(node.args[0])
            return base[entry_position([self.integer(i) for i in node.args[1:]], base.shape, node.text)]
        pos = entry_position([self.integer(i) for i in node.args[1:]], value.shape, node.text)
        return self.along(var, 1.0, lambda e: e(body), entry=pos)

    def on_jacobian(self, node):
        body, var = node.args
        name, entry, value = self.variable(var)
        if entry is not None or not is_array(value):
            positions = [entry]
        else:
            positions = [(k, 0) if value.shape[1] == 1 else (0, k) for k in range(value.size)]
        columns = []
        for pos in positions:
            col = self.along(var, 1.0, lambda e: e(body), entry=pos)
            columns.append(list(np.ravel(col)) if is_array(col) else [col])
        jac = np.array(columns, dtype=object if self.ops.exact_derivatives else float).T
        return jac[0, 0] if jac.shape == (1, 1) else jac


def is_array(v) -> bool:
    return isinstance(v, np.ndarray) and v.ndim == 2


def _pairs(a, b):
    xs = list(np.ravel(a)) if isinstance(a, np.ndarray) else [a]
    ys = list(np.ravel(b)) if isinstance(b, np.ndarray) else [b]
    n = max(len(xs), len(ys))
    return zip(xs * (n // len(xs)), ys * (n // len(ys)))


def _exact(a, b) -> bool:
    """Whether == and != between interval values are decided (both sides exact points)."""
    from .intervals import raw, value_of  # noqa: PLC0415
    for x, y in _pairs(a, b):
        vx, vy = raw(value_of(x)), raw(value_of(y))
        if not (vx.a == vx.b and vy.a == vy.b):
            return False
    return True


def _same_signs(a: list, b: list) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def _max_abs(x):
    if isinstance(x, np.ndarray):
        return float(np.max(np.abs(x)))
    return abs(x)


def contains_derivative(node: Node) -> bool:
    return any(n.op in DERIVATIVE_OPS for n in node.walk())
