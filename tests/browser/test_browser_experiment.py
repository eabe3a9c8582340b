"""The Experiment page in a real browser: the default view draws at once from the shipped runs with
its verdict, the sections switch, a new sweep runs on one click under a progress bar, and nothing
is cut at 1440 and 1024 pixels wide."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import OVERFLOW, WIDE_CHARTS

pytestmark = pytest.mark.browser

CHART = ".js-plotly-plot"


def open_page(page, app_url, query: str = "", charts: int = 2, width=1400, height=1000):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{app_url}/experiment{query}")
    expect(page.locator(CHART)).to_have_count(charts, timeout=30_000)


def test_the_default_view_draws_with_its_verdict_and_the_sections_switch(page, app_url):
    open_page(page, app_url)
    expect(
        page.get_by_text(re.compile(r"Its mean first reached 90 % at step \d+")).first
    ).to_be_visible()
    # Each curve is drawn: 3 seeds faint and their mean, two panels, two normalizations.
    traces = page.locator(CHART).first.evaluate("p => p.data.length")
    assert traces == 2 * 2 * (3 + 1)
    page.get_by_text("Learning-rate sweep", exact=True).click()
    page.wait_for_url(re.compile(r"section=lr"), timeout=15_000)
    expect(
        page.get_by_text(re.compile(r"With batch norm, the best final test accuracy")).first
    ).to_be_visible(timeout=15_000)
    expect(page.locator(CHART)).to_have_count(1)
    page.get_by_text("Batch-size sweep", exact=True).click()
    expect(page.get_by_text(re.compile(r"34\.7 % at 2")).first).to_be_visible(timeout=15_000)


def test_a_new_sweep_runs_on_one_click_with_a_progress_bar(page, app_url):
    open_page(page, app_url, "?section=init&epochs=1", charts=0)
    button = page.get_by_role("button", name="Run the initialization sweep")
    expect(button).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"needs 14 training runs"))).to_be_visible()
    button.click()
    expect(page.locator('[data-testid="stProgress"]')).to_be_visible(timeout=15_000)
    expect(page.locator(CHART)).to_have_count(1, timeout=60_000)
    expect(
        page.get_by_text(re.compile(r"With batch norm, final test accuracy ranged from")).first
    ).to_be_visible()
    expect(page.locator('[data-testid="stProgress"]')).to_have_count(0)


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (1024, 768)])
def test_nothing_is_cut_at_common_widths(page, app_url, width, height):
    open_page(page, app_url, width=width, height=height)
    assert page.evaluate(WIDE_CHARTS) == 0 and page.evaluate(OVERFLOW) == 0
    page.get_by_text("Batch-size sweep", exact=True).click()
    expect(page.get_by_text(re.compile(r"34\.7 % at 2")).first).to_be_visible(timeout=15_000)
    # The new charts are laid out a moment after the text shows (until then 2 were wide at 1440).
    page.wait_for_function(f"() => ({WIDE_CHARTS})() === 0", timeout=15_000)
    assert page.evaluate(OVERFLOW) <= 1
