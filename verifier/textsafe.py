"""Claim-supplied text made safe for the place it lands: terminal, Markdown, messages.

A claim file is untrusted, and so is everything it says: its id, title, claim,
quotes, readings, file name and expressions.  Nothing it says may add a report
section, a verdict line, an HTML tag or a terminal colour.  Ordinary text (the
catalog's LaTeX quotes with `&=` and `a < b`) passes through unchanged.

- ``terminal``: control characters (C0, DEL, C1, ANSI escapes, bidi overrides) are
  shown as visible escapes such as ``\\x1b``; newlines too, so one line stays one line.
- ``inline``: one line of Markdown prose: control characters escaped as above,
  the starts of HTML tags, comments and entities neutralised (``<script`` ->
  ``&lt;script``, ``&amp;`` -> ``&amp;amp;``).
- ``code``: a Markdown code span that no backtick in the text can close early.
- ``prose``: one line of plain text (a message, a diagnosis) as prose when Markdown would show it
  as typed, else as a code span (``f'(W*x + b)`` must not turn into italics).
- ``quote_lines``: a multi-line quote as block-quote lines, each escaped inline, a
  leading ``#`` escaped (no heading inside the quote); a quote whose LaTeX does not balance
  (``latex_balanced``) is shown as code, so that an unclosed ``$$`` cannot swallow what follows.
- ``html_text``: text for an HTML page: control characters escaped as above, then ``&<>"'``.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Characters that move the cursor, change colours or reorder text on a terminal.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + _BIDI + "]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# `<` that starts a tag, a closing tag, a comment or a processing instruction.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
# `&` that starts a character reference (`&amp;`, `&#60;`, `&#x3c;`).
_ENTITY = re.compile(r"&(?=#[0-9]+;?|#[xX][0-9A-Fa-f]+;?|[A-Za-z][A-Za-z0-9]*;)")


def _escape_control(match: re.Match) -> str:
    ch = match.group()
    return _NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


def terminal(text) -> str:
    """One line with every control character shown as an escape, never obeyed."""
    return _CONTROL.sub(_escape_control, str(text))


def inline(text) -> str:
    """Markdown prose on one line: no new line, no HTML tag, no character reference."""
    text = _CONTROL.sub(_escape_control, str(text))
    return _TAG_START.sub("&lt;", _ENTITY.sub("&amp;", text))


def code(text) -> str:
    """A Markdown code span holding the text literally, whatever backticks it contains."""
    text = _CONTROL.sub(_escape_control, str(text))
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# Characters Markdown may act on inside prose (emphasis, code, links, escapes, math, tables).
_MARKDOWN_ACTIVE = re.compile(r"[*_`\\\[\]<>~$|&#]")


def prose(text) -> str:
    """One line of plain text: as prose when Markdown has nothing to interpret in it, else a code span."""
    text = str(text)
    return code(text) if _MARKDOWN_ACTIVE.search(text) or _CONTROL.search(text) else text


def latex_balanced(text) -> bool:
    """Whether math in the text closes: an even number of unescaped `$$` and of `$`, balanced braces (`\\{`
    aside), as many `\\left` as `\\right` and `\\begin` as `\\end`."""
    text = str(text)
    plain = re.sub(r"\\\\|\\[{}$]", "", text)
    depth = 0
    for ch in plain:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
    displays = plain.count("$$")
    return (depth == 0 and displays % 2 == 0 and plain.replace("$$", "").count("$") % 2 == 0
            and len(re.findall(r"\\left(?![A-Za-z])", text)) == len(re.findall(r"\\right(?![A-Za-z])", text))
            and text.count("\\begin{") == text.count("\\end{"))


def quote_lines(text) -> list[str]:
    """A multi-line quote as Markdown block-quote lines, each line escaped inline; as code spans
    when its LaTeX does not balance (``latex_balanced``)."""
    lines = str(text).splitlines()
    if not latex_balanced(text):
        return [f"> {code(line)}" if line.strip() else ">" for line in lines]
    return [f"> {_no_heading(inline(line))}" for line in lines]


def html_text(text) -> str:
    """Text for an HTML page: control characters shown as escapes, then every markup character escaped."""
    return html.escape(_CONTROL.sub(_escape_control, str(text)), quote=True)


def _no_heading(line: str) -> str:
    """A leading `#` escaped, so that a quoted line cannot become a heading."""
    stripped = line.lstrip(" ")
    return line if not stripped.startswith("#") else line[: len(line) - len(stripped)] + "\\" + stripped


def describe_char(ch: str) -> str:
    """`ｅ` (U+FF45 FULLWIDTH LATIN SMALL LETTER E), for messages about a character."""
    name = unicodedata.name(ch, "unnamed character")
    shown = terminal(ch) if _CONTROL.match(ch) else ch
    return f"`{shown}` (U+{ord(ch):04X} {name})"
