"""The words of the after-visit screens: endings, the way out of a dead end, the rating.

They live with the engine, not the UI, because the engine builds these
views (a scenario, the help desk mirror and the screen all read the same
words) and the engine never imports the UI.
"""
from __future__ import annotations

from kiosk.i18n import lookup

TEXTS: dict[str, dict[str, str]] = {
    # endings: a title that says what happened, then the thank-you
    "title:completed": {"zh-CN": "办理完成", "en": "All done"},
    "title:cancelled": {"zh-CN": "已取消办理", "en": "Cancelled"},
    "title:timeout": {"zh-CN": "长时间无操作，本次办理已结束", "en": "Ended: no activity"},
    "title:failed": {"zh-CN": "抱歉，本次未能办成", "en": "Sorry, this could not be done"},
    "thanks:completed": {"zh-CN": "感谢您的使用，祝您生活愉快。", "en": "Thank you for using this kiosk."},
    "thanks:cancelled": {"zh-CN": "本次办理已取消，您的信息已清除。谢谢使用。",
                         "en": "Nothing was done and your data has been cleared. Thank you."},
    "thanks:timeout": {"zh-CN": "为保护您的信息，本次办理已结束，信息已清除。",
                       "en": "To protect your data the visit has ended and your data has been cleared."},
    "thanks:failed": {"zh-CN": "给您带来不便，非常抱歉。您可以选择下面的方式继续办理。",
                      "en": "We are sorry for the trouble. You can carry on in one of the ways below."},
    "reason_line": {"zh-CN": "原因：{reason}", "en": "Reason: {reason}"},
    # what to take
    "take:card": {"zh-CN": "请取走您的身份证", "en": "Take your ID card"},
    "take:document": {"zh-CN": "请取走打印的证明文件", "en": "Take your printed document"},
    "take:receipt": {"zh-CN": "请取走打印的凭条", "en": "Take your printed slip"},
    "take:ticket": {"zh-CN": "请取走排队号票", "en": "Take your queue ticket"},
    "take:referral": {"zh-CN": "请取走转办单", "en": "Take your referral slip"},
    # why it failed (outcome codes of the step it failed on); never anything personal
    "why:unavailable": {"zh-CN": "业务系统暂时无法访问", "en": "the service's system cannot be reached"},
    "why:error": {"zh-CN": "业务系统返回错误", "en": "the service's system returned an error"},
    "why:timeout": {"zh-CN": "等待超时", "en": "it took too long"},
    "why:paper_out": {"zh-CN": "打印机缺纸", "en": "the printer is out of paper"},
    "why:printer_error": {"zh-CN": "打印机故障", "en": "the printer failed"},
    "why:unreadable": {"zh-CN": "证件无法读取", "en": "the card could not be read"},
    "why:expired": {"zh-CN": "证件已过期", "en": "the card has expired"},
    "why:rejected": {"zh-CN": "不支持此类证件", "en": "this kind of card is not accepted"},
    "why:invalid": {"zh-CN": "二维码无效", "en": "the code is not valid"},
    "why:not_found": {"zh-CN": "未查询到记录", "en": "no record was found"},
    "why:other": {"zh-CN": "系统异常", "en": "a system fault"},
    # the way out of a dead end (办不成事), in the order offered
    "offer:video_help": {"zh-CN": "视频求助", "en": "Video help"},
    "offer:referral": {"zh-CN": "打印转办单，到人工窗口办理", "en": "Print a referral slip for the staffed counter"},
    "offer:referral_ticket": {"zh-CN": "打印转办单并取号，到人工窗口办理",
                              "en": "Print a referral slip with a queue ticket for the staffed counter"},
    "offer:callback": {"zh-CN": "留下手机号，工作人员回电", "en": "Leave your phone number for a call back"},
    "offer:hotline": {"zh-CN": "拨打 {hotline} 政务服务便民热线", "en": "Call the {hotline} government service hotline"},
    "note:help_unavailable": {"zh-CN": "视频求助暂不可用", "en": "Video help is not available now"},
    "note:counter_closed": {"zh-CN": "人工窗口 {start}–{end} 开放，现已关闭",
                            "en": "The staffed counter is open {start}–{end} and is closed now"},
    "note:counter_days": {"zh-CN": "人工窗口今日不开放", "en": "The staffed counter is closed today"},
    "note:printer_unavailable": {"zh-CN": "凭条打印机暂不可用，无法打印转办单",
                                 "en": "The slip printer is not available, so no referral slip can be printed"},
    "note:no_ticket": {"zh-CN": "本机不能取号，请到窗口取号", "en": "This kiosk has no queue tickets; take one at the hall"},
    "note:callback_unavailable": {"zh-CN": "回电登记暂不可用", "en": "Call-back requests are not available now"},
    "note:hotline_always": {"zh-CN": "热线 24 小时接听", "en": "The hotline answers 24 hours a day"},
    "status:help_calling": {"zh-CN": "正在连接工作人员…", "en": "Connecting you to staff…"},
    "status:help_over": {"zh-CN": "视频求助已结束", "en": "The video call has ended"},
    "status:help_failed": {"zh-CN": "暂时无人应答，请选择其他方式", "en": "No one answered; please choose another way"},
    "status:printing": {"zh-CN": "正在打印转办单，请稍候…", "en": "Printing the referral slip, please wait…"},
    "status:referral_done": {"zh-CN": "转办单已打印，请取走并到人工窗口办理",
                             "en": "The referral slip is printed; take it to the staffed counter"},
    "status:referral_ticket": {"zh-CN": "转办单已打印，您的排队号是 {number}",
                               "en": "The referral slip is printed; your queue number is {number}"},
    "status:referral_failed": {"zh-CN": "转办单未能打印，请选择其他方式",
                               "en": "The referral slip could not be printed; please choose another way"},
    "status:callback_sent": {"zh-CN": "已登记，工作人员将在工作时间回电", "en": "Registered: staff will call you back "
                             "during working hours"},
    "status:hotline": {"zh-CN": "请拨打 {hotline}，热线 24 小时接听", "en": "Please call {hotline}; it answers 24 hours "
                       "a day"},
    "next:rate": {"zh-CN": "评价并结束", "en": "Rate and finish"},
    # the call-back form
    "callback:title": {"zh-CN": "请留下手机号码", "en": "Your mobile number"},
    "callback:text": {"zh-CN": "工作人员将在工作时间回电，号码只用于本次回电。",
                      "en": "Staff will call you back during working hours; the number is used for this call only."},
    "callback:field": {"zh-CN": "手机号码", "en": "Mobile number"},
    # the rating (好差评)
    "rating:title": {"zh-CN": "请您评价本次服务", "en": "How was this service?"},
    "rating:text": {"zh-CN": "点一下即可，也可以跳过。", "en": "One tap is enough, or skip."},
    "level:5": {"zh-CN": "非常满意", "en": "Very satisfied"},
    "level:4": {"zh-CN": "满意", "en": "Satisfied"},
    "level:3": {"zh-CN": "基本满意", "en": "Fair"},
    "level:2": {"zh-CN": "不满意", "en": "Dissatisfied"},
    "level:1": {"zh-CN": "非常不满意", "en": "Very dissatisfied"},
    "reasons:title": {"zh-CN": "哪里让您不满意？", "en": "What went wrong?"},
    "reasons:text": {"zh-CN": "可多选，也可直接提交。", "en": "Choose any that apply, or just submit."},
    "rated:title": {"zh-CN": "感谢您的评价", "en": "Thank you for your rating"},
    "rated:text": {"zh-CN": "您的意见将帮助我们改进服务。", "en": "It helps us improve this service."},
    "skip": {"zh-CN": "跳过", "en": "Skip"},
    "submit": {"zh-CN": "提交", "en": "Submit"},
}


def text(key: str, locale: str, **kw) -> str:
    return lookup(TEXTS, key, locale, **kw)


def why(outcome: str, locale: str) -> str:
    """A failure's reason for the citizen and the referral slip: the outcome code's words, never a detail."""
    key = f"why:{outcome}"
    return text(key if key in TEXTS else "why:other", locale)
