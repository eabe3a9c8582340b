"""The Train vs. inference page in a real browser: the momentum reaches the sentences and the
link, the sections switch, PyTorch's batch-size-1 message shows, nothing is cut at 1440 and 1024
pixels wide."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import CLIPPED_FORMULAS, OVERFLOW, WIDE_CHARTS

pytestmark = pytest.mark.browser

CHART = ".js-plotly-plot"


def open_page(page, app_url, query: str = "", width: int = 1400, height: int = 1000):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{app_url}/training{query}")
    page.wait_for_selector(CHART, timeout=30_000)


def test_momentum_reaches_the_sentences_and_the_link(page, app_url):
    open_page(page, app_url)
    expect(
        page.get_by_text("PyTorch's momentum 0.1 is the weight of the new batch").first
    ).to_be_visible()
    box = page.get_by_role("spinbutton", name="PyTorch momentum")
    box.fill("0.3")
    box.press("Enter")
    expect(
        page.get_by_text(re.compile(r"PyTorch's momentum 0\.3 is the weight")).first
    ).to_be_visible(timeout=15_000)
    page.wait_for_url(re.compile(r"momentum=0\.3"), timeout=15_000)
    # Caffe's first step is the batch's own: the sentence says so with the number.
    expect(
        page.get_by_text(re.compile(r"Caffe's is -?[0-9.]+, the batch's own")).first
    ).to_be_visible()


def test_sections_switch_and_train_differs_from_eval(page, app_url):
    open_page(page, app_url)
    page.get_by_text("Train vs eval", exact=True).click()
    expect(
        page.get_by_text(re.compile(r"^Training mode normalizes channel 0")).first
    ).to_be_visible(timeout=15_000)
    page.wait_for_url(re.compile(r"section=eval"), timeout=15_000)
    # The same input side by side, and one image alone: two charts of maps.
    expect(page.locator(CHART)).to_have_count(2, timeout=15_000)
    page.get_by_text("Batch dependence", exact=True).click()
    expect(
        page.get_by_text(re.compile(r"In evaluation mode it moved not at all")).first
    ).to_be_visible(timeout=15_000)


def test_batch_size_one_shows_pytorchs_message(page, app_url):
    open_page(page, app_url, "?section=eval&n=1&h=1&w=1")
    message = (
        "Expected more than 1 value per channel when training, got input size "
        "torch.Size([1, 3, 1, 1])"
    )
    expect(
        page.get_by_text(f"PyTorch refuses training mode on this input: “{message}”").first
    ).to_be_visible(timeout=15_000)


SECTION_LABELS = {"stream": "Running stats", "eval": "Train vs eval", "small": "Small batches"}


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (1024, 768)])
def test_nothing_is_cut_at_common_widths(page, app_url, width, height):
    open_page(page, app_url, "?conv=1", width, height)
    for section, label in SECTION_LABELS.items():
        if section != "stream":
            page.get_by_text(label, exact=True).click()
            page.wait_for_url(re.compile(f"section={section}"), timeout=15_000)
        # The answer is drawn last, with the section's title: the whole section is on the page.
        title = {"stream": "Running mean", "eval": "Why batch norm", "small": "How far small"}
        page.get_by_text(re.compile(title[section])).first.wait_for(timeout=15_000)
        if section != "small":
            page.wait_for_function("() => document.querySelectorAll('.katex-display').length > 0")
        page.wait_for_function(f"() => ({WIDE_CHARTS})() === 0", timeout=15_000)
        assert page.evaluate(CLIPPED_FORMULAS) == [], section
        assert page.evaluate(OVERFLOW) <= 1, section
