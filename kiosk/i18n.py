"""The runtime's own texts (validation errors, fallbacks), in every supported locale.

Flow texts come from the flows; these are the few the engine must say by
itself, so a citizen never sees an untranslated error.
"""
from __future__ import annotations

DEFAULT_LOCALE = "zh-CN"

MESSAGES: dict[str, dict[str, str]] = {
    "required": {"zh-CN": "请填写{label}", "en": "Please fill in {label}"},
    "too_short": {"zh-CN": "{label}至少需要{n}位", "en": "{label} needs at least {n} characters"},
    "too_long": {"zh-CN": "{label}最多{n}位", "en": "{label} takes at most {n} characters"},
    "bad_format": {"zh-CN": "{label}格式不正确", "en": "{label} is not in the right format"},
    "bad_id_number": {"zh-CN": "身份证号码校验位不正确，请核对", "en": "This ID number is not valid; please check it"},
    "bad_phone": {"zh-CN": "请输入11位手机号码", "en": "Please enter an 11-digit mobile number"},
    "bad_date": {"zh-CN": "请输入日期，如 2024-05-01", "en": "Please enter a date such as 2024-05-01"},
    "bad_choice": {"zh-CN": "请选择{label}", "en": "Please choose {label}"},
    "sorry_title": {"zh-CN": "抱歉，暂时无法办理", "en": "Sorry, this service is not available right now"},
    "sorry_text": {"zh-CN": "请稍后再试，或前往人工窗口办理。", "en": "Please try again later or go to a staffed counter."},
}


def lookup(table: dict[str, dict[str, str]], key: str, locale: str, **kw) -> str:
    """A text in the locale, else the default locale's; the one fallback rule for all runtime texts."""
    entry = table[key]
    return entry.get(locale, entry[DEFAULT_LOCALE]).format(**kw)


def t(key: str, locale: str, **kw) -> str:
    return lookup(MESSAGES, key, locale, **kw)


def pick(text: dict | None, locale: str) -> str:
    """A flow text in the locale, falling back to the default; the linter makes the fallback rare."""
    if not text:
        return ""
    return text.get(locale) or text.get(DEFAULT_LOCALE) or next(iter(text.values()), "")
