"""Every claim the generated text makes is checked against computed facts, on awkward shapes.

Hypothesis draws a scheme (custom axis sets, group at every G, MVN both ways), a shape of rank 2,
3 or 4 with sizes from 1 (C = 1, H = W = 1, one value per group) and ε (0 included); for each
description the sentences' numbers are read back and compared with the labels and ``normalize``,
and each qualitative claim ("the output is β everywhere", "each sample's output is the same
whatever the other samples are", "variance 1", which axes it names) is measured.  The PyTorch
claims (module, shapes, refusals, NaN) are executed in ``test_torch_recipes.py``.
"""

import re

import numpy as np
import pytest
from conftest import scheme_cases
from hypothesis import given, settings
from hypothesis import strategies as st

import bnviz
from bnviz.text.moments import moments_text
from bnviz.views.summaries import group_summaries


@st.composite
def cases(draw):
    sizes = st.integers(1, 4)
    shape, scheme, params = draw(scheme_cases(batch=sizes, channels=sizes, side=sizes))
    eps = draw(st.sampled_from([None, 0.0, 1e-5, 0.5]))
    seed = draw(st.integers(0, 2**16))
    return shape, scheme, params, eps, seed


def _number(text: str) -> int:
    return int(text.replace(",", ""))


@settings(max_examples=300, deadline=None)
@given(cases())
def test_every_sentence_is_measured(case):
    shape, scheme, params, eps, seed = case
    d = bnviz.describe(shape, scheme, eps=eps, **params)
    text = " ".join(d.sentences)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * 3 + 1
    out = bnviz.normalize(x, scheme, eps=eps, **params)
    labels = bnviz.group_labels(shape, scheme, **params)
    sizes = np.bincount(labels.ravel())

    # The summary's counts are the labels' counts.
    groups = re.search(r": ([\d,]+) means?\b", d.summary)
    assert _number(groups.group(1)) == d.groups == len(sizes)
    over = re.search(r"over (?:[\d,]+ × )*(?:[\d,]+ = )?([\d,]+) (values?)", d.summary)
    assert _number(over.group(1)) == d.group_size and set(sizes) == {d.group_size}
    assert over.group(2) == ("value" if d.group_size == 1 else "values")
    entries = re.search(r"(?:γ and β have|γ has) ([\d,]+) (entry|entries)", d.summary)
    if d.param_shape is None:
        assert entries is None and "no learned γ and β" in d.summary
    else:
        assert _number(entries.group(1)) == d.param_count
        assert entries.group(2) == ("entry" if d.param_count == 1 else "entries")
    assert not re.search(r"(?<![\d,.])1 (values|entries|means|variances)\b", text), text

    # Only the tensor's own axes and modules are named.
    rank = len(shape)
    if rank < 4:
        assert not re.search(r"\b[HW]\b", text), text
        assert "2d" not in text
    if rank < 3:
        assert not re.search(r"\bL\b", text), text

    # "Effective mini-batch" only where statistics are shared across the batch.
    if "effective mini-batch" in text:
        assert not d.layout.kept[0]
    if "nothing is shared across the batch" in text and shape[0] > 1:
        alone = bnviz.normalize(x[:1], scheme, eps=eps, **params).y
        np.testing.assert_allclose(alone, out.y[:1], rtol=1e-12, atol=1e-12)

    # ε is named (with its value) exactly when the formula uses it.
    said_eps = re.search(r"ε = (\S+) is added", text)
    if d.formula.uses_eps:
        assert said_eps and float(said_eps.group(1).rstrip(",")) == pytest.approx(d.eps, rel=1e-5)
    else:
        assert said_eps is None and "no variances" in d.summary

    # "The output is β everywhere" / "0 everywhere" is measured with random γ and β.
    if "the output is β everywhere" in text:
        weight = rng.uniform(0.5, 2, size=d.param_shape)
        bias = rng.normal(size=d.param_shape)
        y = bnviz.normalize(x, scheme, eps=eps, weight=weight, bias=bias, **params).y
        expected = np.broadcast_to(bias.reshape(d.layout.param_broadcast_shape), d.layout.nchw)
        np.testing.assert_allclose(y, expected.reshape(shape), atol=1e-12)
    if "the output is 0 everywhere" in text:
        assert np.all(out.y == 0)
    if d.group_size == 1:
        assert "Each group holds a single value" in text
    if "the layer keeps only each value's sign" in text:  # no mean subtracted (RMS)
        assert np.all(np.abs(out.y) <= 1) and np.all(np.sign(out.y) == np.sign(x))

    # The distribution title's "variance 1" is measured on every group.
    summaries = group_summaries(out.y, d.layout, range(d.groups))
    title = moments_text(summaries)
    variances = np.array([s["std"] ** 2 for s in summaries.values()])
    means = np.array([s["mean"] for s in summaries.values()])
    if title.endswith("variance 1"):
        assert np.all(np.abs(variances - 1) < 5e-3)
    if "mean 0," in title:
        assert np.all(np.abs(means) < 1e-3)
