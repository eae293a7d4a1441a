"""LaTeX -> Presentation MathML, for the HTML report (report_html.py): no script, no network.

Why convert LaTeX and not print MathML from sympy or from our tree: the report dict (and
report.json) keeps each formula as LaTeX only, and two printers made it: ``latex.to_latex`` for the
claim's steps, lets and repairs, ``sympy.latex`` for differences and some correct statements.  The
sympy expressions are gone by then (and sympy's MathML printer would need them), and a second tree
printer would cover only half of the formulas.  So one converter reads the small LaTeX subset those
two printers emit (groups, ``^``/``_``, ``\\frac``, ``\\sqrt``, ``\\left...\\right``, ``aligned``/
``matrix``/``bmatrix``, ``\\text``/``\\mathrm``/``\\operatorname``, accents, Greek letters and the
operators in ``_SYMBOLS``), and `tests/test_html.py` checks that every formula of the catalog's report
converts in strict mode.  Outside strict mode an unknown command is shown as text (never ``<merror>``);
malformed LaTeX (an unclosed group) raises ``LatexError`` and the report shows the source as code.
Every character that reaches the output is escaped: the converter writes tags, the text never does.
"""

from __future__ import annotations

import html
import re

from .latex import GREEK


class LatexError(ValueError):
    """LaTeX the converter cannot read (unbalanced groups, or an unknown command in strict mode)."""


_GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε", "zeta": "ζ",
          "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ",
          "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ",
          "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
          "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω"}
assert set(GREEK) <= set(_GREEK)
# Commands that are one operator or identifier.
_SYMBOLS = {"partial": ("mo", "∂"), "nabla": ("mo", "∇"), "top": ("mi", "⊤"), "odot": ("mo", "⊙"),
            "otimes": ("mo", "⊗"), "le": ("mo", "≤"), "leq": ("mo", "≤"), "ge": ("mo", "≥"), "geq": ("mo", "≥"),
            "ne": ("mo", "≠"), "neq": ("mo", "≠"), "to": ("mo", "→"), "sum": ("mo", "∑"), "prod": ("mo", "∏"),
            "langle": ("mo", "⟨"), "rangle": ("mo", "⟩"), "wedge": ("mo", "∧"), "vee": ("mo", "∨"),
            "neg": ("mo", "¬"), "cdot": ("mo", "⋅"), "times": ("mo", "×"), "infty": ("mi", "∞"),
            "in": ("mo", "∈"), "ldots": ("mo", "…"), "cdots": ("mo", "⋯"), "dots": ("mo", "…"),
            "circ": ("mo", "∘"), "pm": ("mo", "±"), "mid": ("mo", "∣"), "vert": ("mo", "|"), "|": ("mo", "‖"),
            "{": ("mo", "{"), "}": ("mo", "}"), "_": ("mi", "_"), "%": ("mo", "%"), "#": ("mo", "#"),
            "&": ("mo", "&"), "$": ("mo", "$"), "lfloor": ("mo", "⌊"), "rfloor": ("mo", "⌋"),
            "lceil": ("mo", "⌈"), "rceil": ("mo", "⌉"), "approx": ("mo", "≈"), "equiv": ("mo", "≡"),
            "forall": ("mo", "∀"), "exists": ("mo", "∃"), "Rightarrow": ("mo", "⇒"), "mapsto": ("mo", "↦")}
_SPACES = {";": "0.2778em", ",": "0.1667em", ":": "0.2222em", "!": "0em", " ": "0.25em", "quad": "1em",
           "qquad": "2em"}
_NAMED_FUNCTIONS = {"exp", "log", "ln", "max", "min", "sin", "cos", "tan", "sinh", "cosh", "tanh", "lim", "det",
                    "sup", "inf", "arg", "sgn", "tr"}
_FONTS = {"mathrm": "normal", "mathbb": "double-struck", "mathbf": "bold", "mathit": "italic",
          "mathcal": "script", "operatorname": "normal", "boldsymbol": "bold-italic"}
_ACCENTS = {"hat": "^", "bar": "¯", "tilde": "~", "vec": "→", "dot": "˙", "widehat": "^", "overline": "¯"}
_ENVIRONMENTS = {"aligned": None, "align": None, "matrix": None, "bmatrix": ("[", "]"),
                 "pmatrix": ("(", ")"), "cases": ("{", "")}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\\\|\\.|[0-9]+(?:\.[0-9]+)?|\s+|.", re.S)
_FENCES = {"(", ")", "[", "]", "|", ".", "\\langle", "\\rangle", "\\{", "\\}", "\\|", "\\lfloor", "\\rfloor",
           "\\lceil", "\\rceil", "\\vert"}


def to_mathml(latex: str, *, display: bool = True, strict: bool = False) -> str:
    """One ``<math>`` element for a LaTeX formula; ``LatexError`` when it does not read."""
    reader = _Reader(latex, strict=strict)
    try:
        body = reader.sequence(stop=())
    except RecursionError:
        raise LatexError("formula nested too deeply") from None
    if reader.pos < len(reader.tokens):
        raise LatexError(f"unexpected {reader.tokens[reader.pos]!r}")
    mode = "block" if display else "inline"
    return f'<math display="{mode}"><mrow>{body}</mrow></math>'


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _el(tag: str, text: str, **attrs) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{_esc(v)}"' for k, v in attrs.items())
    return f"<{tag}{extra}>{_esc(text)}</{tag}>"


class _Reader:
    def __init__(self, latex: str, *, strict: bool):
        self.tokens = [t for t in _TOKEN.findall(str(latex)) if not t.isspace()]
        self.pos = 0
        self.strict = strict

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        if self.pos >= len(self.tokens):
            raise LatexError("the formula ends inside a group")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def expect(self, token: str) -> None:
        got = self.take()
        if got != token:
            raise LatexError(f"expected {token!r}, got {got!r}")

    def sequence(self, stop: tuple[str, ...]) -> str:
        """Atoms (with their scripts) up to a token in ``stop`` (not consumed) or the end."""
        out = []
        while (tok := self.peek()) is not None and tok not in stop:
            if tok in ("}", "\\right", "\\end") and tok not in stop:
                raise LatexError(f"unbalanced {tok!r}")
            out.append(self.scripted())
        return "".join(out)

    def scripted(self) -> str:
        base = self.atom()
        while self.peek() == "'":
            self.take()
            base = f"<msup>{_wrap(base)}<mo>′</mo></msup>"
        sub = sup = None
        while self.peek() in ("^", "_"):
            which = self.take()
            arg = self.argument()
            if which == "^":
                sup = arg
            else:
                sub = arg
        if sub is not None and sup is not None:
            return f"<msubsup>{_wrap(base)}{_wrap(sub)}{_wrap(sup)}</msubsup>"
        if sup is not None:
            return f"<msup>{_wrap(base)}{_wrap(sup)}</msup>"
        if sub is not None:
            return f"<msub>{_wrap(base)}{_wrap(sub)}</msub>"
        return base

    def argument(self) -> str:
        """A group ``{...}`` or one token, as for ``^``, ``_`` and ``\\frac``."""
        if self.peek() == "{":
            return self.group()
        if self.peek() is None:
            raise LatexError("a script or argument is missing")
        return self.atom()

    def group(self) -> str:
        self.expect("{")
        inner = self.sequence(stop=("}",))
        self.expect("}")
        return f"<mrow>{inner}</mrow>"

    def raw_group(self) -> str:
        """The text of a ``{...}`` group, for ``\\text`` and fonts (``\\_`` -> ``_``)."""
        self.expect("{")
        parts, depth = [], 0
        while True:
            tok = self.take()
            if tok == "}" and depth == 0:
                return "".join(parts)
            depth += (tok == "{") - (tok == "}")
            parts.append(tok[1:] if tok in ("\\_", "\\{", "\\}", "\\ ", "\\%", "\\&", "\\$", "\\#") else tok)

    def atom(self) -> str:
        tok = self.take()
        if tok == "{":
            self.pos -= 1
            return self.group()
        if tok[0].isdigit():
            return _el("mn", tok)
        if tok.isalpha():
            return _el("mi", tok)
        if tok == "&":
            raise LatexError("`&` outside an aligned or matrix environment")
        if tok == "\\\\":
            raise LatexError("`\\\\` outside an aligned or matrix environment")
        if tok.startswith("\\"):
            return self.command(tok[1:])
        return _el("mo", tok)

    def command(self, name: str) -> str:
        if name in _GREEK:
            return _el("mi", _GREEK[name], **({"mathvariant": "normal"} if name[0].isupper() else {}))
        if name in _SYMBOLS:
            tag, text = _SYMBOLS[name]
            return _el(tag, text, **({"largeop": "true"} if name in ("sum", "prod") else {}))
        if name in _SPACES:
            return f'<mspace width="{_SPACES[name]}"></mspace>'
        if name in _NAMED_FUNCTIONS:
            # a thin space before it, as TeX gives an operator name (one mrow: it may carry a script)
            return '<mrow><mspace width="0.1667em"></mspace>' + _el("mi", name) + "</mrow>"
        if name == "frac":
            return f"<mfrac>{self.argument()}{self.argument()}</mfrac>"
        if name == "sqrt":
            return f"<msqrt>{self.argument()}</msqrt>"
        if name == "text":
            return _el("mtext", self.raw_group())
        if name in _FONTS:
            return self.font(name)
        if name in _ACCENTS:
            return f'<mover accent="true">{_wrap(self.argument())}<mo stretchy="false">{_esc(_ACCENTS[name])}</mo></mover>'
        if name == "left":
            return self.fenced()
        if name == "begin":
            return self.environment()
        if self.strict:
            raise LatexError(f"unknown command \\{name}")
        return _el("mtext", "\\" + name)

    def font(self, name: str) -> str:
        if self.peek() != "{":
            return self.argument()
        text = self.raw_group()
        if "\\" in text or "{" in text:   # markup inside: read it as math, font dropped
            return _Reader(text, strict=self.strict).sequence(stop=())
        return _el("mi", text, mathvariant=_FONTS[name])

    def fenced(self) -> str:
        opening = self.take()
        if opening not in _FENCES:
            raise LatexError(f"\\left{opening} is not a delimiter")
        inner = self.sequence(stop=("\\right",))
        self.expect("\\right")
        closing = self.take()
        if closing not in _FENCES:
            raise LatexError(f"\\right{closing} is not a delimiter")
        return f"<mrow>{_fence(opening)}{inner}{_fence(closing)}</mrow>"

    def environment(self) -> str:
        name = self.raw_group()
        if name not in _ENVIRONMENTS:
            raise LatexError(f"unknown environment {name!r}")
        rows, cells, row = [], [], []
        while True:
            row.append(self.sequence(stop=("&", "\\\\", "\\end")))
            tok = self.take()
            if tok == "&":
                continue
            rows.append(row)
            row = []
            if tok == "\\end":
                break
        if self.raw_group() != name:
            raise LatexError(f"\\begin{{{name}}} closed by another \\end")
        # aligned: columns right, left, right, ... (by CSS: MathML Core has no columnalign)
        aligned = name.startswith("align")
        cells = "".join("<mtr>" + "".join(
            f'<mtd style="text-align: {("left" if k % 2 else "right") if aligned else "center"}">{c}</mtd>'
            for k, c in enumerate(r)) + "</mtr>" for r in rows if any(r))
        table = f'<mtable displaystyle="true">{cells}</mtable>'
        fence = _ENVIRONMENTS[name]
        if fence is None:
            return table
        return f"<mrow>{_el('mo', fence[0], fence='true')}{table}{_el('mo', fence[1], fence='true')}</mrow>"


def _fence(token: str) -> str:
    if token == ".":
        return ""
    text = {"\\langle": "⟨", "\\rangle": "⟩", "\\{": "{", "\\}": "}", "\\|": "‖", "\\lfloor": "⌊",
            "\\rfloor": "⌋", "\\lceil": "⌈", "\\rceil": "⌉", "\\vert": "|"}.get(token, token)
    return _el("mo", text, fence="true", stretchy="true")


def _wrap(element: str) -> str:
    """One element for a script's base or argument (an empty one is an empty mrow)."""
    return element if element else "<mrow></mrow>"
