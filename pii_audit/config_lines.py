"""Find the line of a key in a TOML text, cheaply, so config problems can say where they are.

tomllib gives no positions for parsed values, so this scans table headers (``[defaults]``,
the n-th ``[[targets]]``) and ``key =`` lines. A key it cannot place falls back to its
table's header line, or to no line at all.
"""

from __future__ import annotations

import re

_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")


def _header(line: str) -> tuple[bool, str] | None:
    """Return (is_array, dotted name) when ``line`` is a table header."""
    match = _HEADER_RE.match(line)
    if match is None:
        return None
    name = ".".join(part.strip().strip('"') for part in match.group(2).split("."))
    return match.group(1) == "[[", name


class LineFinder:
    """Map dotted key paths such as ``("targets", 2, "schedule")`` to 1-based line numbers."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.headers = {i: h for i, line in enumerate(self.lines) if (h := _header(line))}

    def find(self, path: tuple) -> int | None:
        """Return the 1-based line of ``path``, or of the closest table holding it, or None."""
        prefix, start, end, best = "", 0, self._next_header(-1), None
        parts = list(path)
        while parts:
            key = parts.pop(0)
            name = f"{prefix}.{key}" if prefix else str(key)
            line = self._key_line(key, start, end)
            if line is not None:
                return line + 1  # a value, or an inline table or array: its line will do
            if parts and isinstance(parts[0], int):
                found = self._nth_header(name, parts.pop(0))
            else:
                found = self._sub_header(name, prefix, start)
            if found is None:
                return best
            if self.headers[found][1] != name:  # [a.b] opened table a implicitly: search from it
                prefix, start, end = name, found, self._next_header(found)
                continue
            prefix, start, end, best = name, found + 1, self._next_header(found), found + 1
        return best

    def _next_header(self, after: int) -> int:
        later = [i for i in self.headers if i > after]
        return min(later) if later else len(self.lines)

    def _nth_header(self, name: str, index: int) -> int | None:
        seen = [i for i, (is_array, n) in sorted(self.headers.items()) if n == name and is_array]
        return seen[index] if 0 <= index < len(seen) else None

    def _sub_header(self, name: str, prefix: str, start: int) -> int | None:
        """Find ``[name]``, or else a ``[name.sub]`` that opens it implicitly, among the headers
        of the table ``prefix`` opened before ``start``."""
        implicit = None
        for i in sorted(h for h in self.headers if h >= start):
            header = self.headers[i][1]
            if header == name:
                return i
            if implicit is None and header.startswith(name + "."):
                implicit = i
            if prefix and not header.startswith(prefix + "."):
                break
        return implicit

    def _key_line(self, key, start: int, end: int) -> int | None:
        if isinstance(key, int):
            return None
        pattern = re.compile(rf'^\s*("?){re.escape(key)}\1\s*=')
        for i in range(start, end):
            if pattern.match(self.lines[i]):
                return i
        return None
