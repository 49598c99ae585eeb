"""The secret fingerprint key: from PII_AUDIT_KEY, or a key file created with mode 0600.

The key never goes into the ledger or a report; the ledger keeps only its check value.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from pii_audit.errors import ConfigError

KEY_ENV = "PII_AUDIT_KEY"
KEY_FILE_ENV = "PII_AUDIT_KEY_FILE"
DEFAULT_KEY_FILE = "pii-audit.key"
MIN_KEY_BYTES = 32  # SECURITY.md item 2


def key_file_path(path: str | os.PathLike | None = None) -> Path:
    """Return the key file to use: the argument, else $PII_AUDIT_KEY_FILE, else ./pii-audit.key."""
    return Path(path or os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE)


def create_key_file(path: Path) -> bytes:
    """Write a new random key to ``path`` with mode 0600 and return it; refuse to overwrite."""
    key_hex = secrets.token_hex(MIN_KEY_BYTES)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"key file {path} already exists; refusing to overwrite it") from None
    except OSError as error:
        raise ConfigError(f"cannot create key file {path}: {error.strerror}") from None
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key_hex + "\n")
    return bytes.fromhex(key_hex)


def _parse_key(text: str, where: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = text.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"the key in {where} is shorter than {MIN_KEY_BYTES} bytes")
    return key


def load_key(path: str | os.PathLike | None = None, create: bool = True) -> bytes:
    """Return the fingerprint key from $PII_AUDIT_KEY, else from the key file.

    With ``create``, a missing key file is created (mode 0600) so a first scan just works.
    """
    if os.environ.get(KEY_ENV):
        return _parse_key(os.environ[KEY_ENV], f"${KEY_ENV}")
    key_path = key_file_path(path)
    if not key_path.exists():
        if not create:
            raise ConfigError(f"no key: set ${KEY_ENV} or run 'pii-audit init' to create {key_path}")
        return create_key_file(key_path)
    if key_path.stat().st_mode & 0o077:
        raise ConfigError(f"key file {key_path} is readable by others; run: chmod 600 {key_path}")
    try:
        return _parse_key(key_path.read_text("utf-8"), str(key_path))
    except OSError as error:
        raise ConfigError(f"cannot read key file {key_path}: {error.strerror}") from None


def key_check_value(key: bytes) -> str:
    """Return a short value that identifies a key without revealing it (stored in the ledger)."""
    return hmac.new(key, b"pii-audit key check value", hashlib.sha256).hexdigest()[:16]
