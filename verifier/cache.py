"""A result cache: an unchanged claim is not verified again.

An entry is keyed by everything that can change a verdict: the claim file's
bytes and path, a hash of the verifier's own source files (any code change
invalidates every entry) and the settings (seed, points, large size, timeout).
Entries are JSON (never pickle), written atomically, one file each under
``<cache dir>/<2 hex>/<key>.json``.  Reading is defensive: an entry that is
unreadable, too large, not JSON, for another key or not a well-formed Result is
ignored (the claim is verified again), never trusted.  Timeouts and errors are
not stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from .model import (VERDICTS, Claim, Counterexample, Diagnosis, EntryValue, NumericEvidence, NumericStep,
                    Repair, Result, StepResult)
from .report import write_atomic
from .verify import Settings

FORMAT = 2                       # changes when an entry's layout changes
MAX_ENTRY_BYTES = 8 * 1024**2    # a larger entry is not ours: ignored
NOT_STORED = ("error", "timeout")


@dataclass(frozen=True)
class CachedResult(Result):
    """A Result served from the cache (the report and the terminal say so)."""
    cached: ClassVar[bool] = True


@lru_cache(maxsize=1)
def source_hash() -> str:
    """sha256 over the verifier's own source files (and the LaTeX grammar), names and bytes, in a fixed order."""
    digest = hashlib.sha256()
    folder = Path(__file__).parent
    for path in sorted([*folder.glob("*.py"), *folder.glob("*.lark")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def make_key(content_digest: str, path: str, settings: Settings) -> str:
    parts = [f"format={FORMAT}", f"source={source_hash()}", f"content={content_digest}", f"path={path}",
             f"seed={settings.seed}", f"points={settings.points}", f"large={settings.large}",
             f"timeout={settings.timeout!r}"]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class ResultCache:
    """get/put of Results by key in one folder; every failure means "not cached"."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def entry_path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str, claim: Claim) -> Result | None:
        try:
            raw = self.entry_path(key).read_bytes()[: MAX_ENTRY_BYTES + 1]
            if len(raw) > MAX_ENTRY_BYTES:
                return None
            data = json.loads(raw.decode("utf-8"))
            if data.get("format") != FORMAT or data.get("key") != key:
                return None
            return decode_result(data["result"], claim)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(self, key: str, result: Result) -> None:
        if result.verdict in NOT_STORED:
            return
        entry = {"format": FORMAT, "key": key, "result": encode_result(result)}
        try:
            write_atomic(self.entry_path(key), json.dumps(entry, ensure_ascii=True) + "\n")
        except (OSError, TypeError, ValueError):
            pass  # a cache that cannot be written only costs time


def encode_result(result: Result) -> dict:
    data = asdict(replace(result, claim=None))  # the claim is re-attached from the file on reading
    data.pop("claim")
    return data


def decode_result(data: dict, claim: Claim) -> CachedResult:
    """A Result from its JSON form, checked field by field; TypeError/ValueError when malformed."""
    if data["verdict"] not in VERDICTS or data["verdict"] in NOT_STORED:
        raise ValueError(f"verdict {data['verdict']!r} is not a cacheable verdict")
    if data["id"] != claim.id or data["path"] != claim.path:
        raise ValueError("entry for another claim")
    return CachedResult(
        id=claim.id, path=claim.path, verdict=data["verdict"], expect=claim.expect,
        seconds=float(data["seconds"]), message=_str(data["message"]),
        shapes=tuple(_dict(s) for s in data["shapes"]),
        steps=tuple(StepResult(**_dict(s)) for s in data["steps"]),
        counterexample=_counterexample(data["counterexample"]),
        numeric=_numeric(data["numeric"]), diagnosis=_diagnosis(data["diagnosis"]), claim=claim,
        every_dimension=_optional_str(data.get("every_dimension")))


def _counterexample(d) -> Counterexample | None:
    if d is None:
        return None
    d = _dict(d)
    return Counterexample(**{**d, "entries": tuple(EntryValue(**_dict(e)) for e in d["entries"])})


def _numeric(d) -> NumericEvidence | None:
    if d is None:
        return None
    d = _dict(d)
    return NumericEvidence(shapes=tuple(_dict(s) for s in d["shapes"]), modes=tuple(d["modes"]),
                           functions=tuple(d["functions"]), points=int(d["points"]),
                           steps=tuple(NumericStep(**_dict(s)) for s in d["steps"]),
                           region=str(d.get("region", "")),
                           rejected=tuple((str(r), int(n)) for r, n in d.get("rejected", [])),
                           counterexample=_counterexample(d["counterexample"]), notes=tuple(d["notes"]))


def _diagnosis(d) -> Diagnosis | None:
    if d is None:
        return None
    d = _dict(d)
    return Diagnosis(**{**d, "repairs": tuple(Repair(**_dict(r)) for r in d["repairs"])})


def _dict(value) -> dict:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _str(value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def split_cached(cache: ResultCache | None, claims: list[Claim], digests: dict, settings: Settings):
    """(results served from the cache, claims still to verify, key per claim path)."""
    if cache is None:
        return [], list(claims), {}
    keys = {c.path: make_key(digests[c.path], c.path, settings) for c in claims if c.path in digests}
    hits, todo = [], []
    for claim in claims:
        hit = cache.get(keys[claim.path], claim) if claim.path in keys else None
        (hits if hit is not None else todo).append(hit if hit is not None else claim)
    return hits, todo, keys


def store_results(cache: ResultCache | None, results: list[Result], keys: dict) -> None:
    if cache is None:
        return
    for result in results:
        if result.path in keys:
            cache.put(keys[result.path], result)


def _optional_str(value) -> str | None:
    return None if value is None else _str(value)
