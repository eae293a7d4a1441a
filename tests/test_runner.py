"""Worker processes: a stuck claim times out, a crash is an error, the others still finish."""

import os
import time

import verifier.runner as runner
from helpers import make_claim
from verifier.verify import Settings, verify

TRUE = '[symbols]\nx = "real"\n[check]\nlhs = "diff(x**2, x)"\nrhs = "2*x"\n'


def claims(*ids):
    return [make_claim(TRUE, claim_id=i) for i in ids]


def test_results_come_back_in_claim_order_with_jobs():
    results = runner.run_claims(claims("a.one", "b.two", "c.three"), Settings(), jobs=2)
    assert [r.id for r in results] == ["a.one", "b.two", "c.three"]
    assert {r.verdict for r in results} == {"proved"}


def test_a_claim_that_never_returns_times_out_and_the_others_finish(monkeypatch):
    def slow_verify(claim, settings):
        if claim.id == "slow.one":
            time.sleep(60)
        return verify(claim, settings)

    monkeypatch.setattr(runner, "verify", slow_verify)  # the forked worker inherits the patch
    seen = []
    start = time.monotonic()
    results = runner.run_claims(claims("slow.one", "fast.one"), Settings(timeout=1.5), jobs=2,
                                on_result=seen.append)
    elapsed = time.monotonic() - start
    assert [r.verdict for r in results] == ["timeout", "proved"]
    assert "no verdict within 1.5 s" in results[0].message
    assert elapsed < 30
    assert sorted(r.id for r in seen) == ["fast.one", "slow.one"]


def test_a_crash_in_a_worker_is_an_error_with_its_message(monkeypatch):
    def broken_verify(claim, settings):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(runner, "verify", broken_verify)
    (result,) = runner.run_claims(claims("crash.one"), Settings())
    assert result.verdict == "error"
    assert "ZeroDivisionError: boom" in result.message


def test_a_worker_that_dies_is_reported(monkeypatch):
    monkeypatch.setattr(runner, "verify", lambda claim, settings: os._exit(3))
    (result,) = runner.run_claims(claims("dies.one"), Settings())
    assert result.verdict == "error"
    assert "exit code 3" in result.message


def test_a_memory_hog_is_stopped_by_the_worker_limit(monkeypatch):
    monkeypatch.setattr("verifier.limits.WORKER_MEMORY_BYTES", 512 * 1024**2)

    def hog(claim, settings):
        block = bytearray(2 * 1024**3)
        return block

    monkeypatch.setattr(runner, "verify", hog)
    (result,) = runner.run_claims(claims("hog.one"), Settings())
    assert result.verdict == "error"
    assert "ran out of memory" in result.message
