"""Graded pages and the README summary: report.json + seed pages + curated data -> Markdown.

Compute, then render, then write, like report.py:

- ``load_curated`` reads the hand-kept data: ``reports/mistakes.toml`` (the kind of mistake of each
  wrong claim, with a short phrase) and ``reports/unreadable.toml`` (seed lines too garbled to read).
- ``render_page`` is one seed page top to bottom, every line shown as a code span with a margin mark
  for each claim citing it (pure: the report dict, the seed's text, the data).
- ``render_summary`` is the README's "What the notes got wrong" block; ``splice_readme`` puts it
  between the marker comments.
- ``write_notes`` writes ``reports/notes/<seed-stem>.md`` and the README; the CLI calls
  ``write_notes_after_run`` after a full run, ``python -m verifier.notes`` regenerates from the
  committed ``reports/report.json`` without verifying anything (``--check``: only say what is stale).

Seed text is untrusted: it only ever lands inside ``textsafe.code`` spans.
"""

from __future__ import annotations

import json
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .report import _anchor, write_atomic
from .textsafe import code, inline

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
START, END = "<!-- notes-summary:start -->", "<!-- notes-summary:end -->"
WRONG = ("refuted", "ill-typed")

# verdict -> (margin mark, meaning), in the legend's order; `?` is for unreadable lines (no claim).
MARKS = {
    "proved": ("✓", "proved"),
    "confirmed": ("≈", "confirmed numerically"),
    "refuted": ("✗", "wrong (refuted by a certified counterexample)"),
    "ill-typed": ("⚠", "ill-typed (the shapes do not fit)"),
    "unreadable": ("?", "unreadable (no claim is read from it)"),
    "inconclusive": ("…", "inconclusive"),
    "engine-disagreement": ("‼", "the engines disagree"),
    "error": ("!", "error"),
    "timeout": ("⌛", "timeout"),
}
MAIN_MARKS = ("proved", "confirmed", "refuted", "ill-typed", "unreadable")
COUNT_WORDS = {"proved": "proved", "confirmed": "confirmed numerically",
               "refuted": "refuted with a certified counterexample", "ill-typed": "ill-typed"}


class NotesDataError(ValueError):
    """A curated data file (reports/mistakes.toml, reports/unreadable.toml) is malformed: the message
    names the file and the key; fix the entry."""


@dataclass(frozen=True)
class Unreadable:
    seed: str
    ranges: tuple[tuple[int, int], ...]
    reason: str
    partial: bool = False


@dataclass(frozen=True)
class Kind:
    name: str
    heading: str
    description: str = ""


@dataclass(frozen=True)
class Mistake:
    kind: str
    phrase: str
    note: str = ""


@dataclass(frozen=True)
class Curated:
    kinds: tuple[Kind, ...]
    mistakes: dict[str, Mistake]
    doubts: dict[str, str]
    holds: str
    unreadable: tuple[Unreadable, ...]


# -- data -----------------------------------------------------------------------------------------

def load_curated(root: Path = ROOT) -> Curated:
    mistakes_path, unreadable_path = root / "reports" / "mistakes.toml", root / "reports" / "unreadable.toml"
    data = _read_toml(mistakes_path)
    kinds = tuple(Kind(_text(k, "name", mistakes_path, f"kind[{i}]"), _text(k, "heading", mistakes_path, f"kind[{i}]"),
                       k.get("description", "")) for i, k in enumerate(data.get("kind", [])))
    names = {k.name for k in kinds}
    mistakes = {}
    for claim_id, m in data.get("claim", {}).items():
        where = f'claim."{claim_id}"'
        if m.get("kind") not in names:
            raise NotesDataError(f"{mistakes_path}: [{where}] kind: {m.get('kind')!r} is not a [[kind]] name")
        mistakes[claim_id] = Mistake(m["kind"], _text(m, "phrase", mistakes_path, where), m.get("note", ""))
    doubts = {i: _text(d, "doubt", mistakes_path, f'low_confidence."{i}"')
              for i, d in data.get("low_confidence", {}).items()}
    unreadable = tuple(_unreadable(u, unreadable_path, i)
                       for i, u in enumerate(_read_toml(unreadable_path).get("unreadable", [])))
    return Curated(kinds, mistakes, doubts, data.get("summary_holds", ""), unreadable)


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise NotesDataError(f"{path}: {exc}") from None


def _text(table: dict, key: str, path: Path, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise NotesDataError(f"{path}: [{where}] {key}: expected a non-empty string, got {value!r}")
    return value


def _unreadable(u: dict, path: Path, i: int) -> Unreadable:
    ranges = u.get("lines")
    if not (isinstance(ranges, list) and ranges and all(
            isinstance(r, list) and len(r) == 2 and all(type(n) is int for n in r) and 1 <= r[0] <= r[1]
            for r in ranges)):
        raise NotesDataError(f"{path}: [unreadable[{i}]] lines: expected a list of [first, last] line "
                             f"ranges (1-based, first <= last), got {ranges!r}")
    return Unreadable(_text(u, "seed", path, f"unreadable[{i}]"), tuple(tuple(r) for r in ranges),
                      _text(u, "reason", path, f"unreadable[{i}]"), bool(u.get("partial", False)))


def seed_lines(text: str) -> list[str]:
    """The seed's lines, numbered from 1 the way [[source]] `lines` count them (split on \\n)."""
    lines = text.split("\n")
    return lines[:-1] if len(lines) > 1 and lines[-1] == "" else lines


# -- one line's reasons ---------------------------------------------------------------------------

def wrong_reason(c: dict) -> str:
    """One line saying why a claim is wrong: the shape message, else the diagnosis, else the message."""
    if c["verdict"] == "ill-typed":
        return c["message"]
    g = c["details"].get("diagnosis")
    if g and not g["summary"].startswith("no single repair"):
        return g["summary"]
    return c["message"] + ("; no single repair verifies" if g else "")


def _lines_text(lines) -> str:
    first, last = lines
    return f"line {first}" if first == last else f"lines {first}–{last}"


def _ranges_text(ranges) -> str:
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in ranges)


def _low(c: dict) -> bool:
    """Every reading of the claim is low-confidence (a clearer scan elsewhere would decide it)."""
    return bool(c["sources"]) and all(s.get("confidence") == "low" for s in c["sources"])


def _page_label(seed: str) -> str:
    return seed.split("_")[0]


# -- a graded page --------------------------------------------------------------------------------

def _citations(report: dict, seed: str):
    """(first, last, claim, source) for every source of `seed` with lines, in page order."""
    found = [(s["lines"][0], s["lines"][1], c, s) for c in report["claims"] for s in c["sources"]
             if s["seed"] == seed and s.get("lines")]
    return sorted(found, key=lambda t: (t[0], t[1], t[2]["id"]))


def _mark(verdict: str) -> str:
    return MARKS.get(verdict, ("·", verdict))[0]


def page_marks(report: dict, seed: str, n_lines: int, unreadable) -> list[list[str]]:
    """The verdicts (and `unreadable`) on each line 1..n_lines, index 0 for line 1."""
    marks = [[] for _ in range(n_lines)]
    for first, last, c, _ in _citations(report, seed):
        for i in range(first, min(last, n_lines) + 1):
            marks[i - 1].append(c["verdict"])
    for u in unreadable:
        if u.seed == seed:
            for a, b in u.ranges:
                for i in range(a, min(b, n_lines) + 1):
                    marks[i - 1].append("unreadable")
    return marks


def _margin(verdicts) -> str:
    order = list(MARKS)
    return "".join(_mark(v) for v in sorted(set(verdicts), key=lambda v: order.index(v) if v in order else 99))


def render_page(report: dict, seed: str, text: str, curated: Curated) -> str:
    lines = seed_lines(text)
    marks = page_marks(report, seed, len(lines), curated.unreadable)
    citations = _citations(report, seed)
    out = [f"# Graded page {_page_label(seed)}: {code(seed)}", "",
           f"Generated from `reports/report.json` and `reports/unreadable.toml` by `python -m verifier.notes`: "
           f"do not edit. Every line of `../shared/seeds/{seed}` from top to bottom, each with a margin mark for every "
           "claim that cites it; a claim's entry is at its first line, with a link to its section in "
           "[the report](../report.md).", ""]
    out += ["Legend: " + " · ".join(f"{m} {meaning}" for m, meaning in MARKS.values()) +
            "; no mark: no claim cites the line.", ""]
    out += list(_page_counts(marks, citations))
    for number, (line, verdicts) in enumerate(zip(lines, marks), start=1):
        out += list(_page_line(number, line, verdicts, citations, seed, curated))
    return "\n".join(out) + "\n"


def _page_counts(marks, citations):
    claims = {c["id"]: c["verdict"] for _, _, c, _ in citations}
    yield f"{len(marks)} lines, {sum(bool(m) for m in marks)} with a mark; {len(claims)} claims cite this page."
    yield ""
    yield "| mark | lines | claims |"
    yield "|---|---|---|"
    for verdict, (mark, meaning) in MARKS.items():
        n_lines = sum(verdict in m for m in marks)
        n_claims = sum(v == verdict for v in claims.values())
        if n_lines or verdict in MAIN_MARKS:
            yield f"| {mark} {meaning} | {n_lines} | {n_claims if verdict != 'unreadable' else '-'} |"
    yield f"| no mark | {sum(not m for m in marks)} | - |"
    yield ""


def _page_line(number: int, line: str, verdicts, citations, seed: str, curated: Curated):
    margin = _margin(verdicts)
    yield f"- `{number}`" + (f" {margin}" if margin else "") + (f" {code(line)}" if line.strip() else "")
    for first, last, c, source in citations:
        if first == number:
            yield "  - " + _claim_note(c, source)
        elif first < number <= last:
            yield f"  - {_mark(c['verdict'])} {code(c['id'])} (continued from line {first})"
    for u in curated.unreadable:
        starts = [a for a, _ in u.ranges] if u.seed == seed else []
        if starts and starts[0] == number:
            yield f"  - ? unreadable ({_ranges_text(u.ranges)}): {inline(u.reason)}"
        elif number in starts[1:]:
            yield f"  - ? unreadable (the reason is at line {starts[0]})"


def _claim_note(c: dict, source: dict) -> str:
    head = (f"{_mark(c['verdict'])} [{code(c['id'])}](../report.md#{_anchor(c['id'])}) **{c['verdict']}**, "
            f"{_lines_text(source['lines'])}, confidence {source.get('confidence') or 'not stated'}")
    if c["verdict"] in WRONG:
        return f"{head}: {inline(wrong_reason(c))}"
    return f"{head}: {inline(c['title'] or '')}" if c["title"] else head


# -- the README summary ---------------------------------------------------------------------------

def _link(claim_id: str) -> str:
    return f"[{code(claim_id)}](reports/report.md#{_anchor(claim_id)})"


def render_summary(report: dict, pages: dict[str, list[list[str]]], curated: Curated) -> str:
    """The README block between the markers; `pages` maps each seed to its page_marks."""
    out = [START, "<!-- Generated from reports/report.json, reports/mistakes.toml and reports/unreadable.toml "
           "by `python -m verifier.notes` (and by a full verify-derivations run): edit those, not this text. -->",
           ""]
    out += list(_counts_paragraph(report))
    out += list(_pages_table(report, pages))
    out += list(_mistakes_list(report, curated))
    out += list(_holds_paragraph(report, curated))
    out += list(_low_confidence(report, curated))
    out += list(_unreadable_section(curated))
    out.append(END)
    return "\n".join(out) + "\n"


def _counts_paragraph(report: dict):
    s = report["summary"]
    seeds = {src["seed"] for c in report["claims"] for src in c["sources"]}
    counts = [f"{s['verdicts'].get(v, 0)} {COUNT_WORDS[v]}" for v in COUNT_WORDS
              if s["verdicts"].get(v) or v != "confirmed"]
    counts += [f"{n} {v}" for v, n in s["verdicts"].items() if n and v not in COUNT_WORDS]
    yield (f"From [`reports/report.md`](reports/report.md) ({s['total']} claims from {len(seeds)} seed pages: "
           f"{', '.join(counts)}). Every claim cites its seed file and lines (`lines` in its `[[source]]`), so each "
           "verdict below points at the place in the notes.")
    yield ""
    sized = [c for c in report["claims"] if c["verdict"] == "proved" and any(c.get("shapes", ()))]
    every = [c for c in sized if c.get("every_dimension")]
    if sized:
        yield (f"Of the {len(sized)} proved claims with dimensions, {len(every)} are proved for every dimension "
               "(index notation); the others at the concrete shapes their report lists.")
        yield ""


def _pages_table(report: dict, pages: dict):
    if not pages:
        return
    cols = [v for v in MARKS if v in MAIN_MARKS or any(v in m for marks in pages.values() for m in marks)]
    yield "Each page of the notes graded line by line, in its own order (lines per mark):"
    yield ""
    yield "| page | lines | " + " | ".join(MARKS[v][0] for v in cols) + " | claims |"
    yield "|---|---|" + "---|" * len(cols) + "---|"
    for seed, marks in sorted(pages.items()):
        claims = {c["id"] for _, _, c, _ in _citations(report, seed)}
        stem = seed.rsplit(".", 1)[0]
        yield (f"| [{_page_label(seed)}](reports/notes/{stem}.md) | {len(marks)} | "
               + " | ".join(str(sum(v in m for m in marks)) for v in cols) + f" | {len(claims)} |")
    yield ""
    yield "Legend: " + ", ".join(f"{MARKS[v][0]} {MARKS[v][1]}" for v in cols) + "."
    yield ""


def _mistakes_list(report: dict, curated: Curated):
    wrong = [c for c in report["claims"] if c["verdict"] in WRONG and not _low(c)]
    by_id = {c["id"]: c for c in wrong}
    yield "The wrong ones, by kind of mistake:"
    yield ""
    for kind in curated.kinds:
        ids = [i for i, m in curated.mistakes.items() if m.kind == kind.name and i in by_id]
        if not ids:
            continue
        yield f"- **{inline(kind.heading)}**" + (f" {inline(kind.description)}" if kind.description else "")
        yield from _grouped(ids, curated)
    loose = [c for c in wrong if c["id"] not in curated.mistakes]
    if loose:
        yield "- **Not classified yet** (no entry in `reports/mistakes.toml`)."
        for c in loose:
            yield f"  - {inline(c['title'] or c['id'])} ({_link(c['id'])}: {inline(wrong_reason(c))})"
    yield ""


def _grouped(ids: list[str], curated: Curated):
    """Consecutive claims with one phrase share a line: `phrase ([a], [b]: note)`."""
    groups: list[list[str]] = []
    for i in ids:
        if groups and curated.mistakes[groups[-1][-1]].phrase == curated.mistakes[i].phrase:
            groups[-1].append(i)
        else:
            groups.append([i])
    for group in groups:
        links = [_link(i) + (f": {inline(curated.mistakes[i].note)}" if curated.mistakes[i].note else "")
                 for i in group]
        yield f"  - {inline(curated.mistakes[group[0]].phrase)} ({', '.join(links)})"


def _holds_paragraph(report: dict, curated: Curated):
    text = "Everything else the catalogued statements claim holds" + (f": {inline(curated.holds)}." if curated.holds
                                                                       else ".")
    confirmed = [c["id"] for c in report["claims"] if c["verdict"] == "confirmed"]
    if confirmed:
        text += (f" {len(confirmed)} {'claim is' if len(confirmed) == 1 else 'claims are'} only *confirmed* "
                 "(sympy could not reduce the difference to 0; the numbers agree at every compared point): "
                 + ", ".join(code(i) for i in confirmed) + ".")
    yield text
    yield ""
    undecided = [c for c in report["claims"] if c["verdict"] not in ("proved", "confirmed", *WRONG)]
    if undecided:
        yield "Not decided: " + "; ".join(f"{code(c['id'])} ({c['verdict']}: {inline(c['message'])})"
                                          for c in undecided) + "."
        yield ""


def _low_confidence(report: dict, curated: Curated):
    low = [c for c in report["claims"] if _low(c)]
    if low:
        yield ("Readings with low confidence, listed apart (one doubtful OCR character or word decides the claim; "
               "the `reading` of the source says what the alternative would give):")
        yield ""
        for c in low:
            where = "; ".join(f"seed {_page_label(s['seed'])}, {_lines_text(s['lines'])}" for s in c["sources"]
                              if s.get("lines"))
            name = _link(c["id"]) if c["verdict"] in WRONG else code(c["id"])
            m = curated.mistakes.get(c["id"])
            what = (inline(m.phrase) + (f" ({inline(m.note)})" if m.note else "") + "; " if m and
                    c["verdict"] in WRONG else "")
            doubt = curated.doubts.get(c["id"]) or c["title"] or ""
            yield f"- {_mark(c['verdict'])} {name} ({c['verdict']}; {where}): {what}{inline(doubt)}."
        yield ""
    partly = [(c, s) for c in report["claims"] if not _low(c) for s in c["sources"] if s.get("confidence") == "low"]
    if partly:
        yield ("Also cited from a low-confidence scan, with a clearer reading of the same statement elsewhere: "
               + ", ".join(f"{code(c['id'])} (seed {_page_label(s['seed'])}, {_lines_text(s['lines'])})"
                           for c, s in partly) + ".")
        yield ""


def _unreadable_section(curated: Curated):
    yield "### Unreadable lines"
    yield ""
    yield ("Lines whose OCR is too garbled to read a statement from, so no claim is made (seed, lines: why); "
           "the graded pages mark them `?`. The list is `reports/unreadable.toml`.")
    yield ""
    for u in sorted(curated.unreadable, key=lambda u: (u.seed, u.ranges[0])):
        yield f"- {_page_label(u.seed)}, {_ranges_text(u.ranges)}: {inline(u.reason)}."
    yield ""


def splice_readme(readme: str, block: str) -> str:
    """The README with the text between the markers (inclusive) replaced by `block`."""
    start, end = readme.find(START), readme.find(END)
    if readme.count(START) != 1 or readme.count(END) != 1 or end < start:
        raise NotesDataError(f"README.md: expected the markers {START} and {END} once each, in this order")
    return readme[:start] + block + readme[end + len(END):].removeprefix("\n")


# -- everything, and writing it ------------------------------------------------------------------

def render_notes(report: dict, *, root: Path = ROOT, seeds: Path = SEEDS) -> dict[Path, str]:
    """Every generated file (path -> text): one page per seed file, and the README."""
    curated = load_curated(root)
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))}
    pages = {seed: page_marks(report, seed, len(seed_lines(t)), curated.unreadable) for seed, t in texts.items()}
    files = {root / "reports" / "notes" / f"{Path(seed).stem}.md": render_page(report, seed, t, curated)
             for seed, t in texts.items()}
    readme = root / "README.md"
    files[readme] = splice_readme(readme.read_text(encoding="utf-8"), render_summary(report, pages, curated))
    return files


def write_notes(report: dict, *, root: Path = ROOT, seeds: Path = SEEDS) -> list[Path]:
    """Write what render_notes makes; only the files whose text changed. Returns the paths written."""
    written = []
    for path, text in render_notes(report, root=root, seeds=seeds).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            write_atomic(path, text)
            written.append(path)
    return written


def is_full_run(report_path, json_path, *, root: Path = ROOT, seeds: Path = SEEDS) -> bool:
    """Reports written to this repository's default paths, with the seed pages beside it."""
    return (Path(report_path).resolve() == (root / "reports" / "report.md").resolve()
            and Path(json_path).resolve() == (root / "reports" / "report.json").resolve()
            and seeds.is_dir() and (root / "README.md").is_file())


def write_notes_after_run(report: dict, report_path, json_path, *, root: Path = ROOT,
                          seeds: Path = SEEDS) -> list[Path]:
    """The CLI's hook: after the reports of a full run, the pages and the README (else nothing)."""
    if not is_full_run(report_path, json_path, root=root, seeds=seeds):
        return []
    return write_notes(report, root=root, seeds=seeds)


def main(argv: list[str] | None = None) -> int:
    """`python -m verifier.notes [--check]`: regenerate from reports/report.json, or list what is stale."""
    argv = sys.argv[1:] if argv is None else argv
    if argv not in ([], ["--check"]):
        print("usage: python -m verifier.notes [--check]", file=sys.stderr)
        return 2
    if not SEEDS.is_dir():
        print(f"no seed pages at {SEEDS}", file=sys.stderr)
        return 2
    report = json.loads((ROOT / "reports" / "report.json").read_text(encoding="utf-8"))
    if argv == ["--check"]:
        stale = [p for p, t in render_notes(report).items()
                 if not p.is_file() or p.read_text(encoding="utf-8") != t]
        for p in stale:
            print(f"stale: {p.relative_to(ROOT)}")
        return 1 if stale else 0
    for p in write_notes(report):
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
