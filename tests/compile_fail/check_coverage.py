#!/usr/bin/env python3
"""Every static_assert message of the library's headers has a compile-fail test.

Reads each static_assert under include/ (its message: the string literals after the
condition, joined), skips the library's internal invariants (messages starting with
"ctgrad internal", and asserts without a message), and passes only if the start of every
message (up to its first parenthesis, colon-separated clause or 60 characters) appears in
an `// expect:` line of a source in tests/compile_fail/.

Usage: check_coverage.py INCLUDE_DIR COMPILE_FAIL_DIR
"""

import pathlib
import re
import sys

ASSERT_RE = re.compile(r"static_assert\s*\(")
STRING_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')
EXPECT_RE = re.compile(r"^\s*//\s*expect:\s*(.*?)\s*$", re.M)


def assert_messages(text):
    """The message of each static_assert in text (None when it has none)."""
    for m in ASSERT_RE.finditer(text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        body = text[m.end():i - 1]
        strings = STRING_RE.findall(body)
        yield "".join(strings) if strings else None


def key_of(message):
    """The part of a message an expect line must contain."""
    key = message.replace('\\"', '"')
    for stop in (" (", "; "):
        if stop in key:
            key = key.split(stop)[0]
    return key[:60]


def main(include_dir, compile_fail_dir):
    expected = []
    for source in sorted(pathlib.Path(compile_fail_dir).glob("*.cpp")):
        expected += EXPECT_RE.findall(source.read_text(encoding="utf-8"))
    missing = []
    count = 0
    for header in sorted(pathlib.Path(include_dir).rglob("*.hpp")):
        for message in assert_messages(header.read_text(encoding="utf-8")):
            if message is None or message.startswith("ctgrad internal"):
                continue
            count += 1
            key = key_of(message)
            if not any(key in line or line in key and len(line) > 30 for line in expected):
                missing.append(f"{header}: {key}")
    if missing:
        print(f"FAIL: {len(missing)} of {count} static_assert messages have no compile-fail test:")
        for line in missing:
            print("  " + line)
        return 1
    print(f"PASS: all {count} static_assert messages have a compile-fail test")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
