"""``python -m pii_audit`` runs the command line."""

from pii_audit.cli import main

main()
