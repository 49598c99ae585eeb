"""Email analysis never reaches the network or tldextract; any input gives results or nothing."""

from __future__ import annotations

import socket

import pytest

from recognizers import ALL_RECOGNIZERS, build_analyzer

IDS = [cls.__name__ for cls in ALL_RECOGNIZERS]


def test_email_analysis_makes_no_network_attempt_and_never_calls_tldextract(monkeypatch):
    import tldextract

    def refuse(*args, **kwargs):
        raise AssertionError("network or tldextract used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(tldextract, "extract", refuse)
    monkeypatch.setattr(tldextract.TLDExtract, "__call__", refuse)
    analyzer = build_analyzer()
    found = analyzer.analyze("邮箱：zhang.san@163.com，备用 li@example.com.cn", language="zh")
    assert [(r.entity_type, r.start, r.end) for r in found] == [("EMAIL_ADDRESS", 3, 20),
                                                                ("EMAIL_ADDRESS", 24, 41)]


JUNK = [
    pytest.param(bytes(range(256)).decode("latin-1") * 40, id="binary-as-latin1"),
    pytest.param(b"\xff\xfe\x00\x01PK\x03\x04".decode("utf-8", "surrogateescape") * 100, id="surrogateescape"),
    pytest.param("\ud800身份证\udfff11010519491231002X\udc00", id="lone-surrogates"),
    pytest.param("姓名：" + "张" * 5000, id="long-cjk-run"),
    pytest.param("地址：" + "北京市海淀区" * 3000, id="long-address"),
    pytest.param("a" * 100_000 + "@" + "b." * 50_000, id="long-email-like"),
    pytest.param(":" * 50_000 + "1", id="colons"),
    pytest.param("1." * 50_000, id="dots"),
]


@pytest.mark.parametrize("cls", ALL_RECOGNIZERS, ids=IDS)
@pytest.mark.parametrize("text", JUNK)
def test_junk_gives_results_or_nothing(cls, text):
    recognizer = cls()
    results = recognizer.analyze(text, None)
    recognizer.enhance_using_context(text, results, [], None, ["xm"])
    assert all(0 <= r.start < r.end <= len(text) for r in results)


def test_ten_megabyte_line_through_every_recognizer():
    line = "处理中文日志客户资料更新完成 " * 700_000 + "身份证号11010519491231002X"
    assert len(line) > 10_000_000
    found = {}
    for cls in ALL_RECOGNIZERS:
        recognizer = cls()
        results = recognizer.analyze(line, None)
        recognizer.enhance_using_context(line, results, [], None, [])
        found[cls.ENTITY] = len(results)
    assert found["CN_RESIDENT_ID"] == 1 and sum(found.values()) == 1
