"""The PNG writer of examples/demo.py (zlib and struct only) writes files
that decode back to the same pixels."""

import importlib.util
import os
import struct
import zlib

import numpy as np

DEMO = os.path.join(os.path.dirname(__file__), "..", "examples", "demo.py")


def load_demo():
    spec = importlib.util.spec_from_file_location("demo", DEMO)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        n, = struct.unpack_from(">I", data, pos)
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        crc, = struct.unpack_from(">I", data, pos + 8 + n)
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks.append((kind, body))
        pos += 12 + n
    assert [k for k, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    w, h, depth, color, _, _, _ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, color) == (8, 2)
    raw = np.frombuffer(zlib.decompress(chunks[1][1]), np.uint8).reshape(h, 1 + 3 * w)
    assert (raw[:, 0] == 0).all()  # filter type 0 on every row
    return raw[:, 1:].reshape(h, w, 3)


def test_png_round_trip(tmp_path):
    demo = load_demo()
    rng = np.random.default_rng(0)
    rgb = demo.colormap(rng.random((7, 11)))
    assert rgb.shape == (7, 11, 3) and rgb.dtype == np.uint8
    path = tmp_path / "x.png"
    demo.write_png(str(path), rgb)
    np.testing.assert_array_equal(read_png(path), rgb)


def test_colormap_ends():
    demo = load_demo()
    np.testing.assert_array_equal(demo.colormap(np.array([0.0, 1.0, -1.0, 2.0])),
                                  [[0, 0, 4], [252, 255, 164], [0, 0, 4], [252, 255, 164]])


def test_committed_picture_is_a_valid_png():
    img = read_png(os.path.join(os.path.dirname(__file__), "..", "docs", "demo-density.png"))
    assert img.shape[2] == 3 and img.std() > 10  # not blank
