"""The Questions page in a real browser: every card shows its picture, a search narrows the list
and reaches the URL, and a card's link opens the exact view it answers with."""

import re

import pytest
from playwright.sync_api import expect

from bnviz.views import questions

pytestmark = pytest.mark.browser

IMAGES = '[data-testid="stImage"] img'
#: Pictures wider than the page's main column, or not loaded.
BROKEN_IMAGES = """() => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
  return [...document.querySelectorAll('[data-testid="stImage"] img')]
    .filter(i => !i.complete || i.naturalWidth === 0 || i.getBoundingClientRect().right > main.right + 1)
    .length;
}"""


@pytest.mark.parametrize("width, height", [(1440, 900), (1024, 768)])
def test_every_card_has_its_picture_and_nothing_is_cut(page, app_url, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{app_url}/questions")
    expect(page.locator(IMAGES)).to_have_count(len(questions.QUESTIONS), timeout=30_000)
    page.locator(IMAGES).last.scroll_into_view_if_needed()
    page.wait_for_function(f"({BROKEN_IMAGES})() === 0", timeout=15_000)


def test_a_search_narrows_the_list_and_reaches_the_url(page, app_url):
    page.goto(f"{app_url}/questions")
    expect(page.locator(IMAGES)).to_have_count(len(questions.QUESTIONS), timeout=30_000)
    box = page.get_by_label("Search")
    box.fill("momentum")
    box.press("Enter")
    expect(page.locator(IMAGES)).to_have_count(1, timeout=15_000)
    page.wait_for_url(re.compile(r"search=momentum"), timeout=15_000)
    expect(page.get_by_text("Keras momentum 0.99 vs PyTorch momentum 0.1").first).to_be_visible()


def test_a_cards_link_opens_the_view_it_answers_with(page, app_url):
    question = questions.QUESTIONS_BY_ID["gamma-per-channel"]
    page.goto(f"{app_url}/questions?q={question.id}")
    link = page.get_by_role("link", name=re.compile("Open this view on the Compare page"))
    expect(link).to_be_visible(timeout=30_000)
    # Markdown links open in a new tab: the gallery stays where the learner left it.
    assert link.get_attribute("target") == "_blank"
    with page.context.expect_page() as opened:
        link.click()
    view = opened.value
    view.wait_for_url(re.compile(r"/compare\?.*schemes=batch(%2C|,)batch-pixel"), timeout=30_000)
    # The Compare page shows the numbers the card gave: 16 γ per channel, 400 per activation.
    expect(view.get_by_text(re.compile(r"400 entries each")).first).to_be_visible(timeout=30_000)
