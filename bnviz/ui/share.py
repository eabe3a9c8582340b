"""Streamlit glue for teaching, presenting and sharing a view (the pure parts:
:mod:`bnviz.text.answers`, :mod:`bnviz.views.downloads`, :mod:`bnviz.figures.animation`).

Each piece is one call for a page:

- :func:`view_controls` draws the "Teaching mode" and "Presentation" toggles (URL fields
  ``teach`` and ``present``) and applies the presentation setting;
- :func:`page_header` draws a page's title, those toggles and a caption left out when presenting;
- :func:`presentation_mode` applies the presentation setting on pages without the toggles;
- :func:`chart` draws a Plotly figure with projector fonts when presenting and a PNG camera button;
- :func:`teaching_panel` draws the group map that steps through the groups in the browser;
- :func:`share_panel` shows the link, the Markdown answer and the downloads; :func:`link_panel`
  and :func:`answer_panel` the link and the answer;
- :func:`keep_in_url` puts ``teach`` and ``present`` back into the URL after ``ui.save_state``;
  :func:`finish_page` does both, a page's last call.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

import streamlit as st

from ..figures import animation, style
from ..text import answers
from ..views import downloads, explorer, urlstate
from ..views.urlstate import Field
from . import core as ui

VIEW_FIELDS = (
    Field("teach", "bool", False, label="teaching mode"),
    Field("present", "bool", False, label="presentation"),
)
_LAST_PRESENT = "bnviz.present.last"

# Larger type everywhere (Streamlit sizes text in rem), less chrome: for a projector.  Inline,
# nothing fetched from outside.
PRESENTATION_CSS = """
<style>
html { font-size: 22px; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
[data-testid="stCaptionContainer"] { font-size: 1rem; }
[data-testid="stToolbar"], [data-testid="stDecoration"] { display: none; }
/* Room for the figure: a smaller title, less space above it. */
h1 { font-size: 1.7rem !important; padding-top: 0 !important; }
[data-testid="stMainBlockContainer"] { padding-top: 3.6rem !important; }
</style>
"""


def _url_value(field: Field):
    """The field's value from the URL (default when absent or invalid)."""
    values, _ = urlstate.parse([field], st.query_params)
    return values[field.key]


def view_settings(page: str) -> dict:
    """The ``teach`` and ``present`` values: from the URL on the page's first run, then widgets."""
    return ui.load_state(f"{page}.view", VIEW_FIELDS)


def presentation_mode() -> bool:
    """Whether the presentation setting is on; when on, apply it (large fonts, sidebar collapsed).

    Call once per run on pages without :func:`view_controls` (which calls it).  The setting comes
    from the toggle, or on a first visit from the URL field ``present``, or from another page.
    """
    key = ui.widget_key("present")
    if key in st.session_state:
        present = bool(st.session_state[key])
    else:
        persisted = st.session_state.get(ui.PERSISTED, {})
        present = (
            _url_value(VIEW_FIELDS[1])
            if "present" in st.query_params
            else bool(persisted.get("present", False))
        )
    if present:
        st.html(PRESENTATION_CSS)
    # Collapse the sidebar when presenting starts, open it when it stops (only on a change, so a
    # sidebar the user opened stays open).
    if st.session_state.get(_LAST_PRESENT) != present:
        st.set_page_config(initial_sidebar_state="collapsed" if present else "auto")
        st.session_state[_LAST_PRESENT] = present
    return present


def _presenting() -> bool:
    return bool(st.session_state.get(ui.widget_key("present"), False))


def view_controls(page: str, *, teaching: bool = True) -> dict:
    """The "Teaching mode" and "Presentation" toggles in a row; returns their values.

    Parameters
    ----------
    page : str
        The page's name, as given to ``ui.load_state``.
    teaching : bool
        Whether the page has a teaching mode (else only the presentation toggle is drawn).

    Returns
    -------
    dict
        ``{"teach": bool, "present": bool}``; the presentation setting is already applied.
    """
    view_settings(page)
    row = st.container(horizontal=True, gap="large")
    if teaching:
        row.toggle(
            "Teaching mode",
            key=ui.widget_key("teach"),
            help="Step through the groups one at a time, with ▶ Play and a slider.",
        )
    row.toggle(
        "Presentation",
        key=ui.widget_key("present"),
        help="Larger fonts and fewer controls, for a projector. The sidebar folds away: open it "
        "with the arrow at the top left.",
    )
    values = ui.read_widgets(VIEW_FIELDS)
    presentation_mode()
    return values


def page_header(page: str, title: str, caption: str, *, teaching: bool = False) -> dict:
    """The page's title, its :func:`view_controls`, its caption and the notices
    (:func:`bnviz.ui.core.show_notices`).

    The caption stands between the title and the toggles, and is left out when presenting: a
    projector keeps the room for the figures. Returns the toggles' values, as
    :func:`view_controls`.
    """
    st.title(title)
    caption_slot = st.empty()
    view = view_controls(page, teaching=teaching)
    if not view["present"]:
        caption_slot.caption(caption)
    ui.show_notices()
    return view


def _view_values() -> dict:
    return {f.key: st.session_state.get(ui.widget_key(f), f.default) for f in VIEW_FIELDS}


def keep_in_url() -> None:
    """Put the view fields back into the URL (call right after ``ui.save_state``, which resets it)."""
    values = _view_values()
    st.session_state.setdefault(ui.PERSISTED, {}).update(values)
    query = urlstate.to_query(VIEW_FIELDS, values)
    for field in VIEW_FIELDS:
        if field.key in query:
            st.query_params[field.key] = query[field.key]
        elif field.key in st.query_params:
            del st.query_params[field.key]


def finish_page(fields, tidy: Callable[[dict], dict] | None = None) -> None:
    """A page's last call: its widgets' values into the URL and kept for other pages
    (``ui.save_state``), then :func:`keep_in_url`.

    ``tidy`` turns the widgets' values into the page's state, where they differ.
    """
    values = ui.read_widgets(fields)
    ui.save_state(fields, tidy(values) if tidy is not None else values)
    keep_in_url()


def styled(fig):
    """``fig`` with projector fonts when presenting, else unchanged."""
    return style.for_projector(fig) if _presenting() else fig


def chart(fig, filename: str, **kwargs) -> None:
    """``st.plotly_chart`` with :func:`styled` fonts and the modebar's PNG button named ``filename``."""
    st.plotly_chart(styled(fig), config=style.chart_config(filename), **kwargs)


def teaching_panel(result: explorer.ExplorerResult, colour_by: str = "group") -> None:
    """The Explorer's group map, stepping through the groups client-side (Play, Pause, slider)."""
    plan = result.plan
    fig = animation.teaching_figure(
        result.drawn_labels(),
        result.layout,
        values=result.drawn_values(),
        colour_by=colour_by,
        font_size=style.PROJECTOR_FONT if _presenting() else None,
        coordinates=(plan.samples, plan.channels, plan.rows, plan.cols),
    )
    chart(fig, downloads.download_name("teaching", result.description), key="teaching.chart")
    stepped = len(fig.frames)
    total = result.description.groups
    text = (
        "Press ▶ Play to highlight one group after another, or drag the slider (its marks are "
        "group numbers, counted from 0)."
    )
    if stepped < total:
        text += (
            f" Stepping through {stepped:,} of the {total:,} groups (at most "
            f"{animation.MAX_FRAMES} steps, and only groups with drawn cells)."
        )
    st.caption(text)


def page_url(fields, values: dict, path: str = "") -> str:
    """The link that reopens this page as it is: its address and what differs from the defaults.

    Parameters
    ----------
    fields : sequence of Field
        The page's URL fields.
    values : dict
        Their current values (the view fields ``teach`` and ``present`` are added from the
        widgets).
    path : str
        The page's ``url_path`` ("" for the Explorer), used only when the browser did not tell
        the page's address.

    Returns
    -------
    str
        The full link (``st.context.url`` and the query), or, when the address is not known, the
        path from the server's root ("/?scheme=layer&c=5", with ``server.baseUrlPath``).
    """
    query = ui.link_query(fields, values)
    query.update(urlstate.to_query(VIEW_FIELDS, _view_values()))
    base = _base_url(path)
    return f"{base}?{urlencode(query, safe=',')}" if query else base


def _base_url(path: str = "") -> str:
    """The page's address without query: ``st.context.url``, else its path from the root."""
    url = getattr(st.context, "url", None)
    if url:
        # The home page's address comes without a path: give it one, as browsers show it.
        return url if urlsplit(url).path else url + "/"
    # Scheme, host and proxy path are unknown here (a Host header can lie behind a proxy): give
    # the part that is certain.
    root = str(st.get_option("server.baseUrlPath") or "").strip("/")
    page = path.strip("/")
    base = "/" + "/".join(part for part in (root, page) if part)
    return base if page else base.rstrip("/") + "/"


def share_panel(
    fields,
    values: dict,
    result: explorer.ExplorerResult,
    *,
    tensor=None,
    cell: tuple | None = None,
    path: str = "",
    recompute: Callable[[], explorer.ExplorerResult],
) -> None:
    """The "Share this view" panel: the link, the Markdown answer for a forum post, and the downloads.

    Parameters
    ----------
    fields : sequence of Field
        The page's URL fields (its state).
    values : dict
        Their current values.
    result : ExplorerResult
        The view's tensor, output, statistics and description.
    tensor : bnviz.views.source.Tensor, optional
        Where the tensor came from (its sentence goes into the answer).
    cell : tuple (n, c, h, w), optional
        The selected cell: its numbers go into the answer.
    path : str
        The page's ``url_path`` (see :func:`page_url`).
    recompute : callable
        Computes ``result`` again (:func:`bnviz.ui.core.explorer_recompute`): the download
        buttons hold it rather than ``result``, which would stay in memory, one copy per
        session, until the session's next run.
    """
    d = result.description
    url = page_url(fields, values, path)
    details = explorer.cell_details(result, cell) if cell is not None else None
    answer = answers.markdown_answer(
        d,
        cell=details,
        eps=result.eps,
        tensor=tensor.description if tensor is not None else None,
        url=url,
    )
    with st.expander("Share this view: link, answer text, downloads", expanded=not _presenting()):
        link_and_answer(url, answer, values)
        _downloads(result, recompute)
        st.caption(
            "Figures as PNG: hover a chart and press the camera button in its toolbar; the "
            "picture is made in your browser."
        )


def link_and_answer(url: str, answer: str, values: dict) -> None:
    """The link to the view (with a copy button) and the Markdown answer with its preview."""
    if "://" in url:
        st.markdown("**Link to this view** (copy it with the button at the right of the box):")
    else:
        st.markdown(
            "**Link to this view**, from the server's root (put the app's address in front):"
        )
    st.code(url, language=None, wrap_lines=True)
    if values.get("source") == "upload":
        st.caption(
            "The link holds every setting but not your pictures: whoever opens it uploads "
            "the same files."
        )
    st.markdown("**Answer as Markdown**, ready to paste into a forum post:")
    code_tab, preview_tab = st.tabs(["Markdown", "Preview"])
    code_tab.code(answer, language="markdown", wrap_lines=True)
    preview_tab.markdown(answer)


def link_panel(fields, values: dict, path: str, answer_for) -> None:
    """A "Share this view" panel for pages without downloads: the link and a Markdown answer.

    ``answer_for(url)`` builds the answer text given the view's link.
    """
    url = page_url(fields, values, path)
    with st.expander("Share this view: link and answer text", expanded=not _presenting()):
        link_and_answer(url, answer_for(url), values)


def answer_panel(fields, path: str, title: str, sentences, **options) -> None:
    """:func:`link_panel` of the widgets' values, with the answer
    :func:`bnviz.text.answers.page_answer` of ``title`` and ``sentences`` (``options``: its
    ``escape``)."""
    link_panel(
        fields,
        ui.read_widgets(fields),
        path,
        lambda url: answers.page_answer(title, sentences, url=url, **options),
    )


def _built_later(recompute, index: int) -> Callable[[], bytes]:
    # The file's bytes from the result computed again: the button holds no array.
    return lambda: downloads.downloads(recompute())[index].data()


def _downloads(result: explorer.ExplorerResult, recompute) -> None:
    """Download buttons; every file is built only when its button is pressed, from ``result``
    computed again by ``recompute``."""
    st.markdown("**Downloads**")
    cols = st.columns(3)
    for k, item in enumerate(downloads.downloads(result)):
        cols[k % 3].download_button(
            item.label,
            data=_built_later(recompute, k),
            file_name=item.file_name,
            mime=item.mime,
            on_click="ignore",
            key=f"share.download.{item.label}",
        )
    notes = [
        "x and y: float32 arrays of shape (N, C, H, W). Statistics: one row per group (group, "
        "mean, var, size = m′); the .npy holds a structured array with these fields: "
        "`np.load(f)['mean']`. Every cell: one row per cell (n, c, h, w, x, group, mean, var, "
        "x_hat, y)."
    ]
    cells = result.x.size
    if cells > downloads.MAX_CSV_CELLS:
        notes.append(
            f"The cell table is offered up to {downloads.MAX_CSV_CELLS:,} cells; this tensor has "
            f"{cells:,}: use the .npy files."
        )
    st.caption(" ".join(notes))
