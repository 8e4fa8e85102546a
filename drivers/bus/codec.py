"""Modbus RTU frames for the window bus, built and checked by pymodbus (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass

from pymodbus.framer import FramerRTU
from pymodbus.pdu import DecodePDU, ExceptionResponse
from pymodbus.pdu.register_message import (
    ReadHoldingRegistersRequest,
    ReadHoldingRegistersResponse,
    WriteMultipleRegistersRequest,
    WriteMultipleRegistersResponse,
    WriteSingleRegisterRequest,
    WriteSingleRegisterResponse,
)

# Why pymodbus: it is the maintained Modbus stack for Python (framing, CRC, PDU classes with
# RTU frame-size rules, "hunting" past garbage). We use its framer and PDU codecs only; the
# port, timing, retries and polling stay ours, because one thread must own the RS-485 line
# and survive the adapter being unplugged — pymodbus' client loop owns its own serial port.


@dataclass
class FrameResult:
    """One step of decoding a receive buffer."""

    used: int                 # bytes consumed from the buffer (0: wait for more)
    status: str               # "frame" | "more" | "crc"
    address: int = 0
    pdu: object | None = None


class ModbusCodec:
    """Build requests/responses and cut frames out of byte streams, for master or slave side."""

    def __init__(self, *, slave: bool = False):
        self._framer = FramerRTU(DecodePDU(is_server=slave))
        self._decoder = self._framer.decoder

    # master side --------------------------------------------------------------------------
    def read_request(self, address: int, start: int, count: int) -> bytes:
        return self._framer.buildFrame(ReadHoldingRegistersRequest(address=start, count=count, dev_id=address))

    def write_request(self, address: int, start: int, values: list[int]) -> bytes:
        if len(values) == 1:
            pdu = WriteSingleRegisterRequest(address=start, registers=list(values), dev_id=address)
        else:
            pdu = WriteMultipleRegistersRequest(address=start, registers=list(values), count=len(values),
                                                dev_id=address)
        return self._framer.buildFrame(pdu)

    # slave side ---------------------------------------------------------------------------
    def read_response(self, address: int, values: list[int]) -> bytes:
        return self._framer.buildFrame(ReadHoldingRegistersResponse(registers=list(values), dev_id=address))

    def write_response(self, address: int, request) -> bytes:
        if isinstance(request, WriteSingleRegisterRequest):
            pdu = WriteSingleRegisterResponse(address=request.address, registers=list(request.registers),
                                              dev_id=address)
        else:
            pdu = WriteMultipleRegistersResponse(address=request.address, count=request.count, dev_id=address)
        return self._framer.buildFrame(pdu)

    def exception_response(self, address: int, function_code: int, exception_code: int) -> bytes:
        return self._framer.buildFrame(ExceptionResponse(function_code, exception_code, device_id=address))

    # both ---------------------------------------------------------------------------------
    def decode(self, buf: bytes) -> FrameResult:
        """Take the first whole frame from buf, hunting past leading garbage.

        'frame': used = bytes up to the end of that frame. 'more': a frame may still be
        arriving (a short tail always might be one; the caller decides by time and the
        expected reply length). 'crc': no frame can be in buf; drop `used` bytes.
        """
        buf = bytes(buf)
        if not buf:
            return FrameResult(0, "more")
        maybe_more = False
        for start in range(len(buf)):
            chunk = buf[start:]
            if len(chunk) < FramerRTU.MIN_SIZE:
                maybe_more = True
                break
            try:
                used, address, _tid, frame = self._framer.decode(chunk)
            except Exception:   # a garbled length field can make a PDU class choke: noise
                continue
            if used == 0:
                if frame == b"" and self._could_start(chunk):
                    maybe_more = True
                    break
                continue
            # pymodbus hunts inside chunk itself; accept only a frame that starts at chunk[0]
            # so `used` is exact and a second frame behind it is not swallowed.
            if not frame or chunk[1:1 + len(frame)] != frame:
                continue
            try:
                pdu = self._decoder.decode(frame)
            except Exception:
                pdu = None
            if pdu is None:
                continue
            pdu.dev_id = address
            return FrameResult(start + len(frame) + 3, "frame", address, pdu)
        if maybe_more:
            return FrameResult(0, "more")
        return FrameResult(len(buf), "crc")

    def _could_start(self, chunk: bytes) -> bool:
        """Whether chunk[0:2] looks like the head of a frame that is still arriving."""
        return self._decoder.lookupPduClass(chunk) is not None
