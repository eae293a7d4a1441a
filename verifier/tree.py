"""The one expression tree that the parser builds and every back end reads.

A node is an operator name, its argument nodes, an optional payload and the
source text it came from (for messages).  Operators:

  num (value: Fraction)      name (value: str)
  add sub mul matmul div pow neg      ``mul`` is the scalar or matrix product
  T (transpose)              index (args: base, i[, j])
  call (value: function name; see functions.FUNCTIONS)
  fapply (value: (function name, order)): f(z), fprime(z), diff(f)(z), diff(sigmoid)(z)
  diff (args: expr, var; value: order)   grad (args: scalar, var)   jacobian (args: y, x)
  lt le gt ge eq ne and or not        (conditions: `where`, ind(...))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterator


@dataclass(frozen=True)
class Node:
    op: str
    args: tuple["Node", ...] = ()
    value: object = None
    text: str = field(default="", compare=False)

    def walk(self) -> Iterator["Node"]:
        """This node and every node below it, parents first."""
        yield self
        for arg in self.args:
            yield from arg.walk()

    def names(self) -> set[str]:
        return {n.value for n in self.walk() if n.op == "name"}

    def __str__(self) -> str:
        return self.text or f"{self.op}{self.args}"


COMPARISONS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
BOOLEAN = {"and", "or", "not"}


def num(value: int | Fraction, text: str = "") -> Node:
    return Node("num", (), Fraction(value), text or str(value))


def depth(node: Node) -> int:
    return 1 + max((depth(a) for a in node.args), default=0)
