"""Shared fixtures: a fixed fingerprint key, and the repository's paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
TEST_KEY = bytes(range(32))


@pytest.fixture
def key() -> bytes:
    """A fixed 32-byte fingerprint key, so fingerprints are reproducible in tests."""
    return TEST_KEY


@pytest.fixture(autouse=True)
def _no_ambient_key(monkeypatch):
    """Keep a developer's own PII_AUDIT_KEY out of the tests."""
    monkeypatch.delenv("PII_AUDIT_KEY", raising=False)
    monkeypatch.delenv("PII_AUDIT_KEY_FILE", raising=False)


def server_url(variable: str) -> str:
    """Return a test server's URL from the environment, or skip with the reason."""
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"${variable} is not set (.ci/run sets it; a laptop may have no server)")
    return url
