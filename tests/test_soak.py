"""The classroom soak (make soak, bench/soak.py): its summary statistics by hand, its warm-up and
measured phases, its leak check; what it made bounded (every cache, the config) and lighter
(download buttons hold no arrays).  Its run in a real browser is
tests/browser/test_browser_soak.py."""

import sys

import pytest
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(ROOT / "bench"))
import soak  # noqa: E402


def test_percentile_interpolates_between_order_statistics():
    assert soak.percentile([4, 1, 3, 2], 50) == 2.5
    assert soak.percentile([1, 2, 3, 4], 0) == 1
    assert soak.percentile([1, 2, 3, 4], 100) == 4
    # p95 of 1 … 21: position 0.95 · 20 = 19, the 20th value.
    assert soak.percentile(range(1, 22), 95) == 20
    # p95 of 1 … 10: position 8.55, between 9 and 10.
    assert soak.percentile(range(1, 11), 95) == pytest.approx(9.55)
    assert soak.percentile([7], 95) == 7
    with pytest.raises(ValueError):
        soak.percentile([], 50)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50), st.floats(0, 100))
def test_percentile_lies_between_the_extremes_and_grows_with_q(values, q):
    p = soak.percentile(values, q)
    assert min(values) - 1e-6 <= p <= max(values) + 1e-6
    assert soak.percentile(values, min(q + 5, 100)) >= p - 1e-6


def test_robust_slope_of_a_line_and_despite_a_spike():
    assert soak.robust_slope([(0, 1), (1, 3), (2, 5)]) == pytest.approx(2)
    # The six pairwise slopes of (0, 0), (1, 1), (2, 0), (3, 1), sorted: −1, 0, 0, 1/3, 1, 1;
    # their median (0 + 1/3) / 2 = 1/6.
    assert soak.robust_slope([(0, 0), (1, 1), (2, 0), (3, 1)]) == pytest.approx(1 / 6)
    assert soak.robust_slope([(0, 5), (10, 5)]) == 0
    assert soak.robust_slope([(3, 5)]) == 0
    assert soak.robust_slope([(3, 5), (3, 7)]) == 0
    # Flat memory with one large computation's spike: no growth (least squares would see some).
    flat = [(t, 250 + (100 if t == 7 else 0)) for t in range(12)]
    assert soak.robust_slope(flat) == 0


def test_memory_summary_first_middle_last_and_the_last_half_slope():
    # Grows 1 MB/s for 60 s, then flat for 60 s: the last half (60 … 120 s) is flat.
    samples = [(t, 100 + min(t, 60)) for t in range(0, 121)]
    summary = soak.memory_summary(samples, start=0, end=120)
    assert (summary["first"], summary["middle"], summary["last"]) == (100, 160, 160)
    assert summary["peak"] == 160
    assert summary["slope_last_half"] == pytest.approx(0)
    assert soak.levelled_off(summary, mb_per_min=1)
    # Still growing 0.5 MB/s in the last half: 30 MB/min.
    growing = soak.memory_summary([(t, 100 + 0.5 * t) for t in range(121)], start=0, end=120)
    assert growing["slope_last_half"] == pytest.approx(30)
    assert not soak.levelled_off(growing, mb_per_min=5)
    # Samples outside the lesson are ignored.
    assert soak.memory_summary([(-5, 1), (0, 2), (9, 3)], start=0, end=5)["last"] == 2
    with pytest.raises(ValueError):
        soak.memory_summary([(10, 1)], start=0, end=5)


def test_one_session_costs_the_rise_shared_out():
    assert soak.per_session_mb(200, 260, 30) == pytest.approx(2)
    assert soak.per_session_mb(200, 200, 5) == 0


def test_latency_rows_follow_the_lesson():
    rows = soak.latency_rows({"upload": [2.0], "open": [1.0, 3.0], "scheme": []})
    assert [r[0] for r in rows] == ["open", "upload"]
    assert rows[0] == ("open", 2, 2.0, pytest.approx(2.9), 3.0)


def test_the_leak_check_finds_another_sessions_url_or_picture():
    url = "http://127.0.0.1:1/?seed={}&scheme=layer"
    seeds = {0: {1000}, 1: {1100}}
    mine = {0: url.format(1000), 1: url.format(1100)}
    assert soak.leak_problems(mine, mine, seeds, {0: {0}, 1: {1}}) == []
    swapped = {0: mine[1], 1: mine[0]}
    problems = soak.leak_problems(swapped, mine, seeds, {0: {0}, 1: {1}})
    assert len(problems) == 4
    assert "seed 1100, session 1's" in problems[1]
    assert soak.leak_problems(mine, mine, seeds, {0: {0, 1}}) == [
        "session 0 saw the pictures of sessions [1]"
    ]


def test_each_student_uploads_a_photo_of_its_own():
    import io

    from PIL import Image

    pictures = {soak.student_picture(k, 32) for k in range(soak.MAX_SESSIONS)}
    assert len(pictures) == soak.MAX_SESSIONS
    photo = Image.open(io.BytesIO(soak.student_picture(0)))
    assert (photo.format, photo.size) == ("JPEG", (1600, 1200))


def _cache_decorators():
    """Every ``st.cache_data`` / ``st.cache_resource`` call in the app's Streamlit code:
    (file, line, keyword names, with ``**CACHE_LIMITS`` as its keys)."""
    import ast

    from bnviz.ui import core

    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    files += sorted((ROOT / "bnviz" / "ui").glob("*.py"))
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("cache_data", "cache_resource")
            ):
                names = set()
                for keyword in node.keywords:
                    if keyword.arg is None and getattr(keyword.value, "id", "") == "CACHE_LIMITS":
                        names |= set(core.CACHE_LIMITS)
                    names.add(keyword.arg)
                yield path.name, node.lineno, names


def test_every_cache_is_bounded_by_entries_and_all_of_them_by_bytes():
    import tomllib

    found = list(_cache_decorators())
    assert len(found) >= 7
    unbounded = [(name, line) for name, line, keywords in found if "max_entries" not in keywords]
    assert unbounded == []
    # The tensor pages' caches (ui.core) also expire: an idle server gives their memory back.
    assert all("ttl" in keywords for name, _, keywords in found if name == "core.py")
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    budget = config["server"]["maxCacheDataSize"]
    assert budget.endswith("mb") and 0 < int(budget[:-2]) <= 512
    # No full collection after every run: make soak measured it at half the server's CPU.
    assert config["runner"]["postScriptGC"] is False


def test_the_download_buttons_hold_no_arrays_and_build_the_same_files():
    # Streamlit keeps a download button's function per session until its next run: it must not
    # hold the result (make soak: ~120 MB per student at the largest tensor).
    import numpy as np

    from bnviz.ui import core as ui
    from bnviz.ui import share
    from bnviz.views import downloads, explorer, source

    values = {f.key: f.default for f in explorer.FIELDS} | {"n": 3, "c": 4, "h": 5, "w": 6}
    recompute = ui.explorer_recompute(values)
    held = [cell.cell_contents for cell in recompute.__closure__]
    assert not any(isinstance(v, np.ndarray | explorer.ExplorerResult) for v in held), held
    result = explorer.compute(source.build(ui.tensor_values(values)).x, values)
    files = downloads.downloads(result)
    assert len(files) == 5
    for k, item in enumerate(files):
        assert share._built_later(recompute, k)() == item.data(), item.label


# --- Whose timeout: the server's or the load generator's -------------------------------------


def _wait(server_cores, probe_latency=0.005, generator_cores=1.9, seconds=120, failed=()):
    """Synthetic samples of a 120 s wait from t = 10 s: the server's and the generator's CPU time
    every second at the given cores, one health probe a second (None where ``failed``)."""
    times = range(0, seconds + 21)
    cpu = [(t, server_cores * t) for t in times]
    generator = [(t, generator_cores * t) for t in times]
    health = [(t + 0.3, None if t in failed else probe_latency) for t in times]
    load = [(t, 6.0) for t in times]
    return soak.window_evidence(
        10, 10 + seconds, cpu=cpu, health=health, generator=generator, load=load
    )


def test_cores_between_is_the_mean_rate_inside_the_window():
    samples = [(0, 0.0), (1, 0.5), (2, 1.0), (3, 3.0)]
    assert soak.cores_between(samples, 0, 2) == pytest.approx(0.5)
    assert soak.cores_between(samples, 0, 3) == pytest.approx(1.0)
    assert soak.cores_between(samples, 2.5, 10) != soak.cores_between(samples, 2.5, 10)  # NaN


def test_an_idle_healthy_server_while_the_browsers_starve_is_the_load_generators_timeout():
    evidence = _wait(server_cores=0.08)
    assert evidence["server_cores"] == pytest.approx(0.08)
    assert evidence["generator_cores"] == pytest.approx(1.9)
    assert (evidence["probes"], evidence["failed_probes"]) == (120, 0)
    assert evidence["slowest_probe"] == pytest.approx(0.005)
    assert evidence["covered"] and evidence["load"] == 6.0
    assert soak.classify_failure(evidence, timeout=True) == soak.LOAD_GENERATOR
    # Not a timeout (a missing element, a closed page): the server's, whatever it did.
    assert soak.classify_failure(evidence, timeout=False) == "not a timeout"


def test_a_busy_server_is_the_servers_timeout():
    assert soak.classify_failure(_wait(server_cores=0.9), timeout=True) == "server busy"
    # Half a core is busy already (the threshold), even with the browsers starving too.
    assert soak.classify_failure(_wait(server_cores=0.5), timeout=True) == "server busy"


def test_an_unresponsive_server_is_the_servers_timeout_even_when_idle():
    # One probe of 120 unanswered (the server down, or its loop blocked past the timeout).
    idle_but_deaf = _wait(server_cores=0.02, failed={60})
    assert idle_but_deaf["failed_probes"] == 1
    assert soak.classify_failure(idle_but_deaf, timeout=True) == "server unresponsive"
    # Every probe answered, but slowly (over a second): its event loop was held up.
    slow = _wait(server_cores=0.1, probe_latency=1.5)
    assert soak.classify_failure(slow, timeout=True) == "server unresponsive"


def test_without_evidence_or_starvation_a_timeout_stays_the_servers():
    # Everyone idle: nothing starved the browser (a lost message would look like this).
    assert soak.classify_failure(_wait(0.05, generator_cores=0.2), timeout=True) == "unexplained"
    # No probes during the wait (the probe process had died): no evidence.
    bare = soak.window_evidence(10, 130, cpu=[(t, 0.05 * t) for t in range(200)], health=[])
    assert not bare["covered"]
    assert soak.classify_failure(bare, timeout=True) == "no evidence"
    # No CPU samples inside the window either.
    nan = soak.window_evidence(10, 130, cpu=[], health=[(t, 0.01) for t in range(10, 131)])
    assert soak.classify_failure(nan, timeout=True) == "no evidence"


def test_the_verdict_is_strict_and_names_a_starved_load_generator():
    ok = {"leaks": 0, "levelled": True}
    assert soak.verdict(server_side=0, starved=0, attempted=100, **ok) == "PASS"
    # A few starved actions (at most 10 %) are reported, not hidden, and do not fail the server.
    assert soak.verdict(server_side=0, starved=10, attempted=100, **ok) == "PASS"
    assert soak.verdict(server_side=0, starved=11, attempted=100, **ok).startswith(
        "INCONCLUSIVE: the load generator starved"
    )
    # Any server-side failure, leak or growth fails, starved or not.
    assert soak.verdict(server_side=1, starved=0, attempted=100, **ok) == "FAIL"
    assert soak.verdict(server_side=1, starved=50, attempted=100, **ok) == "FAIL"
    assert soak.verdict(server_side=0, starved=0, attempted=100, leaks=1, levelled=True) == "FAIL"
    assert soak.verdict(server_side=0, starved=0, attempted=100, leaks=0, levelled=False) == "FAIL"


def test_the_health_probes_are_read_back_with_their_failures():
    assert soak.read_probes("12.5 0.0031\n13.5 -\n\n") == [(12.5, 0.0031), (13.5, None)]


def test_the_load_generators_cpu_is_this_process_tree_without_the_server():
    import os

    own = soak.process_tree_cpu(os.getpid())
    assert os.getpid() in own and own[os.getpid()] > 0
    assert soak.process_tree_cpu(os.getpid(), exclude={os.getpid()}) == {}


def test_a_probe_that_itself_waited_for_a_cpu_is_not_the_servers_delay():
    assert soak.read_probes("14.5 1.5 1.2\n15.5 - 0.1\n16.5 0.01 0.02\n") == [
        (14.5, pytest.approx(0.3)),
        (15.5, None),
        (16.5, 0.0),
    ]
    own = soak.run_queue_waits(__import__("os").getpid())
    assert own and all(v >= 0 for v in own.values())


# --- The warm-up and the measured phase ----------------------------------------------------------


def test_actions_belong_to_the_phase_in_which_they_started():
    timed = [
        ("open", 10.0, 30.0),  # the warm-up's, though it ended after the measured phase began
        ("open", 99.9, 2.0),
        ("open", 100.0, 1.0),  # the measured phase's from its first instant
        ("upload", 150.0, 4.0),
        ("upload", 220.0, 5.0),  # the measured phase's last instant
        ("explorer", 221.0, 1.0),  # after the measured phase (none in a run): dropped
    ]
    phases = soak.split_phases(timed, start=100, end=220)
    assert phases[soak.WARMUP] == {"open": [30.0, 2.0]}
    assert phases[soak.MEASURED] == {"open": [1.0], "upload": [4.0, 5.0]}
    assert soak.split_phases([], start=0, end=1) == {soak.WARMUP: {}, soak.MEASURED: {}}


def test_the_warm_up_ends_when_every_session_finished_a_lesson_or_at_its_bound():
    warmed = {0: 50.0, 1: 80.0, 2: 130.0}
    # At 100 s, two of three have finished their first lesson: not over.
    assert soak.warmup_state(warmed, 3, started=0, now=100, limit_s=360) == (False, 1)
    # The third finishes at 130 s: over, nobody left.
    assert soak.warmup_state(warmed, 3, started=0, now=130, limit_s=360) == (True, 0)
    # A session that never finished (4 of them): over at the bound, with one unfinished.
    assert soak.warmup_state(warmed, 4, started=0, now=359, limit_s=360) == (False, 1)
    assert soak.warmup_state(warmed, 4, started=0, now=360, limit_s=360) == (True, 1)
    assert soak.warmup_state({}, 2, started=10, now=371, limit_s=360) == (True, 2)


def _run(warmup_s: float, measured_s: float, *, ramp: float, growth: float = 0.0):
    """Resident memory sampled each second: 150 MB rising ``ramp`` MB/s through the warm-up, then
    ``growth`` MB/s through the measured phase, with a garbage collection's saw-tooth (±3 MB)."""
    samples = []
    for t in range(int(warmup_s + measured_s) + 1):
        level = 150 + ramp * min(t, warmup_s) + growth * max(0.0, t - warmup_s)
        samples.append((float(t), level + (3 if t % 7 == 0 else -3 if t % 11 == 0 else 0)))
    return samples


def test_the_warm_ups_ramp_is_not_mistaken_for_growth():
    # 30 students arriving and each seeing every page once: +85 MB over 170 s of warm-up, then
    # level through 2 measured minutes.
    samples = _run(170, 120, ramp=0.5)
    warm = soak.memory_summary(samples, start=0, end=170)
    measured = soak.memory_summary(samples, start=170, end=290)
    assert warm["slope_last_half"] == pytest.approx(30, abs=1)  # ramp-up: reported, not judged
    assert measured["slope_last_half"] == pytest.approx(0, abs=1)
    assert soak.levelled_off(measured, mb_per_min=5)
    # Without the warm-up, a 2-minute run from the students' arrival saw only the ramp.
    assert not soak.levelled_off(soak.memory_summary(samples, start=0, end=120), mb_per_min=5)


def test_growth_after_the_warm_up_is_still_growth():
    # Every session warm, yet +0.2 MB/s (12 MB/min) through the measured phase: a leak.
    samples = _run(170, 120, ramp=0.5, growth=0.2)
    measured = soak.memory_summary(samples, start=170, end=290)
    assert measured["slope_last_half"] == pytest.approx(12, abs=1)
    assert not soak.levelled_off(measured, mb_per_min=5)


def test_a_warm_up_that_did_not_end_is_inconclusive_but_errors_still_fail():
    ok = {"server_side": 0, "starved": 0, "attempted": 100, "leaks": 0}
    unfinished = soak.verdict(**ok, levelled=True, unwarmed=3, warmup_max=6)
    assert unfinished.startswith("INCONCLUSIVE: the warm-up did not end: 3 sessions")
    assert "within 6 min" in unfinished
    # Growth measured while some students were still warming up is not judged as a leak ...
    assert soak.verdict(**ok, levelled=False, unwarmed=3).startswith("INCONCLUSIVE")
    # ... but a server-side error or a leak between sessions fails whatever the warm-up did.
    assert soak.verdict(**{**ok, "server_side": 1}, levelled=True, unwarmed=3) == "FAIL"
    assert soak.verdict(**{**ok, "leaks": 1}, levelled=True, unwarmed=3) == "FAIL"
    assert soak.verdict(**ok, levelled=True, unwarmed=0) == "PASS"
