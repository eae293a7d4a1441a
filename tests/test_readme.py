"""The README is the front door: its commands must be the ones CI and users run."""

from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if "pip install" in line and "[test]" in line)
    assert command.strip() in ci


def test_readme_examples_name_files_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for token in readme.split("`"):
        if token.startswith("derivations/") and token.endswith(".toml") and "<" not in token:
            assert (ROOT / token).is_file(), token


def test_the_summary_of_wrong_claims_matches_the_report():
    import json
    import re
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What the notes got wrong")[1].split("\n## ")[0]
    assert "<!-- notes-summary:start -->" in section and "<!-- notes-summary:end -->" in section, \
        "the summary is generated (python -m verifier.notes), between its markers"
    named = set(re.findall(r"\[`([A-Za-z0-9_.-]+)`\]", section))
    report = json.loads((ROOT / "reports" / "report.json").read_text(encoding="utf-8"))
    wrong = {c["id"] for c in report["claims"] if c["verdict"] in ("refuted", "ill-typed")}
    assert named == wrong
    counts = report["summary"]["verdicts"]
    assert f"{report['summary']['total']} claims" in section
    for verdict, word in [("proved", "proved"), ("refuted", "refuted"), ("ill-typed", "ill-typed")]:
        assert f"{counts[verdict]} {word}" in section
