"""Check hand-written ML derivations: shapes, a sympy proof, and certified counterexamples.

In a notebook::

    from verifier import check
    check("diff(sigmoid(x), x) = sigmoid(x)*(1 - sigmoid(x))")
    check("grad(x.T*A*x, x) = 2*A*x", symbols="A: matrix(n, n), x: vector(n)")

returns the claim's ``Result`` (``.verdict``, ``.counterexample``, ``.diagnosis``), which Jupyter
displays as its report section.
"""

from __future__ import annotations


def check(equation: str, symbols: str | None = None, *, where: str | None = None, seed: int = 0,
          timeout: float = 60.0, points: int = 5, large: int = 64):
    """Verify one claim written on one line, with the arguments of `verify-derivations check`.

    ``symbols`` declares symbols as ``"name: kind"`` pairs separated by commas (kinds as in claim files);
    an undeclared single letter is a real scalar.  The claim runs in a worker process under ``timeout``
    seconds, as on the command line.  A malformed equation raises ``verifier.errors.ClaimFileError``."""
    from .oneline import make_claim  # noqa: PLC0415 (keep `import verifier` light)
    from .runner import run_claims  # noqa: PLC0415
    from .verify import Settings  # noqa: PLC0415
    claim = make_claim(equation, symbols=symbols, where=where)
    return run_claims([claim], Settings(seed=seed, points=points, timeout=timeout, large=large))[0]
