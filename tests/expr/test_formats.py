"""Formatting functions a citizen reads: money, dates, months, ID types and masked text, in both locales."""
import datetime as dt

import pytest

from kiosk import privacy
from kiosk.expr import ExprError, ExprType, Mask, Privacy, Scope, Var, compile_expr, compile_template

SCOPE = Scope({
    "data": {"balance": Var(ExprType.NUMBER), "since": Var(ExprType.DATE), "month": Var(ExprType.STRING),
             "salary": Var(ExprType.NUMBER, Privacy.PERSONAL), "status": Var(ExprType.STRING)},
    "id": {"card_type": Var(ExprType.STRING), "address": Var(ExprType.STRING, Privacy.PERSONAL, "", Mask.TEXT)},
    "locale": Var(ExprType.STRING),
})


def value(source: str, **data):
    return compile_expr(source, SCOPE).evaluate({"data": data, "id": {}, "locale": "en"})


@pytest.mark.parametrize("x, zh, en", [
    (2400.5, "¥2,400.50", "CNY 2,400.50"),
    (2400, "¥2,400.00", "CNY 2,400.00"),
    (0, "¥0.00", "CNY 0.00"),
    (-12.3, "-¥12.30", "-CNY 12.30"),
    (-0.001, "¥0.00", "CNY 0.00"),  # no negative zero
    (0.005, "¥0.01", "CNY 0.01"),  # halves away from zero, as a counter rounds
    (1.005, "¥1.01", "CNY 1.01"),  # the float 1.005 is 1.00499...; rounded as written
    (12345678901.25, "¥12,345,678,901.25", "CNY 12,345,678,901.25"),
])
def test_money_in_both_locales(x, zh, en):
    assert value(f"money(data.balance, 'zh-CN')", balance=x) == zh
    assert value(f"money(data.balance, 'en')", balance=x) == en


@pytest.mark.parametrize("x", [1e15, -1e308, 2**53])
def test_an_amount_beyond_any_account_is_an_evaluation_error_not_a_crash(x):
    with pytest.raises(Exception, match=r"money\(\) of an amount of 10\^15 or more"):
        value("money(data.balance, 'en')", balance=x)


@pytest.mark.parametrize("source", ["money(data.balance, 'zh-CN')", "format_date(data.since, 'en')",
                                    "format_month(data.month, 'zh-CN')", "id_type_name(id.card_type, 'en')"])
def test_a_missing_value_stays_missing(source):
    assert value(source) is None
    with pytest.raises(Exception, match="has no value"):
        compile_template("{{ " + source + " }}", SCOPE).render({"data": {}, "id": {}, "locale": "en"})


def test_missing_amount_with_a_fallback():
    assert value("default(money(data.balance, locale), '—')") == "—"


@pytest.mark.parametrize("d, zh, en", [
    (dt.date(2024, 3, 5), "2024年3月5日", "5 Mar 2024"),
    (dt.date(2024, 12, 31), "2024年12月31日", "31 Dec 2024"),
])
def test_dates_in_both_locales(d, zh, en):
    assert value("format_date(data.since, 'zh-CN')", since=d) == zh
    assert value("format_date(data.since, 'en')", since=d) == en
    assert value(f"format_date('{d.isoformat()}', locale)") == en


@pytest.mark.parametrize("m, zh, en", [
    ("2024-03", "2024年3月", "Mar 2024"), ("2024-03-05", "2024年3月", "Mar 2024"), ("2023-12", "2023年12月", "Dec 2023"),
])
def test_months_in_both_locales(m, zh, en):
    assert value("format_month(data.month, 'zh-CN')", month=m) == zh
    assert value("format_month(data.month, 'en')", month=m) == en


def test_month_of_a_date():
    assert value("format_month(data.since, 'zh-CN')", since=dt.date(2023, 12, 1)) == "2023年12月"
    assert value("format_month(data.since, 'en')", since=dt.date(2023, 12, 1)) == "Dec 2023"


@pytest.mark.parametrize("bad", ["2024-13", "March 2024", "2024/03", ""])
def test_a_month_that_is_not_one_is_an_evaluation_error(bad):
    with pytest.raises(Exception, match="format_month"):
        value("format_month(data.month, 'en')", month=bad)


@pytest.mark.parametrize("card_type, zh, en", [
    ("resident", "居民身份证", "Resident ID card"),
    ("hmt_residence", "港澳台居民居住证", "HK/Macao/Taiwan residence permit"),
    ("foreign_permanent", "外国人永久居留身份证", "Foreign permanent resident ID card"),
    ("new_kind", "new_kind", "new_kind"),
])
def test_id_type_names(card_type, zh, en):
    ctx = {"data": {}, "id": {"card_type": card_type}}
    assert compile_expr("id_type_name(id.card_type, 'zh-CN')", SCOPE).evaluate(ctx) == zh
    assert compile_expr("id_type_name(id.card_type, locale)", SCOPE).evaluate({**ctx, "locale": "en"}) == en


def test_every_accepted_card_type_has_a_name():
    from kiosk.expr.funcs import ID_TYPES
    from kiosk.flow.model import ReadIdCard
    accepted = ReadIdCard.model_fields["accept"].annotation.__args__[0].__args__
    assert set(accepted) == set(ID_TYPES)


@pytest.mark.parametrize("source, col, message", [
    ("money(data.status, locale)", 6, "argument 1 of money() must be int or number, not string"),
    ("money(data.balance, 1)", 20, "argument 2 of money() must be string, not int"),
    ("format_month(data.balance, locale)", 13, "argument 1 of format_month() must be date or string, not number"),
    ("id_type_name(data.since, 'en')", 13, "argument 1 of id_type_name() must be string, not date"),
    ("money(data.balance)", 0, "money() takes 2 arguments, got 1"),
    ("mask_text(data.balance)", 10, "argument 1 of mask_text() must be string, not number"),
])
def test_wrong_argument_types_are_located_load_errors(source, col, message):
    with pytest.raises(ExprError) as exc:
        compile_expr(source, SCOPE)
    assert (exc.value.offset, exc.value.message, exc.value.rule) == (col, message, "expr/type")


def test_formatting_a_personal_value_keeps_it_personal():
    """Taint: money() of a personal amount is computed from it, so it is personal and has no partial form."""
    c = compile_expr("money(data.salary, 'zh-CN')", SCOPE)
    assert c.privacy == Privacy.PERSONAL and c.label.mask == Mask.HIDE
    shown = compile_template("{{ money(data.salary, 'zh-CN') }}", SCOPE).render(
        {"data": {"salary": 8123.4}}, show=privacy.show)
    assert shown == "***" and "8,123" not in shown


def test_mask_text_masks_an_address_and_stays_personal():
    c = compile_expr("mask_text(id.address)", SCOPE)
    assert c.privacy == Privacy.PERSONAL and c.label.mask == Mask.MASKED
    ctx = {"id": {"address": "示例市示例区示例路8号1栋101"}}
    assert compile_template("{{ mask_text(id.address) }}", SCOPE).render(ctx, show=privacy.show) == "示例市示例区***"
    assert compile_template("{{ mask_text(id.address) }}", SCOPE).render(ctx, show=privacy.hide) == "***"
    assert value("mask_text('在职')") == "在***"
