"""The Backward page in a real browser: the README's link opens on its maps, hovering a Jacobian
map lights the hovered cell's group in each scheme's map with no rerun, a click picks the output
cell, the loss and the gradient check work, and nothing is cut at 1440 and 1024 pixels wide."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import CLIPPED_FORMULAS, OVERFLOW, cell_centre, choose, count_sent

pytestmark = pytest.mark.browser

MAP = ".bnviz-map"
#: The README's link: batch norm against instance norm, output cell (1, 0, 2, 2), "make it larger".
README_LINK = "/backward?schemes=batch,instance&cell=1,0,2,2&loss=cell"


def open_page(page, app_url, query: str, maps: int, width: int = 1400, height: int = 1000):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(app_url + query)
    expect(page.locator(f"{MAP} canvas")).to_have_count(maps, timeout=30_000)


def test_hover_lights_each_schemes_group_and_a_click_picks_the_output(page, app_url):
    sent = count_sent(page)
    open_page(page, app_url, README_LINK, maps=2 + 1 + 2 + 2)
    expect(
        page.get_by_text(re.compile(r"∂y\(1, 0, 2, 2\)/∂x is nonzero on 144 of 864 cells")).first
    ).to_be_visible()
    maps = page.locator(MAP)
    # Nothing hovered: each Jacobian map lights the output cell's group (channel 0; (n, c) = (1, 0)).
    expect(maps.nth(0)).to_have_attribute("data-lit-group", "0")
    expect(maps.nth(1)).to_have_attribute("data-lit-group", "6")

    # Hover (2, 3, 0, 0) in the first map: batch norm's group 3 there, instance norm's 2·6 + 3.
    maps.nth(0).scroll_into_view_if_needed()
    before = sent["n"]
    x, y = cell_centre(page, (2, 3, 0, 0), index=0)
    page.mouse.move(x, y)
    expect(maps.nth(0)).to_have_attribute("data-lit-group", "3", timeout=2_000)
    expect(maps.nth(1)).to_have_attribute("data-lit-group", "15", timeout=2_000)
    assert sent["n"] == before  # lit in the browser

    # A click makes it the output cell: the link, the captions and the formula follow.
    page.mouse.click(x, y)
    page.wait_for_url(re.compile(r"cell=2%2C3%2C0%2C0|cell=2,3,0,0"), timeout=15_000)
    expect(
        page.get_by_text(re.compile(r"∂y\(2, 3, 0, 0\)/∂x is nonzero on 36 of 864 cells")).first
    ).to_be_visible(timeout=15_000)
    page.mouse.move(5, 5)
    expect(maps.nth(1)).to_have_attribute("data-lit-group", "15")


def test_the_loss_and_the_gradient_check(page, app_url):
    open_page(page, app_url, "/backward?schemes=batch,layer", maps=2 + 1 + 2 + 2)
    choose(page, "Loss", "Push its sample up")
    page.wait_for_url(re.compile(r"loss=sample"), timeout=15_000)
    expect(
        page.get_by_text(
            re.compile(r"in all 4 samples although dy is nonzero only in sample 0")
        ).first
    ).to_be_visible(timeout=15_000)
    expect(page.get_by_text("dx is 0 on every cell (to rounding)").first).to_be_visible()
    page.get_by_text("Run a gradient check").click()
    page.wait_for_url(re.compile(r"check=1"), timeout=15_000)
    verdict = page.get_by_text(re.compile(r"\d+ cells checked: the largest difference"))
    expect(verdict.first).to_be_visible(timeout=15_000)
    largest = re.search(r"is ([0-9.e+-]+) \(relative", verdict.first.inner_text()).group(1)
    assert float(largest) < 1e-6


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (1024, 768)])
def test_nothing_is_cut_at_common_widths(page, app_url, width, height):
    open_page(page, app_url, "/backward?check=1", maps=4 + 1 + 4 + 2, width=width, height=height)
    page.get_by_text(re.compile(r"cells checked: the largest difference")).first.wait_for()
    page.wait_for_function("() => document.querySelectorAll('.katex-display').length === 4")
    assert page.evaluate(CLIPPED_FORMULAS) == []
    assert page.evaluate(OVERFLOW) <= 1
    # Every map stays within the page's main column.
    right = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()
    edges = page.locator(f"{MAP} canvas").evaluate_all(
        "canvases => canvases.map(c => c.getBoundingClientRect().right)"
    )
    assert max(edges) <= right["x"] + right["width"] + 1, edges
