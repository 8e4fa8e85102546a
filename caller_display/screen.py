"""The display window: loads Display.qml over a view-model; grabs frames for tests and demo."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QSize, QUrl
from PySide6.QtGui import QFontDatabase, QGuiApplication, QImage, QWindow
from PySide6.QtQuick import QQuickItem, QQuickView

from caller_display.viewmodel import DisplayViewModel

# Beside this module: setup.cfg ships `*.qml` from package folders, not from sub-folders.
QML_PATH = Path(__file__).resolve().parent / "Display.qml"
LANDSCAPE = QSize(1920, 1080)
PORTRAIT = QSize(1080, 1920)


class FontMissing(RuntimeError):
    """No CJK font: every Hanzi would render as a box."""


def ensure_app() -> QGuiApplication:
    """The process's Qt application, created once."""
    app = QGuiApplication.instance()
    if app is None:
        # Offscreen rendering: the software scene graph is deterministic and needs no GPU.
        if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
            os.environ.setdefault("QT_QUICK_BACKEND", "software")
        # A QApplication (not just QGuiApplication), so that in a shared process, such as
        # the demo or the test run, widget-based code that comes later still works.
        from PySide6.QtWidgets import QApplication

        app = QApplication(sys.argv[:1])
    return app


def check_cjk_font() -> list[str]:
    """Families that can draw Simplified Chinese; raises FontMissing when there are none."""
    families = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    if not families:
        raise FontMissing("未找到中文字体（请安装 fonts-wqy-microhei） / "
                          "no Chinese font found (install fonts-wqy-microhei)")
    return families


class DisplayScreen:
    """A QQuickView showing Display.qml bound to `vm`; sized by the layout's orientation."""

    def __init__(self, vm: DisplayViewModel, size: QSize | None = None) -> None:
        ensure_app()
        check_cjk_font()
        self.vm = vm
        self._fixed_size = size
        self.view = QQuickView()
        self.view.setResizeMode(QQuickView.ResizeMode.SizeRootObjectToView)
        self.view.setTitle("OneWindow 叫号显示")
        self.view.rootContext().setContextProperty("vm", vm)
        self.view.setSource(QUrl.fromLocalFile(str(QML_PATH)))
        if self.view.status() == QQuickView.Status.Error:
            raise RuntimeError("; ".join(e.toString() for e in self.view.errors()))
        vm.layoutChanged.connect(self._fit)
        self._fit()

    def _fit(self) -> None:
        if self._fixed_size is not None:
            size = self._fixed_size
        else:
            size = PORTRAIT if self.vm.portrait else LANDSCAPE
        if self.view.visibility() == QWindow.Visibility.FullScreen:
            return      # the screen decides the size (under cage: the output's, rotated or not)
        if self.view.size() != size:
            self.view.resize(size)

    def set_size(self, size: QSize | None) -> None:
        self._fixed_size = size
        self._fit()

    def show(self, full_screen: bool = False) -> None:
        if full_screen:
            self.view.showFullScreen()
        else:
            self.view.show()

    def grab(self) -> QImage:
        QGuiApplication.processEvents()
        return self.view.grabWindow()

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.grab().save(str(path)):
            raise OSError(f"could not save {path}")
        return path

    def items(self, object_name: str) -> list[QQuickItem]:
        """Items in the live QML tree with this objectName (visible or not)."""
        # Walk the visual tree: Repeater delegates are visual children, not QObject children.
        found: list[QQuickItem] = []
        stack = [self.view.rootObject()]
        while stack:
            item = stack.pop()
            if item.objectName() == object_name:
                found.append(item)
            stack.extend(reversed(item.childItems()))
        return found

    def item(self, object_name: str) -> QQuickItem:
        return self.items(object_name)[0]

    def close(self) -> None:
        """Tear down now, in order: QML first, then the window. A deferred delete would
        leave a window whose engine still points at a view-model Python may free first."""
        import shiboken6

        if not shiboken6.isValid(self.view):
            return
        self.view.setSource(QUrl())
        self.view.rootContext().setContextProperty("vm", None)
        self.view.close()
        shiboken6.delete(self.view)
