"""Seeing images normalized: each picture before and after, per channel and recombined as RGB.

Thin: reads controls and the URL, calls bnviz.views.images (through ui's cache), lays out images.
"""

import streamlit as st

from bnviz import InputError
from bnviz.engine.schemes import SCHEMES
from bnviz.text import images as picture_words
from bnviz.ui import core as ui
from bnviz.ui import share as ui_share
from bnviz.views import images

#: At most this many images are drawn (the statistics always use the whole batch).
MAX_SHOWN = 8
PAGE = images.PAGE
FIELDS = images.FIELDS


def show_pictures(column, planes, caption: str) -> None:
    """An (H, W) or (H, W, 3) picture in [0, 1], filling its column."""
    column.image(planes, caption=caption, width="stretch", clamp=True)


def images_page() -> None:
    ui.page_setup("Images")
    values, tensor, problem = ui.open_tensor_page(
        PAGE, FIELDS, images.constrain, images.fit_to_shape
    )
    ui_share.presentation_mode()
    st.title("Seeing images normalized")
    st.caption(
        "Each row is one image of the batch: as it came in, then after each scheme. Normalized "
        f"values have no colour of their own, so they are shown in a fixed window: "
        f"x̂ = −{images.WINDOW:g}σ is black, 0 is mid-gray, +{images.WINDOW:g}σ is white "
        "(values beyond are clipped). γ = 1 and β = 0."
    )
    ui.show_notices()
    st.multiselect(
        "Schemes side by side",
        images.PICTURE_SCHEMES,
        format_func=lambda s: SCHEMES[s].name,
        key=ui.widget_key("schemes"),
        max_selections=4,
    )
    chosen = tuple(st.session_state[ui.widget_key("schemes")])
    if problem is None and not chosen:
        problem = InputError("Pick at least one scheme to see the pictures normalized.")
    results = ui.result_or_error(lambda: ui.picture_results(values, chosen), problem)
    if results is None:
        return
    ui.show_tensor_origin(tensor)
    x = tensor.x
    before, mapping = images.input_to_display(
        x, pictures=tensor.weight is None and tensor.pictures is not None
    )
    rgb_before = images.as_rgb(before)
    n, c = x.shape[:2]
    if c != 3:
        st.info(
            f"C = {c}: the rows show channel 0 ({tensor.channel_names[0]}) of each image; every "
            "channel is below."
        )

    colour_sentences = [
        picture_words.colour_sentence(r, tensor.names, colour=tensor.colour_channels)
        for r in results
    ]
    for sentence in colour_sentences:
        st.markdown(f"- {sentence}")
    header = st.columns(1 + len(results))
    header[0].markdown("**Before**")
    for column, result in zip(header[1:], results):
        column.markdown(f"**{SCHEMES[result.scheme].name}**")
    for index in range(min(n, MAX_SHOWN)):
        row = st.columns(1 + len(results))
        picture = rgb_before[index] if rgb_before is not None else before[index, 0]
        show_pictures(row[0], picture, tensor.names[index])
        for column, result in zip(row[1:], results):
            shown = result.rgb[index] if result.rgb is not None else result.shown[index, 0]
            means = picture_words.sigmas_text(result.channel_means[index])
            show_pictures(column, shown, f"channel means {means} σ")
    notes = [mapping]
    if n > MAX_SHOWN:
        notes.append(f"The first {MAX_SHOWN} of {n} images are drawn; the statistics use all {n}.")
    clipped = [f"{SCHEMES[r.scheme].name} {r.clipped:.1%}" for r in results if r.clipped > 0]
    if clipped:
        notes.append("Clipped by the ±3σ window: " + ", ".join(clipped) + ".")
    st.caption(" ".join(notes))
    with st.expander("What each scheme computed"):
        for result in results:
            st.markdown(f"- {result.summary}")

    st.subheader("Each channel of one image")
    cols = st.columns(2)
    ui.number_field(
        next(f for f in FIELDS if f.key == "image"),
        container=cols[0],
        label=f"Image (0–{n - 1})",
    )
    cols[1].selectbox(
        "Scheme",
        images.PICTURE_SCHEMES,
        format_func=lambda s: SCHEMES[s].name,
        key=ui.widget_key("focus"),
    )
    image = int(st.session_state[ui.widget_key("image")])
    means, stds = images.channel_stats(x[image : image + 1])
    focus = st.session_state[ui.widget_key("focus")]
    (detail,) = ui.picture_results(values, (focus,))
    st.caption(f"“{tensor.names[image]}”: {detail.summary}")
    for channel in range(min(c, 16)):
        left, right, text = st.columns([2, 2, 3])
        show_pictures(left, before[image, channel], f"{tensor.channel_names[channel]} before")
        show_pictures(right, detail.shown[image, channel], f"{tensor.channel_names[channel]} after")
        text.markdown(
            f"**{tensor.channel_names[channel]}**: this image's mean {means[0, channel]:.4g}, "
            f"std {stds[0, channel]:.4g} before; after, mean "
            f"{detail.channel_means[image, channel]:+.3f} σ."
        )
    if c > 16:
        st.caption(f"The first 16 of {c} channels.")
    ui_share.answer_panel(
        FIELDS,
        PAGE,
        f"What normalization does to {n} {tensor.samples_word} of shape {tuple(x.shape)}",
        colour_sentences + [r.summary for r in results],
    )


images_page()
ui_share.finish_page(FIELDS)
