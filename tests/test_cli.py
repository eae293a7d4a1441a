"""verify-derivations through click's CliRunner: exit codes, bad files, -k, reports."""

import json

import pytest
from click.testing import CliRunner

from helpers import write_claim
from verifier.cli import main

TRUE = '[symbols]\nx = "real"\n[check]\nlhs = "diff(x**3, x)"\nrhs = "3*x**2"\n'
WRONG = '[symbols]\nx = "real"\n[check]\nlhs = "diff(x**3, x)"\nrhs = "3*x"\n'


def run(args, folder):
    runner = CliRunner()
    result = runner.invoke(main, [*map(str, args), "--report", str(folder / "out" / "r.md"),
                                  "--json", str(folder / "out" / "r.json")])
    return result


@pytest.fixture
def claims(tmp_path):
    folder = tmp_path / "derivations"
    folder.mkdir()
    write_claim(folder, "true.toml", TRUE, claim_id="cube.true", expect="holds")
    write_claim(folder, "wrong.toml", WRONG, claim_id="cube.wrong", expect="fails")
    return folder


def test_exit_0_when_every_verdict_is_expected(claims, tmp_path):
    result = run([claims], tmp_path)
    assert result.exit_code == 0, result.output
    assert "proved       cube.true" in result.output
    assert "refuted      cube.wrong" in result.output
    data = json.loads((tmp_path / "out" / "r.json").read_text())
    assert {c["id"]: c["verdict"] for c in data["claims"]} == {"cube.true": "proved", "cube.wrong": "refuted"}
    assert "## cube.wrong" in (tmp_path / "out" / "r.md").read_text()


def test_exit_1_when_a_verdict_is_a_surprise(claims, tmp_path):
    write_claim(claims, "surprise.toml", WRONG, claim_id="cube.surprise", expect="holds")
    result = run([claims], tmp_path)
    assert result.exit_code == 1
    assert "cube.surprise  <- expected holds" in result.output


def test_exit_2_for_a_malformed_file_and_the_others_still_run(claims, tmp_path):
    (claims / "broken.toml").write_text('id = "a.b"\n[check]\nlhs = "os.system(1)"\nrhs = "1"\n')
    result = run([claims], tmp_path)
    assert result.exit_code == 2
    assert "broken.toml: [check.lhs]: only named functions can be called" in result.output
    assert "proved       cube.true" in result.output
    data = json.loads((tmp_path / "out" / "r.json").read_text())
    assert len(data["claims"]) == 3


def test_hostile_expression_is_refused_without_running_it(claims, tmp_path):
    marker = tmp_path / "pwned"
    write_claim(claims, "evil.toml",
                f'[check]\nlhs = "__import__(\'os\').system(\'touch {marker}\')"\nrhs = "0"\n', claim_id="e.vil")
    result = run([claims], tmp_path)
    assert result.exit_code == 2
    assert "evil.toml: [check.lhs]" in result.output
    assert not marker.exists()


def test_exit_2_for_a_missing_path(tmp_path):
    result = run([tmp_path / "nowhere"], tmp_path)
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_k_selects_claims_by_id(claims, tmp_path):
    result = run([claims, "-k", "wrong"], tmp_path)
    assert result.exit_code == 0
    assert "cube.wrong" in result.output and "cube.true" not in result.output
    result = run([claims, "-k", "cube.t*"], tmp_path)
    assert "cube.true" in result.output and "cube.wrong" not in result.output


def test_k_matching_nothing_is_a_usage_error(claims, tmp_path):
    result = run([claims, "-k", "nothing-like-this"], tmp_path)
    assert result.exit_code == 2
    assert "no claim files" in result.output


def test_no_report_writes_nothing(claims, tmp_path):
    result = run([claims, "--no-report"], tmp_path)
    assert result.exit_code == 0
    assert not (tmp_path / "out").exists()


def test_same_seed_gives_the_same_json_apart_from_timings(claims, tmp_path):
    def verdict_data():
        run([claims, "--seed", "11", "--jobs", "2"], tmp_path)
        data = json.loads((tmp_path / "out" / "r.json").read_text())
        for c in data["claims"]:
            c.pop("seconds")
        return data

    assert verdict_data() == verdict_data()


def test_timeout_option_is_enforced(claims, tmp_path, monkeypatch):
    import time
    import verifier.runner as runner
    monkeypatch.setattr(runner, "verify", lambda claim, settings: time.sleep(30))
    result = run([claims, "--timeout", "0.5", "-k", "cube.true"], tmp_path)
    assert result.exit_code == 1
    assert "timeout      cube.true" in result.output
