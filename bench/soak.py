"""Classroom soak (issue 16): many students on one server, each following a scripted lesson.

Run as ``.venv/bin/python bench/soak.py`` (``make soak``; ``make soak SOAK_ARGS="--sessions 30
--minutes 2"``).  It serves the app (``streamlit run app.py``) on a loopback port and opens
``--sessions`` browser contexts in one headless chromium (Playwright's async API, so they run at
once), each a student who arrives within the first ``--arrival`` seconds and repeats the
lesson (one lesson of warm-up, then ``--minutes`` measured: **Two phases** below):

1. **open** the teacher's link (README's question 1, the same link for everyone: a new session),
2. **scheme**: pick another scheme in the sidebar,
3. **seed**: type a seed of its own (so each student's tensor, and URL, is its own),
4. **click** a cell of the group map (the canvas in the component's shadow root),
5. **compare**: switch to the Compare page by its sidebar link, and **compare click** a cell there,
6. **images**: switch to the Images page, **upload** a picture of its own (``student-07.jpg``,
   a JPEG of 1600 × 1200 in a colour no other student has) and see it named on the page,
7. **explorer**: switch back to the Explorer, which now shows that picture.

Each action is timed from its trigger until the page shows its result and the script run has
ended (Streamlit's ``data-test-script-state`` is ``notRunning``): the URL holds the new value,
the map is drawn, the picture is named (checked every ``--poll`` ms, 100: not every animation
frame, which had 30 pages walk their DOM 60 times a second on the load generator's cores).  A
student waits ``--think`` seconds (± 50 %) between actions.  Counted as the server's errors:
page exceptions, console errors, Streamlit exception elements, and actions that fail, unless
the evidence below shows that the load generator, not the server, made one time out.  Checked
for leaks between sessions: every page a student sees names only
its own picture, and at the end, with every session still open, each page's URL is the one its
own last action left (its own seed, nobody else's).

**Two phases.**  A run is the standard load test's warm-up, then its measured phase.  In the
**warm-up** the students arrive and each completes one whole lesson: every session's first visit
to each page and its first upload, which fill the server's (bounded) caches and per-session
state.  That is ramp-up, not a leak, and it is excluded from the memory verdict: with 30
students on 2 cores one lesson takes them 2 to 4 minutes, so a 2-minute run without it measured
nothing but arrivals.  A student who has finished its first lesson waits; once every one has
(or ``--warmup-max`` minutes, 6, have passed: then the verdict is INCONCLUSIVE, with how many
had not), the **measured phase** of ``--minutes`` (2) begins for everyone at once, and they go
on with the lesson (their second, third, ...; at most ``--lessons`` of them).  The memory slope
and level-off verdict, the p50/p95 latencies and the server's CPU per action are the measured
phase's (an action belongs to the phase in which it started); the warm-up's figures are printed
too, under their own label.  Errors, failed actions and leaks count in both phases.

The server's resident memory (``VmRSS`` of ``/proc/<pid>/status``) and CPU time are sampled
every second: the report gives, for each phase, memory first / middle / last / peak and the
slope of its last half (the measured phase's must level off), what one session costs (a warm-up
quantity: the mean resident memory over the 5 s at the end of the warm-up, with every student's
session open and each having seen every page once and uploaded its picture, minus the mean over
3 s with one warm session open before the class arrived, divided by the number of sessions), and
the server's CPU time per action.  Chromium stands in for the students' own
machines: it runs at ``--browser-nice`` (10) and, by default, under ``SCHED_IDLE``
(``--browser-sched idle``), so that on a small machine the server keeps the CPU it would have in
a classroom (at nice 10 alone, 30 browsers kept the server's threads waiting for a CPU ~1 s per
second, and its health answers took up to 2.6 s; under ``SCHED_IDLE`` 0.14 s per second and
71 ms); latencies still include the browsers' share of the cores.

**Whose timeout.**  On one small machine the 30 browsers share the cores with the server (in a
classroom each student has a machine of their own), so an action can time out because its
browser never got the CPU to send the request or draw the answer.  The soak also samples, every
second, the load generator's CPU time (this process and its children but the server and the
probe: chromium, Playwright's driver) and the load average, and a separate process at the
server's priority asks ``/_stcore/health`` every second (timeout 5 s) and notes how long the
answer took.  For each failed action, over its wait (from its trigger until it failed), a
timeout is the **load generator's** only if all of these hold:

- the server used less than ``SERVER_BUSY_CORES`` (half) of a core on average.  One process runs
  the scripts on one core (Python's lock); at half a core it was idle at least half the wait,
  60 s of a 120 s timeout, while an action costs it ~0.1 s: its queue cannot have held the
  action that long.  At half a core or more it was busy enough to be (part of) the cause;
- every health probe during the wait was answered, each within ``HEALTH_SLOW_S`` (1 s): the
  server's event loop (which also carries the sessions' websockets) kept answering.  Locally an
  answer takes a few ms; a second means the loop was blocked or the process starved;
- the probes covered the wait (at least one per 2 s): otherwise there is no evidence;
- the load generator used at least ``GENERATOR_BUSY_CORES`` (0.8) cores: positive evidence that
  the browsers were short of CPU (chromium's browser process, which carries every context's
  input and IPC, is one process: near a full core it queues everyone).  A timeout with the
  server *and* the browsers idle is not starvation: a lost message looks like that, so it
  counts against the server ("unexplained");
- it was a timeout: a missing element or a closed page is not starvation.

Everything else is the server's.  The verdict: **PASS** only with no server-side error, no leak
and memory levelled off; the load generator's timeouts are listed with their evidence under
their own heading; if they are more than ``STARVED_SHARE`` (10 %) of the actions tried, the run
measured the load generator rather than the server, and the verdict is **INCONCLUSIVE** (fewer
sessions, or browsers on other machines), exit status 1 as for FAIL.  10 % allows the odd
starved action on a small machine while refusing a run in which a tenth of what the students did
never reached the server in time.

Bounded: at most ``MAX_SESSIONS`` sessions; the warm-up lasts at most ``--warmup-max`` minutes (a
student still in its first lesson then stops at the measured phase's end); no action starts
after the measured ``--minutes``; the whole run is cut off ``GRACE_S`` seconds after the warm-up's
bound plus the measured minutes; the server and chromium are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

#: This file run as the health probe (``soak.py --probe URL``, :func:`probe_health`): it needs
#: none of the browsers' helpers, whose imports (Streamlit's, 0.6 s and 75 MB) it skips.
PROBE = __name__ == "__main__" and sys.argv[1:2] == ["--probe"]
if not PROBE:
    # Checks evaluated in the page (every --poll ms), and where a drawn cell is.
    from bench_browser import (
        CELL_CENTRE_JS,
        DRAWN_MAPS_JS,
        DRAWN_SHAPE_JS,
        IDLE_JS,
        PICTURES_JS,
    )
    from conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop, wait_healthy

MAX_SESSIONS = 60
#: After the warm-up's bound and the measured minutes: the longest an action can take (two
#: minutes) and closing.
GRACE_S = 180.0
#: The warm-up's bound (minutes): every student finishes one lesson within it, or INCONCLUSIVE.
WARMUP_MAX_MIN = 6.0
#: Seconds at the end of the warm-up over which "one session costs" takes the loaded memory.
COST_WINDOW_S = 5.0
WARMUP = "warm-up"
MEASURED = "measured"
ACTION_TIMEOUT_MS = 120_000
#: How often a page's condition is checked (ms): latencies are resolved to it.  Not every
#: animation frame: 30 pages each walking their DOM 60 times a second was the browsers' work.
POLL_MS = 100
#: Thresholds that tell the load generator's timeouts from the server's (module docstring).
SERVER_BUSY_CORES = 0.5
HEALTH_SLOW_S = 1.0
GENERATOR_BUSY_CORES = 0.8
STARVED_SHARE = 0.10
HEALTH_INTERVAL_S = 1.0
HEALTH_TIMEOUT_S = 5.0
LOAD_GENERATOR = "load generator"
VIEWPORT = {"width": 1280, "height": 900}
#: A student's browser: reduced motion spares the browsers drawing animations (spinners), which
#: changes nothing a student does or the server sees.
CONTEXT_OPTIONS = {"viewport": VIEWPORT, "reduced_motion": "reduce", "service_workers": "block"}
#: The teacher's link: README's question 1 ("What are the spatial locations?").
TEACHER_LINK = "/?n=20&c=10&h=5&w=5&cell=0,3,2,2"
#: Schemes a student tries in turn (not batch, the default: its URL would lose the field).
SCHEMES = (("instance", "Instance norm"), ("layer", "Layer norm"), ("group", "Group norm"))
ACTIONS = (
    "open",
    "scheme",
    "seed",
    "click",
    "compare",
    "compare click",
    "images",
    "upload",
    "explorer",
)
EXPLORER = "Which cells share a mean and a variance?"
STUDENT = re.compile(r"student-(\d\d)")


# --- Summary statistics (pure) ---------------------------------------------------------------


def percentile(values, q: float) -> float:
    """The ``q``-th percentile (0–100) of ``values``, linearly interpolated between order
    statistics (NumPy's default): the median of [1, 2, 3, 4] is 2.5."""
    data = sorted(float(v) for v in values)
    if not data:
        raise ValueError("no values")
    position = (len(data) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (position - low)


def robust_slope(points) -> float:
    """Theil–Sen slope of ``points`` [(t, y), ...]: the median of the slopes between every two
    points (a garbage collection's dip or one large computation's spike moves it little)."""
    points = list(points)
    slopes = [
        (y2 - y1) / (t2 - t1)
        for k, (t1, y1) in enumerate(points)
        for t2, y2 in points[k + 1 :]
        if t2 != t1
    ]
    return percentile(slopes, 50) if slopes else 0.0


def memory_summary(samples, *, start: float, end: float) -> dict:
    """Resident memory over the lesson: ``samples`` [(seconds, MB), ...], ``start`` and ``end``
    a phase's time span (samples outside are ignored).

    Returns first, middle, last and peak MB, and the slope of the last half in MB per minute
    (:func:`robust_slope` of one sample in five: a transient does not count as growth).
    """
    inside = [(t, mb) for t, mb in samples if start <= t <= end]
    if not inside:
        raise ValueError("no memory samples in the phase")
    half = start + (end - start) / 2
    last_half = [(t, mb) for t, mb in inside if t >= half]
    return {
        "first": inside[0][1],
        "middle": min(inside, key=lambda s: abs(s[0] - half))[1],
        "last": inside[-1][1],
        "peak": max(mb for _, mb in inside),
        "slope_last_half": robust_slope(last_half[::5]) * 60,
        "samples": len(inside),
    }


def levelled_off(summary: dict, *, mb_per_min: float) -> bool:
    """Whether memory stopped growing: the last half's slope is at most ``mb_per_min``."""
    return summary["slope_last_half"] <= mb_per_min


def per_session_mb(baseline_mb: float, loaded_mb: float, sessions: int) -> float:
    """What one session costs: the rise of resident memory over the server's with one warm
    session open (``baseline_mb``) once ``sessions`` more are open, shared out."""
    return (loaded_mb - baseline_mb) / sessions


def latency_rows(latencies: dict) -> list[tuple]:
    """(action, count, p50, p95, max) in seconds, in the lesson's order, from {action: [s, ...]}."""
    order = {name: k for k, name in enumerate(ACTIONS)}
    rows = []
    for name in sorted(latencies, key=lambda n: (order.get(n, len(order)), n)):
        times = latencies[name]
        if times:
            rows.append(
                (name, len(times), percentile(times, 50), percentile(times, 95), max(times))
            )
    return rows


def split_phases(timed, *, start: float, end: float) -> dict:
    """The actions' latencies by phase: ``timed`` [(action, started, seconds), ...], ``start`` and
    ``end`` the measured phase's.  An action started before ``start`` is the warm-up's, one
    started in [``start``, ``end``] the measured phase's (later ones, none, are dropped).
    Returns {WARMUP: {action: [s, ...]}, MEASURED: {...}}."""
    out: dict = {WARMUP: {}, MEASURED: {}}
    for action, started, seconds in timed:
        if started < start:
            phase = WARMUP
        elif started <= end:
            phase = MEASURED
        else:
            continue
        out[phase].setdefault(action, []).append(seconds)
    return out


def warmup_state(warmed: dict, sessions: int, *, started: float, now: float, limit_s: float):
    """Whether the warm-up is over at ``now``, and how many of the ``sessions`` had not finished
    their first lesson: ``warmed`` {session: when its first lesson ended}, ``started`` when the
    class began arriving, ``limit_s`` the warm-up's bound.  Over when every session has finished
    one lesson, or when the bound has passed (then the unfinished count is the reason the
    verdict is INCONCLUSIVE)."""
    unfinished = sessions - sum(1 for t in warmed.values() if t <= now)
    return unfinished == 0 or now - started >= limit_s, unfinished


def leak_problems(final_urls: dict, last_urls: dict, seeds: dict, names_seen: dict) -> list[str]:
    """What leaked between sessions (an empty list: nothing).

    Parameters
    ----------
    final_urls : dict
        session → its page's URL once every session has finished.
    last_urls : dict
        session → the URL its own last action left.
    seeds : dict
        session → the seeds it typed (each session's are its own).
    names_seen : dict
        session → the student numbers (``student-07.jpg`` → 7) named on any page it saw.
    """
    problems = []
    owner = {seed: session for session, mine in seeds.items() for seed in mine}
    for session, url in sorted(final_urls.items()):
        query = dict(parse_qsl(urlsplit(url).query))
        if url != last_urls.get(session):
            problems.append(
                f"session {session}: URL {url!r} is not what its last action left "
                f"({last_urls.get(session)!r})"
            )
        seed = query.get("seed")
        if seed is not None and owner.get(int(seed), session) != session:
            problems.append(
                f"session {session}: its URL holds seed {seed}, session {owner[int(seed)]}'s"
            )
    for session, seen in sorted(names_seen.items()):
        others = sorted(n for n in seen if n != session)
        if others:
            problems.append(f"session {session} saw the pictures of sessions {others}")
    return problems


# --- Whose timeout (pure) ------------------------------------------------------------------------


def cores_between(cumulative, start: float, end: float) -> float:
    """Mean CPU use in cores over [``start``, ``end``] from ``cumulative`` [(s, CPU s), ...]
    samples (the first and last inside the window); NaN with fewer than two inside."""
    inside = [(t, cpu) for t, cpu in cumulative if start <= t <= end]
    if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
        return float("nan")
    return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])


def window_evidence(
    start: float,
    end: float,
    *,
    cpu,
    health,
    generator=(),
    load=(),
    server_wait=(),
    interval=HEALTH_INTERVAL_S,
) -> dict:
    """What the server (and the load generator) did while an action waited, [``start``, ``end``].

    ``cpu`` and ``generator``: [(s, CPU s), ...] of the server and of the load generator (the
    browsers, Playwright's driver, this script); ``health``: [(s, latency s or None), ...], one
    ``/_stcore/health`` probe each, by when it was sent (None: no answer, or not 200); ``load``:
    [(s, load average), ...].  Returns the seconds, the server's and the generator's mean cores,
    the probes sent, how many failed, the slowest answer, whether the probes covered the window
    (at least one per two ``interval``) and the mean load average (NaN where there are none).
    """
    probes = [latency for t, latency in health if start <= t <= end]
    answered = [latency for latency in probes if latency is not None]
    loads = [value for t, value in load if start <= t <= end]
    seconds = end - start
    return {
        "seconds": seconds,
        "server_cores": cores_between(cpu, start, end),
        "generator_cores": cores_between(generator, start, end),
        "probes": len(probes),
        "failed_probes": len(probes) - len(answered),
        "slowest_probe": max(answered) if answered else float("nan"),
        "covered": len(probes) >= max(1, int(seconds / (2 * interval))),
        "load": sum(loads) / len(loads) if loads else float("nan"),
        # Seconds the server's threads (together) waited for a CPU per second: evidence of the
        # browsers' starving the server, not a criterion.
        "server_wait": cores_between(server_wait, start, end),
    }


def classify_failure(evidence: dict, *, timeout: bool) -> str:
    """Whose fault a failed action is, from :func:`window_evidence` of its wait.

    :data:`LOAD_GENERATOR` only with positive evidence on every count: it timed out, the server
    answered every health probe within :data:`HEALTH_SLOW_S` and used less than
    :data:`SERVER_BUSY_CORES` of a core, and the load generator used at least
    :data:`GENERATOR_BUSY_CORES`.  Anything else is the server's: ``"server unresponsive"``,
    ``"server busy"``, ``"not a timeout"`` (a missing element, a closed page: not starvation),
    ``"no evidence"`` (too few samples or probes), ``"unexplained"`` (everyone idle: a lost
    message looks like this)."""
    if evidence["failed_probes"] or evidence["slowest_probe"] > HEALTH_SLOW_S:
        return "server unresponsive"
    if not evidence["covered"] or evidence["server_cores"] != evidence["server_cores"]:
        return "no evidence"  # NaN: fewer than two CPU samples
    if evidence["server_cores"] >= SERVER_BUSY_CORES:
        return "server busy"
    if not timeout:
        return "not a timeout"
    if not evidence["generator_cores"] >= GENERATOR_BUSY_CORES:  # NaN counts as idle
        return "unexplained"
    return LOAD_GENERATOR


def verdict(
    *,
    server_side: int,
    starved: int,
    attempted: int,
    leaks: int,
    levelled: bool,
    unwarmed: int = 0,
    warmup_max: float = WARMUP_MAX_MIN,
) -> str:
    """PASS only with no server-side failure, no leak and memory levelled off in the measured
    phase; and, if more than :data:`STARVED_SHARE` of the ``attempted`` actions were the load
    generator's timeouts (``starved``), INCONCLUSIVE rather than PASS: the run measured the
    generator.  If ``unwarmed`` sessions had not finished their first lesson within the
    warm-up's bound (``warmup_max`` minutes), the measured phase was still ramp-up: INCONCLUSIVE
    rather than PASS or a FAIL for memory (server-side errors and leaks still fail)."""
    if server_side or leaks:
        return "FAIL"
    if unwarmed:
        return (
            f"INCONCLUSIVE: the warm-up did not end: {unwarmed} sessions had not finished one "
            f"lesson within {warmup_max:g} min; run fewer sessions or a longer --warmup-max"
        )
    if not levelled:
        return "FAIL"
    if starved > STARVED_SHARE * max(attempted, 1):
        return (
            "INCONCLUSIVE: the load generator starved; run fewer sessions or browsers on other "
            "machines"
        )
    return "PASS"


# --- The server and its memory --------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (VmRSS of /proc/<pid>/status)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def process_stat(pid) -> tuple[int, float]:
    """(parent's pid, user + system CPU seconds so far) of process ``pid`` (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (/proc/<pid>/stat)."""
    return process_stat(pid)[1]


def process_tree_cpu(root: int, exclude=()) -> dict:
    """CPU time so far {pid: CPU s} of ``root`` and its descendants, without the processes in
    ``exclude`` and theirs (one pass over /proc)."""
    parents, times = {}, {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            pid = int(entry.name)
            parents[pid], times[pid] = process_stat(pid)
    children: dict = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    out, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in exclude or pid not in times:
            continue
        out[pid] = times[pid]
        todo.extend(children.get(pid, ()))
    return out


def run_queue_waits(pid: int) -> dict:
    """{thread id: seconds it has waited for a CPU while runnable} of process ``pid``
    (/proc/<pid>/task/<tid>/schedstat, its second field, in ns)."""
    out = {}
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with (
                contextlib.suppress(OSError, IndexError, ValueError),
                open(f"/proc/{pid}/task/{tid}/schedstat") as stat,
            ):
                out[int(tid)] = int(stat.read().split()[1]) / 1e9
    return out


class Sampler(threading.Thread):
    """Samples the server every ``interval`` seconds: its resident memory, (monotonic s, MB), and
    its CPU time, (monotonic s, CPU s); the load generator's CPU time (this process and its
    children but the server and the health probe: the browsers, Playwright's driver), counting
    what processes that exited had used; and the load average.  Started before the browsers
    lower their priority (``os.nice`` is per thread on Linux), it keeps the server's."""

    def __init__(self, pid: int, interval: float = 1.0, exclude=()):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.exclude = {pid, *exclude}
        self.samples: list[tuple[float, float]] = []
        self.cpu: list[tuple[float, float]] = []
        self.generator: list[tuple[float, float]] = []
        self.load: list[tuple[float, float]] = []
        # The server's threads' time waiting for a CPU (run queue), cumulative s.
        self.server_wait: list[tuple[float, float]] = []
        self._waits: dict = {}
        self._wait_total = 0.0
        self.done = threading.Event()
        self._seen: dict = {}
        self._generator_total = 0.0

    def generator_cpu(self) -> float:
        for pid, cpu in process_tree_cpu(os.getpid(), self.exclude).items():
            self._generator_total += max(0.0, cpu - self._seen.get(pid, 0.0))
            self._seen[pid] = cpu
        return self._generator_total

    def server_waited(self) -> float:
        for tid, waited in run_queue_waits(self.pid).items():
            self._wait_total += max(0.0, waited - self._waits.get(tid, 0.0))
            self._waits[tid] = waited
        return self._wait_total

    def run(self) -> None:
        while not self.done.is_set():
            with contextlib.suppress(OSError, RuntimeError):
                now = time.monotonic()
                self.samples.append((now, rss_mb(self.pid)))
                self.cpu.append((now, cpu_seconds(self.pid)))
                self.generator.append((now, self.generator_cpu()))
                self.load.append((now, os.getloadavg()[0]))
                self.server_wait.append((now, self.server_waited()))
            self.done.wait(self.interval)

    def mean_between(self, start: float, end: float) -> float:
        inside = [mb for t, mb in self.samples if start <= t <= end]
        return sum(inside) / len(inside) if inside else float("nan")

    def cpu_between(self, start: float, end: float) -> float:
        inside = [cpu for t, cpu in self.cpu if start <= t <= end]
        return inside[-1] - inside[0] if len(inside) > 1 else float("nan")


def probe_health(url: str, interval: float = HEALTH_INTERVAL_S) -> None:
    """Run as ``soak.py --probe URL`` (a process of its own, at the server's priority, so neither
    the browsers' niceness nor this script's lock delays it): every ``interval`` seconds GET
    ``URL/_stcore/health`` and print ``monotonic-seconds latency own-wait`` (latency ``-`` for no
    answer within ``HEALTH_TIMEOUT_S`` or not 200; own-wait: how long this process itself waited
    for a CPU meanwhile, which is not the server's), one line each."""
    import urllib.request

    while True:
        waited = sum(run_queue_waits(os.getpid()).values())
        sent = time.monotonic()
        latency = "-"
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=HEALTH_TIMEOUT_S) as response,
        ):
            response.read()
            if response.status == 200:
                latency = f"{time.monotonic() - sent:.4f}"
        own = sum(run_queue_waits(os.getpid()).values()) - waited
        print(f"{sent:.3f} {latency} {own:.4f}", flush=True)
        time.sleep(max(0.0, interval - (time.monotonic() - sent)))


def read_probes(text: str) -> list[tuple[float, float | None]]:
    """The health probes printed by :func:`probe_health`: [(sent, latency or None), ...], the
    latency without the time the probe itself waited for a CPU (its third column, if any)."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) in (2, 3):
            own = float(parts[2]) if len(parts) == 3 else 0.0
            latency = None if parts[1] == "-" else max(0.0, float(parts[1]) - own)
            out.append((float(parts[0]), latency))
    return out


# --- One student ------------------------------------------------------------------------------


def student_picture(session: int, width: int = 1600) -> bytes:
    """A JPEG photo of this session's own, ``width`` × ¾ ``width`` pixels (by default about a
    phone photo scaled for the web, ~0.3 MB): a gradient in a colour of its own, with noise."""
    import numpy as np
    from PIL import Image

    height = width * 3 // 4
    rng = np.random.default_rng(session)
    ramp = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    colour = np.array([40 + 3 * session, 200 - 2 * session, 90], dtype=np.float32)
    pixels = colour * (0.4 + 0.6 * ramp) + rng.normal(0, 12, (height, width, 3))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


class ActionError(Exception):
    """An action of the lesson did not reach its result (its name first)."""


@dataclass
class Record:
    errors: list = field(default_factory=list)  # (session, kind, text)
    seeds: dict = field(default_factory=dict)  # session -> {seed, ...}
    last_urls: dict = field(default_factory=dict)
    names_seen: dict = field(default_factory=dict)  # session -> {student number, ...}
    lessons: dict = field(default_factory=dict)  # session -> lessons completed
    # Every action done: (action, started, seconds), split into phases after the run.
    timed: list = field(default_factory=list)
    warmed: dict = field(default_factory=dict)  # session -> when its first lesson ended
    # Actions that failed: (session, action, start s, end s, timed out, "Type: text"), judged
    # after the run (classify_failure) against what the server did meanwhile.
    failures: list = field(default_factory=list)

    def error(self, session: int, kind: str, text: str) -> None:
        self.errors.append((session, kind, str(text)[:300]))


class Student:
    def __init__(
        self,
        session: int,
        page,
        url: str,
        record: Record,
        think: float,
        seed: int,
        picture_width: int = 1600,
        link: str = TEACHER_LINK,
        poll=POLL_MS,
    ):
        self.session, self.page, self.url, self.record = session, page, url, record
        self.think, self.link, self.poll = think, link, poll
        self.deadline = None  # set when the measured phase begins (Phase.begin)
        self.clicked = None  # the drawn cell clicked last
        self.rng = random.Random(seed)
        self.picture = student_picture(session, picture_width)

    async def wait(self, condition: str, arg=None) -> None:
        await self.page.wait_for_function(
            condition, arg=arg, polling=self.poll, timeout=ACTION_TIMEOUT_MS
        )

    async def idle(self) -> None:
        await self.wait(IDLE_JS)

    async def url_has(self, key: str, value: str) -> None:
        """Wait until the URL's ``key`` is ``value`` and the script run has ended."""
        pattern = (
            f"[?&]{re.escape(key)}=({re.escape(value)}|{re.escape(value.replace(',', '%2C'))})(&|$)"
        )
        await self.wait(
            """([pattern, idle]) => new RegExp(pattern).test(location.href) &&
                new Function("return (" + idle + ")()")()""",
            [pattern, IDLE_JS],
        )

    async def on_page(self, path: str, title: str, maps: int = 0) -> None:
        """Wait until the page at ``path`` shows its ``title``, ``maps`` drawn maps, and its
        script run has ended."""
        await self.wait(
            """([path, title, maps, count, idle]) => location.pathname === path &&
                [...document.querySelectorAll("h1")].some((h) => h.textContent.includes(title)) &&
                new Function("return (" + count + ")()")() >= maps &&
                new Function("return (" + idle + ")()")()""",
            [path, title, maps, DRAWN_MAPS_JS, IDLE_JS],
        )

    async def act(self, name: str, run) -> None:
        start = time.monotonic()
        try:
            await run()
        except Exception as error:
            text = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            self.record.failures.append(
                (
                    self.session,
                    name,
                    start,
                    time.monotonic(),
                    "Timeout" in type(error).__name__,
                    text[:300],
                )
            )
            raise ActionError(f"{name}: {type(error).__name__}: {error}") from error
        self.record.timed.append((name, start, time.monotonic() - start))
        exceptions = self.page.locator('[data-testid="stException"]')
        for k in range(await exceptions.count()):
            text = await exceptions.nth(k).inner_text()
            self.record.error(self.session, "exception element", f"after {name}: {text}")
        self.record.last_urls[self.session] = self.page.url
        text = await self.page.locator("body").inner_text()
        seen = {int(n) for n in STUDENT.findall(text)}
        self.record.names_seen.setdefault(self.session, set()).update(seen)
        await asyncio.sleep(self.think * self.rng.uniform(0.5, 1.5))

    async def click_cell(self) -> None:
        """Click a random drawn cell of the page's first map (another than the one clicked
        last); wait until the URL holds a new selected cell and the script run has ended.

        On a large tensor the map draws a subset (every k-th row, ...), so the URL's cell is the
        tensor's, not the drawn one: the condition is a change."""
        root = self.page.locator(".bnviz-map").first
        await root.scroll_into_view_if_needed()
        s, c, r, w = await root.evaluate(DRAWN_SHAPE_JS)
        while True:
            cell = tuple(self.rng.randrange(k) for k in (s, c, r, w))
            if cell != self.clicked or s * c * r * w == 1:
                break
        self.clicked = cell
        before = dict(parse_qsl(urlsplit(self.page.url).query)).get("cell", "")
        x, y = await root.evaluate(CELL_CENTRE_JS, list(cell))
        await self.page.mouse.click(x, y)
        await self.wait(
            """([before, idle]) => {
                const cell = new URLSearchParams(location.search).get("cell");
                return cell !== null && cell !== before &&
                    new Function("return (" + idle + ")()")(); }""",
            [before, IDLE_JS],
        )

    async def lesson(self, number: int) -> None:
        page, s = self.page, self.session

        async def open_link():
            await page.goto(self.url + self.link, wait_until="commit")
            await self.on_page("/", EXPLORER, maps=1)

        async def scheme():
            scheme_id, label = SCHEMES[(s + number) % len(SCHEMES)]
            box = page.get_by_label("Scheme", exact=True)
            await box.click()
            await box.fill(label)
            await page.get_by_role("option", name=label, exact=True).first.click()
            await self.url_has("scheme", scheme_id)

        async def seed():
            value = 1000 + 100 * s + number
            self.record.seeds.setdefault(s, set()).add(value)
            box = page.get_by_label("seed", exact=True)
            await box.fill(str(value))
            await box.press("Enter")
            await self.url_has("seed", str(value))

        async def click():
            await self.click_cell()

        async def compare():
            await page.get_by_role("link", name="Compare").first.click()
            await self.on_page("/compare", "Compare schemes", maps=2)

        async def compare_click():
            await self.click_cell()

        async def images():
            await page.get_by_role("link", name="Images").first.click()
            await self.on_page("/images", "Seeing images normalized")
            await self.wait(PICTURES_JS)

        async def upload():
            await page.get_by_text("Your pictures", exact=True).first.click()
            await self.url_has("source", "upload")
            name = f"student-{s:02d}.jpg"
            await page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
                files=[{"name": name, "mimeType": "image/jpeg", "buffer": self.picture}]
            )
            await page.get_by_text(f"student-{s:02d}", exact=False).first.wait_for(
                timeout=ACTION_TIMEOUT_MS
            )
            await self.idle()
            await self.wait(PICTURES_JS)  # as a student, who sees the pictures before going on

        async def explorer():
            await page.get_by_role("link", name="Explorer").first.click()
            await self.on_page("/", EXPLORER, maps=1)

        steps = (open_link, scheme, seed, click, compare, compare_click, images, upload, explorer)
        for name, step in zip(ACTIONS, steps, strict=True):
            if self.deadline is not None and time.monotonic() >= self.deadline:
                return
            await self.act(name, step)


def watch(page, session: int, record: Record) -> None:
    """Count the page's exceptions and console errors (with the failed request's address)."""

    def on_console(message) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            record.error(session, "console error", f"{message.text} {where}".strip())

    page.on("pageerror", lambda error: record.error(session, "page exception", error))
    page.on("console", on_console)


@dataclass
class Phase:
    """The measured phase, shared by the students: ``started`` is set when it begins, with its
    ``deadline``, which is also set on every student in ``students`` (one still in its first
    lesson then stops at it)."""

    started: asyncio.Event = field(default_factory=asyncio.Event)
    deadline: float | None = None
    students: list = field(default_factory=list)

    def begin(self, deadline: float) -> None:
        self.deadline = deadline
        for me in self.students:
            me.deadline = deadline
        self.started.set()


async def student(session: int, browser, url: str, record: Record, args, phase: Phase) -> tuple:
    """One student in a context of its own: one lesson of warm-up (noted in ``record.warmed``),
    then, once the measured ``phase`` has begun, lessons until its deadline or ``args.lessons``
    more."""
    context = await browser.new_context(**CONTEXT_OPTIONS)
    context.set_default_timeout(ACTION_TIMEOUT_MS)  # finding an element, too, may wait long
    page = await context.new_page()
    watch(page, session, record)
    me = Student(
        session, page, url, record, args.think, session, args.picture_width, args.link, args.poll
    )
    phase.students.append(me)
    me.deadline = phase.deadline  # None before the phase begins (Phase.begin then sets it)
    number = 0
    # Students arrive over ``args.arrival`` seconds (spread evenly), as a class following a link.
    await asyncio.sleep(args.arrival * session / max(args.sessions, 1))
    try:
        while number <= args.lessons:  # lesson 0 is the warm-up
            if number == 1:
                await phase.started.wait()  # everyone starts the measured phase at once
            if me.deadline is not None and time.monotonic() >= me.deadline:
                break
            try:
                await me.lesson(number)
            except Exception as error:  # a timeout or a missing element: counted, then go on
                if not isinstance(error, ActionError):  # (an action's is in record.failures)
                    record.error(session, "lesson failed", str(error).split("\n")[0])
                if args.shots:
                    with contextlib.suppress(Exception):
                        await page.screenshot(
                            path=args.shots / f"failed-{session}-{number}.png", full_page=True
                        )
                record.last_urls[session] = page.url
            number += 1
            record.lessons[session] = number
            if number == 1:
                record.warmed[session] = time.monotonic()
    finally:
        # The context stays open until every student has finished (the leak check reads it).
        record.lessons.setdefault(session, number)
    return context, page


async def classroom(url: str, args, record: Record) -> dict:
    from playwright.async_api import async_playwright

    times: dict = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # One warm session first, one whole lesson (imports, every page's first run), kept
            # open: the baseline a session is counted from.  Its own record: not in the figures.
            first = Record()
            context = await browser.new_context(**CONTEXT_OPTIONS)
            first_page = await context.new_page()
            watch(first_page, args.sessions, first)
            me = Student(
                args.sessions,
                first_page,
                url,
                first,
                0.0,
                -1,
                args.picture_width,
                args.link,
                args.poll,
            )
            try:
                await me.lesson(0)
            except Exception as error:
                first.error(
                    args.sessions, "first session failed", f"{type(error).__name__}: {error}"
                )
                if args.shots:
                    await first_page.screenshot(path=args.shots / "failed-first-session.png")
            if first.errors:
                record.errors.extend(first.errors)
            await asyncio.sleep(4)
            times["baseline"] = (time.monotonic() - 3, time.monotonic())

            # The warm-up: the class arrives and each student finishes one lesson (or the bound).
            times["warmup_start"] = time.monotonic()
            hard_limit = times["warmup_start"] + (args.warmup_max + args.minutes) * 60 + GRACE_S
            phase = Phase()
            tasks = [
                asyncio.create_task(student(k, browser, url, record, args, phase))
                for k in range(args.sessions)
            ]
            while True:
                over, unwarmed = warmup_state(
                    record.warmed,
                    args.sessions,
                    started=times["warmup_start"],
                    now=time.monotonic(),
                    limit_s=args.warmup_max * 60,
                )
                if over or all(task.done() for task in tasks):
                    break
                await asyncio.sleep(0.25)
            times["unwarmed"] = unwarmed
            # Everyone idle, every session open: the memory one session costs is read here.
            await asyncio.sleep(COST_WINDOW_S)
            times["cost"] = (time.monotonic() - COST_WINDOW_S, time.monotonic())

            # The measured phase, for everyone at once.
            times["start"] = time.monotonic()
            phase.begin(times["start"] + args.minutes * 60)
            done, pending = await asyncio.wait(
                tasks, timeout=max(0.0, hard_limit - time.monotonic())
            )
            times["end"] = time.monotonic()
            for task in pending:
                task.cancel()
                record.error(-1, "cut off", "a session was still busy at the hard limit")
            opened = {}  # session -> (context, page), by the task's own number
            for k, task in enumerate(tasks):
                if task in done and task.exception() is None:
                    opened[k] = task.result()
                elif task in done:
                    record.error(k, "session failed", repr(task.exception()))
            # Every session still open: each page's URL is what its own last action left.
            times["final_urls"] = {k: page.url for k, (_, page) in opened.items()}
            for student_context, _ in [*opened.values(), (context, None)]:
                with contextlib.suppress(Exception):
                    await student_context.close()
            await asyncio.sleep(5)
            times["closed"] = time.monotonic()
        finally:
            await browser.close()
    return times


# --- Report ------------------------------------------------------------------------------------


def sampled_evidence(start: float, end: float, sampler: Sampler, health) -> dict:
    """:func:`window_evidence` over [start, end] from what ``sampler`` and the probes recorded."""
    return window_evidence(
        start,
        end,
        cpu=sampler.cpu,
        health=health,
        generator=sampler.generator,
        load=sampler.load,
        server_wait=sampler.server_wait,
    )


def judge_failures(record: Record, sampler: Sampler, health) -> list[dict]:
    """Each failed action with the evidence of its wait and whose fault it was."""
    judged = []
    for session, action, start, end, timeout, text in record.failures:
        evidence = sampled_evidence(start, end, sampler, health)
        kind = classify_failure(evidence, timeout=timeout)
        judged.append(
            {
                "session": session,
                "action": action,
                "start": start,
                "end": end,
                "error": text,
                "kind": kind,
                **evidence,
            }
        )
    return judged


def describe(failure: dict, origin: float) -> str:
    """One line: a failed action, its wait and what the server and the generator did."""
    return (
        f"  session {failure['session']}, {failure['action']}, {failure['kind']}: waited "
        f"{failure['seconds']:.0f} s from +{failure['start'] - origin:.0f} s ({failure['error']}); "
        f"server {failure['server_cores']:.2f} of a core, health probes "
        f"{failure['probes'] - failure['failed_probes']}/{failure['probes']} answered, slowest "
        f"{failure['slowest_probe']:.2f} s; load generator {failure['generator_cores']:.2f} "
        f"cores, load average {failure['load']:.1f}; the server waited for a CPU "
        f"{failure['server_wait']:.2f} s per s"
    )


def latency_table(latencies: dict) -> list[str]:
    """The p50 / p95 / max table of ``latencies`` {action: [s, ...]}, one row per action."""
    lines = [f"{'action':<16}{'count':>7}{'p50 s':>9}{'p95 s':>9}{'max s':>9}"]
    for name, count, p50, p95, top in latency_rows(latencies):
        lines.append(f"{name:<16}{count:>7}{p50:>9.2f}{p95:>9.2f}{top:>9.2f}")
    return lines


def during_line(label: str, start: float, end: float, sampler: Sampler, health) -> str:
    """What the server, the load generator and the health probes did over [start, end]."""
    during = sampled_evidence(start, end, sampler, health)
    answered = sorted(latency for t, latency in health if start <= t <= end and latency is not None)
    return (
        f"during {label}: server {during['server_cores']:.2f} of a core, load generator "
        f"{during['generator_cores']:.2f} of {os.cpu_count()} cores, load average "
        f"{during['load']:.1f}; the server waited for a CPU {during['server_wait']:.2f} s per s; "
        f"health probes {len(answered)}/{during['probes']} answered, p50 "
        + (
            f"{percentile(answered, 50) * 1000:.0f} ms, max {answered[-1] * 1000:.0f} ms"
            if answered
            else "-"
        )
    )


def memory_text(summary: dict | None) -> str:
    if summary is None:
        return "no samples"
    return (
        f"first {summary['first']:.0f}, middle {summary['middle']:.0f}, last "
        f"{summary['last']:.0f}, peak {summary['peak']:.0f}; slope of the last half "
        f"{summary['slope_last_half']:+.1f} MB/min"
    )


def report(args, record: Record, sampler: Sampler, times: dict, load, health=()) -> list[str]:
    start, end, warmup_start = times["start"], times["end"], times["warmup_start"]
    lines = [
        f"Classroom soak: {args.sessions} sessions on {args.link}: a warm-up of one lesson each "
        f"(at most {args.warmup_max:g} min), then {args.minutes:g} min measured; arriving "
        f"over {args.arrival:g} s, think {args.think:g} s, chromium at nice {args.browser_nice} "
        f"({args.browser_sched} policy), "
        f"results checked every {args.poll if args.poll == 'raf' else f'{args.poll} ms'}; "
        f"load average {load[0]:.1f} → {load[1]:.1f} ({os.cpu_count()} cores, shared with others)"
    ]
    phases = split_phases(record.timed, start=start, end=end)
    failed = {
        WARMUP: [f for f in record.failures if f[2] < start],
        MEASURED: [f for f in record.failures if f[2] >= start],
    }

    def summary(first: float, last: float):
        with contextlib.suppress(ValueError):
            return memory_summary(sampler.samples, start=first, end=last)
        return None

    def cpu_per_action(first: float, last: float, actions: int) -> str:
        cpu = sampler.cpu_between(first, last)
        return f"{cpu:.1f} s over {last - first:.0f} s, {cpu / max(actions, 1) * 1000:.0f} ms per action"

    # The warm-up: ramp-up, reported in full, judged only for errors and leaks.
    warmed = [t for t in record.warmed.values() if t <= start]
    unwarmed = times.get("unwarmed", 0)
    warm_actions = sum(len(v) for v in phases[WARMUP].values())
    lines.append("")
    lines.append(
        f"WARM-UP (not in the memory verdict, the latencies or the CPU below it): the class "
        f"arrived and {len(warmed)} of {args.sessions} sessions finished one lesson"
        + (f" in {max(warmed) - warmup_start:.0f} s" if warmed else "")
        + (f"; {unwarmed} had not within {args.warmup_max:g} min" if unwarmed else "")
        + f"; actions: {warm_actions} done, {len(failed[WARMUP])} failed"
    )
    lines.extend(latency_table(phases[WARMUP]))
    lines.append(during_line("the warm-up", warmup_start, start, sampler, health))
    baseline = sampler.mean_between(*times["baseline"])
    loaded = sampler.mean_between(*times["cost"])
    lines.append(
        f"warm-up server memory (RSS, MB): one warm session {baseline:.0f}; warm-up "
        f"{memory_text(summary(warmup_start, start))} (ramp-up: not judged); every session open "
        f"and idle at its end {loaded:.0f}"
    )
    lines.append(
        f"one session costs {per_session_mb(baseline, loaded, args.sessions):.1f} MB (mean RSS over "
        f"{COST_WINDOW_S:g} s with the class idle after its warm-up lesson, each having seen every "
        f"page and uploaded its picture, minus one warm session's, over the {args.sessions} more)"
    )
    lines.append(f"warm-up server CPU: {cpu_per_action(warmup_start, start, warm_actions)}")

    # The measured phase: what the verdict's memory, latencies and CPU are about.
    actions = sum(len(v) for v in phases[MEASURED].values())
    lessons = sum(max(0, n - 1) for n in record.lessons.values())
    lines.append("")
    lines.append(
        f"MEASURED PHASE ({end - start:.0f} s, every student warm, all starting at once): "
        f"lessons begun {lessons} (one cut at {args.minutes:g} min counts); actions: {actions} "
        f"done, {len(failed[MEASURED])} failed"
    )
    lines.extend(latency_table(phases[MEASURED]))
    lines.append(during_line("the measured phase", start, end, sampler, health))
    memory = summary(start, end)
    levelled = memory is not None and levelled_off(memory, mb_per_min=args.level)
    after = sampler.mean_between(times["closed"] - 3, times["closed"] + 1)
    lines.append(
        f"server memory (RSS, MB): measured {memory_text(memory)} "
        f"({'levelled off' if levelled else 'STILL GROWING'}, at most {args.level:g} MB/min "
        f"counts as levelled); 5 s after closing {after:.0f}"
    )
    lines.append(f"server CPU: {cpu_per_action(start, end, actions)}")

    # Both phases: errors, whose timeouts, leaks.
    lines.append("")
    attempted = len(record.timed) + len(record.failures)
    kinds: dict = {}
    for _, kind, _ in record.errors:
        kinds[kind] = kinds.get(kind, 0) + 1
    judged = judge_failures(record, sampler, health)
    starved = [f for f in judged if f["kind"] == LOAD_GENERATOR]
    server_failures = [f for f in judged if f["kind"] != LOAD_GENERATOR]
    for failure in server_failures:
        kinds[f"action failed, {failure['kind']}"] = (
            kinds.get(f"action failed, {failure['kind']}", 0) + 1
        )
    server_side = len(record.errors) + len(server_failures)
    lines.append(
        f"errors: {server_side} in both phases"
        + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ")" if kinds else "")
    )
    for session, kind, text in record.errors[:10]:
        lines.append(f"  session {session}: {kind}: {text}")
    lines.extend(describe(f, warmup_start) for f in server_failures[:10])
    lines.append(
        f"LOAD-GENERATOR TIMEOUTS (both phases): {len(starved)} of {attempted} actions "
        f"({100 * len(starved) / max(attempted, 1):.1f} %; the server idle, under "
        f"{SERVER_BUSY_CORES:g} of a core, and answering health within {HEALTH_SLOW_S:g} s while "
        f"the browsers, at {GENERATOR_BUSY_CORES:g} core or more, waited)"
    )
    lines.extend(describe(f, warmup_start) for f in starved[:10])
    problems = leak_problems(
        times.get("final_urls", {}), record.last_urls, record.seeds, record.names_seen
    )
    lines.append(f"leaks between sessions: {len(problems)}")
    lines.extend(f"  {p}" for p in problems[:10])
    lines.append(
        "verdict: "
        + verdict(
            server_side=server_side,
            starved=len(starved),
            attempted=attempted,
            leaks=len(problems),
            levelled=levelled,
            unwarmed=unwarmed,
            warmup_max=args.warmup_max,
        )
    )
    return lines


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--probe"]:
        probe_health(argv[1])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument(
        "--minutes", type=float, default=2.0, help="the measured phase, after the warm-up"
    )
    parser.add_argument(
        "--warmup-max",
        type=float,
        default=WARMUP_MAX_MIN,
        help="minutes within which every student must finish its first lesson (the warm-up)",
    )
    parser.add_argument(
        "--think", type=float, default=3.0, help="seconds between actions (± 50 %%)"
    )
    parser.add_argument(
        "--lessons",
        type=int,
        default=1000,
        help="at most this many lessons per student after the warm-up's one",
    )
    parser.add_argument(
        "--picture-width", type=int, default=1600, help="pixels across each uploaded JPEG"
    )
    parser.add_argument(
        "--link",
        default=TEACHER_LINK,
        help="the teacher's link (path and query), e.g. /?n=64&c=64&h=32&w=32 for the largest",
    )
    parser.add_argument(
        "--arrival", type=float, default=20.0, help="seconds over which the students arrive"
    )
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=10,
        help="niceness of chromium (the students' machines), so the server keeps its CPU",
    )
    parser.add_argument(
        "--browser-sched",
        choices=("idle", "normal"),
        default="idle",
        help="chromium's scheduling policy: idle (SCHED_IDLE: only CPU the server leaves) or "
        "normal (only --browser-nice)",
    )
    parser.add_argument(
        "--poll",
        type=lambda v: v if v == "raf" else int(v),
        default=POLL_MS,
        help="how often a page checks an action's result: ms, or raf (every animation frame)",
    )
    parser.add_argument("--port", type=int, default=0, help="server port (0: a free one)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the app's directory")
    parser.add_argument(
        "--level", type=float, default=5.0, help="MB/min of the last half that counts as levelled"
    )
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    parser.add_argument("--shots", type=Path, help="a folder for screenshots of failed actions")
    parser.add_argument(
        "--server-option",
        action="append",
        default=[],
        help="extra option for streamlit run, e.g. --server-option=--runner.postScriptGC=false",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be 1 to {MAX_SESSIONS}")
    if not 0 < args.minutes <= 30:
        parser.error("--minutes must be in (0, 30]")
    if not 0 < args.warmup_max <= 30:
        parser.error("--warmup-max must be in (0, 30]")
    if args.port:
        # A server left on the port would answer for ours (which could not bind): refuse.
        try:
            with socket.socket() as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server
                sock.bind(("127.0.0.1", args.port))
        except OSError:
            parser.error(f"port {args.port} is in use")
    root = args.root.resolve()
    process, url = start_server(root / "app.py", root, args.port, tuple(args.server_option))
    record = Record()
    probe = None
    with tempfile.TemporaryFile("w+") as probes_out:
        try:
            wait_healthy(process, url)
            # The health probe, a process of its own at the server's priority (started before the
            # browsers lower theirs).
            probe = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--probe", url],
                stdout=probes_out,
                stderr=subprocess.DEVNULL,
            )
            sampler = Sampler(process.pid, exclude=(probe.pid,))
            sampler.start()
            # The browsers stand in for the students' own machines: they yield the CPU to the
            # server (children inherit the niceness; the server was started before).
            os.nice(args.browser_nice)
            if args.browser_sched == "idle":  # and run only when the server does not need a CPU
                os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            load_before = os.getloadavg()[0]
            times = asyncio.run(classroom(url, args, record))
            load_after = os.getloadavg()[0]
            sampler.done.set()
            sampler.join(timeout=5)
        finally:
            if probe is not None:
                stop(probe)
            stop(process)
        probes_out.seek(0)
        health = read_probes(probes_out.read())
    lines = report(args, record, sampler, times, (load_before, load_after), health)
    print("\n".join(lines))
    if args.json:
        actions = dict.fromkeys(action for action, _, _ in record.timed)
        latencies = {a: [s for b, _, s in record.timed if b == a] for a in actions}
        args.json.write_text(
            json.dumps(
                {
                    "latencies": latencies,  # {action: [s, ...]}, from timed
                    "errors": record.errors,
                    "memory": sampler.samples,
                    "times": {k: v for k, v in times.items() if k != "final_urls"},
                    "cpu": sampler.cpu,
                    "generator_cpu": sampler.generator,
                    "load": sampler.load,
                    "server_wait": sampler.server_wait,
                    "health": health,
                    "failures": record.failures,
                    "timed": record.timed,
                    "warmed": record.warmed,
                },
                indent=1,
            )
        )
    return 0 if lines[-1] == "verdict: PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
