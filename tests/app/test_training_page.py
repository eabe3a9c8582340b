"""The Train vs. inference page: its model (bnviz.views.training), its sentences, and the page
headless (AppTest), with the three questions it answers by one link each."""

import re
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from conftest import open_app

import bnviz
from bnviz.engine.running import CONVENTIONS
from bnviz.text import training as words
from bnviz.ui import core as ui
from bnviz.views import source, training, urlstate

PAGE = "pages/training.py"

#: The links the README gives for the questions this page answers.
QUESTION_LINKS = {
    "eval": "/training?section=eval",
    "momentum": "/training?section=stream",
    "batch size 1": "/training?section=eval&n=1&h=1&w=1",
}


def values_for(query=None, **overrides):
    values, notices = urlstate.parse(training.FIELDS, dict(query or {}))
    assert not notices
    values.update(overrides)
    tensor = source.build(values)
    values, _ = training.fit_to_tensor(values, tensor.x.shape)
    return tensor, values


def compute(section, query=None, **overrides):
    tensor, values = values_for(query, section=section, **overrides)
    return tensor, values, training.compute(tensor, values)


# --- The model, checked by hand ----------------------------------------------------------------


def test_population_of_random_data_is_its_offsets_and_scales():
    tensor, values = values_for()
    dist = training.distribution(tensor, values)
    # C = 3, offset 3, spread 10: offsets −3, 0, 3; scales 10^−½, 1, 10^½.
    np.testing.assert_allclose(dist.mean, [-3, 0, 3], atol=1e-6)
    np.testing.assert_allclose(dist.var, [0.1, 1, 10], rtol=1e-6)


def test_population_through_the_conv_layer_matches_a_large_sample():
    tensor, values = values_for({"conv": "1", "padding": "same", "random": "1"})
    dist = training.distribution(tensor, values)
    sample = dist.fresh(4000, np.random.default_rng(3)).astype(np.float64)
    np.testing.assert_allclose(sample.mean(axis=(0, 2, 3)), dist.mean, atol=0.03)
    np.testing.assert_allclose(sample.var(axis=(0, 2, 3)), dist.var, rtol=0.02)


def test_the_stream_follows_each_convention_by_hand():
    _, values, result = compute("stream", steps=7, batch=3, cumulative=True)
    stream = result.stream
    assert stream.steps == 7 and stream.count == 3 * 6 * 6
    # PyTorch with momentum=None: the average of the batch means, and of the unbiased variances.
    np.testing.assert_allclose(
        stream.running["pytorch"][0][-1], stream.batch_mean.mean(axis=0), rtol=1e-12
    )
    m = stream.count
    np.testing.assert_allclose(
        stream.running["pytorch"][1][-1], (stream.batch_var * m / (m - 1)).mean(axis=0)
    )
    # Keras: 0.99 of the old, 0.01 of the new, from 0.
    expected = 0.0
    for mean in stream.batch_mean:
        expected = 0.99 * expected + 0.01 * mean
    np.testing.assert_allclose(stream.running["keras"][0][-1], expected)
    # Caffe: its first step is the first batch's mean exactly; row 0 is before training.
    np.testing.assert_array_equal(stream.running["caffe"][0][1], stream.batch_mean[0])
    np.testing.assert_array_equal(stream.running["caffe"][0][0], 0)
    np.testing.assert_array_equal(stream.running["pytorch"][1][0], 1)


def test_the_stream_is_cut_to_its_budget_with_a_note():
    steps, note = training.stream_steps(300, 64, 3 * 512 * 512)
    assert steps == max(1, training.MAX_STREAM_VALUES // (64 * 3 * 512 * 512)) < 300
    assert note.startswith(f"{steps} of the 300 steps asked")
    assert training.stream_steps(50, 4, 108) == (50, "")


def test_train_and_eval_outputs_are_the_two_formulas():
    tensor, values, result = compute("eval")
    te = result.train_eval
    x = tensor.x.astype(np.float64)
    mu, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    expected = (x - mu[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(te.train, expected, atol=1e-5)
    layer = result.stream.final["pytorch"]
    running = (x - layer.mean[None, :, None, None]) / np.sqrt(layer.var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(te.eval, running, atol=1e-5)
    one = x[:1]
    alone = (one - one.mean(axis=(0, 2, 3))[None, :, None, None]) / np.sqrt(
        one.var(axis=(0, 2, 3))[None, :, None, None] + 1e-5
    )
    np.testing.assert_allclose(te.single, alone, atol=1e-5)
    # The sentences state these numbers.
    text = " ".join(result.sentences)
    assert f"own mean {words.num(mu[0])} and variance {words.num(var[0])}" in text
    assert f"running estimates {words.num(layer.mean[0])} and {words.num(layer.var[0])}" in text
    diff = np.abs(te.train[0, 0] - te.eval[0, 0]).max()
    assert f"differs by up to {words.num(diff, 3)}" in text


def test_gamma_beta_and_caffe_without_them():
    _, _, result = compute("eval", bn_gamma=2.0, bn_beta=0.5)
    te = result.train_eval
    plain = compute("eval")[2].train_eval
    np.testing.assert_allclose(te.eval, 2.0 * plain.eval + 0.5, rtol=1e-5, atol=1e-5)
    _, _, caffe = compute("eval", convention="caffe", bn_gamma=2.0)
    assert caffe.train_eval.gamma is None
    assert any("Caffe's BatchNorm layer has no γ and β" in s for s in caffe.sentences)


def test_only_the_train_mode_output_depends_on_the_other_images():
    for query in ({}, {"source": "samples"}):
        _, _, result = compute("batch", query)
        dep = result.dependence
        assert len(dep.variants) >= 3
        assert max(v.moved["train"] for v in dep.variants) > 0.01
        assert all(v.moved["eval"] == 0 for v in dep.variants)
        assert all(v.moved["layer"] < 1e-5 and v.moved["group"] < 1e-5 for v in dep.variants)
        text = " ".join(result.sentences)
        assert "In evaluation mode it moved not at all" in text


def test_one_picture_has_no_other_images():
    _, _, result = compute("batch", {"source": "samples", "samples": "sunset"})
    assert result.dependence.variants == ()
    assert "no other image to put beside image 0" in result.sentences[0]


def test_small_batches_spread_less_as_n_grows():
    _, values, result = compute("small")
    small = result.small
    width = small.mean_q[:, 4] - small.mean_q[:, 0]
    assert width[0] > width[2] > width[-1] > 0
    # The median batch mean is near the population's (−3, σ = 10^−½, m′ = 64 · 36 at the end).
    assert abs(small.mean_q[-1, 2] + 3) < 3 * 0.3162 / np.sqrt(64 * 36)
    assert small.refusal is None
    text = " ".join(result.sentences)
    assert "here H × W = 36, so even N = 1 gives 36 values" in text
    assert "23.6 % at 32 images per GPU to 34.7 % at 2" in text


def test_the_gn_paper_table_is_the_papers():
    rows = training.gn_paper_rows()
    assert [r["images per GPU"] for r in rows] == ["32", "16", "8", "4", "2"]
    assert [r["BN error (%)"] for r in rows] == ["23.6", "23.7", "24.8", "27.3", "34.7"]
    assert [r["GN error (%)"] for r in rows] == ["24.1", "24.2", "24.0", "24.2", "24.1"]
    assert "Table 2" in training.GN_PAPER_CITATION and "1803.08494" in training.GN_PAPER_CITATION


def test_folding_agrees_with_the_two_layers():
    for query in ({"conv": "1"}, {"conv": "1", "source": "samples", "padding": "same"}):
        tensor, values, result = compute("fold", query, bn_gamma=1.5, bn_beta=-0.25)
        folded = result.folded
        assert folded.difference < 1e-9 * max(1.0, folded.magnitude)
        layer = result.stream.final["pytorch"]
        a = 1.5 / np.sqrt(layer.var + 1e-5)
        np.testing.assert_allclose(folded.scale, a)
        np.testing.assert_allclose(folded.folded, tensor.weight * a[:, None, None, None])
        np.testing.assert_allclose(folded.folded_bias, -a * layer.mean - 0.25)
    assert compute("fold")[2].folded is None
    assert compute("fold")[2].sentences == (words.NO_CONV,)


def test_batch_size_one_is_refused_as_pytorch_does():
    torch = pytest.importorskip("torch")
    _, _, result = compute("eval", {"n": "1", "h": "1", "w": "1"})
    te = result.train_eval
    with pytest.raises(ValueError) as error:
        torch.nn.BatchNorm2d(3)(torch.zeros(1, 3, 1, 1))
    assert te.train_refusal == str(error.value) == te.single_refusal
    assert te.train is None and te.eval.shape == (1, 3, 1, 1)
    # Keras and Caffe compute it: x̂ = 0, so y = β.
    _, _, keras = compute("eval", {"n": "1", "h": "1", "w": "1"}, convention="keras", bn_beta=0.5)
    np.testing.assert_allclose(keras.train_eval.train, 0.5)


def test_momentum_sentences_convert_both_ways():
    text = " ".join(words.momentum_sentences({"pytorch": 0.1, "keras": 0.99, "caffe": 0.999}))
    assert "PyTorch's momentum 0.1 is the weight of the new batch" in text
    assert "in Keras' terms that is momentum 0.9." in text
    assert "Keras' momentum 0.99 is the weight the old estimate keeps" in text
    assert "which is PyTorch's momentum 0.01." in text
    same = " ".join(words.momentum_sentences({"pytorch": 0.1, "keras": 0.1, "caffe": 0.999}))
    assert "The same number 0.1 means opposite things: PyTorch gives the new batch 10 %, " in same
    assert "Keras 90 %" in same
    cumulative = words.momentum_sentences({"pytorch": None, "keras": 0.99, "caffe": 0.999})
    assert cumulative[0].startswith("PyTorch with momentum=None keeps the cumulative average")


def test_stream_formulas_put_in_the_last_steps_numbers():
    _, values, result = compute("stream", steps=3)
    stream = result.stream
    lines = words.stream_formulas(stream, 0)
    assert len(lines) == 3
    now = stream.running["caffe"][0][3, 0]
    assert lines[2].endswith(f"= {words.latex_number(now)}")
    assert f"{words.latex_number(stream.running['pytorch'][0][3, 0])}" in lines[0]


# --- The page, headless -------------------------------------------------------------------------


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def answer(at) -> str:
    (text,) = [c.value for c in at.code if c.language == "markdown"]
    return text.replace("\\", "")


def share_link(at) -> str:
    (code,) = [c for c in at.code if c.language != "markdown"]
    return code.value


@pytest.mark.parametrize("section", list(training.SECTIONS))
def test_every_section_opens_without_a_problem(section):
    at = open_app(PAGE, {"section": section, "conv": "1"})
    assert not at.error and not at.warning
    assert at.get("plotly_chart")
    assert answer(at).startswith(f"**{words.TITLES[section]}")


def test_the_page_opens_on_the_stream_with_three_conventions():
    at = open_app(PAGE)
    assert at.radio(key="w.section").value == "stream"
    (chart,) = at.get("plotly_chart")
    assert "PyTorch" in chart.proto.spec and "Caffe" in chart.proto.spec
    text = markdown(at)
    assert "PyTorch's momentum 0.1 is the weight of the new batch" in text
    assert len(at.latex) == 3
    assert dict(at.query_params) == {}


def test_changing_the_momentum_reaches_the_sentences_and_the_url():
    at = open_app(PAGE)
    at.number_input(key="w.momentum").set_value(0.3).run()
    assert not at.exception
    assert "PyTorch's momentum 0.3 is the weight of the new batch" in markdown(at)
    assert at.query_params["momentum"] == "0.3"
    at.radio(key="w.section").set_value("eval").run()
    assert "PyTorch after 50 training batches" in markdown(at)
    assert at.query_params["section"] == "eval"


def test_fold_without_a_conv_offers_to_add_one():
    at = open_app(PAGE, {"section": "fold"})
    assert at.info[0].value == words.NO_CONV
    at.button[0].click().run()
    assert not at.exception
    assert at.checkbox(key="w.conv").value is True
    assert "agree to" in markdown(at)


def test_image_and_channel_beyond_the_tensor_are_corrected():
    at = open_app(PAGE, {"section": "eval", "image": "99", "channel": "7"})
    (warning,) = at.warning
    assert "image: 99 is outside 0–3; using 3." in warning.value
    assert "channel: 7 is outside 0–2; using 2." in warning.value
    assert at.query_params["image"] == "3"


def test_a_picture_upload_missing_is_a_message_not_a_traceback():
    at = open_app(PAGE, {"source": "upload"})
    assert "No pictures yet" in at.error[0].value


def test_links_hold_only_what_differs_and_tampering_is_one_warning():
    fresh = open_app(PAGE)
    assert "?" not in share_link(fresh)
    fields = training.FIELDS
    opened = {f.key: fresh.session_state[ui.widget_key(f)] for f in fields}
    query = {
        f.key: urlstate.format_value(f, opened[f.key]) for f in fields if opened[f.key] is not None
    }
    at = open_app(PAGE, query)
    assert not at.warning
    assert dict(at.query_params) == {} and "?" not in share_link(at)
    at = open_app(PAGE, {"momentum": "7", "steps": "-3", "convention": "<b>", "n": "-5"})
    (warning,) = at.warning
    assert warning.value.startswith("4 values were corrected:")


# --- The questions, one link each ------------------------------------------------------------


def answer_for(link: str) -> str:
    parts = urlsplit(link)
    at = open_app(PAGE, parse_qsl(parts.query))
    assert not at.warning, [w.value for w in at.warning]
    return answer(at)


def test_question_why_does_my_output_change_in_eval():
    text = answer_for(QUESTION_LINKS["eval"])
    tensor, values = values_for(section="eval")
    x = tensor.x.astype(np.float64)
    # By hand: the input's own channel-0 statistics, and PyTorch's rule over the same batches.
    dist = training.distribution(tensor, values)
    running_mean, running_var = 0.0, 1.0
    for step in range(50):
        batch = dist.draw(4, (1, step)).astype(np.float64)[:, 0]
        running_mean = 0.9 * running_mean + 0.1 * batch.mean()
        running_var = 0.9 * running_var + 0.1 * batch.var(ddof=1)
    assert f"own mean {words.num(x[:, 0].mean())} and variance {words.num(x[:, 0].var())}" in text
    assert f"running estimates {words.num(running_mean)} and {words.num(running_var)}" in text
    assert "(PyTorch after 50 training batches)" in text
    assert "That is why model.eval() changes a network's output" in text
    assert "Forgetting model.eval() at test time: image 0 alone in training mode" in text
    assert text.rstrip().endswith("section=eval>") or "section=eval" in text


def test_question_keras_momentum_099_against_pytorch_01():
    text = answer_for(QUESTION_LINKS["momentum"])
    assert "PyTorch's momentum 0.1 is the weight of the new batch" in text
    assert "running = 0.9 · running + 0.1 · batch" in text
    assert "in Keras' terms that is momentum 0.9" in text
    assert "Keras' momentum 0.99 is the weight the old estimate keeps" in text
    assert "moving = 0.99 · moving + 0.01 · batch" in text
    assert "which is PyTorch's momentum 0.01" in text
    # After 50 batches the start value still weighs 0.9^50 in PyTorch and 0.99^50 in Keras.
    assert (
        f"{words.num(0.9**50, 3)} in PyTorch" in text
        and f"{words.num(0.99**50, 3)} in Keras" in text
    )
    assert "Caffe" in text and "first estimate is the first batch's own" in text


def test_question_batch_size_one_error():
    text = answer_for(QUESTION_LINKS["batch size 1"])
    message = (
        "Expected more than 1 value per channel when training, got input size "
        "torch.Size([1, 3, 1, 1])"
    )
    assert f"PyTorch refuses training mode on this input: “{message}”" in text
    assert "N × H × W = 1 × 1 × 1 = 1 value per channel" in text
    assert "Evaluation mode accepts any batch size" in text
    assert "(N, C, H, W) = (1, 3, 1, 1)" in text


def test_readme_lists_the_three_links():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for link in QUESTION_LINKS.values():
        assert f"`{link}`" in readme, link
    assert "bnviz.RunningStatistics" in readme and "bnviz.fold_batch_norm" in readme
    assert CONVENTIONS["keras"].momentum == 0.99 and bnviz.RunningStatistics is not None


def test_sentences_name_the_numbers_of_their_own_results():
    """Across sections and data, each figure a sentence gives is the result's own."""
    for query in ({}, {"source": "samples"}, {"conv": "1", "random": "2"}):
        _, _, result = compute("stream", query, steps=20, channel=1)
        stream = result.stream
        text = " ".join(result.sentences)
        for cid, name in words.NAMES.items():
            assert f"{name} {words.num(stream.running[cid][0][20, 1])}" in text
        assert f"population's mean is {words.num(stream.population_mean[1])}" in text
        found = re.search(r"m′ = N × H × W = (.*?) values", text).group(1)
        assert found.endswith(f"{stream.count:,}")


def test_presentation_gives_the_room_to_the_figures():
    at = open_app(PAGE, {"present": "1", "section": "small"})
    assert not at.error and at.get("plotly_chart")
    captions = " ".join(c.value for c in at.caption)
    assert "Batch norm over many batches" not in captions
    assert "Batch statistics are estimates" not in captions
    assert "Batch statistics are estimates" in " ".join(
        c.value for c in open_app(PAGE, {"section": "small"}).caption
    )
