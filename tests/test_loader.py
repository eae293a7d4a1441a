from pathlib import Path

import pytest

from helpers import make_claim, write_claim
from verifier.errors import ClaimFileError, UnsafeExpression
from verifier.loader import find_claim_files, load_claim
from verifier.runner import load_all

GOOD = '''
expect = "holds"
[[source]]
seed = "002_x.txt"
quote = "ds/dW = delta x^T"
reading = "column vectors"
[symbols]
W = "matrix(m, n)"
x = "vector(n)"
y = "onehot(m)"
p = "probability(m)"
k = "index(m)"
c = "positive"
f = "function"
[let]
z = "W*x"
[check]
lhs = "grad(sum(f(z)), W)"
rhs = "fprime(z)*x.T"
where = "c > 0"
'''


def test_a_complete_file_loads_into_the_model():
    claim = make_claim(GOOD)
    assert claim.expect == "holds"
    assert claim.sources[0].reading == "column vectors"
    kinds = {s.name: (s.kind, s.shape) for s in claim.symbols}
    assert kinds["W"] == ("matrix", ("m", "n"))
    assert kinds["x"] == ("vector", ("n", 1))
    assert kinds["y"] == ("onehot", ("m", 1))
    assert kinds["k"] == ("index", ())
    assert claim.dims == ["m", "n"]
    assert [name for name, _ in claim.lets] == ["z"]
    assert not claim.chain and claim.relation == "=" and claim.where.op == "gt"


def test_steps_make_a_chain():
    claim = make_claim('[symbols]\nx = "real"\n[check]\nsteps = ["x", "x*1", "1*x"]\n')
    assert claim.chain and len(claim.steps) == 3


@pytest.mark.parametrize("body, key, message", [
    ('[symbols]\nx = "real"\n[check]\nlhs = "x"\n', "check.rhs", "missing"),
    ('[symbols]\nx = "real"\n', "check", "missing [check]"),
    ('[symbols]\nx = "real"\n[check]\nlhs = "x"\nrhs = "x"\nrelaton = "<"\n', "check", "unknown key `relaton`"),
    ('colour = "red"\n[check]\nlhs = "1"\nrhs = "1"\n', "colour", "unknown key `colour`"),
    ('[symbols]\nx = "tensor(3)"\n[check]\nlhs = "x"\nrhs = "x"\n', "symbols.x", "unknown kind"),
    ('[symbols]\nx = "vector(n, m)"\n[check]\nlhs = "x"\nrhs = "x"\n', "symbols.x", "wrong number"),
    ('[symbols]\nx = "vector(100000)"\n[check]\nlhs = "x"\nrhs = "x"\n', "symbols.x", "bad dimension"),
    ('[symbols]\nexp = "real"\n[check]\nlhs = "1"\nrhs = "1"\n', "symbols.exp", "built-in function"),
    ('[symbols]\nn = "real"\nx = "vector(n)"\n[check]\nlhs = "1"\nrhs = "1"\n', "symbols", "both a symbol"),
    ('[symbols]\nx = "real"\n[check]\nlhs = "x"\nrhs = "y"\n', "check.rhs", "unknown name `y`"),
    ('[symbols]\nx = "real"\n[let]\na = "b"\nb = "x"\n[check]\nlhs = "a"\nrhs = "x"\n', "let.a", "unknown name `b`"),
    ('[symbols]\nx = "real"\n[check]\nlhs = "x"\nrhs = "x"\nrelation = "~"\n', "check.relation", "unknown relation"),
    ('[symbols]\nx = "real"\n[check]\nsteps = ["x"]\n', "check.steps", "2 or more"),
    ('[[source]]\nseed = "a"\n[check]\nlhs = "1"\nrhs = "1"\n', "quote", "missing"),
])
def test_one_clear_error_names_the_key(body, key, message):
    with pytest.raises(ClaimFileError) as info:
        make_claim(body, path="derivations/t.toml")
    text = str(info.value)
    assert text.startswith(f"derivations/t.toml: [{key}]")
    assert message in text


def test_expect_values_are_checked():
    with pytest.raises(ClaimFileError, match="unknown expectation"):
        make_claim('expect = "maybe"\n[check]\nlhs = "1"\nrhs = "1"\n')


def test_bad_id_is_refused():
    with pytest.raises(ClaimFileError, match="malformed id"):
        make_claim('[check]\nlhs = "1"\nrhs = "1"\n', claim_id="no dots here")


def test_unsafe_expression_in_a_file(tmp_path):
    path = write_claim(tmp_path, "evil.toml", '[check]\nlhs = "().__class__"\nrhs = "1"\n', claim_id="e.vil")
    with pytest.raises(UnsafeExpression) as info:
        load_claim(path)
    assert f"{path}: [check.lhs]" in str(info.value) and "().__class__" in str(info.value)


def test_invalid_toml_and_binary_files(tmp_path):
    (tmp_path / "broken.toml").write_text('id = "a.b"\ntitle = \n', encoding="utf-8")
    with pytest.raises(ClaimFileError, match="not valid TOML"):
        load_claim(tmp_path / "broken.toml")
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ClaimFileError, match="not UTF-8"):
        load_claim(tmp_path / "binary.toml")


def test_oversized_file_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr("verifier.limits.MAX_FILE_BYTES", 10)
    path = write_claim(tmp_path, "big.toml", '[check]\nlhs = "1"\nrhs = "1"\n', claim_id="b.ig")
    with pytest.raises(ClaimFileError, match="over the limit"):
        load_claim(path)


def test_load_all_keeps_going_and_reports_both_files_of_a_repeated_id(tmp_path):
    write_claim(tmp_path, "a.toml", '[check]\nlhs = "1"\nrhs = "1"\n', claim_id="same.id")
    write_claim(tmp_path, "b.toml", '[check]\nlhs = "2"\nrhs = "2"\n', claim_id="same.id")
    (tmp_path / "c.toml").write_text("not toml at all [", encoding="utf-8")
    write_claim(tmp_path, "d.toml", '[check]\nlhs = "3"\nrhs = "3"\n', claim_id="other.id")
    claims, errors = load_all(find_claim_files([tmp_path]))
    assert [c.id for c in claims] == ["other.id"]
    assert all(e.verdict == "error" for e in errors)
    conflicts = [e for e in errors if e.id == "same.id"]
    assert sorted(Path(e.path).name for e in conflicts) == ["a.toml", "b.toml"]
    for e in conflicts:
        assert "used by 2 files" in e.message and "a.toml" in e.message and "b.toml" in e.message
        assert "none of them is verified" in e.message
    (broken,) = [e for e in errors if e.id != "same.id"]
    assert "c.toml" in broken.message and "not valid TOML" in broken.message
