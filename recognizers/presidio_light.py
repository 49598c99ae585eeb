"""Presidio's recognizer classes without Presidio's start-up: no spaCy, no predefined recognizers.

``import presidio_analyzer`` runs the package ``__init__``, which imports ``AnalyzerEngine``, the
``RecognizerRegistry`` with every predefined recognizer (``url_recognizer`` alone compiles a regex
for 0.8 s) and spaCy (1.2 s): about 2 s before a scan reads a byte (measured, presidio-analyzer
2.2.366, the newest release on PyPI). A scan needs only the classes imported here,
whose modules import nothing heavy.

So this module puts the package ``presidio_analyzer`` in ``sys.modules`` *without running its
``__init__``*, imports the light modules into it and gives it a module ``__getattr__`` (PEP 562)
that runs the real ``__init__`` the first time any other name is asked for (``from
presidio_analyzer import AnalyzerEngine``). That ``__init__`` finds the light modules already in
``sys.modules`` and does not run them again, so the classes stay the same objects: our recognizers
are the ``PatternRecognizer`` subclasses an ``AnalyzerEngine`` accepts, in the same process
(``tests/test_presidio_light.py``). ``Pattern`` alone is our subclass of Presidio's (below). Forked workers inherit the package as it is; a spawned one
imports the scan's modules, hence this module, first. Two threads asking for that first other
name at once are not guarded against (the second could see a half-run ``__init__``): pii-audit's
own code never asks for the rest, and ``build_analyzer`` is called by one thread in the bench and tests.

Every pii-audit module takes these classes from here, never from ``presidio_analyzer``: a plain
``from presidio_analyzer import Pattern`` run first would load the whole package.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from types import ModuleType

# (module, class) in the order the package's __init__ imports them: each module's own
# ``from presidio_analyzer import X`` finds the classes of the modules before it.
LIGHT_CLASSES = (
    ("analysis_explanation", "AnalysisExplanation"),
    ("recognizer_result", "RecognizerResult"),
    ("entity_recognizer", "EntityRecognizer"),
    ("local_recognizer", "LocalRecognizer"),
    ("pattern", "Pattern"),
    ("pattern_recognizer", "PatternRecognizer"),
)


def _light_package() -> ModuleType:
    """Return ``presidio_analyzer``: as imported already, or holding the light classes only."""
    package = sys.modules.get("presidio_analyzer")
    if package is not None:  # imported before us, fully or by this function
        return package
    spec = importlib.util.find_spec("presidio_analyzer")
    package = importlib.util.module_from_spec(spec)  # __path__ set, __init__ not run
    sys.modules["presidio_analyzer"] = package
    for module_name, class_name in LIGHT_CLASSES:
        module = importlib.import_module(f"presidio_analyzer.{module_name}")
        setattr(package, class_name, getattr(module, class_name))
    # As the package's __init__ does, so that Presidio's warnings stay silent unless logging is set up.
    logging.getLogger("presidio-analyzer").addHandler(logging.NullHandler())

    def load_the_rest(name: str):
        # Gone before the __init__ runs: a name the __init__ asks for before defining it must
        # fail as in a normal import, not run the __init__ again.
        del package.__getattr__
        spec.loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = load_the_rest
    return package


_package = _light_package()
AnalysisExplanation = _package.AnalysisExplanation
RecognizerResult = _package.RecognizerResult
EntityRecognizer = _package.EntityRecognizer
LocalRecognizer = _package.LocalRecognizer
PatternRecognizer = _package.PatternRecognizer


class Pattern(_package.Pattern):
    """Presidio's ``Pattern`` without its check of the regex at construction, which compiles it
    with the ``regex`` module and throws the result away: the 87 patterns of our recognizers took
    0.22 s of a scan's 0.95 s start-up so (measured). Each is compiled where it is used, so a bad one
    still fails: by ``re`` when its recognizer is built (``ChineseRecognizer.__init__``), by
    ``regex`` in Presidio's own ``analyze``. Presidio takes it as its own (a subclass)."""

    def __init__(self, name: str, regex: str, score: float):  # noqa: D107 - as Presidio's
        self.name = name
        self.regex = regex
        self.score = score
        self.compiled_regex = None
        self.compiled_with_flags = None
        if not 0 <= score <= 1:
            raise ValueError(f"Invalid score: {score}. Score should be between 0 and 1")

__all__ = [class_name for _, class_name in LIGHT_CLASSES]
