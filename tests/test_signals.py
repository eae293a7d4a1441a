"""Signals: workers die with their run; SIGINT exits 130 and SIGTERM 143, leaving the old report intact.

The CLI runs in a real subprocess whose `verify` never returns (patched before
`main` starts: a test-only stand-in for a claim that runs for ever), so that the
worker is alive when the CLI is signalled or killed.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers import write_claim

TRUE = '[symbols]\nx = "real"\n[check]\nlhs = "diff(x**2, x)"\nrhs = "2*x"\n'

DRIVER = textwrap.dedent('''
    import os, signal, sys, time
    import verifier.runner as runner

    # As in a terminal: a run started in the background of a script inherits SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def never_ends(claim, settings):
        with open(sys.argv[1] + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.replace(sys.argv[1] + ".tmp", sys.argv[1])
        while True:
            time.sleep(0.1)

    runner.verify = never_ends
    if sys.argv[2] == "pytest":
        import pytest
        sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", sys.argv[3]]))
    from verifier.cli import main
    main(sys.argv[3:])
''')


def alive(pid: int) -> bool:
    """Whether pid is a live process (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def setup(tmp_path):
    folder = tmp_path / "derivations"
    folder.mkdir()
    write_claim(folder, "a.toml", TRUE, claim_id="never.ends")
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "r.md").write_text("previous report\n", encoding="utf-8")
    (out / "r.json").write_text("{}\n", encoding="utf-8")
    return tmp_path


@pytest.fixture(autouse=True)
def no_leftovers():
    """Whatever a failing test leaves alive is killed, so one failure cannot pile up processes."""
    started: list[int] = []
    yield started
    for pid in started:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def start(setup, mode="cli", started=None):
    pidfile = setup / "worker.pid"
    args = [str(setup / "derivations"), "--timeout", "600", "--jobs", "1",
            "--report", str(setup / "out" / "r.md"), "--json", str(setup / "out" / "r.json")]
    if mode == "pytest":
        args = [str(setup / "derivations")]
    proc = subprocess.Popen([sys.executable, str(setup / "driver.py"), str(pidfile), mode, *args],
                            cwd=setup, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wait_for(pidfile.exists, 60), proc.communicate(timeout=5)
    worker = int(pidfile.read_text())
    if started is not None:
        started.extend([proc.pid, worker])
    assert alive(worker)
    return proc, worker


def assert_previous_report_intact(setup):
    out = setup / "out"
    assert (out / "r.md").read_text() == "previous report\n"
    assert sorted(p.name for p in out.iterdir()) == ["r.json", "r.md"]


@pytest.mark.parametrize("mode", ["cli", "pytest"])
def test_kill_9_of_the_run_takes_the_worker_with_it(setup, mode, no_leftovers):
    proc, worker = start(setup, mode, no_leftovers)
    proc.kill()
    proc.communicate(timeout=10)
    assert wait_for(lambda: not alive(worker), 5), f"worker {worker} outlived its run"


def test_sigterm_kills_workers_and_exits_143(setup, no_leftovers):
    proc, worker = start(setup, started=no_leftovers)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 143, err
    assert "terminated" in err and "Traceback" not in err + out
    assert wait_for(lambda: not alive(worker), 5)
    assert_previous_report_intact(setup)


def test_sigint_exits_130_and_leaves_the_previous_report(setup, no_leftovers):
    proc, worker = start(setup, started=no_leftovers)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err + out
    assert wait_for(lambda: not alive(worker), 5)
    assert_previous_report_intact(setup)


def test_sigint_to_the_whole_group_prints_no_worker_traceback(setup, no_leftovers):
    proc, worker = start(setup, started=no_leftovers)
    os.kill(worker, signal.SIGINT)  # Ctrl-C reaches every process of the terminal's group
    time.sleep(0.3)
    assert alive(worker)            # the worker ignores it; the run decides
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert "Traceback" not in err + out
