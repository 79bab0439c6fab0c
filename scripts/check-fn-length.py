#!/usr/bin/env python3
"""Fails when a Rust function under the given directories is longer than 60
lines (signature to closing brace, test modules excluded). Long functions in
erp-core and the shim are to be split along their jobs."""
import pathlib
import re
import sys

LIMIT = 60
FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(async\s+)?(const\s+)?(unsafe\s+)?fn\s+(\w+)")


def strip(line: str) -> str:
    """The line without string literals, char literals and // comments (enough for brace counting)."""
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])'", "''", line)
    return line.split("//", 1)[0]


def functions(path: pathlib.Path):
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "#[cfg(test)]":
            return  # test modules sit at the end of a file
        m = FN.match(lines[i])
        if not m:
            i += 1
            continue
        depth, started, j = 0, False, i
        while j < len(lines):
            code = strip(lines[j])
            if not started and ";" in code and "{" not in code:
                break  # a declaration without a body
            depth += code.count("{") - code.count("}")
            started = started or "{" in code
            if started and depth <= 0:
                yield m.group(6), i + 1, j - i + 1
                break
            j += 1
        i += 1


def main() -> int:
    bad = []
    for root in sys.argv[1:]:
        for path in sorted(pathlib.Path(root).rglob("*.rs")):
            for name, line, length in functions(path):
                if length > LIMIT:
                    bad.append(f"{path}:{line}: fn {name} is {length} lines (limit {LIMIT})")
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
