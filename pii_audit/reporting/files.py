"""Open report files so that only their owner can read them (SECURITY.md item 5)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from pii_audit.errors import ConfigError

PRIVATE_MODE = 0o600


def open_private(path: str | os.PathLike) -> BinaryIO:
    """Open ``path`` for writing, created or truncated, with mode 0600 before any byte is written."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    except OSError as error:
        raise ConfigError(f"cannot write {path}: {error.strerror}") from None
    # An existing file keeps its old mode through O_CREAT, so set it explicitly.
    os.fchmod(descriptor, PRIVATE_MODE)
    return os.fdopen(descriptor, "wb")


def write_private(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` with mode 0600 and return the path."""
    with open_private(path) as handle:
        handle.write(data)
    return Path(path)
