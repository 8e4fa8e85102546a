"""Builds the kiosk window (QML over the view-model) and runs it locked down or windowed."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from urllib.parse import unquote

from PySide6.QtCore import QEvent, QObject, Qt, QtMsgType, QUrl, qInstallMessageHandler
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QImage
from PySide6.QtQuick import QQuickImageProvider, QQuickView

from onewindow.qtcompat import emit

log = logging.getLogger(__name__)

QML_DIR = Path(__file__).resolve().parent / "qml"
CJK_FONT_FILES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
]


class FontMissing(RuntimeError):
    message = "找不到中文字体，无法显示中文。请安装 fonts-wqy-microhei。"
    message_en = "No Simplified Chinese font is available to Qt; install fonts-wqy-microhei."


def ensure_cjk_font() -> str:
    """Return a family that draws Simplified Chinese, or raise FontMissing.

    fontconfig usually finds the Debian font; the explicit load covers a minimal image
    whose fontconfig cache is stale."""
    families = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    if not families:
        for path in CJK_FONT_FILES:
            if Path(path).exists():
                QFontDatabase.addApplicationFont(path)
        families = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    if not families:
        raise FontMissing(FontMissing.message_en)
    preferred = [f for f in families if "Micro Hei" in f and "Mono" not in f]
    return (preferred or families)[0]


class QrImageProvider(QQuickImageProvider):
    """image://qr/<url-encoded text> -> a crisp QR code image."""

    def __init__(self):
        super().__init__(QQuickImageProvider.ImageType.Image)
        self._cache: dict[str, QImage] = {}

    def requestImage(self, id_: str, size, requested_size):  # noqa: N802 - Qt API
        text = unquote(id_)
        image = self._cache.get(text)
        if image is None:
            image = qr_image(text)
            if len(self._cache) > 32:
                self._cache.clear()
            self._cache[text] = image
        if size is not None:
            try:
                size.setWidth(image.width())
                size.setHeight(image.height())
            except AttributeError:
                pass
        return image


def qr_image(text: str) -> QImage:
    import io

    import qrcode

    qr = qrcode.QRCode(border=2, box_size=8,
                       error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    image = QImage()
    image.loadFromData(buf.getvalue(), "PNG")
    return image


class InputFilter(QObject):
    """Touches push the idle timer back; a HID (keyboard-wedge) scanner's keystrokes,
    which arrive fast and end with Enter, become one scan on whatever screen is showing."""

    def __init__(self, vm, parent: QObject | None = None):
        super().__init__(parent)
        self.vm = vm
        self._buffer = ""
        self._last = 0.0

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin):
            self.vm.userActivity()
        elif kind == QEvent.Type.KeyPress:
            now = time.monotonic()
            if now - self._last > 1.0:
                self._buffer = ""  # a pause: a new scan starts
            self._last = now
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                text, self._buffer = self._buffer.strip(), ""
                if text:
                    emit(self.vm.scanReceived, text)
            elif event.text() and event.text().isprintable():
                self._buffer = (self._buffer + event.text())[-512:]
            return True  # the kiosk has no text fields: keys never reach the UI
        elif kind == QEvent.Type.ContextMenu:
            return True
        return False


class QmlWarnings:
    """Collects every QML warning the engine and Qt's message handler report."""

    def __init__(self):
        self.messages: list[str] = []
        self._previous = None

    def handler(self, mode, context, message) -> None:
        if mode in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            if "propagateSizeHints" in message:
                return  # the offscreen platform says this about every window; harmless
            self.messages.append(message)
            log.warning("qt: %s", message)

    def install(self) -> None:
        self._previous = qInstallMessageHandler(self.handler)

    def uninstall(self) -> None:
        qInstallMessageHandler(self._previous)


def build_view(vm, size: tuple[int, int], view_class=QQuickView) -> QQuickView:
    """The kiosk window at `size` (1080x1920 portrait or 1920x1080 landscape)."""
    view = view_class()
    view.setResizeMode(QQuickView.ResizeMode.SizeRootObjectToView)
    view.engine().addImageProvider("qr", QrImageProvider())
    view.rootContext().setContextProperty("vm", vm)
    view.setTitle("OneWindow 自助服务")
    view.resize(*size)
    view.setSource(QUrl.fromLocalFile(str(QML_DIR / "Main.qml")))
    if view.status() == QQuickView.Status.Error:
        raise RuntimeError("; ".join(e.toString() for e in view.errors()))
    return view


def close_view(view: QQuickView) -> None:
    """Tear the QML down before the view-model goes, so no binding reads a dead `vm`."""
    from PySide6.QtCore import QCoreApplication

    view.close()
    view.setSource(QUrl())
    view.engine().clearComponentCache()
    QCoreApplication.processEvents()
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def make_app(argv: list[str] | None = None) -> QGuiApplication:
    app = QGuiApplication.instance() or QGuiApplication(argv or sys.argv[:1])
    family = ensure_cjk_font()
    font = QFont(family)
    font.setStyleStrategy(QFont.StyleStrategy.PreferAntialias)
    app.setFont(font)
    return app


class KioskView(QQuickView):
    """The kiosk window. Locked, it refuses to close: only the manager screen ends the app."""

    locked = False

    def event(self, event) -> bool:  # noqa: D401 - Qt API
        if self.locked and event.type() == QEvent.Type.Close:
            event.ignore()
            return True
        return super().event(event)


class KioskApp:
    """The live kiosk: the hall over HTTP, the printer and scanner from drivers/, the window.

    start() builds everything and shows the window (locked down unless windowed); exec()
    runs until a manager exits; close() releases devices. Split so tests can check the
    lockdown without running an event loop forever.
    """

    def __init__(self, settings, *, windowed: bool = False):
        self.settings = settings
        self.windowed = windowed
        self.app = None
        self.vm = None
        self.view: KioskView | None = None

    def start(self) -> KioskApp:
        from kiosk.devices import PrinterPort, ScannerPort
        from kiosk.viewmodel import KioskViewModel
        from onewindow.client import HallClient

        settings = self.settings
        self.app = make_app()
        self.client = HallClient(settings.hall_url, settings.token)
        self.printer = PrinterPort(settings.printer_url)
        self.speaker = None
        if settings.voice:
            from kiosk.voice import Speaker
            self.speaker = Speaker()
        self.vm = vm = KioskViewModel(self.client, self.printer, settings, speaker=self.speaker)
        # The scanner thread hands codes over through queued signals: the UI thread acts.
        self.scanner = ScannerPort(settings.scanner_url,
                                   on_code=lambda kind, value: emit(vm.codeReceived, kind, value),
                                   on_error=lambda zh, en: emit(vm.scanRejected, zh, en))
        self.scanner.open()
        vm.scanner = self.scanner
        from kiosk.idcard import IdCardPort

        self.idcard = IdCardPort(settings.idcard_url,
                                 on_card=lambda h, name: emit(vm.cardRead, h, name),
                                 on_status=lambda state, zh, en: emit(vm.cardStatus, state, zh, en))
        self.idcard.open()
        vm.attach_idcard(self.idcard)
        self.view = build_view(vm, settings.size(), view_class=KioskView)
        self.filter = InputFilter(vm, self.app)
        self.app.installEventFilter(self.filter)
        vm.quitRequested.connect(self.quit)
        from onewindow.qtnotify import attach

        self.notifier = attach(self.view, "kiosk")   # READY=1 at the first frame; watchdog
        if self.windowed:
            self.view.show()
        else:
            # Lockdown: fullscreen, frameless, on top, no cursor, no context menu, no close;
            # the only way out is the manager screen behind the hidden gesture and a PIN.
            self.view.locked = True
            self.app.setQuitOnLastWindowClosed(False)
            self.view.setFlags(self.view.flags() | Qt.WindowType.FramelessWindowHint
                               | Qt.WindowType.WindowStaysOnTopHint)
            self.app.setOverrideCursor(Qt.CursorShape.BlankCursor)
            self.view.showFullScreen()
        return self

    def quit(self) -> None:
        if self.view is not None:
            self.view.locked = False
        self.app.quit()

    def exec(self) -> int:
        # systemd stops the kiosk with SIGTERM: close cleanly (devices released). Python
        # runs signal handlers only between bytecodes, so a timer wakes it now and then.
        import signal

        from PySide6.QtCore import QTimer

        previous = signal.signal(signal.SIGTERM, lambda *_: self.quit())
        wake = QTimer()
        wake.timeout.connect(lambda: None)
        wake.start(250)
        try:
            return self.app.exec()
        finally:
            wake.stop()
            signal.signal(signal.SIGTERM, previous)

    def close(self) -> None:
        if getattr(self, "notifier", None) is not None:
            self.notifier.stop()
        self.app.removeEventFilter(self.filter)
        if not self.windowed:
            self.app.restoreOverrideCursor()
        close_view(self.view)
        self.vm.shutdown()
        self.scanner.close()
        self.idcard.close()
        self.printer.close()
        self.client.close()
        if self.speaker is not None:
            self.speaker.close()


def run(settings, *, windowed: bool = False) -> int:
    """Start the live kiosk and run it until a manager exits it."""
    kiosk = KioskApp(settings, windowed=windowed).start()
    try:
        return kiosk.exec()
    finally:
        kiosk.close()
