"""Ticket printer: ESC/POS layouts in GB18030, status by DLE EOT, and a PNG renderer for checks."""

from .device import Printer, PrintError, PrinterStatus, open_printer
from .layouts import get_profile, profiles

__all__ = ["Printer", "PrinterStatus", "PrintError", "open_printer", "get_profile", "profiles"]
