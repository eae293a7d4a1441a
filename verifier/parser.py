"""Parse expression text into the tree, through Python's ``ast`` and a whitelist.

The text of a claim file is untrusted: it is never passed to eval, exec,
sympify or parse_expr.  ``ast.parse`` only builds a syntax tree; every node type,
name and literal is checked here against a whitelist before anything is built.
"""

from __future__ import annotations

import ast
import difflib
import re
import warnings
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from . import limits
from .errors import UnsafeExpression
from .textsafe import describe_char
from .functions import ALIASES, SPECIAL, known_function_names, lookup
from .tree import Node, num

_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div",
           ast.Pow: "pow", ast.MatMult: "matmul"}
_CMPOPS = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}
CONSTANTS = {"pi"}


@dataclass(frozen=True)
class Scope:
    """The names an expression may use."""
    values: frozenset = frozenset()      # symbols, earlier let definitions, dimension names
    functions: frozenset = frozenset()   # generic functions declared as `function`
    shapes: tuple = ()                   # (name, shape) pairs where known: the LaTeX reader uses them
                                         # to tell an entry x_i from a name, and a gradient from a Jacobian

    def shape_of(self, name: str):
        """The shape of a value name: () for a scalar, (rows, cols) for an array, None when unknown."""
        return next((shape for n, shape in self.shapes if n == name), None)

    def describe(self) -> str:
        names = sorted(self.values | CONSTANTS)
        return "one of the declared names (" + ", ".join(names) + ")"


class _Parser:
    def __init__(self, text: str, scope: Scope, path: str, key: str):
        self.text, self.scope, self.path, self.key = text, scope, path, key
        self.count = 0
        # Offsets of line starts: a segment costs its own length, not the whole text's
        # (ast.get_source_segment splits the text again on every call: quadratic).
        self.line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        self.constants: dict = {}  # id(node) -> (node, folded value)

    def fail(self, problem: str, node: ast.AST | None = None, expected: str | None = None):
        snippet = self.segment(node) if node is not None else self.text
        raise UnsafeExpression(self.path, self.key, problem + hints(self.text, self.scope), text=snippet,
                               expected=expected)

    def segment(self, node: ast.AST) -> str:
        """The node's source text.  The text is ASCII, so ast's byte offsets are character offsets."""
        try:
            start = self.line_starts[node.lineno - 1] + node.col_offset
            end = self.line_starts[node.end_lineno - 1] + node.end_col_offset
        except (AttributeError, IndexError, TypeError):
            return self.text
        return self.text[start:end] or self.text

    def constant(self, node: Node, origin: ast.AST) -> Fraction | None:
        """The folded value of a constant sub-tree, refused when it would be too large."""
        try:
            return constant_value(node, self.constants)
        except ConstantTooLarge as exc:
            self.fail(f"constant too large ({exc})", origin,
                      f"constants of at most {limits.MAX_CONSTANT_BITS} bits")

    def build(self, node: ast.AST, depth: int = 0) -> Node:
        self.count += 1
        if self.count > limits.MAX_NODES:
            self.fail(f"expression has more than {limits.MAX_NODES} parts")
        if depth > limits.MAX_DEPTH:
            self.fail(f"expression is nested deeper than {limits.MAX_DEPTH} levels", node)
        method = getattr(self, "on_" + type(node).__name__, None)
        if method is None:
            self.fail(f"{type(node).__name__} syntax is not allowed", node,
                      "arithmetic, .T, indexing, comparisons and calls of known functions")
        return method(node, depth + 1)

    # -- leaves ---------------------------------------------------------------------
    def on_Constant(self, node, d):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail("only numeric literals are allowed", node, "an int or a decimal number")
        if isinstance(value, int):
            if abs(value) > limits.MAX_INTEGER_LITERAL:
                self.fail("integer literal too large", node, f"at most {limits.MAX_INTEGER_LITERAL}")
            return num(value, self.segment(node))
        if value != value or value in (float("inf"), float("-inf")):
            self.fail("non-finite literal", node)
        return num(Fraction(Decimal(repr(value))), self.segment(node))

    def on_Name(self, node, d):
        name = node.id
        if name.startswith("_"):
            self.fail("names starting with an underscore are not allowed", node)
        if name in self.scope.values or name in CONSTANTS:
            return Node("name", (), name, name)
        if name in self.scope.functions or lookup(name) or name in SPECIAL:
            self.fail(f"function `{name}` used without arguments", node, f"{name}(...)")
        self.fail(f"unknown name `{name}`", node, self.scope.describe())

    def on_List(self, node, d):
        if not 1 <= len(node.elts) <= limits.MAX_LITERAL_DIM:
            self.fail(f"a vector literal has 1 to {limits.MAX_LITERAL_DIM} entries", node, "[a, b, c]")
        return Node("vector", tuple(self.build(e, d) for e in node.elts), None, self.segment(node))

    # -- operators ----------------------------------------------------------------
    def on_BinOp(self, node, d):
        op = _BINOPS.get(type(node.op))
        if op is None:
            self.fail(f"operator {type(node.op).__name__} is not allowed", node, "+ - * / ** @")
        left, right = self.build(node.left, d), self.build(node.right, d)
        if op == "pow":
            self.check_exponent(right, node)
        result = Node(op, (left, right), None, self.segment(node))
        self.constant(result, node)  # folds (and bounds) every constant sub-tree once, bottom up
        return result

    def check_exponent(self, exponent: Node, node):
        value = self.constant(exponent, node)
        if value is not None and abs(value) > limits.MAX_CONSTANT_EXPONENT:
            self.fail("constant exponent too large", node, f"|exponent| <= {limits.MAX_CONSTANT_EXPONENT}")

    def on_UnaryOp(self, node, d):
        operand = self.build(node.operand, d)
        if isinstance(node.op, ast.USub):
            if operand.op == "num":
                return num(-operand.value, self.segment(node))
            return Node("neg", (operand,), None, self.segment(node))
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not):
            return Node("not", (operand,), None, self.segment(node))
        self.fail("operator ~ is not allowed", node)

    def on_Compare(self, node, d):
        if len(node.ops) != 1:
            self.fail("chained comparisons are not allowed", node, "`a < b and b < c`")
        op = _CMPOPS.get(type(node.ops[0]))
        if op is None:
            self.fail(f"comparison {type(node.ops[0]).__name__} is not allowed", node, "< <= > >= == !=")
        args = (self.build(node.left, d), self.build(node.comparators[0], d))
        return Node(op, args, None, self.segment(node))

    def on_BoolOp(self, node, d):
        op = "and" if isinstance(node.op, ast.And) else "or"
        return Node(op, tuple(self.build(v, d) for v in node.values), None, self.segment(node))

    def on_Attribute(self, node, d):
        if node.attr != "T":
            self.fail(f"attribute `.{node.attr}` is not allowed", node, "only `.T` (transpose)")
        return Node("T", (self.build(node.value, d),), None, self.segment(node))

    def on_Subscript(self, node, d):
        base = self.build(node.value, d)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if not 1 <= len(items) <= 2 or any(isinstance(i, ast.Slice) for i in items):
            self.fail("indexing takes one or two indices, no slices", node, "x[i] or W[i, j]")
        indices = tuple(self.build(i, d) for i in items)
        return Node("index", (base,) + indices, None, self.segment(node))

    # -- calls --------------------------------------------------------------------
    def on_Call(self, node, d):
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            self.fail("keyword or starred arguments are not allowed", node)
        func = node.func
        if isinstance(func, ast.Call):
            return self.derivative_function_call(node, d)
        if not isinstance(func, ast.Name):
            self.fail("only named functions can be called", node, "one of " + ", ".join(known_function_names()))
        name = func.id
        if name.startswith("_"):
            self.fail("names starting with an underscore are not allowed", node)
        if not (name in self.scope.functions or name in SPECIAL or lookup(name)
                or (name.endswith("prime") and name[:-5] in self.scope.functions)):
            self.fail(f"unknown function `{name}`", node,
                      "one of " + ", ".join(known_function_names() + sorted(self.scope.functions)))
        if name in self.scope.functions:
            return self.fapply(node, name, 0, d)
        if name.endswith("prime") and name[:-5] in self.scope.functions:
            return self.fapply(node, name[:-5], 1, d)
        args = tuple(self.build(a, d) for a in node.args)
        if name in SPECIAL:
            return self.special(node, name, args)
        fn = lookup(name)
        self.need_args(node, name, args, fn.arity)
        return Node("call", args, fn.name, self.segment(node))

    def need_args(self, node, name, args, *counts):
        if len(args) not in counts:
            want = " or ".join(str(c) for c in counts)
            self.fail(f"`{name}` takes {want} argument(s), got {len(args)}", node)

    def special(self, node, name, args):
        if name == "diff":
            self.need_args(node, name, args, 2, 3)
            order = 1
            if len(args) == 3:
                order = self.constant(args[2], node)
                if order is None or order.denominator != 1 or not 1 <= order <= 4:
                    self.fail("derivative order must be 1 to 4", node)
            return Node("diff", args[:2], int(order), self.segment(node))
        if name in ("grad", "jacobian", "onehot"):
            self.need_args(node, name, args, 2)
            return Node(name, args, None, self.segment(node))
        if name == "limit":
            self.need_args(node, name, args, 3)
            if args[1].op != "name" or self.constant(args[2], node) is None:
                self.fail("limit(expr, eps, point) needs a symbol and a constant point", node)
            return Node("limit", args, None, self.segment(node))
        if name in ("ones", "eye"):
            self.need_args(node, name, args, 1)
            return Node(name, args, None, self.segment(node))
        if name == "transpose":
            self.need_args(node, name, args, 1)
            return Node("T", args, None, self.segment(node))
        self.need_args(node, name, args, 1)   # ind
        return Node("ind", args, None, self.segment(node))

    def derivative_function_call(self, node, d):
        """diff(f)(z), diff(f, 2)(z), diff(sigmoid)(z)."""
        inner = node.func
        if not (isinstance(inner.func, ast.Name) and inner.func.id == "diff" and not inner.keywords
                and 1 <= len(inner.args) <= 2 and isinstance(inner.args[0], ast.Name)):
            self.fail("a call result can only be called as diff(f)(z)", node)
        name = inner.args[0].id
        order = 1
        if len(inner.args) == 2:
            order = self.constant(self.build(inner.args[1], d), node)
            if order is None or order.denominator != 1 or not 1 <= order <= 4:
                self.fail("derivative order must be 1 to 4", node)
        if name not in self.scope.functions:
            fn = lookup(name)
            if fn is None or fn.scalar is None:
                self.fail(f"diff({name}) needs a declared function or an entrywise function", node)
            name = fn.name
        return self.fapply(node, name, int(order), d)

    def fapply(self, node, name, order, d):
        if len(node.args) != 1:
            self.fail(f"`{name}` takes one argument", node)
        arg = self.build(node.args[0], d)
        return Node("fapply", (arg,), (name, order), self.segment(node))


class ConstantTooLarge(ValueError):
    """A constant sub-expression whose value would exceed limits.MAX_CONSTANT_BITS."""


def constant_value(node: Node, memo: dict | None = None) -> Fraction | None:
    """The value of a tree made only of numbers and + - * / and small integer powers.

    The size of every result is bounded *before* it is computed (a power tower such
    as ``((9**64)**64)**64`` is refused, not evaluated): ConstantTooLarge when a
    numerator or denominator would need more than limits.MAX_CONSTANT_BITS bits.
    ``memo`` (id(node) -> value) makes folding a whole tree linear.
    """
    memo = {} if memo is None else memo
    key = id(node)
    if key not in memo:
        memo[key] = (node, _fold(node, memo))  # the node is kept alive: its id cannot be reused
    return memo[key][1]


def _fold(node: Node, memo: dict) -> Fraction | None:
    if node.op == "num":
        return _bounded(node.value, _bits(node.value))
    if node.op == "neg":
        v = constant_value(node.args[0], memo)
        return None if v is None else -v
    if node.op not in ("add", "sub", "mul", "div", "pow"):
        return None
    a, b = (constant_value(x, memo) for x in node.args)
    if a is None or b is None:
        return None
    if node.op == "pow":
        if b.denominator != 1 or abs(b) > limits.MAX_CONSTANT_EXPONENT or (a == 0 and b < 0):
            return None
        return _bounded(None, _bits(a) * abs(int(b))) or a ** int(b)
    if node.op == "div":
        return None if b == 0 else _bounded(None, _bits(a) + _bits(b)) or a / b
    if node.op == "mul":
        return _bounded(None, _bits(a) + _bits(b)) or a * b
    _bounded(None, _bits(a) + _bits(b) + 1)  # a sum's denominator is at most the product's
    return a + b if node.op == "add" else a - b


def _bits(value: Fraction) -> int:
    return max(abs(value.numerator).bit_length(), value.denominator.bit_length())


def _bounded(value, bits: int):
    """value, once its (predicted) size is known to be within the cap."""
    if bits > limits.MAX_CONSTANT_BITS:
        raise ConstantTooLarge(f"about {bits} bits")
    return value


def check_text(text, path: str, key: str, *, what: str, expected: str) -> None:
    """The checks every claim text goes through before a parser sees it: a string, of bounded length."""
    if not isinstance(text, str):
        raise UnsafeExpression(path, key, f"expected a string, got {type(text).__name__}",
                               text=repr(text)[:80], expected=expected)
    if len(text) > limits.MAX_EXPRESSION_CHARS:
        raise UnsafeExpression(path, key, f"{what} longer than {limits.MAX_EXPRESSION_CHARS} characters",
                               text=text[:80])


def parse_expression(text, scope: Scope, *, path: str = "<string>", key: str = "expr") -> Node:
    """Parse one expression; raise UnsafeExpression naming path, key and the offending text."""
    check_text(text, path, key, what="expression", expected="an expression in quotes")
    if not text.strip():
        raise UnsafeExpression(path, key, "empty expression", text=text, expected="an expression")
    check_ascii(text, path, key)
    try:
        with warnings.catch_warnings():  # `1if x else 2` and friends must not print SyntaxWarnings
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise UnsafeExpression(path, key, f"not an expression ({exc.msg})" + hints(text, scope),
                               text=text) from None
    except (RecursionError, MemoryError, ValueError):
        raise UnsafeExpression(path, key, "expression is nested too deeply", text=text[:80]) from None
    parser = _Parser(text.strip(), scope, path, key)
    return parser.build(tree.body)


_IMPLICIT_PRODUCT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*([A-Za-z(])")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def hints(text: str, scope: Scope) -> str:
    """What the writer probably meant, appended to a parse error: LaTeX in the wrong key, `^` for a
    power, `2x` for 2*x, a near miss of a known function or declared name."""
    found = []
    if "\\" in text or "{" in text or "}" in text:
        found.append("this looks like LaTeX: put a whole relation in `latex = '...'` under [check], "
                     "or write one expression between dollar signs ('$...$')")
    if "^" in text:
        found.append("use `**` for powers (`x**2`), `.T` for a transpose")
    match = _IMPLICIT_PRODUCT.search(text)
    if match and not match.group(0).lower().startswith(("0x", "0b", "0o")) and not re.match(r"\d+(\.\d+)?[eEjJ]", match.group(0)):
        found.append(f"write `{match.group(1)}*{match.group(2)}` for `{match.group(1)}{match.group(2)}`: "
                     "products need `*`")
    known = set(known_function_names()) | set(scope.values) | set(scope.functions) | CONSTANTS
    for word in dict.fromkeys(_WORD.findall(text)):
        if word not in known:
            close = _close_names(word, known)
            if close:
                found.append(f"did you mean {' or '.join(f'`{c}`' for c in close)} for `{word}`?")
                break
    return "".join(f"; hint: {h}" for h in found)


def check_ascii(text: str, path: str, key: str, *,
                expected: str = "ASCII letters, digits, operators and spaces only") -> None:
    """Refuse any non-ASCII character: Python's parser would NFKC-normalise `ｅｘｐ` or `𝑥`
    into `exp` or `x`, so the file would say one thing and the verifier check another."""
    for i, ch in enumerate(text):
        if not (" " <= ch <= "~" or ch in "\t\n\r"):
            raise UnsafeExpression(path, key, f"character {describe_char(ch)} at position {i + 1} is not allowed",
                                   text=text[max(0, i - 30): i + 30],
                                   expected=expected)


__all__ = ["Scope", "parse_expression", "constant_value", "ConstantTooLarge", "ALIASES"]


def _close_names(word: str, known) -> list[str]:
    """Up to two near-miss names, best first; a name with the same letters (a transposition: `tahn`) first."""
    close = difflib.get_close_matches(word, sorted(known), n=2, cutoff=0.75)
    return sorted(close, key=lambda c: sorted(c) != sorted(word))
