"""The browser benchmark (make bench-browser) runs: one trial of the Explorer's measurements."""

import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.browser


def test_the_browser_benchmark_measures_the_explorer():
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "bench_browser.py"),
            "--only",
            "q1",
            "--trials",
            "1",
            "--no-warmup",
            "--hovers",
            "3",
            "--breakdown",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    for line in (
        "open Explorer q1 → first map",
        "scheme change Explorer q1",
        "N change Explorer q1",
        "click Explorer q1",
        "hover Explorer q1",
    ):
        assert line in run.stdout, run.stdout
    assert "(0 frames sent)" in run.stdout  # a hover sends nothing to the server
