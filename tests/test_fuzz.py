"""Grammar-based fuzzing of claim files (Hypothesis, derandomized: the same examples on every run).

Two generators: valid-ish claims (random small expression trees over declared
symbols) and hostile text (random bytes, deep nesting, huge literals, power
towers, Unicode look-alikes, control characters, broken TOML).  Every file must
end in a Claim or one ClaimFileError when loaded, and in a verdict or a clean
error (never a traceback) within the time limit when a whole run verifies it.
"""

import json
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from verifier.cli import main
from verifier.errors import ClaimFileError
from verifier.loader import load_claim
from verifier.model import VERDICTS

FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SYMBOLS = '[symbols]\nx = "real"\ny = "real"\np = "positive"\nf = "function"\nv = "vector(n)"\n'
LEAVES = st.sampled_from(["x", "y", "p", "1", "2", "0", "3.5", "pi", "sum(v)", "-1"])
UNARY = ["-{}", "exp({})", "log({})", "sin({})", "sigmoid({})", "tanh({})", "sqrt({})", "Abs({})",
         "f({})", "fprime({})", "({})**2", "diff({}, x)", "relu({})"]
BINARY = ["{} + {}", "{} - {}", "{} * {}", "{} / {}", "Max({}, {})", "({})**({})"]


def _extend(children):
    unary = st.tuples(st.sampled_from(UNARY), children).map(lambda t: t[0].format(t[1]))
    binary = st.tuples(st.sampled_from(BINARY), children, children).map(lambda t: t[0].format(f"({t[1]})", f"({t[2]})"))
    return unary | binary


EXPRESSIONS = st.recursive(LEAVES, _extend, max_leaves=6)


@st.composite
def valid_ish_claims(draw, index: int = 0) -> bytes:
    lhs = draw(EXPRESSIONS)
    rhs = draw(st.one_of(st.just(lhs), EXPRESSIONS))
    relation = draw(st.sampled_from(['', 'relation = "<="\n']))
    text = (f'id = "fuzz.valid-{index}"\ntitle = "fuzzed"\nclaim = "fuzzed"\n{SYMBOLS}'
            f'[check]\nlhs = "{lhs}"\nrhs = "{rhs}"\n{relation}')
    return text.encode()


HOSTILE_EXPRESSIONS = st.sampled_from([
    "x**((((9**64)**64)**64)**64)", "diff(x, x, (((9**64)**64)**64)**64)", "limit(x, x, 9**64**64)",
    "diff(f, (9**64)**64)(x)", "9" * 3000, "1e999", "(" * 300 + "x" + ")" * 300, "-" * 3000 + "x",
    "ｅｘｐ(x)", "𝑥 + 1", "x\u200b", "x\x00", "x\x1b[31m", "__import__('os')", "().__class__",
    "lambda: 1", "[x for x in v]", "x if x else y", "1if x else 2", "f'{x}'", "x.__dict__",
    "diff(x, x, 5)", "limit(x, y, x)", "inv(0)", "1/0", "log(0)", "x[99]", "v[1, 2, 3]",
    "x" * 5000, "+".join(["x"] * 1600), "[" * 50 + "x" + "]" * 50,
])
HOSTILE_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters='"\\'), max_size=80)


@st.composite
def hostile_claims(draw, index: int = 0) -> bytes:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.binary(max_size=300))
    if kind == 1:
        depth = draw(st.integers(30, 3000))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a = ", "}")]))
        return f'id = "fuzz.deep-{index}"\nx = {opener * depth}{closer * depth}\n'.encode()
    if kind == 2:
        title = draw(HOSTILE_TEXT)
        claim_id = draw(st.sampled_from([f"fuzz.text-{index}", f"fuzz.text-{index}\\n", f"bad id {index}",
                                         f"fuzz.text-{index}\\u001b[2J"]))
        return (f'id = "{claim_id}"\ntitle = "{title or "t"}"\nclaim = "{title}\\n## other.id"\n'
                f'[[source]]\nseed = "s"\nquote = "{title}"\n{SYMBOLS}[check]\nlhs = "x"\nrhs = "x"\n').encode()
    if kind == 3:
        expression = draw(HOSTILE_EXPRESSIONS).replace("\\", "\\\\").replace('"', '\\"')
        body = expression.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return (f'id = "fuzz.expr-{index}"\ntitle = "t"\nclaim = "c"\n{SYMBOLS}'
                f'[check]\nlhs = "{body}"\nrhs = "x"\n').encode()
    valid = draw(valid_ish_claims(index))
    if kind == 4:  # a valid file with random bytes spliced in
        at = draw(st.integers(0, len(valid)))
        return valid[:at] + draw(st.binary(min_size=1, max_size=20)) + valid[at:]
    return b"\xef\xbb\xbf" + valid.replace(b"\n", b"\r\n")  # BOM and CRLF


def any_claim(index: int):
    return st.one_of(valid_ish_claims(index), hostile_claims(index))


@settings(FUZZ, max_examples=300)
@given(hostile_claims() | valid_ish_claims())
def test_loading_any_file_ends_in_a_claim_or_one_clean_error(raw):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.toml"
        path.write_bytes(raw)
        start = time.monotonic()
        try:
            load_claim(path)
        except ClaimFileError as exc:
            assert str(path) in str(exc)
        assert time.monotonic() - start < 2


TIMEOUT = 4.0


@settings(FUZZ, max_examples=16)
@given(st.tuples(*(any_claim(i) for i in range(4))))
def test_every_file_of_a_run_ends_in_a_verdict_or_a_clean_error(files):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for i, raw in enumerate(files):
            (folder / "claims").mkdir(exist_ok=True)
            (folder / "claims" / f"c{i}.toml").write_bytes(raw)
        start = time.monotonic()
        result = CliRunner().invoke(main, [str(folder / "claims"), "--timeout", str(TIMEOUT), "--jobs", "2",
                                           "--report", str(folder / "r.md"), "--json", str(folder / "r.json")])
        elapsed = time.monotonic() - start
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code in (0, 1, 2), result.output
        assert "Traceback" not in result.output and "\x1b" not in result.output
        assert elapsed < len(files) * TIMEOUT + 15
        report = json.loads((folder / "r.json").read_text(encoding="utf-8"))
        assert len(report["claims"]) == len(files)
        for entry in report["claims"]:
            assert entry["verdict"] in VERDICTS
            assert "Traceback" not in entry["message"]
        assert (folder / "r.md").read_text(encoding="utf-8").count("\nVerdict: **") == len(files)
