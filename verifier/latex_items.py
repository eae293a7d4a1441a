"""One factor of a LaTeX product -> an Item: a value, a function or an operator.

A factor is a primary (a letter, a command, a group, \\frac{..}{..}, \\sum, ...)
followed by subscripts, superscripts and primes.  Names are resolved here, against
the scope: `W^{(2)}` is the declared W2, `x_i` the name xi or the entry x[i]
(whichever is declared; both is an error that lists them).
"""

from __future__ import annotations

from functools import lru_cache

from lark import Token, Tree

from . import limits
from .errors import UnsafeExpression
from .functions import SPECIAL, lookup
from .latex import GREEK
from .latex_build import LATEX_FUNCTIONS, _WORD_FUNCTIONS, Item, _single, decimal, shape_kind

_WRAPPERS = ("logic", "conj", "negation", "chain", "sum", "term")


def factor_item(b, factor) -> Item:
    primary = factor.children[0]
    scripts = [(s.data, s.children[-1]) for s in factor.children[1:]]
    handler = _primaries().get(primary.data, _not_here)
    return handler(b, primary, scripts, factor)


# -- helpers over the parse tree -------------------------------------------------------------

def content(arg):
    """The argument of _ ^ \\frac: a token or a group tree."""
    return arg.children[0] if isinstance(arg, Tree) and arg.data == "arg" else arg


def group_elements(group) -> list:
    return [c for c in group.children if isinstance(c, Tree)]


def product_entries(tree):
    """[(op, factor), ...] when the tree is a single product (through one-child wrappers), else None."""
    if isinstance(tree, Tree) and tree.data == "group":
        elements = group_elements(tree)
        if len(elements) != 1:
            return None
        tree = elements[0]
    tree = _single(tree, _WRAPPERS)
    if not (isinstance(tree, Tree) and tree.data == "product"):
        return None
    entries, op = [], None
    for child in tree.children:
        if isinstance(child, Token):
            op = child
        else:
            entries.append((op, child))
            op = None
    return entries


def only_factor(tree):
    entries = product_entries(tree)
    return entries[0][1] if entries and len(entries) == 1 else None


def plain_text(arg) -> str | None:
    """Letters and digits only (`2`, `ij`, `{12}`): the text, else None."""
    node = content(arg)
    if isinstance(node, Token):
        return node.value if node.type in ("LETTER", "DIGIT", "NUMBER") and "." not in node.value else None
    entries = product_entries(node)
    if not entries:
        return None
    parts = []
    for op, factor in entries:
        if op is not None or len(factor.children) != 1:
            return None
        primary = factor.children[0]
        if primary.data not in ("letter", "number") or "." in primary.children[0].value:
            return None
        parts.append(primary.children[0].value)
    return "".join(parts)


def layer_text(arg) -> str | None:
    """The k of a layer superscript `^{(k)}`, else None."""
    node = content(arg)
    factor = only_factor(node) if isinstance(node, Tree) else None
    if factor is None or len(factor.children) != 1 or factor.children[0].data != "paren":
        return None
    elements = group_elements(factor.children[0])
    return plain_text(Tree("group", elements)) if len(elements) == 1 else None


def text_word(primary) -> str:
    """The word of \\mathrm{...}, \\operatorname{...}, \\text{...} (`\\_` is `_`)."""
    tokens = [t for part in primary.children[1:] if isinstance(part, Tree) for t in part.children]
    return "".join("_" if t.type in ("ESCUS", "SUB") else t.value for t in tokens)


def arg_value(b, arg):
    node = content(arg)
    if isinstance(node, Token):
        if node.type in ("DIGIT", "NUMBER"):
            return b.number(decimal(node.value), node)
        if node.type == "LETTER":
            return symbol_value(b, [node.value], [], node)
        if node.type == "CMD":
            return value_of(b, command(b, Tree("command", [node]), [], node))
        b.fail(f"`{node.value}` cannot stand here", node)
    elements = group_elements(node)
    if len(elements) != 1:
        b.fail("a list `{a, b}` cannot stand here", node, "one expression in the braces")
    return b.build(elements[0])


def value_of(b, item: Item):
    if item.kind != "value" or len(item.args) > 1:
        b.fail(f"{item.label or 'this'} needs an argument", item.tree)
    return item.node


def is_inverse_transpose(b, arg) -> bool:
    """`^{-T}` (`^{-\\top}`): the inverse's transpose."""
    text = "".join(b.snippet(arg).split()).strip("{}")
    if text == "-T" and "T" in b.values():
        b.fail("`^{-T}` could be the inverse's transpose or the power by -T with the declared T", arg,
               "`^{-\\top}` for the inverse's transpose: rename T")
    return text in ("-T", "-\\top")


def inverse(b, node, tree):
    """X^{-1} (X^{-T}) of a declared matrix: the matrix inverse, which needs a square one; a scalar's
    ^{-1} stays a power."""
    if node.op != "name" or shape_kind(b.shape_of(node.value)) != "matrix":
        b.fail(f"`{b.snippet(tree)}`: ^{{-T}} needs a declared square matrix", tree,
               "\\operatorname{inv}(A B)^T for a product")
    rows, cols = b.shape_of(node.value)
    if rows != cols:
        b.fail(f"`{b.snippet(tree)}`: {node.value} is {rows} x {cols}, not square, so it has no inverse", tree,
               "\\frac{1}{W} for the entrywise reciprocal")
    return b.call("inv", (node,), tree)


def is_transpose(b, arg) -> bool:
    node = content(arg)
    if isinstance(node, Tree):
        factor = only_factor(node)
        if factor is None or len(factor.children) != 1:
            return False
        primary = factor.children[0]
        node = primary.children[0] if primary.data in ("letter", "command") else None
    if isinstance(node, Token) and (node.type == "TOP" or (node.type == "LETTER" and node.value == "T")):
        if node.value == "T" and "T" in b.values():
            b.fail("`^T` could be the transpose or the power by the declared T", arg,
                   "`^\\top` for the transpose, `^{(T)}` is not a power either: rename T")
        return True
    return False


def apply_scripts(b, node, scripts, tree, *, what="this value"):
    """Superscripts (a power, ^T / ^\\top the transpose, ^{-1} of a matrix its inverse) and
    subscripts (an entry of a braced or parenthesised value: {x}_{i}) on a value."""
    for kind, arg in scripts:
        if kind == "sup":
            if is_transpose(b, arg):
                node = b.make("T", (node,), None, tree)
            elif layer_text(arg) is not None:
                b.fail(f"a layer superscript `^{{({layer_text(arg)})}}` belongs on a declared name", tree,
                       "W^{(2)} for the declared W2")
            elif is_inverse_transpose(b, arg):
                node = b.make("T", (inverse(b, node, tree),), None, tree)
            else:
                exponent = arg_value(b, arg)
                if exponent.op == "num" and exponent.value == -1 and node.op == "name" \
                        and shape_kind(b.shape_of(node.value)) == "matrix":
                    node = inverse(b, node, tree)
                else:
                    node = b.make("pow", (node, exponent), None, tree)
        elif kind == "sub":
            node = b.make("index", (node,) + tuple(indices(b, arg, node)), None, tree)
        else:
            b.fail(f"`'` after {what}: a prime marks the derivative of a declared function", tree,
                   "f'(z) with f declared as `function`, or \\sigma'(z)")
    return node


def indices(b, arg, base) -> list:
    node = content(arg)
    shape = b.shape_of(base.value) if base.op == "name" else None
    if isinstance(node, Tree):
        elements = group_elements(node)
        if len(elements) == 1:
            text = plain_text(node)
            if (text and len(text) == 2 and text.isalpha() and all(ch in b.values() for ch in text)
                    and shape_kind(shape) in ("matrix", "unknown")):
                return [b.name(ch, node) for ch in text]   # W_{ij}
        if not 1 <= len(elements) <= 2:
            b.fail("an entry takes one or two indices", arg, "x_i, W_{ij} or W_{i, j}")
        return [b.build(e) for e in elements]
    return [arg_value(b, arg)]


# -- names ---------------------------------------------------------------------------------------

def resolve(b, stems, sub, tree):
    """A name, or an entry of a declared array: the reading the declarations allow."""
    values = b.values()
    stems = list(dict.fromkeys(stems))
    if sub is None:
        found = [s for s in stems if s in values]
        if len(found) > 1:
            b.fail("ambiguous name: " + " or ".join(f"`{s}`" for s in found), tree, "declare only one of them")
        if not found:
            b.unknown_name(stems, tree)
        return b.name(found[0], tree)
    text = plain_text(sub)
    readings, problems = [], []
    if text:
        readings += [(s + sep + text, None) for s in stems for sep in ("", "_") if s + sep + text in values]
    for base in (s for s in stems if s in values):
        if shape_kind(b.shape_of(base)) == "scalar":
            problems.append(f"`{base}` is a scalar, not an array")
            continue
        try:
            name = b.name(base, tree)
            readings.append((None, b.make("index", (name,) + tuple(indices(b, sub, name)), None, tree)))
        except UnsafeExpression as exc:
            problems.append(exc.problem)
    if len(readings) == 1:
        name, node = readings[0]
        return node if name is None else b.name(name, tree)
    described = [f"the name `{n}`" if n else f"the entry `{node.args[0].value}[...]`" for n, node in readings]
    candidates = [s + sep + (text or "...") for s in stems for sep in ("", "_")]
    if readings:
        b.fail(f"ambiguous subscript: `{b.snippet(tree)}` could be " + " or ".join(described), tree,
               "declare only one of them, or write {x}_{i} for the entry and \\mathrm{x1} for the name")
    why = ("; " + "; ".join(problems)) if problems else ""
    b.fail(f"`{b.snippet(tree)}` is neither a declared name (" + ", ".join(dict.fromkeys(candidates))
           + f") nor an entry of a declared array{why}", tree,
           "a name declared in [symbols] or [let], or an entry x_i of a declared vector or matrix")


def symbol_value(b, stems, scripts, tree):
    scripts = list(scripts)
    # a layer superscript is part of the name: W^{(2)} -> W2, also written after the subscript
    for pos in (0, 1):
        if (len(scripts) > pos and scripts[pos][0] == "sup" and layer_text(scripts[pos][1]) is not None
                and all(k == "sub" for k, _ in scripts[:pos])):
            layer = layer_text(scripts.pop(pos)[1])
            stems = [s + sep + layer for s in stems for sep in ("", "_")]
            break
    sub = None
    if scripts and scripts[0][0] == "sub":
        sub = scripts.pop(0)[1]
    node = resolve(b, stems, sub, tree)
    return apply_scripts(b, node, scripts, tree, what=f"`{node.value if node.op == 'name' else ''}`")


def function_item(b, fname, scripts, tree, *, generic=False) -> Item:
    """A function head: f, f', f^{(2)}, \\sigma', \\tanh^2, \\max, \\operatorname{softmax}."""
    order, power = 0, None
    for kind, arg in scripts:
        if kind == "prime":
            order += 1
        elif kind == "sup" and layer_text(arg) is not None and layer_text(arg).isdigit():
            order += int(layer_text(arg))
        elif kind == "sup" and power is None:
            power = arg_value(b, arg)
        else:
            b.fail(f"`{fname}` cannot take this subscript", tree, f"{fname}(x), {fname}'(x) or a power")
    if not 0 <= order <= 4:
        b.fail("derivative order must be 1 to 4", tree)
    fn = None if generic else lookup(fname)
    if order and not generic and (fn is None or fn.scalar is None):
        b.fail(f"`{fname}'` needs a declared function or an entrywise function", tree)

    def apply(args):
        if generic or order:
            if len(args) != 1:
                b.fail(f"`{fname}` takes one argument", tree)
            return b.make("fapply", (args[0],), (fname if generic else fn.name, order), tree)
        if fname in SPECIAL:
            want = {"onehot": 2, "ind": 1, "ones": 1, "eye": 1, "transpose": 1}.get(fname)
            if want is None or len(args) != want:
                b.fail(f"`{fname}` is not available in LaTeX this way", tree,
                       "the notation in the README's table (\\frac{\\partial}{\\partial x}, \\nabla_x, ...)")
            return b.make("T" if fname == "transpose" else fname, tuple(args), None, tree)
        return b.call(fname, tuple(args), tree)

    return Item("function", apply=apply, power=power, tree=tree, label=f"`{b.snippet(tree)}`")


# -- primaries -----------------------------------------------------------------------------------

def letter(b, primary, scripts, factor):
    ch = primary.children[0].value
    values = b.values()
    if ch in b.scope.functions:
        return function_item(b, ch, scripts, factor, generic=True)
    if ch == "e" and "e" not in values:
        if scripts and scripts[0][0] == "sup":
            node = b.call("exp", (arg_value(b, scripts[0][1]),), factor)
            return Item("value", apply_scripts(b, node, scripts[1:], factor), tree=factor)
        if scripts:
            b.fail("`e` is Euler's number here (no symbol e is declared)", factor,
                   "e^{x}, or \\operatorname{onehot}(i, n) for a unit vector")
        return Item("value", b.call("exp", (b.number(1, factor),), factor), tree=factor)
    if ch == "H" and "H" not in values and not scripts:
        return function_item(b, "Heaviside", scripts, factor)
    return Item("value", symbol_value(b, [ch], scripts, factor), tree=factor)


def command(b, primary, scripts, factor):
    token = primary.children[0]
    name = token.value[1:]
    if token.type == "TOP":
        b.fail("`\\top` belongs in a superscript", factor, "x^\\top")
    if name in LATEX_FUNCTIONS:
        return function_item(b, LATEX_FUNCTIONS[name], scripts, factor)
    if name in GREEK:
        return Item("value", symbol_value(b, [name], scripts, factor), tree=factor)
    b.fail(f"unknown LaTeX command `{token.value}`", factor,
           "a Greek letter, a function such as \\log or \\sigma, or the notation in the README's table")


def text(b, primary, scripts, factor):
    word = text_word(primary)
    if not word:
        b.fail("empty name", factor)
    if word in b.scope.functions:
        return function_item(b, word, scripts, factor, generic=True)
    if word not in b.values():
        fname = _WORD_FUNCTIONS.get(word, word)
        if lookup(fname) or fname in ("onehot", "ind", "ones", "eye", "transpose"):
            return function_item(b, fname, scripts, factor)
    return Item("value", symbol_value(b, [word], scripts, factor), tree=factor)


def accent(b, primary, scripts, factor):
    cmd, arg = primary.children[0].value, primary.children[1]
    inner = content(arg)
    inner_text = plain_text(arg)
    if cmd == "\\mathbb" and inner_text == "1":
        if scripts and scripts[0][0] == "sub":
            node = b.make("ind", (arg_value(b, scripts[0][1]),), None, factor)
            return Item("value", apply_scripts(b, node, scripts[1:], factor), tree=factor)
        return function_item(b, "ind", scripts, factor)
    if cmd == "\\mathbf" and inner_text == "1":
        if not scripts or scripts[0][0] != "sub":
            b.fail("`\\mathbf{1}` needs its length", factor, "\\mathbf{1}_{n} (the n-vector of ones)")
        node = b.make("ones", (arg_value(b, scripts[0][1]),), None, factor)
        return Item("value", apply_scripts(b, node, scripts[1:], factor), tree=factor)
    stem = _stem(b, inner, factor)
    suffix = {"\\hat": "hat", "\\widehat": "hat", "\\bar": "bar", "\\overline": "bar", "\\tilde": "tilde"}.get(cmd)
    if suffix is None and cmd not in ("\\mathbf", "\\boldsymbol", "\\bm", "\\vec"):
        b.fail(f"`{cmd}` is not supported here", factor, "\\hat, \\bar, \\tilde, \\mathbf, \\mathbb{1}")
    return Item("value", symbol_value(b, [stem + (suffix or "")], scripts, factor), tree=factor)


def _stem(b, inner, factor) -> str:
    if isinstance(inner, Tree):
        f = only_factor(inner)
        if f is not None and len(f.children) == 1 and f.children[0].data in ("letter", "command", "text"):
            inner = f.children[0].children[0] if f.children[0].data != "text" else None
            if inner is None:
                return text_word(f.children[0])
    if isinstance(inner, Token) and inner.type == "LETTER":
        return inner.value
    if isinstance(inner, Token) and inner.type == "CMD" and inner.value[1:] in GREEK:
        return inner.value[1:]
    b.fail("an accent goes on one letter", factor, "\\hat{y}, \\bar{z}, \\hat{\\theta}")


def number(b, primary, scripts, factor):
    token = primary.children[0]
    if len(token.value) > 30:
        b.fail("number literal too long", factor, "at most 30 digits")
    value = decimal(token.value)
    if value > limits.MAX_INTEGER_LITERAL:
        b.fail("integer literal too large", factor, f"at most {limits.MAX_INTEGER_LITERAL}")
    return Item("value", apply_scripts(b, b.number(value, token), scripts, factor, what="a number"), tree=factor)


def grouped(b, primary, scripts, factor):
    """{...}, (...), [...], \\{...\\}: one value, or the arguments of a function before it."""
    elements = [b.build(e) for e in group_elements(primary)]
    if primary.data == "group" or scripts:
        if len(elements) != 1:
            b.fail("a list cannot stand here", factor, "one expression")
        return Item("value", apply_scripts(b, elements[0], scripts, factor), tree=factor)
    return Item("value", elements[0], args=tuple(elements), tree=factor, label="this list")


def bars(b, primary, scripts, factor):
    (inner,) = [b.build(e) for e in group_elements(primary)]
    if primary.data == "abs":
        return Item("value", apply_scripts(b, b.call("Abs", (inner,), factor), scripts, factor), tree=factor)
    if scripts and scripts[0][0] == "sub":
        if plain_text(scripts[0][1]) != "2":
            b.fail("only the 2-norm is supported", factor, "\\|x\\| or \\|x\\|_2")
        scripts = scripts[1:]
    squares = b.call("sum", (b.make("pow", (inner, b.number(2, factor)), None, factor),), factor)
    if scripts and scripts[0][0] == "sup" and plain_text(scripts[0][1]) == "2":
        return Item("value", apply_scripts(b, squares, scripts[1:], factor), tree=factor)
    return Item("value", apply_scripts(b, b.call("sqrt", (squares,), factor), scripts, factor), tree=factor)


def angle(b, primary, scripts, factor):
    a, c = (b.build(e) for e in group_elements(primary))
    return Item("value", apply_scripts(b, b.call("dot", (a, c), factor), scripts, factor), tree=factor)


def sqrt(b, primary, scripts, factor):
    node = b.call("sqrt", (arg_value(b, primary.children[1]),), factor)
    return Item("value", apply_scripts(b, node, scripts, factor), tree=factor)


def partial(b, primary, scripts, factor):
    b.fail("`\\partial` belongs in a derivative", factor, "\\frac{\\partial L}{\\partial W} or \\frac{\\partial}{\\partial x} f")


def _not_here(b, primary, scripts, factor):
    b.fail("this cannot stand here", factor)


@lru_cache(maxsize=1)
def _primaries() -> dict:
    """primary rule -> handler (the calculus handlers live in latex_calculus, which imports this module)."""
    from .latex_calculus import bigsum, env, frac, lim, nabla
    return {"letter": letter, "command": command, "text": text, "accent": accent, "number": number,
            "group": grouped, "paren": grouped, "bracket": grouped, "setbraces": grouped, "abs": bars,
            "norm": bars, "angle": angle, "sqrt": sqrt, "partial": partial, "frac": frac, "bigsum": bigsum,
            "nabla": nabla, "lim": lim, "env": env}
