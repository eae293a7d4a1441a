"""Derivatives, sums, limits and environments in LaTeX -> tree nodes.

\\frac{d}{dx} F and \\frac{\\partial}{\\partial x} F (the operator form) and \\frac{\\partial F}{\\partial x}
(the fraction form) mean the same: by a scalar or an entry, `diff`; by a matrix, `grad` (the
gradient, shaped like the matrix); by a vector, `jacobian` (one row per output, as the reports
write it).  \\nabla_x F is always `grad`.  The expression language has no index sums: \\sum_j
is accepted when it maps onto whole-array operations (sum(exp(s)) for \\sum_j e^{s_j}), and
refused otherwise with "index sums are not supported yet".
"""

from __future__ import annotations

from lark import Token, Tree

from .functions import FUNCTIONS
from .latex_build import Item, _single, shape_kind
from .latex_items import (apply_scripts, text_word, arg_value, content, factor_item, group_elements, plain_text,
                          product_entries)

_NOT_YET = "index sums are not supported yet"


# -- derivatives -----------------------------------------------------------------------------------

def differential(b, arg):
    """(order, rest of the product) when the argument starts with d or \\partial (d^2, \\partial^{2}), else None."""
    node = content(arg)
    if isinstance(node, Token):
        return (1, []) if node.type == "PARTIAL" or (node.type == "LETTER" and node.value == "d") else None
    entries = product_entries(node)
    if not entries:
        return None
    first = entries[0][1]
    primary = first.children[0]
    is_d = (primary.data == "partial" or (primary.data == "letter" and primary.children[0].value == "d")
            or (primary.data == "text" and plain_word(primary) == "d"))
    if not is_d:
        return None
    scripts = first.children[1:]
    order = 1
    if scripts:
        if len(scripts) != 1 or scripts[0].data != "sup" or not (plain_text(scripts[0].children[-1]) or "").isdigit():
            b.fail("a differential takes only an order", first, "d^2 or \\partial^{2}")
        order = int(plain_text(scripts[0].children[-1]))
    return order, entries[1:]


def plain_word(primary) -> str:
    return text_word(primary)


def variable(b, arg, tree):
    """The variable of a derivative's denominator (\\partial x, dx, \\partial W_{ij}, \\partial x^2) and its order."""
    found = differential(b, arg)
    if found is None or len(found[1]) != 1 or found[0] != 1:
        b.fail("the denominator of a derivative is one variable", tree,
               "\\frac{d}{dx}, \\frac{\\partial L}{\\partial W}, \\frac{\\partial^2}{\\partial x^2}")
    factor = found[1][0][1]
    scripts = list(factor.children[1:])
    order = 1
    if scripts and scripts[-1].data == "sup" and (plain_text(scripts[-1].children[-1]) or "").isdigit():
        order = int(plain_text(scripts[-1].children[-1]))
        scripts = scripts[:-1]
    item = factor_item(b, Tree("factor", [factor.children[0]] + scripts, factor.meta))
    node = item.node
    if item.kind != "value" or not (node.op == "name" or (node.op == "index" and node.args[0].op == "name")):
        b.fail("the variable of a derivative is a declared name or an entry of one", tree,
               "\\partial x, \\partial W, \\partial W_{ij}")
    return node, order


def derivative(b, body, var, order, tree):
    kind = "scalar" if var.op == "index" else shape_kind(b.shape_of(var.value))
    if kind in ("scalar", "unknown"):
        return b.make("diff", (body, var), order, tree)
    if order != 1:
        b.fail("a second derivative is by a scalar", tree, "\\frac{\\partial^2}{\\partial x^2} with x a scalar")
    return b.make("grad" if kind == "matrix" else "jacobian", (body, var), None, tree)


def frac(b, primary, scripts, factor):
    top, bottom = primary.children[1], primary.children[2]
    found = differential(b, top)
    if found is None:
        node = b.make("div", (arg_value(b, top), arg_value(b, bottom)), None, factor)
        return Item("value", apply_scripts(b, node, scripts, factor), tree=factor)
    order, rest = found
    var, var_order = variable(b, bottom, factor)
    if var_order != order:
        b.fail(f"the orders differ: {order} above, {var_order} below", factor, "\\frac{d^2}{dx^2}")
    if rest:
        node = derivative(b, b.fold([(None, rest[0][1])] + rest[1:], factor), var, order, factor)
        return Item("value", apply_scripts(b, node, scripts, factor), tree=factor)
    if scripts:
        b.fail("a derivative operator takes no scripts", factor)
    return Item("operator", apply=lambda body: derivative(b, body, var, order, factor), tree=factor,
                label=f"`{b.snippet(factor)}`")


def nabla(b, primary, scripts, factor):
    if len(scripts) != 1 or scripts[0][0] != "sub":
        b.fail("\\nabla needs its variable as a subscript", factor, "\\nabla_W L")
    var = arg_value(b, scripts[0][1])
    if not (var.op == "name" or (var.op == "index" and var.args[0].op == "name")):
        b.fail("the variable of \\nabla is a declared name or an entry of one", factor, "\\nabla_W L")
    return Item("operator", apply=lambda body: b.make("grad", (body, var), None, factor), tree=factor,
                label="`\\nabla`")


def lim(b, primary, scripts, factor):
    chain = _single(content(scripts[0][1]) if scripts and scripts[0][0] == "sub" else None,
                    ("group", "logic", "conj", "negation"))
    if len(scripts) != 1 or not isinstance(chain, Tree) or chain.data != "chain" or len(chain.children) != 3 \
            or chain.children[1].value != "\\to":
        b.fail("\\lim needs `_{eps \\to point}`", factor, "\\lim_{\\epsilon \\to 0}")
    eps, point = b.build(chain.children[0]), b.build(chain.children[2])
    if eps.op != "name" or point.op != "num" and not (point.op == "neg" and point.args[0].op == "num"):
        b.fail("\\lim_{eps \\to point} needs a symbol and a constant point", factor)
    return Item("operator", apply=lambda body: b.make("limit", (body, eps, point), None, factor), tree=factor,
                label="`\\lim`")


# -- sums ----------------------------------------------------------------------------------------

def bigsum(b, primary, scripts, factor):
    if not scripts:
        return Item("operator", apply=lambda body: b.call("sum", (body,), factor), tree=factor, label="`\\sum`")
    if any(kind != "sub" for kind, _ in scripts) or len(scripts) != 1:
        b.fail(f"{_NOT_YET} with limits", factor, "\\sum_j (over every entry) or \\sum_{j \\ne y}")
    bound, excluded = _summation_index(b, scripts[0][1], factor)
    return Item("operator", bound=bound, tree=factor, label="`\\sum`",
                apply=lambda body: sum_over(b, body, bound, excluded, factor))


def _summation_index(b, arg, factor):
    text = plain_text(arg)
    if text is not None and len(text) == 1 and text.isalpha():
        return text, None
    node = content(arg)
    chain = _single(node, ("group", "logic", "conj", "negation")) if isinstance(node, Tree) else None
    if isinstance(chain, Tree) and chain.data == "chain" and len(chain.children) == 3 \
            and chain.children[1].value in ("\\ne", "\\neq"):
        index = plain_text(Tree("group", [chain.children[0]]))
        if index is not None and len(index) == 1 and index.isalpha():
            return index, b.build(chain.children[2])
    b.fail(f"{_NOT_YET} in this form", factor, "\\sum_j or \\sum_{j \\ne y}")


def sum_over(b, body, j, excluded, tree):
    """\\sum_j body as sum(vectorised body); with j != y, minus the body at y."""
    whole = _vectorise(b, body, j, tree)
    if whole is None:
        b.fail(f"{_NOT_YET}: the summand must use `{j}` only as the index of vectors (s_{j}), "
               "combined entry by entry", tree, "\\sum_j e^{s_j}, \\sum_j y_j \\log p_j, or sum(...) in an expression")
    total = b.call("sum", (whole,), tree)
    if excluded is None:
        return total
    return b.make("sub", (total, _substitute(b, body, j, excluded, tree)), None, tree)


_ENTRYWISE = {name for name, fn in FUNCTIONS.items() if fn.scalar is not None} | {"Max", "Min"}


def _vectorise(b, node, j, tree):
    """The array whose entries are the summand at each j, or None when it is not entrywise in j."""
    if j not in node.names():
        return node
    if node.op == "index" and len(node.args) == 2 and node.args[1].op == "name" and node.args[1].value == j:
        base = node.args[0]
        if j in base.names():
            return None
        if base.op == "name":
            return base if shape_kind(b.shape_of(base.value)) in ("vector", "unknown") else None
        # an entry of a vector-valued function's value: \operatorname{softmax}(\theta)_j, \sigma(z)_j
        return base if base.op == "call" and (base.value == "softmax" or base.value in _ENTRYWISE) else None
    if node.op in ("add", "sub", "neg") or (node.op == "call" and node.value in _ENTRYWISE) or node.op == "fapply":
        args = [_vectorise(b, a, j, tree) for a in node.args]
        return None if None in args else b.make(node.op, tuple(args), node.value, tree)
    if node.op == "mul":
        a, c = (_vectorise(b, x, j, tree) for x in node.args)
        if a is None or c is None:
            return None
        both = all(j in x.names() for x in node.args)
        return b.call("hadamard", (a, c), tree) if both else b.make("mul", (a, c), None, tree)
    if node.op in ("div", "pow") and j not in node.args[1].names():
        a = _vectorise(b, node.args[0], j, tree)
        return None if a is None else b.make(node.op, (a, node.args[1]), None, tree)
    return None


def _substitute(b, node, j, value, tree):
    if node.op == "name" and node.value == j:
        return value
    if j not in node.names():
        return node
    return b.make(node.op, tuple(_substitute(b, a, j, value, tree) for a in node.args), node.value, tree)


# -- environments ----------------------------------------------------------------------------------

def env(b, primary, scripts, factor):
    words = [t.value for t in primary.children if isinstance(t, Token) and t.type == "LETTER"]
    rows = next(c for c in primary.children if isinstance(c, Tree) and c.data == "rows")
    cells = [[c for c in row.children if isinstance(c, Tree)] for row in rows.children if isinstance(row, Tree)]
    half = len(words) // 2
    name, closing = "".join(words[:half]), "".join(words[half:])
    if name != closing:
        b.fail(f"\\begin{{{name}}} ends with \\end{{{closing}}}", factor)
    if name == "cases":
        node = _cases(b, cells, factor)
    elif name in ("bmatrix", "pmatrix", "matrix"):
        if any(len(row) != 1 for row in cells):
            b.fail("only column vectors are supported", factor, "\\begin{bmatrix} a \\\\ b \\end{bmatrix}")
        node = b.make("vector", tuple(b.build(row[0]) for row in cells), None, factor)
    else:
        b.fail(f"environment `{name}` is not supported", factor, "cases, bmatrix or pmatrix")
    return Item("value", apply_scripts(b, node, scripts, factor), tree=factor)


def _cases(b, cells, factor):
    """value_k where condition_k holds (the first that holds): sum of value_k * 1[...]."""
    terms, earlier = [], []
    for row in cells:
        if len(row) != 2:
            b.fail("each case is `value & condition`", factor, "\\begin{cases} 1 & x > 0 \\\\ 0 & \\text{otherwise} \\end{cases}")
        value = b.build(row[0])
        condition = _condition(b, row[1])
        parts = [b.make("not", (c,), None, factor) for c in earlier] + ([condition] if condition is not None else [])
        if not parts:
            b.fail("`otherwise` cannot be the first case", factor)
        cond = parts[0] if len(parts) == 1 else b.make("and", tuple(parts), None, factor)
        terms.append(b.make("mul", (value, b.make("ind", (cond,), None, factor)), None, factor))
        if condition is None:
            break
        earlier.append(condition)
    result = terms[0]
    for term in terms[1:]:
        result = b.make("add", (result, term), None, factor)
    return result


def _condition(b, cell):
    """A case's condition; `\\text{otherwise}` -> None; a leading `\\text{if}` is dropped."""
    entries = product_entries(cell)
    if entries and len(entries) == 1 and entries[0][1].children[0].data == "text" \
            and plain_word(entries[0][1].children[0]) in ("otherwise", "else"):
        return None
    chain = _single(cell, ("logic", "conj", "negation"))
    if isinstance(chain, Tree) and chain.data == "chain":
        first = _single(chain.children[0], ("sum", "term"))
        if isinstance(first, Tree) and first.data == "product":
            head = first.children[0]
            if head.children[0].data == "text" and plain_word(head.children[0]) in ("if", "when", "for"):
                product = Tree("product", first.children[1:], first.meta)
                chain = Tree("chain", [product] + chain.children[1:], chain.meta)
                return b.build(chain)
    return b.build(cell)


__all__ = ["frac", "nabla", "lim", "bigsum", "env", "group_elements"]
