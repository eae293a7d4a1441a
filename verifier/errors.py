"""Exceptions: one root, a few subclasses, each saying the cause and the fix.

Every error that a claim file can cause names the file, the key, the offending
text and what was expected, so that a person can act on it without a traceback.
"""

from __future__ import annotations


class VerifierError(Exception):
    """Root of every error this package raises on purpose."""


class ClaimFileError(VerifierError):
    """A claim file is malformed: bad TOML, a missing or unknown key, a bad value.

    Fix the file at the key named in the message.
    """

    def __init__(self, path: str, key: str, problem: str, *, text: str | None = None,
                 expected: str | None = None):
        self.path, self.key, self.problem = path, key, problem
        self.text, self.expected = text, expected
        super().__init__(self.render())

    def render(self) -> str:
        where = f"{self.path}: [{self.key}]" if self.key else str(self.path)
        parts = [f"{where}: {self.problem}"]
        if self.text is not None:
            parts.append(f"offending text: `{_clip(self.text)}`")
        if self.expected:
            parts.append(f"expected {self.expected}")
        return "; ".join(parts)


class UnsafeExpression(ClaimFileError):
    """An expression uses syntax or a name outside the whitelist (attribute access,
    lambdas, imports, unknown functions, oversized literals...).

    Only the operators, functions and names listed in the README's format
    reference are accepted; rewrite the expression with those.
    """


class ShapeError(VerifierError):
    """Two shapes do not fit together (a product, a sum, the two sides of a claim).

    This is a finding about the claim, reported with the verdict `ill-typed`.
    """

    def __init__(self, text: str, problem: str):
        self.text, self.problem = text, problem
        super().__init__(f"{text}: {problem}")


class EvaluationError(VerifierError):
    """An expression could not be built at a concrete shape (an index out of
    range, a log of a non-positive constant, a size limit exceeded)."""


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
