"""Under CI, a test skipped because the shared corpus is missing fails instead.

Corpus tests skip on a machine without ``../shared/corpus`` (a contributor's clone); in CI the
corpus is part of the workspace, so its absence is a broken set-up, not a reason to pass.
Any skip whose reason mentions the corpus is turned into a failure when ``CI`` is set.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") and "corpus" in _skip_reason(report).lower():
        report.outcome = "failed"
        report.longrepr = (f"{_skip_reason(report)}\n"
                           "CI is set, so a missing shared corpus is an error, not a skip.")
