#!/usr/bin/python3
"""hostile_dicom.py - crafted DICOM files for the hostile-input tests, made
from a valid explicit VR little endian Part 10 file (gen_dicom.py series).

  nest      BASE OUT --depth N    N nested undefined-length (0008,1115) SQ/item
                                  pairs inserted in tag order
  values    BASE OUT --bytes N    ImageType (0008,0008) as UC (4-byte length)
                                  made of N backslashes
  cut-before-pixels BASE OUT      the file up to (not including) PixelData:
                                  a transfer cut at an element boundary
  done-name FILE                  print the name the receiver gives a finished
                                  transfer in tmp/ (.done-<len>-<crc32>-<tail>)
"""
import struct
import sys
import zlib

LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC",
            b"UN", b"UR", b"UT", b"UV"}


def split(data):
    """(meta_end, [(tag, start, end)]) for the top-level dataset elements."""
    assert data[128:132] == b"DICM"
    pos = 132
    elems = []
    meta_end = None
    while pos < len(data):
        g, e = struct.unpack_from("<HH", data, pos)
        vr = data[pos + 4:pos + 6]
        if vr in LONG_VRS:
            (ln,) = struct.unpack_from("<I", data, pos + 8)
            hl = 12
        else:
            (ln,) = struct.unpack_from("<H", data, pos + 6)
            hl = 8
        assert ln != 0xFFFFFFFF, "base file must have no undefined lengths"
        end = pos + hl + ln
        if g != 2 and meta_end is None:
            meta_end = pos
        if g != 2:
            elems.append(((g << 16) | e, pos, end))
        pos = end
    return meta_end, elems


def insert(data, tag, blob):
    meta_end, elems = split(data)
    at = next((s for t, s, _ in elems if t >= tag), len(data))
    drop = next(((s, e) for t, s, e in elems if t == tag), None)
    if drop:
        return data[:drop[0]] + blob + data[drop[1]:]
    return data[:at] + blob + data[at:]


def nest(depth):
    sq = struct.pack("<HH2sHI", 0x0008, 0x1115, b"SQ", 0, 0xFFFFFFFF)
    item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    item_end = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    sq_end = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    return (sq + item) * depth + (item_end + sq_end) * depth


def main():
    cmd = sys.argv[1]
    if cmd == "done-name":
        data = open(sys.argv[2], "rb").read()
        tail = sys.argv[3] if len(sys.argv) > 3 else "rcv-planted"
        print(".done-%d-%08x-%s" % (len(data), zlib.crc32(data), tail))
        return
    base, out = sys.argv[2], sys.argv[3]
    data = open(base, "rb").read()
    if cmd == "nest":
        depth = int(sys.argv[sys.argv.index("--depth") + 1])
        data = insert(data, 0x00081115, nest(depth))
    elif cmd == "values":
        n = int(sys.argv[sys.argv.index("--bytes") + 1])
        blob = struct.pack("<HH2sHI", 0x0008, 0x0008, b"UC", 0, n) + b"\\" * n
        data = insert(data, 0x00080008, blob)
    elif cmd == "cut-before-pixels":
        _, elems = split(data)
        data = data[:next(s for t, s, _ in elems if t == 0x7FE00010)]
    else:
        sys.exit("unknown command " + cmd)
    open(out, "wb").write(data)


if __name__ == "__main__":
    main()
