"""The data model: frozen dataclasses carried from loading to the report."""

from __future__ import annotations

from dataclasses import dataclass, field

from .tree import Node

SCALAR_KINDS = ("real", "positive", "index")
ARRAY_KINDS = ("vector", "matrix", "onehot", "probability")
KINDS = SCALAR_KINDS + ARRAY_KINDS + ("function",)
# Vectors and matrices whose entries are constrained; each is written as its own kind in [symbols]
# (`positive(n)`, `mask(m, n)`, `symmetric(n)`, ...) and stored as a vector or matrix with a constraint.
CONSTRAINTS = {
    "positive": "every entry > 0",
    "mask": "every entry 0 or 1",
    "pm1": "every entry -1 or +1 (labels)",
    "symmetric": "a square matrix equal to its transpose",
    "spd": "a symmetric positive-definite matrix",
}

VERDICTS = ("proved", "confirmed", "refuted", "ill-typed", "engine-disagreement", "inconclusive", "error",
            "timeout")
PASSING = ("proved", "confirmed")
FAILING = ("refuted", "ill-typed")


@dataclass(frozen=True)
class Source:
    """Where a claim comes from: the seed file, the note's own text, and where it stands.

    `lines` is (first, last), 1-based and inclusive, in the seed file; `confidence` rates the OCR
    reading ("high", "medium" or "low"), and `reading` explains any choice made in reading it.
    """
    seed: str
    quote: str
    reading: str | None = None
    lines: tuple[int, int] | None = None
    confidence: str | None = None


@dataclass(frozen=True)
class SymbolSpec:
    """One entry of [symbols]: a name, its kind and its dimensions (names or ints)."""
    name: str
    kind: str
    dims: tuple = ()
    constraint: str | None = None   # on the entries of a vector or matrix: see CONSTRAINTS

    @property
    def shape(self) -> tuple:
        if self.kind in ("matrix",):
            return tuple(self.dims)
        if self.kind in ("vector", "onehot", "probability"):
            return (self.dims[0], 1)
        return ()

    def describe(self) -> str:
        dims = self.dims[:1] if self.constraint in ("symmetric", "spd") else self.dims   # written symmetric(n)
        return (self.constraint or self.kind) + (f"({', '.join(str(d) for d in dims)})" if dims else "")


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    statement: str
    path: str
    steps: tuple[Node, ...]          # (lhs, rhs) for an equality, or the derivation chain
    chain: bool = False              # True when the file gave `steps`
    relation: str = "="              # the relation of an equality or inequality (the first inequality of a chain)
    where: Node | None = None
    expect: str | None = None
    sources: tuple[Source, ...] = ()
    symbols: tuple[SymbolSpec, ...] = ()
    lets: tuple[tuple[str, Node], ...] = ()
    relations: tuple[str, ...] = ()  # one per link of a chain with an inequality (`0 < sigmoid(x) < 1`)

    def link_relation(self, step: int) -> str:
        """The relation between steps step-1 and step."""
        return self.relations[step - 1] if self.relations else self.relation

    @property
    def dims(self) -> list[str]:
        """Dimension names in order of first appearance."""
        seen: list[str] = []
        for s in self.symbols:
            for d in s.dims:
                if isinstance(d, str) and d not in seen:
                    seen.append(d)
        return seen

    def symbol(self, name: str) -> SymbolSpec | None:
        return next((s for s in self.symbols if s.name == name), None)


@dataclass(frozen=True)
class StepResult:
    """The verdict on one equals sign (step i-1 -> i) of a claim."""
    index: int
    verdict: str
    detail: str = ""


@dataclass(frozen=True)
class EntryValue:
    """One entry of a counterexample: where it is, both sides, and how far apart."""
    entry: str
    lhs: str
    rhs: str
    relative_error: str


@dataclass(frozen=True)
class Counterexample:
    """A point where the claim fails, certified to the digits shown."""
    step: int                 # which equals sign (1 = between step 0 and step 1)
    shape: dict               # dimension -> size
    indices: dict             # index symbol -> value
    point: dict               # symbol -> value (a string, or nested lists of strings)
    entries: tuple[EntryValue, ...]
    seed: int
    function: str | None = None  # the concrete function standing in for a generic f


@dataclass(frozen=True)
class NumericStep:
    """The numeric cross-check of one equals sign."""
    index: int
    compared: int              # (point, stand-in) pairs compared
    agreement: str             # the agreeing comparisons' largest relative difference, as a bound ("< 1e-6"):
                               # coarse on purpose, so that no CPU's float kernels can change it


@dataclass(frozen=True)
class NumericEvidence:
    shapes: tuple[dict, ...]
    modes: tuple[str, ...]     # "full" (entry by entry) or "directional" (u^T side v) per shape
    functions: tuple[str, ...] # concrete stand-ins for generic functions
    points: int                # points drawn (each compared at every step)
    steps: tuple[NumericStep, ...]
    region: str = ""           # where the points came from
    rejected: tuple = ()       # (reason, count): points not compared
    counterexample: Counterexample | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Repair:
    kind: str                 # the repair's name in repairs.REPAIRS
    description: str          # "transpose W2", "off by a factor -1", ...
    expression: str           # the repaired side, as text
    latex: str
    verified_by: str          # "symbolic proof" or "numeric check"


@dataclass(frozen=True)
class Diagnosis:
    step: int                             # the equals sign diagnosed (1 for lhs = rhs)
    summary: str                          # one line for the summary table
    repairs: tuple[Repair, ...] = ()
    side_condition: str | None = None
    correct_statement: str | None = None  # LaTeX
    correct_how: str | None = None
    correct_expression: str | None = None  # the correct statement in the expression syntax, when a repair gave it
    difference: str | None = None         # LaTeX of lhs - rhs at the smallest shape, when simple


@dataclass(frozen=True)
class Result:
    id: str
    path: str
    verdict: str
    expect: str | None = None
    seconds: float = 0.0
    message: str = ""
    shapes: tuple[dict, ...] = ()
    steps: tuple[StepResult, ...] = ()
    counterexample: Counterexample | None = None
    numeric: NumericEvidence | None = None
    diagnosis: Diagnosis | None = None
    claim: Claim | None = field(default=None, compare=False)
    every_dimension: str | None = None    # how the index-notation engine proved it for every dimension

    def _repr_markdown_(self) -> str:
        """Jupyter shows a Result as its report section: verdict, math, evidence, counterexample, fix."""
        from .report import render_result  # noqa: PLC0415 (report imports this module)
        return render_result(self)

    def _repr_html_(self) -> str:
        """The same section as HTML with MathML math (report_html.py), for notebooks that show HTML."""
        from .report import claim_entry  # noqa: PLC0415
        from .report_html import render_result_html  # noqa: PLC0415
        return render_result_html(claim_entry(self), 0)

    @property
    def agrees(self) -> bool:
        """Whether the verdict matches the curator's expectation (errors never agree)."""
        if self.verdict in ("error", "timeout", "engine-disagreement"):
            return False
        if self.expect == "fails":
            return self.verdict in FAILING
        return self.verdict in PASSING  # a claim without `expect` is asserted to hold
