"""Issue 10: the same claim and seed give the same report text under load and whatever the claim's id."""

import dataclasses
import multiprocessing as mp
import time
from pathlib import Path

from verifier.loader import load_claim
from verifier.report import make_report, render_json
from verifier.verify import Settings, verify

ROOT = Path(__file__).parent.parent
HEAVY = ["derivations/backprop/delta-recursion.toml"]


def _spin(stop_at: float):
    while time.time() < stop_at:
        sum(i * i for i in range(10000))


def _report(paths, settings):
    results = [dataclasses.replace(verify(load_claim(ROOT / p), settings), seconds=0.0) for p in paths]
    return render_json(make_report(results, seed=settings.seed))


def test_heavy_claims_give_byte_identical_reports_with_busy_processes_beside_them():
    settings = Settings(seed=0, timeout=1e-3)   # the timeout is the runner's clock, never the engine's
    quiet = _report(HEAVY, settings)
    ctx = mp.get_context("fork")
    busy = [ctx.Process(target=_spin, args=(time.time() + 120,), daemon=True) for _ in range(2)]
    for p in busy:
        p.start()
    try:
        loaded = _report(HEAVY, settings)
    finally:
        for p in busy:
            p.kill()
            p.join()
    assert loaded == quiet
