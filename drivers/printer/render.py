"""Turn the ESC/POS bytes we emit into a PNG-able image: what the paper would show."""

from __future__ import annotations

import os
import subprocess
from functools import cache

from PIL import Image, ImageDraw, ImageFont, ImageOps

BASE = 24          # the 12x24 font: one ASCII column is 12 dots wide, a line 24 dots high
LINE_GAP = 6
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


class FontMissing(RuntimeError):
    pass


@cache
def cjk_font_path() -> str:
    """A font with Simplified Chinese glyphs; raises FontMissing rather than drawing tofu."""
    for p in _FONT_CANDIDATES:
        if os.path.exists(p):
            return p
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True,
                             text=True, timeout=5).stdout.strip()
        if out and os.path.exists(out):
            return out
    except (OSError, subprocess.SubprocessError):
        pass
    raise FontMissing("未找到中文字体（请安装 fonts-wqy-microhei） / no CJK font found (install fonts-wqy-microhei)")


@cache
def _font(px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(cjk_font_path(), px)


class _Renderer:
    def __init__(self, width: int):
        self.width = width
        self.blocks: list[Image.Image] = []
        self.align = 0
        self.w = self.h = 1
        self.bold = False
        self.chinese = False
        self.runs: list[tuple[Image.Image, int]] = []   # (run image, baseline height)
        self.pending = bytearray()
        self.overflow = 0
        self.qr = {"module": 3, "ec": 49, "data": b""}

    # text -------------------------------------------------------------------------------
    def flush_text(self) -> None:
        if not self.pending:
            return
        raw = bytes(self.pending)
        self.pending.clear()
        text = raw.decode("gb18030", "replace") if self.chinese else raw.decode("cp437", "replace")
        font = _font(BASE * self.h)
        height = BASE * self.h + LINE_GAP
        # Lay each character in its cell (12 dots per column x width factor) like a printer does.
        cells = [(ch, 2 if ord(ch) > 0x2E7F else 1) for ch in text]
        total = sum(cols for _, cols in cells) * 12 * self.w or 1
        img = Image.new("L", (total, height), 255)
        x = 0
        for ch, cols in cells:
            # Draw at the height factor, then stretch to the width factor (GS ! scales each way).
            cell = cols * 12 * self.h
            glyph = Image.new("L", (cell * 2, height), 255)
            ImageDraw.Draw(glyph).text((0, 0), ch, font=font, fill=0,
                                       stroke_width=1 if self.bold else 0, stroke_fill=0)
            # A printer's 12x24 cell is narrower than a proportional 'm' or 'W': squeeze wide
            # glyphs into the cell instead of clipping them, and stretch by the width factor.
            box = ImageOps.invert(glyph).getbbox()
            right = max(cell, box[2] if box else 0)
            glyph = glyph.crop((0, 0, right, height))
            if right != cols * 12 * self.w:
                glyph = glyph.resize((cols * 12 * self.w, height))
            img.paste(glyph, (x, 0))
            x += cols * 12 * self.w
        self.runs.append((img, height))

    def newline(self, force_blank: bool = True) -> None:
        self.flush_text()
        if not self.runs:
            if force_blank:
                self.blocks.append(Image.new("L", (self.width, BASE * self.h + LINE_GAP), 255))
            return
        height = max(h for _, h in self.runs)
        line = Image.new("L", (self.width, height), 255)
        total = sum(r.width for r, _ in self.runs)
        if total > self.width:
            self.overflow += 1   # the printer would wrap or drop this; layouts must not do it
        x = 0 if self.align == 0 else (self.width - total) // 2 if self.align == 1 else self.width - total
        x = max(0, x)
        for r, h in self.runs:
            line.paste(r, (x, height - h))
            x += r.width
        self.blocks.append(line)
        self.runs = []

    def image_block(self, img: Image.Image) -> None:
        self.newline(force_blank=False)
        block = Image.new("L", (self.width, img.height), 255)
        x = 0 if self.align == 0 else (self.width - img.width) // 2 if self.align == 1 else self.width - img.width
        block.paste(img, (max(0, x), 0))
        self.blocks.append(block)

    def draw_qr(self) -> None:
        import qrcode
        import qrcode.constants as qc

        levels = {48: qc.ERROR_CORRECT_L, 49: qc.ERROR_CORRECT_M, 50: qc.ERROR_CORRECT_Q,
                  51: qc.ERROR_CORRECT_H}
        qr = qrcode.QRCode(error_correction=levels.get(self.qr["ec"], qc.ERROR_CORRECT_M),
                           box_size=self.qr["module"], border=2)
        qr.add_data(self.qr["data"])
        qr.make(fit=True)
        self.image_block(qr.make_image(fill_color="black", back_color="white").get_image().convert("L"))

    def cut(self) -> None:
        self.newline(force_blank=False)
        line = Image.new("L", (self.width, 16), 255)
        d = ImageDraw.Draw(line)
        for x in range(0, self.width, 12):
            d.line((x, 8, x + 6, 8), fill=128)
        self.blocks.append(line)

    def result(self) -> Image.Image:
        self.newline(force_blank=False)
        height = sum(b.height for b in self.blocks) + 16
        out = Image.new("L", (self.width, max(height, 16)), 255)
        y = 8
        for b in self.blocks:
            out.paste(b, (0, y))
            y += b.height
        img = out.convert("RGB")
        img.info["overflow_lines"] = self.overflow
        return img


def render_escpos(data: bytes, width_dots: int = 576) -> Image.Image:
    """Render ESC/POS bytes (the subset our layouts emit) onto a white roll `width_dots` wide.

    Unknown commands are skipped; text is GB18030 after FS &, CP437 otherwise. The QR from
    GS ( k is redrawn from its stored data, so decoding the image checks the real payload.
    `image.info["overflow_lines"]` counts lines wider than the paper.
    """
    r = _Renderer(width_dots)
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b == 0x0A:
            r.newline()
            i += 1
        elif b == 0x1B and i + 1 < n:                       # ESC
            c = data[i + 1]
            if c == 0x40:                                   # ESC @ init
                r.flush_text()
                r.align, r.w, r.h, r.bold, r.chinese = 0, 1, 1, False, False
                i += 2
            elif c == 0x61 and i + 2 < n:                   # ESC a n
                r.flush_text()
                r.align = data[i + 2] % 48 if data[i + 2] >= 48 else data[i + 2]
                i += 3
            elif c == 0x45 and i + 2 < n:                   # ESC E n
                r.flush_text()
                r.bold = bool(data[i + 2] & 1)
                i += 3
            elif c == 0x64 and i + 2 < n:                   # ESC d n
                r.newline(force_blank=False)
                for _ in range(data[i + 2]):
                    r.newline()
                i += 3
            elif c == 0x21 and i + 2 < n:                   # ESC ! n (print mode)
                r.flush_text()
                m = data[i + 2]
                r.bold = bool(m & 0x08)
                r.h = 2 if m & 0x10 else 1
                r.w = 2 if m & 0x20 else 1
                i += 3
            else:
                i += 3 if c in (0x2D, 0x4D, 0x7B, 0x74, 0x20) else 2
        elif b == 0x1C and i + 1 < n:                       # FS
            c = data[i + 1]
            r.flush_text()
            if c == 0x26:
                r.chinese = True
            elif c == 0x2E:
                r.chinese = False
            i += 2 if c in (0x26, 0x2E) else 3
        elif b == 0x1D and i + 1 < n:                       # GS
            c = data[i + 1]
            if c == 0x21 and i + 2 < n:                     # GS ! n
                r.flush_text()
                r.w = (data[i + 2] >> 4) + 1
                r.h = (data[i + 2] & 0x0F) + 1
                i += 3
            elif c == 0x56:                                 # GS V m [n]
                r.cut()
                i += 4 if i + 2 < n and data[i + 2] in (65, 66, 97, 98) else 3
            elif c == 0x28 and i + 4 < n and data[i + 2] == 0x6B:  # GS ( k
                ln = data[i + 3] | (data[i + 4] << 8)
                body = data[i + 5:i + 5 + ln]
                if len(body) >= 3 and body[0] == 0x31:
                    fn = body[1]
                    if fn == 0x43:
                        r.qr["module"] = body[2]
                    elif fn == 0x45:
                        r.qr["ec"] = body[2]
                    elif fn == 0x50:
                        r.qr["data"] = bytes(body[3:])
                    elif fn == 0x51:
                        r.draw_qr()
                i += 5 + ln
            elif c == 0x76 and i + 7 < n and data[i + 2] == 0x30:  # GS v 0 raster
                wb = data[i + 4] | (data[i + 5] << 8)
                hp = data[i + 6] | (data[i + 7] << 8)
                bits = data[i + 8:i + 8 + wb * hp]
                img = Image.frombytes("1", (wb * 8, hp), bytes(bits))
                r.image_block(Image.eval(img.convert("L"), lambda v: 255 - v))
                i += 8 + wb * hp
            else:
                i += 3
        elif b == 0x10 and i + 2 < n and data[i + 1] == 0x04:  # DLE EOT n: no ink
            i += 3
        elif b < 0x20 and b not in (0x09,):
            i += 1
        else:
            r.pending.append(b)
            i += 1
    return r.result()
