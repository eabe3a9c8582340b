"""The Local normalizations page in a real browser: click a cell, see its window."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import cell_centre, count_sent

pytestmark = pytest.mark.browser

WINDOW_TITLE = (
    "() => [...document.querySelectorAll('.js-plotly-plot')].some("
    "p => p.layout && p.layout.title && (p.layout.title.text || '').includes({text}))"
)
MAP = ".bnviz-map"


def test_hover_lights_the_window_and_a_click_shows_its_ghost_cells(page, app_url):
    sent = count_sent(page)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app_url}/local?n=1&c=6&h=3&w=3")
    page.wait_for_selector(f"{MAP} canvas", timeout=30_000)
    # The page opens on two conventions that differ (Caffe's α = 1 against MatConvNet's default).
    page.get_by_text(re.compile(r"A and B differ")).first.wait_for(timeout=30_000)

    # Hover cell (0, 5, 1, 2): convention A's window (LRN, 5 channels) lights, in the browser.
    value_map = page.locator(MAP).first
    value_map.scroll_into_view_if_needed()
    before = sent["n"]
    x, y = cell_centre(page, (0, 5, 1, 2))
    page.mouse.move(x, y)
    expect(value_map).to_have_attribute("data-lit-window", "0,5,1,2", timeout=2_000)
    assert sent["n"] == before

    # Click: the selection reaches Python, the URL and the panel name the cell ...
    page.mouse.click(x, y)
    page.wait_for_url(re.compile(r"cell=0(%2C|,)5(%2C|,)1(%2C|,)2"), timeout=15_000)
    page.get_by_text(re.compile(r"Cell \(0, 5, 1, 2\)")).first.wait_for(timeout=15_000)
    # ... the enlarged window names it: channels 3 … 7, two of them outside the tensor (C = 6).
    page.wait_for_function(
        WINDOW_TITLE.format(text="'Window of cell (0, 5, 1, 2): 5 cells, 2 hatched'"),
        timeout=15_000,
    )
    # The formula with this cell's numbers: two padded channels count 0.
    page.get_by_text(
        "2 of the 5 window cells lie outside the tensor: they count 0."
    ).first.wait_for(timeout=15_000)
    # With nothing hovered, the map lights the selected cell's window.
    page.mouse.move(5, 5)
    expect(value_map).to_have_attribute("data-lit-window", "0,5,1,2")


# The formulas whose content reaches beyond their box (which clips it vertically).
CLIPPED_FORMULAS = """() => [...document.querySelectorAll('.katex-display')]
  .filter(e => e.scrollHeight > e.clientHeight + 1)
  .map(e => [e.textContent.slice(0, 40), e.clientHeight, e.scrollHeight])"""
ALL_SHOWN_WHOLE = f"""() => {{
  const formulas = [...document.querySelectorAll('.katex-display')];
  return formulas.filter(e => e.textContent.includes('denominator')).length >= 4
    && ({CLIPPED_FORMULAS})().length === 0;
}}"""


@pytest.mark.parametrize("width", [1440, 1024])
def test_no_formula_is_cut_off(page, app_url, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{app_url}/local")
    # Each convention's formulas, down to the last, y = x / denominator (a tall fraction), are
    # drawn whole once the page has settled.
    try:
        page.wait_for_function(ALL_SHOWN_WHOLE, timeout=30_000)
    except Exception:
        raise AssertionError(f"clipped: {page.evaluate(CLIPPED_FORMULAS)}") from None
