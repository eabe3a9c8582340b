"""The Compare page in a real browser: hovering one map lights the cell's group in every map
(in the browser, no rerun); a click in one map selects that cell in every view."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import cell_centre, count_sent

pytestmark = pytest.mark.browser

# Question 5's three methods on a (2, 3, 4, 4) tensor.
QUESTION_5 = "/compare?schemes=batch-location,batch-pixel,batch&n=2&c=3&h=4&w=4"
MAP = ".bnviz-map"


def cell_texts(page):
    """The "Cell (…) → group g of G" line of every view, in page order."""
    return page.locator("p", has_text=re.compile(r"^Cell \(")).all_inner_texts()


def wait_for_cell_lines(page, cell: str) -> None:
    page.wait_for_function(
        "(cell) => [...document.querySelectorAll('p')]"
        ".filter(p => p.innerText.startsWith('Cell (' + cell + ')')).length === 3",
        arg=cell,
        timeout=15_000,
    )


def test_hover_lights_every_map_and_a_click_selects_everywhere(page, app_url):
    sent = count_sent(page)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app_url + QUESTION_5)
    page.wait_for_selector(f"{MAP} canvas", timeout=30_000)
    page.get_by_text(re.compile(r"16 means and 16 variances, each over 2 × 3 = 6")).first.wait_for()
    page.get_by_text(re.compile(r"48 means and 48 variances, each over 2 values")).first.wait_for()
    page.get_by_text(
        re.compile(r"3 means and 3 variances, each over 2 × 4 × 4 = 32")
    ).first.wait_for()
    assert page.locator(MAP).count() == 3
    wait_for_cell_lines(page, "0, 0, 0, 0")

    # Hover cell (1, 2, 2, 1) in the middle map: each map lights that cell's group, with no rerun.
    maps = page.locator(MAP)
    maps.nth(1).scroll_into_view_if_needed()
    before = sent["n"]
    x, y = cell_centre(page, (1, 2, 2, 1), index=1)
    page.mouse.move(x, y)
    # The same cell, three groups: location (2, 1); activation (2, 2, 1); channel 2.
    for index, group in enumerate(("9", "41", "2")):
        expect(maps.nth(index)).to_have_attribute("data-lit-group", group, timeout=2_000)
    assert sent["n"] == before

    # Click it: selected in all three views (one rerun).
    page.mouse.click(x, y)
    page.wait_for_url(re.compile(r"cell=1%2C2%2C2%2C1|cell=1,2,2,1"), timeout=15_000)
    wait_for_cell_lines(page, "1, 2, 2, 1")
    texts = cell_texts(page)
    assert "group 9 of 16" in texts[0]
    assert "group 41 of 48" in texts[1]
    assert "group 2 of 3" in texts[2]

    # A click in another view moves the selection in all three again.
    x, y = cell_centre(page, (0, 1, 3, 3), index=2)
    page.mouse.click(x, y)
    wait_for_cell_lines(page, "0, 1, 3, 3")
    texts = cell_texts(page)
    assert "group 15 of 16" in texts[0]
    assert "group 31 of 48" in texts[1]
    assert "group 1 of 3" in texts[2]
    page.mouse.move(5, 5)  # nothing hovered: each map lights the selected cell's group
    for index, group in enumerate(("15", "31", "1")):
        expect(maps.nth(index)).to_have_attribute("data-lit-group", group)
