"""Build claims from TOML text in tests, without files where none are needed."""

from __future__ import annotations

import textwrap
import tomllib

from verifier.loader import parse_claim
from verifier.verify import Settings, verify

HEADER = 'id = "{id}"\ntitle = "test claim"\nclaim = "as written"\n'


def make_claim(body: str, *, claim_id: str = "test.claim", path: str = "test.toml"):
    text = HEADER.format(id=claim_id) + textwrap.dedent(body)
    return parse_claim(tomllib.loads(text), path)


def verdict_of(body: str, **settings):
    return verify(make_claim(body), Settings(**settings))


def write_claim(folder, name: str, body: str, *, claim_id: str, expect: str | None = None):
    text = HEADER.format(id=claim_id) + (f'expect = "{expect}"\n' if expect else "") + textwrap.dedent(body)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


TRUE_CUBE = '[symbols]\nx = "real"\n[check]\nlhs = "diff(x**3, x)"\nrhs = "3*x**2"\n'
WRONG_CUBE = '[symbols]\nx = "real"\n[check]\nlhs = "diff(x**3, x)"\nrhs = "3*x"\n'


def make_project(tmp_path, monkeypatch):
    """A project folder, as the working directory, with derivations/ holding a true and a wrong claim."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "derivations"
    folder.mkdir()
    write_claim(folder, "true.toml", TRUE_CUBE, claim_id="cube.true", expect="holds")
    write_claim(folder, "wrong.toml", WRONG_CUBE, claim_id="cube.wrong", expect="fails")
    return tmp_path
