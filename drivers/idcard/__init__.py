"""Second-generation ID-card reader (GA 467 SAM frames): codec, polling device, helpers."""

from .codec import (
           CardInfo,
           Command,
           FrameError,
           Framer,
           id_number_valid,
           mask_name,
           parse_base_info,
)
from .device import IdCardReader, ReaderError, ReaderStatus

__all__ = ["CardInfo", "Command", "Framer", "FrameError", "IdCardReader", "ReaderError", "ReaderStatus",
           "id_number_valid", "mask_name", "parse_base_info"]
