"""/helpdesk/staff: the page a staff member answers calls from (issue #13, must-show 3).

The server draws the frame and hands the script its texts; everything live runs in the browser over
/ws/agent (static/staff.js): state, the queue with waiting times, ringing, the WebRTC answer to the kiosk's
offer, the kiosk's context, transfer and wrap-up. The page never receives a value in clear that the kiosk
showed masked: it renders `context` as sent, with textContent only. `?relay=1` forces the browser's ICE to
TURN relay candidates (a diagnostic for strict networks; the kiosk's aiortc has no such policy).
"""
from __future__ import annotations

from aiohttp import web

from backoffice.auth import require
from backoffice.web import i18n, render
from wire import signaling as sig

_TEXTS = {
    "staff.title": ("坐席工作台", "Staff desk"),
    "staff.my_state": ("我的状态", "My state"),
    "staff.set_available": ("示闲（可接听）", "Available"),
    "staff.set_not_ready": ("示忙（暂停）", "Not ready"),
    "staff.set_wrap_up": ("话后整理", "Wrap-up"),
    "staff.queue": ("排队中的呼叫", "Calls waiting"),
    "staff.queue_empty": ("没有排队的呼叫。", "No call is waiting."),
    "staff.kiosk": ("终端", "Kiosk"),
    "staff.item": ("事项", "Item"),
    "staff.step": ("步骤", "Step"),
    "staff.skill": ("技能队列", "Queue"),
    "staff.call_state": ("状态", "State"),
    "staff.waited": ("已等待", "Waiting"),
    "staff.seconds": ("{s} 秒", "{s} s"),
    "staff.ringing": ("来电", "Incoming call"),
    "staff.accept": ("接听", "Accept"),
    "staff.reject": ("拒接", "Reject"),
    "staff.transfer_note": ("转接说明", "Note for the next agent"),
    "staff.call": ("通话", "Call"),
    "staff.citizen_video": ("群众画面", "Citizen's video"),
    "staff.my_video": ("我的画面", "My video"),
    "staff.mute": ("静音", "Mute"),
    "staff.unmute": ("取消静音", "Unmute"),
    "staff.end": ("结束通话", "End call"),
    "staff.transfer": ("转接", "Transfer"),
    "staff.transfer_to_skill": ("转到队列", "To a queue"),
    "staff.transfer_to_agent": ("转给坐席", "To an agent"),
    "staff.context": ("终端与办理进度", "Kiosk and progress"),
    "staff.identity": ("设备身份证", "Identity card"),
    "staff.texts": ("屏幕文字", "On screen"),
    "staff.values": ("屏幕上的信息（终端已脱敏）", "Values on screen (masked by the kiosk)"),
    "staff.wrapup": ("话后整理", "Wrap-up"),
    "staff.outcome": ("结果", "Outcome"),
    "staff.note": ("备注", "Note"),
    "staff.done": ("完成", "Done"),
    "staff.connecting": ("正在连接…", "Connecting…"),
    "staff.connected": ("已接通", "Connected"),
    "staff.ended": ("通话已结束：{s}", "Call ended: {s}"),
    "staff.offline": ("与服务台的连接已断开，正在重连…", "Lost the help desk; reconnecting…"),
    "staff.no_camera": ("未能打开摄像头或麦克风：{s}", "Could not open camera or microphone: {s}"),
    "staff.error": ("服务台拒绝：{s}", "The desk refused: {s}"),
}
_CHOICES = {
    **{f"state.{s}": v for s, v in {"offline": ("离线", "Offline"), "available": ("空闲", "Available"),
                                    "ringing": ("振铃", "Ringing"), "on_call": ("通话中", "On a call"),
                                    "wrap_up": ("话后整理", "Wrap-up"), "not_ready": ("示忙", "Not ready"),
                                    "waiting": ("等待中", "Waiting"), "connected": ("通话中", "Connected")}.items()},
    **{f"skill.{s}": v for s, v in {"general": ("综合", "General"), "social_security": ("社保", "Social security"),
                                    "real_estate": ("不动产", "Real estate"),
                                    "medical_insurance": ("医保", "Medical insurance"),
                                    "housing_fund": ("公积金", "Housing fund"), "police": ("公安", "Police")}.items()},
    **{f"outcome.{s}": v for s, v in {"resolved": ("已解决", "Resolved"), "not_resolved": ("未解决", "Not resolved"),
                                      "redirected_to_counter": ("引导至窗口", "Sent to a counter"),
                                      "callback_needed": ("需要回拨", "Callback needed"),
                                      "citizen_left": ("群众已离开", "Citizen left"), "other": ("其他", "Other")}.items()},
    **{f"reason.{s}": v for s, v in {"kiosk_hangup": ("群众挂断", "the citizen hung up"),
                                     "agent_hangup": ("您挂断", "you hung up"), "cancelled": ("已取消", "cancelled"),
                                     "callback_booked": ("已登记回拨", "callback booked"),
                                     "no_answer": ("未接听，已设为示忙", "not answered; set not ready"),
                                     "transferred": ("已转接", "transferred"), "lost": ("连接中断", "connection lost"),
                                     "refused": ("被拒绝", "refused")}.items()},
}
i18n.add({key: {"zh-CN": zh, "en": en} for key, (zh, en) in {**_TEXTS, **_CHOICES}.items()})
# The identity card's labels are the kiosk page's (backoffice/pages/fleet_texts.py), in its order.
IDENTITY = ("name", "model", "region", "hall", "address", "maintainer", "maintainer_phone", "asset_number")
KEYS = tuple(_TEXTS) + tuple(_CHOICES) + tuple(f"kiosk.id.{f}" for f in IDENTITY)
assert set(sig.SKILLS) <= {k.split(".", 1)[1] for k in _CHOICES if k.startswith("skill.")}
assert set(sig.OUTCOMES) <= {k.split(".", 1)[1] for k in _CHOICES if k.startswith("outcome.")}


@require("agent")
async def staff_page(request: web.Request) -> web.Response:
    lang = i18n.locale_of(request)
    return render(request, "helpdesk_staff.html", texts={k: i18n.text(k, lang) for k in KEYS},
                  skills=sig.SKILLS, outcomes=sig.OUTCOMES, identity=IDENTITY, relay=request.query.get("relay") == "1")


def setup(app: web.Application) -> None:
    app.router.add_get("/helpdesk/staff", staff_page)
