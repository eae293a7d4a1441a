"""A tree written back in the expression syntax (the whitelist parser's), for repaired sides.

A repair builds new trees out of old sub-trees; their `text` is stale (a parent still
carries the text it was parsed from).  `to_text` prints the tree itself, with the
parentheses Python's precedence needs, so that the printed text parses back to the
same tree (a test reads every printed catalog step back).  A tree with an operator
this printer does not know gives None rather than a guess.
"""

from __future__ import annotations

from fractions import Fraction

from .tree import COMPARISONS, Node

# Python's binding strengths, weakest first.
_OR, _AND, _NOT, _CMP, _ADD, _MUL, _NEG, _POW, _ATOM = range(9)
_BINARY = {"add": ("+", _ADD), "sub": ("-", _ADD), "mul": ("*", _MUL), "matmul": ("@", _MUL),
           "div": ("/", _MUL)}
_CALLS = {"grad", "jacobian", "onehot", "limit", "ones", "eye", "ind"}


class Unprintable(ValueError):
    """A node this printer does not know."""


def to_text(node: Node, generic: frozenset | set = frozenset()) -> str | None:
    """The expression-syntax text of `node`; `generic` names the declared functions (f, so f'(z) is
    `fprime(z)`).  None when some operator has no spelling here."""
    try:
        return _text(node, generic)[0]
    except Unprintable:
        return None


def _wrap(part: tuple[str, int], least: int) -> str:
    text, level = part
    return text if level >= least else f"({text})"


def _number(value: Fraction) -> tuple[str, int]:
    if value.denominator == 1:
        return (str(value.numerator), _ATOM) if value >= 0 else (str(value.numerator), _NEG)
    text = f"{abs(value.numerator)}/{value.denominator}"
    return (f"-{text}", _NEG) if value < 0 else (text, _MUL)


def _text(node: Node, generic) -> tuple[str, int]:
    op, args = node.op, node.args
    if op == "num":
        return _number(Fraction(node.value))
    if op == "name":
        return str(node.value), _ATOM
    if op in _BINARY:
        sign, level = _BINARY[op]
        left, right = (_text(a, generic) for a in args)
        gap = "" if op == "div" and left[1] == _ATOM else " "   # 1/m and 1/(m * n), but (a + b) / m
        return f"{_wrap(left, level)}{gap}{sign}{gap}{_wrap(right, level + 1)}", level
    if op == "pow":
        base, exponent = (_text(a, generic) for a in args)
        return f"{_wrap(base, _ATOM)}**{_wrap(exponent, _ATOM)}", _POW
    if op == "neg":
        return "-" + _wrap(_text(args[0], generic), _NEG + 1), _NEG
    if op == "T":
        return _wrap(_text(args[0], generic), _ATOM) + ".T", _ATOM
    if op == "index":
        base = _wrap(_text(args[0], generic), _ATOM)
        return f"{base}[{', '.join(_text(a, generic)[0] for a in args[1:])}]", _ATOM
    if op == "call":
        return f"{node.value}({_joined(args, generic)})", _ATOM
    if op in _CALLS:
        return f"{op}({_joined(args, generic)})", _ATOM
    if op == "diff":
        order = f", {node.value}" if node.value and node.value != 1 else ""
        return f"diff({_joined(args, generic)}{order})", _ATOM
    if op == "fapply":
        return _fapply(node, generic), _ATOM
    if op == "vector":
        return f"[{_joined(args, generic)}]", _ATOM
    if op in COMPARISONS:
        left, right = (_text(a, generic) for a in args)
        return f"{_wrap(left, _ADD)} {COMPARISONS[op]} {_wrap(right, _ADD)}", _CMP
    if op in ("and", "or"):
        level = _AND if op == "and" else _OR
        return f" {op} ".join(_wrap(_text(a, generic), level + 1) for a in args), level
    if op == "not":
        return "not " + _wrap(_text(args[0], generic), _NOT), _NOT
    raise Unprintable(op)


def _joined(args, generic) -> str:
    return ", ".join(_text(a, generic)[0] for a in args)


def _fapply(node: Node, generic) -> str:
    name, order = node.value
    argument = _text(node.args[0], generic)[0]
    if order == 0:
        return f"{name}({argument})"
    if order == 1 and name in generic:
        return f"{name}prime({argument})"
    return f"diff({name}{'' if order == 1 else f', {order}'})({argument})"
