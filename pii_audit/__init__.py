"""pii-audit: find personal information where Chinese financial institutions should not keep it."""

__version__ = "0.1.0"
