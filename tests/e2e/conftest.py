"""Real-browser fixtures: Debian's Chromium driven by Playwright against the app on uvicorn.

Playwright's own browser download cannot work here, so the browser is /usr/bin/chromium
(installed by scripts/e2e-setup.sh, which the session runs once). Each test gets a fresh small
network (tests.support.network) served on its own port, and a fresh browser context (no cookies).
A test fails if its page logged a script error or a CSP violation, or asked anything of another
origin: the pages load nothing from the internet.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from services.api import create_app
from tests.e2e.served import ServedApp
from tests.e2e.support import REPO
from tests.integration.api.support import tokens_for
from tests.support.network import SmallNetwork

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SETUP_SECONDS = 1200  # a cold machine installs Chromium from Debian's archive first
# Chrome logs every 4xx answer to fetch/XHR; the pages answer 4xx for refused input on purpose.
EXPECTED_CONSOLE = ("Failed to load resource: the server responded with a status of 4",)


@pytest.fixture(scope="session")
def e2e_environment() -> float:
    """Runs scripts/e2e-setup.sh once (npm ci, Debian chromium, playwright); its duration."""
    started = time.monotonic()
    result = subprocess.run(
        [str(REPO / "scripts" / "e2e-setup.sh")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=SETUP_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/e2e-setup.sh failed:\n{result.stdout}\n{result.stderr}")
    return time.monotonic() - started


@pytest.fixture(scope="session")
def browser(e2e_environment: float) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright  # installed by the setup script if missing

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class Site:
    """The served app over a small network, with an API token per actor."""

    served: ServedApp
    network: SmallNetwork
    tokens: dict[str, str]

    def url(self, path: str) -> str:
        return self.served.url(path)


@pytest.fixture
def site(network: SmallNetwork) -> Iterator[Site]:
    tokens = tokens_for(network)
    with ServedApp(create_app(network.rt)) as served:
        yield Site(served, network, tokens)


@dataclass
class PageWatch:
    """What a page did that a test must not see: script errors, requests to other origins."""

    origin: str
    problems: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def console(self, kind: str, text: str) -> None:
        if kind == "error" and not text.startswith(EXPECTED_CONSOLE):
            self.problems.append(text)

    def request(self, url: str) -> None:
        if not url.startswith((self.origin + "/", "data:", "blob:")):
            self.foreign.append(url)


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(
        base_url=site.served.base,
        accept_downloads=True,
        viewport={"width": 1280, "height": 900},
        locale="en-GB",
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    watch = PageWatch(site.served.base)
    tab.on("console", lambda message: watch.console(message.type, message.text))
    tab.on("pageerror", lambda error: watch.problems.append(f"uncaught: {error}"))
    tab.on("request", lambda request: watch.request(request.url))
    yield tab
    context.close()
    assert not watch.problems, f"the page logged errors: {watch.problems}"
    assert not watch.foreign, f"the page asked other origins: {watch.foreign}"
