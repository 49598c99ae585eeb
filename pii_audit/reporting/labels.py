"""The words a report prints, in Chinese (the default) and English."""

from __future__ import annotations

import re

from pii_audit.errors import ConfigError

LANGUAGES = ("zh", "en")

STATUS = {
    "zh": {"open": "待整改", "in_progress": "整改中", "fixed": "已整改", "verified": "已验证",
           "reopened": "重新打开", "accepted_risk": "接受风险", "false_positive": "误报"},
    "en": {"open": "Open", "in_progress": "In progress", "fixed": "Fixed", "verified": "Verified",
           "reopened": "Reopened", "accepted_risk": "Accepted risk", "false_positive": "False positive"},
}

ENTITY = {
    "zh": {"CN_RESIDENT_ID": "居民身份证号", "CN_BANK_CARD": "银行卡号", "CN_BANK_ACCOUNT": "银行账号", "CN_MOBILE_PHONE": "手机号",
           "CN_LANDLINE_PHONE": "固定电话", "CN_PASSPORT": "护照号", "CN_HK_MACAU_PERMIT": "港澳通行证",
           "CN_TAIWAN_PERMIT": "台湾通行证", "CN_FOREIGN_PERMANENT_RESIDENT_ID": "外国人永久居留身份证号",
           "HK_ID_CARD": "香港身份证号", "MO_ID_CARD": "澳门身份证号", "TW_ID_CARD": "台湾身份证号",
           "CN_MILITARY_ID": "军人证件号",
           "CN_USCC": "统一社会信用代码", "CN_LICENSE_PLATE": "车牌号",
           "EMAIL_ADDRESS": "电子邮箱", "IP_ADDRESS": "IP 地址", "PERSON": "姓名", "CN_ADDRESS": "地址",
           "CARD_TRACK_DATA": "磁道信息", "CARD_CVN": "卡片验证码", "CARD_EXPIRY": "卡片有效期",
           "AUTH_PASSWORD": "密码", "AUTH_OTP": "动态验证码", "BIOMETRIC_TEMPLATE": "生物识别特征"},
    "en": {"CN_RESIDENT_ID": "Resident ID", "CN_BANK_CARD": "Bank card", "CN_BANK_ACCOUNT": "Bank account", "CN_MOBILE_PHONE": "Mobile phone",
           "CN_LANDLINE_PHONE": "Landline", "CN_PASSPORT": "Passport", "CN_HK_MACAU_PERMIT": "HK/Macau permit",
           "CN_TAIWAN_PERMIT": "Taiwan permit", "CN_FOREIGN_PERMANENT_RESIDENT_ID": "Foreign permanent resident ID",
           "HK_ID_CARD": "Hong Kong ID card", "MO_ID_CARD": "Macau ID card", "TW_ID_CARD": "Taiwan ID card",
           "CN_MILITARY_ID": "Military ID",
           "CN_USCC": "USCC", "CN_LICENSE_PLATE": "Licence plate",
           "EMAIL_ADDRESS": "Email", "IP_ADDRESS": "IP address", "PERSON": "Person name",
           "CN_ADDRESS": "Address", "CARD_TRACK_DATA": "Card track data", "CARD_CVN": "Card verification number",
           "CARD_EXPIRY": "Card expiry date", "AUTH_PASSWORD": "Password",
           "AUTH_OTP": "One-time code", "BIOMETRIC_TEMPLATE": "Biometric template"},
}

SHEETS = {
    "zh": {"overview": "汇总", "ledger": "整改台账", "scans": "扫描记录", "samples": "样本"},
    "en": {"overview": "Overview", "ledger": "Ledger", "scans": "Scans", "samples": "Samples"},
}

# Column headers of the ledger sheet; the import finds columns by these, in either language.
LEDGER_COLUMNS = {
    "zh": {"id": "编号", "target": "扫描目标", "container": "位置", "entity": "信息类型",
           "risk": "风险等级", "occurrences": "出现次数", "distinct": "不同值数", "masked": "已脱敏次数",
           "first_seen": "首次发现", "last_seen": "最近发现", "status": "状态", "owner": "责任人",
           "department": "责任部门", "due": "整改期限", "note": "整改说明", "updated_at": "updated_at"},
    "en": {"id": "ID", "target": "Target", "container": "Container", "entity": "Entity",
           "risk": "Risk", "occurrences": "Occurrences", "distinct": "Distinct values",
           "masked": "Masked occurrences", "first_seen": "First seen", "last_seen": "Last seen",
           "status": "Status", "owner": "Owner", "department": "Department", "due": "Due date",
           "note": "Remediation note", "updated_at": "updated_at"},
}

TEXT = {
    "zh": {
        "title": "个人信息审计报告", "generated": "生成时间", "overview": "总览", "ledger": "整改台账",
        "coverage": "扫描覆盖", "by_status": "按状态", "by_risk": "按风险等级", "by_entity": "按信息类型",
        "by_owner": "按责任人", "overdue": "逾期事项", "changes": "较上次扫描的变化", "new": "新发现",
        "reopened": "重新打开", "verified": "已验证", "trend": "近期扫描趋势", "open_items": "未关闭事项",
        "occurrences": "出现次数", "n_items": "事项", "scan": "扫描", "none": "无", "all": "全部",
        "search": "搜索", "samples": "脱敏样本", "location": "位置", "sample_location": "样本位置", "history": "变更记录",
        "unassigned": "未分配", "sampled": "抽样", "full": "全量", "complete": "完整",
        "incomplete": "不完整", "problems": "未能读取", "reason": "原因", "units": "读取量",
        "bytes": "字节", "started": "开始", "finished": "结束", "by": "执行人", "targets": "目标",
        "when": "时间", "action": "操作", "change": "变化", "note": "说明", "no_scans": "尚无扫描记录",
        "sensitive": "敏感", "minor": "含未成年人", "due": "整改期限", "days_overdue": "逾期天数",
        "shown": "显示", "of": "/", "mode": "方式", "filters": "筛选", "value": "数量",
        "report_of_scan": "本报告对应扫描", "approver": "批准人", "accepted_until": "接受至",
        "print_note": "本报告仅含脱敏值与位置，不含原始个人信息。",
        "estimate": "估算值：不同值超过 1024 个后按 HyperLogLog 估算，误差约 1%",
    },
    "en": {
        "title": "Personal information audit report", "generated": "Generated", "overview": "Overview",
        "ledger": "Remediation ledger", "coverage": "Scan coverage", "by_status": "By status",
        "by_risk": "By risk level", "by_entity": "By entity", "by_owner": "By owner",
        "overdue": "Overdue items", "changes": "Since the previous scan", "new": "New",
        "reopened": "Reopened", "verified": "Verified", "trend": "Trend over recent scans",
        "open_items": "Open items", "occurrences": "Occurrences", "n_items": "Items", "scan": "Scan",
        "none": "None", "all": "All", "search": "Search", "samples": "Masked samples",
        "sample_location": "Where the sample is",
        "location": "Location", "history": "History", "unassigned": "Unassigned", "sampled": "sampled",
        "full": "full", "complete": "complete", "incomplete": "incomplete", "problems": "Could not read",
        "reason": "Reason", "units": "Read", "bytes": "bytes", "started": "Started",
        "finished": "Finished", "by": "By", "targets": "Targets", "when": "When", "action": "Action",
        "change": "Change", "note": "Note", "no_scans": "No scans yet", "sensitive": "sensitive",
        "minor": "minors", "due": "Due", "days_overdue": "Days overdue", "shown": "Shown",
        "of": "of", "mode": "Mode", "filters": "Filters", "value": "Count",
        "report_of_scan": "This report is for scan", "approver": "Approver",
        "accepted_until": "Accepted until",
        "print_note": "This report holds masked values and locations only, never raw personal data.",
        "estimate": "An estimate: past 1,024 distinct values they are counted by HyperLogLog, within about 1%",
    },
}


# What a coverage record counts: lines of text, rows of a table, cells of a sheet's column.
UNIT = {
    "zh": {"lines": "行", "rows": "条记录", "cells": "个单元格"},
    "en": {"lines": "lines", "rows": "rows", "cells": "cells"},
}

# The words of a sample's location (viewmodel.format_location).
LOCATION = {
    "zh": {"row": "第{}行", "page": "第{}页", "slide": "幻灯片{}", "comment": "批注", "ocr": "OCR识别"},
    "en": {"row": "row {}", "page": "page {}", "slide": "slide {}", "comment": "comment", "ocr": "OCR"},
}

# The actions of an item's history (ledger/edits.py, ledger/record.py, ledger/rows.py).
ACTION = {
    "zh": {"created": "新发现", "status": "状态变更", "assign": "分配", "accept_risk": "接受风险",
           "note": "备注", "expired": "风险接受到期"},
    "en": {"created": "Found", "status": "Status change", "assign": "Assigned", "accept_risk": "Risk accepted",
           "note": "Note", "expired": "Acceptance expired"},
}


# The notes pii-audit composes in an item's history (ledger/record.py, ledger/rows.py,
# ledger/edits.py), kept in English in the ledger and on the command line and put in the
# report's words here; a person's own words inside them are kept as written.
NOTE_FRAMES = {
    "zh": (
        (re.compile(r"found by scan (\d+)"), "扫描 #{0} 发现"),
        (re.compile(r"found again by scan (\d+)"), "扫描 #{0} 再次发现"),
        (re.compile(r"verified by scan (\d+): container read in full, nothing found"),
         "扫描 #{0} 验证：完整读取该位置，未再发现"),
        (re.compile(r"verified by scan (\d+): its table or column is no longer in the database, listed in full"),
         "扫描 #{0} 验证：该表或列已不在数据库中（已完整列出）"),
        (re.compile(r"risk acceptance by (.*) expired after (\d{4}-\d\d-\d\d)", re.S),
         "{0} 批准的风险接受已于 {1} 到期"),
        (re.compile(r"approved by (.*?) until (\d{4}-\d\d-\d\d): (.*)", re.S), "{0} 批准接受风险至 {1}：{2}"),
        (re.compile(r"\(cleared\)"), "（已清空）"),
    ),
    "en": (),
}
# One change of an assignment: "owner 张伟 -> 李娜", "due - -> 2026-12-31", "department X -> (none)".
ASSIGN_PART = re.compile(r"(owner|department|due) (.*?) -> (.*)", re.S)
ASSIGN_WORDS = {"zh": {"owner": "责任人", "department": "责任部门", "due": "整改期限",
                       "unassigned": "未分配", "(none)": "（无）"}}


def check_lang(lang: str) -> str:
    """Return ``lang`` if reports can be written in it, else raise ConfigError."""
    if lang not in LANGUAGES:
        raise ConfigError(f"unknown report language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    return lang


def status_label(status: str, lang: str) -> str:
    """Return a status in words (the code itself when it is unknown)."""
    return STATUS[lang].get(status, status)


def amount_read(units: int, unit: str, lang: str) -> str:
    """Return how much a scan read of a container, in words: ``200 条记录``, ``1200 lines``."""
    return f"{units} {UNIT[lang].get(unit, unit)}"


def bytes_read(count: int, unit: str) -> int | str:
    """Return the bytes a scan read of a container, or a dash for a table's rows, which are
    counted in rows only (a 0 there would read as an empty table)."""
    return "—" if unit == "rows" and not count else count


def history_note(note: str, lang: str) -> str:
    """Return a note of an item's history in the report's language: the frames pii-audit
    composes translated, anything else as written.

    >>> history_note("verified by scan 12: container read in full, nothing found", "zh")
    '扫描 #12 验证：完整读取该位置，未再发现'
    >>> history_note("owner unassigned -> 张伟; due 2026-12-01 -> 2026-12-31", "zh")
    '责任人 未分配 → 张伟；整改期限 2026-12-01 → 2026-12-31'
    >>> history_note("已联系系统负责人", "zh")
    '已联系系统负责人'
    """
    for pattern, words in NOTE_FRAMES[lang]:
        matched = pattern.fullmatch(note)
        if matched:
            return words.format(*matched.groups())
    if lang not in ASSIGN_WORDS:
        return note
    parts = [ASSIGN_PART.fullmatch(part) for part in note.split("; ")]
    if not all(parts):
        return note
    words = ASSIGN_WORDS[lang]
    return "；".join(f"{words[name]} {words.get(old, old)} → {words.get(new, new)}"
                    for name, old, new in (part.groups() for part in parts))


def action_label(action: str, lang: str) -> str:
    """Return a history action in words (the code itself when it is unknown)."""
    return ACTION[lang].get(action, action)


def entity_label(entity: str, lang: str) -> str:
    """Return an entity type in words (the code itself when it is unknown)."""
    return ENTITY[lang].get(entity, entity)


def status_from_label(text: str) -> str | None:
    """Return the status code a cell names, by code or label in any language, else None.

    >>> status_from_label("整改中"), status_from_label("Fixed"), status_from_label("open")
    ('in_progress', 'fixed', 'open')
    """
    text = text.strip()
    for lang in LANGUAGES:
        for code, label in STATUS[lang].items():
            if text in (code, label) or text.lower() == label.lower():
                return code
    return None
