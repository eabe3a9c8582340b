"""Experiment: train a small network on the 8×8 digits, with and without normalization, and sweep
the learning rate, the batch size and the initialization.

Thin on purpose: reads the controls and the URL, asks bnviz.views.experiment which runs the view
needs, gets them through bnviz.ui.experiment (shipped, cached or trained under a progress bar),
and lays out bnviz.figures.experiment's figures with bnviz.text.experiment's sentences.
"""

import streamlit as st

from bnviz import InputError
from bnviz.engine import nets
from bnviz.figures import experiment as figures
from bnviz.text import answers
from bnviz.text import experiment as words
from bnviz.ui import core as ui
from bnviz.ui import experiment as ui_experiment
from bnviz.ui import share as ui_share
from bnviz.views import experiment

PAGE = "experiment"
FIELD = {f.key: f for f in experiment.FIELDS}


def sidebar(values: dict) -> None:
    sb = st.sidebar
    sb.header("Network")
    section = values["section"]
    sb.radio(
        "Network",
        nets.NETWORKS,
        format_func=experiment.NETWORK_NAMES.get,
        key=ui.widget_key("network"),
        label_visibility="collapsed",
        disabled=section == "batch",
    )
    if section == "batch":
        sb.caption("The batch-size sweep trains the CNN: group norm needs channels.")
    cnn = values["network"] == "cnn" or section == "batch"
    if section == "curves":
        options = experiment.MLP_NORMS if values["network"] == "mlp" else nets.NORMS
        sb.multiselect(
            "Normalizations",
            options,
            format_func=words.NORM_NAMES.get,
            key=ui.widget_key("norms"),
            help="Each is trained with the same seeds and settings; the MLP normalizes each "
            "hidden layer's input to its sigmoid.",
        )
    if cnn:
        sb.radio(
            "Norm's place in the CNN",
            nets.PLACES,
            format_func=lambda p: f"{p} ReLU",
            key=ui.widget_key("place"),
            horizontal=True,
        )
    if cnn and (section == "batch" or "group" in values["norms"]):
        sb.selectbox("Groups G (group norm)", experiment.GROUP_CHOICES, key=ui.widget_key("groups"))
    sb.header("Training")

    def setting(key: str, label: str, **options) -> tuple:
        # A setting its own sweep replaces (the sections "lr", "batch", "init") is disabled there.
        return FIELD[key], {"label": label, "disabled": section == key, **options}

    ui.number_row(
        sb,
        setting(
            "lr",
            "Learning rate η",
            step=0.1,
            format="%g",
            help="Plain SGD. The learning-rate sweep replaces it; the batch-size sweep scales it "
            f"by batch / {experiment.REFERENCE_BATCH}.",
        ),
        setting("batch", "Batch size"),
    )
    ui.number_row(
        sb,
        setting(
            "init",
            "Init scale s",
            step=0.1,
            format="%g",
            help="Initial weights ~ N(0, s²/fan-in); 1 is LeCun's normal initialization.",
        ),
        setting("epochs", "Epochs"),
    )
    curves = section == "curves"
    ui.number_row(
        sb,
        setting("seeds", "Seeds (curves)", disabled=not curves),
        setting("sweep_seeds", "Seeds (sweeps)", disabled=curves),
    )
    sb.caption(
        f"Data: scikit-learn's 8 × 8 handwritten digits, {experiment.data()[0][1].size:,} "
        f"training and {experiment.data()[1][1].size:,} test images, a fixed split."
    )


def sentences(lines, caveats) -> None:
    for line in lines:
        st.markdown(f"- {answers.escape_markdown(line)}")
    with st.expander("What this run does not show", expanded=True):
        for line in caveats:
            st.markdown(f"- {answers.escape_markdown(line)}")


def chart(fig, name: str) -> None:
    ui_share.chart(fig, f"bnviz-experiment-{name}", key=f"experiment.{name}")


def curves_section(result, values) -> None:
    chart(figures.curves_figure(result.curves), "curves")
    if not st.session_state.get(ui.widget_key("present")):
        st.caption(
            "Each point of the training loss is the mean over the SGD steps since the previous "
            "point; test accuracy is scored in evaluation mode on the 359 test images. Faint "
            "lines: single seeds."
        )
    sentences(result.sentences, result.caveats[:1])
    if result.network != "mlp":
        return
    st.subheader("The paper's Fig. 1 (b, c): one sigmoid's input over training")
    cols = st.columns([1, 3], vertical_alignment="bottom")
    ui.number_field(
        FIELD["unit"],
        container=cols[0],
        label="Sigmoid (last hidden layer)",
        help="Which of the 100 sigmoids of the third hidden layer to follow.",
    )
    cols[1].caption(
        "The 15th, 50th and 85th percentiles, over the test images, of the input to one sigmoid "
        "of the last hidden layer during seed 0's run (evaluation mode: batch norm with its "
        "running estimates)."
    )
    chart(figures.percentiles_figure(result.curves, values["unit"]), "percentiles")
    sentences(result.fig1, result.caveats[1:])


def sweep_section(result, values) -> None:
    chart(figures.sweep_figure(result.sweep), f"sweep-{result.section}")
    sentences(result.sentences, result.caveats)
    if result.paper_rows:
        st.markdown("**The reference: batch size on ImageNet** (ResNet-50, validation error)")
        st.table(result.paper_rows)
        st.caption(result.paper_citation)


def sweep_ready(values, needed) -> bool:
    """Whether the sweep's runs are at hand; else a button that runs them."""
    todo = ui_experiment.missing(needed)
    if not todo:
        return True
    name = experiment.SECTIONS[values["section"]].lower()
    st.info(
        f"This {name} needs {len(todo)} training run{'s' if len(todo) != 1 else ''} not computed "
        "yet with these settings (the page's defaults come with the app).",
        icon=":material/science:",
    )
    return st.button(f"Run the {name}", type="primary", key="experiment.run")


def experiment_page() -> None:
    ui.page_setup("Experiment")
    values = ui.load_state(PAGE, experiment.FIELDS, experiment.constrain)
    sidebar(values)
    ui_share.page_header(
        PAGE,
        "Train a network",
        "Does normalization speed up training, tolerate larger learning rates, survive small "
        "batches? Train a small network on real handwritten digits, in NumPy, with the same "
        "normalization code the other pages explain, and see.",
    )
    ui.named_radio("Section", experiment.SECTIONS, "section", label_visibility="collapsed")
    try:
        needed = experiment.plan(values)
        if values["section"] != "curves" and not sweep_ready(values, needed):
            return
        runs = ui_experiment.runs(needed)
        result = experiment.compute(values, runs)
    except InputError as error:
        ui.show_input_error(error)
        return
    if result.section == "curves":
        curves_section(result, values)
    else:
        sweep_section(result, values)
    st.caption(
        f"{len(needed)} training run{'s' if len(needed) != 1 else ''}, "
        f"{result.seconds:.1f} s of training in all when computed."
    )
    ui_share.answer_panel(
        experiment.FIELDS,
        PAGE,
        words.answer_title(result.section, result.network),
        result.all_sentences,
    )


experiment_page()
ui_share.finish_page(experiment.FIELDS)
