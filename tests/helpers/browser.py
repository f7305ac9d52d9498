"""Headless Chromium for the page tests (Debian's Chromium via Playwright).

The ``browser`` fixture launches one browser per test module; a test module
takes it with ``from helpers.browser import browser_fixture`` (pytest finds a
fixture imported into a module as if it were defined there, under its name
``browser``). Without Chromium or Playwright
it skips with a reason, except in CI (``MUTUALS_REQUIRE_SHARED_DATA=1``), where
it fails: the page tests must run there.

:func:`open_page` opens a file in a fresh context and records what the page
does: every request, every page error and console error, every dialog (each
dismissed).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

__all__ = [
    "ARGS",
    "CHROMIUM",
    "Opened",
    "browser_fixture",
    "only_the_page",
    "open_page",
    "unavailable",
]

CHROMIUM = os.environ.get("MUTUALS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def unavailable(reason: str) -> None:
    """Skip with ``reason``, or fail in CI (``MUTUALS_REQUIRE_SHARED_DATA=1``)."""
    if os.environ.get("MUTUALS_REQUIRE_SHARED_DATA") == "1":
        pytest.fail(f"browser test must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Any]:
    """One headless Chromium for the module's tests (see the module docstring)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install playwright)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def only_the_page(route: Any, url: str) -> None:
    """The default route handler: the page itself loads, every other request is aborted."""
    if route.request.url == url:
        route.continue_()
    else:
        route.abort()


@dataclass
class Opened:
    """A page opened by :func:`open_page`, with what it did while loading (and after)."""

    context: Any
    page: Any
    url: str
    requested: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.context.close()

    def __enter__(self) -> Opened:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_page(
    browser: Any,
    path: Path,
    *,
    route: Callable[[Any, str], None] | None = only_the_page,
    wait: str = "networkidle",
    hover: str | None = "main *",
) -> Opened:
    """Open ``path`` in a fresh context of ``browser``.

    Every request is recorded (``requested``), and so is every page error and
    console error (``errors``) and every dialog, dismissed (``dialogs``).
    ``route(route, url)`` handles each request (``url`` is the page's), by
    default :func:`only_the_page`; None lets every request through. After
    ``page.goto`` the page waits for the ``wait`` load state, then every element
    matching ``hover`` gets a mouseover (None: none)."""
    url = path.as_uri()
    context = browser.new_context()
    opened = Opened(context=context, page=None, url=url)
    context.on("request", lambda r: opened.requested.append(r.url))
    if route is not None:
        handler = route
        context.route("**/*", lambda r: handler(r, url))
    try:
        page = context.new_page()
        opened.page = page
        page.on("pageerror", lambda e: opened.errors.append(str(e)))
        page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)

        def on_dialog(d: Any) -> None:
            opened.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)
        page.goto(url)
        page.wait_for_load_state(wait)
        if hover is not None:
            for el in page.query_selector_all(hover):
                el.dispatch_event("mouseover")
    except BaseException:
        context.close()
        raise
    return opened
