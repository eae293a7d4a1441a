"""The result cache: a second run is served from it, any change is verified again, a bad entry is ignored."""

import json
import re

import pytest
from click.testing import CliRunner

from helpers import TRUE_CUBE as TRUE, make_project, write_claim
from verifier.cli import main



@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.delenv("VERIFY_DERIVATIONS_NO_CACHE", raising=False)
    return make_project(tmp_path, monkeypatch)


def run(*args):
    result = CliRunner().invoke(main, ["derivations", "--report", "out/r.md", "--json", "out/r.json",
                                       "--jobs", "2", *args])
    assert result.exit_code == 0, result.output
    return result.output


def report(project):
    data = json.loads((project / "out" / "r.json").read_text())
    markdown = (project / "out" / "r.md").read_text()
    return data, markdown


def without_timings(data, markdown):
    for c in data["claims"]:
        c.pop("seconds")
        c.pop("cached", None)
    markdown = re.sub(r"\| [0-9.]+ \|\n", "|\n", markdown).replace("; cached result", "")
    return data, markdown


def cached_ids(output):
    return sorted(line.split()[1] for line in output.splitlines() if line.endswith("(cached)"))


def test_a_second_run_is_served_from_the_cache_with_the_same_report(project):
    assert cached_ids(run()) == []
    first = report(project)
    assert all("cached" not in c for c in first[0]["claims"])
    assert (project / ".verify-cache").is_dir()
    second_output = run()
    assert cached_ids(second_output) == ["cube.true", "cube.wrong"]
    second = report(project)
    assert all(c["cached"] is True for c in second[0]["claims"])
    assert "as expected; cached result" in second[1]
    assert without_timings(*first) == without_timings(*second)


def test_a_changed_file_or_setting_is_verified_again(project):
    run()
    write_claim(project / "derivations", "true.toml", TRUE + "# edited\n", claim_id="cube.true", expect="holds")
    assert cached_ids(run()) == ["cube.wrong"]
    assert cached_ids(run("--seed", "1")) == []
    assert cached_ids(run("--points", "3")) == []
    assert cached_ids(run("--timeout", "59")) == []
    assert cached_ids(run("--large-size", "8")) == []


def test_no_cache_neither_reads_nor_writes(project):
    run("--no-cache")
    assert not (project / ".verify-cache").exists()
    run()
    assert cached_ids(run("--no-cache")) == []


def test_cache_dir_option(project):
    run("--cache-dir", "elsewhere")
    assert (project / "elsewhere").is_dir() and not (project / ".verify-cache").exists()
    assert cached_ids(run("--cache-dir", "elsewhere")) == ["cube.true", "cube.wrong"]


@pytest.mark.parametrize("damage", [b"", b"not json", b'{"format": 1}', b"\xff\xfe",
                                    b'{"format": 1, "key": "KEY", "result": {"verdict": "proved"}}'])
def test_a_corrupt_entry_is_ignored_and_verified_again(project, damage):
    run()
    entries = sorted((project / ".verify-cache").rglob("*.json"))
    assert len(entries) == 2
    for entry in entries:
        entry.write_bytes(damage.replace(b"KEY", entry.stem.encode()))
    assert cached_ids(run()) == []
    assert cached_ids(run()) == ["cube.true", "cube.wrong"]  # rewritten by the run that ignored them


def test_errors_and_timeouts_are_not_cached(project, monkeypatch):
    import time
    import verifier.runner as runner
    monkeypatch.setattr(runner, "verify", lambda claim, settings: time.sleep(30))
    CliRunner().invoke(main, ["derivations", "--no-report", "--timeout", "0.5", "--jobs", "2"])
    assert not list((project / ".verify-cache").rglob("*.json"))
