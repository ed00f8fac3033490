"""The UI's own words (buttons, prompts, reasons), in every locale; flow texts come from flows."""
from __future__ import annotations

from kiosk.i18n import lookup

TEXTS: dict[str, dict[str, str]] = {
    "back": {"zh-CN": "返回", "en": "Back"},
    "cancel": {"zh-CN": "取消", "en": "Cancel"},
    "help": {"zh-CN": "视频求助", "en": "Video help"},
    "home": {"zh-CN": "首页", "en": "Home"},
    "elderly_on": {"zh-CN": "长辈模式", "en": "Large text"},
    "elderly_off": {"zh-CN": "标准模式", "en": "Standard"},
    "other_locale": {"zh-CN": "English", "en": "中文"},
    "voice_on": {"zh-CN": "语音：开", "en": "Voice: on"},
    "voice_off": {"zh-CN": "语音：关", "en": "Voice: off"},
    "continue": {"zh-CN": "继续", "en": "Continue"},
    "ok": {"zh-CN": "确定", "en": "OK"},
    "agree": {"zh-CN": "同意", "en": "I agree"},
    "decline": {"zh-CN": "不同意", "en": "I do not agree"},
    "done": {"zh-CN": "完成", "en": "Done"},
    "submit": {"zh-CN": "提交", "en": "Submit"},
    "optional": {"zh-CN": "选填", "en": "optional"},
    "phone_placeholder": {"zh-CN": "请输入11位手机号码", "en": "11-digit mobile number"},
    "step_of": {"zh-CN": "第 {i} / {n} 步", "en": "Step {i} of {n}"},
    "still_there": {"zh-CN": "您还在吗？", "en": "Are you still there?"},
    "still_there_text": {"zh-CN": "{s} 秒后将返回首页并清除您的信息。", "en": "In {s} seconds the kiosk returns home and clears your data."},
    "time_left": {"zh-CN": "剩余 {s} 秒", "en": "{s} seconds left"},
    "wait_id_card": {"zh-CN": "等待刷身份证…", "en": "Waiting for your ID card…"},
    "wait_code": {"zh-CN": "请出示二维码…", "en": "Please show the code…"},
    "wait_printer": {"zh-CN": "正在打印，请稍候…", "en": "Printing, please wait…"},
    "wait_backend": {"zh-CN": "正在查询，请稍候…", "en": "Working, please wait…"},
    "wait_staff": {"zh-CN": "正在连接工作人员…", "en": "Connecting you to staff…"},
    "retrying": {"zh-CN": "正在重试（第 {n} 次）", "en": "Trying again (attempt {n})"},
    "help_requested": {"zh-CN": "已呼叫工作人员，请稍候", "en": "Staff have been called; please wait"},
    "more_below": {"zh-CN": "▼ 下方还有内容（向上滑动或点此）", "en": "▼ More below (swipe up or tap here)"},
    "back_to_top": {"zh-CN": "▲ 回到顶部", "en": "▲ Back to the top"},
    "placeholder": {"zh-CN": "请在下方键盘输入", "en": "Type on the keyboard below"},
    "placeholder:phone": {"zh-CN": "请输入 11 位手机号码", "en": "11-digit mobile number"},
    "placeholder:id_number": {"zh-CN": "请输入 18 位身份证号码", "en": "18-character ID number"},
    "placeholder:tap": {"zh-CN": "点此输入", "en": "Tap here to type"},
    "home_title": {"zh-CN": "请选择要办理的事项", "en": "What would you like to do?"},
    # the home screen (kiosk.ui.home)
    "device_no": {"zh-CN": "设备编号：{id}", "en": "Kiosk no. {id}"},
    "search": {"zh-CN": "搜索事项", "en": "Search"},
    "search_hint": {"zh-CN": "输入拼音首字母或汉字，如 sbcx", "en": "Type a word of the item, e.g. housing"},
    "search_found": {"zh-CN": "找到 {n} 项", "en": "{n} found"},
    "search_none": {"zh-CN": "没有找到相关事项，请换个词，或点“视频求助”。", "en": "Nothing found. Try another word, or tap Video help."},
    "search_close": {"zh-CN": "关闭搜索", "en": "Close search"},
    "help_calling": {"zh-CN": "正在呼叫…", "en": "Calling…"},
    "about_kiosk": {"zh-CN": "本机信息", "en": "About this kiosk"},
    "close": {"zh-CN": "关闭", "en": "Close"},
    "card:name": {"zh-CN": "设备名称", "en": "Kiosk"},
    "card:hall": {"zh-CN": "所在大厅", "en": "Hall"},
    "card:id": {"zh-CN": "设备编号", "en": "Kiosk no."},
    "card:model": {"zh-CN": "设备型号", "en": "Model"},
    "card:address": {"zh-CN": "设备地址", "en": "Address"},
    "card:maintainer": {"zh-CN": "维护单位", "en": "Maintained by"},
    "card:maintainer_phone": {"zh-CN": "维护电话", "en": "Maintenance phone"},
    "card:asset_number": {"zh-CN": "资产编号", "en": "Asset no."},
    "card:nearest": {"zh-CN": "附近其他终端或窗口", "en": "Nearest other kiosk or counter"},
    "call:waiting": {"zh-CN": "视频求助：正在排队，您是第 {n} 位，预计等待约 {m} 分钟",
                     "en": "Video help: you are number {n} in the queue, about {m} min to wait"},
    "call:connecting": {"zh-CN": "视频求助：正在接通工作人员…", "en": "Video help: connecting you to staff…"},
    "call:connected": {"zh-CN": "视频求助：工作人员 {agent} 正在为您服务", "en": "Video help: {agent} is with you"},
    "call:reconnecting": {"zh-CN": "视频求助：网络中断，正在重新连接…", "en": "Video help: connection lost, reconnecting…"},
    "call:ended": {"zh-CN": "视频求助已结束，您可以继续办理", "en": "Video help has ended; you can carry on"},
    "call:unavailable": {"zh-CN": "视频求助暂时无人应答，请稍后再试或到人工窗口", "en": "No one is free for video help; try later or a staffed counter"},
    "call:audio_only": {"zh-CN": "摄像头不可用，仅语音通话", "en": "Camera unavailable: voice only"},
    "call:mute": {"zh-CN": "静音", "en": "Mute"},
    "call:unmute": {"zh-CN": "取消静音", "en": "Unmute"},
    "call:end": {"zh-CN": "结束通话", "en": "End call"},
    "call:leave": {"zh-CN": "取消求助", "en": "Stop waiting"},
    "call:callback_offer": {"zh-CN": "现在没有空闲的工作人员。您可以留下手机号码，我们会给您回电。",
                            "en": "No one is free right now. Leave your number and we will call you back."},
    "call:callback_leave": {"zh-CN": "留下号码，等回电", "en": "Leave my number"},
    "call:callback_keep_waiting": {"zh-CN": "继续等待", "en": "Keep waiting"},
    "call:callback_title": {"zh-CN": "请输入您的手机号码，我们会给您回电",
                            "en": "Enter your mobile number and we will call you back"},
    "call:callback_send": {"zh-CN": "确认回电", "en": "Call me back"},
    "call:callback_bad_phone": {"zh-CN": "号码不对：请输入以 1 开头的 11 位手机号码",
                                "en": "That is not a mobile number: enter 11 digits starting with 1"},
    "call:callback_sending": {"zh-CN": "正在提交您的回电请求…", "en": "Sending your call-back request…"},
    "call:callback_failed": {"zh-CN": "回电请求未能提交，您可以再试一次或继续等待",
                             "en": "The call-back request did not go through; try again or keep waiting"},
    "call:callback_booked": {"zh-CN": "已记下您的号码，工作人员将在 {when} 前给您回电。您可以继续办理。",
                             "en": "We have your number: staff will call you back by {when}. You can carry on."},
    "call:ok": {"zh-CN": "知道了", "en": "OK"},
    "unavailable": {"zh-CN": "暂停服务", "en": "Unavailable"},
    "closed": {"zh-CN": "不在办理时间", "en": "Outside service hours"},
    "out_of_service": {"zh-CN": "本机暂停服务", "en": "This kiosk is out of service"},
    "out_of_service_text": {"zh-CN": "请使用其他自助终端或到人工窗口办理。", "en": "Please use another kiosk or a staffed counter."},
    "under_maintenance": {"zh-CN": "本机正在维护", "en": "This kiosk is under maintenance"},
    "thanks": {"zh-CN": "谢谢使用，请带好您的证件和材料", "en": "Thank you. Please take your card and documents"},
    "reason:paper_out": {"zh-CN": "打印机缺纸", "en": "printer out of paper"},
    "reason:paper_low": {"zh-CN": "纸张不足", "en": "paper low"},
    "reason:no_device": {"zh-CN": "设备未连接", "en": "device not connected"},
    "reason:not_configured": {"zh-CN": "设备未配置", "en": "device not installed"},
    "reason:jam": {"zh-CN": "卡纸", "en": "paper jam"},
    "reason:cover_open": {"zh-CN": "机盖未关", "en": "cover open"},
    "reason:camera_missing": {"zh-CN": "摄像头未连接（仅语音）", "en": "camera missing (voice only)"},
    "reason:camera_busy": {"zh-CN": "摄像头被占用（仅语音）", "en": "camera in use (voice only)"},
    "reason:other": {"zh-CN": "设备故障", "en": "device fault"},
}


def ui(key: str, locale: str, **kw) -> str:
    return lookup(TEXTS, key, locale, **kw)


def reason_text(reasons: tuple[str, ...], locale: str) -> str:
    out = []
    for r in reasons:
        if r == "closed":
            out.append(ui("closed", locale))
            continue
        codes = r.split(":", 1)[1].split(",") if ":" in r else [r]
        for code in codes:
            key = f"reason:{code}" if f"reason:{code}" in TEXTS else "reason:other"
            text = ui(key, locale)
            if text not in out:
                out.append(text)
    return "，".join(out) if locale.startswith("zh") else ", ".join(out)
