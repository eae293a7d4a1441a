"""Read LaTeX math from claim files into the expression tree that parser.py builds.

The grammar is data (``latex.lark``, LALR: linear in the text); this module lexes
it, re-types LaTeX commands from one table (``Retype``), and hands the parse tree
to ``latex_build.Builder``, which resolves names against the claim's declarations
and builds ``verifier/tree.py`` nodes under the same whitelist and size limits as
the expression parser.  The text is never passed to eval, exec, sympify or
parse_expr.

Entry points: ``parse_latex`` (one expression or condition), ``parse_latex_relation``
(an equation, an inequality or a chain: the steps and the relation of a claim) and
``looks_like_latex``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import limits
from .errors import UnsafeExpression
from .parser import Scope, check_ascii, check_text
from .tree import Node

GRAMMAR = Path(__file__).with_name("latex.lark")

# LaTeX commands with a grammatical role: command name -> token type.  Every other command
# stays a CMD (a Greek letter, a function such as \log, or an error naming it).
_ROLES = {
    "FRAC": "frac dfrac tfrac", "SQRT": "sqrt", "SUM": "sum", "NABLA": "nabla", "LIM": "lim",
    "TEXTCMD": "mathrm operatorname text textrm mathit textit rm",
    "ACCENT": "hat bar tilde vec mathbf boldsymbol bm mathbb overline widehat",
    "BEGIN": "begin", "END": "end", "AND": "land wedge", "OR": "lor vee", "NOT": "neg lnot",
    "TOP": "top intercal", "PARTIAL": "partial", "LANGLE": "langle", "RANGLE": "rangle",
    "MULOP": "cdot times odot circ otimes ast", "PRIME": "prime",
    "REL": "le leq leqslant ge geq geqslant ne neq lt gt to",
}
CMD_TYPES = {name: kind for kind, names in _ROLES.items() for name in names.split()}
# Commands that change only the typesetting: dropped before parsing (\left( is read as ().
DROPPED = set("left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr middle quad qquad "
              "displaystyle textstyle limits nolimits".split())
# Tokens after which a bar closes an absolute value or a norm (they end an operand).
_ENDS_OPERAND = {"LETTER", "DIGIT", "NUMBER", "RPAR", "RSQB", "RBRACE", "RSET", "RBAR", "RNORM",
                 "PRIME", "CMD", "TOP", "RANGLE"}


class Retype:
    """Post-lexer: re-type commands from CMD_TYPES, drop typesetting commands, and tell an
    opening bar from a closing one (|x|, \\|x\\|, \\left| ... \\right|) by the token before it."""

    always_accept = ("CMD", "BAR", "DBAR")

    def process(self, stream):
        prev, side, open_bars = None, None, []
        for tok in stream:
            if tok.type == "CMD":
                name = tok.value[1:]
                if name in DROPPED:
                    side = name if name in ("left", "right") else side
                    continue
                if name in CMD_TYPES:
                    tok = Token.new_borrow_pos(CMD_TYPES[name], tok.value, tok)
            elif tok.type in ("BAR", "DBAR"):
                tok = self._bar(tok, prev, side, open_bars)
            side, prev = None, tok
            yield tok

    @staticmethod
    def _bar(tok, prev, side, open_bars):
        closes = side == "right" or (side != "left" and bool(open_bars) and open_bars[-1] == tok.type
                                     and prev is not None and prev.type in _ENDS_OPERAND)
        if closes:
            open_bars.pop()
        else:
            open_bars.append(tok.type)
        kind = ("R" if closes else "L") + ("BAR" if tok.type == "BAR" else "NORM")
        return Token.new_borrow_pos(kind, tok.value, tok)


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="basic", postlex=Retype(),
                propagate_positions=True, maybe_placeholders=False)


_LATEX_HINT = re.compile(r"\\[A-Za-z]|[{}]|\^|\b[a-zA-Z]_[{A-Za-z0-9]")


def looks_like_latex(text) -> bool:
    """True when the text reads as LaTeX rather than the Python-like expression syntax:
    a backslash command (\\frac, \\sigma), braces, a caret, or a subscript written x_i / x_{i}."""
    return isinstance(text, str) and bool(_LATEX_HINT.search(text))


def parse_latex_tree(text, *, path: str, key: str):
    """The lark parse tree of a LaTeX formula, after the checks every claim text goes through."""
    check_text(text, path, key, what="formula", expected="LaTeX math in quotes")
    body = _strip_math_delimiters(text)
    if not body.strip():
        raise UnsafeExpression(path, key, "empty formula", text=text, expected="LaTeX math")
    check_ascii(body, path, key, expected="ASCII LaTeX: write \\sigma, not the Greek letter itself")
    _check_nesting(body, path, key)
    try:
        return _lark().parse(body), body
    except UnexpectedInput as exc:
        raise UnsafeExpression(path, key, _describe(exc, body), text=_around(body, exc),
                               expected=_expected(exc)) from None
    except (LarkError, RecursionError):
        raise UnsafeExpression(path, key, "not a formula this reader knows", text=body[:80]) from None


def _strip_math_delimiters(text: str) -> str:
    """`$...$`, `$$...$$`, `\\(...\\)` and `\\[...\\]` around the whole formula are allowed."""
    body = text.strip()
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if len(body) >= len(left) + len(right) and body.startswith(left) and body.endswith(right):
            return body[len(left): len(body) - len(right)]
    return body


def _check_nesting(body: str, path: str, key: str) -> None:
    depth = 0
    for i, ch in enumerate(body):
        if ch in "({[":
            depth += 1
            if depth > limits.MAX_DEPTH:
                raise UnsafeExpression(path, key, f"formula is nested deeper than {limits.MAX_DEPTH} levels",
                                       text=body[max(0, i - 40): i + 10])
        elif ch in ")}]":
            depth = max(0, depth - 1)


def _describe(exc: UnexpectedInput, body: str) -> str:
    where = f"at position {getattr(exc, 'column', '?')}"
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return "the formula ends too early (an unclosed brace, bracket, bar or \\begin?)"
    if isinstance(exc, UnexpectedCharacters):
        return f"character `{body[exc.pos_in_stream]}` {where} is not part of the LaTeX this reader knows"
    token = exc.token
    if token.type == "END":
        return f"`\\end` {where} without its \\begin, or an unfinished row"
    return f"unexpected `{token.value}` {where}"


_EXPECTED_WORDS = {"RPAR": "`)`", "RSQB": "`]`", "RBRACE": "`}`", "RBAR": "a closing `|`", "RNORM": "a closing `\\|`",
                   "RSET": "`\\}`", "RANGLE": "`\\rangle`", "END": "`\\end`"}


def _expected(exc: UnexpectedInput) -> str:
    wanted = sorted(_EXPECTED_WORDS[t] for t in (getattr(exc, "expected", None) or ()) if t in _EXPECTED_WORDS)
    if wanted:
        return "one of " + ", ".join(wanted) if len(wanted) > 1 else wanted[0]
    return "LaTeX math: see the README's table of supported notation"


def _around(body: str, exc: UnexpectedInput) -> str:
    pos = getattr(exc, "pos_in_stream", None)
    if pos is None and getattr(exc, "token", None) is not None:
        pos = getattr(exc.token, "start_pos", None)
    if pos is None:
        return body[:80]
    return body[max(0, pos - 30): pos + 30]


def parse_latex(text, scope: Scope, *, path: str = "<string>", key: str = "latex") -> Node:
    """One LaTeX expression (or condition) as a tree; UnsafeExpression naming path, key and the text."""
    from .latex_build import Builder
    tree, body = parse_latex_tree(text, path=path, key=key)
    try:
        return Builder(body, scope, path, key).expression(tree)
    except RecursionError:
        raise UnsafeExpression(path, key, "formula is nested too deeply", text=body[:80]) from None


def parse_latex_relation(text, scope: Scope, *, path: str = "<string>", key: str = "check.latex"
                         ) -> tuple[list[Node], str | list[str]]:
    """An equation, an inequality or a chain as the steps and the relation of a claim.

    `a = b` -> ([a, b], "="); `a \\le b` -> ([a, b], "<="); `a = b = c` -> ([a, b, c], "=").  A chain
    with an inequality (`0 < \\sigma(x) < 1`, `a = b \\le c`) gives the relation of each link
    (["<", "<"]); UnsafeExpression (a ClaimFileError) for any malformed text.
    """
    from .latex_build import Builder
    tree, body = parse_latex_tree(text, path=path, key=key)
    try:
        return Builder(body, scope, path, key).relation(tree)
    except RecursionError:
        raise UnsafeExpression(path, key, "formula is nested too deeply", text=body[:80]) from None


__all__ = ["parse_latex", "parse_latex_relation", "looks_like_latex", "Retype", "GRAMMAR"]
