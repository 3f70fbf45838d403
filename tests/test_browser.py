"""A real browser: JupyterLab on localhost driven by Debian's chromium through Playwright.

What a new user sees: the tour notebook runs in JupyterLab, the explorer widget
is live (changing the destination and pressing Trace shows a new verdict and
trace), and the HTML report shows its verdict table and a trace. Screenshots go
to ``tests/artifacts/`` (git-ignored) for the CI job to publish.

Needs the ``browser`` extra (``pip install -e '.[browser]'``: Playwright for
Python, JupyterLab) and a system Chromium (``apt-get install chromium``; never
Playwright's own download). Under CI (``$NETVERIFY_CI``, set by ``.ci/run``) a
missing browser or one that cannot start fails the test with the reason; locally
the test is skipped only when chromium (or Playwright) is not installed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"
IN_CI = bool(os.environ.get("NETVERIFY_CI"))
#: Flags for a headless Chromium in a container without network access (see .ci/run).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def _unavailable(reason: str):
    """Fail under CI (a browser test that silently does nothing is no test), else skip."""
    if IN_CI:
        pytest.fail(f"browser test cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str:
    path = os.environ.get("NETVERIFY_CHROMIUM") or shutil.which("chromium")
    if not path:
        _unavailable("no chromium on PATH (apt-get install chromium, as .ci/run does)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    chromium = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[browser]')")
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        except Exception as e:  # noqa: BLE001 - any launch failure is reported as such
            pytest.fail(f"chromium at {chromium} did not start: {e}", pytrace=False)
        yield b
        b.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a copy of the tour and the demo (running it saves outputs: never
    into the repository), with its own config and data directories."""
    root = tmp_path_factory.mktemp("lab")
    (root / "notebooks").mkdir()
    shutil.copy(REPO / "notebooks" / "01-tour.ipynb", root / "notebooks")
    shutil.copytree(REPO / "fixtures" / "demo", root / "fixtures" / "demo")
    home = tmp_path_factory.mktemp("jupyter-home")
    token, port = secrets.token_hex(16), _free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    log = open(home / "lab.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}", "--ServerApp.disable_check_xsrf=True",
            "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log.close()
                text = (home / "lab.log").read_text()[-3000:]
                pytest.fail(f"JupyterLab did not start:\n{text}", pytrace=False)
            time.sleep(0.5)
    yield base, token
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=False)


def test_tour_explorer_traces_in_jupyterlab(browser, lab):
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{base}/lab/tree/notebooks/01-tour.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        # The kernel must be up before "Run All Cells" queues anything.
        page.locator(".jp-StatusBar-Widget", has_text="Idle").first.wait_for(timeout=60_000)
        page.locator(".jp-Notebook .jp-Cell").first.click()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()
        # The first code cell ran: the kernel took the queue.
        page.locator(".jp-InputPrompt", has_text="[1]").first.wait_for(timeout=60_000)
        button = page.locator(".widget-button", has_text="Trace")
        button.wait_for(timeout=120_000)
        button.scroll_into_view_if_needed()
        explorer = page.locator(".widget-tab").last
        # Change the destination: namespace shop, pod cartservice-0, port 7070.
        to_ns = explorer.locator(".widget-dropdown", has_text="to ns").locator("select")
        to_ns.select_option(label="shop")
        # Source pod, then destination pod: the second dropdown labelled "pod".
        pod = explorer.locator(".widget-dropdown", has_text="pod").nth(1).locator("select")
        pod.select_option(label="cartservice-0")
        port = explorer.locator(".widget-text", has_text="port").locator("input")
        port.fill("7070")
        port.press("Enter")
        button.click()
        verdict = explorer.locator(".widget-html").filter(has_text="shop/cartservice-0:7070")
        verdict.first.wait_for(timeout=60_000)
        text = verdict.first.inner_text()
        assert "ALLOWED" in text or "DENIED" in text, text
        trace = explorer.locator(".netverify-trace")
        trace.first.wait_for(timeout=10_000)
        assert "ingress" in trace.first.inner_text()
        _shot(page, "jupyterlab-explorer.png")
    except Exception:
        _shot(page, "jupyterlab-failure.png")
        raise
    finally:
        page.close()


def test_html_report_shows_verdicts_and_a_trace(browser, tmp_path):
    from verifier import check, load
    from verifier.matrix import matrix
    from verifier.report.page import report_page

    cluster = load(str(REPO / "fixtures" / "demo"))
    report = check(cluster, properties=["isolation"], max_counterexamples=1)
    out = tmp_path / "report.html"
    out.write_text(report_page(cluster, report, matrix(cluster), inputs=("fixtures/demo",)))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(out.as_uri())
        table = page.locator("#verdict-table")
        assert table.is_visible()
        assert "VIOLATED" in table.inner_text() and "isolation" in table.inner_text()
        trace = page.locator(".trace").first
        trace.scroll_into_view_if_needed()
        assert trace.is_visible()
        assert "DENIED" in trace.inner_text() or "ALLOWED" in trace.inner_text()
        assert page.locator("#namespace-heatmap").is_visible()
        _shot(page, "report.png")
    finally:
        page.close()
