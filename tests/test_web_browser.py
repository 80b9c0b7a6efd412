"""The console and the door terminal in real Chromium against a real `facegate serve`.

One server and one scenario: sign in, create a door and its terminal key, enrol a person from
photos, the terminal admits them from a fake camera (a clip made from another real photo of
theirs) and refuses a stranger (automatically, then with the person's badge typed like a
keyboard-wedge reader), the live feed shows the events without reload, one is labelled, the
threshold is changed with a reason and the history shows it. Each page is checked with axe-core
(WCAG A/AA), for labels on every control and for reaching every control with Tab; screenshots
go to var/screenshots/.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.browser import (
    CHROMIUM,
    axe_violations,
    camera_args,
    screenshot,
    tab_order_misses,
    unlabelled_controls,
    write_y4m,
)
from tests.helpers import ADMIN, ADMIN_KEY, LFW, fresh_database, no_face, photos, server, validation_people

FACE_WORK_MS = 60_000  # real detection and encoding on two loaded cores: be generous
STRANGER, MEMBER, COLLEAGUE = validation_people(LFW, 3, min_photos=5)  # held out from training
BADGE = "4711"
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("web")
    for database_url in fresh_database(directory / "db"):
        with server(database_url, directory / "data", via_entrypoint=False) as (url, _):
            yield url


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


def _browser(playwright: Playwright, clip: Path | None = None) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM,
                                      args=["--no-sandbox", *(camera_args(clip) if clip else [])])


def _context(browser: Browser, base_url: str) -> BrowserContext:
    # bypass_csp only so that the test can inject axe-core; the pages themselves run under their CSP.
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(FACE_WORK_MS)
    return context


def _local_only(page: Page, base_url: str) -> list[str]:
    """Every request the page makes outside this origin (none expected: no CDN)."""
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((base_url, "data:", "blob:")) else None)
    return outside


def _check_page(page: Page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], f"{name}: accessibility violations"
    assert unlabelled_controls(page) == [], f"{name}: controls without a label"
    assert tab_order_misses(page) == [], f"{name}: controls Tab never reaches"


def _terminal(page: Page, key: str) -> None:
    page.goto("/terminal")
    page.get_by_label("Terminal key").fill(key)
    page.get_by_role("button", name="Set up").click()
    expect(page.locator("#state")).to_have_text("Ready. Look at the camera.")


def test_console_and_terminal_scenario(base_url: str, playwright: Playwright, tmp_path: Path) -> None:
    member_photos = photos(MEMBER)
    blank = tmp_path / "empty-wall.jpg"
    blank.write_bytes(no_face())
    console_browser = _browser(playwright)
    console = _context(console_browser, base_url).new_page()
    outside = _local_only(console, base_url)

    # Sign in from the keyboard alone: the key goes in the form once, never into a URL or storage.
    console.goto("/")
    _check_page(console, "console-sign-in")
    console.get_by_label("API key").focus()
    console.keyboard.type(ADMIN_KEY)
    console.keyboard.press("Enter")
    expect(console.get_by_role("heading", name="People", level=1)).to_be_visible()
    assert ADMIN_KEY not in console.url
    assert console.evaluate("() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)") == "{}{}"
    cookies = {c["name"]: c for c in console.context.cookies()}
    assert cookies["fg_session"]["httpOnly"] and cookies["fg_session"]["sameSite"] == "Strict"
    assert ADMIN_KEY not in {c["value"] for c in cookies.values()}

    # A door, and a terminal key for it (the secret shown once).
    console.get_by_role("link", name="Doors").click()
    console.get_by_label("Door name").fill("Lobby")
    console.get_by_role("button", name="Create door").click()
    expect(console.get_by_role("cell", name="Lobby", exact=True)).to_be_visible()
    _check_page(console, "console-doors")
    console.get_by_role("link", name="Keys").click()
    console.get_by_label("Key name").fill("lobby terminal")
    console.get_by_label("Role").select_option("terminal")
    console.get_by_label("Door", exact=True).select_option(label="Lobby")
    console.get_by_role("button", name="Create key").click()
    terminal_key = console.get_by_label("Secret of the new key").text_content()
    assert terminal_key.startswith("fg_")
    _check_page(console, "console-keys")

    # Enrol from photos: three of the member's and one without a face, each file answered.
    console.get_by_role("link", name="People").click()
    console.get_by_label("Full name").fill(MEMBER.replace("_", " "))
    console.get_by_label("Badge number").fill(BADGE)
    console.get_by_label("Photos", exact=True).set_input_files([*member_photos[:3], blank])
    console.get_by_role("button", name="Enrol").click()
    result = console.locator("#enrol-result")
    expect(result).to_contain_text(f"Enrolled {MEMBER.replace('_', ' ')}", timeout=FACE_WORK_MS)
    expect(result.locator("li.good")).to_have_count(3)
    expect(result.locator("li.bad")).to_have_text(["empty-wall.jpg: not used, no face found"])
    crops = console.locator("#person-detail img")
    expect(crops).to_have_count(3)
    console.wait_for_function("() => [...document.querySelectorAll('#person-detail img')]"
                              ".every((i) => i.complete && i.naturalWidth > 0)")  # the crops really load
    _check_page(console, "console-people")

    # The live feed is open before anyone comes to the door.
    console.get_by_role("link", name="Live events").click()
    expect(console.locator("#live-state")).to_have_text(re.compile("^Live"))

    # The member at the door: captured automatically once the picture is steady, admitted by name.
    member_browser = _browser(playwright, write_y4m(member_photos[5], tmp_path / "member.y4m"))
    door = _context(member_browser, base_url).new_page()
    _terminal(door, terminal_key)
    _check_page(door, "terminal-ready")
    # FACEGATE_TERMINAL_DISPLAY_NAME's default: the first name only
    expect(door.locator("#answer-title")).to_have_text(f"Welcome, {MEMBER.split('_')[0]}", timeout=FACE_WORK_MS)
    screenshot(door, "terminal-admit")
    member_browser.close()

    # A stranger: refused automatically; then with the member's badge from a keyboard-wedge reader.
    stranger_browser = _browser(playwright, write_y4m(photos(STRANGER)[0], tmp_path / "stranger.y4m"))
    door = _context(stranger_browser, base_url).new_page()
    _terminal(door, terminal_key)
    expect(door.locator("#answer-title")).to_have_text("Access denied", timeout=FACE_WORK_MS)
    screenshot(door, "terminal-deny")
    expect(door.locator("#badge")).to_be_visible()  # the answer has gone; a still picture is not checked again
    expect(door.locator("#answer")).to_be_hidden()
    door.locator("#badge").focus()
    door.keyboard.type(BADGE + "\n", delay=15)
    expect(door.locator("#answer")).to_be_visible(timeout=FACE_WORK_MS)
    expect(door.locator("#answer-title")).to_have_text("Access denied")
    expect(door.locator("#answer-detail")).not_to_contain_text(MEMBER.split("_")[0])  # a terminal is told little
    # The network goes: the terminal says so in plain words, and comes back by itself.
    expect(door.locator("#answer")).to_be_hidden()
    door.context.set_offline(True)
    expect(door.locator("#offline")).to_be_visible()
    expect(door.locator("#offline")).to_contain_text("Out of service")
    screenshot(door, "terminal-offline")
    door.context.set_offline(False)
    expect(door.locator("#state")).to_have_text("Ready. Look at the camera.")
    expect(door.locator("#offline")).to_be_hidden()
    stranger_browser.close()

    # The feed shows the three decisions without a reload, newest first.
    rows = console.locator("#events-table tbody tr")
    expect(rows).to_have_count(3, timeout=15_000)
    expect(rows.nth(2)).to_contain_text("Admitted")
    expect(rows.nth(2)).to_contain_text(MEMBER.replace("_", " "))
    expect(rows.nth(1)).to_contain_text("not recognised")
    expect(rows.nth(0)).to_contain_text("not recognised")
    expect(rows.nth(0)).to_contain_text(f"badge of {MEMBER.replace('_', ' ')}")
    _check_page(console, "console-events")

    # One click labels the stranger's badge attempt an impostor.
    event_id = rows.nth(0).get_attribute("data-event-id")
    rows.nth(0).get_by_role("button", name=f"Mark event {event_id} impostor").click()
    expect(rows.nth(0).get_by_role("button", name=f"Mark event {event_id} impostor")).to_have_attribute("aria-pressed", "true")
    labelled = httpx.get(f"{base_url}/v1/admin/events", headers=ADMIN).json()["items"]
    assert {e["id"]: e["label"] for e in labelled}[int(event_id)] == "impostor"

    console.get_by_label("Decision").select_option("reject")  # filters: refused only, then all again
    expect(rows).to_have_count(2)
    console.get_by_label("Decision").select_option("")
    expect(rows).to_have_count(3)

    # Calibration needs a second person; then calibrate, preview, apply with a reason, see the history.
    files = [("images", (p.name, p.read_bytes(), "image/jpeg")) for p in photos(COLLEAGUE)[:2]]
    assert httpx.post(f"{base_url}/v1/people", headers=ADMIN, data={"name": COLLEAGUE}, files=files,
                      timeout=FACE_WORK_MS / 1000).status_code == 201
    console.get_by_role("link", name="Thresholds").click()
    console.get_by_role("button", name="Calibrate").click()
    chart = console.locator("#curve svg")
    for mark in ("polyline.far", "polyline.frr", "line.current", "line.recommended", "line.target"):
        expect(chart.locator(mark)).to_have_count(1)
    expect(console.locator("#preview-table")).to_contain_text("Strangers admitted (FAR)")
    console.get_by_label("New threshold").fill("0.3400")
    console.get_by_label("Reason for the change").fill("pilot week at the lobby")
    console.get_by_role("button", name="Apply threshold").click()
    expect(console.locator("#history-table")).to_contain_text("pilot week at the lobby")
    expect(console.locator("#history-table")).to_contain_text("0.3400")
    assert httpx.get(f"{base_url}/v1/admin/threshold", headers=ADMIN).json()["threshold"] == pytest.approx(0.34)
    _check_page(console, "console-thresholds")

    console_browser.close()
    assert outside == [], "the console fetched something from elsewhere"


def test_api_docs_are_local_with_authorize(base_url: str, playwright: Playwright) -> None:
    browser = _browser(playwright)
    page = browser.new_context(base_url=base_url).new_page()  # the pages' own CSP in force
    fetched_elsewhere: list[str] = []
    page.on("requestfinished", lambda r: fetched_elsewhere.append(r.url)
            if not r.url.startswith((base_url, "data:", "blob:")) else None)
    blocked: list[str] = []
    page.on("requestfailed", lambda r: blocked.append(r.url) if r.failure != "csp" else None)
    page.goto("/docs")
    page.get_by_role("button", name=re.compile("Authorize")).click()
    expect(page.get_by_text("bearer  (http, Bearer)")).to_be_visible()
    screenshot(page, "docs-swagger", full_page=False)
    page.goto("/redoc")
    expect(page.get_by_text("Download OpenAPI specification")).to_be_visible()
    screenshot(page, "docs-redoc", full_page=False)
    browser.close()
    # ReDoc's footer names a logo on its CDN; the page's CSP refuses it, so nothing leaves the site.
    assert fetched_elsewhere == [] and blocked == []
