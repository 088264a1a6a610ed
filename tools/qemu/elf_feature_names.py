"""Where a QEMU binary puts a feature name, read from its own feature_word_info table (target/i386/cpu.c).

Each feature word has `const char *feat_names[64]`: 64 pointers in a row, one per bit. In Debian's position-
independent qemu-system-x86_64 each pointer is an R_X86_64_RELATIVE relocation whose addend is the address of
the name's string, so a name's slot is found by its string, and its word and bit by the names around it that the
bit table already places (anchors): where most anchors of a word agree is where its array starts. This
places feature-MSR bits, which QMP does not show (ask_qemu.py places CPUID bits over QMP and checks that both agree).
"""
import struct

R_X86_64_RELATIVE = 8
SHT_RELA = 4


def _sections(data):
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3a)
    return [struct.unpack_from("<IIQQQQ", data, shoff + index * shentsize) for index in range(shnum)]


def pointer_slots(data):
    """{string address: [addresses of the pointers to it]}, from the binary's relative relocations."""
    slots = {}
    for _name, kind, _flags, _addr, offset, size in _sections(data):
        if kind == SHT_RELA:
            for entry in range(offset, offset + size, 24):
                where, info, addend = struct.unpack_from("<QQq", data, entry)
                if info & 0xffffffff == R_X86_64_RELATIVE:
                    slots.setdefault(addend, []).append(where)
    return slots


def string_addresses(data, name):
    """The addresses of `name` as a NUL-terminated string (also as the tail of a longer one, which linkers share)."""
    found, needle = [], name.encode("ascii") + b"\0"
    loaded = [(addr, offset, size) for _n, _k, _f, addr, offset, size in _sections(data) if addr]
    at = data.find(needle)
    while at >= 0:
        found.extend(addr + at - offset for addr, offset, size in loaded if offset <= at < offset + size)
        at = data.find(needle, at + 1)
    return found


def place(path, names, feature_words):
    """{name: [kind, where, subleaf, register, bit] or None} for each name, the words in cpuid_bits' shape."""
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return dict((name, None) for name in names)  # only 64-bit ELF binaries are read
    slots = pointer_slots(data)

    def slots_of(name):
        return [slot for address in string_addresses(data, name) for slot in slots.get(address, ())]
    starts = {}  # possible start of each word's feat_names array -> how many anchors agree
    for word in feature_words:
        for bit, anchor in word[5].items():
            for slot in slots_of(anchor):
                key = (word[1:5], slot - 8 * bit)
                starts[key] = starts.get(key, 0) + 1
    # each word's array is where most of its anchors agree (a model's property list can line two up by chance);
    # every 8-byte slot inside an array is one of its bits, so a name found there is placed without doubt
    best = {}
    for (word, start), count in starts.items():
        if count >= 2 and count > best.get(word, (0, None))[0]:
            best[word] = (count, start)
    arrays = dict((start, word) for word, (_count, start) in best.items())
    found = {}
    for name in names:
        hits = set()
        for slot in slots_of(name):
            for start, word in arrays.items():
                if 0 <= slot - start < 8 * 64 and (slot - start) % 8 == 0:
                    hits.add(tuple(word) + ((slot - start) // 8,))
        found[name] = list(hits.pop()) if len(hits) == 1 else None
    return found


def main():
    """python3 tools/qemu/elf_feature_names.py BINARY: every name of the bit table placed from BINARY, as JSON:
    {"placed": how many, "differ": [[name, the binary's place, the table's place]]} (the tests' check)."""
    import json
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                    "plugins", "module_utils", "_cpu"))
    import cpuid_bits  # pylint: disable=import-outside-toplevel
    table = dict((name, list(word[1:5]) + [bit]) for word in cpuid_bits.FEATURE_WORDS for bit, name in word[5].items())
    found = place(sys.argv[1], sorted(table), cpuid_bits.FEATURE_WORDS)
    placed = dict((name, where) for name, where in found.items() if where)
    json.dump({"placed": len(placed), "differ": [[name, where, table[name]] for name, where in sorted(placed.items())
                                                 if where != table[name]]}, sys.stdout)


if __name__ == "__main__":
    main()
