"""The A4 test page: Chinese text, the kiosk id, the time and a QR code, as the technician expects."""
from __future__ import annotations

import datetime as dt
from html import escape

from kiosk.render_pdf import render_pdf


def a4_test_page(kiosk_id: str) -> bytes:
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
    kid = escape(kiosk_id)
    return render_pdf(f"""<h1>自助终端打印测试</h1>
<p>终端编号：{kid}</p><p>打印时间：{now}</p>
<table><tr><th>中文标点</th><td>（），。：；“”￥</td></tr><tr><th>English</th><td>Self-service kiosk test page</td></tr></table>
<qr-code data="kiosk:{kid}"></qr-code>
<p class="mark">如能看清本页文字和二维码，A4 打印正常。</p>""", footer=f"自助打印测试 · {kid}")


def run_test_print_a4(uri: str, kiosk_id: str) -> int:
    """`kiosk devices test-print a4`: 0 printed, 2 printer problem (paper, cover, stopped), 3 unreachable."""
    import asyncio
    import sys

    from devices.errors import ConfigError, DeviceError, DeviceOffline, DeviceTimeout, MediaError
    from devices.ipp_printer import IppDocumentPrinter

    async def go() -> int:
        try:
            printer = IppDocumentPrinter("a4", uri=uri)
            result = await printer.print_pdf(a4_test_page(kiosk_id), title="kiosk-test-page", timeout=120)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 3
        except MediaError as exc:
            print(f"error: printer problem: {exc.reason} ({exc})", file=sys.stderr)
            return 2
        except (DeviceOffline, DeviceTimeout) as exc:
            print(f"error: printer unreachable: {exc}", file=sys.stderr)
            return 3
        except DeviceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"printed test page as job {result.job_id} on {uri}")
        return 0

    return asyncio.run(go())
