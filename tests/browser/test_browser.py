"""The Explorer in a real browser: Playwright driving Debian's chromium against a live server.

The group map is a canvas drawn by bnviz/ui/static/groupmap.js: hover lights a group in the browser
(no message to the server), a click or an arrow key selects a cell (one rerun).
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

MAP = ".bnviz-map"
# Checks that nothing is cut, for every page's common-widths test: how many pixels the main area
# scrolls sideways (at most 1: nothing cut), how many charts reach beyond the main column, which
# formulas' content reaches beyond their box (Streamlit clips a formula's box vertically).
OVERFLOW = """() => { const m = document.querySelector('[data-testid="stMain"]');
  return m.scrollWidth - m.clientWidth; }"""
WIDE_CHARTS = """() => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
  return [...document.querySelectorAll('.js-plotly-plot')]
    .map(p => p.getBoundingClientRect())
    .filter(r => r.right > main.right + 1 || r.left < main.left - 1).length;
}"""
CLIPPED_FORMULAS = """() => [...document.querySelectorAll('.katex-display')]
  .filter(e => e.scrollHeight > e.clientHeight + 1).map(e => e.textContent.slice(0, 40))"""


def wait_for_map(page):
    page.wait_for_selector(f"{MAP} canvas", timeout=30_000)


def choose(page, label, option):
    """Pick ``option`` in the selectbox labelled ``label`` (it is a searchable combobox)."""
    box = page.get_by_label(label, exact=True)
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option).first.click()


def cell_centre(page, cell, index=0):
    """Screen position of drawn cell (s, c, r, w) of the ``index``-th map, from the map's own
    geometry (``_geometry``: label room left and above, cell size, gap between tiles)."""
    return (
        page.locator(MAP)
        .nth(index)
        .evaluate(
            """(root, [s, c, r, w]) => {
             const g = root._geometry;
             const box = root.querySelector('canvas').getBoundingClientRect();
             return [box.x + g.left + c * (g.tileW + g.gap) + (w + 0.5) * g.cell,
                     box.y + g.top + s * (g.tileH + g.gap) + (r + 0.5) * g.cell]; }""",
            list(cell),
        )
    )


def count_sent(page):
    """A counter of messages the page sends to the server (a rerun is one)."""
    sent = {"n": 0}

    def on_socket(ws):
        ws.on("framesent", lambda _: sent.__setitem__("n", sent["n"] + 1))

    page.on("websocket", on_socket)
    return sent


def test_hover_lights_the_group_with_no_rerun_and_a_click_selects(page, app_url):
    sent = count_sent(page)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app_url}/?n=2&c=3&h=4&w=4&scheme=instance")
    wait_for_map(page)
    page.get_by_text(re.compile(r"6 means and 6 variances")).first.wait_for()
    root = page.locator(MAP).first
    assert root.get_attribute("data-lit-group") == ""

    # Hover cell (1, 2, 2, 1): instance norm's group of (n, c) = (1, 2) is 1·3 + 2 = 5.
    root.scroll_into_view_if_needed()
    before = sent["n"]
    x, y = cell_centre(page, (1, 2, 2, 1))
    page.mouse.move(x, y)
    expect(root).to_have_attribute("data-lit-group", "5", timeout=2_000)
    assert sent["n"] == before  # lit in the browser: nothing sent to the server
    # Leaving restores it.
    page.mouse.move(5, 5)
    expect(root).to_have_attribute("data-lit-group", "")

    # A click selects: the URL holds the cell and the panel names its group.
    page.mouse.click(x, y)
    page.wait_for_url(re.compile(r"cell=1%2C2%2C2%2C1|cell=1,2,2,1"), timeout=15_000)
    page.get_by_text(re.compile(r"Group 5 of 6")).first.wait_for()
    expect(page.locator(MAP).first).to_have_attribute("data-lit-group", "5")


def test_arrow_keys_move_the_selected_cell(page, app_url):
    page.goto(f"{app_url}/?n=2&c=3&h=4&w=4&cell=0,0,0,3")
    wait_for_map(page)
    page.locator(MAP).first.focus()
    page.keyboard.press("ArrowRight")  # past the last column: the next channel's first
    page.wait_for_url(re.compile(r"cell=0%2C1%2C0%2C0|cell=0,1,0,0"), timeout=15_000)
    page.keyboard.press("ArrowDown")
    page.wait_for_url(re.compile(r"cell=0%2C1%2C1%2C0|cell=0,1,1,0"), timeout=15_000)


def test_the_last_of_many_quick_clicks_wins(page, app_url):
    page.goto(f"{app_url}/?n=4&c=4&h=4&w=4&scheme=instance")
    wait_for_map(page)
    page.locator(MAP).first.scroll_into_view_if_needed()
    cells = [(s, c, 1, 1) for s in range(4) for c in range(4)][:12]
    for cell in cells:
        x, y = cell_centre(page, cell)
        page.mouse.click(x, y)
    page.wait_for_url(re.compile(r"cell=2%2C3%2C1%2C1|cell=2,3,1,1"), timeout=20_000)
    page.get_by_text(re.compile(r"Group 11 of 16")).first.wait_for(timeout=20_000)
