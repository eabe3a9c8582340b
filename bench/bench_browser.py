"""Browser benchmark (issue 10): what a person waits for, measured in a real browser.

Run as ``.venv/bin/python bench/bench_browser.py`` (``make bench-browser``); ``--trials`` sets
the rounds (default 7), ``--only`` a subset of the pages (``--only q1`` is a seconds-long smoke
run), ``--root`` the app's directory (e.g. an exported commit), ``--json`` writes the raw samples.
The whole run takes about 8 minutes on 2 cores; no round starts after ``--max-minutes``.

It serves the app (``streamlit run app.py``) and, in the same run, a bare Streamlit page with
one Plotly heatmap of 200 × 200 cells (``bench/bare_page.py``, the baseline) on free loopback
ports, and drives Debian's chromium with Playwright.  Every trial opens a fresh browser context
(empty cache, new Streamlit session) on a link with a seed not used before, so the server
computes everything afresh, as for a visitor following a link.  Rounds are interleaved: each
round runs every page once (in a rotated order), so the machine's noise hits the app and the
baseline alike.  A first round warms the server up (imports) and is not counted.

Measured (times from the browser's own clock, ``performance.now()`` and event time stamps):

- **page open → first map**: from navigation start until the frame after the first group map
  was drawn (its ``data-lit-group`` set at the end of a drawing) was painted; on pages without a
  map, the first Plotly figure drawn (Local norms, Train vs. inference, the bare page) or the
  first picture loaded (Images).  "→ every map" and "→ complete" wait for every map, plot or
  picture, and the script run's end.
- **control change → redrawn map**: from the key or mouse event that commits a new scheme or
  N until the summary says the new numbers and the map's canvas has been replaced and drawn.
- **click → selected group**: from the mouse press on a cell until the URL holds the cell and
  the panel names its group.
- **hover → lit group**: from the ``mousemove`` event until the map's ``data-lit-group`` holds
  the hovered cell's group (a MutationObserver, so within the frame that draws it); every map of
  the page when they are linked (Compare).  Websocket frames the page sends meanwhile are counted:
  a hover must send none.
- **payload**: the largest websocket frame (the map's data) and the total received while opening
  the largest tensor (64 × 64 × 32 × 32 = 2²² values), and the map payload computed with the
  app's own code.

Where the time goes: the browser's network events (DevTools protocol) time each websocket
message, read as Streamlit's ``ForwardMsg`` (first element, script finished), apart from the
page's busy main thread, whose long tasks are summed; after the browser runs, each page's script
runs alone in Streamlit's AppTest (cold, then again with cached results).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import logging
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
BARE = Path(__file__).resolve().parent / "bare_page.py"
# One set of launch flags and one way to serve a page for tests, scripts and benchmarks:
# tests/conftest.py's.
sys.path.insert(0, str(ROOT / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop, wait_healthy  # noqa: E402

VIEWPORT = {"width": 1400, "height": 1000}

# The links of README's "Questions answered by one link" (sizes), and the largest tensor.
Q1 = "/?n=20&c=10&h=5&w=5"
Q2 = (
    "/?source=samples&samples=sunset,sea,leaves,checker,stained-glass,night-cast,fruit,snow,"
    "dunes,flowers&size=50&conv=1&filters=edge-x,edge-y,laplacian,box-blur,gaussian-blur,"
    "sharpen,emboss&kernel=5"
)
LARGEST = "/?n=64&c=64&h=32&w=32"
Q5 = "/compare?schemes=batch-location,batch-pixel,batch&n=2&c=3&h=4&w=4"
COMPARE4 = "/compare?schemes=batch,group,batch-pixel,layer&n=8&c=16&h=5&w=5"
IMAGES = "/images"
LOCAL = "/local"
TRAINING = "/training"
BARE_LINK = "/?rows=200&cols=200"

# Budgets of issue 10.
HOVER_P95_MS = 50.0
CLICK_P50_MS = 300.0
OPEN_RATIO = 1.5
PAYLOAD_BYTES = 1_500_000

HOVERS_PER_TRIAL = 10
OPEN_TIMEOUT_MS = 90_000
ACTION_TIMEOUT_MS = 60_000

# In-page checks, each a JavaScript function: INIT_JS installs them in every page (window.__bench),
# and bench/soak.py evaluates them as they are.
# Whether the script run has ended (Streamlit's data-test-script-state).
IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute("data-test-script-state") === "notRunning";
}"""
# Every group map's root: they live in open shadow roots (custom components v2).
MAPS_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll("*")) {
    if (el.shadowRoot) out.push(...el.shadowRoot.querySelectorAll(".bnviz-map"));
  }
  return out;
}"""
# Whether a map's root holds a drawn canvas (data-lit-group is set at the end of a drawing).
DRAWN_JS = """(root) => {
  const c = root.querySelector("canvas");
  return !!c && c.width > 0 && c.height > 0 && root.hasAttribute("data-lit-group");
}"""
# How many group maps are drawn.
DRAWN_MAPS_JS = f"() => ({MAPS_JS})().filter({DRAWN_JS}).length"
# How many st.image pictures there are, and how many are loaded.
IMAGES_JS = """() => document.querySelectorAll('[data-testid="stImage"] img').length"""
LOADED_IMAGES_JS = """() =>
  [...document.querySelectorAll('[data-testid="stImage"] img')].filter(
    (i) => i.complete && i.naturalWidth > 0,
  ).length"""
# Whether there are pictures and every one is loaded.
PICTURES_JS = f"""() => {{
  const count = ({IMAGES_JS})();
  return count > 0 && ({LOADED_IMAGES_JS})() === count;
}}"""
# Drawn cells of a map, from its root's geometry: [S, C, R, W].
DRAWN_SHAPE_JS = """(root) => {
  const g = root._geometry;
  const C = Math.round((g.width - g.left - 4 + g.gap) / (g.tileW + g.gap));
  const S = Math.round((g.height - g.top - 4 + g.gap) / (g.tileH + g.gap));
  return [S, C, Math.round(g.tileH / g.cell), Math.round(g.tileW / g.cell)];
}"""

# Helpers installed in every page before its own scripts (window.__bench).
INIT_JS = Template(r"""
(() => {
  const B = (window.__bench = { t0: null, old: [], marks: {}, long: [] });
  // First moments, from the events themselves (not a poll, which long tasks would delay):
  // marks[kind] when the first map / heatmap / picture is drawn or loaded, marks[kind + " shown"]
  // after the next frame was painted (what a person sees).
  const afterPaint = (f) =>
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = f;
      channel.port2.postMessage(0);
    });
  B.mark = (kind) => {
    if (B.marks[kind] != null) return;
    B.marks[kind] = performance.now();
    afterPaint(() => (B.marks[kind + " shown"] = performance.now()));
  };
  // The group map sets data-lit-group at the end of each drawing.
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    setAttribute.call(this, name, value);
    if (name === "data-lit-group" && this.classList.contains("bnviz-map")) B.mark("map");
  };
  // The first Plotly figure with a drawn trace (a heatmap's picture is an <image>).
  const PLOTTED =
    ".js-plotly-plot .heatmaplayer image, .js-plotly-plot .scatterlayer .trace path, " +
    ".js-plotly-plot .barlayer .trace path";
  new MutationObserver(() => {
    if (B.marks.plot == null && document.querySelector(PLOTTED)) B.mark("plot");
  }).observe(document, { childList: true, subtree: true });
  // st.image pictures: the first one loaded.
  document.addEventListener(
    "load",
    (e) => {
      if (e.target.tagName === "IMG" && e.target.closest('[data-testid="stImage"]')) B.mark("image");
    },
    true,
  );
  // Long tasks (> 50 ms) of the page's main thread: [start, duration].
  try {
    new PerformanceObserver((list) => {
      for (const t of list.getEntries()) B.long.push([t.startTime, t.duration]);
    }).observe({ type: "longtask" });
  } catch (e) {}
  B.maps = $MAPS_JS;
  B.drawn = $DRAWN_JS;
  B.drawnMaps = () => B.maps().filter(B.drawn).length;
  B.plots = () => document.querySelectorAll(".js-plotly-plot").length;
  B.drawnPlots = () =>
    [...document.querySelectorAll(".js-plotly-plot")].filter((p) =>
      p.querySelector(".heatmaplayer image, .scatterlayer path, .barlayer path, .gl-container canvas"),
    ).length;
  B.images = $IMAGES_JS;
  B.loadedImages = $LOADED_IMAGES_JS;
  B.idle = $IDLE_JS;
  B.count = (text) =>
    [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')].filter((e) =>
      e.textContent.includes(text),
    ).length;
  B.arm = (type) => {
    B.t0 = null;
    window.addEventListener(type, (e) => (B.t0 = e.timeStamp), { capture: true, once: true });
  };
  B.markOld = () => (B.old = B.maps().map((r) => r.querySelector("canvas")));
  B.replaced = () => {
    const maps = B.maps();
    return maps.length > 0 && maps.every((r) => B.drawn(r) && !B.old.includes(r.querySelector("canvas")));
  };
  // Hover: t0 = the mousemove's time stamp; t1 = when every map lights what it should
  // (want[i]: an exact group id, or null: any group other than before).
  B.hoverArm = (want) => {
    const roots = B.maps();
    const before = roots.map((r) => r.getAttribute("data-lit-group"));
    const h = (B.hover = { t0: null, t1: null, got: before });
    const observer = new MutationObserver(() => {
      if (h.t1 !== null) return;
      h.got = roots.map((r) => r.getAttribute("data-lit-group"));
      const ok = h.got.every((v, i) => (want[i] === null ? v !== "" && v !== before[i] : v === want[i]));
      if (ok) {
        h.t1 = performance.now();
        observer.disconnect();
      }
    });
    roots.forEach((r) => observer.observe(r, { attributes: true, attributeFilter: ["data-lit-group"] }));
    window.addEventListener("mousemove", (e) => (h.t0 = e.timeStamp), { capture: true, once: true });
  };
  // Drawn cells of the i-th map: [S, C, R, W].
  B.drawnShape = (i) => ($DRAWN_SHAPE_JS)(B.maps()[i]);
})();
""").substitute(
    IDLE_JS=IDLE_JS,
    MAPS_JS=MAPS_JS,
    DRAWN_JS=DRAWN_JS,
    IMAGES_JS=IMAGES_JS,
    LOADED_IMAGES_JS=LOADED_IMAGES_JS,
    DRAWN_SHAPE_JS=DRAWN_SHAPE_JS,
)

# Where a drawn cell (s, c, r, w) of a map is on the screen (as tests/browser/test_browser.py).
CELL_CENTRE_JS = """(root, [s, c, r, w]) => {
  const g = root._geometry;
  const box = root.querySelector('canvas').getBoundingClientRect();
  return [box.x + g.left + c * (g.tileW + g.gap) + (w + 0.5) * g.cell,
          box.y + g.top + s * (g.tileH + g.gap) + (r + 0.5) * g.cell]; }"""

# Page open: wait until the first ``kind`` was shown, then until ``all`` holds and the script run
# ended; returns [first shown, first drawn, all (poll time), run ended (poll time)].
OPEN_JS = """([kind, all]) => {
  const B = window.__bench;
  const now = performance.now();
  if (B.marks[kind + " shown"] == null) return false;
  const a = new Function("B", "return " + all)(B);
  if (a && B.allAt == null) B.allAt = now;
  if (B.allAt == null || !B.idle()) return false;
  return [B.marks[kind + " shown"], B.marks[kind], B.allAt, now];
}"""


@dataclass
class Results:
    samples: dict = field(default_factory=dict)  # name -> list of ms (or bytes, frames)
    failures: dict = field(default_factory=dict)  # name -> list of messages

    def add(self, name: str, value: float) -> None:
        self.samples.setdefault(name, []).append(float(value))

    def fail(self, name: str, error: BaseException) -> None:
        self.failures.setdefault(name, []).append(f"{type(error).__name__}: {error}"[:300])


# --- One page in a fresh context -----------------------------------------------------------------


def with_seed(link: str, seed: int) -> str:
    return f"{link}{'&' if '?' in link else '?'}seed={seed}"


class Tab:
    """A fresh browser context and page, with its websocket traffic timed.

    The browser's network events (DevTools protocol) give each websocket frame's time on the
    network, unaffected by the page's busy main thread, and the server's messages are read as
    Streamlit's ``ForwardMsg``: :meth:`frames` gives (page ms, "sent" or the message's type,
    bytes) for each.
    """

    def __init__(self, browser):
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.add_init_script(INIT_JS)
        self.page = self.context.new_page()
        self.raw: list[tuple[float, str, int]] = []  # (network seconds, kind, bytes)
        self.navigation: tuple[float, float] | None = None  # (network seconds, epoch seconds)
        self.socket_open: float | None = None
        self.phases: dict = {}
        self.origin = 0.0  # performance.timeOrigin, epoch ms (set on opening)
        self.action: tuple[float, float] | None = None  # (event, shown), page ms
        cdp = self.context.new_cdp_session(self.page)
        cdp.on("Network.requestWillBeSent", self._on_request)
        cdp.on("Network.webSocketHandshakeResponseReceived", self._on_handshake)
        cdp.on("Network.webSocketFrameSent", self._on_sent)
        cdp.on("Network.webSocketFrameReceived", self._on_received)
        cdp.send("Network.enable")
        self.cdp = cdp

    def _on_request(self, event) -> None:
        if event.get("type") == "Document" and self.navigation is None:
            self.navigation = (event["timestamp"], event["wallTime"])

    def _on_handshake(self, event) -> None:
        if self.socket_open is None:
            self.socket_open = event["timestamp"]

    def _on_sent(self, event) -> None:
        self.raw.append((event["timestamp"], "sent", len(event["response"]["payloadData"])))

    def _on_received(self, event) -> None:
        response = event["response"]
        data = response["payloadData"]
        kind = "text"
        if response.get("opcode") == 2:
            data = base64.b64decode(data)
            with contextlib.suppress(Exception):
                kind = ForwardMsg.FromString(data).WhichOneof("type") or "unknown"
        self.raw.append((event["timestamp"], kind, len(data)))

    @property
    def sent(self) -> int:
        """Websocket frames the page has sent so far."""
        return sum(1 for _, kind, _ in self.raw if kind == "sent")

    @property
    def received(self) -> int:
        return sum(size for _, kind, size in self.raw if kind != "sent")

    @property
    def largest_frame(self) -> int:
        return max((size for _, kind, size in self.raw if kind != "sent"), default=0)

    def page_ms(self, seconds: float) -> float:
        """A network time stamp as ms on the page's clock (from navigation start)."""
        start, wall = self.navigation
        return (seconds - start) * 1000 + (wall * 1000 - self.origin)

    def frames(self) -> list[tuple[float, str, int]]:
        return [(self.page_ms(t), kind, size) for t, kind, size in self.raw]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()

    # Page open --------------------------------------------------------------------------------

    def open(self, url: str, kind: str, complete: str) -> tuple[float, float, float]:
        """Navigate; ms from navigation start until the first ``kind`` ("map", "plot", "image")
        was shown, until ``complete`` held, and until the script run ended.

        ``self.phases`` then holds when the websocket opened, when the first element arrived,
        when the script run finished (network times) and when the map was drawn (before its frame
        was painted), all in ms from navigation start, and the bytes received and the long tasks'
        time until then.
        """
        self.page.goto(url, wait_until="commit", timeout=OPEN_TIMEOUT_MS)
        handle = self.page.wait_for_function(
            OPEN_JS, arg=[kind, complete], polling="raf", timeout=OPEN_TIMEOUT_MS
        )
        shown, drawn, every, done = handle.json_value()
        self.origin = self.page.evaluate("performance.timeOrigin")
        long_tasks = self.page.evaluate("window.__bench.long")
        frames = self.frames()
        finished = [t for t, message, _ in frames if message == "script_finished"]
        deltas = [t for t, message, _ in frames if message == "delta"]
        self.phases = {
            "websocket open": self.page_ms(self.socket_open) if self.socket_open else None,
            "first element": deltas[0] if deltas else None,
            "script finished": finished[0] if finished else None,
            "map drawn": drawn,
            "bytes before the map": sum(size for t, _, size in frames if t <= drawn),
            "long tasks before the map": sum(min(d, shown - t) for t, d in long_tasks if t < shown),
        }
        return shown, every, done

    def wait_idle(self) -> None:
        self.page.wait_for_function(
            "() => window.__bench.idle()", polling="raf", timeout=ACTION_TIMEOUT_MS
        )

    def map_root(self, index: int = 0):
        return self.page.locator(".bnviz-map").nth(index)

    def cell_centre(self, cell, index: int = 0) -> tuple[float, float]:
        return tuple(self.map_root(index).evaluate(CELL_CENTRE_JS, list(cell)))

    def drawn_shape(self, index: int = 0) -> list[int]:
        return self.page.evaluate("(i) => window.__bench.drawnShape(i)", index)

    # Hover ----------------------------------------------------------------------------------

    def hovers(self, index: int, want: Callable[[tuple], list], count: int) -> list[float]:
        """Hover ``count`` cells of map ``index`` in turn; ms from mousemove to lit, each.

        ``want(cell)`` gives, per map of the page, the group id each must light (str) or None
        (any group other than before)."""
        root = self.map_root(index)
        root.scroll_into_view_if_needed()
        S, C, R, W = self.drawn_shape(index)
        times = []
        for i in range(1, count + 1):
            # Consecutive cells differ in every index, so every map lights another group; the
            # first differs from (0, 0, 0, 0), Compare's default selected cell, lit before.
            cell = (i % S, (2 * i + 1) % C, i % R, (i + 1) % W)
            x, y = self.cell_centre(cell, index)
            self.page.evaluate("(w) => window.__bench.hoverArm(w)", want(cell))
            self.page.mouse.move(x, y)
            self.page.wait_for_function(
                "() => window.__bench.hover.t1 !== null && window.__bench.hover.t0 !== null",
                polling="raf",
                timeout=10_000,
            )
            times.append(self.page.evaluate("window.__bench.hover.t1 - window.__bench.hover.t0"))
        return times

    # Click and control change ----------------------------------------------------------------

    def click_cell(self, cell, index: int, url_cell: tuple, text: str, copies: int = 1) -> float:
        """Click drawn ``cell`` of map ``index``; ms from mouse press until the URL holds
        ``url_cell`` and ``copies`` Markdown blocks say ``text``."""
        root = self.map_root(index)
        root.scroll_into_view_if_needed()
        x, y = self.cell_centre(cell, index)
        joined = ",".join(map(str, url_cell))
        pattern = f"cell=({re.escape(joined)}|{re.escape(joined.replace(',', '%2C'))})(&|$)"
        self.page.evaluate("() => window.__bench.arm('mousedown')")
        self.page.mouse.click(x, y)
        handle = self.page.wait_for_function(
            """([pattern, text, copies]) => {
                const B = window.__bench;
                const ok = B.t0 !== null && new RegExp(pattern).test(location.href)
                    && B.count(text) >= copies;
                return ok ? [B.t0, performance.now()] : false; }""",
            arg=[pattern, text, copies],
            polling="raf",
            timeout=ACTION_TIMEOUT_MS,
        )
        t0, shown = handle.json_value()
        self.action = (t0, shown)
        return shown - t0

    def wait_changed(self, text: str) -> float:
        """ms from the armed event until ``text`` shows and every map was replaced and drawn."""
        handle = self.page.wait_for_function(
            """(text) => {
                const B = window.__bench;
                return B.t0 !== null && B.count(text) > 0 && B.replaced()
                    ? [B.t0, performance.now()] : false; }""",
            arg=text,
            polling="raf",
            timeout=ACTION_TIMEOUT_MS,
        )
        t0, shown = handle.json_value()
        self.action = (t0, shown)
        return shown - t0

    def action_phases(self) -> dict:
        """The last action's time split (ms from the event): the page sent its message, the
        server's first answer arrived, its script run finished (call when the page is idle)."""
        t0, shown = self.action
        frames = [(t, kind) for t, kind, _ in self.frames() if t >= t0 - 5]
        sent = next((t for t, kind in frames if kind == "sent"), None)
        after = [(t, kind) for t, kind in frames if sent is not None and t >= sent]
        first = next((t for t, kind in after if kind != "sent"), None)
        finished = next((t for t, kind in after if kind == "script_finished"), None)
        self.phases = {
            "message sent": None if sent is None else sent - t0,
            "first answer": None if first is None else first - t0,
            "script finished": None if finished is None else finished - t0,
        }
        return self.phases

    def choose_scheme(self, option: str, text: str) -> float:
        """Pick ``option`` in the sidebar's Scheme box; ms from the option's click to redrawn."""
        box = self.page.get_by_label("Scheme", exact=True)
        box.click()
        box.fill(option)
        choice = self.page.get_by_role("option", name=option, exact=True).first
        choice.wait_for(timeout=10_000)
        self.page.evaluate("() => { window.__bench.markOld(); window.__bench.arm('mousedown'); }")
        choice.click()
        return self.wait_changed(text)

    def set_number(self, label: str, value: int, text: str) -> float:
        """Type ``value`` into the number input ``label`` and press Enter; ms from Enter."""
        box = self.page.get_by_label(label, exact=True)
        box.fill(str(value))
        self.page.evaluate("() => { window.__bench.markOld(); window.__bench.arm('keydown'); }")
        box.press("Enter")
        return self.wait_changed(text)


# Conditions (JS expressions in B = window.__bench) for a page to count as drawn.
MAP_FIRST = "B.drawnMaps() >= 1"
PLOTS_ALL = "B.plots() > 0 && B.drawnPlots() === B.plots()"
IMAGES_ALL = "B.images() > 0 && B.loadedImages() === B.images()"


def maps_all(count: int) -> str:
    return f"B.drawnMaps() >= {count}"


# --- The pages, one trial each --------------------------------------------------------------------


class Bench:
    def __init__(self, browser, app: str, bare: str, results: Results, hovers: int):
        self.browser = browser
        self.app = app
        self.bare = bare
        self.results = results
        self.hovers = hovers
        self.seed = 1000
        self.counting = False

    def next_seed(self) -> int:
        self.seed += 1
        return self.seed

    def record(self, name: str, value) -> None:
        if self.counting:
            if isinstance(value, list):
                for v in value:
                    self.results.add(name, v)
            else:
                self.results.add(name, value)

    def acted(self, name: str, tab: Tab, ms: float) -> None:
        """Record an action's time and, once the run ended, its phases (:meth:`Tab.action_phases`)."""
        self.record(name, ms)
        tab.wait_idle()
        for phase, value in tab.action_phases().items():
            if value is not None:
                self.record(f"phase: {name}: {phase}", value)

    def opened(
        self, tab: Tab, label: str, url: str, kind: str, complete: str, every: str = ""
    ) -> None:
        """Open ``url``: record ms to the first map (``kind``), to every one (``every`` names
        them), and to the end of the script run."""
        first_ms, all_ms, done_ms = tab.open(url, kind, complete)
        self.record(f"open {label} → first map", first_ms)
        for phase, value in tab.phases.items():
            if value is not None:
                self.record(f"phase: open {label}: {phase}", value)
        if every:
            self.record(f"open {label} → {every}", all_ms)
        self.record(f"open {label} → complete", done_ms)

    def trial(self, name: str, run: Callable[[Tab], None]) -> None:
        tab = Tab(self.browser)
        try:
            run(tab)
            tab.wait_idle()
        except Exception as error:  # one failed trial is reported, the rest go on
            if self.counting:
                self.results.fail(name, error)
            else:
                print(f"  warm-up of {name} failed: {error}".split("\n")[0], flush=True)
        finally:
            tab.close()

    # Each page: a function of the tab.

    def bare_page(self, tab: Tab) -> None:
        url = self.bare + with_seed(BARE_LINK, self.next_seed())
        self.opened(tab, "bare page", url, "plot", PLOTS_ALL)

    def explore(
        self, tab: Tab, link: str, label: str, channels: int, payload: bool = False
    ) -> None:
        """Open the Explorer on ``link`` (a new seed), then hover and click its map; ``payload``:
        record the largest websocket frame and the total received while it opened."""
        url = self.app + with_seed(link, self.next_seed())
        self.opened(tab, f"Explorer {label}", url, "map", MAP_FIRST)
        tab.wait_idle()
        if payload and self.counting:
            self.results.add("payload: largest frame", tab.largest_frame)
            self.results.add("payload: page open total", tab.received)
        self.hover_explorer(tab, label)
        self.click_explorer(tab, label, channels)

    def explorer_q1(self, tab: Tab) -> None:
        self.explore(tab, Q1, "q1", channels=10)
        tab.wait_idle()
        ms = tab.choose_scheme("Layer norm", "20 means and 20 variances")
        self.acted("scheme change Explorer q1", tab, ms)
        tab.wait_idle()
        ms = tab.set_number("N", 24, "24 means and 24 variances")
        self.acted("N change Explorer q1", tab, ms)

    def explorer_q2(self, tab: Tab) -> None:
        self.explore(tab, Q2, "q2", channels=7)

    def explorer_largest(self, tab: Tab) -> None:
        self.explore(tab, LARGEST, "64×64×32×32", channels=64, payload=True)
        tab.wait_idle()
        ms = tab.choose_scheme("Instance norm", "4,096 means and 4,096 variances")
        self.acted("scheme change Explorer 64×64×32×32", tab, ms)

    def hover_explorer(self, tab: Tab, label: str) -> None:
        # Batch norm: the group of cell (n, c, h, w) is c (the first channels are drawn).
        before = tab.sent
        times = tab.hovers(0, lambda cell: [str(cell[1])], self.hovers)
        self.record(f"hover Explorer {label}", times)
        if self.counting:
            self.results.add(f"frames sent: hover Explorer {label}", tab.sent - before)

    def click_explorer(self, tab: Tab, label: str, channels: int) -> None:
        S, C, _, _ = tab.drawn_shape(0)
        k = self.seed
        cell = (1 + k % (S - 1) if S > 1 else 0, 1 + k % (C - 1) if C > 1 else 0, 0, 0)
        text = f"Group {cell[1]} of {channels}"
        self.acted(f"click Explorer {label}", tab, tab.click_cell(cell, 0, cell, text))

    def images(self, tab: Tab) -> None:
        url = self.app + with_seed(IMAGES, self.next_seed())
        self.opened(tab, "Images", url, "image", IMAGES_ALL, "every picture")

    def training(self, tab: Tab) -> None:
        url = self.app + with_seed(TRAINING, self.next_seed())
        self.opened(tab, "Train vs. inference", url, "plot", PLOTS_ALL, "every plot")

    def local(self, tab: Tab) -> None:
        url = self.app + with_seed(LOCAL, self.next_seed())
        self.opened(tab, "Local norms", url, "plot", PLOTS_ALL, "every plot")

    def compare(self, tab: Tab, label: str, link: str, batch_index: int, maps: int) -> None:
        url = self.app + with_seed(link, self.next_seed())
        self.opened(tab, f"Compare {label}", url, "map", maps_all(maps), "every map")
        tab.wait_idle()
        before = tab.sent

        def want(cell):
            groups = [None] * maps
            groups[batch_index] = str(cell[1])
            return groups

        self.record(f"hover Compare {label}", tab.hovers(batch_index, want, self.hovers))
        if self.counting:
            self.results.add(f"frames sent: hover Compare {label}", tab.sent - before)
        S, C, _, _ = tab.drawn_shape(batch_index)
        k = self.seed
        cell = (1 + k % (S - 1) if S > 1 else 0, 1 + k % (C - 1) if C > 1 else 0, 0, 0)
        text = f"Cell {tuple(cell)}"
        ms = tab.click_cell(cell, batch_index, cell, text, copies=maps)
        self.acted(f"click Compare {label}", tab, ms)

    def pages(self) -> dict[str, Callable[[Tab], None]]:
        """The function of each of :data:`PAGES`."""
        return {
            "bare": self.bare_page,
            "q1": self.explorer_q1,
            "q2": self.explorer_q2,
            "largest": self.explorer_largest,
            "images": self.images,
            "q5": lambda tab: self.compare(tab, "q5", Q5, 2, 3),
            "compare4": lambda tab: self.compare(tab, "4 schemes", COMPARE4, 0, 4),
            "local": self.local,
            "training": self.training,
        }


#: The pages a round opens (``--only`` picks some), in order.
PAGES = ("bare", "q1", "q2", "largest", "images", "q5", "compare4", "local", "training")


# --- Server-side time alone (AppTest) and the payload computed in Python ---------------------------


def server_breakdown(root: Path, repeats: int) -> dict:
    """Median script-run times (ms) of each page link in AppTest, no browser: the first run
    (a new seed: cold) and a second run of the same session (cached results)."""
    from streamlit.testing.v1 import AppTest

    # Module-level Streamlit calls outside a script run warn once per page; not news here.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage()
    )
    links = {
        "Explorer q1": Q1,
        "Explorer q2": Q2,
        "Explorer 64×64×32×32": LARGEST,
        "Images": IMAGES,
        "Compare q5": Q5,
        "Compare 4 schemes": COMPARE4,
        "Local norms": LOCAL,
        "Train vs. inference": TRAINING,
    }
    pages = {"/": None, "/images": "pages/images.py", "/compare": "pages/compare.py"}
    pages["/local"] = "pages/local.py"
    pages["/training"] = "pages/training.py"
    out = {}
    seed = 900_000
    AppTest.from_file(str(root / "app.py"), default_timeout=120).run()  # imports, not timed
    for label, link in links.items():
        path, _, query = link.partition("?")
        times = []
        for _ in range(repeats):
            seed += 1
            at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
            if pages.get(path):
                at.switch_page(pages[path])
            params = dict(p.split("=", 1) for p in query.split("&") if p)
            params["seed"] = str(seed)
            for key, value in params.items():
                at.query_params[key] = value
            start = time.perf_counter()
            at.run()
            middle = time.perf_counter()
            at.run()
            times.append(((middle - start) * 1000, (time.perf_counter() - middle) * 1000))
            if at.exception:
                raise RuntimeError(f"{label}: {at.exception[0].value}")
        out[label] = tuple(statistics.median(t[k] for t in times) for k in (0, 1))
    return out


def payload_in_python(root: Path) -> dict | None:
    """The Explorer's map payload at 64 × 64 × 32 × 32, built with the app's own code (bytes),
    and the time of each step (ms); None when the package's layout is not one this knows."""
    sys.path.insert(0, str(root))
    try:
        try:  # the layout of bnviz at the time of writing
            from bnviz import explorer, tensors
        except ImportError:  # after the package was split into subpackages
            from bnviz.views import explorer
            from bnviz.views import source as tensors
        values = {f.key: f.default for f in explorer.FIELDS}
        values.update(n=64, c=64, h=32, w=32, seed=7)
        steps = {}
        start = time.perf_counter()
        tensor = tensors.build(values, ())
        steps["tensor"] = time.perf_counter()
        result = explorer.compute(tensor.x, values)
        steps["normalize and groups"] = time.perf_counter()
        payload = explorer.group_map_payload(result, tensor=tensor)
        steps["map payload"] = time.perf_counter()
    except Exception as error:  # reported, not fatal
        return {"error": f"{type(error).__name__}: {error}"}
    finally:
        sys.path.remove(str(root))
    times, last = {}, start
    for name, t in steps.items():
        times[name] = (t - last) * 1000
        last = t
    return {"bytes": len(payload), "ms": times}


# --- Report ---------------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


PAGE_ORDER = (
    "bare page", "Explorer q1", "Explorer q2", "Explorer 64×64×32×32", "Images", "Compare q5",
    "Compare 4 schemes", "Local norms", "Train vs. inference",
)  # fmt: skip
KIND_ORDER = ("open", "scheme change", "N change", "click", "hover")


def _order(name: str) -> tuple:
    kind = next((k for k, prefix in enumerate(KIND_ORDER) if name.startswith(prefix)), 9)
    page = next((k for k, p in enumerate(PAGE_ORDER) if p in name), 9)
    return (kind, page, "complete" in name, name)


def report(results: Results, python_payload: dict | None, server: dict | None) -> list[str]:
    """The table (p50, p95, ratio to the bare page), the budgets, and where the time goes."""
    s = results.samples
    bare_key = "open bare page → first map"
    bare = statistics.median(s[bare_key]) if s.get(bare_key) else None
    lines = [f"{'measurement':<44} {'n':>3} {'p50 ms':>7} {'p95 ms':>7} {'vs bare':>8}  budget"]
    checks = []
    names = sorted(
        (n for n in s if not n.startswith(("payload", "frames sent", "phase"))), key=_order
    )
    for name in names:
        values = s[name]
        p50, high = statistics.median(values), p95(values)
        ratio, target = "", ""
        if name.startswith("open ") and bare:
            ratio = f"{p50 / bare:.2f}×"
            if name.endswith("→ first map") and name != bare_key:
                ok = p50 <= OPEN_RATIO * bare
                target = f"p50 ≤ {OPEN_RATIO}× bare: {verdict(ok)}"
                checks.append((name, ok))
        elif name.startswith("hover"):
            sent = int(sum(s.get(f"frames sent: {name}", [0])))
            ok = high <= HOVER_P95_MS and sent == 0
            target = f"p95 ≤ {HOVER_P95_MS:.0f} ms, no rerun ({sent} frames sent): {verdict(ok)}"
            checks.append((name, ok))
        elif name.startswith(("click", "scheme change", "N change")):
            ok = p50 <= CLICK_P50_MS
            target = f"p50 ≤ {CLICK_P50_MS:.0f} ms: {verdict(ok)}"
            checks.append((name, ok))
        lines.append(
            f"{name:<44} {len(values):>3} {p50:>7.0f} {high:>7.0f} {ratio:>8}  {target}".rstrip()
        )
    if s.get("payload: largest frame"):
        frame = max(s["payload: largest frame"])
        total = statistics.median(s["payload: page open total"])
        ok = frame <= PAYLOAD_BYTES
        lines.append(
            f"payload at 64×64×32×32: largest websocket frame {frame:,.0f} B (the map); the page "
            f"open receives {total:,.0f} B in all; budget ≤ {PAYLOAD_BYTES:,} B: {verdict(ok)}"
        )
        checks.append(("payload at 64×64×32×32", ok))
    if python_payload:
        if "error" in python_payload:
            lines.append(f"map payload in Python: not computed ({python_payload['error']})")
        else:
            steps = ", ".join(f"{k} {v:.0f} ms" for k, v in python_payload["ms"].items())
            lines.append(
                f"map payload built in Python at 64×64×32×32: {python_payload['bytes']:,} B "
                f"({steps})"
            )
    phases = [n for n in s if n.startswith("phase: open ")]
    if phases:
        lines += [
            "",
            "page open, where the time goes (p50, ms from navigation start): the websocket "
            "opens (Streamlit's page and scripts loaded); the first element arrives and the "
            "script run finishes (network times of the server's messages); the map is drawn; its "
            "frame is painted (= first map above). Long tasks: the page's main-thread tasks over "
            "50 ms until then, in all; received: websocket bytes until the map was drawn.",
            f"  {'page':<22} {'ws open':>7} {'1st elem':>8} {'finished':>8} {'drawn':>7} "
            f"{'shown':>7} {'long tasks':>10} {'received':>9}",
        ]
        for page in PAGE_ORDER:
            key = f"phase: open {page}: "
            if key + "map drawn" not in s:
                continue

            def median(phase, key=key):
                values = s.get(key + phase)
                return statistics.median(values) if values else float("nan")

            shown = statistics.median(s[f"open {page} → first map"])
            lines.append(
                f"  {page:<22} {median('websocket open'):>7.0f} {median('first element'):>8.0f} "
                f"{median('script finished'):>8.0f} {median('map drawn'):>7.0f} {shown:>7.0f} "
                f"{median('long tasks before the map'):>10.0f} "
                f"{median('bytes before the map') / 1000:>6.0f} kB"
            )
    actions = sorted(
        {
            n.split(": ")[1]
            for n in s
            if n.startswith("phase: ") and not n.startswith("phase: open")
        },
        key=_order,
    )
    if actions:
        lines += [
            "",
            "clicks and control changes, where the time goes (p50, ms from the mouse or key "
            "event): the page sends its message; the server's first answer arrives (rerun "
            "started); the script run finishes (network times); the change shows",
            f"  {'action':<36} {'sent':>6} {'1st answer':>10} {'finished':>8} {'shown':>6}",
        ]
        for name in actions:

            def median(phase, name=name):
                values = s.get(f"phase: {name}: {phase}")
                return statistics.median(values) if values else float("nan")

            lines.append(
                f"  {name:<36} {median('message sent'):>6.0f} {median('first answer'):>10.0f} "
                f"{median('script finished'):>8.0f} {statistics.median(s[name]):>6.0f}"
            )
    if server:
        lines += [
            "",
            "server side alone: each page's script run in AppTest (median ms): cold (a new "
            "seed: everything computed), and run again (cached results, as after a click)",
            f"  {'page':<22} {'cold':>7} {'again':>7}",
        ]
        for label, (cold, again) in server.items():
            lines.append(f"  {label:<22} {cold:>7.0f} {again:>7.0f}")
    for name, errors in results.failures.items():
        lines.append(f"FAILED {len(errors)} trial(s) of {name}: {errors[0]}")
    missed = [name for name, ok in checks if not ok]
    lines.append("")
    if missed:
        lines.append("budgets missed: " + "; ".join(missed))
    elif checks:
        lines.append("every budget measured was met")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=7, help="counted rounds (default 7)")
    parser.add_argument("--hovers", type=int, default=HOVERS_PER_TRIAL, help="hovers a trial")
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated pages: {','.join(PAGES)} (default all)",
    )
    parser.add_argument("--no-warmup", action="store_true", help="count the first round too")
    parser.add_argument(
        "--breakdown",
        type=int,
        default=3,
        help="AppTest runs a page for the server-side times (0: none)",
    )
    parser.add_argument(
        "--max-minutes", type=float, default=8.5, help="start no round after this (default 8.5)"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="the app's directory")
    parser.add_argument("--json", type=Path, help="write the raw samples here")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"chromium not found at {CHROMIUM}: install Debian's chromium (make setup-dev)")
        return 2
    from playwright.sync_api import sync_playwright

    chosen = [p.strip() for p in args.only.split(",") if p.strip()] or list(PAGES)
    unknown = set(chosen) - set(PAGES)
    if unknown:
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")
    root = args.root.resolve()
    results = Results()
    started = time.monotonic()
    load_before = os.getloadavg()
    servers = []
    try:
        app_process, app_url = start_server(root / "app.py", root)
        servers.append(app_process)
        bare_url = ""
        if "bare" in chosen:
            bare_process, bare_url = start_server(BARE, root)
            servers.append(bare_process)
            wait_healthy(bare_process, bare_url)
        wait_healthy(app_process, app_url)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            bench = Bench(browser, app_url, bare_url, results, args.hovers)
            pages = bench.pages()
            rounds = args.trials + (0 if args.no_warmup else 1)
            for round_index in range(rounds):
                if time.monotonic() - started > args.max_minutes * 60:
                    print(f"stopping after {round_index} rounds: over {args.max_minutes} min")
                    break
                bench.counting = args.no_warmup or round_index > 0
                print(
                    f"round {round_index + 1}/{rounds} at {time.monotonic() - started:.0f} s"
                    + ("" if bench.counting else " (warm-up, not counted)"),
                    flush=True,
                )
                shift = round_index % len(chosen)  # rotate the order: no page always first
                for name in chosen[shift:] + chosen[:shift]:
                    bench.trial(name, pages[name])
            browser.close()
    finally:
        for process in servers:
            stop(process)
    browser_seconds = time.monotonic() - started
    load_after = os.getloadavg()
    server = None
    if args.breakdown > 0 and not args.only:
        try:
            server = server_breakdown(root, args.breakdown)
        except Exception as error:
            print(f"server-side breakdown not measured: {error}")
    python_payload = payload_in_python(root) if not args.only or "largest" in args.only else None
    print()
    print(
        f"bnviz browser benchmark: {args.trials} trials, chromium {VIEWPORT['width']}×"
        f"{VIEWPORT['height']}, {browser_seconds:.0f} s in the browser on {os.cpu_count()} cores; "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )
    for line in report(results, python_payload, server):
        print(line)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "samples": results.samples,
                    "failures": results.failures,
                    "server_ms": server,
                    "python_payload": python_payload,
                },
                indent=1,
                ensure_ascii=False,
            )
        )
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
