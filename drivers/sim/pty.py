"""A pseudo-terminal whose device path survives 'unplugging': a stable symlink to the current pty."""

from __future__ import annotations

import os
import tempfile
import threading
import tty


class PtyPort:
    """The device end of a pty (the simulator reads/writes `master`); apps open `path`.

    `path` is a symlink in a private temp dir, like a udev name (/dev/serial/by-id/...):
    unplug() closes the pty and removes the link; replug() makes a new pty behind the same
    path, so a driver that reopens its URL finds the device again.
    """

    def __init__(self, name: str = "tty"):
        self._dir = tempfile.mkdtemp(prefix="onewindow-pty-")
        self.path = os.path.join(self._dir, name)
        self.master: int | None = None
        self._slave: int | None = None
        self.lock = threading.Lock()
        self.replug()

    def replug(self) -> None:
        with self.lock:
            self._close_fds()
            master, slave = os.openpty()
            tty.setraw(master)
            tty.setraw(slave)
            self.master, self._slave = master, slave
            # Keep our slave fd open so the master never sees EIO between app reopens.
            tmp = self.path + ".new"
            os.symlink(os.ttyname(slave), tmp)
            os.replace(tmp, self.path)

    def unplug(self) -> None:
        with self.lock:
            self._close_fds()
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass

    def _close_fds(self) -> None:
        for fd in (self.master, self._slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.master = self._slave = None

    def close(self) -> None:
        self.unplug()
        try:
            os.rmdir(self._dir)
        except OSError:
            pass
