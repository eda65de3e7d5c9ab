"""Helpers of the real-browser tests: screenshots, signing in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"


def artifact(name: str) -> Path:
    """test-artifacts/e2e/NAME.png (git-ignored), its folder created."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot in test-artifacts/e2e/NAME.png."""
    path = artifact(name)
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, token: str) -> None:
    """Through the sign-in form, as a person would."""
    from playwright.sync_api import expect

    page.goto("/manufacturer")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Products and batches", level=1)).to_be_visible()
