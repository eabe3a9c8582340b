"""The Compare page in a real browser: a click in one scheme's map selects that cell in every view."""

import re

import pytest

pytestmark = pytest.mark.browser

# Question 5's three methods on a (2, 3, 4, 4) tensor: the mosaic is 9 rows × 14 columns of cells.
QUESTION_5 = "/compare?schemes=batch-location,batch-pixel,batch&n=2&c=3&h=4&w=4"
ROWS, COLS = 9, 14


def cell_texts(page):
    """The "Cell (…) → group g of G" line of every view, in page order."""
    return page.locator("p", has_text=re.compile(r"^Cell \(")).all_inner_texts()


def click_cell(page, view: int, cell: tuple) -> None:
    """Click cell (n, c, h, w) of the ``view``-th group map (0-based), at its computed position."""
    n, c, h, w = cell
    drag_layer = page.locator(".js-plotly-plot .nsewdrag").nth(view)
    drag_layer.scroll_into_view_if_needed()
    box = drag_layer.bounding_box()
    col, row = c * 5 + w, n * 5 + h
    x = box["x"] + (col + 0.5) / COLS * box["width"]
    y = box["y"] + (row + 0.5) / ROWS * box["height"]
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def test_click_in_one_map_selects_the_cell_in_every_view(page, app_url):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app_url + QUESTION_5)
    page.wait_for_selector(".js-plotly-plot .nsewdrag", timeout=30_000)
    page.get_by_text(re.compile(r"16 means and 16 variances, each over 2 × 3 = 6")).first.wait_for()
    page.get_by_text(re.compile(r"48 means and 48 variances, each over 2 values")).first.wait_for()
    page.get_by_text(
        re.compile(r"3 means and 3 variances, each over 2 × 4 × 4 = 32")
    ).first.wait_for()
    # Three group maps (the 3-D cubes are WebGL scenes without a 2-D drag layer).
    assert page.locator(".js-plotly-plot .nsewdrag").count() == 3
    page.wait_for_function(
        "() => [...document.querySelectorAll('p')]"
        ".filter(p => p.innerText.startsWith('Cell (0, 0, 0, 0)')).length === 3",
        timeout=15_000,
    )

    # Click cell (1, 2, 2, 1) in the middle view (per-activation batch norm).
    click_cell(page, 1, (1, 2, 2, 1))
    page.wait_for_url(re.compile(r"cell=1%2C2%2C2%2C1|cell=1,2,2,1"), timeout=15_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('p')]"
        ".filter(p => p.innerText.startsWith('Cell (1, 2, 2, 1)')).length === 3",
        timeout=15_000,
    )
    texts = cell_texts(page)
    # The same cell, three different groups: location (2, 1); activation (2, 2, 1); channel 2.
    assert "group 9 of 16" in texts[0]
    assert "group 41 of 48" in texts[1]
    assert "group 2 of 3" in texts[2]

    # A click in another view moves the selection in all three again.
    page.wait_for_timeout(500)
    click_cell(page, 2, (0, 1, 3, 3))
    page.wait_for_function(
        "() => [...document.querySelectorAll('p')]"
        ".filter(p => p.innerText.startsWith('Cell (0, 1, 3, 3)')).length === 3",
        timeout=15_000,
    )
    texts = cell_texts(page)
    assert "group 15 of 16" in texts[0]
    assert "group 31 of 48" in texts[1]
    assert "group 1 of 3" in texts[2]
    # Every map dims all but the selected group: a second heatmap trace in each of the three.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].filter("
        "p => p.data && p.data.filter(t => t.type === 'heatmap').length === 2).length === 3",
        timeout=15_000,
    )
