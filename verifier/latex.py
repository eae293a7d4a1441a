"""Render the tree as LaTeX that GitHub's math renderer accepts.

Names are typeset the way the notes write them: Greek names become letters
(``delta`` -> \\delta), trailing digits become subscripts (``W2`` -> W_{2}), a
``hat`` suffix becomes an accent (``yhat`` -> \\hat{y}).
"""

from __future__ import annotations

import re
from fractions import Fraction

from .functions import FUNCTIONS
from .tree import Node

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
         "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
         "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"}
_NAME = re.compile(r"^([A-Za-z]+?)(hat|bar)?_?(\d*)$")
_PREC = {"add": 1, "sub": 1, "neg": 2, "mul": 3, "matmul": 3, "div": 3, "pow": 5, "T": 5, "index": 6}
_CMP = {"lt": "<", "le": r"\le", "gt": ">", "ge": r"\ge", "eq": "=", "ne": r"\ne"}


def render_name(name: str) -> str:
    m = _NAME.match(name)
    if not m:
        return r"\mathrm{" + name.replace("_", r"\_") + "}"
    stem, accent, digits = m.groups()
    body = "\\" + stem if stem in GREEK else (stem if len(stem) == 1 else r"\mathrm{" + stem + "}")
    if accent:
        body = rf"\{accent}{{{body}}}"
    return body + (f"_{{{digits}}}" if digits else "")


def render_number(value: Fraction, text: str) -> str:
    if "." in text:
        return text
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return rf"{sign}\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def to_latex(node: Node) -> str:
    op = node.op
    if op == "num":
        return render_number(node.value, node.text)
    if op == "name":
        return render_name(node.value)
    if op in ("add", "sub"):
        a, b = node.args
        return f"{to_latex(a)} {'+' if op == 'add' else '-'} {_wrap(b, 2)}"   # a + (b + c) keeps its parentheses
    if op in ("mul", "matmul"):
        left, right = _factor(node.args[0], left=True), _factor(node.args[1], left=False)
        # a number on the right takes a \cdot: `2 3.5` would read 23.5, `2 \frac{1}{4}` two and a quarter
        dot = right.lstrip("{")[:1].isdigit() or (left[-1:].isdigit() and right.startswith(r"\frac"))
        return f"{left} \\cdot {right}" if dot else f"{left} {right}"
    if op == "div":
        return rf"\frac{{{to_latex(node.args[0])}}}{{{to_latex(node.args[1])}}}"
    if op == "pow":
        return f"{{{_wrap(node.args[0], 6)}}}^{{{to_latex(node.args[1])}}}"
    if op == "neg":
        arg = node.args[0]
        return "-" + (_paren(arg) if _leading_number(arg) else _wrap(arg, 3))   # -(3 x), not (-3) x
    if op == "T":
        return f"{{{_wrap(node.args[0], 6)}}}^{{\\top}}"
    if op == "index":
        base, *idx = node.args
        return f"{{{_wrap(base, 6)}}}_{{{', '.join(to_latex(i) for i in idx)}}}"
    if op in _CMP:
        return f"{to_latex(node.args[0])} {_CMP[op]} {to_latex(node.args[1])}"
    if op in ("and", "or"):
        joiner = r" \;\wedge\; " if op == "and" else r" \;\vee\; "
        return joiner.join(_paren(a) if a.op in ("and", "or") else to_latex(a) for a in node.args)
    if op == "not":
        return r"\neg\left(" + to_latex(node.args[0]) + r"\right)"
    return _RENDER[op](node)


def _wrap(node: Node, level: int) -> str:
    text = to_latex(node)
    if _PREC.get(node.op, 10) < level or (level >= 6 and node.op == "num" and node.value < 0):
        return r"\left(" + text + r"\right)"
    return text


def _paren(node: Node) -> str:
    return r"\left(" + to_latex(node) + r"\right)"


_PRODUCTS = ("hadamard", "outer")


def _is_product(node: Node) -> bool:
    return node.op in ("mul", "matmul") or (node.op == "call" and node.value in _PRODUCTS)


def _factor(node: Node, *, left: bool) -> str:
    """An operand of a product (juxtaposition, \\odot, \\otimes: one level, read left to right).
    Sums and negations are parenthesised; on the right, so is any product (a (b c), a (b \\odot c));
    a Hadamard or outer product is parenthesised on either side, so that a^T (A \\odot X) b keeps its
    parentheses; a negative number only on the right."""
    signed = node.op == "neg" or (node.op == "num" and node.value < 0)
    if _PREC.get(node.op, 10) < 3 or (signed and not left) or (node.op == "call" and node.value in _PRODUCTS) \
            or (not left and _is_product(node)):
        return _paren(node)
    return to_latex(node)


def _leading_number(node: Node) -> bool:
    """Whether the rendering starts with a number (3 x): -3 x would read as (-3) x."""
    while node.op in ("mul", "matmul"):
        node = node.args[0]
        if node.op == "call" and node.value in _PRODUCTS:
            return False   # parenthesised by _factor
    while node.op == "call" and node.value in _PRODUCTS:
        node = node.args[0]
    return node.op == "num"


def _call(node: Node) -> str:
    fn = FUNCTIONS[node.value]
    if node.value in _PRODUCTS:
        sign = r"\odot" if node.value == "hadamard" else r"\otimes"
        return rf"{_wrap(node.args[0], 4)} {sign} {_wrap_right(node.args[1])}"
    if node.value == "dot":
        return rf"\left\langle {to_latex(node.args[0])}, {to_latex(node.args[1])} \right\rangle"
    if node.value == "sqrt":
        return rf"\sqrt{{{to_latex(node.args[0])}}}"
    if node.value == "Abs":
        return rf"\left|{to_latex(node.args[0])}\right|"
    return fn.latex + r"\left(" + ", ".join(to_latex(a) for a in node.args) + r"\right)"


def _wrap_right(node: Node) -> str:
    """The right operand of \\odot or \\otimes: a nested product keeps its parentheses."""
    return _paren(node) if node.op == "call" and node.value in _PRODUCTS else _wrap(node, 4)


def _fapply(node: Node) -> str:
    name, order = node.value
    head = FUNCTIONS[name].latex if name in FUNCTIONS else render_name(name)
    primes = "'" * order if order <= 3 else f"^{{({order})}}"
    return f"{head}{primes}" + _paren(node.args[0])


def _diff(node: Node) -> str:
    order = node.value
    top = r"\partial" if order == 1 else rf"\partial^{{{order}}}"
    var = to_latex(node.args[1])
    bottom = rf"\partial {var}" if order == 1 else rf"\partial {{{var}}}^{{{order}}}"
    return rf"\frac{{{top}}}{{{bottom}}}" + _paren(node.args[0])


def _grad(node: Node) -> str:
    return rf"\nabla_{{{to_latex(node.args[1])}}}" + _paren(node.args[0])


def _jacobian(node: Node) -> str:
    return rf"\frac{{\partial {_wrap(node.args[0], 6)}}}{{\partial {_wrap(node.args[1], 6)}}}"


def _onehot(node: Node) -> str:
    return rf"\operatorname{{onehot}}\left({to_latex(node.args[0])}, {to_latex(node.args[1])}\right)"


def _vector(node: Node) -> str:
    return r"\begin{bmatrix}" + r" \\ ".join(to_latex(a) for a in node.args) + r"\end{bmatrix}"


def _limit(node: Node) -> str:
    return rf"\lim_{{{to_latex(node.args[1])} \to {to_latex(node.args[2])}}}" + _paren(node.args[0])


def _ones(node: Node) -> str:
    return rf"\mathbf{{1}}_{{{to_latex(node.args[0])}}}"


def _eye(node: Node) -> str:
    return rf"\operatorname{{eye}}\left({to_latex(node.args[0])}\right)"


def _ind(node: Node) -> str:
    return r"\mathbb{1}\left[" + to_latex(node.args[0]) + r"\right]"


_RENDER = {"call": _call, "fapply": _fapply, "diff": _diff, "grad": _grad, "jacobian": _jacobian,
           "onehot": _onehot, "ones": _ones, "eye": _eye, "vector": _vector, "limit": _limit, "ind": _ind}
