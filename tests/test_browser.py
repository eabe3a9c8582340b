"""The Explorer in a real browser: Playwright driving Debian's chromium against a live server."""

import re

import pytest

pytestmark = pytest.mark.browser


def wait_for_chart(page):
    page.wait_for_selector(".js-plotly-plot .nsewdrag", timeout=30_000)


def choose(page, label, option):
    """Pick ``option`` in the selectbox labelled ``label`` (it is a searchable combobox)."""
    box = page.get_by_label(label, exact=True)
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option).first.click()


def test_load_change_control_click_cell_highlights_group(page, app_url):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app_url}/?n=2&c=3&h=4&w=4")
    wait_for_chart(page)
    page.get_by_text(re.compile(r"3 means and 3 variances")).first.wait_for()

    # Change a control: the scheme.
    choose(page, "Scheme", "Instance norm")
    page.get_by_text(
        re.compile(r"6 means and 6 variances, each over 4 × 4 = 16 values")
    ).first.wait_for()

    # Click the middle of tile (n=1, c=2): mosaic is 9 rows x 14 columns of cells.
    wait_for_chart(page)
    drag_layer = page.locator(".js-plotly-plot .nsewdrag").first
    drag_layer.scroll_into_view_if_needed()
    box = drag_layer.bounding_box()
    col, row = 2 * 5 + 1, 1 * 5 + 2  # cell (1, 2, 2, 1)
    x = box["x"] + (col + 0.5) / 14 * box["width"]
    y = box["y"] + (row + 0.5) / 9 * box["height"]
    page.mouse.move(x, y)
    page.mouse.click(x, y)

    # The selection reaches Python: the URL holds it and the panel names the group.
    page.wait_for_url(re.compile(r"cell=1%2C2%2C2%2C1|cell=1,2,2,1"), timeout=15_000)
    page.get_by_text(re.compile(r"Group 5 of 6")).first.wait_for()
    # The figure now dims the other groups: a second heatmap trace (the overlay) is drawn.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].some("
        "p => p.data && p.data.filter(t => t.type === 'heatmap').length === 2)",
        timeout=15_000,
    )
