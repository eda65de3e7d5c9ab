"""Another Chromium per fake-camera video: the camera's file is a launch argument."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PageWatch, Site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CameraPage = Callable[[Path], "Page"]


@pytest.fixture
def camera_page(browser: Browser, site: Site) -> Iterator[CameraPage]:
    """A factory: a phone-sized page of a Chromium whose camera plays the given Y4M video."""
    watches: list[PageWatch] = []
    launched: list[Browser] = []

    def open_page(video: Path) -> Page:
        camera = browser.browser_type.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        launched.append(camera)
        context = camera.new_context(
            base_url=site.served.base, viewport={"width": 412, "height": 915}, locale="en-GB"
        )
        context.grant_permissions(["camera"])
        context.set_default_timeout(15_000)
        tab = context.new_page()
        watch = PageWatch(site.served.base)
        watches.append(watch)
        tab.on("console", lambda message: watch.console(message.type, message.text))
        tab.on("pageerror", lambda error: watch.problems.append(f"uncaught: {error}"))
        tab.on("request", lambda request: watch.request(request.url))
        return tab

    yield open_page
    for camera in launched:
        camera.close()
    for watch in watches:
        assert not watch.problems, f"the page logged errors: {watch.problems}"
        assert not watch.foreign, f"the page asked other origins: {watch.foreign}"


OFFLINE_CONSOLE = "Failed to load resource: net::ERR_INTERNET_DISCONNECTED"


@pytest.fixture
def offline_page(browser: Browser, site: Site) -> Iterator[Page]:
    """Like tests/e2e's `page`, except that the browser's own log of a request refused while
    offline (context.set_offline) is expected; every other script error still fails the test."""
    context = browser.new_context(
        base_url=site.served.base, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    watch = PageWatch(site.served.base)

    def console(kind: str, text: str) -> None:
        if not text.startswith(OFFLINE_CONSOLE):
            watch.console(kind, text)

    tab.on("console", lambda message: console(message.type, message.text))
    tab.on("pageerror", lambda error: watch.problems.append(f"uncaught: {error}"))
    tab.on("request", lambda request: watch.request(request.url))
    yield tab
    context.close()
    assert not watch.problems, f"the page logged errors: {watch.problems}"
    assert not watch.foreign, f"the page asked other origins: {watch.foreign}"
