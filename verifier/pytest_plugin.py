"""pytest plugin: every claim file under the configured folders is a test item.

Registered through the ``pytest11`` entry point.  It holds no checking logic: an
item runs the same ``run_claims`` path as the CLI (a worker process under the
time limit).  A claim passes when its verdict matches its ``expect`` (``holds``
when absent); an expected failure that is refuted or ill-typed is reported as
xfail; anything else fails with a short report instead of a traceback.

Options: ``--derivations-seed``, ``--derivations-timeout``, ``--derivations-large-size``;
ini keys ``derivations_paths`` (folders holding claim files, default ``derivations``),
``derivations_seed``, ``derivations_timeout``.

When ``derivations_paths`` is set and pytest collects its ``testpaths`` (no paths on the
command line), the configured folders are collected too.  Every item records its verdict as
a JUnit property (``verdict``, ``expect``); a claim that is only ``confirmed`` (numbers, no
symbolic proof) passes with a ``DerivationConfirmedOnly`` warning and a ``confirmed`` property.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest

from .errors import ClaimFileError
from .loader import load_claim
from .model import Claim, Result
from .runner import run_claims
from .terminal import render_block
from .textsafe import terminal
from .verify import Settings


def pytest_addoption(parser):
    group = parser.getgroup("derivations", "derivation claim files")
    group.addoption("--derivations-seed", type=int, default=None, help="seed of every random point")
    group.addoption("--derivations-timeout", type=float, default=None, help="seconds allowed per claim")
    group.addoption("--derivations-large-size", type=int, default=None,
                    help="dimension size of the numeric check's large shape")
    parser.addini("derivations_paths", type="paths", default=[],
                  help="folders whose .toml files are claim files (default: derivations)")
    parser.addini("derivations_seed", default="0", help="default seed")
    parser.addini("derivations_timeout", default="60", help="default seconds per claim")


def _claim_folders(config) -> list[Path]:
    folders = config.getini("derivations_paths") or [config.rootpath / "derivations"]
    return [Path(f).resolve() for f in folders]


def pytest_collect_file(parent, file_path):
    if file_path.suffix != ".toml":
        return None
    path = file_path.resolve()
    if any(folder == path.parent or folder in path.parents for folder in _claim_folders(parent.config)):
        return ClaimFile.from_parent(parent, path=file_path)
    return None


def _settings(config) -> Settings:
    seed = config.getoption("derivations_seed")
    timeout = config.getoption("derivations_timeout")
    large = config.getoption("derivations_large_size")
    try:
        settings = Settings(seed=int(config.getini("derivations_seed")) if seed is None else seed,
                            timeout=float(config.getini("derivations_timeout")) if timeout is None else timeout,
                            large=Settings.large if large is None else large)
    except ValueError as exc:
        raise pytest.UsageError(f"derivations: bad setting ({exc})") from None
    if not (math.isfinite(settings.timeout) and settings.timeout > 0):
        raise pytest.UsageError(f"derivations timeout must be a finite number of seconds above 0, "
                                f"not {settings.timeout!r}")
    return settings


class DerivationConfirmedOnly(pytest.PytestWarning):
    """A claim passed as `confirmed`, not `proved`: sympy could not reduce the difference to 0 and
    only the numeric check (certified, at many points) agrees.  Prove it by hand, or accept it."""


def pytest_configure(config):
    _settings(config)  # a bad seed or timeout is a usage error before any claim runs
    _add_configured_folders(config)


def _add_configured_folders(config) -> None:
    """`testpaths` would hide the configured claim folders: collect them as well.

    Only when pytest is collecting its testpaths (no paths given on the command line) and
    `derivations_paths` is set explicitly; folders already under a collected path are not added twice.
    """
    source = getattr(config, "args_source", None)
    if source is None or source != pytest.Config.ArgsSource.TESTPATHS or not config.getini("derivations_paths"):
        return
    base = config.invocation_params.dir
    collected = [(base / arg).resolve() for arg in config.args]
    for folder in _claim_folders(config):
        if not folder.is_dir():
            config.issue_config_time_warning(pytest.PytestConfigWarning(
                f"derivations_paths: {terminal(folder)} is not a folder; its claims are not collected"), stacklevel=2)
        elif not any(folder == arg or arg in folder.parents for arg in collected):
            config.args.append(str(folder))


def pytest_collection_modifyitems(session, config, items):
    """Two files with one id: both items fail with a conflict naming both files; neither is verified."""
    by_id: dict[str, list] = {}
    for item in items:
        if isinstance(item, ClaimItem):
            by_id.setdefault(item.claim.id, []).append(item)
    for same in by_id.values():
        if len(same) > 1:
            files = ", ".join(i.claim.path for i in same)
            for item in same:
                item.conflict = (f"{item.claim.path}: [id]: `{item.claim.id}` is used by {len(same)} files "
                                 f"({files}); none of them is verified")


class ClaimFile(pytest.File):
    """One claim file: one item, or one failing item that carries the parse error."""

    def collect(self):
        try:
            claim = load_claim(self.path)
        except ClaimFileError as exc:
            yield MalformedClaim.from_parent(self, name=terminal(self.path.stem), error=exc)
            return
        yield ClaimItem.from_parent(self, name=claim.id, claim=claim)


class ClaimFailed(Exception):
    """The verdict does not match the claim's expectation."""

    def __init__(self, result: Result, seed: int):
        super().__init__(result.verdict)
        self.result, self.seed = result, seed


class IdConflict(Exception):
    """Two claim files give the same id; rename one of them."""


class ClaimItem(pytest.Item):
    def __init__(self, *, claim: Claim, **kwargs):
        super().__init__(**kwargs)
        self.claim = claim
        self.conflict: str | None = None

    def runtest(self):
        if self.conflict:
            self.user_properties.append(("verdict", "error"))
            raise IdConflict(self.conflict)
        settings = _settings(self.config)
        (result,) = run_claims([self.claim], settings)
        self.user_properties.append(("verdict", result.verdict))
        self.user_properties.append(("expect", self.claim.expect or "holds"))
        if result.verdict == "confirmed":
            self.user_properties.append(("confirmed", "numerically only"))
            warnings.warn(DerivationConfirmedOnly(f"{terminal(self.claim.id)}: confirmed, not proved: "
                                                  f"{terminal(result.message)}"))
        if not result.agrees:
            raise ClaimFailed(result, settings.seed)
        if self.claim.expect == "fails":
            pytest.xfail(f"{result.verdict}, as expected: {result.message}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ClaimFailed):
            return render_failure(excinfo.value.result, excinfo.value.seed)
        if isinstance(excinfo.value, IdConflict):
            return terminal(str(excinfo.value))
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"claim {self.claim.id}"


class MalformedClaim(pytest.Item):
    def __init__(self, *, error: ClaimFileError, **kwargs):
        super().__init__(**kwargs)
        self.error = error

    def runtest(self):
        self.user_properties.append(("verdict", "error"))
        raise self.error

    def repr_failure(self, excinfo, style=None):
        return f"malformed claim file: {terminal(self.error)}"

    def reportinfo(self):
        return self.path, 0, f"claim file {self.path.name}"


def render_failure(result: Result, seed: int) -> str:
    """The CLI's block for a wrong claim: as written, why, the falsifying example, how to reproduce it."""
    return "\n".join(render_block(result, seed=seed))
