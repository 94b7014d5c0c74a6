"""The compiled extension does not link libpython: the interpreter that
imports it provides the C API, so a wheel for CPython 3.X loads in any 3.X
interpreter (shared or static libpython)."""

import struct
import sys

import pytest

import pykeops_go._ext._gokeops_ext as ext


def elf_needed(path):
    """DT_NEEDED entries of a little-endian ELF64 shared object."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "expected a little-endian ELF64 file"
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + k * shentsize) for k in range(shnum)]
    DYNAMIC, DT_NEEDED = 6, 1
    needed = []
    for _, kind, _, _, off, size, link, _, _, entsize in sections:
        if kind != DYNAMIC:
            continue
        strtab_off = sections[link][4]
        for e in range(size // entsize):
            tag, val = struct.unpack_from("<qQ", data, off + e * entsize)
            if tag == DT_NEEDED:
                end = data.index(b"\0", strtab_off + val)
                needed.append(data[strtab_off + val:end].decode())
    return needed


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads ELF files")
def test_extension_does_not_link_libpython():
    needed = elf_needed(ext.__file__)
    assert "libc.so.6" in needed  # the parser found the dynamic section
    assert not [n for n in needed if n.startswith("libpython")], needed
