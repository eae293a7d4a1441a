"""`verify-derivations check` and `new` through click's CliRunner: verdicts, exit codes, stdin, --json,
LaTeX, the reproduce line, bad input, and the claim file `new` writes."""

import json
import shlex
import tomllib

import pytest
from click.testing import CliRunner

from verifier.cli import main
from verifier.loader import load_claim


def run(*args, stdin=None):
    return CliRunner().invoke(main, list(args), input=stdin)


@pytest.mark.parametrize("args, code, verdict", [
    (["diff(sigmoid(x), x) = sigmoid(x)*(1 - sigmoid(x))"], 0, "proved"),
    (["diff(sigmoid(x), x) = sigmoid(1 - x)"], 1, "refuted"),
    (["grad(x.T*A*x, x) = 2*A*x", "--symbols", "A: matrix(n, n), x: vector(n)"], 1, "refuted"),
    (["W*x = x*W", "--symbols", "W: matrix(m, n), x: vector(n)"], 1, "ill-typed"),
    ([r"\nabla_x (x^T A x) = 2 A x", "--symbols", "A: symmetric(n), x: vector(n)"], 0, "proved"),
    (["sin(x) < 1"], 3, "inconclusive"),
    (["log(x) <= 0", "--where", "x > 0 and x <= 1"], 0, None),
    (["0 < sigmoid(x) < 1"], 0, "proved"),                 # a chain with inequalities: every link holds
    ([r"0 < \tanh(x) < 1"], 1, "refuted"),
])
def test_check_prints_the_verdict_and_exits_by_it(args, code, verdict):
    out = run("check", *args)
    assert out.exit_code == code, out.output
    if verdict:
        assert out.output.split()[0] == verdict


def test_a_wrong_claim_shows_its_counterexample_and_a_reproduce_line_that_reproduces_it():
    out = run("check", "grad(x.T*A*x, x) = 2*A*x", "--symbols", "A: matrix(n, n), x: vector(n)", "--seed", "3")
    assert "Falsifying example" in out.output
    assert "expected" not in out.output     # a one-line check states no expectation to fall short of
    line = next(l for l in out.output.splitlines() if l.startswith("Reproduce: "))
    argv = shlex.split(line[len("Reproduce: "):])
    assert argv[:2] == ["verify-derivations", "check"] and argv[-2:] == ["--seed", "3"]
    again = run(*argv[1:])
    assert again.exit_code == 1 and again.output == out.output


def test_the_equation_can_come_from_stdin_and_the_record_goes_to_json(tmp_path):
    target = tmp_path / "one.json"
    out = run("check", "-", "--symbols", "x: positive, y: positive", "--json", str(target),
              stdin="log(x*y) = log(x) + log(y)\n")
    assert out.exit_code == 0, out.output
    record = json.loads(target.read_text())
    assert record["verdict"] == "proved" and record["details"]["symbols"] == {"x": "positive", "y": "positive"}


@pytest.mark.parametrize("args, problem", [
    (["tahn(x) = 1"], "did you mean `tanh`"),
    (["sigmoid(x)"], "no relation sign"),
    (["x = y", "--symbols", "x vector(n)"], "name: kind"),
    (["   "], "empty"),
])
def test_bad_input_is_one_clear_error_with_exit_code_2(args, problem):
    out = run("check", *args)
    assert out.exit_code == 2 and problem in out.output
    assert "Traceback" not in out.output


def test_new_writes_a_claim_file_that_loads_to_the_same_claim(tmp_path):
    target = tmp_path / "mine" / "tanh.toml"
    out = run("new", "diff(tanh(x), x) = 1 - tanh(x)**2", "--id", "mine.tanh", "--out", str(target))
    assert out.exit_code == 0, out.output
    claim = load_claim(target)
    assert claim.id == "mine.tanh" and [s.text for s in claim.steps] == ["diff(tanh(x), x)", "1 - tanh(x)**2"]
    assert tomllib.loads(target.read_text())["symbols"] == {"x": "real"}
    again = run("new", "x = x", "--id", "mine.tanh", "--out", str(target))
    assert again.exit_code == 2 and "exists" in again.output


def test_the_verify_command_still_takes_paths_and_options_first(tmp_path):
    assert "check EQUATION" in run("--help").output
    assert run("--version").exit_code == 0
    assert "Exit codes: 0 holds" in run("check", "--help").output
