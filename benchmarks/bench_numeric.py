"""Benchmark of the numeric cross-check (run: python benchmarks/bench_numeric.py).

Measures on this machine, in one run so that ratios are comparable:
1. the time to check a 2-layer-network gradient claim at widths 8 (full: every entry), 64 and 512
   (directional: u^T J v);
2. the accuracy of the finite-difference derivative against the exact (sympy) one on smooth claims;
3. the smallest relative error planted in a true gradient that the check detects at every seed, with
   the false alarms on the true claim over the same seeds;
4. side by side, on the same function, points and planted errors, whichever of
   torch.autograd.gradcheck, jax's check_grads and numdifftools is installed (none is a dependency).

Nothing here asserts on a figure that float noise could change (another CPU's BLAS kernel picks other
roundings): a false alarm, a disagreement certified as noise, a point not compared is printed, never
fatal.  The script fails only when the verifier's API fails.
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
from verifier.numeric_check import check_numeric
from verifier.plan import Settings, make_plan
from verifier.points import draw_values
from verifier.standins import instantiate_functions
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
EPS_LIST = [10.0 ** -k for k in range(2, 16)]   # planted relative errors, largest first (to 1e-15)


def claim_of(text: str, claim_id: str = "bench.claim"):
    if not text.lstrip().startswith("id"):
        text = f'id = "{claim_id}"\ntitle = "bench"\nclaim = "bench"\n' + text
    return parse_claim(tomllib.loads(text), "<bench>")


def net(eps: float = 0.0):
    """The network claim; with eps, the claimed side is off by a factor 1 + eps."""
    return claim_of(NET.format(factor=f"(1 + {eps!r})*" if eps else ""))


def dims_at(claim, width: int) -> dict:
    """The dimensions width, width + 1, width + 2 (n1, n2, n3)."""
    return {d: width + i for i, d in enumerate(claim.dims)}


def mode_at(width: int) -> str:
    return "full" if width <= 8 else "directional"


def check_at(claim, width: int, seed: int, points: int):
    """The numeric check at one shape only (with every stand-in of f), in the mode of that width."""
    plan = make_plan(claim, Settings(seed=seed, points=points, large=0))
    return check_numeric(plan, shapes=[(dims_at(claim, width), mode_at(width))])


def noise_of(out) -> tuple[int, float, int]:
    """(float disagreements certified as noise, largest relative difference seen, points not compared)."""
    return (sum(s.certified_noise for s in out.steps), max((s.max_relative for s in out.steps), default=0.0),
            sum(out.rejected.values()))


# -- 1. time per check ------------------------------------------------------------------------

def time_widths(widths, repeats: int, points: int):
    rows = []
    claim = net()
    for width in widths:
        times, alarms, noise, worst, skipped = [], 0, 0, 0.0, 0
        for r in range(repeats):
            start = time.perf_counter()
            out = check_at(claim, width, seed=r, points=points)
            times.append(time.perf_counter() - start)
            alarms += out.counterexample is not None
            n, w, k = noise_of(out)
            noise, worst, skipped = noise + n, max(worst, w), skipped + k
        rows.append(dict(width=width, mode=mode_at(width), best=min(times), median=statistics.median(times),
                         points=out.points, functions=len(out.functions), compared=out.steps[0].compared,
                         alarms=alarms, noise=noise, worst=worst, skipped=skipped, repeats=repeats))
    return rows


# -- 2. finite differences against the exact derivative ---------------------------------------

def fd_accuracy(points: int):
    """Relative error (to the largest entry) of the central difference at h, and of the Richardson
    combination of h and 2h that the check compares, against sympy's exact derivative at the same point."""
    rows = []
    for name, text in SMOOTH.items():
        claim = claim_of(text, f"bench.{name}")
        function = make_plan(claim, Settings()).functions[0]
        dims = {d: 3 + i for i, d in enumerate(claim.dims)}
        plain, richardson = [], []
        rng = np.random.default_rng(0)
        for _ in range(points):
            values = draw_values(claim, dims, {}, rng, "box")
            d1, d2 = (np.ravel(np.asarray(ArrayEvaluator(claim, values, FLOAT, function, step_scale=s)(
                claim.steps[0]), float)) for s in (1, 2))
            exact = np.ravel(np.asarray(exact_side(claim, dims, values, function), float))
            scale = max(float(np.max(np.abs(exact))), 1e-300)
            plain.append(float(np.max(np.abs(d1 - exact))) / scale)
            richardson.append(float(np.max(np.abs((4 * d1 - d2) / 3 - exact))) / scale)
        rows.append((name, function or "-", statistics.median(plain), max(plain),
                     statistics.median(richardson), max(richardson)))
    return rows


def exact_side(claim, dims, values, function):
    """The left side by sympy (exact derivatives), evaluated at the float point with 30 digits."""
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
    value = value.xreplace(subs)
    if function:
        value = instantiate_functions(value, function)
    if isinstance(value, sp.MatrixBase):
        return np.array([[float(sp.N(e, 30)) for e in value.row(i)] for i in range(value.rows)])
    return float(sp.N(value, 30))


# -- 3. planted errors ------------------------------------------------------------------------

def planted(widths, seeds: int, points: int):
    """Smallest planted relative error detected at every seed, and false alarms on the true claim."""
    rows = []
    for width in widths:
        start = time.perf_counter()
        truth = [check_at(net(), width, seed=s, points=points) for s in range(seeds)]
        alarms = sum(out.counterexample is not None for out in truth)
        noise = sum(noise_of(out)[0] for out in truth)
        detected, missed_at = None, None
        for eps in EPS_LIST:
            hits = sum(check_at(net(eps), width, seed=s, points=points).counterexample is not None
                       for s in range(seeds))
            if hits < seeds:
                missed_at = (eps, hits)
                break
            detected = eps
        rows.append(dict(width=width, detected=detected, missed_at=missed_at, alarms=alarms, noise=noise,
                         seeds=seeds, seconds=time.perf_counter() - start))
    return rows


# -- 4. other tools, side by side -------------------------------------------------------------

def network_point(width: int, seed: int) -> dict:
    """x, W1, b1, W2, b2, v as the verifier draws them (box region), as float64 arrays."""
    claim = net()
    return draw_values(claim, dims_at(claim, width), {}, np.random.default_rng(seed), "box")


def claimed_gradient(p: dict, W, eps: float, xp=np):
    """The claimed ds/dW1 = delta2 x^T with f = tanh, off by a factor 1 + eps."""
    z2 = W @ p["x"] + p["b1"]
    z3 = p["W2"] @ xp.tanh(z2) + p["b2"]
    d3 = p["v"] * (1 - xp.tanh(z3) ** 2)
    d2 = (p["W2"].T @ d3) * (1 - xp.tanh(z2) ** 2)
    return (1 + eps) * (d2 @ p["x"].T)


def score(p: dict, W, xp=np):
    return (p["v"].T @ xp.tanh(p["W2"] @ xp.tanh(W @ p["x"] + p["b1"]) + p["b2"])).reshape(())


def torch_tool():
    """torch.autograd.gradcheck with its defaults (float64), on a custom function whose backward is the
    claimed formula.  None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None

    def check(p, eps):
        q = {k: torch.tensor(v, dtype=torch.float64) for k, v in p.items() if isinstance(v, np.ndarray)}

        class Score(torch.autograd.Function):
            @staticmethod
            def forward(ctx, W):
                ctx.save_for_backward(W)
                return score(q, W, torch)

            @staticmethod
            def backward(ctx, grad_out):
                (W,) = ctx.saved_tensors
                return grad_out * claimed_gradient(q, W, eps, torch)

        W = q["W1"].clone().requires_grad_(True)
        return torch.autograd.gradcheck(Score.apply, (W,), raise_exception=False)
    return "torch.autograd.gradcheck", check


def jax_tool():
    """jax.test_util.check_grads(order=1, modes=["rev"]) with its defaults (float64), on a custom_vjp
    function whose backward is the claimed formula.  None when jax is not installed."""
    try:
        import jax
        import jax.numpy as jnp
        from jax.test_util import check_grads
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def check(p, eps):
        q = {k: jnp.asarray(v) for k, v in p.items() if isinstance(v, np.ndarray)}

        @jax.custom_vjp
        def s(W):
            return score(q, W, jnp)

        s.defvjp(lambda W: (s(W), W), lambda W, g: (g * claimed_gradient(q, W, eps, jnp),))
        try:
            check_grads(s, (q["W1"],), order=1, modes=["rev"])
        except AssertionError:
            return False
        return True
    return "jax check_grads", check


def numdifftools_tool():
    """numdifftools.Gradient (its default Richardson extrapolation), compared with the claimed gradient
    by np.allclose's defaults (rtol 1e-5, atol 1e-8).  None when numdifftools is not installed."""
    try:
        import numdifftools as nd
    except ImportError:
        return None

    def check(p, eps):
        W = p["W1"]
        numerical = nd.Gradient(lambda w: float(score(p, w.reshape(W.shape))))(W.ravel())
        return bool(np.allclose(np.ravel(claimed_gradient(p, W, eps)), numerical))
    return "numdifftools", check


TOOLS = {"torch": (torch_tool, "pip install torch"), "jax": (jax_tool, "pip install jax"),
         "numdifftools": (numdifftools_tool, "pip install numdifftools")}


def tool_rows(tool, widths, seeds: int, repeats: int):
    name, check = tool
    rows = []
    for width in widths:
        p0 = network_point(width, 0)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            check(p0, 0.0)
            times.append(time.perf_counter() - start)
        points = [network_point(width, s) for s in range(seeds)]
        passes = sum(check(p, 0.0) for p in points)
        detected = None
        for eps in EPS_LIST:
            if any(check(p, eps) for p in points):
                break
            detected = eps
        rows.append(dict(width=width, best=min(times), passes=passes, seeds=seeds, detected=detected))
    return rows


# -- output -----------------------------------------------------------------------------------

def print_table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(x) for x in row) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 64, 512])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per width (seeds 0..repeats-1)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds for the planted errors")
    parser.add_argument("--points", type=int, default=5, help="points per stand-in (the CLI's --points)")
    parser.add_argument("--planted-widths", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--tool-widths", type=int, nargs="+", default=[8, 64],
                        help="widths for torch and numdifftools (full Jacobians); jax also gets 512")
    args = parser.parse_args()
    began = time.perf_counter()

    print(f"## 1. Time per check of the 2-layer-network gradient ds/dW1, dimensions width, width+1, "
          f"width+2; {args.points} points per stand-in of f, best and median of {args.repeats} seeds, seconds")
    rows = time_widths(args.widths, args.repeats, args.points)
    print_table(["width", "mode", "best s", "median s", "points", "stand-ins", "compared", "false alarms",
                 "certified noise", "largest rel. diff", "not compared"],
                [(r["width"], r["mode"], f"{r['best']:.3f}", f"{r['median']:.3f}", r["points"], r["functions"],
                  r["compared"], f"{r['alarms']} of {r['repeats']}", r["noise"], f"{r['worst']:.0e}",
                  r["skipped"]) for r in rows])

    print("\n## 2. Finite-difference derivative against the exact (sympy) one, relative to the largest entry, "
          "20 points, dimensions 3, 4, 5")
    print_table(["claim", "f", "central h: median", "worst", "Richardson h, 2h (compared): median", "worst"],
                [(n, f, f"{a:.1e}", f"{b:.1e}", f"{c:.1e}", f"{d:.1e}") for n, f, a, b, c, d in fd_accuracy(20)])

    print(f"\n## 3. Smallest planted relative error (rhs times 1 + eps) detected at all {args.seeds} seeds; "
          "false alarms on the true claim over the same seeds")
    rows = planted(args.planted_widths, args.seeds, args.points)
    print_table(["width", "mode", "smallest detected", "first missed (seeds detected)", "false alarms",
                 "certified noise (true claim)", "seconds"],
                [(r["width"], mode_at(r["width"]), r["detected"] or "none",
                  f"{r['missed_at'][0]:g} ({r['missed_at'][1]} of {r['seeds']})" if r["missed_at"] else "-",
                  f"{r['alarms']} of {r['seeds']}", r["noise"], f"{r['seconds']:.1f}") for r in rows])

    print(f"\n## 4. Other tools on the same function (f = tanh) and points, defaults, float64; "
          f"planted error detected at all {args.seeds} seeds")
    for key, (make, how) in TOOLS.items():
        tool = make()
        if tool is None:
            print(f"- {key}: not installed (`{how}` adds it; not a dependency of the verifier)")
            continue
        widths = sorted(set(args.tool_widths) | ({512} & set(args.widths) if key == "jax" else set()))
        rows = tool_rows(tool, widths, args.seeds, args.repeats)
        print(f"\n{tool[0]}:")
        print_table(["width", "seconds per check", "true claim passes", "smallest detected"],
                    [(r["width"], f"{r['best']:.3f}", f"{r['passes']} of {r['seeds']}", r["detected"] or "none")
                     for r in rows])
    print(f"\n(total {time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
