"""The table of named functions: one entry per function, read by every back end.

Each entry says how many arguments the function takes, how the result's shape
follows from the arguments' shapes, how to build it from sympy values, and how to
write it in LaTeX.  Adding a function means adding one entry here (autograd keeps
its derivative rules as such a table).

Shapes are tuples: ``()`` is a scalar, ``(r, c)`` an array; a vector(n) is the
column ``(n, 1)``.  Dimensions are names (``"n"``) or integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from .errors import ShapeError

Shape = tuple


# -- shape rules -----------------------------------------------------------------

def is_vector(shape: Shape) -> bool:
    return len(shape) == 2 and (shape[1] == 1 or shape[0] == 1)


def vector_length(shape: Shape):
    return shape[0] if shape[1] == 1 else shape[1]


def fmt_shape(shape: Shape) -> str:
    return "scalar" if shape == () else "(" + ", ".join(str(d) for d in shape) + ")"


def _same(shapes, text):
    return shapes[0]


def _scalar(shapes, text):
    return ()


def _broadcast(shapes, text):
    arrays = [s for s in shapes if s != ()]
    if any(s != arrays[0] for s in arrays[1:]):
        raise ShapeError(text, "entrywise arguments of different shapes: "
                         + " and ".join(fmt_shape(s) for s in shapes))
    return arrays[0] if arrays else ()


def _hadamard(shapes, text):
    if shapes[0] != shapes[1]:
        raise ShapeError(text, f"Hadamard product of {fmt_shape(shapes[0])} and {fmt_shape(shapes[1])}")
    return shapes[0]


def _need_vector(shape, text, what):
    if not is_vector(shape):
        raise ShapeError(text, f"{what} needs a vector, got {fmt_shape(shape)}")


def _vector_same(shapes, text):
    _need_vector(shapes[0], text, "this function")
    return shapes[0]


def _vector_scalar(shapes, text):
    _need_vector(shapes[0], text, "this function")
    return ()


def _outer(shapes, text):
    _need_vector(shapes[0], text, "outer")
    _need_vector(shapes[1], text, "outer")
    return (vector_length(shapes[0]), vector_length(shapes[1]))


def _dot(shapes, text):
    if shapes[0] != shapes[1]:
        raise ShapeError(text, f"dot of {fmt_shape(shapes[0])} and {fmt_shape(shapes[1])}")
    return ()


def _square(shapes, text):
    s = shapes[0]
    if len(s) != 2 or s[0] != s[1]:
        raise ShapeError(text, f"needs a square matrix, got {fmt_shape(s)}")
    return s


def _square_scalar(shapes, text):
    _square(shapes, text)
    return ()


def _matpow(shapes, text):
    if shapes[1] != ():
        raise ShapeError(text, f"the exponent of matpow must be a scalar, got {fmt_shape(shapes[1])}")
    return _square(shapes[:1], text)


def _diag(shapes, text):
    _need_vector(shapes[0], text, "diag")
    n = vector_length(shapes[0])
    return (n, n)


# -- sympy builders --------------------------------------------------------------

def _entrywise(fn: Callable) -> Callable:
    """Lift a scalar sympy function to act entry by entry on arrays."""
    def build(args):
        (a,) = args
        return a.applyfunc(fn) if isinstance(a, sp.MatrixBase) else fn(a)
    return build


def _entrywise2(fn: Callable) -> Callable:
    def build(args):
        a, b = args
        if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
            shape = (a if isinstance(a, sp.MatrixBase) else b).shape
            pick = lambda v, i, j: v[i, j] if isinstance(v, sp.MatrixBase) else v
            return sp.ImmutableMatrix(*shape, lambda i, j: fn(pick(a, i, j), pick(b, i, j)))
        return fn(a, b)
    return build


def sigmoid(x):
    return 1 / (1 + sp.exp(-x))


def _softmax(args):
    (v,) = args
    e = v.applyfunc(sp.exp)
    total = sum(e)
    return e.applyfunc(lambda t: t / total)


def _logsumexp(args):
    return sp.log(sum(args[0].applyfunc(sp.exp)))


def _sum(args):
    a = args[0]
    return sum(a) if isinstance(a, sp.MatrixBase) else a


def _outer_build(args):
    a, b = (list(x) for x in args)
    return sp.ImmutableMatrix(len(a), len(b), lambda i, j: a[i] * b[j])


def _dot_build(args):
    return sum(x * y for x, y in zip(args[0], args[1]))


def _diag_build(args):
    v = list(args[0])
    return sp.ImmutableMatrix(sp.diag(*v))


# -- array builders (NumPy back end) ------------------------------------------------
# Each takes the argument values and a number system `ops` (float64 or mpmath, see numeric.py),
# so the same code serves the double-precision check and the high-precision re-check.

def power_exponent(value, text: str = "matpow") -> int:
    """The exponent of a matrix power as a whole number from 0 to MAX_MATRIX_POWER (a float, an exact
    number or an exact interval); anything else is an EvaluationError."""
    from .errors import EvaluationError  # noqa: PLC0415
    number = getattr(value, "mid", value)
    try:
        k = float(number)
    except (TypeError, ValueError):
        raise EvaluationError(f"{text}: the exponent must be a whole number, got {value}") from None
    if k != int(k) or not 0 <= k <= MAX_MATRIX_POWER:
        raise EvaluationError(f"{text}: the exponent must be a whole number from 0 to {MAX_MATRIX_POWER}, "
                              f"got {number}")
    return int(k)


MAX_MATRIX_POWER = 64


def _norm_build(args):
    (a,) = args
    entries = list(a) if isinstance(a, sp.MatrixBase) else [a]
    return sp.sqrt(sum((e ** 2 for e in entries), sp.Integer(0)))


def _matpow_build(args):
    a, k = args
    return sp.ImmutableMatrix(a ** power_exponent(k if k.is_number else None))


def _np_matpow(args, ops):
    a, k = args
    n = a.shape[0]
    out = ops.array(np.eye(n), (n, n))
    for _ in range(power_exponent(k)):
        out = out @ a
    return out


def _np_entrywise(name):
    return lambda args, ops: ops.entrywise(name, args[0])


def _np_binary(name):
    return lambda args, ops: ops.binary(name, args[0], args[1])


def _np_softmax(args, ops):
    e = ops.entrywise("exp", args[0] - ops.largest(args[0]))
    return e / ops.total(e)


def _np_logsumexp(args, ops):
    top = ops.largest(args[0])
    return top + ops.entrywise("log", ops.total(ops.entrywise("exp", args[0] - top)))


def _np_outer(args, ops):
    return args[0].reshape(-1, 1) @ args[1].reshape(1, -1)


@dataclass(frozen=True)
class Function:
    name: str
    arity: int
    shape: Callable[[Sequence[Shape], str], Shape]
    build: Callable[[list], object]
    latex: str
    numeric: Callable = None        # (argument arrays, ops) -> array: the NumPy back end
    scalar: Callable | None = None  # the scalar function, for entrywise functions of one argument
    doc: str = ""


def _ew(name, fn, latex, doc):
    return Function(name, 1, _same, _entrywise(fn), latex, numeric=_np_entrywise(name), scalar=fn, doc=doc)


FUNCTIONS: dict[str, Function] = {f.name: f for f in [
    _ew("exp", sp.exp, r"\exp", "entrywise e^x"),
    _ew("log", sp.log, r"\log", "entrywise natural log"),
    _ew("sqrt", sp.sqrt, r"\sqrt", "entrywise square root"),
    _ew("sigmoid", sigmoid, r"\sigma", "entrywise 1/(1+e^-x)"),
    _ew("tanh", sp.tanh, r"\tanh", "entrywise"),
    _ew("sin", sp.sin, r"\sin", "entrywise"),
    _ew("cos", sp.cos, r"\cos", "entrywise"),
    _ew("tan", sp.tan, r"\tan", "entrywise"),
    _ew("softplus", lambda x: sp.log(1 + sp.exp(x)), r"\operatorname{softplus}", "entrywise log(1+e^x)"),
    _ew("relu", lambda x: sp.Max(0, x), r"\operatorname{relu}", "entrywise max(0, x)"),
    _ew("Abs", sp.Abs, r"\operatorname{abs}", "entrywise |x|"),
    _ew("Heaviside", sp.Heaviside, r"H", "entrywise step: 1 for x > 0, 0 for x < 0"),
    _ew("sign", sp.sign, r"\operatorname{sign}", "entrywise sign"),
    Function("Max", 2, _broadcast, _entrywise2(sp.Max), r"\max", _np_binary("Max"),
             doc="entrywise max of two arguments"),
    Function("Min", 2, _broadcast, _entrywise2(sp.Min), r"\min", _np_binary("Min"),
             doc="entrywise min of two arguments"),
    Function("hadamard", 2, _hadamard, _entrywise2(lambda a, b: a * b), r"\odot",
             lambda a, ops: a[0] * a[1], doc="entrywise product"),
    Function("sum", 1, _scalar, _sum, r"\sum", lambda a, ops: ops.total(a[0]), doc="sum of all entries"),
    Function("norm", 1, _scalar, _norm_build, r"\operatorname{norm}",
             lambda a, ops: ops.entrywise("sqrt", ops.total(a[0] * a[0])),
             doc="the Euclidean norm of a vector (Frobenius for a matrix): sqrt(sum(x**2))"),
    Function("softmax", 1, _vector_same, _softmax, r"\operatorname{softmax}", _np_softmax,
             doc="e^v / sum(e^v)"),
    Function("logsumexp", 1, _vector_scalar, _logsumexp, r"\operatorname{logsumexp}", _np_logsumexp,
             doc="log(sum(e^v))"),
    Function("outer", 2, _outer, _outer_build, r"\otimes", _np_outer, doc="a b^T for vectors a, b"),
    Function("dot", 2, _dot, _dot_build, r"\cdot", lambda a, ops: ops.total(a[0] * a[1]),
             doc="sum of entrywise products"),
    Function("diag", 1, _diag, _diag_build, r"\operatorname{diag}", lambda a, ops: ops.diag(a[0]),
             doc="square matrix with v on the diagonal"),
    Function("size", 1, _scalar, lambda a: sp.Integer(a[0].rows * a[0].cols) if isinstance(a[0], sp.MatrixBase)
             else sp.Integer(1), r"\operatorname{size}", lambda a, ops: ops.const(getattr(a[0], "size", 1)),
             doc="number of entries"),
    Function("trace", 1, _square_scalar, lambda a: a[0].trace(), r"\operatorname{tr}",
             lambda a, ops: ops.total(a[0].diagonal()), doc="sum of the diagonal"),
    Function("det", 1, _square_scalar, lambda a: a[0].det(method="berkowitz"), r"\det",
             lambda a, ops: ops.det(a[0]), doc="determinant"),
    Function("matpow", 2, _matpow, _matpow_build, r"\operatorname{matpow}", _np_matpow,
             doc="matpow(A, k): the matrix power A A ... A (k >= 0 a whole number; A**k is entrywise only "
                 "for vectors and scalars)"),
    Function("inv", 1, _square, lambda a: sp.ImmutableMatrix(a[0].inv()), r"\operatorname{inv}",
             lambda a, ops: ops.inv(a[0]), doc="matrix inverse"),
]}

ALIASES = {"abs": "Abs", "max": "Max", "min": "Min", "sigma": "sigmoid", "heaviside": "Heaviside"}

# Functions that the parser treats specially (their arguments are not all values).
SPECIAL = {
    "diff": "diff(expr, x) or diff(expr, x, k): derivative by a scalar; diff(f)(z): derivative of a function",
    "grad": "grad(scalar, X): gradient, same shape as X",
    "jacobian": "jacobian(y, x): len(y) x len(x), rows are outputs",
    "ind": "ind(condition): 1 where the condition holds, else 0",
    "onehot": "onehot(i, n): the n-vector with a 1 at index i",
    "ones": "ones(n): the n-vector of ones (b*ones(N).T repeats a column N times)",
    "eye": "eye(n): the n x n identity matrix",
    "limit": "limit(expr, eps, 0): the limit as the scalar symbol eps tends to a constant (sympy only)",
    "transpose": "transpose(X): same as X.T",
}

KINKED = {"Max", "Min", "relu", "Abs", "Heaviside", "sign"}


def lookup(name: str) -> Function | None:
    return FUNCTIONS.get(ALIASES.get(name, name))


def known_function_names() -> list[str]:
    return sorted(set(FUNCTIONS) | set(ALIASES) | set(SPECIAL))
