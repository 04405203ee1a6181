"""Headless Chromium (Debian's package) driven by Selenium and Debian's chromedriver.

Home Assistant's frontend is made of web components with shadow roots, which CSS selectors and
``innerText`` do not cross. The helpers below walk shadow roots in JavaScript.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# As root, on a machine with no network but loopback (see the machine notes of this project).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1100",
    # Charts drawn at once (Home Assistant's charts follow it): a screenshot never catches one
    # halfway through its animation.
    "--force-prefers-reduced-motion",
)

DOCS_ENV = "JSD_E2E_DOCS"
"""Set to a directory (docs/) to copy the README's pictures there; unset, they stay in tmp."""

# Text of the page, shadow roots included (style and script text left out).
_DEEP_TEXT = """
const out = [];
const walk = (node) => {
  if (node.nodeType === Node.TEXT_NODE) { out.push(node.textContent); return; }
  if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return;
  if (node.nodeType === Node.ELEMENT_NODE) {
    if (['STYLE', 'SCRIPT', 'TEMPLATE'].includes(node.tagName)) return;
    if (node.shadowRoot) walk(node.shadowRoot);
  }
  for (const child of node.childNodes) walk(child);
};
walk(document.body);
return out.join(' ').replace(/\\s+/g, ' ');
"""

# The first element matching a CSS selector, looking inside every shadow root.
_DEEP_QUERY = """
const selector = arguments[0];
const find = (root) => {
  const hit = root.querySelector(selector);
  if (hit) return hit;
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) { const inner = find(el.shadowRoot); if (inner) return inner; }
  }
  return null;
};
return find(document);
"""


# Click the first element of a tag whose text (shadow roots included) contains a string.
_CLICK_TEXT = """
const [tag, needle, within] = arguments;
const deepText = (node) => {
  let text = '';
  const walk = (n) => {
    if (n.nodeType === Node.TEXT_NODE) { text += n.textContent; return; }
    if (n.shadowRoot) walk(n.shadowRoot);
    for (const c of n.childNodes) walk(c);
  };
  walk(node);
  return text;
};
const ownText = (el) => [...el.childNodes]
  .filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('').trim();
// tag '*': the element that itself holds the text (clicks bubble out of shadow roots).
const matches = (el) => tag === '*'
  ? ownText(el) === needle
  : el.tagName.toLowerCase() === tag && deepText(el).includes(needle);
const find_host = (root, selector) => {
  const hit = root.querySelector(selector);
  if (hit) return hit;
  for (const el of root.querySelectorAll('*')) {
    if (!el.shadowRoot) continue;
    const inner = find_host(el.shadowRoot, selector);
    if (inner) return inner;
  }
  return null;
};
const find = (root) => {
  for (const el of root.querySelectorAll('*')) {
    if (matches(el)) return el;
    if (el.shadowRoot) { const inner = find(el.shadowRoot); if (inner) return inner; }
  }
  return null;
};
const scope = within ? find_host(document, within) : document;
const hit = scope ? find(scope.shadowRoot || scope) || find(scope) : null;
if (hit) hit.click();
return hit !== null;
"""


class BrowserError(AssertionError):
    """The page did not show what was expected in time."""


class Browser:
    """One headless Chromium, with helpers that see through shadow roots."""

    def __init__(self, driver: webdriver.Chrome, screenshots: Path) -> None:
        """Wrap a started driver; screenshots go to ``screenshots``."""
        self.driver = driver
        self.screenshots = screenshots

    def text(self) -> str:
        """All text on the page, shadow roots included."""
        return cast("str", self.driver.execute_script(_DEEP_TEXT))

    def query(self, selector: str) -> WebElement | None:
        """The first element matching ``selector`` anywhere on the page."""
        return cast("WebElement | None", self.driver.execute_script(_DEEP_QUERY, selector))

    def wait_for_element(self, selector: str, timeout: float = 30.0) -> WebElement:
        """Wait until an element matching ``selector`` exists."""
        deadline = time.monotonic() + timeout
        while (element := self.query(selector)) is None:
            if time.monotonic() > deadline:
                self.screenshot("timeout")
                raise BrowserError(f"No element matched {selector!r} within {timeout:.0f} s")
            time.sleep(0.25)
        return element

    def wait_for_text(self, *needles: str, timeout: float = 30.0) -> str:
        """Wait until the page shows every one of ``needles``; return the page's text."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            missing = [needle for needle in needles if needle not in text]
            if not missing:
                return text
            if time.monotonic() > deadline:
                shot = self.screenshot("timeout")
                raise BrowserError(
                    f"The page never showed {missing} within {timeout:.0f} s "
                    f"(screenshot {shot}); it showed: {text[:2000]}"
                )
            time.sleep(0.25)

    def click_text(
        self, tag: str, text: str, *, within: str | None = None, timeout: float = 30.0
    ) -> None:
        """Click the first ``tag`` element whose text contains ``text`` (waits for one).

        With ``tag`` "*", click the element whose own text is ``text``. With ``within`` (a CSS
        selector), look only inside the first element it matches (a dialog, say).
        """
        deadline = time.monotonic() + timeout
        while not self.driver.execute_script(_CLICK_TEXT, tag.lower(), text, within):
            if time.monotonic() > deadline:
                shot = self.screenshot("timeout")
                raise BrowserError(f"No <{tag}> showing {text!r} to click (screenshot {shot})")
            time.sleep(0.25)

    def type_text(self, text: str) -> None:
        """Type into whatever has the focus (inputs inside shadow roots included)."""
        ActionChains(self.driver).send_keys(text).perform()

    def log_in(
        self, base_url: str, username: str, password: str, *, settings: str = "Settings"
    ) -> None:
        """Log in on Home Assistant's own login page, as a person does."""
        self.driver.get(f"{base_url}/")
        self.wait_for_element("input[name=username]").send_keys(username)
        self.wait_for_element("input[name=password]").send_keys(password, Keys.ENTER)
        deadline = time.monotonic() + 30
        while "auth_callback" in self.driver.current_url or "/auth/" in self.driver.current_url:
            if time.monotonic() > deadline:
                shot = self.screenshot("login")
                raise BrowserError(f"Still on the login page after 30 s (screenshot {shot})")
            time.sleep(0.2)
        # The tokens are saved once the app has loaded; wait for its sidebar ("Settings" in
        # the browser's language).
        self.wait_for_text(settings)

    def screenshot(self, name: str) -> Path:
        """Save a PNG of the window."""
        path = self.screenshots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def element_screenshot(self, element: WebElement, name: str) -> Path:
        """Save a PNG of one element only (a card), without the empty space below its content.

        A card alone in a panel view is stretched to the window's height: the picture stops
        a margin below the last thing drawn.
        """
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", element)
        path = self.screenshots / f"{name}.png"
        if not element.screenshot(str(path)):
            raise BrowserError(f"Chromium took no picture of {name}")
        _trim_bottom(path)
        return path


def _trim_bottom(path: Path, margin: int = 16) -> None:
    """Cut the rows below the content, whose colour is that of the bottom-right pixel."""
    # Pillow comes with Home Assistant; only the pictures need it.
    from PIL import Image, ImageChops  # noqa: PLC0415

    with Image.open(path) as image:
        picture = image.convert("RGB")
    corner = picture.getpixel((picture.width - 1, picture.height - 1))
    box = ImageChops.difference(picture, Image.new("RGB", picture.size, corner)).getbbox()
    if box is not None and box[3] + margin < picture.height:
        picture = picture.crop((0, 0, picture.width, box[3] + margin))
    picture.save(path, optimize=True)


def keep_for_docs(shot: Path, name: str) -> None:
    """Copy a screenshot into the directory DOCS_ENV names, as ``name``; else do nothing."""
    if target := os.environ.get(DOCS_ENV):
        shutil.copyfile(shot, Path(target) / name)


@contextmanager
def chromium(screenshots: Path, *, language: str = "en-US") -> Iterator[Browser]:
    """Start headless Chromium with a fresh profile; always quit it and remove the profile.

    ``language`` is the browser's own, which Home Assistant's frontend follows.
    """
    profile = Path(tempfile.mkdtemp(prefix="jsd-chromium-"))
    options = Options()
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for flag in (*CHROMIUM_FLAGS, f"--lang={language}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    service = Service(executable_path=CHROMEDRIVER)
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except WebDriverException:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    try:
        driver.set_page_load_timeout(60)
        yield Browser(driver, screenshots)
    finally:
        try:
            driver.quit()  # stops Chromium, then the chromedriver process the service started
        finally:
            service.stop()
            shutil.rmtree(profile, ignore_errors=True)
