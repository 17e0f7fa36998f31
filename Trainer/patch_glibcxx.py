"""Marks libLibTorchSharp.so's need for GLIBCXX_3.4.32 as weak (VER_FLG_WEAK) so Debian 12's libstdc++ loads it.

The only symbol needing that version is std::ios_base_library_init(), a marker nothing calls. The ELF .gnu.version_r
section lists, per needed library, Vernaux entries (hash, flags, other, name, next); setting flags |= 0x2 on the
GLIBCXX_3.4.32 entry makes the dynamic loader accept a libstdc++ without it. Idempotent.
Usage: patch_glibcxx.py DIRECTORY (searched recursively for libLibTorchSharp.so)
"""
import os, struct, sys

WANTED = b"GLIBCXX_3.4.32"
VER_FLG_WEAK = 0x2


def patch(path):
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            return "not a 64-bit little-endian ELF"
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
        verneed = [s for s in sections if s[1] == 0x6FFFFFFE]  # SHT_GNU_verneed
        if not verneed:
            return "no .gnu.version_r"
        _, _, _, _, offset, _, link, info, _, _ = verneed[0]
        strtab = sections[link][4]
        changed = found = 0
        entry = offset
        for _ in range(info):
            version, cnt, _file, aux, nxt = struct.unpack_from("<HHIII", data, entry)
            a = entry + aux
            for _ in range(cnt):
                hsh, flags, other, name, anext = struct.unpack_from("<IHHII", data, a)
                end = data.index(b"\0", strtab + name)
                if bytes(data[strtab + name:end]) == WANTED:
                    found += 1
                    if not flags & VER_FLG_WEAK:
                        struct.pack_into("<H", data, a + 4, flags | VER_FLG_WEAK)
                        changed += 1
                a += anext
            entry += nxt
        if changed:
            f.seek(0)
            f.write(data)
        return f"{found} entries for {WANTED.decode()}, {changed} marked weak" if found else "no GLIBCXX_3.4.32 need"


for root, _, files in os.walk(sys.argv[1]):
    for name in files:
        if name == "libLibTorchSharp.so":
            print(f"patch_glibcxx: {os.path.join(root, name)}: {patch(os.path.join(root, name))}")
