"""Turn the LaTeX parse tree (latex.lark) into the expression tree, with the claim's scope.

The grammar leaves three things open that only the declarations decide: whether a
subscripted letter is a name or an entry (`x_1`: the name x1, or x[1]), whether a
letter is a function or a value (`f(z)`, `x(a + b)`), and what a derivative
fraction means (d/dx by a scalar, a gradient by a matrix, a Jacobian by a vector).
An unresolved reading is an error that lists the possible ones.  Every node is
built through ``Builder.make``, which applies the expression parser's limits
(node count, nesting depth, constant sizes).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction

from lark import Token, Tree

from . import limits
from .errors import UnsafeExpression
from .functions import is_vector, lookup
from .parser import CONSTANTS, ConstantTooLarge, Scope, constant_value
from .tree import Node, num

_RELATIONS = {"=": "=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "\\le": "<=", "\\leq": "<=",
              "\\leqslant": "<=", "\\ge": ">=", "\\geq": ">=", "\\geqslant": ">=", "\\lt": "<", "\\gt": ">",
              "\\ne": "!=", "\\neq": "!="}
_COMPARE = {"=": "eq", "<": "lt", ">": "gt", "<=": "le", ">=": "ge", "!=": "ne"}
# LaTeX function commands -> table names; \operatorname{...} and \mathrm{...} also accept every table name.
LATEX_FUNCTIONS = {"log": "log", "ln": "log", "exp": "exp", "sin": "sin", "cos": "cos", "tanh": "tanh",
                   "sigma": "sigmoid", "max": "Max", "min": "Min", "det": "det", "tr": "trace",
                   "sgn": "sign", "diag": "diag"}
_WORD_FUNCTIONS = {"tr": "trace", "Tr": "trace", "softmax": "softmax", "sgn": "sign", "ln": "log"}
_PRODUCTS = {"\\cdot": "mul", "\\times": "mul", "*": "mul", "\\ast": "mul", "/": "div",
             "\\odot": "hadamard", "\\circ": "hadamard", "\\otimes": "outer"}
_ACCENTS = {"\\hat": "hat", "\\widehat": "hat", "\\bar": "bar", "\\overline": "bar", "\\tilde": "tilde"}
_PLAIN = {"\\mathbf", "\\boldsymbol", "\\bm", "\\vec"}
_SIMPLE = {"letter", "command", "accent", "text"}


@dataclass
class Item:
    """One factor of a product: a value, a function waiting for its argument(s), or an
    operator (d/dx, \\nabla_x, \\sum_j, \\lim) waiting for its operand."""
    kind: str                        # "value", "function", "operator"
    node: Node | None = None         # value
    args: tuple = ()                 # a parenthesised factor: its elements
    apply: object = None             # function: list[Node] -> Node; operator: Node -> Node
    power: object = None             # \tanh^2(x): the exponent applied after the call
    bound: str | None = None         # \sum_j: the summation index, in scope while the operand is built
    tree: object = None
    label: str = ""
    extra: dict = field(default_factory=dict)


class Builder:
    def __init__(self, text: str, scope: Scope, path: str, key: str):
        self.text, self.scope, self.path, self.key = text, scope, path, key
        self.count, self.nesting = 0, 0
        self.depths: dict = {}       # id(node) -> (node, depth below it)
        self.constants: dict = {}    # constant_value's memo
        self.bound: list[str] = []   # summation indices in scope
        self.signs: dict = {}        # id(factor tree) -> (tree, negated after an explicit operator)

    # -- errors and node construction -------------------------------------------------
    def snippet(self, tree) -> str:
        meta = getattr(tree, "meta", None)
        if isinstance(tree, Token):
            start, end = tree.start_pos, tree.end_pos
        elif meta is not None and not getattr(meta, "empty", True):
            start, end = meta.start_pos, meta.end_pos
        else:
            return self.text
        return self.text[start:end] or self.text

    def spanning(self, node: Node, first, last) -> Node:
        """node with its text from the start of `first` to the end of `last` (an operator or function and
        its operand, shown whole in reports: `\\frac{d}{dx} x^3`, not `\\frac{d}{dx}`)."""
        starts = [getattr(x, "start_pos", None) or getattr(getattr(x, "meta", None), "start_pos", None)
                  for x in (first, last)]
        ends = [getattr(x, "end_pos", None) or getattr(getattr(x, "meta", None), "end_pos", None)
                for x in (first, last)]
        if starts[0] is None or ends[1] is None or ends[1] <= starts[0]:
            return node
        wide = replace(node, text=self.text[starts[0]:ends[1]])
        if id(node) in self.depths:
            self.depths[id(wide)] = (wide, self.depths[id(node)][1])
        return wide

    def fail(self, problem: str, tree=None, expected: str | None = None):
        text = self.snippet(tree) if tree is not None else self.text
        raise UnsafeExpression(self.path, self.key, problem, text=text, expected=expected)

    def make(self, op: str, args=(), value=None, tree=None) -> Node:
        self.count += 1
        if self.count > limits.MAX_NODES:
            self.fail(f"formula has more than {limits.MAX_NODES} parts")
        depth = 1 + max((self.depths[id(a)][1] if id(a) in self.depths else 1 for a in args), default=0)
        if depth > limits.MAX_DEPTH:
            self.fail(f"formula is nested deeper than {limits.MAX_DEPTH} levels", tree)
        node = Node(op, tuple(args), value, self.snippet(tree) if tree is not None else "")
        self.depths[id(node)] = (node, depth)
        if op in ("add", "sub", "mul", "div", "pow", "neg"):
            try:
                constant_value(node, self.constants)
            except ConstantTooLarge as exc:
                self.fail(f"constant too large ({exc})", tree, f"constants of at most {limits.MAX_CONSTANT_BITS} bits")
        if op == "pow":
            exponent = constant_value(args[1], self.constants)   # already folded (and bounded) above
            if exponent is not None and abs(exponent) > limits.MAX_CONSTANT_EXPONENT:
                self.fail("constant exponent too large", tree, f"|exponent| <= {limits.MAX_CONSTANT_EXPONENT}")
        return node

    def number(self, value: Fraction, tree) -> Node:
        node = num(value, self.snippet(tree))
        self.depths[id(node)] = (node, 1)
        self.count += 1
        return node

    def name(self, name: str, tree=None) -> Node:
        return self.make("name", (), name, tree)

    def call(self, fname: str, args, tree) -> Node:
        fn = lookup(fname)
        if len(args) != fn.arity:
            self.fail(f"`{fname}` takes {fn.arity} argument(s), got {len(args)}", tree)
        return self.make("call", args, fn.name, tree)

    # -- entry points ---------------------------------------------------------------------
    def expression(self, tree) -> Node:
        return self.build(tree.children[0])

    def relation(self, tree) -> tuple[list[Node], str | list[str]]:
        """The sides and the relation; for a chain with an inequality (`0 < \\sigma(x) < 1`) the list of
        its links' relations."""
        chain = _single(tree.children[0], ("logic", "conj", "negation"))
        if chain is None or chain.data != "chain":
            self.fail("`and`, `or` and `not` belong in conditions, not in the claim itself", tree,
                      "an equation `a = b`, an inequality `a \\le b` or a chain `a = b = c`")
        sides = [c for c in chain.children if isinstance(c, Tree)]
        rels = [_RELATIONS.get(c.value, c.value) for c in chain.children if isinstance(c, Token)]
        if not rels:
            self.fail("no relation: a claim needs `=`, `<`, `\\le`, `>` or `\\ge`", tree,
                      "`lhs = rhs`, `lhs \\le rhs` or `a = b = c`")
        bad = next((r for r in rels if r not in ("=", "<", "<=", ">", ">=")), None)
        if bad is not None:
            self.fail(f"`{bad}` cannot be the relation of a claim", tree, "= < \\le > \\ge")
        if len(sides) > limits.MAX_STEPS:
            self.fail(f"more than {limits.MAX_STEPS} steps", tree)
        return [self.build(s) for s in sides], rels if len(rels) > 1 and set(rels) != {"="} else rels[0]

    # -- recursive construction -------------------------------------------------------------
    def build(self, tree) -> Node:
        self.nesting += 1
        if self.nesting > 3 * limits.MAX_DEPTH:
            self.fail(f"formula is nested deeper than {limits.MAX_DEPTH} levels", tree)
        try:
            return getattr(self, "on_" + tree.data)(tree)
        finally:
            self.nesting -= 1

    def on_logic(self, t):
        parts = [self.build(c) for c in t.children if isinstance(c, Tree)]
        return parts[0] if len(parts) == 1 else self.make("or", parts, None, t)

    def on_conj(self, t):
        parts = [self.build(c) for c in t.children if isinstance(c, Tree)]
        return parts[0] if len(parts) == 1 else self.make("and", parts, None, t)

    def on_negation(self, t):
        if isinstance(t.children[0], Token):
            return self.make("not", (self.build(t.children[1]),), None, t)
        return self.build(t.children[0])

    def on_chain(self, t):
        sides = [c for c in t.children if isinstance(c, Tree)]
        if len(sides) == 1:
            return self.build(sides[0])
        rels = [c for c in t.children if isinstance(c, Token)]
        if len(sides) > 2 or rels[0].value == "\\to":
            self.fail("a condition compares two sides once", t, "`a < b \\wedge b < c`")
        op = _COMPARE[_RELATIONS.get(rels[0].value, rels[0].value)]
        return self.make(op, (self.build(sides[0]), self.build(sides[1])), None, t)

    def on_sum(self, t):
        result = self.build(t.children[0])
        for i in range(1, len(t.children), 2):
            op = "add" if t.children[i].value == "+" else "sub"
            result = self.make(op, (result, self.build(t.children[i + 1])), None, t)
        return result

    def on_term(self, t):
        if isinstance(t.children[0], Token):
            inner = self.build(t.children[1])
            if t.children[0].value == "+":
                return inner
            return self.negate(inner, t, leading=_starts_with_number(t.children[1]))
        return self.build(t.children[0])

    def negate(self, node: Node, t, *, leading: bool = False) -> Node:
        """-x.  A number written right after the sign takes it: -3 x is (-3) x, as in the expression
        syntax, while -(3 x) stays the negation of a product."""
        if node.op == "num":
            return self.number(-node.value, t)
        if not leading:
            return self.make("neg", (node,), None, t)
        spine = [node]
        while spine[-1].op in ("mul", "matmul") or (spine[-1].op == "call" and spine[-1].value in ("hadamard", "outer")):
            spine.append(spine[-1].args[0])
        if len(spine) > 1 and spine[-1].op == "num":
            rebuilt = self.number(-spine[-1].value, t)
            for parent in reversed(spine[:-1]):
                rebuilt = self.make(parent.op, (rebuilt,) + parent.args[1:], parent.value, t)
            return rebuilt
        return self.make("neg", (node,), None, t)

    # -- products: implicit multiplication, functions and operators ------------------------
    def on_product(self, t):
        entries, op = [], None
        for child in t.children:
            if isinstance(child, Token):
                op = child
                continue
            negative = False
            while child.data == "sfactor":      # a \cdot -b: the sign belongs to the operand after the operator
                if len(child.children) == 1:
                    child = child.children[0]
                    break
                negative ^= child.children[0].value == "-"
                child = child.children[1]
            self.signs[id(child)] = (child, negative)
            entries.append((op, child))
            op = None
        return self.fold(entries, t)

    def fold(self, entries, t) -> Node:
        result, i = None, 0
        while i < len(entries):
            op, factor = entries[i]
            value, i = self.operand(entries, i, t)
            if self.signs.get(id(factor), (None, False))[1]:
                value = self.negate(value, t)
            result = value if result is None else self.combine(op, result, value, t)
        return result

    def combine(self, op, left: Node, right: Node, t) -> Node:
        kind = "mul" if op is None else _PRODUCTS[op.value]
        if kind in ("hadamard", "outer"):
            return self.call(kind, (left, right), t)
        return self.make(kind, (left, right), None, t)

    def operand(self, entries, i, t) -> tuple[Node, int]:
        """The value that starts at entries[i]: a value, or a function or operator applied to
        what follows it (a function takes the next factor; an operator takes a parenthesised
        factor right after it, else the rest of the product)."""
        self.nesting += 1      # \log\log\log...x nests one level per function
        try:
            return self._operand(entries, i, t)
        finally:
            self.nesting -= 1

    def _operand(self, entries, i, t) -> tuple[Node, int]:
        if self.nesting > 3 * limits.MAX_DEPTH:
            self.fail(f"formula is nested deeper than {limits.MAX_DEPTH} levels", entries[i][1])
        item = self.item(entries[i][1])
        if item.kind == "value":
            if len(item.args) > 1:
                self.fail("a list `(a, b)` can only be the arguments of a function", item.tree,
                          "\\max(a, b) or a single parenthesised expression")
            return item.node, i + 1
        if i + 1 >= len(entries):
            self.fail(f"{item.label} needs an argument after it", item.tree)
        nxt_op, nxt_tree = entries[i + 1]
        if nxt_op is not None:
            self.fail(f"{item.label} is followed by `{nxt_op.value}`, not by its argument", item.tree)
        if item.kind == "function":
            # \tanh(x)^2 is (tanh x)^2 and softmax(z)_1 its entry: scripts after the parentheses apply to
            # the function's value, not to its argument
            bare, after = _parenthesised_and_scripts(nxt_tree)
            nxt = self.item(bare) if bare is not None else None
            if nxt is not None:
                args, j = list(nxt.args), i + 2
            else:
                arg, j = self.operand(entries, i + 1, t)
                args, after = [arg], []
            value = item.apply(args)
            if item.power is not None:
                value = self.make("pow", (value, item.power), None, t)
            if after:
                from .latex_items import apply_scripts   # latex_items builds on this module
                value = apply_scripts(self, value, after, nxt_tree, what=f"{item.label}(...)")
            return self.spanning(value, entries[i][1], entries[j - 1][1]), j
        if item.bound:
            self.bound.append(item.bound)
        try:
            if _is_parenthesised(nxt_tree) and not item.bound:
                body = self.item(nxt_tree)
                if len(body.args) != 1:
                    self.fail(f"{item.label} takes one operand", nxt_tree)
                return self.spanning(item.apply(body.node), entries[i][1], nxt_tree), i + 2
            value = item.apply(self.fold([(None, e[1]) if k == 0 else e for k, e in enumerate(entries[i + 1:])], t))
            return self.spanning(value, entries[i][1], entries[-1][1]), len(entries)
        finally:
            if item.bound:
                self.bound.pop()

    def item(self, factor) -> Item:
        from .latex_items import factor_item   # latex_items builds on this module: imported when first used
        return factor_item(self, factor)

    # -- names ---------------------------------------------------------------------------------
    def values(self) -> set:
        return set(self.scope.values) | CONSTANTS | set(self.bound)

    def shape_of(self, name: str):
        return () if name in self.bound else self.scope.shape_of(name)

    def unknown_name(self, candidates, tree):
        want = sorted(self.values())
        close = difflib.get_close_matches(candidates[0], want + sorted(self.scope.functions), n=1)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        shown = " or ".join(f"`{c}`" for c in dict.fromkeys(candidates))
        self.fail(f"unknown name {shown}{hint}", tree, "one of the declared names (" + ", ".join(want) + ")")


def _starts_with_number(term) -> bool:
    """Whether a term's product starts with a bare number token (3 x, not (3 x) or 3^2 x)."""
    product = _single(term, ("term",))
    if not (isinstance(product, Tree) and product.data == "product"):
        return False
    first = product.children[0]
    return len(first.children) == 1 and isinstance(first.children[0], Tree) and first.children[0].data == "number"


def _single(tree, wrappers):
    """Descend through one-child wrapper rules."""
    while isinstance(tree, Tree) and tree.data in wrappers and len(tree.children) == 1:
        tree = tree.children[0]
    return tree


def _parenthesised_and_scripts(factor):
    """(the factor without its scripts, the scripts as (kind, argument)) when it is (...), [...] or
    \\{...\\}; (None, []) otherwise."""
    if not (isinstance(factor, Tree) and factor.data == "factor" and factor.children
            and isinstance(factor.children[0], Tree) and factor.children[0].data in ("paren", "bracket", "setbraces")):
        return None, []
    return Tree("factor", [factor.children[0]]), [(s.data, s.children[-1]) for s in factor.children[1:]]


def _is_parenthesised(factor) -> bool:
    """A factor that is (...), [...] or \\{...\\} with no script."""
    return (isinstance(factor, Tree) and len(factor.children) == 1 and isinstance(factor.children[0], Tree)
            and factor.children[0].data in ("paren", "bracket", "setbraces"))


def decimal(text: str) -> Fraction:
    return Fraction(Decimal(text))


def shape_kind(shape) -> str:
    """"scalar", "vector", "matrix" or "unknown"."""
    if shape is None:
        return "unknown"
    if shape == ():
        return "scalar"
    return "vector" if is_vector(shape) else "matrix"


__all__ = ["Builder", "Item", "LATEX_FUNCTIONS"]
