"""The out-of-service screen's words: why in both languages, when back, whose machine, where else to go."""
from kiosk.out_of_service import out_of_service_view
from tests.kiosk_kit import shipped_kiosk

IDENTITY = {"name": "市民中心1号机", "hall": "市民中心", "model": "ZW-8000", "address": "人民路88号",
            "maintainer": "示例科技有限公司", "maintainer_phone": "0571-88886666", "asset_number": "ZC-2024-001",
            "nearest": "二楼东侧自助区 / 1楼综合窗口"}


async def test_out_of_service_says_why_until_when_whose_and_where_else(tmp_path):
    c, devices, clock = await shipped_kiosk(tmp_path, identity=IDENTITY)
    devices["document_printer"].inject("paper_out")
    c.refresh_home()
    c.out_of_service("repeated failures", back_at="2026-12-07 08:00")
    v = c.state.out_of_service
    assert v.reasons[0] == ("设备故障，已通知维护人员", "A fault: the maintainer has been told")
    assert ("打印机缺纸", "printer out of paper") in v.reasons  # what the devices say, each once
    assert v.back == ("预计 2026-12-07 08:00 恢复服务", "Expected back in service at 2026-12-07 08:00")
    rows = {en: value for zh, en, value in v.identity}
    assert rows["Maintainer's phone"] == "0571-88886666" and rows["Maintained by"] == "示例科技有限公司"
    assert v.nearest == ("请前往：二楼东侧自助区 / 1楼综合窗口", "Please go to: 二楼东侧自助区 / 1楼综合窗口")
    assert "维护电话" in v.all_text() and "Asset no." in v.all_text()


async def test_remote_maintenance_says_when_it_will_be_over(tmp_path):
    c, devices, clock = await shipped_kiosk(tmp_path, identity=IDENTITY, remote_maintenance_s=1800)
    assert c.enter_maintenance_remotely() == "started"
    v = c.state.out_of_service
    assert v.title == ("本机正在维护", "This kiosk is under maintenance")
    assert v.back == ("预计 10:00 恢复服务", "Expected back in service at 10:00")  # the virtual clock starts 09:30


def test_without_a_known_time_or_nearest_it_says_so_plainly():
    v = out_of_service_view("maintenance", {})
    assert v.back is None and v.identity == ()
    assert v.nearest == ("请使用其他自助终端或到人工窗口办理", "Please use another kiosk or a staffed counter")
