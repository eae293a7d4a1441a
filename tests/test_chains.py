"""Chains with inequalities (`0 < sigma(x) < 1`, `a = b <= c`): each link holds, or the first failing
link is named with its relation, in every output."""

from helpers import make_claim, verdict_of

from verifier.report import claim_entry, render_result
from verifier.report_html import render_result_html
from verifier.terminal import render_block

X = '[symbols]\nx = "real"\n'


def test_every_link_of_a_true_range_holds():
    result = verdict_of(X + "[check]\nlatex = '0 < \\sigma(x) < 1'\n")
    assert result.verdict == "proved"
    assert [s.index for s in result.steps] == [1, 2] and all(s.verdict == "proved" for s in result.steps)
    assert "(0) < (1)" in result.message and "(1) < (2)" in result.message


def test_the_first_failing_link_is_named_with_its_relation_and_its_counterexample():
    result = verdict_of(X + "[check]\nlatex = '0 < \\tanh(x) < 1'\n")
    assert result.verdict == "refuted"
    assert result.counterexample.step == 1 and result.message.startswith("link (0) < (1)")
    assert float(result.counterexample.entries[0].rhs) < 0            # tanh(x) < 0 at the point
    # a wrong link after a right one: the middle equality holds, the inequality after it does not
    middle = verdict_of(X + '[check]\nsteps = ["(x - 1)**2", "x**2 - 2*x + 1", "x**2 + 1"]\nrelations = ["=", "<="]\n')
    assert middle.verdict == "refuted" and middle.counterexample.step == 2
    assert [s.verdict for s in middle.steps] == ["proved", "refuted"]
    # and a wrong equality after a true inequality
    after = verdict_of(X + '[check]\nsteps = ["x**2", "0", "x"]\nrelations = [">=", "="]\n')
    assert after.verdict == "refuted" and after.counterexample.step == 2


def test_a_link_that_is_only_confirmed_makes_the_chain_confirmed_not_proved():
    links = verdict_of('[symbols]\nx = "positive"\n[check]\nsteps = ["log(x)", "x - 1", "x"]\nrelations = ["<=", "<"]\n')
    assert links.verdict in ("proved", "confirmed")
    if any(s.verdict != "proved" for s in links.steps):
        assert links.verdict == "confirmed"


def test_every_output_shows_each_links_relation():
    claim = make_claim(X + '[check]\nsteps = ["(x - 1)**2", "x**2 - 2*x + 1", "x**2 + 1"]\nrelations = ["=", "<="]\n')
    from verifier.verify import verify
    result = verify(claim)
    entry = claim_entry(result)
    assert entry["details"]["relations"] == ["=", "<="] and entry["details"]["relation"] == "<="
    block = "\n".join(render_block(result, seed=0))
    assert "(2) <= x**2 + 1" in block and "step (1) <= (2)" in block
    markdown = render_result(result)
    assert r"&\le " in markdown and "&= " in markdown
    assert "step (1) <= (2)" in markdown
    assert "step (1) &lt;= (2)" in render_result_html(entry, 0)


def test_a_uniform_chain_of_equalities_keeps_its_old_form():
    claim = make_claim(X + '[check]\nsteps = ["x + x", "2*x", "x*2"]\n')
    assert claim.relations == () and claim.relation == "="
    entry = claim_entry(verdict_of(X + '[check]\nsteps = ["x + x", "2*x", "x*2"]\n'))
    assert "relations" not in entry["details"]
