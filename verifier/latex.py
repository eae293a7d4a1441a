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
        right = _wrap(b, 1 if op == "add" else 2)
        return f"{to_latex(a)} {'+' if op == 'add' else '-'} {right}"
    if op in ("mul", "matmul"):
        right = node.args[1]
        signed = right.op == "neg" or (right.op == "num" and right.value < 0)
        return f"{_wrap(node.args[0], 3)} " + (_paren(right) if signed else _wrap(right, 3))
    if op == "div":
        return rf"\frac{{{to_latex(node.args[0])}}}{{{to_latex(node.args[1])}}}"
    if op == "pow":
        return f"{{{_wrap(node.args[0], 6)}}}^{{{to_latex(node.args[1])}}}"
    if op == "neg":
        return "-" + _wrap(node.args[0], 3)
    if op == "T":
        return f"{{{_wrap(node.args[0], 6)}}}^{{\\top}}"
    if op == "index":
        base, *idx = node.args
        return f"{{{_wrap(base, 6)}}}_{{{', '.join(to_latex(i) for i in idx)}}}"
    if op in _CMP:
        return f"{to_latex(node.args[0])} {_CMP[op]} {to_latex(node.args[1])}"
    if op in ("and", "or"):
        joiner = r" \;\wedge\; " if op == "and" else r" \;\vee\; "
        return joiner.join(to_latex(a) for a in node.args)
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


def _call(node: Node) -> str:
    fn = FUNCTIONS[node.value]
    if node.value == "hadamard":
        return rf"{_wrap(node.args[0], 4)} \odot {_wrap(node.args[1], 4)}"
    if node.value == "outer":
        return rf"{_wrap(node.args[0], 4)} {{{_wrap(node.args[1], 6)}}}^{{\top}}"
    if node.value == "sqrt":
        return rf"\sqrt{{{to_latex(node.args[0])}}}"
    if node.value == "Abs":
        return rf"\left|{to_latex(node.args[0])}\right|"
    return fn.latex + r"\left(" + ", ".join(to_latex(a) for a in node.args) + r"\right)"


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
    return rf"e_{{{to_latex(node.args[0])}}}"


def _vector(node: Node) -> str:
    return r"\begin{bmatrix}" + r" \\ ".join(to_latex(a) for a in node.args) + r"\end{bmatrix}"


def _limit(node: Node) -> str:
    return rf"\lim_{{{to_latex(node.args[1])} \to {to_latex(node.args[2])}}}" + _paren(node.args[0])


def _ones(node: Node) -> str:
    return rf"\mathbf{{1}}_{{{to_latex(node.args[0])}}}"


def _ind(node: Node) -> str:
    return r"\mathbb{1}\left[" + to_latex(node.args[0]) + r"\right]"


_RENDER = {"call": _call, "fapply": _fapply, "diff": _diff, "grad": _grad, "jacobian": _jacobian,
           "onehot": _onehot, "ones": _ones, "vector": _vector, "limit": _limit, "ind": _ind}
