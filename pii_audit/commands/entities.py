"""``pii-audit entities``: list what pii-audit recognizes, with each entity's risk."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def entities(output_format):
    """List the entities pii-audit recognizes, with their JR/T 0171-2020 category.

    \b
    Example:
        pii-audit entities --format json
    """
    from recognizers import ALL_RECOGNIZERS  # here: Presidio's import is not for `pii-audit --help`

    rows = [{
        "entity": cls.ENTITY,
        "category": cls.RISK.category,
        "pipl_sensitive": cls.RISK.sensitive,
        "needs_context": max(p.score for p in cls.PATTERNS) < 0.5,
        "recognizer": cls.__name__,
    } for cls in ALL_RECOGNIZERS]
    if output_format == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    width = max(len(row["entity"]) for row in rows) + 1
    click.echo(f"{'entity':<{width}} {'JR/T 0171':<10} {'PIPL sensitive':<15} {'needs context'}")
    for row in rows:
        click.echo(f"{row['entity']:<{width}} {row['category']:<10} {str(row['pipl_sensitive']):<15} "
                   f"{row['needs_context']}")
