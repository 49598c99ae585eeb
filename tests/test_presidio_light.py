"""Presidio without its start-up (``recognizers.presidio_light``): a scan loads neither spaCy nor
Presidio's predefined recognizers, and Presidio's ``AnalyzerEngine`` still runs our recognizers.

Each test runs a fresh interpreter: this one has imported all of Presidio long ago."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys

import pytest

from conftest import REPO
from tests_corpus import resident_id

KEY_HEX = "cd" * 32
# What ``import presidio_analyzer`` brought in before any text was read: 2 s of the scan's start.
HEAVY = ("spacy", "presidio_analyzer.predefined_recognizers", "presidio_analyzer.analyzer_engine",
         "presidio_analyzer.recognizer_registry", "presidio_analyzer.nlp_engine")


def run_python(code: str, *args: str, cwd) -> list[str]:
    """Run ``code`` in a new interpreter with this checkout importable; return its output lines."""
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(REPO), "PII_AUDIT_KEY": KEY_HEX})
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


SCAN = f"""
import sys
from pii_audit.cli import main
try:
    main(["scan", "--quiet", "--jobs", "2", *sys.argv[1:]])
except SystemExit as done:
    print("exit", done.code)
print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))
"""


def test_a_log_scan_loads_neither_spacy_nor_presidios_own_recognizers(tmp_path):
    """Two logs scanned by a pool of two forked workers: both values found, and the command,
    run in-process, never imported spaCy, the AnalyzerEngine or the predefined recognizers."""
    rng = random.Random(18)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    for log in logs:
        log.write_text(f"开户成功 身份证号{resident_id(rng)}\nGC pause 12ms\n", "utf-8")
    output = run_python(SCAN, *map(str, logs), cwd=tmp_path)
    assert any("2 plaintext occurrence(s)" in line for line in output), output
    assert output[-2:] == ["exit 1", "[]"]


ENGINE = """
import logging, sys
{first}
from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerResult
from recognizers import all_recognizers, build_analyzer, presidio_light
import presidio_analyzer.pattern
print(PatternRecognizer is presidio_light.PatternRecognizer, Pattern is presidio_analyzer.pattern.Pattern
      and issubclass(presidio_light.Pattern, Pattern), RecognizerResult is presidio_light.RecognizerResult)
print(all(isinstance(r, PatternRecognizer) for r in all_recognizers()))
analyzer = build_analyzer()
print(isinstance(analyzer, AnalyzerEngine), bool(logging.getLogger("decision_process").handlers))
print(sorted({{r.entity_type for r in analyzer.analyze("客户身份证号" + sys.argv[1] + "，已开户", language="zh")}}))
"""


@pytest.mark.parametrize("first", ["import recognizers\nprint('spacy' in sys.modules)",
                                   "import presidio_analyzer\nprint('spacy' in sys.modules)"],
                         ids=["light-first", "presidio-first"])
def test_analyzer_engine_runs_our_recognizers_in_the_same_process(tmp_path, first):
    """Light first, the whole package loads on its first other name, with the same classes (no
    Presidio module runs twice) and its logging set up; Presidio imported first is left as is."""
    value = resident_id(random.Random(5))
    output = run_python(ENGINE.format(first=first), value, cwd=tmp_path)
    assert output == [str(first.startswith("import presidio")), "True True True", "True", "True True",
                      "['CN_RESIDENT_ID']"]


def test_every_pattern_compiles_as_presidio_compiles_it():
    """Our ``Pattern`` leaves out Presidio's check at construction (a ``regex`` compile thrown
    away): the check is here, with the flags Presidio's ``analyze`` compiles them with."""
    import regex

    from recognizers import ALL_RECOGNIZERS
    from recognizers.presidio_light import PatternRecognizer

    patterns = [p for cls in ALL_RECOGNIZERS
                for p in cls.PATTERNS + cls.MASKED_PATTERNS + cls.CIPHERTEXT_PATTERNS]
    assert len(patterns) > 80
    for pattern in patterns:
        regex.compile(pattern.regex, flags=PatternRecognizer("X", patterns=[pattern]).global_regex_flags)


def test_a_bad_pattern_still_fails():
    from recognizers.base import ChineseRecognizer
    from recognizers.presidio_light import Pattern

    class Broken(ChineseRecognizer):
        ENTITY = "BROKEN"
        PATTERNS = (Pattern("broken", r"(\d{3}", 0.5),)

    with pytest.raises(re.error):
        Broken()
    with pytest.raises(ValueError):
        Pattern("score", r"\d", 1.5)
