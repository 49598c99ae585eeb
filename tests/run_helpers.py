"""A small audited estate for the run, schedule and daemon tests: real files, a real key, a
real audit.toml and a SQLite ledger, with every raw value kept to search outputs for."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from pii_audit.keys import create_key_file
from tests_corpus import card, resident_id


def estate(root: Path, extra: str = "", summary: bool = True) -> tuple[Path, list[str]]:
    """Write logs with PI ("app"), a clean log ("clean"), an SQLite table ("core"); return the
    audit.toml and every raw value written."""
    rng = random.Random(6)
    ids = [resident_id(rng) for _ in range(6)]
    cards = [card(rng) for _ in range(6)]
    (root / "app").mkdir(parents=True)
    (root / "app" / "app.log").write_text(
        "".join(f"开户 身份证号{i} 卡号{c}\n" for i, c in zip(ids, cards)), "utf-8")
    (root / "clean").mkdir()
    (root / "clean" / "gc.log").write_text("GC pause 12ms\nGC pause 9ms\n", "utf-8")
    with sqlite3.connect(root / "core.db") as db:
        db.execute("CREATE TABLE kh (khh TEXT, sfzh TEXT)")
        db.executemany("INSERT INTO kh VALUES (?, ?)", [(f"KH{n}", i) for n, i in enumerate(ids)])
    create_key_file(root / "audit.key")
    text = CONFIG.format(summary='summary_file = "runs.jsonl"' if summary else "") + extra
    (root / "audit.toml").write_text(text, "utf-8")
    return root / "audit.toml", ids + cards


CONFIG = '''\
[ledger]
url = "sqlite:///ledger.db"
[key]
file = "audit.key"
[defaults]
schedule = "0 2 * * *"
full_scan = true
lang = "en"
[run]
state_dir = "state"
{summary}
[reports]
formats = ["html", "xlsx", "jsonl"]
output_dir = "out"

[[targets]]
name = "app"
kind = "files"
paths = ["app"]
owner = "张伟"
department = "信息科技部"

[[targets]]
name = "clean"
kind = "files"
paths = ["clean"]
owner = "王芳"

[[targets]]
name = "core"
kind = "database"
url = "sqlite:///core.db"
owner = "李娜"
schedule = "*/30 * * * *"
'''
