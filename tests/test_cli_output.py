"""What verify-derivations prints and writes besides the reports (issue 14): verdict lines as claims
finish, the block per wrong claim with a reproduce line that works from anywhere, colour, narrowed runs,
--junit, the GitHub step summary, --version, --help and `python -m verifier`."""

import importlib.metadata
import io
import json
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from helpers import WRONG_CUBE as WRONG, make_project, write_claim
from verifier import cli
from verifier.model import Result
from verifier.terminal import render_block, render_verdict_line, wants_color

CHAIN = '[symbols]\nx = "real"\n[check]\nsteps = ["diff(x**2, x)", "2*x", "3*x"]\n'
ILL_TYPED = '[symbols]\nW = "matrix(m, n)"\nv = "vector(m)"\n[check]\nlhs = "W*v"\nrhs = "W*v"\n'
CONFIRMED = ('[symbols]\nx = "positive"\n[check]\nlhs = "log(x)"\nrhs = "0"\nrelation = "<="\n'
             'where = "x <= 1"\n')
FAST = ["--large-size", "8", "--jobs", "2"]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder, as the working directory, with derivations/ holding a true and a wrong claim."""
    return make_project(tmp_path, monkeypatch)


def invoke(*args, env=None):
    return CliRunner().invoke(cli.main, [*map(str, args), *FAST], env=env)


def block_of(output: str, claim_id: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"___ {claim_id}: "))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


# -- the terminal ------------------------------------------------------------------------

def test_a_verdict_line_is_printed_before_the_run_ends(project, monkeypatch):
    """The first claim's line is out when the run is interrupted before the second claim."""
    real = cli.run_claims

    def first_then_interrupt(claims, settings, *, jobs, on_result):
        real(claims[:1], settings, jobs=1, on_result=on_result)
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_claims", first_then_interrupt)
    result = invoke("--no-report")
    assert result.exit_code == 130
    assert "proved       cube.true" in result.output
    assert "cube.wrong" not in result.output


def test_the_block_of_an_unexpected_claim_and_its_reproduce_line(project, tmp_path, monkeypatch):
    write_claim(project / "derivations", "chain.toml", CHAIN, claim_id="square.chain", expect="holds")
    result = invoke()
    assert result.exit_code == 1
    block = block_of(result.output, "square.chain")
    assert block[0] == "___ square.chain: refuted (NOT as expected: expected holds) ___"
    assert "file: derivations/chain.toml" in block
    assert ["  (0)   diff(x**2, x)", "  (1) = 2*x", "  (2) = 3*x"] == block[3:6]
    assert "reason: first wrong step: (1) = (2)" in block
    example = block.index(next(line for line in block if line.startswith("Falsifying example (step (1) = (2)")))
    assert block[example + 1].startswith("  x = ")
    reproduce = block[-1]
    claim_file = project / "derivations" / "chain.toml"
    assert reproduce.startswith(f"Reproduce: verify-derivations {claim_file} --no-report --seed 0")
    assert result.output.rstrip().endswith("1 NOT as expected: square.chain")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    args = shlex.split(reproduce.removeprefix("Reproduce: "))[1:]
    again = CliRunner().invoke(cli.main, args)
    assert again.exit_code == 1, again.output
    assert "refuted      square.chain  <- expected holds" in again.output
    assert list(elsewhere.iterdir()) == []   # --no-report: nothing written where it ran


def test_expected_failures_get_a_block_too_and_the_closing_line_says_all_expected(project):
    write_claim(project / "derivations", "shapes.toml", ILL_TYPED, claim_id="mat.ill", expect="fails")
    result = invoke("--no-report")
    assert result.exit_code == 0
    assert "___ cube.true" not in result.output
    assert block_of(result.output, "cube.wrong")[0] == "___ cube.wrong: refuted (as expected) ___"
    ill = block_of(result.output, "mat.ill")
    assert "reason: W*v: (m, n) times (m, 1)" in ill
    assert any(line.startswith("diagnosis: ") for line in ill)
    assert ill[-1].startswith("Reproduce: verify-derivations ")
    assert result.output.rstrip().endswith("3 claims: 1 proved, 1 refuted, 1 ill-typed; every verdict as expected")


def test_no_colour_without_a_terminal_and_none_under_no_color():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert wants_color(Tty(), {}) is True
    assert wants_color(Tty(), {"NO_COLOR": "1"}) is False
    assert wants_color(io.StringIO(), {}) is False
    result = Result(id="a.b", path="a.toml", verdict="refuted", expect="holds", message="m \x1b[2J")
    assert "\x1b[" in render_verdict_line(result, color=True)
    assert "\x1b" not in render_verdict_line(result, color=False)
    assert not any("\x1b" in line for line in render_block(result, seed=0, color=False))
    assert "reason: m \\x1b[2J" in render_block(result, seed=0)


def test_cli_output_has_no_escape_codes_when_not_a_terminal(project):
    result = invoke("--no-report")
    assert "\x1b" not in result.output


# -- narrowed runs --------------------------------------------------------------------------

def test_the_default_run_writes_the_default_reports(project):
    result = invoke()
    assert result.exit_code == 0, result.output
    assert (project / "reports" / "report.md").is_file() and (project / "reports" / "report.json").is_file()
    assert "narrowed run" not in result.output


@pytest.mark.parametrize("args", [["-k", "cube.true"], ["derivations/true.toml"], ["derivations/./"]],
                         ids=["-k", "a file", "the default folder, spelled differently"])
def test_a_narrowed_run_leaves_the_default_reports_alone(project, args):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    if args == ["derivations/./"]:  # the default folder is not a narrowing
        assert (project / "reports" / "report.json").is_file()
        return
    assert not (project / "reports").exists()
    assert "narrowed run: no report written; pass --report/--json to write one" in result.output


def test_a_narrowed_run_writes_only_the_reports_asked_for(project):
    result = invoke("-k", "cube.true", "--report", "reports/part.md")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (project / "reports").iterdir()) == ["part.md"]
    assert "narrowed run" not in result.output
    assert "## cube.true" in (project / "reports" / "part.md").read_text()


# -- CI outputs ----------------------------------------------------------------------------

def test_junit_file_parses_with_the_right_counts(project):
    folder = project / "derivations"
    write_claim(folder, "surprise.toml", WRONG, claim_id="cube.surprise", expect="holds")
    write_claim(folder, "confirmed.toml", CONFIRMED, claim_id="log.range", expect="holds")
    (folder / "broken.toml").write_text('id = "a.b"\n[check]\nlhs = "os.system(1)"\nrhs = "1"\n')
    result = invoke("--no-report", "--junit", "out/junit.xml")
    assert result.exit_code == 2, result.output
    root = ET.parse(project / "out" / "junit.xml").getroot()
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "1", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"cube.true", "cube.wrong", "cube.surprise", "log.range", "derivations/broken.toml"}
    props = {name: {p.get("name"): p.get("value") for p in case.iter("property")} for name, case in cases.items()}
    assert cases["cube.surprise"].get("classname") == "cube"
    assert props["cube.surprise"]["verdict"] == "refuted" and props["cube.surprise"]["expect"] == "holds"
    failure = cases["cube.surprise"].find("failure")
    assert failure.get("type") == "refuted" and "Falsifying example" in failure.text
    assert cases["cube.wrong"].find("failure") is None and props["cube.wrong"]["agrees"] == "true"
    assert cases["derivations/broken.toml"].find("error").get("type") == "error"
    assert props["log.range"]["confirmed"] == "numerically only"
    assert "confirmed, not proved" in cases["log.range"].find("system-out").text
    assert "confirmed" not in props["cube.true"] and cases["cube.true"].find("system-out") is None


def test_junit_text_from_a_claim_cannot_break_the_xml():
    from verifier.ci import render_junit
    from verifier.report import make_report
    hostile = Result(id="x.y", path="x\x1b\uffff.toml", verdict="error", message="bad \x00\x1b[2J \ufffe <&>")
    root = ET.fromstring(render_junit(make_report([hostile], seed=0)))
    error = root.find("testsuite/testcase/error")
    assert error.text == "bad \\x00\\x1b[2J \\ufffe <&>"


def test_github_step_summary_is_appended(project):
    write_claim(project / "derivations", "surprise.toml", WRONG, claim_id="cube.surprise", expect="holds")
    summary = project / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    result = invoke("--no-report", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 1
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### verify-derivations: 3 claims, 1 NOT as expected")
    assert "| refuted | 2 |" in text and "| proved | 1 |" in text
    lines = text.splitlines()
    surprise = next(line for line in lines if "`cube.surprise`" in line)
    assert "**NOT as expected**" in surprise
    expected = next(line for line in lines if "`cube.wrong`" in line)
    assert "(as expected)" in expected
    assert lines.index(surprise) < lines.index(expected)


def test_no_step_summary_without_the_variable(project, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert invoke("--no-report").exit_code == 0
    assert sorted(p.name for p in project.iterdir()) == ["derivations"]


# -- --version, --help, python -m verifier ----------------------------------------------------

def test_version_comes_from_the_package_metadata():
    result = CliRunner().invoke(cli.main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"verify-derivations, version {importlib.metadata.version('derivation-verifier')}"


def test_help_lists_the_exit_codes_and_an_example():
    text = CliRunner().invoke(cli.main, ["--help"]).output
    for code in ("0 ", "1 ", "2 ", "3 ", "130", "143"):
        assert f"\n    {code}" in text or f" {code}" in text
    assert "Exit codes:" in text and "--junit" in text
    assert "  verify-derivations derivations/sigmoid/derivative-steps-b.toml --no-report --seed 0" in text


def test_python_dash_m_verifier(tmp_path):
    done = subprocess.run([sys.executable, "-m", "verifier", "--help"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Exit codes:" in done.stdout


def test_json_report_still_names_the_claims(project):
    invoke()
    data = json.loads((project / "reports" / "report.json").read_text())
    assert {c["id"] for c in data["claims"]} == {"cube.true", "cube.wrong"}


def test_reproduce_command_quotes_the_path_and_stays_on_one_line():
    from verifier.report import reproduce_command
    assert reproduce_command("my notes/a.toml", 3) == "verify-derivations 'my notes/a.toml' --no-report --seed 3"
    assert "\n" not in reproduce_command("a\nb.toml", 0)
