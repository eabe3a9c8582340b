"""The helper scripts do what their usage text says."""

import re
import subprocess
import sys

from conftest import ROOT

SCREENSHOT = ROOT / "scripts" / "screenshot.py"


def test_screenshot_has_every_option_its_usage_documents():
    usage = SCREENSHOT.read_text().split('"""')[1]
    documented = set(re.findall(r"--[a-z]+(?=[\s\]])", usage))  # not --server.headless
    assert {"--click", "--width", "--height", "--full", "--wait"} <= documented
    help_text = subprocess.run(
        [sys.executable, str(SCREENSHOT), "--help"], capture_output=True, text=True, check=True
    ).stdout
    offered = set(re.findall(r"--[a-z]+", help_text))
    assert documented <= offered, documented - offered


def test_screenshot_click_targets_css_or_text():
    sys.path.insert(0, str(SCREENSHOT.parent))
    import screenshot

    class Page:
        def locator(self, selector):
            return _First(("css", selector))

        def get_by_text(self, text):
            return _First(("text", text))

    class _First:
        def __init__(self, what):
            self.first = what

    assert screenshot.target(Page(), '[data-testid="stExpander"] summary') == (
        "css",
        '[data-testid="stExpander"] summary',
    )
    assert screenshot.target(Page(), "Teaching mode") == ("text", "Teaching mode")
