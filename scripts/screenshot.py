"""Screenshot a page of a running bnviz server with Debian's chromium (for the README and reviews).

Usage: .venv/bin/python scripts/screenshot.py URL OUT.png [--width 1400] [--height 1000] [--full]
       [--click "selector or text"]... [--wait 1.5]
--click clicks the first element matching a CSS selector (given starting with one of "[.#",
e.g. '[data-testid="stExpander"] summary') or else showing that text, waits for the app's rerun
to finish, and may be repeated (clicks happen in order).
Start the server first (`make run`, or `.venv/bin/streamlit run app.py --server.headless true`).
"""

import argparse
import contextlib
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (one set of launch flags)

#: Shown by Streamlit while a script run is in progress.
RUNNING = '[data-testid="stStatusWidget"]'
CSS_STARTS = ("[", ".", "#")


def target(page, what: str):
    """The element a --click names: a CSS selector, or else the first element showing the text."""
    if what.startswith(CSS_STARTS):
        return page.locator(what).first
    return page.get_by_text(what).first


def click(page, what: str) -> None:
    """Click what --click names, then wait until the rerun it starts has finished."""
    element = target(page, what)
    element.scroll_into_view_if_needed(timeout=20_000)
    element.click(timeout=20_000)
    # A rerun shows the status widget (if it takes more than a moment); wait for it to go.
    with contextlib.suppress(Exception):
        page.wait_for_selector(RUNNING, state="attached", timeout=1_000)
    page.wait_for_selector(RUNNING, state="detached", timeout=60_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--full", action="store_true", help="the whole page, not the viewport")
    parser.add_argument(
        "--click",
        action="append",
        default=[],
        metavar="SELECTOR_OR_TEXT",
        help='click it before the screenshot (CSS if it starts with "[", "." or "#"); repeatable',
    )
    parser.add_argument("--wait", type=float, default=1.5, help="seconds after the first chart")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(args.url)
        page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
        # A page without charts (or showing an error message) is still worth a look.
        with contextlib.suppress(Exception):
            page.wait_for_selector(".js-plotly-plot, [data-testid='stImage']", timeout=20_000)
        for what in args.click:
            click(page, what)
        page.wait_for_timeout(int(args.wait * 1000))
        page.screenshot(path=args.out, full_page=args.full)
        browser.close()


if __name__ == "__main__":
    main()
