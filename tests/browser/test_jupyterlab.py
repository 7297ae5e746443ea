"""JupyterLab in a real browser: the codemode kernel as a person meets it.

Starts a real ``jupyter lab`` (this venv, 127.0.0.1, a free port, a random
token) over a temporary copy of ``notebooks/``, and drives it with Playwright
in Debian's headless Chromium (``/usr/bin/chromium``; Playwright's own browser
download cannot work on these machines, and ``make test`` installs chromium).

Checked in the browser:
- the launcher shows "Code Mode (Python 3)" with its logo;
- quickstart.ipynb, run on that kernel, renders its DataFrame with the footer;
- the ``helpers.db.browse`` pager renders, and "next" changes the page;
- clicking a pager column header sorts by it and shows the arrow;
- the pager's filter box narrows the rows;
- a ``helpers.plot.histogram`` cell renders an image;
- a result cut at ``max_rows`` shows the warning footer naming the live fix;
- a blocked statement shows its SQLBlockedError in the output area.

Screenshots and the server log go to tests/browser/artifacts/ (git-ignored);
the screenshot paths are printed in the terminal summary (see conftest.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DISPLAY_NAME = "Code Mode (Python 3)"
KERNEL_NAME = "codemode"
PAGER_NOTEBOOK = "browser-pager.ipynb"
PAGER_ROWS, PAGER_PAGE_SIZE = 200, 50
TRUNCATE_AT = 25
# Generous: the first Lab load on a busy 2-core machine takes 5-15 s.
SERVER_START_S = 90
LOAD_MS = 90_000
RUN_MS = 90_000
UI_MS = 30_000
PROMPT_DONE = re.compile(r"^\[\d+\]:$")


@dataclass
class Lab:
    url: str
    token: str
    root_dir: Path
    process: subprocess.Popen
    log_path: Path

    def api(self, method: str, path: str, *, timeout: float = 10) -> object:
        req = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
            data=b"" if method in ("POST", "PATCH", "PUT") else None,
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def fail_with_log(self, message: str) -> None:
        tail = self.log_path.read_text(errors="replace")[-4000:]
        pytest.fail(f"{message}\n--- jupyter lab log ({self.log_path}), tail ---\n{tail}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pager_notebook() -> nbformat.NotebookNode:
    nb = new_notebook(
        metadata={
            "kernelspec": {"name": KERNEL_NAME, "display_name": DISPLAY_NAME, "language": "python"}
        }
    )
    blocked = new_code_cell("helpers.db.exec(\"ATTACH DATABASE 'other.db' AS other\")")
    blocked.metadata["tags"] = ["raises-exception"]
    nb.cells = [
        new_markdown_cell("Browser test: page through a table, then a blocked statement."),
        new_code_cell(
            'helpers.db.create_table("items", "id INTEGER PRIMARY KEY, name TEXT")\n'
            "helpers.db.batch_insert(\n"
            '    "items",\n'
            f'    ({{"id": i, "name": f"item {{i}}"}} for i in range(1, {PAGER_ROWS + 1})),\n'
            ")"
        ),
        new_code_cell(f'helpers.db.browse("items", page_size={PAGER_PAGE_SIZE})'),
        new_code_cell('helpers.plot.histogram("items", "id", bins=10)'),
        new_code_cell(
            f"helpers.db.set_limits(max_rows={TRUNCATE_AT})\n"
            'display(helpers.db.query("SELECT id, name FROM items"))\n'
            "helpers.db.set_limits(max_rows=10_000);"
        ),
        new_code_cell(
            "helpers.db.exec(\n"
            '    "CREATE TABLE pairs (a INTEGER NOT NULL, b TEXT, PRIMARY KEY (b, a))"\n'
            ")\n"
            "helpers.db.explore()"
        ),
        blocked,
    ]
    return nb


def _prepare_root(tmp: Path) -> Path:
    """A copy of notebooks/ with outputs stripped (so what renders came from the live
    kernel, not from the saved file), plus the pager notebook."""
    root = tmp / "notebooks"
    shutil.copytree(NOTEBOOKS, root)
    for path in root.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        nbformat.write(nb, path)
    nbformat.write(_pager_notebook(), root / PAGER_NOTEBOOK)
    return root


def _stop(proc: subprocess.Popen, lab: Lab | None) -> None:
    if proc.poll() is None and lab is not None:
        with contextlib.suppress(Exception):
            lab.api("POST", "/api/shutdown", timeout=5)  # stops its kernels too
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    # The server ran in its own process group (with the kernels it started):
    # make sure nothing of it outlives the test, even after a crash.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's chromium "
            "(`make browser-deps`, or `apt-get install -y chromium`; `make test` does it). "
            "Playwright's own browser download cannot work on these machines."
        )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stale in ARTIFACTS.glob("FAILED-*.png"):
        stale.unlink()
    tmp = tmp_path_factory.mktemp("lab")
    root = _prepare_root(tmp)
    # Page config for this server only: no "official Jupyter news" toast (it can
    # cover buttons) and no update check (this network refuses outside hosts).
    labconfig = tmp / "config" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    env = {
        **os.environ,
        "CODEMODE_DATA_DIR": str(tmp / "codemode-data"),
        "JUPYTER_CONFIG_PATH": os.pathsep.join(
            p for p in (str(tmp / "config"), os.environ.get("JUPYTER_CONFIG_PATH")) if p
        ),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
    }
    env.pop("CODEMODE_SESSION_ID", None)
    port, token = _free_port(), secrets.token_hex(24)
    log_path = ARTIFACTS / "jupyterlab-server.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={tmp / 'user-settings'}",
        f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
    ]
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Lab(f"http://127.0.0.1:{port}", token, root, proc, log_path)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                server.fail_with_log(f"jupyter lab exited with {proc.returncode} at start-up")
            try:
                server.api("GET", "/api/status", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    server.fail_with_log(f"jupyter lab did not answer within {SERVER_START_S} s")
                time.sleep(0.25)
        specs = server.api("GET", "/api/kernelspecs")
        if KERNEL_NAME not in specs["kernelspecs"]:
            server.fail_with_log(
                f"jupyter lab does not list the {KERNEL_NAME!r} kernelspec: "
                f"{sorted(specs['kernelspecs'])}"
            )
        yield server
    finally:
        _stop(proc, server)


@pytest.fixture(scope="module")
def browser(lab: Lab) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def page(lab: Lab, browser) -> Iterator:
    """One JupyterLab page for the module (each Lab load costs 5-15 s here)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})

    def only_local(route) -> None:
        # Nothing but the test server: the network here refuses outside hosts.
        if route.request.url.startswith(lab.url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_local)
    pg = context.new_page()
    console = (ARTIFACTS / "browser-console.log").open("w")
    pg.on("console", lambda m: console.write(f"[{m.type}] {m.text}\n"))
    pg.on("pageerror", lambda e: console.write(f"[pageerror] {e}\n"))
    try:
        pg.goto(f"{lab.url}/lab?token={lab.token}", timeout=LOAD_MS)
        pg.locator(".jp-Launcher").first.wait_for(state="visible", timeout=LOAD_MS)
        yield pg
    finally:
        with contextlib.suppress(Exception):
            context.close()
        console.close()


@pytest.fixture
def shot(page, request: pytest.FixtureRequest, record_property) -> Iterator:
    """shot(name) saves a full-page screenshot, prints and records its path.
    A failed test also leaves ``FAILED-<test>.png``."""

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        record_property("screenshot", str(path))
        return path

    yield take
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        with contextlib.suppress(Exception):
            take(f"FAILED-{request.node.name}")


# -- helpers that drive the UI ---------------------------------------------


def _show_file_browser(page) -> None:
    """Open the left file browser (its sidebar tab toggles, so only when it is closed)."""
    browser = page.locator("#filebrowser")
    if not browser.is_visible():
        page.locator(".jp-SideBar [data-id='filebrowser']").first.click()
    browser.wait_for(state="visible", timeout=UI_MS)


def _open_notebook(page, lab: Lab, name: str):
    """Open ``name`` from the file browser (double-click, as a person would);
    return its panel once its codemode kernel is idle."""
    _show_file_browser(page)
    item = page.locator(".jp-DirListing-item", has_text=name).first
    item.wait_for(state="visible", timeout=UI_MS)
    item.dblclick()
    # The current main-area tab of that file names its panel (data-id): no race
    # with the notebook that was showing before.
    panel_id = page.wait_for_function(
        """name => {
            const tabs = document.querySelectorAll(
                '#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current');
            const tab = [...tabs].find(t => {
                const label = t.querySelector('.lm-TabBar-tabLabel');
                return (label && label.textContent.trim() === name)
                    || (t.title || '').split('\\n').includes('Path: ' + name);
            });
            return tab ? tab.dataset.id : null;
        }""",
        arg=name,
        timeout=LOAD_MS,
    ).json_value()
    panel = page.locator(f"[id='{panel_id}']")
    panel.wait_for(state="visible", timeout=LOAD_MS)
    assert "jp-NotebookPanel" in (panel.get_attribute("class") or "")
    kernel_name = panel.locator(".jp-Toolbar-kernelName")
    # The notebook's metadata names the codemode kernel; Lab starts it.
    page.wait_for_function(
        """([id, name]) => {
            const el = document.getElementById(id);
            const k = el && el.querySelector('.jp-Toolbar-kernelName');
            return k && k.textContent.trim() === name;
        }""",
        arg=[panel_id, DISPLAY_NAME],
        timeout=LOAD_MS,
    )
    assert kernel_name.text_content().strip() == DISPLAY_NAME
    _wait_kernel_idle(page, panel_id)
    return panel, panel_id


def _wait_kernel_idle(page, panel_id: str) -> None:
    page.wait_for_function(
        """id => {
            const el = document.getElementById(id);
            const s = el && el.querySelector('.jp-Notebook-ExecutionIndicator');
            return s && s.getAttribute('data-status') === 'idle';
        }""",
        arg=panel_id,
        timeout=LOAD_MS,
    )


def _run_all(page, panel_id: str) -> None:
    """Run > Run All Cells, then wait until every code cell has an execution count."""
    page.locator(f"[id='{panel_id}'] .jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item").filter(
        has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))
    ).first.click()
    page.wait_for_function(
        """id => {
            const el = document.getElementById(id);
            if (!el) return false;
            const prompts = [...el.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0
                && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
        }""",
        arg=panel_id,
        timeout=RUN_MS,
    )
    _wait_kernel_idle(page, panel_id)


def _settle_into_view(page, locator) -> None:
    """Scroll ``locator`` into view once Lab's windowed notebook has laid out
    the cells above it (images load late and push it down)."""
    for _ in range(3):
        locator.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
    box = locator.bounding_box()
    assert box is not None and box["height"] > 0


def _prompts(panel) -> list[str]:
    return [t.strip() for t in panel.locator(".jp-CodeCell .jp-InputPrompt").all_text_contents()]


# -- the checks -------------------------------------------------------------


def test_launcher_shows_codemode_kernel_with_logo(page, lab: Lab, shot) -> None:
    # A fresh launcher (the file browser's "+"), so this works in any test order.
    _show_file_browser(page)
    page.locator("#filebrowser jp-button[data-command='launcher:create']").first.click()
    launcher = page.locator(".jp-Launcher:visible").first
    launcher.wait_for(state="visible", timeout=UI_MS)
    section = launcher.locator(".jp-Launcher-section").filter(
        has=page.locator(".jp-Launcher-sectionTitle", has_text=re.compile(r"^Notebook$"))
    )
    card = section.locator(".jp-LauncherCard").filter(
        has=page.locator(
            ".jp-LauncherCard-label", has_text=re.compile(f"^{re.escape(DISPLAY_NAME)}$")
        )
    )
    card.first.wait_for(state="visible", timeout=UI_MS)
    assert card.count() == 1, f"expected one {DISPLAY_NAME!r} notebook card, got {card.count()}"
    img = card.locator(".jp-LauncherCard-icon img")
    assert img.count() == 1, "the card shows no <img> logo (a generic letter icon instead?)"
    src = img.get_attribute("src") or ""
    assert re.search(rf"/kernelspecs/{KERNEL_NAME}/logo-[\w.-]+$", src), src
    # The logo must actually load (a broken image has naturalWidth 0).
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=img.element_handle(), timeout=UI_MS
    )
    # ...and be what the kernelspec serves.
    with urllib.request.urlopen(
        urllib.request.Request(
            lab.url + src.split("?")[0], headers={"Authorization": f"token {lab.token}"}
        ),
        timeout=10,
    ) as resp:
        assert resp.status == 200
        assert resp.headers.get_content_type().startswith("image/")
    card.first.scroll_into_view_if_needed()
    shot("launcher")


def test_quickstart_runs_and_renders_query_table_with_footer(page, lab: Lab, shot) -> None:
    panel, panel_id = _open_notebook(page, lab, "quickstart.ipynb")
    assert panel.locator(".jp-OutputArea-output").count() == 0, "outputs were not stripped"
    _run_all(page, panel_id)
    prompts = _prompts(panel)
    assert prompts and all(PROMPT_DONE.match(p) for p in prompts), prompts

    footers = panel.locator(".jp-OutputArea-output .codemode-footer")
    footers.first.wait_for(state="visible", timeout=UI_MS)
    # The first query result: a pandas table whose footer states its row count.
    output = panel.locator(".jp-OutputArea-output").filter(has=page.locator(".codemode-footer"))
    first = output.first
    table = first.locator("table.dataframe")
    assert table.count() == 1, "the query result has a footer but no DataFrame table"
    footer_text = first.locator(".codemode-footer").text_content().strip()
    m = re.match(r"^([\d,]+) rows? · [\d.]+ (ms|s)$", footer_text)
    assert m, f"unexpected footer: {footer_text!r}"
    body_rows = table.locator("tbody tr").count()
    assert int(m.group(1).replace(",", "")) == body_rows, (footer_text, body_rows)
    assert body_rows > 0
    headers = [h.strip() for h in table.locator("thead th").all_text_contents()]
    assert any(headers), headers
    # The footer sits under its table, in the same output.
    t_box, f_box = table.bounding_box(), first.locator(".codemode-footer").bounding_box()
    assert t_box and f_box and f_box["y"] >= t_box["y"] + t_box["height"] - 1
    # The guard cell (tagged raises-exception) shows its typed error, and Run All
    # went on past it to the end.
    errors = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert "SQLBlockedError" in " ".join(errors.all_text_contents())
    _settle_into_view(page, first)
    shot("quickstart")


def _pager(page, panel):
    """(the pager's output, its status label, its table) in ``panel``."""
    label = page.locator(".codemode-status")
    cell = panel.locator(".jp-CodeCell").filter(has_text="helpers.db.browse(")
    widget = cell.locator(".jp-OutputArea-output").filter(has=label)
    widget.first.wait_for(state="visible", timeout=UI_MS)
    assert widget.count() == 1
    return widget, widget.locator(".codemode-status"), widget.locator(".widget-html table")


def _cells(table, column: int) -> list[str]:
    return [
        td.strip() for td in table.locator(f"tbody tr td:nth-child({column})").all_text_contents()
    ]


def _ensure_run(page, lab: Lab, name: str):
    panel, panel_id = _open_notebook(page, lab, name)
    prompts = _prompts(panel)
    if not (prompts and all(PROMPT_DONE.match(p) for p in prompts)):
        _run_all(page, panel_id)  # each test may run on its own (-k)
    return panel, panel_id


def test_browse_pager_next_changes_page(page, lab: Lab, shot) -> None:
    panel, panel_id = _open_notebook(page, lab, PAGER_NOTEBOOK)
    _run_all(page, panel_id)
    pages = -(-PAGER_ROWS // PAGER_PAGE_SIZE)
    widget, status, table = _pager(page, panel)
    expect(status).to_have_text(
        f"rows 1–{PAGER_PAGE_SIZE} of {PAGER_ROWS} · page 1 of {pages}", timeout=UI_MS
    )

    def first_id() -> str:
        return table.locator("tbody tr").first.locator("td").first.text_content().strip()

    assert table.locator("tbody tr").count() == PAGER_PAGE_SIZE
    assert first_id() == "1"
    # The controls sit above the table: first/prev/next/last are icon buttons.
    prev = widget.locator("button.widget-button[title='previous page']")
    nxt = widget.locator("button.widget-button[title='next page']")
    for title in ("first page", "previous page", "next page", "last page"):
        button = widget.locator(f"button.widget-button[title='{title}']")
        assert button.count() == 1 and button.locator("i.fa").count() == 1, title
        assert button.bounding_box()["y"] < table.bounding_box()["y"], title
    expect(prev).to_be_disabled(timeout=UI_MS)
    expect(nxt).to_be_enabled(timeout=UI_MS)
    _settle_into_view(page, widget)
    shot("pager-page1")

    nxt.click()
    # Retrying expectations: the widget replaces its table's HTML on every page.
    expect(status).to_have_text(
        f"rows {PAGER_PAGE_SIZE + 1}–{2 * PAGER_PAGE_SIZE} of {PAGER_ROWS} · page 2 of {pages}",
        timeout=UI_MS,
    )
    expect(table.locator("tbody tr").first.locator("td").first).to_have_text(
        str(PAGER_PAGE_SIZE + 1), timeout=UI_MS
    )
    assert first_id() == str(PAGER_PAGE_SIZE + 1)
    assert table.locator("tbody tr").count() == PAGER_PAGE_SIZE
    expect(prev).to_be_enabled(timeout=UI_MS)
    _settle_into_view(page, widget)
    shot("pager-page2")


def test_pager_header_click_sorts_with_an_arrow(page, lab: Lab, shot) -> None:
    panel, _ = _ensure_run(page, lab, PAGER_NOTEBOOK)
    widget, status, table = _pager(page, panel)
    header = widget.locator("button.codemode-header").filter(has_text=re.compile(r"^\s*name"))
    assert header.count() == 1
    # The header button is as wide as its column, so it sits right above it.
    column = table.locator("tbody tr").first.locator("td").nth(1)
    h_box, c_box = header.bounding_box(), column.bounding_box()
    assert abs(h_box["x"] - c_box["x"]) <= 2 and abs(h_box["width"] - c_box["width"]) <= 2
    header.click()
    expect(header).to_have_text("name ▲", timeout=UI_MS)
    expect(status).to_contain_text("sorted by name asc", timeout=UI_MS)
    names = sorted(f"item {i}" for i in range(1, PAGER_ROWS + 1))
    expect(table.locator("tbody tr").first.locator("td").nth(1)).to_have_text(
        names[0], timeout=UI_MS
    )
    assert _cells(table, 2) == names[:PAGER_PAGE_SIZE]
    header.click()
    expect(header).to_have_text("name ▼", timeout=UI_MS)
    expect(table.locator("tbody tr").first.locator("td").nth(1)).to_have_text(
        names[-1], timeout=UI_MS
    )
    assert _cells(table, 2) == names[::-1][:PAGER_PAGE_SIZE]
    _settle_into_view(page, widget)
    shot("pager-sorted-desc")
    header.click()  # a third click: back to table order, no arrow
    expect(header).to_have_text("name", timeout=UI_MS)
    expect(table.locator("tbody tr").first.locator("td").first).to_have_text("1", timeout=UI_MS)


def test_pager_filter_box_narrows_rows(page, lab: Lab, shot) -> None:
    panel, _ = _ensure_run(page, lab, PAGER_NOTEBOOK)
    widget, status, table = _pager(page, panel)
    box = widget.locator(".codemode-filter input")
    box.fill("id >= 150 AND name LIKE '%5'")
    box.press("Enter")
    expect(status).to_have_text(
        "rows 1–5 of 5 · page 1 of 1 · where id >= 150 AND name LIKE '%5'", timeout=UI_MS
    )
    expect(table.locator("tbody tr").first.locator("td").first).to_have_text("155", timeout=UI_MS)
    expect(table.locator("tbody tr")).to_have_count(5, timeout=UI_MS)
    assert _cells(table, 1) == ["155", "165", "175", "185", "195"]
    _settle_into_view(page, widget)
    shot("pager-filtered")
    # A bad condition shows the guard's/parser's message; the rows stay.
    box.fill("id IN (SELECT 1)")
    box.press("Enter")
    expect(widget.locator(".widget-html").first).to_contain_text(
        "ValueError: filter must be a plain condition", timeout=UI_MS
    )
    shot("pager-filter-error")
    box.fill("")
    box.press("Enter")
    expect(status).to_contain_text(f"of {PAGER_ROWS} ·", timeout=UI_MS)


def test_histogram_renders_an_image(page, lab: Lab, shot) -> None:
    panel, _ = _ensure_run(page, lab, PAGER_NOTEBOOK)
    cell = panel.locator(".jp-CodeCell").filter(has_text="helpers.plot.histogram")
    img = cell.locator(".jp-OutputArea-output img")
    img.first.wait_for(state="visible", timeout=UI_MS)
    assert img.count() == 1
    assert (img.get_attribute("src") or "").startswith("data:image/png;base64,")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 300", arg=img.element_handle(), timeout=UI_MS
    )
    _settle_into_view(page, cell)
    shot("plot-histogram")


def test_truncation_footer_is_a_warning_naming_the_live_fix(page, lab: Lab, shot) -> None:
    panel, _ = _ensure_run(page, lab, PAGER_NOTEBOOK)
    cell = panel.locator(".jp-CodeCell").filter(has_text="set_limits(max_rows=")
    footer = cell.locator(".codemode-footer.codemode-truncated")
    footer.first.wait_for(state="visible", timeout=UI_MS)
    text = " ".join(footer.inner_text().split())
    assert re.fullmatch(
        rf"⚠ {TRUNCATE_AT} rows returned, more exist \(cut at max_rows={TRUNCATE_AT}\)"
        rf" · {TRUNCATE_AT} displayed · [\d.]+ (ms|s)"
        r" For the rest: helpers\.db\.set_limits\(max_rows=\.\.\.\) \(setting: CODEMODE_MAX_ROWS\);"
        r" or add WHERE/LIMIT; or page with helpers\.db\.browse\(sql\)\.",
        text,
    ), text
    assert cell.locator("table.dataframe tbody tr").count() == TRUNCATE_AT
    # Marked as a warning: a coloured left border, not plain footer text.
    border = footer.evaluate("el => getComputedStyle(el).borderLeftWidth")
    assert border == "4px", border
    _settle_into_view(page, footer)
    shot("truncation-footer")


def test_explorer_shows_checks_counts_and_browses(page, lab: Lab, shot) -> None:
    panel, _ = _ensure_run(page, lab, PAGER_NOTEBOOK)
    cell = panel.locator(".jp-CodeCell").filter(has_text="helpers.db.explore()")
    out = cell.locator(".jp-OutputArea-output")
    refresh = out.locator("button.widget-button", has_text=re.compile(r"^\s*refresh\s*$"))
    refresh.wait_for(state="visible", timeout=UI_MS)
    counts = [c.strip() for c in out.locator(".codemode-count").all_text_contents()]
    assert counts == [f"{PAGER_ROWS} rows", "0 rows"], counts  # items, pairs
    out.locator("button.widget-button", has_text=re.compile(r"^\s*pairs\s*$")).click()
    detail = out.locator(".widget-html").filter(has_text="columns").first
    expect(detail).to_contain_text("pairs · 0 rows", timeout=UI_MS)
    rows = detail.locator("table").first.locator("tbody tr")
    cells = [[td.strip() for td in r.locator("td").all_text_contents()] for r in rows.all()]
    # column, type, not null, default, primary key
    assert [c[0] for c in cells] == ["a", "b"], cells
    assert [(c[2], c[4]) for c in cells] == [("✓", "2"), ("", "1")], cells
    browse = out.locator("button.widget-button[title='page through items']")
    browse.click()
    status = out.locator(".codemode-status")
    expect(status).to_have_text(f"rows 1–20 of {PAGER_ROWS} · page 1 of 10", timeout=UI_MS)
    _settle_into_view(page, cell)
    shot("explorer")


def test_blocked_statement_shows_sqlblockederror(page, lab: Lab, shot) -> None:
    panel, panel_id = _open_notebook(page, lab, PAGER_NOTEBOOK)
    cell = panel.locator(".jp-CodeCell").filter(has_text="ATTACH DATABASE")
    assert cell.count() == 1
    if not PROMPT_DONE.match(cell.locator(".jp-InputPrompt").text_content().strip()):
        _run_all(page, panel_id)  # this test may run on its own (-k)
    err = cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    err.first.wait_for(state="visible", timeout=UI_MS)
    text = err.first.text_content()
    # The error's last line: its class name and what was refused.
    assert re.search(r"SQLBlockedError: ATTACH\b", text), text
    _settle_into_view(page, cell)
    shot("blocked-statement")
