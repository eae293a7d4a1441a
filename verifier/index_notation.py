"""One entry of an expression in index notation, with symbolic dimensions (issue 15).

``Translator.entry(node, r, c)`` is the (r, c) entry of a tree node as a sympy expression in which

- an entry of a declared array is ``IndexedBase(name)[r, c]`` (a vector is a column: its column is 0),
  a scalar is a real symbol, a dimension a positive integer symbol;
- a matrix product is a ``Sum`` over a fresh dummy ranging over the inner dimension, and so are
  ``sum``, ``dot``, ``trace``, the softmax's denominator and log-sum-exp;
- derivatives are sympy's own: the derivative of ``W[i, k]`` by ``W[a, b]`` is
  ``KroneckerDelta(a, i) * KroneckerDelta(b, k)``, and a sum is differentiated term by term;
  a definition (``[let]``) used as a variable is an independent array while differentiating, its
  definition substituted back afterwards (as the concrete engine does);
- generic functions are ``symbolic.make_generic_function`` (f, fprime, ...), as in the concrete engine;
- ``inv(X)`` and ``det(X)`` of a declared square matrix are opaque atoms (``InverseEntry``,
  ``Determinant``) that carry their derivatives by X's entries and nothing else.

Every index symbol has a range, a dimension: the dummies of sums, the entry's own indices and the
claim's index symbols.  Anything this translation does not cover raises ``Undecided`` with the reason;
the caller then leaves the claim to the concrete engines.  Nothing here evaluates claim text: it reads
the tree the parser built.
"""

from __future__ import annotations

import sympy as sp

from .functions import FUNCTIONS
from .model import Claim
from .shapes import ShapeEnv, infer_shape
from .symbolic import make_generic_function
from .tree import Node

SMOOTH_OR_KINKED = {"exp", "log", "sqrt", "sigmoid", "tanh", "sin", "cos", "tan", "softplus", "relu", "Abs",
                    "Heaviside", "sign"}
NOT_COVERED_KINDS = {"symmetric", "spd"}   # derivatives by a symmetric matrix follow another convention


class InverseEntry(sp.Function):
    """Entry (i, j) of the inverse of the square matrix X (an IndexedBase): an opaque atom whose derivative
    by an entry X[a, b] is -inv(X)[i, a] inv(X)[b, j].  Nothing else is known of it (not X inv(X) = I), so
    a proof through it treats its entries as independent numbers: sound, never complete."""
    is_real = True

    def _eval_derivative(self, s):
        matrix, i, j = self.args
        if isinstance(s, sp.Indexed) and s.base == matrix:
            a, b = s.indices
            return -InverseEntry(matrix, i, a) * InverseEntry(matrix, b, j)
        return sp.S.Zero


class Determinant(sp.Function):
    """det X of the square matrix X (an IndexedBase): an opaque atom whose derivative by X[a, b] is
    det(X) inv(X)[b, a] (Jacobi's formula)."""
    is_real = True

    def _eval_derivative(self, s):
        matrix = self.args[0]
        if isinstance(s, sp.Indexed) and s.base == matrix:
            a, b = s.indices
            return self * InverseEntry(matrix, b, a)
        return sp.S.Zero


class Undecided(Exception):
    """The index-notation engine cannot decide this claim (the reason says why); not a verdict."""


class Translator:
    def __init__(self, claim: Claim, env: ShapeEnv | None = None):
        self.claim = claim
        self.env = env or ShapeEnv(claim)
        self.lets = dict(claim.lets)
        self.dims = {d: sp.Symbol(d, positive=True, integer=True) for d in claim.dims}
        self.ranges: dict[sp.Symbol, sp.Expr] = {}    # index symbol -> its dimension
        self.values: dict[str, object] = {}
        self.overrides: dict[str, object] = {}        # let name -> independent stand-in while differentiating
        self._fresh = 0
        for spec in claim.symbols:
            if spec.constraint in NOT_COVERED_KINDS:
                raise Undecided(f"`{spec.name}` is {spec.constraint}")
            if spec.kind == "function":
                continue
            if spec.kind == "index":
                symbol = sp.Symbol(spec.name, integer=True)
                self.ranges[symbol] = self.size(spec.dims[0])
                self.values[spec.name] = symbol
            elif spec.kind == "onehot":   # y[r] = delta(r, h) with h the (free) position of its 1
                hot = sp.Symbol(f"{spec.name}_hot", integer=True)
                self.ranges[hot] = self.size(spec.dims[0])
                self.values[spec.name] = ("onehot", hot)
            elif spec.shape:
                self.values[spec.name] = sp.IndexedBase(spec.name, real=True)
            else:
                positive = spec.kind == "positive"
                self.values[spec.name] = sp.Symbol(spec.name, real=True, positive=positive or None)

    # -- shapes and indices ---------------------------------------------------------
    def size(self, dim) -> sp.Expr:
        return self.dims[dim] if isinstance(dim, str) else sp.Integer(dim)

    def extent(self, node: Node) -> tuple[sp.Expr, sp.Expr]:
        """(rows, columns) of a node's value; a scalar is 1 x 1."""
        shape = infer_shape(node, self.env)
        if shape == ():
            return sp.Integer(1), sp.Integer(1)
        return self.size(shape[0]), self.size(shape[1])

    def fresh(self, extent: sp.Expr, stem: str = "k") -> sp.Symbol:
        self._fresh += 1
        symbol = sp.Dummy(f"{stem}{self._fresh}", integer=True)
        self.ranges[symbol] = extent
        return symbol

    def total(self, body, extent, dummy) -> sp.Expr:
        return body.xreplace({dummy: sp.Integer(0)}) if extent == 1 else sp.Sum(body, (dummy, 0, extent - 1))

    def index_value(self, node: Node, extent: sp.Expr) -> sp.Expr:
        """An index written in the claim: an index symbol over the same dimension (or 0 into a length 1)."""
        if node.op == "name" and node.value in self.values and isinstance(self.values[node.value], sp.Symbol) \
                and self.values[node.value] in self.ranges:
            symbol = self.values[node.value]
            if sp.simplify(self.ranges[symbol] - extent) != 0:
                raise Undecided(f"`{node.text}` ranges over {self.ranges[symbol]}, indexing a length {extent}")
            return symbol
        if node.op == "num" and node.value.denominator == 1 and extent.is_Integer and 0 <= node.value < extent:
            return sp.Integer(int(node.value))   # a fixed position in an array of a fixed size
        raise Undecided(f"the index `{node.text}` is not an index symbol (fixed positions depend on the size)")

    # -- entries --------------------------------------------------------------------
    def entry(self, node: Node, r, c) -> sp.Expr:
        method = getattr(self, "on_" + node.op, None)
        if method is None:
            raise Undecided(f"`{node.op}` ({node.text}) is not covered by the index-notation engine")
        return method(node, r, c)

    def vector_entry(self, node: Node, t) -> sp.Expr:
        rows, cols = self.extent(node)
        return self.entry(node, t, 0) if cols == 1 else self.entry(node, 0, t)

    def vector_length(self, node: Node) -> sp.Expr:
        rows, cols = self.extent(node)
        return rows if cols == 1 else cols

    def operand(self, node: Node, r, c) -> sp.Expr:
        """An operand of an entrywise operation: a scalar is broadcast."""
        return self.entry(node, 0, 0) if infer_shape(node, self.env) == () else self.entry(node, r, c)

    def on_num(self, node, r, c):
        return sp.Rational(node.value.numerator, node.value.denominator)

    def on_name(self, node, r, c):
        name = node.value
        if name in self.overrides:
            value = self.overrides[name]
        elif name in self.lets:
            return self.entry(self.lets[name], r, c)
        elif name in self.dims:
            return self.dims[name]
        elif name == "pi":
            return sp.pi
        else:
            value = self.values.get(name)
        if isinstance(value, sp.IndexedBase):
            return value[r, c]
        if isinstance(value, tuple):      # a one-hot symbol
            return sp.KroneckerDelta(r, value[1])
        if value is None:
            raise Undecided(f"`{name}` has no value here")
        return value

    def on_add(self, node, r, c):
        return self.operand(node.args[0], r, c) + self.operand(node.args[1], r, c)

    def on_sub(self, node, r, c):
        return self.operand(node.args[0], r, c) - self.operand(node.args[1], r, c)

    def on_neg(self, node, r, c):
        return -self.entry(node.args[0], r, c)

    def on_div(self, node, r, c):
        return self.operand(node.args[0], r, c) / self.operand(node.args[1], r, c)

    def on_pow(self, node, r, c):
        return self.operand(node.args[0], r, c) ** self.operand(node.args[1], r, c)

    def on_mul(self, node, r, c):
        a, b = node.args
        if infer_shape(a, self.env) == () or infer_shape(b, self.env) == ():   # scaling (also a 1 x 1 `@`)
            if infer_shape(a, self.env) == ():
                return self.entry(a, 0, 0) * self.entry(b, r, c)
            return self.entry(a, r, c) * self.entry(b, 0, 0)
        inner = self.extent(a)[1]
        if inner != self.extent(b)[0]:
            raise Undecided(f"`{node.text}`: a scalar used as a 1 x 1 matrix")
        k = self.fresh(inner)
        return self.total(self.entry(a, r, k) * self.entry(b, k, c), inner, k)

    on_matmul = on_mul

    def on_T(self, node, r, c):
        return self.entry(node.args[0], c, r)

    def on_index(self, node, r, c):
        base = node.args[0]
        rows, cols = self.extent(base)
        if len(node.args) == 2:
            if cols == 1:
                return self.entry(base, self.index_value(node.args[1], rows), 0)
            if rows == 1:
                return self.entry(base, 0, self.index_value(node.args[1], cols))
            raise Undecided(f"`{node.text}`: one index into a matrix")
        return self.entry(base, self.index_value(node.args[1], rows), self.index_value(node.args[2], cols))

    def on_onehot(self, node, r, c):
        return sp.KroneckerDelta(r, self.index_value(node.args[0], self.extent(node)[0]))

    def on_vector(self, node, r, c):
        if not isinstance(r, sp.Integer):
            raise Undecided(f"`{node.text}`: an entry of a written-out vector at a symbolic position")
        return self.entry(node.args[int(r)], 0, 0)

    def on_ones(self, node, r, c):
        return sp.Integer(1)

    def on_eye(self, node, r, c):
        return sp.KroneckerDelta(r, c)

    def on_call(self, node, r, c):
        name, args = node.value, node.args
        if name in SMOOTH_OR_KINKED:
            return FUNCTIONS[name].scalar(self.entry(args[0], r, c))
        if name in ("Max", "Min"):
            return FUNCTIONS[name].build([self.operand(args[0], r, c), self.operand(args[1], r, c)])
        if name == "hadamard":
            return self.operand(args[0], r, c) * self.operand(args[1], r, c)
        if name in ("sum", "dot", "norm"):
            rows, cols = self.extent(args[0])
            i, j = self.fresh(rows), self.fresh(cols)
            if name == "sum":
                body = self.entry(args[0], i, j)
            elif name == "dot":
                body = self.entry(args[0], i, j) * self.entry(args[1], i, j)
            else:
                body = self.entry(args[0], i, j) ** 2
            value = self.total(self.total(body, cols, j), rows, i)
            return sp.sqrt(value) if name == "norm" else value
        if name in ("softmax", "logsumexp"):
            length = self.vector_length(args[0])
            k = self.fresh(length)
            denominator = self.total(sp.exp(self.vector_entry(args[0], k)), length, k)
            if name == "logsumexp":
                return sp.log(denominator)
            t = r if self.extent(node)[1] == 1 else c
            return sp.exp(self.vector_entry(args[0], t)) / denominator
        if name == "outer":
            return self.vector_entry(args[0], r) * self.vector_entry(args[1], c)
        if name == "diag":
            return sp.KroneckerDelta(r, c) * self.vector_entry(args[0], r)
        if name == "size":
            rows, cols = self.extent(args[0])
            return rows * cols
        if name in ("inv", "det"):
            matrix = self._square_symbol(args[0], name)
            return InverseEntry(matrix, r, c) if name == "inv" else Determinant(matrix)
        if name == "trace":
            k = self.fresh(self.extent(args[0])[0])
            return self.total(self.entry(args[0], k, k), self.extent(args[0])[0], k)
        raise Undecided(f"`{name}` is not covered by the index-notation engine")

    def _square_symbol(self, node: Node, name: str):
        """The IndexedBase of a declared square matrix (inv and det of anything else stay undecided)."""
        value = self.values.get(node.value) if node.op == "name" else None
        if not isinstance(value, sp.IndexedBase) or node.value in self.lets:
            raise Undecided(f"`{name}` of `{node.text}`: only of a declared matrix")
        rows, cols = self.extent(node)
        if rows != cols:
            raise Undecided(f"`{name}` of `{node.text}`: not square")
        return value

    def on_fapply(self, node, r, c):
        name, order = node.value
        arg = self.entry(node.args[0], r, c)
        if name in FUNCTIONS:
            x = sp.Dummy("x", real=True)
            return sp.diff(FUNCTIONS[name].scalar(x), x, order).xreplace({x: arg})
        return make_generic_function(name, order)(arg)

    def on_ind(self, node, r, c):
        return self.indicator(node.args[0])

    def indicator(self, cond: Node) -> sp.Expr:
        if cond.op == "and":
            return sp.Mul(*[self.indicator(a) for a in cond.args])
        if cond.op == "not":
            return 1 - self.indicator(cond.args[0])
        if cond.op in ("eq", "ne") and all(self._is_index(a) for a in cond.args):
            a, b = (self.values[x.value] for x in cond.args)
            delta = sp.KroneckerDelta(a, b)
            return delta if cond.op == "eq" else 1 - delta
        if cond.op in ("gt", "ge", "lt", "le") and not any(self._is_index(a) for a in cond.args) \
                and all(infer_shape(x, self.env) == () for x in cond.args):   # arrays: every entry's condition
            a, b = (self.entry(x, 0, 0) for x in cond.args)
            margin = a - b if cond.op in ("gt", "ge") else b - a
            return sp.Heaviside(margin, 0 if cond.op in ("gt", "lt") else 1)
        raise Undecided(f"the condition `{cond.text}` is not covered by the index-notation engine")

    def _is_index(self, node: Node) -> bool:
        return node.op == "name" and isinstance(self.values.get(node.value), sp.Symbol) \
            and self.values[node.value] in self.ranges

    # -- derivatives --------------------------------------------------------------
    def variable(self, var: Node):
        """(the variable's entry as a function of (r, c), the let it stands for or None)."""
        base = var.args[0] if var.op == "index" else var
        if base.op != "name":
            raise Undecided(f"the variable `{var.text}` is not a name or an entry of one")
        name = base.value
        if name in self.lets:
            if name in self.overrides:
                raise Undecided(f"`{name}` is already a variable of an outer derivative")
            shape = infer_shape(self.lets[name], self.env)
            stand_in = sp.IndexedBase(f"{name}~", real=True) if shape else sp.Symbol(f"{name}~", real=True)
            return stand_in, name
        value = self.values.get(name)
        if not isinstance(value, (sp.IndexedBase, sp.Symbol)) or value in self.ranges:
            raise Undecided(f"`{name}` cannot be a variable of a derivative here")
        return value, None

    def derivative(self, expr_node: Node, var: Node, order: int, r, c, position=None) -> sp.Expr:
        """d^order (entry (r, c) of expr) / d var, var a scalar or an entry (position: the entry of a
        whole-array variable, for grad and jacobian)."""
        stand_in, let = self.variable(var)
        if let is not None:
            self.overrides[let] = stand_in
        try:
            body = self.entry(expr_node, r, c)
            if isinstance(stand_in, sp.IndexedBase):
                if position is None:
                    if var.op != "index":
                        raise Undecided(f"`{var.text}`: a derivative by a whole array is grad(...)")
                    position = self._position(var)
                x = stand_in[position]
            else:
                x = stand_in
            result = sp.diff(body, x, order)
        finally:
            if let is not None:
                del self.overrides[let]
        if let is not None:
            result = self._substitute_let(result, stand_in, let)
        return result

    def _position(self, var: Node):
        base = var.args[0]
        rows, cols = self.extent(base)
        if len(var.args) == 2:
            t = self.index_value(var.args[1], rows if cols == 1 else cols)
            return (t, 0) if cols == 1 else (0, t)
        return self.index_value(var.args[1], rows), self.index_value(var.args[2], cols)

    def _substitute_let(self, expr, stand_in, let: str):
        node = self.lets[let]
        if isinstance(stand_in, sp.Symbol):
            return expr.xreplace({stand_in: self.entry(node, 0, 0)})
        return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == stand_in,
                            lambda e: self.entry(node, e.indices[0], e.indices[1]))

    def on_diff(self, node, r, c):
        return self.derivative(node.args[0], node.args[1], node.value, r, c)

    def on_grad(self, node, r, c):
        var = node.args[1]
        if infer_shape(var, self.env) == ():
            return self.derivative(node.args[0], var, 1, 0, 0)
        return self.derivative(node.args[0], var, 1, 0, 0, position=(r, c))

    def on_jacobian(self, node, r, c):
        y, x = node.args
        rows, cols = self.extent(x)
        position = (c, 0) if cols == 1 else (0, c)
        if infer_shape(x, self.env) == ():
            position = None
        y_rows, y_cols = self.extent(y)
        yr, yc = (r, 0) if y_cols == 1 else (0, r)
        return self.derivative(y, x, 1, yr, yc, position=position)
