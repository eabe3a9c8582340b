"""The classroom soak (make soak) runs: two students, one whole lesson each, in a real browser."""

import subprocess
import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import soak  # noqa: E402

pytestmark = pytest.mark.browser


def test_a_tiny_classroom_runs_with_no_errors_and_no_leaks():
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), "--sessions", "2", "--lessons", "1"]
        + ["--minutes", "2", "--think", "0", "--arrival", "0", "--picture-width", "64"]
        + ["--level", "1000"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = run.stdout
    for action in soak.ACTIONS:  # one whole lesson each
        assert f"\n{action:<16}{2:>7}" in out, out
    assert "errors: 0" in out and "leaks between sessions: 0" in out, out
    assert "server memory (RSS, MB)" in out and "one session costs" in out
    assert out.rstrip().endswith("verdict: PASS")
