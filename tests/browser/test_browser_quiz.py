"""The Quiz page in a real browser: a click-the-group question answered on the canvas map (clicks
mark and unmark cells, the list follows, Check scores the overlap and shows the missed cells), a
picture question answered wrong, and nothing cut at 1440 and 1024 pixels wide."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import OVERFLOW, cell_centre

from bnviz.views import quiz

pytestmark = pytest.mark.browser

MAP = ".bnviz-map"
#: One click-the-group question: batch norm per activation on (3, 2, 3, 2), the given cell
#: (0, 1, 2, 0); its group is the same activation in the two other samples.
GROUP_QUIZ = {"qseed": 2, "qn": 1, "kinds": ("group",)}


def query(settings: dict) -> str:
    kinds = ",".join(settings["kinds"])
    return f"/quiz?qseed={settings['qseed']}&qn={settings['qn']}&kinds={kinds}"


def test_a_click_the_group_question_answered_on_the_map(page, app_url):
    (question,) = quiz.generate(GROUP_QUIZ["qseed"], GROUP_QUIZ["qn"], GROUP_QUIZ["kinds"])
    members = sorted(question.answer)
    outside = next(
        c for c in quiz.cell_options(question) if quiz.parse_cell(c) not in question.answer
    )
    outside = quiz.parse_cell(outside)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app_url + query(GROUP_QUIZ))
    root = page.locator(MAP).first
    expect(root.locator("canvas")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(f"outlined cell {quiz.cell_label(question.cell)}")).to_be_visible()
    root.scroll_into_view_if_needed()
    # Nothing is lit and no group is named before the answer (every cell its own group).
    page.mouse.move(*cell_centre(page, question.cell))
    expect(root).to_have_attribute("data-lit-group", "")

    # Mark one cell of the group and one outside it, then unmark the outside one.
    for cell in (members[0], outside, outside):
        page.mouse.click(*cell_centre(page, cell))
    expect(root).to_have_attribute("data-marked", "1")
    listed = page.locator('[data-testid="stMultiSelect"]').last
    expect(listed).to_contain_text(quiz.cell_label(members[0]), timeout=15_000)
    expect(listed).not_to_contain_text(quiz.cell_label(outside))

    # The given cell cannot be marked.
    page.mouse.click(*cell_centre(page, question.cell))
    expect(root).to_have_attribute("data-marked", "1")

    scored = quiz.score(question, [members[0]])
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text(scored.text)).to_be_visible(timeout=15_000)
    missed = len(members) - 1
    expect(page.get_by_text(re.compile(rf"not marked \({missed}\)"))).to_be_visible()
    # The right answer's map lights the given cell's group.
    lit = page.locator(MAP).last
    expect(lit).to_have_attribute("data-lit-group", re.compile(r"\d+"))
    expect(page.get_by_text("1 of 1 answered · score 0.5 of 1")).to_be_visible()


def test_quick_clicks_are_all_kept(page, app_url):
    """Each click reruns the page; a rerun of an earlier click must not undo a later one."""
    settings = {"qseed": 5, "qn": 1, "kinds": ("group",)}  # group norm: 11 cells to find
    (question,) = quiz.generate(settings["qseed"], settings["qn"], settings["kinds"])
    members = sorted(question.answer)[:8]
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app_url + query(settings))
    root = page.locator(MAP).first
    expect(root.locator("canvas")).to_be_visible(timeout=30_000)
    root.scroll_into_view_if_needed()
    for cell in members:
        page.mouse.click(*cell_centre(page, cell))
    expect(root).to_have_attribute("data-marked", str(len(members)))
    listed = page.locator('[data-testid="stMultiSelect"]').last
    for cell in members:
        expect(listed).to_contain_text(quiz.cell_label(cell), timeout=15_000)
    page.get_by_role("button", name="Check").click()
    scored = quiz.score(question, members)
    expect(page.get_by_text(scored.text)).to_be_visible(timeout=15_000)


def test_a_wrong_choice_shows_both_maps_and_the_link(page, app_url):
    settings = {"qseed": 1, "qn": 1, "kinds": ("picture",)}
    (question,) = quiz.generate(settings["qseed"], settings["qn"], settings["kinds"])
    wrong = next(c for k, c in enumerate(question.choices) if k != question.answer)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(app_url + query(settings))
    expect(page.locator(f"{MAP} canvas")).to_have_count(1, timeout=30_000)
    page.get_by_text(wrong, exact=True).click()
    expect(page.get_by_role("radio", name=wrong)).to_be_checked()
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text(f"the answer is “{question.right_text}”")).to_be_visible(timeout=15_000)
    # The right answer's map and the wrong choice's, each titled with its scheme.
    expect(page.locator(f"{MAP} canvas")).to_have_count(2, timeout=15_000)
    titles = page.locator(f"{MAP} .bnviz-title").all_inner_texts()
    assert titles == [question.choices[question.answer], wrong]
    link = page.get_by_role("link", name=re.compile("Open it on the Explorer page"))
    assert link.get_attribute("href").endswith(question.link)


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (1024, 768)])
def test_nothing_is_cut_at_common_widths(page, app_url, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(app_url + query({"qseed": 3, "qn": 2, "kinds": ("group", "picture")}))
    expect(page.locator(f"{MAP} canvas")).to_have_count(1, timeout=30_000)
    assert page.evaluate(OVERFLOW) <= 1
    right = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()
    edge = page.locator(f"{MAP} canvas").evaluate("c => c.getBoundingClientRect().right")
    assert edge <= right["x"] + right["width"] + 1
