"""Words about what a group shares, taken from the scheme's formula: describe's statistics and
learned-parameter clauses, the Questions thumbnails' captions, and describe's ε check."""

import pytest

import bnviz
from bnviz.text import describe as words
from bnviz.text.questions import group_caption

SHAPE = (2, 4, 3, 3)


@pytest.mark.parametrize(
    ("scheme", "params", "statistics", "learned"),
    [
        ("batch", {}, "4 means and 4 variances", "γ and β have 4 entries each"),
        ("rms", {}, "2 mean squares", "γ has 36 entries (no β)"),
        ("mvn", {"normalize_variance": False}, "8 means", "no learned γ and β"),
        ("pixel", {}, "18 mean squares", "no learned γ and β"),
    ],
)
def test_statistics_and_learned_parameters(scheme, params, statistics, learned):
    d = bnviz.describe(SHAPE, scheme, **params)
    assert words.statistics_text(d.formula, d.groups) == statistics
    assert words.learned_text(d) == learned
    assert d.sentences[0].startswith(f"{d.scheme.name}: {statistics}")


@pytest.mark.parametrize(
    ("scheme", "params", "shared"),
    [
        ("batch", {}, "μ and σ²"),
        ("rms", {}, "mean x²"),
        ("mvn", {"normalize_variance": False}, "μ"),
    ],
)
def test_group_captions_say_what_the_cells_share(scheme, params, shared):
    d = bnviz.describe(SHAPE, scheme, **params)
    assert group_caption(d, (0, 1, 2, 2)).endswith(
        f"the cells sharing cell (0, 1, 2, 2)'s {shared}."
    )


@pytest.mark.parametrize("eps", [float("nan"), -1.0, "abc"])
def test_describe_refuses_an_eps_normalize_refuses(eps):
    with pytest.raises(bnviz.InputError, match="eps must be"):
        bnviz.describe(SHAPE, "batch", eps=eps)
