"""Benchmark of the numeric cross-check (run: python benchmarks/bench_numeric.py).

Measures on this machine, in one run so that ratios are comparable:
1. the time to check a 2-layer-network gradient claim at widths 8, 64, 512;
2. the accuracy of the finite-difference derivative against the exact (sympy) one on smooth claims;
3. the smallest relative error planted in a true gradient that the check detects, with the number of
   false alarms over the true claims;
4. if torch is installed, torch.autograd.gradcheck with its defaults on the same functions, side by side.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tomllib

import numpy as np
import sympy as sp

from verifier.loader import parse_claim
from verifier.numeric import FLOAT, ArrayEvaluator
from verifier.numeric_check import check_numeric, draw_point
from verifier.symbolic import Instance

NET = '''
id = "bench.mlp2"
title = "bench"
claim = "ds/dW1 = delta2 x^T"
[symbols]
x = "vector(n1)"
W1 = "matrix(n2, n1)"
b1 = "vector(n2)"
W2 = "matrix(n3, n2)"
b2 = "vector(n3)"
v = "vector(n3)"
f = "function"
[let]
z2 = "W1*x + b1"
z3 = "W2*f(z2) + b2"
s = "v.T*f(z3)"
delta3 = "hadamard(v, fprime(z3))"
delta2 = "hadamard(W2.T*delta3, fprime(z2))"
[check]
lhs = "grad(s, W1)"
rhs = "{factor}delta2*x.T"
'''

SMOOTH = {
    "sigmoid": '[symbols]\nx = "real"\n[check]\nlhs = "diff(sigmoid(x), x)"\nrhs = "sigmoid(x)*(1 - sigmoid(x))"\n',
    "softmax-ce": ('[symbols]\nt = "vector(n)"\ny = "onehot(n)"\n[check]\n'
                   'lhs = "grad(-sum(hadamard(y, log(softmax(t)))), t)"\nrhs = "softmax(t) - y"\n'),
    "mlp2-W1": NET.format(factor=""),
}


def claim_of(text: str, claim_id: str = "bench.claim"):
    if not text.lstrip().startswith("id"):
        text = f'id = "{claim_id}"\ntitle = "bench"\nclaim = "bench"\n' + text
    return parse_claim(tomllib.loads(text), "<bench>")


def net(width: int, eps: float = 0.0):
    return claim_of(NET.format(factor=f"(1 + {eps!r})*" if eps else ""))


def check_at(claim, width: int, seed: int, points: int):
    """The numeric check at one shape only, the dimensions width, width + 1, width + 2."""
    shape = {d: width + i for i, d in enumerate(claim.dims)}
    return check_numeric(claim, seed=seed, points=points, large=0, shapes=[shape])


def time_widths(widths, repeats: int):
    rows = []
    for width in widths:
        claim = net(width)
        times = []
        for r in range(repeats):
            start = time.perf_counter()
            out = check_at(claim, width, seed=r, points=5)
            times.append(time.perf_counter() - start)
            assert out.counterexample is None
        rows.append((width, min(times), statistics.median(times), out.points, out.modes[0]))
    return rows


def fd_accuracy(points: int):
    """Relative error of the finite-difference side against sympy's exact derivative at the same point."""
    rows = []
    for name, text in SMOOTH.items():
        claim = claim_of(text, f"bench.{name}")
        dims = {d: 3 + i for i, d in enumerate(claim.dims)}
        indices: dict = {}
        errors = []
        rng = np.random.default_rng(0)
        for _ in range(points):
            values = draw_point(claim, dims, indices, rng)
            numeric = np.ravel(np.asarray(ArrayEvaluator(claim, values, FLOAT, "tanh")(claim.steps[0]), float))
            exact = np.ravel(np.asarray(exact_side(claim, dims, values), float))
            scale = max(np.max(np.abs(exact)), 1e-300)
            errors.append(float(np.max(np.abs(numeric - exact)) / scale))
        rows.append((name, statistics.median(errors), max(errors)))
    return rows


def exact_side(claim, dims, values):
    """The left side by sympy (exact derivatives), evaluated at the float point."""
    from verifier.proof import instantiate_functions
    instance = Instance.make(claim, dims, {})
    value = instance.evaluator()(claim.steps[0])
    subs = {}
    for spec in claim.symbols:
        if spec.kind in ("index", "function"):
            continue
        sym = instance.bindings[spec.name]
        if isinstance(sym, sp.MatrixBase):
            subs.update({s: sp.Float(x, 30) for s, x in zip(sym, np.ravel(values[spec.name]))})
        else:
            subs[sym] = sp.Float(values[spec.name], 30)
    value = instantiate_functions(value.xreplace(subs) if hasattr(value, "xreplace") else value, "tanh")
    if isinstance(value, sp.MatrixBase):
        return np.array([[float(sp.N(e, 30)) for e in value.row(i)] for i in range(value.rows)])
    return float(sp.N(value, 30))


def planted(widths, eps_list, seeds: int):
    """Smallest planted relative error detected at every seed, and false alarms on the true claim."""
    rows = []
    for width in widths:
        false_alarms = sum(check_at(net(width), width, seed=s, points=5).counterexample is not None
                           for s in range(seeds))
        detected = None
        for eps in eps_list:
            if all(check_at(net(width, eps), width, seed=s, points=5).counterexample is not None
                   for s in range(seeds)):
                detected = eps
            else:
                break
        rows.append((width, detected, false_alarms, seeds))
    return rows


# -- torch, side by side -------------------------------------------------------------------

def torch_rows(widths, eps_list, repeats: int):
    try:
        import torch
    except ImportError:
        return None
    rows = []
    for width in widths:
        n1, n2, n3 = width, width + 1, width + 2
        g = torch.Generator().manual_seed(0)
        x = torch.empty(n1, 1, dtype=torch.float64).uniform_(-2, 2, generator=g)
        W1 = (torch.rand(n2, n1, dtype=torch.float64, generator=g) * 2 - 1) * (3.0 / n1) ** 0.5
        b1 = torch.empty(n2, 1, dtype=torch.float64).uniform_(-2, 2, generator=g)
        W2 = (torch.rand(n3, n2, dtype=torch.float64, generator=g) * 2 - 1) * (3.0 / n2) ** 0.5
        b2 = torch.empty(n3, 1, dtype=torch.float64).uniform_(-2, 2, generator=g)
        v = torch.empty(n3, 1, dtype=torch.float64).uniform_(-2, 2, generator=g)

        def make(eps):
            class Score(torch.autograd.Function):
                """s(W1) whose backward is the claimed formula, off by a factor (1 + eps)."""

                @staticmethod
                def forward(ctx, W):
                    ctx.save_for_backward(W)
                    return (v.T @ torch.tanh(W2 @ torch.tanh(W @ x + b1) + b2)).reshape(())

                @staticmethod
                def backward(ctx, grad_out):
                    (W,) = ctx.saved_tensors
                    z2 = W @ x + b1
                    z3 = W2 @ torch.tanh(z2) + b2
                    d3 = v * (1 - torch.tanh(z3) ** 2)
                    d2 = (W2.T @ d3) * (1 - torch.tanh(z2) ** 2)
                    return grad_out * (1 + eps) * (d2 @ x.T)
            return Score.apply

        W = W1.clone().requires_grad_(True)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            ok = torch.autograd.gradcheck(make(0.0), (W,), raise_exception=False)
            times.append(time.perf_counter() - start)
        detected = None
        for eps in eps_list:
            if not torch.autograd.gradcheck(make(eps), (W,), raise_exception=False):
                detected = eps
            else:
                break
        rows.append((width, min(times), ok, detected))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 64, 512])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--torch-widths", type=int, nargs="+", default=[8, 64])
    args = parser.parse_args()
    eps_list = [10.0 ** -k for k in range(2, 12)]

    print("## 1. Time to check a 2-layer-network gradient (ds/dW1), 5 points x 4 functions, seconds")
    print("| width | mode | best | median | points |")
    print("|---|---|---|---|---|")
    for width, best, median, points, mode in time_widths(args.widths, args.repeats):
        print(f"| {width} | {mode} | {best:.3f} | {median:.3f} | {points} |")

    print("\n## 2. Finite-difference derivative against the exact one (relative to the largest entry)")
    print("| claim | median error | worst error |")
    print("|---|---|---|")
    for name, median, worst in fd_accuracy(20):
        print(f"| {name} | {median:.1e} | {worst:.1e} |")

    print(f"\n## 3. Smallest planted relative error detected at all {args.seeds} seeds; false alarms on the true claim")
    print("| width | smallest detected | false alarms |")
    print("|---|---|---|")
    for width, detected, alarms, seeds in planted(args.widths[:2], eps_list, args.seeds):
        print(f"| {width} | {detected if detected else 'none'} | {alarms} of {seeds} |")

    rows = torch_rows(args.torch_widths, eps_list, args.repeats)
    print("\n## 4. torch.autograd.gradcheck (defaults, float64) on the same function")
    if rows is None:
        print("torch is not installed: `pip install torch==2.13.0` to add this table")
    else:
        print("| width | seconds | true claim passes | smallest detected |")
        print("|---|---|---|---|")
        for width, seconds, ok, detected in rows:
            print(f"| {width} | {seconds:.3f} | {ok} | {detected if detected else 'none'} |")


if __name__ == "__main__":
    main()
