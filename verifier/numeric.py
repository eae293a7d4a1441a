"""The NumPy back end: evaluate the tree on whole arrays, derivatives by finite differences.

It reads the same tree as the sympy back end and never uses sympy's calculus:
``grad``, ``jacobian`` and ``diff`` are central differences of the forward
expression.  One evaluator serves two number systems: float64 (the fast check,
any shape) and mpmath at 50 digits (the re-check of a disagreement), where the
difference step is tiny enough that the derivative is good to about 30 digits.

Values: a scalar is a 0-d number, an array a 2-D ndarray (a vector is a column).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from .errors import EvaluationError
from .functions import FUNCTIONS
from .model import Claim
from .proof import concrete_for
from .shapes import entry_position
from .tree import Node

DERIVATIVE_OPS = ("grad", "jacobian", "diff")


class NotChecked(Exception):
    """Something the numeric back end does not evaluate; the claim rests on the symbolic check."""


# -- number systems ------------------------------------------------------------------

def _sigmoid(x):
    with np.errstate(over="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


@lru_cache(maxsize=None)
def scalar_function(name: str, order: int, module: str):
    """A fixed scalar function of ours (a table entry or a concrete stand-in for a generic f) and its
    derivatives, compiled for numpy or mpmath.  Only our own sympy expressions are compiled here,
    never text from a claim file."""
    from .proof import CONCRETE_FUNCTIONS  # noqa: PLC0415 (proof imports sympy-heavy helpers lazily)
    x = sp.Symbol("x", real=True)
    base = FUNCTIONS[name].scalar(x) if name in FUNCTIONS else CONCRETE_FUNCTIONS[name](x)
    expr = sp.diff(base, x, order) if order else base
    if module == "numpy" and name == "sigmoid" and order == 0:
        return _sigmoid
    return sp.lambdify(x, expr, modules=[{"Heaviside": _heaviside(module)}, module])


def _heaviside(module):
    if module == "numpy":
        return lambda v, h0=0.5: np.heaviside(v, h0)
    return lambda v, h0=0.5: mpmath.mpf(1) if v > 0 else mpmath.mpf(0) if v < 0 else mpmath.mpf(h0)


class FloatOps:
    """float64: the fast check."""
    name = "float64"
    module = "numpy"
    eps = float(np.finfo(float).eps)

    def const(self, value):
        return float(value)

    def array(self, values, shape):
        return np.asarray(values, dtype=float).reshape(shape)

    ENTRYWISE = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "tanh": np.tanh, "sin": np.sin, "cos": np.cos,
                 "softplus": lambda t: np.logaddexp(0, t), "relu": lambda t: np.maximum(0, t), "Abs": np.abs,
                 "Heaviside": lambda t: np.heaviside(t, 0.5), "sign": np.sign, "sigmoid": _sigmoid}

    def entrywise(self, name, a):
        return self.apply(self.ENTRYWISE[name], a)

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
        return np.linalg.inv(a)

    def power(self, a, b):
        with np.errstate(all="ignore"):
            return np.power(a, b)

    def step(self, scale):
        """About eps^(1/3) * max(1, |x|), rounded to a power of two so that it is exactly representable."""
        return 2.0 ** np.round(np.log2(self.eps ** (1 / 3) * np.maximum(1.0, np.abs(scale))))


class MpOps(FloatOps):
    """mpmath at DIGITS digits: the re-check.  Arrays are numpy object arrays of mpf."""
    name = "mpmath"
    module = "mpmath"
    DIGITS = 50
    eps = mpmath.mpf(10) ** -50

    def const(self, value):
        return mpmath.mpf(value.numerator) / value.denominator if hasattr(value, "numerator") else mpmath.mpf(value)

    def array(self, values, shape):
        return np.array([mpmath.mpf(v) for v in np.ravel(values)], dtype=object).reshape(shape)

    ENTRYWISE = {"exp": mpmath.exp, "log": mpmath.log, "sqrt": mpmath.sqrt, "tanh": mpmath.tanh,
                 "sin": mpmath.sin, "cos": mpmath.cos, "softplus": lambda t: mpmath.log(1 + mpmath.exp(t)),
                 "relu": lambda t: max(0, t), "Abs": abs, "Heaviside": _heaviside("mpmath"),
                 "sign": mpmath.sign, "sigmoid": lambda t: 1 / (1 + mpmath.exp(-t))}

    def apply(self, fn, a):
        return np.frompyfunc(fn, 1, 1)(a) if isinstance(a, np.ndarray) else fn(a)

    def binary(self, name, a, b):
        pick = max if name == "Max" else min
        return np.frompyfunc(pick, 2, 1)(a, b)

    def largest(self, a):
        return max(np.ravel(a))

    def det(self, a):
        return mpmath.det(mpmath.matrix(a.tolist()))

    def inv(self, a):
        return np.array(mpmath.inverse(mpmath.matrix(a.tolist())).tolist(), dtype=object)

    def power(self, a, b):
        return np.frompyfunc(lambda x, y: mpmath.power(x, y), 2, 1)(a, b) if isinstance(a, np.ndarray) \
            else mpmath.power(a, b)

    def step(self, scale):
        scale = max(mpmath.mpf(1), abs(scale))
        return mpmath.mpf(2) ** int(mpmath.nint(mpmath.log(mpmath.mpf(10) ** -18 * scale, 2)))


FLOAT, MP = FloatOps(), MpOps()


# -- the evaluator ---------------------------------------------------------------------

@dataclass
class ArrayEvaluator:
    """Evaluates tree nodes at one point.  `values` binds symbols (and overridden lets)."""
    claim: Claim
    values: dict
    ops: FloatOps = FLOAT
    function: str | None = None       # the concrete stand-ins for generic functions (a choice label)
    lets: dict = field(default_factory=dict)
    step_scale: int = 1               # finite-difference steps are multiplied by this (1, or 2 for the error estimate)
    kink_margins: list = field(default_factory=list)  # |switch| seen at this point (recorded when asked)
    record_kinks: bool = False

    def __post_init__(self):
        self.lets = dict(self.claim.lets)
        self.cache: dict = {}

    def with_values(self, overrides: dict) -> "ArrayEvaluator":
        return ArrayEvaluator(self.claim, {**self.values, **overrides}, self.ops, self.function, self.step_scale)

    def step(self, x):
        return self.ops.step(x) * self.step_scale

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
        if _is_array(a) and _is_array(b):
            product = a @ b
            return product[0, 0] if product.shape == (1, 1) else product
        return a * b

    on_matmul = on_mul

    def on_div(self, node):
        return self(node.args[0]) / self(node.args[1])

    def on_pow(self, node):
        return self.ops.power(self(node.args[0]), self(node.args[1]))

    def on_T(self, node):
        a = self(node.args[0])
        return a.T if _is_array(a) else a

    def on_index(self, node):
        base = self(node.args[0])
        return base[entry_position([self.integer(i) for i in node.args[1:]], base.shape, node.text)]

    def integer(self, node) -> int:
        value = self(node)
        if int(value) != value:
            raise EvaluationError(f"{node.text}: an index must be an integer, got {value}")
        return int(value)

    # -- functions ---------------------------------------------------------------------
    def on_call(self, node):
        args = [self(a) for a in node.args]
        if self.record_kinks and node.value in ("Max", "Min", "relu", "Abs", "Heaviside", "sign"):
            switch = args[0] - args[1] if node.value in ("Max", "Min") else args[0]
            self.kink_margins.append(float(np.min(np.abs(np.asarray(switch, dtype=float)))))
        return FUNCTIONS[node.value].numeric(args, self.ops)

    def on_fapply(self, node):
        name, order = node.value
        base = name if name in FUNCTIONS else (self.function and concrete_for(self.function, name))
        if base is None:
            raise EvaluationError(f"{node.text}: no concrete function chosen for `{name}`")
        return self.ops.apply(scalar_function(base, order, self.ops.module), self(node.args[0]))

    def on_onehot(self, node):
        i, n = self.integer(node.args[0]), self.integer(node.args[1])
        out = self.ops.array(np.zeros(n), (n, 1))
        out[i, 0] = self.ops.const(1)
        return out

    def on_limit(self, node):
        raise NotChecked(f"{node.text}: limits are checked symbolically only")

    def on_vector(self, node):
        entries = [self(a) for a in node.args]
        out = self.ops.array(np.zeros(len(entries)), (len(entries), 1))
        for k, e in enumerate(entries):
            out[k, 0] = e
        return out

    def on_ones(self, node):
        n = self.integer(node.args[0])
        return self.ops.array(np.ones(n), (n, 1))

    def on_ind(self, node):
        cond = self(node.args[0])
        if self.record_kinks:
            self.kink_margins.extend(self.margins(node.args[0]))
        return self.ops.const(1) if bool(np.all(cond)) else self.ops.const(0)

    def margins(self, cond: Node) -> list:
        if cond.op in ("gt", "ge", "lt", "le"):
            gap = self(cond.args[0]) - self(cond.args[1])
            return [float(np.min(np.abs(np.asarray(gap, dtype=float))))]
        return [m for a in cond.args for m in self.margins(a)] if cond.op in ("and", "or", "not") else []

    # -- conditions --------------------------------------------------------------------
    def on_compare(self, node):
        a, b = self(node.args[0]), self(node.args[1])
        op = {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
              "eq": np.equal, "ne": np.not_equal}[node.op]
        return bool(np.all(op(a, b)))

    def on_and(self, node):
        return all(self(a) for a in node.args)

    def on_or(self, node):
        return any(self(a) for a in node.args)

    def on_not(self, node):
        return not self(node.args[0])

    # -- derivatives by central differences ----------------------------------------------
    def variable(self, var: Node):
        """(name, entry or None, current value of the whole variable)."""
        if var.op == "index":
            value = self(var.args[0])
            entry = entry_position([self.integer(i) for i in var.args[1:]], value.shape, var.text)
            return var.args[0].value, entry, value
        return var.value, None, self(var)

    def perturbed(self, name, value, entry, delta):
        """An evaluator where the variable is moved by delta (at one entry, or everywhere)."""
        if _is_array(value):
            moved = value.copy()
            if entry is None:
                moved = moved + delta
            else:
                moved[entry] = moved[entry] + delta
        else:
            moved = value + delta
        return self.with_values({name: moved})

    def central(self, body: Node, name, value, entry, direction, h):
        """(f(x + h d) - f(x - h d)) / (2h), with the step actually taken."""
        plus = self.perturbed(name, value, entry, direction * h)(body)
        minus = self.perturbed(name, value, entry, -direction * h)(body)
        return (plus - minus) / (2 * h)

    def on_diff(self, node):
        body, var = node.args
        name, entry, value = self.variable(var)
        x = value[entry] if entry is not None else value
        if node.value == 1:
            return self.central(body, name, value, entry, 1, self.step(x))
        if node.value == 2:
            h = self.step(x) ** 0.75 if self.ops is FLOAT else self.step(x) ** mpmath.mpf(0.6)
            plus = self.perturbed(name, value, entry, h)(body)
            minus = self.perturbed(name, value, entry, -h)(body)
            return (plus - 2 * self(body) + minus) / (h * h)
        raise NotChecked(f"{node.text}: derivatives of order {node.value} are not checked numerically")

    def on_grad(self, node):
        body, var = node.args
        name, entry, value = self.variable(var)
        if entry is not None or not _is_array(value):
            x = value[entry] if entry is not None else value
            return self.central(body, name, value, entry, 1, self.step(x))
        rows, cols = value.shape
        out = self.ops.array(np.zeros(rows * cols), (rows, cols))
        for i in range(rows):
            for j in range(cols):
                out[i, j] = self.central(body, name, value, (i, j), 1, self.step(value[i, j]))
        return out

    def on_jacobian(self, node):
        body, var = node.args
        name, entry, value = self.variable(var)
        xs = [(None, value)] if not _is_array(value) else [((k, 0) if value.shape[1] == 1 else (0, k), None)
                                                          for k in range(value.size)]
        if entry is not None:
            xs = [(entry, None)]
        columns = []
        for pos, _ in xs:
            x = value if pos is None else value[pos]
            col = self.central(body, name, value, pos, 1, self.step(x))
            columns.append(np.ravel(col) if _is_array(col) else [col])
        jac = np.array(columns, dtype=object if self.ops is MP else float).T
        return jac[0, 0] if jac.shape == (1, 1) else jac


def _is_array(v) -> bool:
    return isinstance(v, np.ndarray) and v.ndim == 2


def contains_derivative(node: Node) -> bool:
    return any(n.op in DERIVATIVE_OPS for n in node.walk())
