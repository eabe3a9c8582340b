"""Train vs. inference: running statistics in each framework, eval mode, batch dependence,
small batches and folding batch norm into the convolution.

Thin on purpose: reads the controls and the URL, calls bnviz.views.training (cached through
bnviz.ui.core), bnviz.figures.training and bnviz.text.training, and lays the results out
(bnviz.ui.training holds its one button's callback).
"""

import dataclasses

import streamlit as st

from bnviz.engine.running import CONVENTIONS
from bnviz.figures import training as figures
from bnviz.text import answers
from bnviz.text import training as words
from bnviz.ui import core as ui
from bnviz.ui import share as ui_share
from bnviz.ui import training as ui_training
from bnviz.views import training

PAGE = "training"
FIELD = {f.key: f for f in training.FIELDS}


def sentences(result) -> None:
    for sentence in result.sentences:
        st.markdown(f"- {answers.escape_markdown(sentence)}")


def training_sidebar() -> None:
    """How the layer trains: batches, steps, each convention's momentum."""
    sb = st.sidebar
    sb.header("Training")
    ui.number_row(
        sb, (FIELD["batch"], {"label": "Batch size"}), (FIELD["steps"], {"label": "Steps"})
    )
    ui.number_field(
        FIELD["momentum"],
        container=sb,
        step=0.01,
        format="%g",
        disabled=bool(st.session_state.get(ui.widget_key("cumulative"))),
        help="PyTorch's momentum: the new batch's weight.",
    )
    sb.checkbox(
        "momentum=None (cumulative average)",
        key=ui.widget_key("cumulative"),
        help="PyTorch's momentum=None: every batch so far weighs the same.",
    )
    for key, step, text in (
        ("keras_momentum", 0.01, "Keras' momentum: the weight the old estimate keeps."),
        ("caffe_fraction", 0.001, "Caffe's moving_average_fraction: the weight the old sums keep."),
    ):
        ui.number_field(FIELD[key], container=sb, step=step, format="%g", help=text)


def pickers(shape, *, convention=False, image=True, affine=False, caption="") -> None:
    """The convention (a row of its own), then one row: the section's caption, the channel (and
    image, γ, β) it shows."""
    if convention:
        st.radio(
            "Convention",
            training.CONVENTION_IDS,
            format_func=lambda c: CONVENTIONS[c].name,
            key=ui.widget_key("convention"),
            horizontal=True,
            help="\n\n".join(f"**{c.name}**: {c.layer}" for c in CONVENTIONS.values()),
        )
    if st.session_state.get(ui.widget_key("present")):
        caption = ""  # presenting: the room goes to the figures
    count = 1 + image + 2 * affine
    widths = ([max(2, 6 - count)] if caption else []) + [1] * max(count, 4 - bool(caption) * 3)
    cols = iter(st.columns(widths, vertical_alignment="bottom"))
    if caption:
        next(cols).caption(caption)
    for key, size, shown, letter in (
        ("channel", shape[1], True, "c"),
        ("image", shape[0], image, "n"),
    ):
        if shown:  # bounded by the tensor: the field's own bounds are the largest tensor's
            field = dataclasses.replace(FIELD[key], high=size - 1)
            ui.number_field(
                field,
                container=next(cols),
                label=f"{key.capitalize()} {letter}",
                help=f"0 to {size - 1}",
            )
    if affine:
        ui.number_field(FIELD["bn_gamma"], container=next(cols), step=0.1, format="%g")
        ui.number_field(FIELD["bn_beta"], container=next(cols), step=0.1, format="%g")


def chart(fig, name: str) -> None:
    ui_share.chart(fig, f"bnviz-training-{name}", key=f"training.{name}")


# --- Sections ---------------------------------------------------------------------------------


def stream_section(result, values) -> None:
    stream = result.stream
    pickers(
        result.shape,
        image=False,
        caption="Each batch's mean and variance (gray), the population's (dashed), and what each "
        "framework would normalize with in evaluation mode after that step. Momenta: sidebar.",
    )
    chart(
        figures.stream_figure(stream, training.stream_channels(result.shape[1], values["channel"])),
        "stream",
    )
    sentences(result)
    st.markdown(f"**The last step, channel {values['channel']}:**")
    for line in words.stream_formulas(stream, values["channel"]):
        st.latex(line)


def eval_section(result, values) -> None:
    te = result.train_eval
    pickers(result.shape, convention=True, affine=CONVENTIONS[te.convention].learned)
    c, i = te.channel, te.image
    st.markdown(f"**The same input, channel {c}**")
    chart(figures.maps_figure(training.eval_panels(te)), "train-eval")
    sentences(result)
    if te.single is not None:
        st.markdown(f"**Image {i} alone in training mode (model.eval() forgotten)**")
        chart(figures.maps_figure(training.single_panels(te)), "single")
    step = training.shown_map(te.eval[i, c])[1]
    if step > 1:
        st.caption(f"Maps show one row and one column in {step}.")
    st.markdown(f"**Cell {te.cell} in both modes:**")
    for line in words.eval_formulas(te):
        st.latex(line)


def batch_section(result, values) -> None:
    dep = result.dependence
    pickers(result.shape, convention=True)
    sentences(result)
    if not dep.variants:
        return
    chart(figures.dependence_figure(dep, training.MODES), "dependence")
    if dep.reference is not None and dep.most_moved is not None:
        st.markdown(
            f"**Image {dep.image}, channel {dep.channel}, training mode: in the page's batch and "
            f"{dep.most_label}**"
        )
        chart(figures.maps_figure(training.dependence_panels(dep)), "dependence-maps")


def small_section(result, values) -> None:
    pickers(
        result.shape,
        image=False,
        caption="Batch statistics are estimates: the smaller the batch, the further they stray "
        "from the population's. Bands: the middle 50 % and 90 % of many sampled batches.",
    )
    chart(figures.band_figure(result.small), "small-batches")
    sentences(result)
    st.markdown("**Batch size on ImageNet** (ResNet-50, validation error):")
    st.table(training.gn_paper_rows())
    st.caption(training.GN_PAPER_CITATION)


def fold_section(result, values) -> None:
    folded = result.folded
    if folded is None:
        st.info(words.NO_CONV)
        st.button("Add the convolution layer", on_click=ui_training.turn_on_conv)
        return
    pickers(
        result.shape, convention=True, image=False, affine=CONVENTIONS[folded.convention].learned
    )
    sentences(result)
    st.latex(
        r"W' = \frac{\gamma\, W}{\sqrt{\sigma^2 + \varepsilon}}, \qquad "
        r"b' = \frac{\gamma\,(b - \mu)}{\sqrt{\sigma^2 + \varepsilon}} + \beta"
    )
    for line in words.fold_formulas(folded):
        st.latex(line)
    c = folded.channel
    st.markdown(f"**Filter {c} before (W) and after (W′) folding**")
    chart(figures.kernels_figure(folded.weight, folded.folded, c), "kernels")
    st.dataframe(
        {
            "channel": list(range(len(folded.mean))),
            "μ": folded.mean,
            "σ²": folded.var,
            "a = γ/√(σ²+ε)": folded.scale,
            "b′": folded.folded_bias,
        },
        hide_index=True,
    )


SECTIONS = {
    "stream": stream_section,
    "eval": eval_section,
    "batch": batch_section,
    "small": small_section,
    "fold": fold_section,
}


def training_page() -> None:
    ui.page_setup("Train vs. inference")
    values, tensor, problem = ui.open_tensor_page(
        PAGE, training.FIELDS, training.constrain, training.fit_to_tensor
    )
    training_sidebar()

    present = ui_share.page_header(
        PAGE,
        "Train vs. inference",
        "Batch norm over many batches: running estimates in PyTorch, Keras and Caffe, what "
        "model.eval() changes, how one image depends on its batch, small batches, and "
        "folding into the convolution for deployment.",
    )["present"]
    ui.named_radio("Section", training.SECTIONS, "section", label_visibility="collapsed")
    result = ui.result_or_error(lambda: ui.training_result(values), problem)
    if result is None:
        return
    if not present:
        ui.show_tensor_origin(tensor)
    SECTIONS[result.section](result, values)
    if present:
        ui.show_tensor_origin(tensor)
    ui_share.answer_panel(
        training.FIELDS, PAGE, words.answer_title(result.section, result.shape), result.sentences
    )


training_page()
ui_share.finish_page(training.FIELDS)
