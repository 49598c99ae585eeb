"""Fixed-length keys of a target and of an item (target, container, entity), for unique indexes.

The keys are SHA-256 hex digests, 64 ASCII characters whatever the names hold: MySQL/MariaDB
cannot index TEXT columns whole (InnoDB keys stop at 3,072 bytes, 768 utf8mb4 characters), and
its default collations compare case- and accent-insensitively and ignore trailing spaces, so
``Logs/A.log`` and ``logs/a.log`` would collide there. A digest of the exact UTF-8 bytes keeps
SQLite's and PostgreSQL's byte-exact identity on every database. Migration 0003 holds a frozen
copy of these two functions: change neither without a new revision.
"""

from __future__ import annotations

import hashlib
import json


def _digest(text: str) -> str:
    # surrogatepass: a file name Python decoded with surrogateescape still gets a key.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def target_key(target: str) -> str:
    """Return the key of a target as stored (password hidden).

    >>> len(target_key("日志/app.log")), target_key("a") != target_key("A")
    (64, True)
    """
    return _digest(target)


def item_identity(target: str, container: str, entity_type: str) -> str:
    """Return the key of an item: its target, container and entity, unambiguously joined.

    >>> item_identity("a", "b,c", "X") != item_identity("a,b", "c", "X")
    True
    """
    return _digest(json.dumps([target, container, entity_type], ensure_ascii=False,
                              separators=(",", ":")))
