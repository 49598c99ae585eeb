"""Keep pytest's doctest collection from importing env.py, which only runs inside Alembic."""

collect_ignore = ["env.py"]
