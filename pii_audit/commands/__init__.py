"""One module per command of the ``pii-audit`` command line."""
