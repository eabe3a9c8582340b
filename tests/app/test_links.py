"""Links and notices on every page, headless (AppTest): a link holds only what differs from what the
page opens on, for every field, and a tampered link gives one message, not a stack of them."""

import pytest
from conftest import open_app

from bnviz.ui import core as ui
from bnviz.views import urlstate

PAGES = {
    "Explorer": None,
    "Images": "pages/images.py",
    "Compare": "pages/compare.py",
    "Local norms": "pages/local.py",
    "Train vs. inference": "pages/training.py",
    "Backward": "pages/backward.py",
}


def page_fields(at) -> tuple:
    """The page's own URL fields (not the teaching and presentation toggles)."""
    rules = at.session_state[ui.LINK_RULES]
    (fields,) = [rule[0] for keys, rule in rules.items() if "source" in keys]
    return fields


def share_link(at) -> str:
    (code,) = [c for c in at.code if c.language != "markdown"]
    return code.value


def opened_values(at, fields) -> dict:
    """What the page shows for each field: its widget's value."""
    return {f.key: at.session_state[ui.widget_key(f)] for f in fields}


@pytest.mark.parametrize("page", list(PAGES))
def test_a_fresh_page_writes_no_parameters_and_links_to_its_bare_address(page):
    at = open_app(PAGES[page])
    assert not at.warning and not at.error
    assert dict(at.query_params) == {}
    assert "?" not in share_link(at)


@pytest.mark.parametrize("page", list(PAGES))
def test_every_field_spelled_out_at_its_opening_value_is_left_out_of_links(page):
    """A link naming every field, each at the value the page opens on (declared default, or the
    value the page derives, such as Compare's num_groups4 = 2 for C = 6), becomes the bare link."""
    fresh = open_app(PAGES[page])
    fields = page_fields(fresh)
    assert len(fields) > 15
    opened = opened_values(fresh, fields)
    query = {
        f.key: urlstate.format_value(f, value)
        for f, value in zip(fields, opened.values())
        if value is not None
    }
    query.update(teach="0", present="0")
    assert len(query) >= len(fields) - 2
    at = open_app(PAGES[page], query)
    assert not at.warning, [w.value for w in at.warning]
    assert opened_values(at, fields) == opened
    assert dict(at.query_params) == {}
    assert "?" not in share_link(at)


def test_compare_link_leaves_out_the_group_count_it_chose_and_keeps_another():
    at = open_app("pages/compare.py")
    assert at.selectbox(key="w.num_groups4").value == 2  # C = 6: the page's own choice
    assert "num_groups4" not in share_link(at)
    at.selectbox(key="w.num_groups4").set_value(3).run()
    assert at.query_params["num_groups4"] == "3"
    assert "num_groups4=3" in share_link(at)


def test_explorer_group_norm_link_leaves_out_the_default_group_count():
    at = open_app(None, {"scheme": "group", "c": "16", "num_groups": "4"})
    assert at.selectbox(key="w.num_groups").value == 4
    # 4 is the page's own choice for C = 16: the link leaves it out.
    assert dict(at.query_params) == {"scheme": "group", "c": "16"}


TAMPERED = {
    "n": "-5",
    "c": "abc",
    "h": "1e999",
    "w": "9999",
    "seed": "x",
    "offset": "nan",
    "spread": "0",
    "source": "<script>",
    "cell": "a,b",
}


@pytest.mark.parametrize("page", list(PAGES))
def test_a_tampered_link_gives_one_warning_listing_every_correction(page):
    at = open_app(PAGES[page], TAMPERED)
    assert len(at.warning) == 1, [w.value for w in at.warning]
    text = at.warning[0].value
    tampered = [key for key in TAMPERED if key in {f.key for f in page_fields(at)}]
    assert len(tampered) >= 8
    assert text.startswith(f"{len(tampered)} values were corrected:")
    assert text.count("\n- ") == len(tampered)
    for label in ("N (batch)", "C (channels)", "H (height)", "W (width)", "seed", "data"):
        assert f"- {label}: " in text
    # The page still draws (a figure, a picture, or a map drawn in the browser).
    assert at.get("plotly_chart") or at.get("imgs") or at.get("image") or at.get("bidi_component")


def test_one_correction_is_one_plain_warning():
    at = open_app(None, {"n": "-5"})
    (warning,) = at.warning
    assert warning.value == "N (batch): -5 is outside 1–256; using 1."


def test_a_shape_over_the_limit_shrinks_to_the_largest_that_fits():
    at = open_app(None, {"n": "65", "c": "64", "h": "32", "w": "32"})
    (warning,) = at.warning
    assert "shrunk to (64, 64, 32, 32) (4,194,304 values), the largest shape that fits" in (
        warning.value
    )
    assert [at.number_input(key=f"w.{k}").value for k in "nchw"] == [64, 64, 32, 32]
    assert at.query_params["n"] == "64"


def test_images_page_corrects_an_image_beyond_the_batch():
    at = open_app("pages/images.py", {"image": "99"})  # four sample pictures
    (warning,) = at.warning
    assert warning.value == "image: 99 is outside 0–3; using 3."
    assert at.number_input(key="w.image").value == 3
    assert at.query_params["image"] == "3"
    assert "image=3" in share_link(at)


def test_page_icons_do_not_depend_on_an_emoji_font():
    icons = [icon for _, _, icon in ui.PAGES] + list(ui.ICONS.values())
    for icon in icons:
        assert icon.startswith(":material/") and icon.endswith(":"), icon
    # The tab's icon is a picture served by the app (a material one would come from Google).
    assert ui.APP_ICON.size == (48, 48) and ui.APP_ICON.mode == "RGB"
    at = open_app(None, {"n": "-5"})
    assert at.warning[0].icon == ui.ICONS["notice"]
