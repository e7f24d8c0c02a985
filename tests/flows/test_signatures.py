"""``check_png``: the bytes of a signature are read, not its declared type trusted."""

from __future__ import annotations

import struct
import zlib

import pytest

from loom.platform.flows.signatures import MAX_BYTES
from loom.platform.flows.signatures import NotAnImage
from loom.platform.flows.signatures import check_png

from .test_notes import png


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_a_whole_png_gives_its_size() -> None:
    assert check_png(png(300, 120)) == (300, 120)
    gray = png(7, 5, depth=1, colour=0, data=zlib.compress((b"\x00" + b"\xff") * 5))  # 7 px in 1 byte
    assert check_png(gray) == (7, 5)


def test_an_interlaced_png_counts_adam7s_passes() -> None:
    width, height = 5, 3
    # RGB rows of 1+3n bytes: passes 1, 2 and 4 one pixel, pass 3 nothing, pass 5 a row of 3,
    # pass 6 two rows of 2, pass 7 a row of 5.
    size = 4 + 4 + 4 + 10 + 2 * 7 + 16
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    image = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * size))
    assert check_png(image + chunk(b"IEND", b"")) == (width, height)


@pytest.mark.parametrize(
    "broken",
    [
        lambda good: good[:-1],  # no whole IEND
        lambda good: good + b"tail",  # bytes after IEND
        lambda good: good[:30] + bytes([good[30] ^ 1]) + good[31:],  # a CRC that does not match
        lambda good: good[:8] + good[33:],  # no IHDR
        lambda good: b"x" * (MAX_BYTES + 1),
    ],
    ids=["truncated", "trailing", "crc", "no_header", "too_big"],
)
def test_broken_pngs_are_refused(broken) -> None:
    with pytest.raises(NotAnImage):
        check_png(broken(png(20, 10)))
