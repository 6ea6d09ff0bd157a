"""The oversight tests' fixtures: the browser test's own (Chromium, the login form)."""

from tests.browser.conftest import (  # noqa: F401 - the browser test's fixtures
    browser_context_args,
    browser_type_launch_args,
    login,
)
