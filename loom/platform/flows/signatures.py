"""Is an uploaded handwritten signature really a PNG image of a sensible size?

The files API stores whatever it is sent and trusts the declared type; a signature is shown to
every reader of the approval as an image, so before one is kept on an approval its bytes are
read: the PNG signature, the IHDR chunk (width, height, bit depth, colour type), every chunk's
CRC, and the compressed image data, inflated (in bounded steps, nothing kept) to exactly the
size the header announces. A renamed text file, a truncated upload or a 50,000-pixel-wide
"signature" is refused.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 2 * 1024 * 1024  # a signature pad's PNG is a few dozen kilobytes
MAX_WIDTH, MAX_HEIGHT = 4096, 2048  # a pad's canvas in device pixels, on any screen
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type: samples per pixel
DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
STEP = 64 * 1024


class NotAnImage(ValueError):
    """The bytes are not a PNG image within the limits (the message says what is wrong)."""


def check_png(data: bytes) -> tuple[int, int]:
    """The image's width and height; raises NotAnImage when ``data`` is not a whole PNG image of
    at most MAX_WIDTH × MAX_HEIGHT pixels and MAX_BYTES bytes."""
    if len(data) > MAX_BYTES:
        raise NotAnImage("too large")
    if not data.startswith(MAGIC):
        raise NotAnImage("not a PNG")
    chunks = list(_chunks(data))
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13 or chunks[-1][0] != b"IEND":
        raise NotAnImage("no IHDR or IEND")
    width, height, depth, colour, method, filtering, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if not (0 < width <= MAX_WIDTH and 0 < height <= MAX_HEIGHT):
        raise NotAnImage("size")
    if depth not in DEPTHS.get(colour, ()) or method or filtering or interlace not in (0, 1):
        raise NotAnImage("header")
    compressed = b"".join(body for kind, body in chunks if kind == b"IDAT")
    if _inflated_size(compressed) != _raw_size(width, height, depth * CHANNELS[colour], interlace):
        raise NotAnImage("image data")
    return width, height


def _chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    at = len(MAGIC)
    while at < len(data):
        if at + 12 > len(data):
            raise NotAnImage("truncated")
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        end = at + 8 + length
        if len(body) != length or end + 4 > len(data):
            raise NotAnImage("truncated")
        if struct.unpack(">I", data[end : end + 4])[0] != zlib.crc32(kind + body):
            raise NotAnImage("CRC")
        yield kind, body
        at = end + 4
        if kind == b"IEND":
            if at != len(data):
                raise NotAnImage("bytes after IEND")
            return


def _inflated_size(compressed: bytes) -> int:
    """How many bytes the image data inflates to, read in bounded steps (a zip bomb stops at
    the first step past what any allowed image holds)."""
    limit = _raw_size(MAX_WIDTH, MAX_HEIGHT, 64, 0)
    inflater, size, pending = zlib.decompressobj(), 0, compressed
    try:
        while pending or not inflater.eof:
            out = inflater.decompress(pending, STEP)
            size += len(out)
            pending = inflater.unconsumed_tail
            if size > limit or (not out and not pending):
                break
    except zlib.error as exc:
        raise NotAnImage("image data") from exc
    if not inflater.eof or inflater.unused_data:
        raise NotAnImage("image data")
    return size


def _raw_size(width: int, height: int, bits: int, interlace: int) -> int:
    """The filtered scanlines' size: a filter byte and the packed samples of each row (of each
    of Adam7's seven passes when interlaced)."""
    passes = ADAM7 if interlace else ((0, 0, 1, 1),)
    total = 0
    for x0, y0, dx, dy in passes:
        columns, rows = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if columns > 0 and rows > 0:
            total += rows * (1 + -(-(columns * bits) // 8))
    return total
