"""The referral slip (转办单) for the staffed counter: what was tried, where it stopped, and why.

Printed on the receipt printer after a failure, so that the citizen need
not explain again and the counter's staff can pick up where the kiosk
stopped. It names the item, the step, the reason, the time and the kiosk,
and the queue number where one was taken: nothing about the citizen (a
slip left in the tray must not tell anyone who was here).
"""
from __future__ import annotations

import datetime as dt

from devices.records import Cut, Feed, QrCode, Receipt, Text
from kiosk.engine import ending_texts as words
from kiosk.engine.endings import Ending

STEP_WORDS = {"read_id_card": "读取身份证", "scan_code": "扫码", "call": "查询业务系统", "print": "打印",
              "dispense_ticket": "取号", "form": "填写信息", "notice": "确认告知", "choice": "选择",
              "show_result": "查看结果", "video_help": "视频求助", "subflow": "办理子事项"}


def slip(ending: Ending, kiosk: dict, at: dt.datetime, ticket: str = "", job_id: str = "") -> Receipt:
    """The slip's lines, in Chinese for the counter's staff; the item and step as the kiosk knows them."""
    title = ending.flow_title.get("zh-CN") or ending.flow
    step = STEP_WORDS.get(ending.step_kind, "")
    where = " ".join(x for x in (kiosk.get("id", ""), kiosk.get("name", "")) if x)
    lines = [
        Text("转办单", "center", 2, True),
        Text("自助终端未能办结，请到人工窗口继续办理", "center"),
        Feed(1),
        Text(f"事项：{title}"),
        Text(f"步骤：{step}（{ending.step}）" if step else f"步骤：{ending.step}"),
        Text(f"原因：{words.why(ending.reason, 'zh-CN')}（{ending.reason or 'other'}）"),
        Text(f"时间：{at:%Y-%m-%d %H:%M}"),
        Text(f"终端：{where}"),
    ]
    if kiosk.get("hall"):
        lines.append(Text(f"大厅：{kiosk['hall']}"))
    if ticket:
        lines += [Feed(1), Text("排队号", "center"), Text(ticket, "center", 4, True)]
    lines += [Feed(1), QrCode(f"referral:{kiosk.get('id', '')}:{ending.flow}:{ending.step}:{ending.reason}"), Cut()]
    return Receipt(tuple(lines), job_id=job_id)
