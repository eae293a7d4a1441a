"""Load claim files: TOML in, a validated Claim out, or one ClaimFileError.

Every key is checked: unknown keys are refused (a typo must not silently drop a
condition), every expression goes through the whitelist parser, and every name
an expression uses must be declared in [symbols] or defined earlier in [let].
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import stat
import tomllib
import warnings
from dataclasses import replace
from pathlib import Path

from . import limits
from .errors import ClaimFileError
from .functions import lookup, SPECIAL
from .model import CONSTRAINTS, KINDS, Claim, Source, SymbolSpec
from .latex_parse import parse_latex, parse_latex_relation
from .parser import CONSTANTS, Scope, parse_expression
from .shapes import ShapeEnv, infer_shape

TOP_KEYS = {"id", "title", "claim", "expect", "source", "symbols", "let", "check", "note"}
CHECK_KEYS = {"lhs", "rhs", "steps", "relation", "relations", "where", "latex"}
SOURCE_KEYS = {"seed", "quote", "reading", "lines", "confidence"}
CONFIDENCES = ("high", "medium", "low")
RELATIONS = ("=", "<", "<=", ">", ">=")
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9][A-Za-z0-9_-]*)+")  # used with fullmatch
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # used with fullmatch
KIND_ARITY = {"real": 0, "positive": 0, "function": 0, "index": 1, "vector": 1,
              "onehot": 1, "probability": 1, "matrix": 2}


def find_claim_files(paths) -> list[Path]:
    """Every *.toml entry under the given files and folders, sorted, without duplicates.

    Inside a folder, every entry whose name ends in .toml is listed, whatever it is
    (a FIFO, a dangling or looping link, a folder named x.toml): the loader then
    reports it, so nothing is skipped silently.  Links to folders are not followed.
    An unreadable folder is listed too, and reported as unreadable.
    """
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(_walk(p))
        else:
            found.append(p)
    return list(dict.fromkeys(found))


def _walk(folder: Path) -> list[Path]:
    found: list[Path] = []
    unreadable: list[Path] = []
    for root, dirs, files in os.walk(folder, onerror=lambda exc: unreadable.append(Path(exc.filename))):
        found.extend(Path(root) / name for name in dirs + files if name.endswith(".toml"))
    return sorted(found + unreadable)


def load_claim(path) -> Claim:
    """A validated Claim, or one ClaimFileError naming the file (never another exception)."""
    return load_claim_and_digest(path)[0]


def load_claim_and_digest(path) -> tuple[Claim, str]:
    """The claim and the sha256 of the very bytes it was read from (the result cache's key)."""
    path = Path(path)
    where = str(path)
    raw = read_bounded(path)
    return _load_bytes(raw, where), hashlib.sha256(raw).hexdigest()


def _load_bytes(raw: bytes, where: str) -> Claim:
    text = _decode(raw, where)
    data = parse_toml(text, where)
    try:
        return parse_claim(data, where)
    except (RecursionError, MemoryError):
        raise ClaimFileError(where, "", "claim is too large or too deeply nested to read") from None


def read_bounded(path: Path) -> bytes:
    """The bytes of a regular file, at most limits.MAX_FILE_BYTES of them, without blocking.

    Opened with O_NONBLOCK (a FIFO cannot block the run) and checked with fstat on the
    open descriptor (a link to /dev/zero or a folder is refused, not read); the size is
    checked on the bytes actually read, never on what stat says.
    """
    where = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ClaimFileError(where, "", f"cannot read the file ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ClaimFileError(where, "", f"not a regular file ({_file_type(mode)})",
                                 expected="a .toml claim file")
        chunks, size = [], 0
        while size <= limits.MAX_FILE_BYTES:
            chunk = os.read(fd, limits.MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ClaimFileError(where, "", f"cannot read the file ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if size > limits.MAX_FILE_BYTES:
        raise ClaimFileError(where, "", f"file is over the limit of {limits.MAX_FILE_BYTES} bytes")
    return b"".join(chunks)


def _file_type(mode: int) -> str:
    kinds = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")]
    return next((name for test, name in kinds if test(mode)), "a special file")


def _decode(raw: bytes, where: str) -> str:
    try:
        return raw.decode("utf-8-sig")  # a byte-order mark is accepted and dropped
    except UnicodeDecodeError as exc:
        raise ClaimFileError(where, "", f"file is not UTF-8 text (byte {exc.start + 1})") from None


def parse_toml(text: str, where: str) -> dict:
    """tomllib.loads, after a bound on the nesting of arrays and inline tables."""
    depth = toml_nesting(text)
    if depth > limits.MAX_TOML_DEPTH:
        raise ClaimFileError(where, "", f"arrays or inline tables nested {depth} deep",
                             expected=f"at most {limits.MAX_TOML_DEPTH} levels")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClaimFileError(where, "", f"not valid TOML ({exc})") from None
    except (RecursionError, MemoryError):
        raise ClaimFileError(where, "", "TOML nested too deeply to read") from None


def toml_nesting(text: str) -> int:
    """The deepest nesting of [ and { outside strings and comments (an upper bound for tomllib's)."""
    depth = deepest = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
        elif ch == "#":
            i = _skip_to(text, "\n", i + 1) - 1
        elif ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            i = _string_end(text, i + len(quote), quote) - 1
        i += 1
    return deepest


def _string_end(text: str, i: int, quote: str) -> int:
    """The index after the string that starts at i (its opening quote already skipped)."""
    escapes = quote[0] == '"'
    while i < len(text):
        if escapes and text[i] == "\\":
            i += 2
            continue
        if text.startswith(quote, i):
            return i + len(quote)
        if len(quote) == 1 and text[i] == "\n":  # an unterminated one-line string: tomllib will refuse it
            return i
        i += 1
    return i


def _skip_to(text: str, target: str, i: int) -> int:
    found = text.find(target, i)
    return len(text) if found < 0 else found


def parse_claim(data: dict, path: str) -> Claim:
    _no_unknown(data, TOP_KEYS, path, "")
    claim_id = _string(data, "id", path)
    if not ID_PATTERN.fullmatch(claim_id):
        raise ClaimFileError(path, "id", "malformed id", text=repr(claim_id),
                             expected="dotted words such as `mlp2.delta-hidden`")
    expect = data.get("expect")
    if expect not in (None, "holds", "fails"):
        raise ClaimFileError(path, "expect", "unknown expectation", text=str(expect), expected='"holds" or "fails"')
    symbols = _parse_symbols(data.get("symbols", {}), path)
    scope = make_scope(symbols)
    parse = NodeBudget()
    check = data.get("check")
    shapes = _LetShapes(symbols, path) if _uses_latex(data.get("let"), check) else None
    lets, scope = _parse_lets(data.get("let", {}), scope, path, parse, shapes)
    if not isinstance(check, dict):
        raise ClaimFileError(path, "check", "missing [check] table", expected="lhs and rhs, steps, or latex")
    steps, chain, relation = _parse_steps(check, scope, path, parse)
    relations = ()
    if isinstance(relation, (list, tuple)):    # a chain with an inequality: one relation per link
        relations = tuple(relation)
        relation = next(r for r in relations if r != "=")
    where = check.get("where")
    if where is not None:
        where = parse(where, scope, path=path, key="check.where")
    return Claim(
        id=claim_id, title=_string(data, "title", path), statement=_string(data, "claim", path),
        path=path, steps=steps, chain=chain, relation=relation, where=where, expect=expect,
        sources=_parse_sources(data.get("source", []), path), symbols=symbols, lets=lets, relations=relations,
    )


def make_scope(symbols) -> Scope:
    """The names (and their shapes) that expressions over these SymbolSpecs may use."""
    dims = _dim_names(symbols)
    return Scope(
        values=frozenset({s.name for s in symbols if s.kind != "function"} | dims),
        functions=frozenset(s.name for s in symbols if s.kind == "function"),
        shapes=tuple((s.name, s.shape) for s in symbols if s.kind != "function") + tuple((d, ()) for d in dims),
    )


class NodeBudget:
    """parse_expression (or parse_latex, for a text between dollar signs) with a cap on the nodes
    of all of one file's expressions together, so that loading any file costs at most a fixed
    amount of work (limits.MAX_CLAIM_NODES)."""

    def __init__(self):
        self.left = limits.MAX_CLAIM_NODES

    def __call__(self, text, scope, *, path, key):
        if is_latex_text(text):
            node = parse_latex(text, scope, path=path, key=key)
        else:
            node = parse_expression(text, scope, path=path, key=key)
        return self.charge(node, path, key)

    def relation(self, text, scope, *, path, key):
        """`[check] latex`: the steps and the relation of one LaTeX equation, inequality or chain."""
        steps, relation = parse_latex_relation(text, scope, path=path, key=key)
        return [self.charge(step, path, key) for step in steps], relation

    def charge(self, node, path, key):
        self.left -= sum(1 for _ in node.walk())
        if self.left < 0:
            raise ClaimFileError(path, key, f"the file's expressions have more than {limits.MAX_CLAIM_NODES} "
                                 "parts in all", expected="a smaller claim (split it into several files)")
        return node


def is_latex_text(text) -> bool:
    """An expression written in LaTeX: the whole value between dollar signs (`'$W^{(1)} x$'`)."""
    if not isinstance(text, str):
        return False
    body = text.strip()
    return len(body) >= 2 and body.startswith("$") and body.endswith("$")


def _uses_latex(lets, check) -> bool:
    texts = list(lets.values()) if isinstance(lets, dict) else []
    if isinstance(check, dict):
        if "latex" in check:
            return True
        steps = check.get("steps")
        texts += [check.get(k) for k in ("lhs", "rhs", "where")] + (steps if isinstance(steps, list) else [])
    return any(is_latex_text(t) for t in texts)


class _LetShapes:
    """Shapes of [let] names as they are defined, for the LaTeX reader (x_i: an entry only of an
    array; d/dW: a gradient by a matrix).  A let whose shape cannot be inferred stays unknown;
    the shape check reports it later."""

    def __init__(self, symbols, path):
        self.claim = Claim(id="", title="", statement="", path=path, steps=(), symbols=tuple(symbols))
        self.env = ShapeEnv(self.claim)

    def add(self, name, node):
        self.claim = replace(self.claim, lets=self.claim.lets + ((name, node),))
        self.env.claim = self.claim
        try:
            shape = infer_shape(node, self.env)
        except Exception:  # noqa: BLE001 - an ill-typed let is reported by the shape check, not here
            return None
        self.env.shapes[name] = shape
        return shape


def _string(data, key, path, *, required=True):
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ClaimFileError(path, key, "missing or empty" if value is None else "not a string",
                             text=None if value is None else repr(value)[:80], expected="a non-empty string")
    return value


def _no_unknown(table, allowed, path, key):
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ClaimFileError(path, key or unknown[0], f"unknown key `{unknown[0]}`",
                             expected="one of " + ", ".join(sorted(allowed)))


def _parse_sources(raw, path) -> tuple[Source, ...]:
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        raise ClaimFileError(path, "source", "must be [[source]] tables", expected="seed and quote keys")
    sources = []
    for i, table in enumerate(raw):
        key = f"source[{i}]"
        _no_unknown(table, SOURCE_KEYS, path, key)
        sources.append(Source(seed=_string(table, "seed", path), quote=_string(table, "quote", path),
                              reading=_string(table, "reading", path, required=False),
                              lines=_parse_lines(table.get("lines"), path, f"{key}.lines"),
                              confidence=_parse_confidence(table.get("confidence"), path,
                                                           f"{key}.confidence")))
    return tuple(sources)


def _parse_lines(value, path, key) -> tuple[int, int] | None:
    """`lines = [first, last]`: 1-based, inclusive line numbers in the seed file (optional)."""
    if value is None:
        return None
    expected = "two positive integers [first, last] with first <= last (1-based, inclusive)"
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in value)):
        raise ClaimFileError(path, key, "not a pair of line numbers", text=repr(value)[:80], expected=expected)
    first, last = value
    if first < 1 or last < 1:
        raise ClaimFileError(path, key, "line numbers start at 1", text=repr(value), expected=expected)
    if first > last:
        raise ClaimFileError(path, key, "first line is after the last", text=repr(value), expected=expected)
    return (first, last)


def _parse_confidence(value, path, key) -> str | None:
    """`confidence`: how sure the OCR reading is (optional)."""
    if value is None:
        return None
    if value not in CONFIDENCES:
        raise ClaimFileError(path, key, "unknown confidence", text=repr(value)[:80],
                             expected=" or ".join(f'"{c}"' for c in CONFIDENCES))
    return value


def _parse_symbols(raw, path) -> tuple[SymbolSpec, ...]:
    if not isinstance(raw, dict):
        raise ClaimFileError(path, "symbols", "must be a table of name = \"kind\"")
    if len(raw) > limits.MAX_SYMBOLS:
        raise ClaimFileError(path, "symbols", f"more than {limits.MAX_SYMBOLS} symbols")
    specs = []
    for name, kind_text in raw.items():
        key = f"symbols.{name}"
        _check_new_name(name, path, key)
        specs.append(parse_kind(name, kind_text, path, key))
    dims = _dim_names(specs)
    clash = dims & {s.name for s in specs}
    if clash:
        raise ClaimFileError(path, "symbols", f"`{sorted(clash)[0]}` is both a symbol and a dimension")
    return tuple(specs)


def _check_new_name(name, path, key):
    if not NAME_PATTERN.fullmatch(name) or name in CONSTANTS:
        raise ClaimFileError(path, key, "bad name", text=name, expected="a letter then letters, digits or _")
    if lookup(name) or name in SPECIAL:
        raise ClaimFileError(path, key, f"`{name}` is a built-in function name", text=name,
                             expected="another name")


def parse_kind(name: str, text, path: str, key: str) -> SymbolSpec:
    """Parse a kind such as `matrix(m, n)` with its own tiny whitelist."""
    expected = ("real, positive, index(n), vector(n), matrix(m, n), onehot(n), probability(n), function, or "
                "constrained arrays: positive(n), positive(m, n), mask(n), mask(m, n), pm1(n), pm1(m, n), "
                "symmetric(n), spd(n)")
    if not isinstance(text, str):
        raise ClaimFileError(path, key, "kind must be a string", text=repr(text)[:80], expected=expected)
    if not text.isascii():
        raise ClaimFileError(path, key, "a kind is written in ASCII only", text=text, expected=expected)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ClaimFileError(path, key, "unreadable kind", text=text, expected=expected) from None
    if isinstance(node, ast.Name):
        kind, args = node.id, []
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        kind, args = node.func.id, node.args
    else:
        raise ClaimFileError(path, key, "unreadable kind", text=text, expected=expected)
    constraint = None
    if kind in CONSTRAINTS and (args or kind != "positive"):
        constraint, kind = kind, _constrained_kind(kind, len(args))
        if kind is None:
            raise ClaimFileError(path, key, "wrong number of dimensions", text=text, expected=expected)
    elif kind not in KINDS or len(args) != KIND_ARITY[kind]:
        raise ClaimFileError(path, key, "unknown kind or wrong number of dimensions", text=text, expected=expected)
    dims = []
    for arg in args:
        if isinstance(arg, ast.Name) and NAME_PATTERN.fullmatch(arg.id):
            dims.append(arg.id)
        elif isinstance(arg, ast.Constant) and type(arg.value) is int and 1 <= arg.value <= limits.MAX_LITERAL_DIM:
            dims.append(arg.value)
        else:
            raise ClaimFileError(path, key, "bad dimension", text=text,
                                 expected=f"a name or an integer from 1 to {limits.MAX_LITERAL_DIM}")
    if constraint in ("symmetric", "spd"):
        dims = dims * 2   # symmetric(n) is an n x n matrix
    return SymbolSpec(name, kind, tuple(dims), constraint)


def _constrained_kind(constraint: str, arity: int) -> str | None:
    """The array kind that holds a constrained kind with this many dimensions (None: a wrong number)."""
    if constraint in ("symmetric", "spd"):
        return "matrix" if arity == 1 else None
    return {1: "vector", 2: "matrix"}.get(arity)


def _dim_names(specs) -> set[str]:
    return {d for s in specs for d in s.dims if isinstance(d, str)}


def _parse_lets(raw, scope: Scope, path, parse, shapes=None):
    if not isinstance(raw, dict):
        raise ClaimFileError(path, "let", "must be a table of name = \"expression\"")
    if len(raw) > limits.MAX_LETS:
        raise ClaimFileError(path, "let", f"more than {limits.MAX_LETS} definitions")
    lets = []
    for name, text in raw.items():
        key = f"let.{name}"
        _check_new_name(name, path, key)
        if name in scope.values or name in scope.functions:
            raise ClaimFileError(path, key, f"`{name}` is already declared", text=name, expected="a new name")
        node = parse(text, scope, path=path, key=key)
        lets.append((name, node))
        shape = shapes.add(name, node) if shapes is not None else None
        scope = Scope(values=scope.values | {name}, functions=scope.functions,
                      shapes=scope.shapes + (((name, shape),) if shape is not None else ()))
    return tuple(lets), scope


def _parse_steps(check, scope, path, parse):
    """(steps, chain, relation) from lhs/rhs (+ relation), steps, or one LaTeX relation."""
    _no_unknown(check, CHECK_KEYS, path, "check")
    if "latex" in check:
        others = sorted(k for k in ("lhs", "rhs", "steps", "relation", "relations") if k in check)
        if others:
            raise ClaimFileError(path, "check", f"give either latex, or lhs and rhs, or steps, not latex and {others[0]}",
                                 expected="the relation inside the LaTeX: latex = '\\frac{d}{dx} f(x) = g(x)'")
        steps, relation = parse.relation(check["latex"], scope, path=path, key="check.latex")
        return tuple(steps), len(steps) > 2, relation
    steps, chain = _parse_python_steps(check, scope, path, parse)
    if "relations" in check:
        return steps, chain, _parse_relations(check, steps, path)
    relation = check.get("relation", "=")
    if relation not in RELATIONS:
        raise ClaimFileError(path, "check.relation", "unknown relation", text=str(relation),
                             expected=" ".join(RELATIONS))
    if chain and relation != "=":
        raise ClaimFileError(path, "check.relation", "a chain with an inequality gives one relation per link",
                             text=relation, expected=f"relations = {['='] * (len(steps) - 1)} with your signs, "
                             "or lhs/rhs instead of steps")
    return steps, chain, relation


def _parse_relations(check, steps, path):
    """`relations = ["<", "<"]` with `steps`: one relation per link; a chain of `=` only is written without it."""
    relations = check["relations"]
    if "steps" not in check or "relation" in check:
        raise ClaimFileError(path, "check.relations", "relations go with steps (one per link), not with "
                             + ("relation" if "relation" in check else "lhs and rhs"),
                             expected="steps = [a, b, c] and relations = [\"<\", \"<=\"]")
    if not isinstance(relations, list) or len(relations) != len(steps) - 1:
        raise ClaimFileError(path, "check.relations", "one relation per link of the chain", text=str(relations),
                             expected=f"a list of {len(steps) - 1} relations for {len(steps)} steps")
    bad = next((r for r in relations if r not in RELATIONS), None)
    if bad is not None:
        raise ClaimFileError(path, "check.relations", "unknown relation", text=str(bad),
                             expected=" ".join(RELATIONS))
    return list(relations) if any(r != "=" for r in relations) else "="


def _parse_python_steps(check, scope, path, parse):
    if "steps" in check:
        if "lhs" in check or "rhs" in check:
            raise ClaimFileError(path, "check", "give either lhs and rhs, or steps, not both")
        raw = check["steps"]
        if not isinstance(raw, list) or not 2 <= len(raw) <= limits.MAX_STEPS:
            raise ClaimFileError(path, "check.steps", "must be a list of 2 or more expressions",
                                 expected=f"steps = [\"e0\", \"e1\", ...] (at most {limits.MAX_STEPS})")
        return tuple(parse(t, scope, path=path, key=f"check.steps[{i}]")
                     for i, t in enumerate(raw)), True
    for side in ("lhs", "rhs"):
        if side not in check:
            raise ClaimFileError(path, f"check.{side}", "missing", expected="lhs and rhs, or steps")
    return tuple(parse(check[s], scope, path=path, key=f"check.{s}") for s in ("lhs", "rhs")), False
