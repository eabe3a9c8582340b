"""Teaching mode, presentation and sharing in a real browser (Playwright, Debian's chromium)."""

import io
import re
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image

from bnviz.engine.synthetic import synthetic
from bnviz.figures import style
from bnviz.views import source

pytestmark = pytest.mark.browser

TITLE = "() => document.querySelector('.js-plotly-plot')._fullLayout.title.text"
SIDEBAR_WIDTH = (
    "() => document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect().width"
)


def open_page(page, app_url, query):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app_url}/?{query}")
    page.wait_for_selector(".js-plotly-plot .nsewdrag", timeout=30_000)


def tile_colours(page, shape, cells):
    """RGB at the centre of each mosaic cell (n, c, h, w), read from a screenshot of the chart.

    The centres come from Plotly's own axes (the autorange pads around the mosaic).
    """
    n, c, h, w = shape
    points = [(cc * (w + 1) + cw, cn * (h + 1) + ch) for cn, cc, ch, cw in cells]
    centres = page.evaluate(
        """(points) => { const p = document.querySelector('.js-plotly-plot');
        const xa = p._fullLayout.xaxis, ya = p._fullLayout.yaxis;
        return points.map(([x, y]) => [xa._offset + xa.l2p(x), ya._offset + ya.l2p(y)]); }""",
        points,
    )
    plot = page.locator(".js-plotly-plot").first
    picture = Image.open(io.BytesIO(plot.screenshot())).convert("RGB")
    return [picture.getpixel((round(x), round(y))) for x, y in centres]


def bright(rgb) -> bool:
    """A palette colour at full strength: some channel below 190 (the palette's palest, grey
    #999999, has 153)."""
    return min(rgb) < 190


def dim(rgb) -> bool:
    """Under the dimming overlay (80 % white): every channel at least 204."""
    return min(rgb) >= 200


def test_play_button_highlights_group_after_group(page, app_url):
    # The default tensor (4, 3, 6, 6), batch norm: 3 groups, one per channel.
    open_page(page, app_url, "teach=1")
    page.wait_for_selector(".js-plotly-plot .updatemenu-button")
    assert (
        page.evaluate(TITLE)
        .replace("<b>", "")
        .startswith("Group 0 of 3: channel 0, over N, H and W")
    )
    shape = (4, 3, 6, 6)
    cells = [(1, 0, 2, 2), (1, 1, 2, 2), (1, 2, 2, 2)]
    first = tile_colours(page, shape, cells)
    assert bright(first[0]) and dim(first[1]) and dim(first[2]), first

    page.locator(".js-plotly-plot .updatemenu-button").first.click()  # ▶ Play
    page.wait_for_function(f"() => ({TITLE})().includes('Group 1 of 3: channel 1')", timeout=10_000)
    # Pause as soon as group 1 shows, then look at the map.
    page.locator(".js-plotly-plot .updatemenu-button").nth(1).click()
    # Paused: Plotly has no animation frame pending and no frame queued.
    page.wait_for_function(
        "() => { const td = document.querySelector('.js-plotly-plot')._transitionData;"
        " return !td || (!td._animationRaf && (td._frameQueue || []).length === 0); }",
        timeout=10_000,
    )
    title = page.evaluate(TITLE)
    step = int(re.search(r"Group (\d) of 3", title).group(1))
    colours = tile_colours(page, shape, cells)
    assert bright(colours[step]), (title, colours)
    assert all(dim(c) for k, c in enumerate(colours) if k != step), (title, colours)
    assert step >= 1  # it moved on from group 0
    # The slider follows the animation.
    active = page.evaluate(
        "() => document.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active"
    )
    assert active == step

    # The animated figure saves as a PNG named after the view, from Plotly's camera button.
    chart = page.locator(".js-plotly-plot").first
    chart.hover()
    with page.expect_download(timeout=20_000) as info:
        chart.locator(".modebar-btn[data-title*='png' i]").click()
    assert info.value.suggested_filename == "bnviz-batch-4x3x6x6-teaching.png"


def test_slider_jumps_to_a_group(page, app_url):
    open_page(page, app_url, "teach=1&scheme=group&c=8&num_groups=4&n=2")
    page.wait_for_selector(".js-plotly-plot .slider-container")
    # Press the slider's rail under its mark "6" (group 6: sample 1, channels 4-5).
    label = page.locator(".js-plotly-plot .slider-label-group text", has_text=re.compile("^6$"))
    mark = label.bounding_box()
    rail = page.locator(".js-plotly-plot .slider-rail-touch-rect").first.bounding_box()
    page.mouse.click(mark["x"] + mark["width"] / 2, rail["y"] + rail["height"] / 2)
    page.wait_for_function(
        f"() => ({TITLE})().includes('Group 6 of 8: sample 1, channels 4–5, over those channels, H and W')",
        timeout=10_000,
    )
    assert "m′ = C/G × H × W = 2 × 6 × 6 = 72 values" in page.evaluate(TITLE)
    shape = (2, 8, 6, 6)
    colours = tile_colours(page, shape, [(1, c, 3, 3) for c in range(8)] + [(0, 4, 3, 3)])
    assert [bright(c) for c in colours] == [False] * 4 + [True, True] + [False] * 3, colours
    assert [dim(c) for c in colours] == [True] * 4 + [False, False] + [True] * 3, colours


def test_presentation_enlarges_fonts_and_folds_the_sidebar(page, app_url):
    open_page(page, app_url, "boxes=1")  # the box plots: a Plotly figure whose type we read
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "16px"
    assert page.evaluate(SIDEBAR_WIDTH) > 200
    tick = "() => getComputedStyle(document.querySelector('.js-plotly-plot .xtick text')).fontSize"
    assert page.evaluate(tick) == "12px"

    # Switched on in the page: larger type at once, the sidebar folds away, the URL keeps it.
    page.get_by_text("Presentation", exact=True).click()
    page.wait_for_function(
        "getComputedStyle(document.documentElement).fontSize === '22px'", timeout=15_000
    )
    page.wait_for_function(f"() => ({SIDEBAR_WIDTH})() < 5", timeout=15_000)
    page.wait_for_function(f"() => ({tick})() === '{style.PROJECTOR_FONT}px'", timeout=15_000)
    page.wait_for_url(re.compile(r"present=1"), timeout=15_000)

    # Opened from a link, with teaching mode: the same, and the animated figure in large type.
    open_page(page, app_url, "present=1&teach=1")
    page.wait_for_selector(".js-plotly-plot .updatemenu-button")
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "22px"
    assert page.evaluate(SIDEBAR_WIDTH) < 5
    sizes = page.evaluate(
        "() => { const p = document.querySelector('.js-plotly-plot');"
        " return [p._fullLayout.font.size, p._fullLayout.title.font.size]; }"
    )
    assert sizes == [style.PROJECTOR_FONT, style.PROJECTOR_FONT + 2]
    # The three-line caption ends above the x tick labels.
    title = page.locator(".js-plotly-plot .gtitle").bounding_box()
    ticks = page.locator(".js-plotly-plot .xaxislayer-above").first.bounding_box()
    assert title["y"] + title["height"] <= ticks["y"] + 1


def test_nothing_is_fetched_from_outside(page, app_url):
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    open_page(page, app_url, "teach=1&present=1&cell=1,1,1,1")
    page.get_by_text("Share this view", exact=False).first.click()
    page.get_by_text("Link to this view").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert hosts == {urlsplit(app_url).netloc}, hosts


def test_share_panel_link_downloads_and_png(page, app_url):
    query = "n=3&c=4&h=5&w=6&scheme=batch-pixel&cell=2,1,3,4"
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app_url}/?{query}")
    page.wait_for_selector(".bnviz-map canvas", timeout=30_000)
    page.get_by_text("Link to this view").wait_for()
    # The link is the page's full address, with the selected cell.
    link = page.locator("[data-testid='stCode'] code").first.inner_text().strip()
    assert (
        link.startswith(f"{app_url}/?") and "cell=2,1,3,4" in link and "scheme=batch-pixel" in link
    )

    # The tensor as .npy, built when the button is pressed.
    with page.expect_download(timeout=20_000) as info:
        page.get_by_role("button", name="Tensor x (.npy)").click()
    download = info.value
    assert download.suggested_filename == "bnviz-batch-pixel-3x4x5x6-x.npy"
    defaults = {f.key: f.default for f in source.FIELDS}
    x = synthetic(
        (3, 4, 5, 6), seed=defaults["seed"], offset=defaults["offset"], spread=defaults["spread"]
    )
    np.testing.assert_array_equal(np.load(download.path()), x)

    with page.expect_download(timeout=20_000) as info:
        page.get_by_role("button", name="Statistics (.csv)").click()
    with open(info.value.path()) as table:
        lines = table.read().splitlines()
    assert lines[0] == "group,mean,var,size" and len(lines) == 1 + 4 * 5 * 6

    # The answer's preview shows the PyTorch recipe as code (as written, not as Markdown).
    page.get_by_role("tab", name="Preview").click()
    page.get_by_text(
        "torch.nn.BatchNorm1d(120, eps=1e-05)(x.reshape(3, -1)).reshape(3, 4, 5, 6)"
    ).first.wait_for()

    # The group map saves as a PNG named after the view, made in the browser from its canvas.
    page.locator(".bnviz-map").first.scroll_into_view_if_needed()
    with page.expect_download(timeout=20_000) as info:
        page.locator(".bnviz-map .bnviz-save").first.click()
    png = info.value
    assert png.suggested_filename == "bnviz-batch-pixel-3x4x5x6-group-map.png"
    with open(png.path(), "rb") as picture:
        assert picture.read(8) == b"\x89PNG\r\n\x1a\n"


def test_presentation_puts_the_map_above_the_fold_of_a_projector(page, app_url):
    """1024 × 768, question 2's link: the whole group map is on the first screen."""
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(
        f"{app_url}/?present=1&source=samples&samples=sunset,sea,leaves,checker,stained-glass,"
        "night-cast,fruit,snow,dunes,flowers&size=50&conv=1&filters=edge-x,edge-y,laplacian,"
        "box-blur,gaussian-blur,sharpen,emboss&kernel=5"
    )
    page.wait_for_selector(".bnviz-map canvas", timeout=30_000)
    page.get_by_text("7 means and 7 variances").first.wait_for()
    box = page.locator(".bnviz-map canvas").first.bounding_box()
    assert box["y"] > 0 and box["y"] + box["height"] <= 768, box
    assert box["width"] > 400  # it fills the room it has, not a corner of it


@pytest.mark.parametrize(("size", "present"), [((1440, 900), ""), ((1024, 768), "&present=1")])
def test_teaching_caption_figure_and_controls_fit_on_one_screen(page, app_url, size, present):
    """Question 1's tensor: from the caption's top to the slider's bottom fits in the viewport
    (less Streamlit's header), so a lecturer sees the caption and ▶ Play together."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{app_url}/?teach=1&n=20&c=10&h=5&w=5{present}")
    page.wait_for_selector(".js-plotly-plot .slider-rail-rect", timeout=30_000)
    title = page.locator(".js-plotly-plot .gtitle").first.bounding_box()
    slider = page.locator(".js-plotly-plot .slider-rail-rect").first.bounding_box()
    header = 60  # Streamlit's fixed header
    assert slider["y"] + slider["height"] - title["y"] <= size[1] - header
