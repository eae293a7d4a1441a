"""The pytest plugin, through pytester: every claim file is an item with the CLI's verdict."""

import importlib.util
import textwrap

import pytest

TRUE = '''
id = "calc.square"
title = "square"
claim = "d/dx x^2 = 2x"
expect = "holds"
[symbols]
x = "real"
[check]
lhs = "diff(x**2, x)"
rhs = "2*x"
'''

WRONG_EXPECTED = '''
id = "calc.cube-wrong"
title = "cube, wrong as the note writes it"
claim = "d/dx x^3 = 3x"
expect = "fails"
[symbols]
x = "real"
[check]
lhs = "diff(x**3, x)"
rhs = "3*x"
'''

WRONG_UNEXPECTED = '''
id = "calc.sigmoid-wrong"
title = "sigmoid derivative with sigma(1 - x)"
claim = "sigma'(x) = sigma(x) sigma(1 - x)"
[symbols]
x = "real"
[check]
lhs = "diff(sigmoid(x), x)"
rhs = "sigmoid(x)*sigmoid(1 - x)"
'''

MALFORMED = '''
id = "calc.bad"
title = "bad"
claim = "bad"
[check]
lhs = "__import__('os').getcwd()"
rhs = "1"
'''


@pytest.fixture
def project(pytester):
    folder = pytester.mkdir("derivations")
    for name, text in [("true", TRUE), ("expected", WRONG_EXPECTED), ("unexpected", WRONG_UNEXPECTED),
                       ("malformed", MALFORMED)]:
        (folder / f"{name}.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    (pytester.path / "other").mkdir()
    (pytester.path / "other" / "settings.toml").write_text('name = "not a claim"\n')
    pytester.makepyprojecttoml('[project]\nname = "demo"\n')
    return pytester


def test_outcomes_of_true_wrong_expected_wrong_unexpected_and_malformed(project):
    result = project.runpytest("-p", "no:cacheprovider", "--derivations-large-size", "8")
    result.assert_outcomes(passed=1, xfailed=1, failed=2)


def test_failure_text_has_the_counterexample_and_the_reproduce_line(project):
    result = project.runpytest("--derivations-seed", "3", "--derivations-large-size", "8")
    text = result.stdout.str()
    assert "___ calc.sigmoid-wrong: refuted (NOT as expected: expected holds) ___" in text
    assert "  diff(sigmoid(x), x) = sigmoid(x)*sigmoid(1 - x)" in text
    assert "Falsifying example (scalars):" in text
    claim_file = project.path / "derivations" / "unexpected.toml"
    assert f"Reproduce: verify-derivations {claim_file} --no-report --seed 3" in text
    assert "malformed claim file:" in text and "[check.lhs]" in text
    assert "Traceback" not in text


def test_pyproject_and_unrelated_toml_are_not_collected(project):
    result = project.runpytest("--collect-only", "-q")
    text = result.stdout.str()
    assert "pyproject.toml" not in text and "settings.toml" not in text
    assert text.count("::") == 4


def test_k_selects_claims_by_id(project):
    result = project.runpytest("-k", "square", "--derivations-large-size", "8")
    result.assert_outcomes(passed=1, deselected=3)


def test_configured_folder_through_the_ini_key(pytester):
    folder = pytester.mkdir("notes")
    (folder / "true.toml").write_text(textwrap.dedent(TRUE), encoding="utf-8")
    pytester.makeini("[pytest]\nderivations_paths = notes\n")
    pytester.runpytest("--derivations-large-size", "8").assert_outcomes(passed=1)


def test_configured_folder_is_collected_even_with_testpaths(pytester):
    """`testpaths = tests` would hide notes/: the plugin adds the configured folder to the collection."""
    (pytester.mkdir("notes") / "true.toml").write_text(textwrap.dedent(TRUE), encoding="utf-8")
    (pytester.mkdir("tests") / "test_one.py").write_text("def test_one():\n    pass\n")
    pytester.makeini("[pytest]\ntestpaths = tests\nderivations_paths = notes\n")
    result = pytester.runpytest("--derivations-large-size", "8", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*notes/true.toml::calc.square PASSED*"])


def test_testpaths_that_include_the_folder_collect_it_once(pytester):
    (pytester.mkdir("notes") / "true.toml").write_text(textwrap.dedent(TRUE), encoding="utf-8")
    pytester.makeini("[pytest]\ntestpaths = notes\nderivations_paths = notes\n")
    pytester.runpytest("--derivations-large-size", "8").assert_outcomes(passed=1)


def test_a_configured_folder_that_does_not_exist_is_a_warning(pytester):
    (pytester.mkdir("tests") / "test_one.py").write_text("def test_one():\n    pass\n")
    pytester.makeini("[pytest]\ntestpaths = tests\nderivations_paths = nowhere\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*derivations_paths: *nowhere is not a folder*"])


def test_every_item_records_its_verdict_in_junit_xml(project):
    import xml.etree.ElementTree as ET
    project.runpytest("--derivations-large-size", "8", "--junitxml=out.xml")
    cases = ET.parse(project.path / "out.xml").getroot().iter("testcase")
    verdicts = {case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
                for case in cases}
    assert verdicts["calc.square"]["verdict"] == "proved"
    assert verdicts["calc.cube-wrong"] == {"verdict": "refuted", "expect": "fails"}
    assert verdicts["calc.sigmoid-wrong"] == {"verdict": "refuted", "expect": "holds"}
    assert verdicts["malformed"] == {"verdict": "error"}


CONFIRMED = """
id = "log.range"
title = "log is non-positive on (0, 1]"
claim = "log(x) <= 0 for 0 < x <= 1"
expect = "holds"
[symbols]
x = "positive"
[check]
lhs = "log(x)"
rhs = "0"
relation = "<="
where = "x <= 1"
"""


def test_confirmed_passes_with_a_warning_and_a_property(pytester):
    import xml.etree.ElementTree as ET
    folder = pytester.mkdir("derivations")
    (folder / "confirmed.toml").write_text(CONFIRMED, encoding="utf-8")
    (folder / "true.toml").write_text(textwrap.dedent(TRUE), encoding="utf-8")
    result = pytester.runpytest("--derivations-large-size", "8", "--junitxml=out.xml")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(["*DerivationConfirmedOnly: log.range: confirmed, not proved*"])
    properties = {case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
                  for case in ET.parse(pytester.path / "out.xml").getroot().iter("testcase")}
    assert properties["log.range"]["confirmed"] == "numerically only"
    assert "confirmed" not in properties["calc.square"]
    strict = pytester.runpytest("--derivations-large-size", "8", "-W", "error::verifier.pytest_plugin.DerivationConfirmedOnly")
    strict.assert_outcomes(passed=1, failed=1)


@pytest.mark.skipif(importlib.util.find_spec("xdist") is None, reason="pytest-xdist is not installed")
def test_parallel_run_gives_the_same_outcomes(project):
    result = project.runpytest_subprocess("-n", "2", "--derivations-large-size", "8")
    result.assert_outcomes(passed=1, xfailed=1, failed=2)


def test_the_catalog_gets_the_same_verdicts_as_the_cli(pytester):
    """`pytest derivations/` agrees claim by claim with the CLI's committed report (which
    test_catalog.py keeps current)."""
    import json
    import shutil
    from pathlib import Path

    root = Path(__file__).parent.parent
    shutil.copytree(root / "derivations", pytester.path / "derivations")
    claims = json.loads((root / "reports" / "report.json").read_text(encoding="utf-8"))["claims"]
    parallel = ["-n", "2"] if importlib.util.find_spec("xdist") else []
    result = pytester.runpytest_subprocess("derivations", "-rA", *parallel)
    expected = {
        "passed": sum(c["agrees"] and c["expect"] != "fails" for c in claims),
        "xfailed": sum(c["agrees"] and c["expect"] == "fails" for c in claims),
        "failed": sum(not c["agrees"] for c in claims),
    }
    result.assert_outcomes(**expected)
    text = result.stdout.str()
    for c in claims:
        outcome = "XFAIL" if c["agrees"] and c["expect"] == "fails" else "PASSED" if c["agrees"] else "FAILED"
        assert f"{outcome} {c['file']}::{c['id']}" in text, c["id"]
