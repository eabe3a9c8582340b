"""The Experiment page headless (AppTest), its sentences against the runs they describe, and the
shipped default results against a fresh run."""

import dataclasses

import numpy as np
import pytest
from conftest import open_app
from test_links import share_link

from bnviz.engine import nets
from bnviz.text import experiment as words
from bnviz.ui import core as ui
from bnviz.ui import experiment as ui_experiment
from bnviz.views import experiment
from bnviz.views.training import GN_PAPER_TABLE

PAGE = "pages/experiment.py"
#: Settings small enough to train in a test: one epoch, one seed.
QUICK = {"epochs": "1", "seeds": "1", "sweep_seeds": "1"}


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def _defaults(section: str = "curves") -> dict:
    values, _ = experiment.constrain({**experiment.DEFAULTS, "section": section})
    return values


# --- Shipped results ----------------------------------------------------------------------------


def test_the_shipped_file_holds_every_default_view_of_this_engine_version():
    shipped = experiment.shipped_runs()
    assert shipped, "assets/experiment_defaults.npz is missing or from another nets.VERSION"
    for values in experiment.default_views():
        values, _ = experiment.constrain(values)
        missing = [s for s in experiment.plan(values) if s.key() not in shipped]
        assert not missing, (values["section"], missing[:2])


def test_a_shipped_run_is_what_its_seed_trains_to():
    # The cheapest shipped run: the learning-rate sweep's first point, scored once.
    settings = experiment.base_settings(_defaults("lr"), norm="none", lr=0.001, evals=1)
    shipped = experiment.shipped_runs()[settings.key()]
    fresh = experiment.train(settings)
    assert fresh.diverged_at == shipped.diverged_at
    # Bit for bit on this machine; elsewhere BLAS kernels may round the last bits differently.
    np.testing.assert_allclose(fresh.train_loss, shipped.train_loss, rtol=1e-7)
    np.testing.assert_allclose(fresh.test_accuracy, shipped.test_accuracy, atol=2 / 359)


# --- The page -----------------------------------------------------------------------------------


def test_the_default_view_opens_from_the_shipped_runs_with_its_verdict():
    at = open_app(PAGE)
    assert not at.error and not at.warning
    assert len(at.get("plotly_chart")) == 2  # curves and the Fig. 1 analogue
    assert dict(at.query_params) == {}
    assert "?" not in share_link(at)
    # The verdict's numbers are the shipped runs' numbers.
    values = _defaults()
    result = experiment.compute(values, experiment.shipped_runs())
    text = _markdown(at)
    assert len(result.fig1) == 2
    for sentence in result.all_sentences:
        assert sentence in text
    bn = next(c for c in result.curves if c.norm == "batch")
    assert f"{100 * np.mean(bn.final_accuracy):.1f} %" in text
    assert "What this run does not show" in [e.label for e in at.expander]
    assert "50,000 steps" in text  # how it differs from the paper


def test_each_default_sweep_shows_at_once_without_a_button():
    for section in ("lr", "init", "batch"):
        at = open_app(PAGE, {"section": section})
        assert not at.error, section
        assert not _has_button(at), section
        assert len(at.get("plotly_chart")) == 1, section
    assert "34.7 %" in _markdown(at)  # the batch sweep quotes the GN paper's table
    assert at.table


def _has_button(at) -> bool:
    return any(b.key == "experiment.run" for b in at.button)


def test_a_new_sweep_runs_on_one_click(short_runs):
    at = open_app(PAGE, {"section": "lr", **QUICK})
    assert _has_button(at) and not at.get("plotly_chart")
    runs = 2 * len(experiment.LR_GRID)
    assert any(f"needs {runs} training runs" in i.value for i in at.info)
    at.button(key="experiment.run").click().run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 1
    text = _markdown(at)
    assert "With batch norm, the best final test accuracy was" in text
    # Runs now in this session: the view stays when the page reruns.
    at.run()
    assert len(at.get("plotly_chart")) == 1 and not _has_button(at)


@pytest.fixture
def short_runs(monkeypatch):
    """Each run the page asks for, trained for a few steps only (the page's wiring is under test,
    not training); the settings asked for are recorded, and the runs forgotten afterwards."""
    asked = []
    real = experiment.train

    def train(settings, progress=None):
        asked.append(settings)
        return real(dataclasses.replace(settings, epochs=0.01), progress)

    monkeypatch.setattr(experiment, "train", train)
    ui_experiment._RUNS.clear()
    yield asked
    ui_experiment._RUNS.clear()


def test_the_batch_size_sweep_runs_on_the_cnn_with_the_learning_rate_scaled(short_runs):
    at = open_app(PAGE, {"section": "batch", "epochs": "1", "lr": "0.3"})
    at.button(key="experiment.run").click().run()
    assert not at.exception and not at.error
    text = _markdown(at)
    assert len(short_runs) == 2 * len(experiment.BATCH_GRID)
    assert {s.network for s in short_runs} == {"cnn"}
    # η = 0.3 × batch / 60: 0.01 at batch 2, 1.28 at 256.
    lrs = {s.batch: s.lr for s in short_runs if s.norm == "batch"}
    assert lrs[2] == pytest.approx(0.01) and lrs[256] == pytest.approx(1.28)
    assert "With batch norm, final test accuracy was" in text
    assert "With group norm (G = 4), final test accuracy was" in text
    assert at.table  # the paper's reference table


def test_the_cnn_trains_with_group_norm_after_the_relu():
    query = {"network": "cnn", "norms": "none,group", "place": "after", "groups": "8", **QUICK}
    at = open_app(PAGE, query)
    assert not at.error and not at.warning
    assert len(at.get("plotly_chart")) == 1  # no percentile figure: no sigmoids
    text = _markdown(at)
    assert "With group norm (G = 8) after ReLU, test accuracy after 24 steps was" in text
    assert at.session_state[ui.widget_key("groups")] == 8


def test_the_mlp_refuses_group_norm_with_one_notice():
    at = open_app(PAGE, {"norms": "batch,group", **QUICK})
    (warning,) = at.warning
    assert "The MLP has no channels to group: group left out." in warning.value
    assert at.session_state[ui.widget_key("norms")] == ("batch",)


def test_a_tampered_link_gives_one_warning_and_the_page_still_draws():
    query = {
        "lr": "nan",
        "unit": "500",
        "groups": "3",
        "network": "x",
        "epochs": "-1",
        "seeds": "1",
    }
    at = open_app(PAGE, query)
    assert len(at.warning) == 1
    assert at.warning[0].value.startswith("5 values were corrected")
    assert at.get("plotly_chart")


# --- Sentences against hand-made results ------------------------------------------------------


def _curve(norm, label, accuracy, diverged=None, percentiles=None):
    """A Curve scored at steps 10, 20 and 30: ``accuracy`` (S, 3), one row a seed; train loss 1;
    ``diverged``, each seed's step of divergence or None (default: none diverged);
    ``percentiles`` (3, U, 3) or none (shape (0,))."""
    accuracy = np.asarray(accuracy, dtype=float)
    return experiment.Curve(
        norm,
        label,
        np.array([10, 20, 30]),
        accuracy,
        np.ones_like(accuracy),
        [None] * len(accuracy) if diverged is None else diverged,
        np.zeros(0) if percentiles is None else percentiles,
    )


def _sweep(section, grid, accuracy, diverged=None, labels=("no normalization", "batch norm")):
    accuracy = np.asarray(accuracy, dtype=float)[..., None]
    diverged = (
        np.zeros_like(accuracy, bool) if diverged is None else np.asarray(diverged)[..., None]
    )
    return experiment.Sweep(
        section=section,
        grid=grid,
        norms=experiment.SWEEP_NORMS[section],
        labels=labels,
        accuracy=np.where(diverged, np.nan, accuracy),
        train_loss=np.ones_like(accuracy),
        diverged=diverged,
        lr=np.asarray(grid, float),
    )


def test_lr_sentences_name_the_range_the_best_and_the_break():
    grid = (0.01, 0.1, 1.0, 10.0)
    sweep = _sweep(
        "lr",
        grid,
        [[0.5, 0.95, 0.6, 0.1], [0.8, 0.96, 0.97, 0.0]],
        diverged=[[False] * 4, [False, False, False, True]],
    )
    none, bn, both = words.lr_sentences(sweep, 0.9)
    assert none == (
        "With no normalization, the best final test accuracy was 95.0 % at η = 0.1. It reached "
        "90 % at η = 0.1. Above its best it broke first at η = 10 (ended at 10.0 %)."
    )
    assert bn.endswith("Above its best it broke first at η = 10 (diverged).")
    assert "reached 90 % at η = 0.1, 1." in bn
    assert both == (
        "The largest learning rate that still reached 90 % was 1 with batch norm and 0.1 with no "
        "normalization: in this run batch norm tolerated a 10× larger step."
    )


def test_lr_sentences_do_not_claim_tolerance_when_both_stop_at_the_same_rate():
    sweep = _sweep("lr", (0.1, 1.0), [[0.95, 0.2], [0.96, 0.3]])
    assert "does not show one tolerating larger steps" in words.lr_sentences(sweep, 0.9)[-1]


def test_batch_sentences_quote_the_gn_paper_and_the_gap():
    sweep = _sweep(
        "batch", (2, 64), [[0.5, 0.9], [0.8, 0.85]], labels=("batch norm", "group norm (G = 4)")
    )
    lines = words.batch_sentences(sweep, GN_PAPER_TABLE)
    assert lines[2] == (
        "At batch size 2, batch norm minus group norm (G = 4): -30.0 points of test accuracy; "
        "at 64: +5.0."
    )
    assert lines[3] == (
        "Batch norm lost 40.0 points of test accuracy from batch size 64 to 2: the direction of "
        "the paper's failure."
    )
    flat = _sweep("batch", (2, 64), [[0.9, 0.9], [0.8, 0.3]], labels=("batch norm", "group norm"))
    lines = words.batch_sentences(flat, GN_PAPER_TABLE)
    assert "no lower than its 90.0 % at 64: this replica does not reproduce" in lines[3]
    assert lines[4] == (
        "Group norm's lowest, 30.0 % at batch size 64, came with the learning rate scaled to η = 64."
    )
    assert lines[-1].endswith(
        "rises from 23.6 % at 32 images per GPU to 34.7 % at 2, group norm's stays within 24.0–24.2 %."
    )


def test_curve_sentences_read_the_first_step_past_the_threshold():
    fast = _curve("batch", "batch norm", [[0.5, 0.92, 0.95], [0.6, 0.9, 0.96]])
    slow = _curve("none", "no normalization", [[0.2, 0.5, 0.91], [0.1, 0.4, 0.93]], [None, 25])
    lines = words.curve_sentences([slow, fast], 0.9)
    assert lines[0].startswith("With no normalization, test accuracy after 30 steps was 92.0 %")
    assert "first reached 90 % at step 30." in lines[0]
    assert "1 of 2 runs diverged" in lines[0] and "at step 25" in lines[0]
    assert "Its mean first reached 90 % at step 20." in lines[1]
    assert lines[2].startswith(
        "Batch norm reached 90 % first, at step 20: 1.5× sooner than no normalization (step 30)"
    )


@pytest.mark.parametrize("section", list(experiment.SECTIONS))
def test_the_answer_title_names_the_network(section):
    assert "8 × 8 digits" in words.answer_title(section, "mlp")
    assert nets.NETWORKS == ("mlp", "cnn")


def test_percentile_sentences_read_the_watched_sigmoids_columns():
    percentiles = np.zeros((3, 2, 3))
    percentiles[:, 1] = [[-1.0, 0.5, 1.0], [-2.0, 1.5, 3.0], [-1.0, -0.004, 2.0]]
    curve = _curve("none", "no normalization", np.ones((1, 3)), percentiles=percentiles)
    (line,) = words.percentile_sentences([curve], 1)
    assert line == (
        "With no normalization (seed 0), the median input of sigmoid 1 moved over a range of 1.50 "
        "during training (from 0.50 at the first scoring to 0.00), and its 15th–85th percentile width "
        "went from 2.00 to 3.00."
    )


def test_init_sentences_name_the_lowest_and_highest_scale():
    sweep = _sweep("init", (0.1, 1.0, 10.0), [[0.1, 0.2, 0.96], [0.93, 0.97, 0.95]])
    none, bn = words.init_sentences(sweep)
    assert none == (
        "With no normalization, final test accuracy ranged from 10.0 % (scale 0.1) to 96.0 % "
        "(scale 10) over scales 0.1–10."
    )
    assert bn.startswith("With batch norm, final test accuracy ranged from 93.0 % (scale 0.1)")


def test_the_caveats_state_the_runs_own_size():
    values = _defaults()
    result = experiment.compute(values, experiment.shipped_runs())
    steps = int(result.curves[0].steps[-1])
    assert steps == 15 * 24  # 15 epochs of 24 batches
    assert result.caveats[0].startswith(
        f"Small data and short training: 1,438 training images of 8 × 8 pixels, 15 epochs "
        f"({steps} steps), 3 seeds"
    )
