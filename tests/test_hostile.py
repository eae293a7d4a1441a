"""Hostile input: no file, folder entry or option hangs, crashes or forges a run (issue 11).

Signals and worker death are in test_signals.py.
"""

import json
import os
import re
import time
import warnings

import pytest
from click.testing import CliRunner

from helpers import HEADER, write_claim
from verifier.cli import main
from verifier.errors import ClaimFileError, UnsafeExpression
from verifier.loader import find_claim_files, load_claim
from verifier.parser import Scope, parse_expression
from verifier.report import make_report, render_markdown
from verifier.runner import load_all
from verifier.textsafe import code, inline, terminal

TRUE = '[symbols]\nx = "real"\n[check]\nlhs = "diff(x**2, x)"\nrhs = "2*x"\n'
SCOPE = Scope(values=frozenset({"x"}), functions=frozenset({"f"}))


def run(args, folder):
    return CliRunner().invoke(main, [*map(str, args), "--report", str(folder / "out" / "r.md"),
                                     "--json", str(folder / "out" / "r.json"), "--timeout", "30"])


# -- everything a file asks for is bounded before it is computed --------------------

@pytest.mark.parametrize("text", [
    "x**((((9**64)**64)**64)**64)",
    "diff(x**2, x, (((9**64)**64)**64)**64)",
    "limit(x, x, (((9**64)**64)**64)**64)",
    "diff(f, (((9**64)**64)**64)**64)(x)",
    "x + ((9**64)**64)**64",
    "x * (2**64)**64 * (2**64)**64",
])
def test_a_power_tower_is_refused_at_once(text):
    start = time.monotonic()
    with pytest.raises(UnsafeExpression, match="constant too large"):
        parse_expression(text, SCOPE, path="t.toml", key="check.lhs")
    assert time.monotonic() - start < 1


def test_small_constants_still_fold():
    node = parse_expression("x**(2**6) + (9**64)**2", SCOPE)
    assert node.op == "add"


@pytest.mark.parametrize("text, char", [("ｅｘｐ(x)", "U+FF45 FULLWIDTH LATIN SMALL LETTER E"),
                                        ("x + 𝑥", "U+1D465 MATHEMATICAL ITALIC SMALL X"),
                                        ("x\u200b + 1", "U+200B ZERO WIDTH SPACE")])
def test_unicode_look_alikes_are_refused_naming_the_character(text, char):
    with pytest.raises(UnsafeExpression, match=re.escape(char)):
        parse_expression(text, SCOPE, path="t.toml", key="check.lhs")


def test_syntax_warnings_do_not_leak():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(UnsafeExpression):
            parse_expression("1if x else 2", SCOPE)
        with pytest.raises(UnsafeExpression):
            parse_expression("x(1)(2)", SCOPE)
    assert not seen


def test_a_large_valid_file_loads_quickly_or_is_refused_quickly(tmp_path):
    term = "(" + "+".join(["x*y"] * 30) + ")"
    expression = "*".join([term] * 12)  # 1439 nodes, 1463 characters
    lets = "\n".join(f'a{i} = "{expression}"' for i in range(100))
    path = tmp_path / "big.toml"
    path.write_text(HEADER.format(id="big.one") + '[symbols]\nx = "real"\ny = "real"\n[let]\n' + lets
                    + '\n[check]\nlhs = "x"\nrhs = "x"\n', encoding="utf-8")
    assert path.stat().st_size > 140_000
    start = time.monotonic()
    with pytest.raises(ClaimFileError, match="more than 10000 parts in all"):
        load_claim(path)
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("nesting", ["x = " + "[" * 1000 + "]" * 1000, "x = " + "{a = " * 1000 + "}" * 1000])
def test_deep_toml_nesting_is_an_error_not_a_crash(tmp_path, nesting):
    path = tmp_path / "deep.toml"
    path.write_text('id = "deep.one"\n' + nesting + "\n", encoding="utf-8")
    with pytest.raises(ClaimFileError, match="nested 1000 deep"):
        load_claim(path)


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path):
    quote = "'" + "{" * 200 + "'"
    path = write_claim(tmp_path, "q.toml", f'[[source]]\nseed = "s"\nquote = {quote}\n' + TRUE, claim_id="q.one")
    assert load_claim(path).sources[0].quote == "{" * 200


def test_a_file_with_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER.format(id="bom.one") + TRUE).encode())
    assert load_claim(path).id == "bom.one"


def test_size_is_checked_on_the_bytes_read(tmp_path, monkeypatch):
    monkeypatch.setattr("verifier.limits.MAX_FILE_BYTES", 100)
    path = tmp_path / "big.toml"
    path.write_text("#" * 101, encoding="utf-8")
    with pytest.raises(ClaimFileError, match="over the limit of 100 bytes"):
        load_claim(path)
    path.write_text("#" * 100, encoding="utf-8")
    with pytest.raises(ClaimFileError, match="missing"):
        load_claim(path)


# -- special files: every one named or found gets an error --------------------------

@pytest.fixture
def odd_folder(tmp_path):
    folder = tmp_path / "claims"
    folder.mkdir()
    write_claim(folder, "good.toml", TRUE, claim_id="good.one")
    os.mkfifo(folder / "fifo.toml")
    (folder / "zero.toml").symlink_to("/dev/zero")
    (folder / "loop.toml").symlink_to("loop.toml")
    (folder / "dangling.toml").symlink_to("nowhere")
    (folder / "dir.toml").mkdir()
    return folder


EXPECTED_ERRORS = {"fifo.toml": "not a regular file (a FIFO)", "zero.toml": "not a regular file (a character device)",
                   "loop.toml": "cannot read the file", "dangling.toml": "cannot read the file",
                   "dir.toml": "not a regular file (a folder)"}


def test_special_files_in_a_folder_are_each_reported(odd_folder):
    paths = find_claim_files([odd_folder])
    assert sorted(p.name for p in paths) == sorted(["good.toml", *EXPECTED_ERRORS])
    start = time.monotonic()
    claims, errors = load_all(paths)
    assert time.monotonic() - start < 5
    assert [c.id for c in claims] == ["good.one"]
    messages = {os.path.basename(e.path): e.message for e in errors}
    for name, problem in EXPECTED_ERRORS.items():
        assert problem in messages[name], messages[name]


def test_special_files_named_on_the_command_line_get_a_line_and_an_entry(odd_folder, tmp_path):
    named = [odd_folder / name for name in ["good.toml", *EXPECTED_ERRORS] if name != "dir.toml"]
    result = run(named, tmp_path)  # a folder named on the command line is searched, not read
    assert result.exit_code == 2, result.output
    assert "proved       good.one" in result.output
    data = json.loads((tmp_path / "out" / "r.json").read_text())
    assert len(data["claims"]) == 5
    assert sum(c["verdict"] == "error" for c in data["claims"]) == 4


# -- options and report paths -------------------------------------------------------

@pytest.mark.parametrize("value", ["inf", "nan", "0", "-1", "-inf"])
def test_timeout_must_be_finite_and_positive(tmp_path, value):
    write_claim(tmp_path, "a.toml", TRUE, claim_id="a.one")
    result = CliRunner().invoke(main, [str(tmp_path), "--no-report", "--timeout", value])
    assert result.exit_code == 2
    assert "finite number of seconds above 0" in result.output
    assert "Traceback" not in result.output


def test_an_unwritable_report_path_is_one_message_and_exit_3(tmp_path):
    write_claim(tmp_path, "a.toml", TRUE, claim_id="a.one")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = CliRunner().invoke(main, [str(tmp_path / "a.toml"), "--report", str(blocker / "r.md"),
                                       "--json", str(blocker / "r.json")])
    assert result.exit_code == 3
    assert "cannot write" in result.output and "Traceback" not in result.output


def test_a_full_disk_leaves_the_previous_report_intact(tmp_path, monkeypatch):
    write_claim(tmp_path, "a.toml", TRUE, claim_id="a.one")
    out = tmp_path / "out"
    out.mkdir()
    (out / "r.json").write_text("previous")

    def full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("verifier.report.os.replace", full)
    result = run([tmp_path / "a.toml"], tmp_path)
    assert result.exit_code == 3
    assert "No space left on device" in result.output
    assert (out / "r.json").read_text() == "previous"
    assert [p.name for p in out.iterdir()] == ["r.json"]  # no temporary file left behind


# -- no forgery -------------------------------------------------------------------------

FORGED = '''id = "forge.one"
title = "t\\n## other.id\\n\\nVerdict: **refuted** <script>alert(1)</script>"
claim = "c \\u001b[31mRED\\u001b[0m"
[[source]]
seed = "s`x\\n## y"
quote = "q\\n## other.id\\nVerdict: **proved** <img src=x onerror=alert(1)>"
reading = "r\\n## z &amp;"
[symbols]
x = "real"
[check]
lhs = "x"
rhs = "x"
'''


def test_claim_text_cannot_add_sections_tags_or_colours(tmp_path):
    folder = tmp_path / "claims"
    folder.mkdir()
    (folder / "forge.toml").write_text(FORGED, encoding="utf-8")
    odd = folder / "x\n## other.id\nVerdict: **refuted**.toml"
    odd.write_text("not toml [", encoding="utf-8")
    result = run([folder], tmp_path)
    assert "\x1b" not in result.output
    text = (tmp_path / "out" / "r.md").read_text()
    lines = text.splitlines()
    assert sorted(ln for ln in lines if ln.startswith("## ")) == sorted(["## forge.one", f"## {inline(str(odd))}"])
    assert sum(ln.startswith("Verdict:") for ln in lines) == 2
    assert "<script" not in outside_code(text) and "<img" not in outside_code(text) and "\x1b" not in text
    assert "&amp;amp;" in text
    assert not any(ln.lstrip("> ").startswith("#") for ln in lines if ln.startswith(">"))


def outside_code(markdown: str) -> str:
    """The text without its code spans (inside one, `<script>` is shown, never run)."""
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", markdown)


def test_escapers():
    assert terminal("a\x1b[31mb\nc\u202e") == "a\\x1b[31mb\\nc\\u202e"
    assert inline("a < b &= c <b> &amp; &#60;") == "a < b &= c &lt;b> &amp;amp; &amp;#60;"
    assert code("a`b") == "``a`b``" and code("`") == "`` ` ``" and code("plain") == "`plain`"


@pytest.mark.parametrize("claim_id", ["a.b\n", "a.b ", " a.b", "a .b", "ａ.b"])
def test_ids_are_validated_with_fullmatch(tmp_path, claim_id):
    path = tmp_path / "c.toml"
    path.write_text(f'id = {json.dumps(claim_id)}\ntitle = "t"\nclaim = "c"\n' + TRUE, encoding="utf-8")
    with pytest.raises(ClaimFileError, match="malformed id"):
        load_claim(path)


def test_a_symbol_name_with_a_trailing_newline_is_refused(tmp_path):
    path = write_claim(tmp_path, "c.toml", '[symbols]\n"x\\n" = "real"\n[check]\nlhs = "1"\nrhs = "1"\n',
                       claim_id="n.one")
    with pytest.raises(ClaimFileError, match="bad name"):
        load_claim(path)


def test_two_files_with_one_id_are_both_errors_through_the_cli(tmp_path):
    folder = tmp_path / "claims"
    folder.mkdir()
    write_claim(folder, "a.toml", TRUE, claim_id="same.id")
    write_claim(folder, "b.toml", TRUE, claim_id="same.id")
    result = run([folder], tmp_path)
    assert result.exit_code == 2
    data = json.loads((tmp_path / "out" / "r.json").read_text())
    assert [c["verdict"] for c in data["claims"]] == ["error", "error"]
    assert all("a.toml" in c["message"] and "b.toml" in c["message"] for c in data["claims"])


def test_markdown_of_an_error_entry_with_a_hostile_file_name():
    from verifier.verify import error_result
    name = "evil\n## x.y\nVerdict: **proved** <script>.toml"
    report = make_report([error_result(name, name, f"{name}: not valid TOML")], seed=0)
    text = render_markdown(report)
    assert "<script" not in outside_code(text)
    assert [ln for ln in text.splitlines() if ln.startswith("## ")] == [f"## {inline(name)}"]
