"""One claim from one line: `verify-derivations check EQUATION --symbols SPEC`, and `verifier.check(...)`.

The equation and the symbol list become the same table a claim file holds, and go
through the loader's own checks (``loader.parse_claim``): no second parser, no
second whitelist.  An equation is split at its top-level relation signs (outside
brackets): `a = b = c` is a chain, `a <= b` a relation.  LaTeX (a backslash, a
brace, `^`: ``latex_parse.looks_like_latex``) goes to the `[check]` table's `latex` key.
"""

from __future__ import annotations

import re
import string

from .errors import ClaimFileError
from .functions import known_function_names
from .latex_parse import looks_like_latex
from .model import Claim
from .report import ONE_LINE as WHERE  # the `file` of a one-line claim

SYMBOL_KEY = "--symbols"
RELATION_SIGNS = ("<=", ">=", "==", "=", "<", ">")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")


def parse_symbols(spec: str | None) -> dict[str, str]:
    """`"W: matrix(m, n), x: vector(n), f: function"` -> {"W": "matrix(m, n)", ...} (kinds are checked by
    the loader, as in a claim file)."""
    out: dict[str, str] = {}
    for part in _top_level_split(spec or "", ","):
        if not part.strip():
            continue
        name, colon, kind = part.partition(":")
        name, kind = name.strip(), kind.strip()
        if not colon or not _NAME.fullmatch(name) or not kind:
            raise ClaimFileError(WHERE, SYMBOL_KEY, "a symbol must be written `name: kind`", text=part.strip(),
                                 expected='pairs such as "W: matrix(m, n), x: vector(n), f: function"')
        if name in out:
            raise ClaimFileError(WHERE, SYMBOL_KEY, f"`{name}` is declared twice", text=part.strip())
        out[name] = kind
    return out


def split_relation(equation: str) -> tuple[list[str], str]:
    """(the sides, the relation) of `a = b = c`, `a < b`, `a <= b`, ... (`==` is read as `=`)."""
    parts, signs, depth, start, k = [], [], 0, 0, 0
    while k < len(equation):
        ch = equation[k]
        depth += ch in "([{"
        depth -= ch in ")]}"
        sign = next((s for s in RELATION_SIGNS if equation.startswith(s, k)), None) if depth == 0 else None
        if sign is not None and not (sign == "=" and equation[k - 1:k] in ("!",)):
            parts.append(equation[start:k])
            signs.append("=" if sign == "==" else sign)
            k += len(sign)
            start = k
            continue
        k += 1
    parts.append(equation[start:])
    if not signs:
        raise ClaimFileError(WHERE, "EQUATION", "no relation sign", text=equation,
                             expected="an equation `a = b`, a chain `a = b = c` or an inequality `a < b`")
    if any(not p.strip() for p in parts):
        raise ClaimFileError(WHERE, "EQUATION", "a side is empty", text=equation)
    if len(signs) > 1 and set(signs) != {"="}:   # a chain with an inequality: the relation of each link
        return [p.strip() for p in parts], signs
    return [p.strip() for p in parts], signs[0]


def claim_table(equation: str, *, symbols: str | None = None, where: str | None = None,
                claim_id: str = "check.one-line") -> dict:
    """The table a claim file would hold for this one-line claim."""
    declared = parse_symbols(symbols)
    latex = looks_like_latex(equation)
    data: dict = {"id": claim_id, "title": " ".join(equation.split())[:120], "claim": equation,
                  "symbols": {**_implicit_scalars(equation, declared, latex=latex), **declared}}
    if latex:
        data["check"] = {"latex": equation}
    else:
        sides, relation = split_relation(equation)
        data["check"] = {"steps": sides} if len(sides) > 2 else {"lhs": sides[0], "rhs": sides[1]}
        if isinstance(relation, list):
            data["check"]["relations"] = relation
        elif relation != "=":
            data["check"]["relation"] = relation
    if where:
        data["check"]["where"] = where
    return data


def make_claim(equation: str, *, symbols: str | None = None, where: str | None = None,
               claim_id: str = "check.one-line") -> Claim:
    from .loader import parse_claim  # noqa: PLC0415 (the loader imports the parser; keep this module light)
    return parse_claim(claim_table(equation, symbols=symbols, where=where, claim_id=claim_id), WHERE)


# \frac{d}{dx}, \frac{d^2 f}{dx^2}: the d's are the operator's, not a symbol (numerator and variable kept)
_DIFFERENTIAL = re.compile(r"\\frac\s*\{\s*d(?:\^\{?\d+\}?)?\s*([^{}]*)\}\s*\{\s*d\s*([A-Za-z])(?:\^\{?\d+\}?)?\s*\}")


def _implicit_scalars(equation: str, declared: dict, *, latex: bool) -> dict[str, str]:
    """Undeclared single letters are real scalars (`e` and dimension names excepted)."""
    text = _LATEX_COMMAND.sub(" ", _DIFFERENTIAL.sub(r" \1 \2 ", equation)) if latex else equation
    dims = {d for kind in declared.values() for d in _NAME.findall(kind.partition("(")[2])}
    reserved = set(known_function_names()) | {"e", "pi", "T"} | dims | set(declared)
    letters = {m.group() for m in _NAME.finditer(text) if len(m.group()) == 1}
    return {name: "real" for name in sorted(letters - reserved) if name in string.ascii_letters}


def _top_level_split(text: str, sep: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == sep and depth == 0:
            parts.append(text[start:k])
            start = k + 1
    parts.append(text[start:])
    return parts


def render_toml(data: dict) -> str:
    """A claim table as the text of a claim file (strings quoted as TOML basic strings)."""
    lines = [f"{key} = {_toml_string(data[key])}" for key in ("id", "title", "claim") if key in data]
    if "expect" in data:
        lines.append(f"expect = {_toml_string(data['expect'])}")
    for table in ("symbols", "let", "check"):
        if data.get(table):
            lines += ["", f"[{table}]"]
            for key, value in data[table].items():
                shown = "[" + ", ".join(_toml_string(v) for v in value) + "]" if isinstance(value, list) \
                    else _toml_string(value)
                lines.append(f"{_toml_key(key)} = {shown}")
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    out = ['"']
    for ch in str(text):
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out) + '"'


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)
