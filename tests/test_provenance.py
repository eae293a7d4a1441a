"""Line-cited provenance: every quote of the catalog stands on the seed lines it cites.

A claim's [[source]] names the seed file, the 1-based inclusive line range `lines = [first, last]`,
the note's own text `quote` and a `confidence` for the OCR reading. The loader checks the types; these
tests check the catalog against the seed pages, so that a misquote or a wrong line number cannot land.
"""

import re
from pathlib import Path

import pytest

from helpers import make_claim
from verifier.errors import ClaimFileError
from verifier.loader import CONFIDENCES, find_claim_files, load_claim

ROOT = Path(__file__).parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
CLAIM_FILES = find_claim_files([ROOT / "derivations"])


def _no_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _ids(paths):
    return [str(p.relative_to(ROOT / "derivations")) for p in paths]


def test_the_catalog_is_not_empty():
    assert len(CLAIM_FILES) > 60


@pytest.mark.parametrize("path", CLAIM_FILES, ids=_ids(CLAIM_FILES))
def test_every_catalogued_source_cites_lines_and_a_confidence(path):
    claim = load_claim(path)
    assert claim.sources, f"{path}: no [[source]]"
    for source in claim.sources:
        assert source.lines is not None, f"{path}: a [[source]] of {source.seed} without `lines`"
        assert source.confidence in CONFIDENCES, f"{path}: a [[source]] of {source.seed} without `confidence`"
        if source.confidence == "low":
            assert source.reading, f"{path}: a low-confidence reading must say why in `reading`"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed pages (../shared/seeds) are not on this machine")
@pytest.mark.parametrize("path", CLAIM_FILES, ids=_ids(CLAIM_FILES))
def test_every_quote_appears_verbatim_in_its_cited_lines(path):
    claim = load_claim(path)
    for source in claim.sources:
        seed = SEEDS / source.seed
        assert seed.is_file(), f"{path}: no seed file {source.seed}"
        lines = seed.read_text(encoding="utf-8").split("\n")
        first, last = source.lines
        assert last <= len(lines), f"{path}: lines {first}-{last} beyond the {len(lines)} lines of {source.seed}"
        cited = _no_space("\n".join(lines[first - 1:last]))
        quote = _no_space(source.quote)
        assert quote in cited, (f"{path}: the quote is not in {source.seed} lines {first}-{last}:\n"
                                f"quote: {source.quote!r}\ncited: {chr(10).join(lines[first - 1:last])!r}")


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed pages (../shared/seeds) are not on this machine")
@pytest.mark.parametrize("path", CLAIM_FILES, ids=_ids(CLAIM_FILES))
def test_cited_lines_are_tight(path):
    """The first and last cited lines both hold part of the quote (no padding that hides where it is)."""
    claim = load_claim(path)
    for source in claim.sources:
        lines = (SEEDS / source.seed).read_text(encoding="utf-8").split("\n")
        first, last = source.lines
        quote = _no_space(source.quote)
        assert first == last or quote not in _no_space("\n".join(lines[first:last])), \
            f"{path}: line {first} is not needed for the quote"
        assert first == last or quote not in _no_space("\n".join(lines[first - 1:last - 1])), \
            f"{path}: line {last} is not needed for the quote"


SOURCE_BODY = '''
[[source]]
seed = "002_x.txt"
quote = "ds/dW = delta x^T"
{extra}
[symbols]
x = "real"
[check]
lhs = "x"
rhs = "x"
'''


def _load(extra: str):
    return make_claim(SOURCE_BODY.format(extra=extra))


def test_lines_and_confidence_are_loaded_and_optional():
    claim = _load('lines = [3, 5]\nconfidence = "low"\nreading = "why"')
    assert claim.sources[0].lines == (3, 5)
    assert claim.sources[0].confidence == "low"
    plain = _load("")
    assert plain.sources[0].lines is None and plain.sources[0].confidence is None


@pytest.mark.parametrize("extra, problem", [
    ("lines = [0, 2]", "line numbers start at 1"),
    ("lines = [-3, 2]", "line numbers start at 1"),
    ("lines = [5, 3]", "first line is after the last"),
    ("lines = [3]", "not a pair of line numbers"),
    ("lines = [1, 2, 3]", "not a pair of line numbers"),
    ('lines = ["1", "2"]', "not a pair of line numbers"),
    ("lines = [1.0, 2.0]", "not a pair of line numbers"),
    ("lines = [true, true]", "not a pair of line numbers"),
    ("lines = 3", "not a pair of line numbers"),
    ('confidence = "sure"', "unknown confidence"),
    ('confidence = "High"', "unknown confidence"),
    ("confidence = 1", "unknown confidence"),
])
def test_bad_lines_or_confidence_is_a_clear_error(extra, problem):
    with pytest.raises(ClaimFileError) as info:
        _load(extra)
    message = str(info.value)
    assert problem in message
    key = "lines" if extra.startswith("lines") else "confidence"
    assert f"[source[0].{key}]" in message
    assert "expected" in message


def test_lines_and_confidence_reach_the_report_through_the_source_dataclass():
    from dataclasses import asdict
    source = _load('lines = [3, 5]\nconfidence = "medium"').sources[0]
    data = asdict(source)
    assert list(data["lines"]) == [3, 5] and data["confidence"] == "medium"
