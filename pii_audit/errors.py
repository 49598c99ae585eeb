"""The errors pii-audit raises on purpose; each message is one line a user can act on.

No message may contain a raw matched value: only masked forms and locations.
"""


class PiiAuditError(Exception):
    """Base of every error pii-audit reports to a user."""


class ConfigError(PiiAuditError):
    """A setting, key or command-line argument is wrong."""


class SourceError(PiiAuditError):
    """A target (file, spreadsheet, database) could not be read."""


class LedgerError(PiiAuditError):
    """The remediation ledger refused an operation."""


class LedgerConflict(LedgerError):
    """An item changed in the ledger after the copy being applied was taken (e.g. an exported sheet)."""
