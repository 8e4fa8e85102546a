"""The window bus: Modbus RTU over RS-485 to rating pads, LED window screens and call keypads."""

from .codec import FrameResult, ModbusCodec
from .master import BusEvent, BusMaster, DeviceSpec
from .registers import DeviceKind, KeypadKey, LedMode, PadMode

__all__ = ["BusEvent", "BusMaster", "DeviceSpec", "DeviceKind", "FrameResult", "KeypadKey",
           "LedMode", "ModbusCodec", "PadMode"]
