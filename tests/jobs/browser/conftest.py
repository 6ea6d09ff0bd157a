"""The browser fixtures of tests/browser, for the jobs' browser tests."""

from tests.browser.conftest import (  # noqa: F401 - fixtures
    browser_context_args,
    browser_type_launch_args,
    login,
)
