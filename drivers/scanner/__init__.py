"""QR scanner: code parsing, serial line-mode and HID keyboard-wedge readers."""

from .codes import ScanError, ScannedCode, parse_code
from .device import HidScanner, SerialScanner

__all__ = ["ScanError", "ScannedCode", "parse_code", "SerialScanner", "HidScanner"]
