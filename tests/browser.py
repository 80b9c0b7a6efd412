"""Helpers for the browser tests: Debian's Chromium through Playwright, a fake camera fed from real
photos, axe-core, and checks that every control is labelled and reachable from the keyboard."""
from __future__ import annotations

from pathlib import Path

from PIL import Image

from tests.helpers import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"  # Playwright's own browser download cannot be fetched here
AXE = Path(__file__).parent / "assets" / "axe.min.js"
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def write_y4m(photo: Path, out: Path, frames: int = 5) -> Path:
    """A still clip for Chromium's fake camera: the photo letterboxed into 640x480, 4:2:0 (C420jpeg)."""
    image = Image.open(photo).convert("RGB")
    scale = 480 / image.height
    image = image.resize((round(image.width * scale) // 2 * 2, 480), Image.BICUBIC)
    canvas = Image.new("RGB", (640, 480), (96, 96, 96))
    canvas.paste(image, ((640 - image.width) // 2, 0))
    y, cb, cr = canvas.convert("YCbCr").split()
    planes = y.tobytes() + cb.resize((320, 240), Image.BILINEAR).tobytes() + cr.resize((320, 240), Image.BILINEAR).tobytes()
    out.write_bytes(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n" + (b"FRAME\n" + planes) * frames)
    return out


def camera_args(clip: Path) -> list[str]:
    return ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}"]


def axe_violations(page) -> list[dict]:  # noqa: ANN001 - a Playwright page
    """WCAG 2.x A and AA violations on the page as it is now (axe-core from npm, tests/assets)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations",
                          WCAG_A_AA)
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in found]


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 120))"""

FOCUSABLE = """() => [...document.querySelectorAll('a[href], input, select, textarea, button, [tabindex="0"]')]
  .filter((el) => el.offsetParent !== null && !el.disabled && el.type !== 'hidden' && !el.closest('[hidden], dialog:not([open])'))
  .map((el) => el.id || el.getAttribute('aria-label') || el.textContent.trim() || el.name || el.outerHTML.slice(0, 60))"""

ACTIVE = "() => { const el = document.activeElement; return el.id || el.getAttribute('aria-label') || el.textContent.trim() || el.name || el.outerHTML.slice(0, 60); }"


def unlabelled_controls(page) -> list[str]:  # noqa: ANN001
    return page.evaluate(UNLABELLED)


def tab_order_misses(page) -> list[str]:  # noqa: ANN001
    """Controls that pressing Tab from the top of the page never reaches."""
    wanted = page.evaluate(FOCUSABLE)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.locator("body").focus()
    reached: list[str] = []
    for _ in range(len(wanted) + 5):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(ACTIVE))
    return [name for name in wanted if name not in reached]


def screenshot(page, name: str, full_page: bool = True) -> Path:  # noqa: ANN001
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
