"""Rigorous numbers for certification: mpmath intervals, and exact derivatives by forward-mode AD.

``IntervalOps`` is a number system for the NumPy back end's evaluator
(``numeric.ArrayEvaluator``): every value is an mpmath ``iv`` interval that is
guaranteed to contain the true value, so when the interval of lhs - rhs
excludes 0 the two sides certainly differ at that point.  Derivatives are not
finite differences here (their truncation error has no rigorous bound) but
forward-mode automatic differentiation: a ``Dual`` carries a value and a
tangent, both intervals (or, for higher and nested derivatives, Duals of an
earlier tag).  The derivative rules of the scalar functions come from the
function table (``functions.FUNCTIONS``) through sympy's scalar ``diff``, the
same for every claim, never from the claim's own algebra.

A kink (relu, Abs, Max, Heaviside, sign, ind) whose switch interval contains 0
gives a valid enclosure of its value, and raises ``Undecided`` when a
derivative is asked for there: the point is too close to the kink to certify.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp
from mpmath import iv

from .functions import FUNCTIONS
from .standins import standin

_TAGS = itertools.count(1)
KINKS = ("relu", "Abs", "Heaviside", "sign")


class Undecided(Exception):
    """The interval evaluation cannot decide (a kink or a condition straddles the point)."""


def new_tag() -> int:
    return next(_TAGS)


class IV:
    """An mpmath interval that defers to Dual in mixed arithmetic (mpmath's own intervals raise
    NotImplementedError instead of letting the other operand try)."""
    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def _op(self, other, fn):
        if isinstance(other, IV):
            return IV(fn(self.v, other.v))
        if isinstance(other, (Dual, np.ndarray)):
            return NotImplemented
        return IV(fn(self.v, raw(other)))

    def __add__(self, o):
        return self._op(o, lambda a, b: a + b)

    def __radd__(self, o):
        return self._op(o, lambda a, b: b + a)

    def __sub__(self, o):
        return self._op(o, lambda a, b: a - b)

    def __rsub__(self, o):
        return self._op(o, lambda a, b: b - a)

    def __mul__(self, o):
        return self._op(o, lambda a, b: a * b)

    def __rmul__(self, o):
        return self._op(o, lambda a, b: b * a)

    def __truediv__(self, o):
        return self._op(o, lambda a, b: a / b)

    def __rtruediv__(self, o):
        return self._op(o, lambda a, b: b / a)

    def __pow__(self, o):
        return _power(self, o)

    def __rpow__(self, o):
        return _power(IV(raw(o)), self)

    def __neg__(self):
        return IV(-self.v)

    def __abs__(self):
        return IV(abs(self.v))

    def _cmp(self, o, fn):
        return fn(self.v, o.v if isinstance(o, IV) else raw(value_of(o)) if isinstance(o, Dual) else raw(o))

    def __lt__(self, o):
        return self._cmp(o, lambda a, b: a < b)

    def __le__(self, o):
        return self._cmp(o, lambda a, b: a <= b)

    def __gt__(self, o):
        return self._cmp(o, lambda a, b: a > b)

    def __ge__(self, o):
        return self._cmp(o, lambda a, b: a >= b)

    def __eq__(self, o):
        return self._cmp(o, lambda a, b: a == b)

    def __ne__(self, o):
        result = self._cmp(o, lambda a, b: a == b)
        return None if result is None else not result

    __hash__ = None

    @property
    def mid(self):
        return self.v.mid

    def __repr__(self):
        return f"IV({self.v})"


def raw(x):
    """An mpmath interval for a number (exact for ints, floats and Fractions)."""
    if isinstance(x, IV):
        return x.v
    if hasattr(x, "numerator") and not isinstance(x, (int, bool)):
        return iv.mpf(x.numerator) / x.denominator
    if isinstance(x, (int, float, np.floating, np.integer)):
        return iv.mpf(float(x)) if isinstance(x, (float, np.floating)) else iv.mpf(int(x))
    return x


class Dual:
    """val + tan * d_tag, with d_tag^2 = 0; val and tan are intervals or Duals of a lower tag."""
    __slots__ = ("tag", "val", "tan")

    def __init__(self, tag, val, tan):
        self.tag, self.val, self.tan = tag, val, tan

    def parts(self, tag):
        return (self.val, self.tan) if self.tag == tag else (self, 0)

    def __add__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        tag = _top(self, other)
        a, da = _parts(self, tag)
        b, db = _parts(other, tag)
        return Dual(tag, a + b, da + db)

    __radd__ = __add__

    def __neg__(self):
        return Dual(self.tag, -self.val, -self.tan)

    def __sub__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        tag = _top(self, other)
        a, da = _parts(self, tag)
        b, db = _parts(other, tag)
        return Dual(tag, a * b, da * b + a * db)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        tag = _top(self, other)
        a, da = _parts(self, tag)
        b, db = _parts(other, tag)
        q = a / b
        return Dual(tag, q, (da - q * db) / b)

    def __rtruediv__(self, other):
        return Dual(self.tag, other, 0) / self

    def __pow__(self, other):
        return _power(self, other)

    def __rpow__(self, other):
        return _power(other, self)

    def __abs__(self):
        return jet("Abs", 0, self)

    def __lt__(self, other):
        return value_of(self) < value_of(other)

    def __le__(self, other):
        return value_of(self) <= value_of(other)

    def __gt__(self, other):
        return value_of(self) > value_of(other)

    def __ge__(self, other):
        return value_of(self) >= value_of(other)


def _top(a, b):
    return max(getattr(a, "tag", 0), getattr(b, "tag", 0))


def _parts(x, tag):
    return x.parts(tag) if isinstance(x, Dual) else (x, 0)


def value_of(x):
    """The plain (interval) value under any number of Dual layers."""
    while isinstance(x, Dual):
        x = x.val
    return x


def tangent(x, tag):
    """The derivative part of tag in a result (0 when the result does not depend on that variable)."""
    if isinstance(x, Dual) and x.tag == tag:
        return x.tan
    if isinstance(x, Dual) and x.tag > tag:
        raise Undecided("a derivative's tag leaked out of its evaluation")
    return 0


# -- scalar functions and their derivatives, for intervals -------------------------------------

def _iv_tanh(x):
    return 1 - 2 / (iv.exp(2 * x) + 1)


def _iv_sinh(x):
    return (iv.exp(x) - iv.exp(-x)) / 2


def _iv_cosh(x):
    return (iv.exp(x) + iv.exp(-x)) / 2


IV_NAMESPACE = {"mpf": iv.mpf, "exp": iv.exp, "log": iv.log, "sqrt": iv.sqrt, "sin": iv.sin, "cos": iv.cos, "tan": iv.tan,
                "tanh": _iv_tanh, "sinh": _iv_sinh, "cosh": _iv_cosh, "pi": iv.pi, "E": iv.e}


@lru_cache(maxsize=None)
def base_function(name: str, order: int):
    """The order-th derivative of a smooth scalar function (table entry or stand-in label), for intervals."""
    x = sp.Symbol("x", real=True)
    expr = FUNCTIONS[name].scalar(x) if name in FUNCTIONS else standin(name)(x)
    expr = sp.diff(expr, x, order) if order else expr
    if expr.is_Rational:   # a constant (a derivative of a polynomial stand-in): exact at every precision
        return lambda t, p=int(expr.p), q=int(expr.q): iv.mpf(p) / q
    return sp.lambdify(x, expr, modules=[IV_NAMESPACE, "mpmath"])


def _straddles(v) -> bool:
    v = raw(value_of(v))
    return bool(v.a <= 0 <= v.b)


def _kink(name: str, order: int, v):
    """A kinked function at a plain interval: an enclosure of its value; derivatives only off the kink."""
    if order and _straddles(v):
        raise Undecided(f"a derivative of {name} at its kink")
    zero, one = iv.mpf(0), iv.mpf(1)
    if order >= 2:
        return zero
    if name == "relu":
        if order:
            return one if v.a > 0 else zero
        return v if v.a >= 0 else zero if v.b <= 0 else iv.mpf([0, v.b])
    if name == "Abs":
        return abs(v) if order == 0 else (one if v.a > 0 else -one)
    if name == "Heaviside":
        if order:
            return zero
        return one if v.a > 0 else zero if v.b < 0 else iv.mpf(0.5) if v.a == v.b == 0 else iv.mpf([0, 1])
    if order:  # sign
        return zero
    return one if v.a > 0 else -one if v.b < 0 else zero if v.a == v.b == 0 else iv.mpf([-1, 1])


def jet(name: str, order: int, x):
    """d^order/dt^order of function `name` at x, where x may be a Dual (then the chain rule applies)."""
    if isinstance(x, Dual):
        return Dual(x.tag, jet(name, order, x.val), jet(name, order + 1, x.val) * x.tan)
    if name in KINKS:
        return IV(_kink(name, order, raw(x)))
    return IV(base_function(name, order)(raw(x)))


def jet_exp(x):
    return jet("exp", 0, x)


def jet_log(x):
    return jet("log", 0, x)


def extremum(pick, a, b):
    """Max or Min of two numbers; with Duals only where one side is certainly the larger."""
    va, vb = raw(value_of(a)), raw(value_of(b))
    if va > vb:
        return a if pick == "Max" else b
    if va < vb:
        return b if pick == "Max" else a
    if isinstance(a, Dual) or isinstance(b, Dual):
        raise Undecided(f"{pick} at a tie")
    if pick == "Max":
        return IV(iv.mpf([max(va.a, vb.a), max(va.b, vb.b)]))
    return IV(iv.mpf([min(va.a, vb.a), min(va.b, vb.b)]))


# -- the number system for numeric.ArrayEvaluator ---------------------------------------------

class IntervalOps:
    """Intervals at iv.prec bits (set by the caller); arrays are numpy object arrays."""
    name = "interval"
    exact_derivatives = True

    def const(self, value):
        return value if isinstance(value, (IV, Dual)) else IV(raw(value))

    def array(self, values, shape):
        return np.array([v if isinstance(v, Dual) else self.const(v) for v in np.ravel(values)],
                        dtype=object).reshape(shape)

    def entrywise(self, name, a):
        return self.apply(lambda t: jet(name, 0, t), a)

    def scalar(self, name, order):
        return lambda t: jet(name, order, t)

    def apply(self, fn, a):
        return np.frompyfunc(fn, 1, 1)(a) if isinstance(a, np.ndarray) else fn(a)

    def binary(self, name, a, b):
        fn = lambda x, y: extremum(name, x, y)
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return np.frompyfunc(fn, 2, 1)(a, b)
        return fn(a, b)

    def total(self, a):
        out = IV(iv.mpf(0))
        for x in np.ravel(a):
            out = out + x
        return out

    def largest(self, a):
        """A constant near the largest entry (softmax(a - c) = softmax(a) for any constant c)."""
        return IV(iv.mpf(max(float(raw(value_of(x)).mid) for x in np.ravel(a))))

    def diag(self, v):
        flat = list(np.ravel(v))
        out = np.array([IV(iv.mpf(0))] * len(flat) ** 2, dtype=object).reshape(len(flat), len(flat))
        for k, x in enumerate(flat):
            out[k, k] = x
        return out

    def det(self, a):
        return _det(a.copy())

    def inv(self, a):
        return _inv(a)

    def power(self, a, b):
        pw = lambda x, y: _power(x, y)
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return np.frompyfunc(pw, 2, 1)(a, b)
        return pw(a, b)


def _power(x, y):
    n = None if isinstance(y, Dual) else _as_integer(y)
    if n is None:
        return jet_exp(y * jet_log(x))
    if isinstance(x, Dual):
        return Dual(x.tag, _power(x.val, n), n * _power(x.val, n - 1) * x.tan)
    x = raw(x)
    return IV(x ** n if n >= 0 else 1 / (x ** -n))


def _as_integer(y):
    if isinstance(y, int):
        return y
    v = raw(y)
    if v.a == v.b:
        m = mpmath.mpf(v.a.mid)
        if m == int(m):
            return int(m)
    return None


def _det(a):
    """Determinant by elimination without division by an interval that may contain 0."""
    n = a.shape[0]
    det = IV(iv.mpf(1))
    for k in range(n):
        pivot = a[k, k]
        if _straddles(pivot):
            raise Undecided("a pivot of the determinant may be 0")
        det = det * pivot
        for i in range(k + 1, n):
            factor = a[i, k] / pivot
            for j in range(k, n):
                a[i, j] = a[i, j] - factor * a[k, j]
    return det


def _inv(a):
    n = a.shape[0]
    m = np.concatenate([a.copy(), np.array([[IV(iv.mpf(int(i == j))) for j in range(n)] for i in range(n)],
                                           dtype=object)], axis=1)
    for k in range(n):
        pivot = m[k, k]
        if _straddles(pivot):
            raise Undecided("a pivot of the inverse may be 0")
        m[k, :] = m[k, :] / pivot
        for i in range(n):
            if i != k:
                m[i, :] = m[i, :] - m[i, k] * m[k, :]
    return m[:, n:]


INTERVAL = IntervalOps()


def midpoint_text(x, digits: int = 12) -> str:
    v = raw(value_of(x))
    with mpmath.workprec(max(iv.prec, 53)):    # the interval's precision: 1 - 1e-23 is not 1.0
        return mpmath.nstr(mpmath.mpf(v.mid), digits)
