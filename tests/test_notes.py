"""Graded pages and the README summary (issue 12, items 4 and 5): generated from the report, in step with it."""

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import write_claim
from verifier import notes
from verifier.notes import (END, START, Curated, Kind, Mistake, NotesDataError, Unreadable, load_curated,
                            render_notes, render_page, render_summary, page_marks, seed_lines, splice_readme,
                            write_notes_after_run)
from verifier.report import _anchor, _source_place
from verifier.textsafe import code

ROOT = Path(__file__).parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
SEED_FILES = sorted(p.name for p in SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed pages (../shared/seeds) are not on this machine")
WRONG = ("refuted", "ill-typed")


@pytest.fixture(scope="module")
def report():
    return json.loads((ROOT / "reports" / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def curated():
    return load_curated(ROOT)


def _summary_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(START) == 1 and readme.count(END) == 1
    return readme.split(START)[1].split(END)[0]


# -- the committed files --------------------------------------------------------------------------

@needs_seeds
def test_committed_pages_and_readme_are_in_step_with_the_report(report):
    stale = [str(p.relative_to(ROOT)) for p, text in render_notes(report).items()
             if not p.is_file() or p.read_text(encoding="utf-8") != text]
    assert stale == [], "stale: run `python -m verifier.notes` (or verify-derivations) and commit them"
    assert notes.main(["--check"]) == 0


def test_every_wrong_claim_is_in_the_readme_summary_with_its_link(report):
    block = _summary_block()
    wrong = [c["id"] for c in report["claims"] if c["verdict"] in WRONG]
    assert wrong
    missing = [i for i in wrong if f"[`{i}`](reports/report.md#{_anchor(i)})" not in block]
    assert missing == []


def test_the_readme_counts_are_the_reports(report):
    block = _summary_block()
    s = report["summary"]
    counts = s["verdicts"]
    assert (f"({s['total']} claims from " in block and f"{counts['proved']} proved, " in block
            and f"{counts['refuted']} refuted with a certified counterexample" in block
            and f"{counts['ill-typed']} ill-typed" in block)
    sized = [c for c in report["claims"] if c["verdict"] == "proved" and any(c["shapes"])]
    every = sum(1 for c in sized if c["every_dimension"])
    assert f"Of the {len(sized)} proved claims with dimensions, {every} are proved for every dimension" in block
    assert 0 < every <= len(sized)


def test_curated_mistakes_name_wrong_claims_and_doubts_name_low_readings(report, curated):
    claims = {c["id"]: c for c in report["claims"]}
    not_wrong = [i for i in curated.mistakes if claims.get(i, {}).get("verdict") not in WRONG]
    assert not_wrong == [], "reports/mistakes.toml classifies claims that are not wrong (or do not exist)"
    not_low = [i for i in curated.doubts
               if not any(s.get("confidence") == "low" for s in claims.get(i, {}).get("sources", []))]
    assert not_low == []


def test_every_unreadable_range_is_within_its_seed_file(curated):
    if not SEEDS.is_dir():
        pytest.skip("the seed pages (../shared/seeds) are not on this machine")
    for u in curated.unreadable:
        assert (SEEDS / u.seed).is_file(), u.seed
        n = len(seed_lines((SEEDS / u.seed).read_text(encoding="utf-8")))
        assert all(1 <= a <= b <= n for a, b in u.ranges), f"{u.seed}: {u.ranges} beyond its {n} lines"


def test_unreadable_lines_are_cited_by_a_claim_only_when_marked_partial(report, curated):
    for u in curated.unreadable:
        cited = [c["id"] for c in report["claims"] for s in c["sources"] if s["seed"] == u.seed and s["lines"]
                 and any(a <= s["lines"][1] and s["lines"][0] <= b for a, b in u.ranges)]
        assert bool(cited) == u.partial, f"{u.seed} {u.ranges}: partial={u.partial} but cited by {cited}"


@needs_seeds
@pytest.mark.parametrize("seed", SEED_FILES)
def test_each_page_shows_every_seed_line_in_order(seed):
    lines = seed_lines((SEEDS / seed).read_text(encoding="utf-8"))
    page = (ROOT / "reports" / "notes" / f"{Path(seed).stem}.md").read_text(encoding="utf-8")
    items = [line for line in page.splitlines() if line.startswith("- `")]
    assert [int(re.match(r"- `(\d+)`", item).group(1)) for item in items] == list(range(1, len(lines) + 1))
    for item, line in zip(items, lines):
        assert item.endswith(" " + code(line)) if line.strip() else not item.endswith("`" + code(line))


@needs_seeds
def test_every_wrong_source_line_has_a_reason_and_a_link_on_its_page(report):
    for c in (c for c in report["claims"] if c["verdict"] in WRONG):
        for s in c["sources"]:
            page = (ROOT / "reports" / "notes" / f"{Path(s['seed']).stem}.md").read_text(encoding="utf-8")
            note = next(line for line in page.splitlines() if f"[`{c['id']}`](../report.md#{_anchor(c['id'])})"
                        in line and f"line{'s' if s['lines'][0] != s['lines'][1] else ''} {s['lines'][0]}" in line)
            assert note.startswith("  - ✗ " if c["verdict"] == "refuted" else "  - ⚠ ")
            assert len(note.split(": ", 1)[1]) > 5


def test_report_md_shows_each_sources_lines_and_confidence(report):
    text = (ROOT / "reports" / "report.md").read_text(encoding="utf-8")
    assert _source_place({"lines": [1552, 1552], "confidence": "high"}) == ", line 1552, confidence high"
    assert _source_place({"lines": [3, 5], "confidence": None}) == ", lines 3–5"
    for c in report["claims"]:
        for s in c["sources"]:
            assert f"Source {code(s['seed'])}{_source_place(s)}:" in text
            assert s["lines"] is None or "line" in _source_place(s)


# -- rendering, on a small report -----------------------------------------------------------------

SEED = "009_test.txt"
HOSTILE = ["title line", "a = b", "plain", "`x` <script>alert(1)</script> \x1b[31m", "# not a heading",
           "", "last"]


def _claim(claim_id, verdict, lines, *, confidence="high", message="the two sides differ", summary=None):
    return {"id": claim_id, "title": f"title of {claim_id}", "verdict": verdict, "message": message,
            "sources": [{"seed": SEED, "quote": "q", "reading": None, "lines": lines, "confidence": confidence}],
            "seconds": 1.25,
            "details": {"steps": [], "diagnosis": {"summary": summary, "step": 1} if summary else None}}


def _report(*claims):
    verdicts = {v: sum(c["verdict"] == v for c in claims) for v in ("proved", "confirmed", "refuted", "ill-typed")}
    return {"summary": {"total": len(claims), "verdicts": verdicts}, "claims": list(claims)}


SMALL = _report(
    _claim("t.proved", "proved", [1, 2]),
    _claim("t.wrong", "refuted", [2, 2], summary="off by a factor -1"),
    _claim("t.shape", "ill-typed", [4, 4], message="W*v: (m, n) times (m, 1)"),
    _claim("t.loose", "refuted", [7, 7], summary="no single repair verifies"),
    _claim("t.doubt", "refuted", [7, 7], confidence="low"),
    _claim("t.twin", "refuted", [7, 7]),
)
CURATED = Curated(
    kinds=(Kind("sign", "A sign.", "Plus for minus."),),
    mistakes={"t.wrong": Mistake("sign", "a minus sign lost", "it is -1"), "t.twin": Mistake("sign", "a minus sign lost"),
              "t.doubt": Mistake("sign", "a doubtful sign")},
    doubts={"t.doubt": "the scan's '-' may be a stain"}, holds="the rest",
    unreadable=(Unreadable(SEED, ((5, 5), (6, 6)), "garbled <b>scratch</b>"),))


def _items(page: str) -> dict[int, list[str]]:
    """Line number -> its item line and the sub-items under it."""
    out, current = {}, None
    for line in page.splitlines():
        if line.startswith("- `"):
            current = int(re.match(r"- `(\d+)`", line).group(1))
            out[current] = [line]
        elif line.startswith("  - ") and current is not None:
            out[current].append(line)
    return out


def test_a_page_marks_each_line_and_lists_each_claim():
    page = render_page(SMALL, SEED, "\n".join(HOSTILE), CURATED)
    items = _items(page)
    assert sorted(items) == list(range(1, len(HOSTILE) + 1))
    assert items[1][0] == "- `1` ✓ `title line`"
    assert items[2][0] == "- `2` ✓✗ `a = b`"
    assert any("`t.proved` (continued from line 1)" in s for s in items[2][1:])
    wrong = next(s for s in items[2] if "t.wrong" in s)
    assert wrong == "  - ✗ [`t.wrong`](../report.md#twrong) **refuted**, line 2, confidence high: off by a factor -1"
    assert items[3] == ["- `3` `plain`"]  # no claim, not unreadable: no mark, no note
    assert "W*v: (m, n) times (m, 1)" in next(s for s in items[4] if "t.shape" in s)
    assert items[4][0].startswith("- `4` ⚠ ")
    assert items[5][0] == "- `5` ? `# not a heading`" and "garbled &lt;b>scratch&lt;/b>" in items[5][1]
    assert items[6] == ["- `6` ?", "  - ? unreadable (the reason is at line 5)"]
    loose = next(s for s in items[7] if "t.loose" in s)
    assert loose.endswith(": the two sides differ; no single repair verifies")
    assert "| ✗ wrong (refuted by a certified counterexample) | 2 | 4 |" in page
    assert "| no mark | 1 | - |" in page


def test_a_page_keeps_hostile_seed_text_inside_code_spans():
    page = render_page(SMALL, SEED, "\n".join(HOSTILE), CURATED)
    item = _items(page)[4][0]
    assert item.endswith(" " + code(HOSTILE[3])) and item.count("``") == 2  # a longer fence: the backticks stay inside
    assert "\x1b" not in page and "\\x1b[31m" in page
    assert not [line for line in page.splitlines()[1:] if line.startswith("#")]


def test_the_summary_groups_by_kind_and_lists_unclassified_and_doubtful_claims_apart():
    block = render_summary(SMALL, {SEED: page_marks(SMALL, SEED, len(HOSTILE), CURATED.unreadable)}, CURATED)
    kinds, rest = block.split("- **Not classified yet**")
    assert ("  - a minus sign lost ([`t.wrong`](reports/report.md#twrong): it is -1, "
            "[`t.twin`](reports/report.md#ttwin))") in kinds
    assert "[`t.loose`](reports/report.md#tloose): the two sides differ; no single repair verifies" in rest
    assert "t.doubt" not in kinds  # a low-confidence reading is listed apart, not as a mistake of the notes
    doubt = next(line for line in rest.splitlines() if "t.doubt" in line)
    assert "a doubtful sign" in doubt and "the scan's '-' may be a stain" in doubt
    assert "| [009](reports/notes/009_test.md) | 7 | 2 | 0 | 2 | 1 | 2 | 6 |" in block
    assert "- 009, 5, 6: garbled &lt;b>scratch&lt;/b>." in block
    assert "(6 claims from 1 seed pages: 1 proved, 4 refuted with a certified counterexample, 1 ill-typed)" in block


def test_generated_text_does_not_depend_on_timings():
    slow = copy.deepcopy(SMALL)
    for c in slow["claims"]:
        c["seconds"] = 99.5
    pages = {SEED: page_marks(SMALL, SEED, len(HOSTILE), CURATED.unreadable)}
    assert render_page(slow, SEED, "\n".join(HOSTILE), CURATED) == render_page(SMALL, SEED, "\n".join(HOSTILE), CURATED)
    assert render_summary(slow, pages, CURATED) == render_summary(SMALL, pages, CURATED)


def test_seed_lines_are_numbered_like_the_provenance_check():
    assert seed_lines("a\nb") == ["a", "b"]
    assert seed_lines("a\nb\n") == ["a", "b"]
    assert seed_lines("a\n\nb\r") == ["a", "", "b\r"]


def test_splice_replaces_only_the_marked_block():
    readme = f"# T\n\n## Wrong\n\n{START}\nold\n{END}\n\n## Next\n"
    spliced = splice_readme(readme, f"{START}\nnew\n{END}\n")
    assert spliced == f"# T\n\n## Wrong\n\n{START}\nnew\n{END}\n\n## Next\n"
    assert splice_readme(spliced, f"{START}\nnew\n{END}\n") == spliced
    for broken in ("# T\n", f"{END}\n{START}\n", f"{START}\n{END}\n{START}\n{END}\n"):
        with pytest.raises(NotesDataError, match="markers"):
            splice_readme(broken, "x")


# -- the data files -------------------------------------------------------------------------------

def _data_root(tmp_path, mistakes: str, unreadable: str = "") -> Path:
    (tmp_path / "reports").mkdir(parents=True, exist_ok=True)
    (tmp_path / "reports" / "mistakes.toml").write_text(mistakes, encoding="utf-8")
    (tmp_path / "reports" / "unreadable.toml").write_text(unreadable, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("mistakes, unreadable, problem", [
    ('[claim."a.b"]\nkind = "nope"\nphrase = "x"\n', "", '[claim."a.b"] kind'),
    ('[[kind]]\nname = "k"\nheading = "K."\n[claim."a.b"]\nkind = "k"\n', "", '[claim."a.b"] phrase'),
    ("", '[[unreadable]]\nseed = "s.txt"\nlines = [3, 4]\nreason = "r"\n', "[unreadable[0]] lines"),
    ("", '[[unreadable]]\nseed = "s.txt"\nlines = [[4, 3]]\nreason = "r"\n', "[unreadable[0]] lines"),
    ("", '[[unreadable]]\nseed = "s.txt"\nlines = [[1, 2]]\n', "[unreadable[0]] reason"),
    ("kind = [", "", "mistakes.toml"),
])
def test_malformed_data_is_a_clear_error(tmp_path, mistakes, unreadable, problem):
    with pytest.raises(NotesDataError) as info:
        load_curated(_data_root(tmp_path, mistakes, unreadable))
    assert problem in str(info.value)


# -- writing after a run --------------------------------------------------------------------------

def _tmp_repo(tmp_path) -> tuple[Path, Path]:
    root, seeds = tmp_path / "repo", tmp_path / "shared" / "seeds"
    _data_root(root, (ROOT / "reports" / "mistakes.toml").read_text(encoding="utf-8"))
    (root / "README.md").write_text(f"# R\n\n{START}\n{END}\n\n## After\n", encoding="utf-8")
    seeds.mkdir(parents=True)
    (seeds / SEED).write_text("\n".join(HOSTILE), encoding="utf-8")
    return root, seeds


def test_a_run_at_the_default_paths_writes_the_pages_and_the_readme(tmp_path):
    root, seeds = _tmp_repo(tmp_path)
    reports = root / "reports"
    assert write_notes_after_run(SMALL, tmp_path / "r.md", reports / "report.json", root=root, seeds=seeds) == []
    assert not (reports / "notes").exists()
    written = write_notes_after_run(SMALL, reports / "report.md", reports / "report.json", root=root, seeds=seeds)
    assert sorted(p.name for p in written) == ["009_test.md", "README.md"]
    assert "t.wrong" in (root / "README.md").read_text(encoding="utf-8")
    assert (root / "README.md").read_text(encoding="utf-8").endswith(f"{END}\n\n## After\n")
    assert write_notes_after_run(SMALL, reports / "report.md", reports / "report.json", root=root, seeds=seeds) == []
    shutil.rmtree(seeds)
    assert write_notes_after_run(SMALL, reports / "report.md", reports / "report.json", root=root, seeds=seeds) == []


def test_the_cli_hands_its_report_and_paths_to_the_notes_hook(tmp_path, monkeypatch):
    import verifier.cli as cli
    calls = []
    monkeypatch.setattr(cli, "write_notes_after_run", lambda report, md, js: calls.append((report, md, js)) or [])
    folder = tmp_path / "derivations"
    folder.mkdir()
    write_claim(folder, "t.toml", '[symbols]\nx = "real"\n[check]\nlhs = "2*x"\nrhs = "x + x"\n', claim_id="t.t")
    result = CliRunner().invoke(cli.main, [str(folder), "--report", str(tmp_path / "r.md"),
                                           "--json", str(tmp_path / "r.json"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    [(report, md, js)] = calls
    assert [c["id"] for c in report["claims"]] == ["t.t"] and (md, js) == (tmp_path / "r.md", tmp_path / "r.json")


def test_the_module_refuses_unknown_arguments():
    assert notes.main(["--bogus"]) == 2
