"""Presidio recognizers for Chinese personal information, usable in any ``AnalyzerEngine``.

Example (no model download, nothing reaches the network)::

    from recognizers import build_analyzer
    analyzer = build_analyzer()
    analyzer.analyze("客户身份证号11010519491231002X", language="zh")

Importing this package imports Presidio's recognizer classes only, not spaCy nor Presidio's own
recognizers (``recognizers.presidio_light``); ``from presidio_analyzer import AnalyzerEngine``
afterwards loads the rest of Presidio, with the same classes.

Adding a recognizer: one module ``cn_<thing>.py`` (``hk_``, ``mo_``, ``tw_`` for Hong Kong's,
Macau's and Taiwan's documents; ``card_``, ``auth_``, ``biometric_`` for what no country owns) with ``ENTITY``, ``EXAMPLES`` and a
``ChineseRecognizer`` subclass, plus a line in ``ALL_RECOGNIZERS``.
"""

from __future__ import annotations

from recognizers.auth_otp import AuthOtpRecognizer
from recognizers.auth_password import AuthPasswordRecognizer
from recognizers.base import MASKED_KEY, MIN_SCORE, ChineseRecognizer, Risk, fingerprint
from recognizers.biometric_template import BiometricTemplateRecognizer
from recognizers.card_cvn import CardCvnRecognizer
from recognizers.card_expiry import CardExpiryRecognizer
from recognizers.card_track_data import CardTrackDataRecognizer
from recognizers.cn_address import CnAddressRecognizer
from recognizers.cn_bank_account import CnBankAccountRecognizer
from recognizers.cn_bank_card import CnBankCardRecognizer
from recognizers.cn_foreign_permanent_resident_id import CnForeignPermanentResidentIdRecognizer
from recognizers.cn_hk_macau_permit import CnHkMacauPermitRecognizer
from recognizers.cn_landline_phone import CnLandlinePhoneRecognizer
from recognizers.cn_license_plate import CnLicensePlateRecognizer
from recognizers.cn_military_id import CnMilitaryIdRecognizer
from recognizers.cn_mobile_phone import CnMobilePhoneRecognizer
from recognizers.cn_passport import CnPassportRecognizer
from recognizers.cn_resident_id import CnResidentIdRecognizer
from recognizers.cn_taiwan_permit import CnTaiwanPermitRecognizer
from recognizers.cn_uscc import CnUsccRecognizer
from recognizers.email_address import EmailAddressRecognizer
from recognizers.hk_id_card import HkIdCardRecognizer
from recognizers.ip_address import IpAddressRecognizer
from recognizers.mo_id_card import MoIdCardRecognizer
from recognizers.person import PersonRecognizer
from recognizers.tw_id_card import TwIdCardRecognizer

ALL_RECOGNIZERS: tuple[type[ChineseRecognizer], ...] = (
    CnResidentIdRecognizer,
    CnBankCardRecognizer,
    CnBankAccountRecognizer,
    CnMobilePhoneRecognizer,
    CnLandlinePhoneRecognizer,
    CnPassportRecognizer,
    CnHkMacauPermitRecognizer,
    CnTaiwanPermitRecognizer,
    CnForeignPermanentResidentIdRecognizer,
    HkIdCardRecognizer,
    MoIdCardRecognizer,
    TwIdCardRecognizer,
    CnMilitaryIdRecognizer,
    CnUsccRecognizer,
    CnLicensePlateRecognizer,
    EmailAddressRecognizer,
    IpAddressRecognizer,
    PersonRecognizer,
    CnAddressRecognizer,
    CardTrackDataRecognizer,
    CardCvnRecognizer,
    CardExpiryRecognizer,
    AuthPasswordRecognizer,
    AuthOtpRecognizer,
    BiometricTemplateRecognizer,
)

__all__ = [
    "ALL_RECOGNIZERS", "MASKED_KEY", "MIN_SCORE", "ChineseRecognizer", "Risk", "fingerprint",
    "all_recognizers", "build_registry", "build_analyzer",
]


def all_recognizers(language: str = "zh") -> list[ChineseRecognizer]:
    """Return one instance of every recognizer, for ``language``."""
    return [cls(supported_language=language) for cls in ALL_RECOGNIZERS]


def build_registry(language: str = "zh"):
    """Return a Presidio ``RecognizerRegistry`` holding every pii-audit recognizer."""
    from presidio_analyzer import RecognizerRegistry

    registry = RecognizerRegistry(supported_languages=[language])
    for recognizer in all_recognizers(language):
        registry.add_recognizer(recognizer)
    return registry


def build_analyzer(language: str = "zh"):
    """Return an ``AnalyzerEngine`` with these recognizers and Presidio's no-op NLP engine.

    ``AnalyzerEngine()`` with no NLP configuration tries to download a spaCy model and fails
    offline (measured); the no-op engine needs no model.
    """
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    nlp_engine = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "no_op",
        "models": [{"lang_code": language, "model_name": "none"}],
    }).create_engine()
    return AnalyzerEngine(registry=build_registry(language), nlp_engine=nlp_engine,
                          supported_languages=[language])
