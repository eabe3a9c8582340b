"""Shared fixtures and helpers: the app's path; a Streamlit script served on a loopback port
(start_server, wait_healthy, stop: the browser tests' app_url, the benchmarks and the soak run)
and Debian's chromium with its flags; every scheme configuration (scheme_configs) and a
hypothesis strategy over them (scheme_cases)."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import settings
from hypothesis import strategies as st

# CI runs the property tests on hypothesis's fixed seed (HYPOTHESIS_PROFILE=ci in .ci/run), so a
# red CI always reproduces and a change never fails for a draw unrelated to it; local runs keep
# hypothesis's fresh random draws, which is where new counter-examples are found.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags that work on these machines (see shared/notes): no sandbox as root, no outside traffic.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def open_app(page: str | None = None, query=None):
    """Run the app headless (AppTest) on ``page`` (e.g. "pages/compare.py"; None: the Explorer)
    with ``query`` as URL parameters, and check it raised nothing."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    if page:
        at.switch_page(page)
    for key, value in dict(query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_link(link: str):
    """:func:`open_app` on a link from the server's root, e.g. ``/compare?schemes=batch,layer``
    (its query URL-decoded)."""
    parts = urlsplit(link)
    page = parts.path.strip("/")
    return open_app(f"pages/{page}.py" if page else None, parse_qsl(parts.query))


def pytest_collection_modifyitems(config, items):
    """Browser tests skip with one reason where chromium is missing, except in CI (they must run)."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("BNVIZ_REQUIRE_BROWSER"):
        raise pytest.UsageError(
            f"Browser tests must run here, but chromium was not found at {CHROMIUM}."
        )
    skip = pytest.mark.skip(
        reason="Debian's chromium is not installed (make test installs it as root)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    script: Path, cwd: Path, port: int | None = None, extra: tuple = ()
) -> tuple[subprocess.Popen, str]:
    """Serve ``script`` headless on the loopback address (a free port unless ``port``), with
    ``extra`` Streamlit options; the process and its URL."""
    port = port or free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            *extra,
        ],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_healthy(process: subprocess.Popen, url: str, seconds: float = 90) -> None:
    """Return once the server at ``url`` answers its health check; RuntimeError if ``process``
    exits first or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while True:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response,
        ):
            if response.status == 200:
                return
        if process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server for {url} did not answer within {seconds:.0f} s")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    """Terminate ``process`` if it runs; kill it if it has not ended 10 s later."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def app_url():
    """Serve app.py on a free loopback port for the session; stop it at the end."""
    process, url = start_server(ROOT / "app.py", ROOT)
    try:
        wait_healthy(process, url, seconds=60)
    except RuntimeError as error:
        stop(process)
        pytest.fail(f"the Streamlit server did not start: {error}")
    yield url
    stop(process)


def scheme_configs(channels: int):
    """Every (scheme id, params) the engine accepts with C = ``channels``, read from the
    declarations: each allowed value of a parameter with ``choices`` (G: every divisor of C),
    every kept-axes set, both values of every boolean."""
    import itertools

    import bnviz
    from bnviz.engine.schemes import AXES_SUBSETS

    for scheme in bnviz.SCHEMES.values():
        options = []
        for param in scheme.params:
            if param.choices is not None:
                values = list(param.choices(channels))
            elif param.kind == "axes":
                values = list(AXES_SUBSETS)
            elif param.kind == "bool":
                values = [False, True]
            else:
                values = [param.value_for(channels)]
            options.append([(param.name, value) for value in values])
        for combo in itertools.product(*options):
            yield scheme.id, dict(combo)


SIZES = st.integers(1, 5)  # scheme_cases' default for each size


@st.composite
def scheme_cases(draw, batch=SIZES, channels=SIZES, side=SIZES):
    """A shape (N, C, *trailing) of rank 2, 3 or 4 (N drawn from ``batch``, C from ``channels``,
    each trailing size from ``side``), a scheme drawn evenly from ``bnviz.SCHEMES`` and one of its
    configurations with that C (as :func:`scheme_configs` lists them): (shape, scheme id, params)."""
    import bnviz

    rank = draw(st.sampled_from([2, 3, 4]))
    shape = (draw(batch), draw(channels), *(draw(side) for _ in range(rank - 2)))
    scheme = draw(st.sampled_from(list(bnviz.SCHEMES)))
    configs = [params for scheme_id, params in scheme_configs(shape[1]) if scheme_id == scheme]
    return shape, scheme, draw(st.sampled_from(configs))
