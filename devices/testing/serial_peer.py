"""The device's side of a serial port: a pty behind a symlink, as udev gives /dev/kiosk/scanner."""
from __future__ import annotations

import os
import tty


class Peer:
    """The scanner's side of a pty; ``port`` is a symlink like /dev/kiosk/scanner."""

    def __init__(self, link):
        self.link = link
        self.master = None
        self.plug()

    def plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(master)
        name = os.ttyname(slave)
        os.close(slave)
        if os.path.lexists(self.link):
            os.unlink(self.link)
        os.symlink(name, self.link)
        self.master = master

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def unplug(self) -> None:
        if self.master is not None:
            os.close(self.master)
            self.master = None
