"""Run claims in worker processes, each under a wall-clock limit.

A simplify that never returns cannot stall the run: each claim is verified in
its own forked process, which is killed when it passes the time limit (verdict
``timeout``).  A worker also has a cap on its address space, so a claim that
asks for too much memory ends as ``error`` instead of taking the machine down.
Up to ``jobs`` workers run at once.  Workers die with their run: each asks the
kernel for SIGKILL when its parent ends (PR_SET_PDEATHSIG) and also watches
os.getppid(), so a SIGTERM or SIGKILL of the CLI or of pytest leaves none behind.
"""

from __future__ import annotations

import ctypes
import functools
import math
import multiprocessing as mp
import os
import resource
import signal
import threading
import time
import traceback
from multiprocessing.connection import wait
from typing import Callable, Iterable

from . import limits
from .errors import ClaimFileError
from .loader import load_claim_and_digest
from .model import Claim, Result
from .verify import Settings, error_result, verify

_PR_SET_PDEATHSIG = 1          # from <sys/prctl.h>
_PARENT_POLL_SECONDS = 0.5     # the fallback watch of os.getppid()


def load_all(paths, *, digests: dict | None = None) -> tuple[list[Claim], list[Result]]:
    """Claims from the files, and one error Result per malformed file or repeated id.

    Two files with one id are both reported, naming each other, and neither is
    verified: which one is "the real one" is not ours to guess.  ``digests``, when
    given, receives claim.path -> sha256 of the bytes the claim was read from.
    """
    loaded: list[Claim] = []
    errors: list[Result] = []
    for path in paths:
        try:
            claim, digest = load_claim_and_digest(path)
            loaded.append(claim)
            if digests is not None:
                digests[claim.path] = digest
        except ClaimFileError as exc:
            errors.append(error_result(str(path), str(path), str(exc)))
    by_id: dict[str, list[Claim]] = {}
    for claim in loaded:
        by_id.setdefault(claim.id, []).append(claim)
    claims = []
    for claim in loaded:
        same = by_id[claim.id]
        if len(same) == 1:
            claims.append(claim)
            continue
        files = ", ".join(c.path for c in same)
        errors.append(error_result(claim.id, claim.path, f"{claim.path}: [id]: `{claim.id}` is used by "
                                   f"{len(same)} files ({files}); none of them is verified",
                                   verdict="error"))
    return claims, errors


@functools.lru_cache(maxsize=1)
def _prepare_workers() -> None:
    """Compile, once in the parent, what every forked worker would otherwise compile again: the float and
    interval versions of the table's scalar functions and the fixed stand-ins, with two derivatives
    (about 0.2 s here, against some 15 % of a cold catalog's work)."""
    from .functions import FUNCTIONS  # noqa: PLC0415
    from .intervals import base_function  # noqa: PLC0415
    from .numeric import scalar_function  # noqa: PLC0415
    from .standins import FIXED  # noqa: PLC0415
    for name in [n for n, f in FUNCTIONS.items() if f.scalar is not None] + list(FIXED):
        for order in range(3):
            scalar_function(name, order)
            base_function(name, order)


def _die_with_parent(parent: int) -> None:
    """End this worker when the process that started it ends, even by SIGKILL.

    Linux: prctl(PR_SET_PDEATHSIG, SIGKILL).  Everywhere: a thread that watches
    os.getppid() (the parent may also have died before prctl took effect).
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)

    def watch():
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _mapped_bytes() -> int:
    """This process's virtual address space now (0 where /proc is not available)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _worker(conn, claim: Claim, settings: Settings, parent: int):
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C reaches the whole group: the parent ends us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:   # the cap is on top of what the forked worker already maps (a large parent, BLAS buffers)
        cap = _mapped_bytes() + limits.WORKER_MEMORY_BYTES
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ValueError, OSError):
        pass
    try:
        result = verify(claim, settings)
    except MemoryError:
        result = error_result(claim.id, claim.path, f"{claim.path}: ran out of memory "
                              f"(limit {limits.WORKER_MEMORY_BYTES >> 30} GiB)", claim=claim)
    except RecursionError:
        result = error_result(claim.id, claim.path, f"{claim.path}: expression too deep to evaluate",
                              claim=claim)
    except Exception as exc:  # a crash in one claim must not stop the others; its message is the evidence
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        result = error_result(claim.id, claim.path, f"internal error: {last}", claim=claim)
    conn.send(result)
    conn.close()


def run_claims(claims: Iterable[Claim], settings: Settings, *, jobs: int = 1,
               on_result: Callable[[Result], None] | None = None) -> list[Result]:
    """Verify every claim in worker processes; results in the order of the claims."""
    if not (math.isfinite(settings.timeout) and settings.timeout > 0):
        raise ValueError(f"timeout must be a finite number of seconds above 0, not {settings.timeout!r}")
    ctx = mp.get_context("fork")
    _prepare_workers()
    pending = list(enumerate(claims))[::-1]
    results: dict[int, Result] = {}
    running: dict = {}  # connection -> (process, index, claim, start)

    def finish(conn, result):
        proc, index, claim, _ = running.pop(conn)
        proc.join(1)
        if proc.is_alive():
            proc.kill()
            proc.join()
        conn.close()
        results[index] = result
        if on_result:
            on_result(result)

    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                index, claim = pending.pop()
                here, there = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_worker, args=(there, claim, settings, os.getpid()), daemon=True)
                proc.start()
                there.close()
                running[here] = (proc, index, claim, time.monotonic())
            now = time.monotonic()
            next_deadline = min(start + settings.timeout for (_, _, _, start) in running.values())
            for conn in wait(list(running), timeout=max(0.0, next_deadline - now)):
                try:
                    result = conn.recv()
                except (EOFError, OSError):
                    proc, _, claim, start = running[conn]
                    proc.join(1)
                    result = error_result(claim.id, claim.path, f"worker died (exit code {proc.exitcode})",
                                          claim=claim, seconds=round(time.monotonic() - start, 3))
                finish(conn, result)
            now = time.monotonic()
            for conn, (proc, _, claim, start) in list(running.items()):
                if now - start >= settings.timeout:
                    proc.kill()
                    finish(conn, error_result(claim.id, claim.path,
                                              f"no verdict within {settings.timeout:g} s (--timeout)",
                                              verdict="timeout", claim=claim,
                                              seconds=round(now - start, 3)))
    finally:
        for conn, (proc, *_rest) in running.items():
            proc.kill()
            proc.join(1)
            conn.close()
    return [results[i] for i in sorted(results)]
