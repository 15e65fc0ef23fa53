#!/usr/bin/env python3
"""Header hygiene checks for ctgrad's public headers.

usage: check_hygiene.py header  INCLUDE_DIR HEADER CXX...   the header compiles on its own
                                                            (twice included: guards work),
                                                            without warnings
       check_hygiene.py macros  INCLUDE_DIR CXX...          every macro ctgrad defines is CTGRAD_*
       check_hygiene.py namespace INCLUDE_DIR               nothing is declared outside
                                                            namespace ctgrad
CXX... is the compiler command (the build's, e.g. `c++` or `clang++`).
A header of an optional dependency (ctgrad/distributed/mpi.hpp) takes that dependency's flags
from an environment variable (CTGRAD_MPI_CFLAGS); without it the header is left out of
`header`, `macros` and `list`.
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

FLAGS = ["-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]

# Headers that need an optional dependency, and the variable that holds its compiler flags.
OPTIONAL = {"ctgrad/distributed/mpi.hpp": "CTGRAD_MPI_CFLAGS"}
# Macros a header defines on purpose, before including its dependency: Open MPI's switch that
# leaves out its deprecated C++ bindings (they warn under -Wextra, and #undef SEEK_SET). The
# baseline is built with them defined too.
SANCTIONED_MACROS = ["OMPI_SKIP_MPICXX"]


def available(header):
    return header not in OPTIONAL or OPTIONAL[header] in os.environ


def extra_flags(headers_used):
    flags = []
    for header in headers_used:
        if header in OPTIONAL:
            flags += shlex.split(os.environ.get(OPTIONAL[header], ""))
    return flags


def headers(include_dir, only_available=True):
    root = os.path.join(include_dir, "ctgrad")
    found = []
    for directory, _, files in os.walk(root):
        for name in files:
            if name.endswith(".hpp"):
                header = os.path.relpath(os.path.join(directory, name), include_dir).replace(os.sep, "/")
                if available(header) or not only_available:
                    found.append(header)
    return sorted(found)


def compile_source(cxx, include_dir, source, extra=()):
    with tempfile.NamedTemporaryFile("w", suffix=".cpp", delete=False) as f:
        f.write(source)
        path = f.name
    try:
        return subprocess.run(cxx + FLAGS + ["-I", include_dir] + list(extra) + [path],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    finally:
        os.unlink(path)


def check_header(include_dir, header, cxx):
    result = compile_source(cxx, include_dir, f"#include <{header}>\n#include <{header}>\n", extra_flags([header]))
    if result.returncode != 0:
        sys.exit(f"{header} does not compile on its own:\n{result.stdout}")
    print(f"{header}: compiles on its own")


def defined_macros(cxx, include_dir, source, extra=()):
    with tempfile.NamedTemporaryFile("w", suffix=".cpp", delete=False) as f:
        f.write(source)
        path = f.name
    try:
        out = subprocess.run(cxx + ["-std=c++20", "-E", "-dM", "-I", include_dir] + list(extra) + [path],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=True).stdout
    finally:
        os.unlink(path)
    return {line.split()[1].split("(")[0] for line in out.splitlines() if line.startswith("#define ")}


def check_macros(include_dir, cxx):
    all_headers = headers(include_dir)
    # What ctgrad includes from elsewhere (the standard library, xtensor, xsimd, Hana, POSIX)
    # defines macros of its own; those are the baseline.
    outside = set()
    for header in all_headers:
        with open(os.path.join(include_dir, header), encoding="utf-8") as f:
            outside.update(re.findall(r"^\s*#\s*include\s*<([^>]+)>", f.read(), re.MULTILINE))
    extra = extra_flags(all_headers)
    sanctioned = [f"-D{m}=1" for m in SANCTIONED_MACROS]
    baseline = defined_macros(cxx, include_dir, "".join(f"#include <{h}>\n" for h in sorted(outside)), extra + sanctioned)
    ours = defined_macros(cxx, include_dir, "".join(f"#include <{h}>\n" for h in all_headers), extra)
    leaked = sorted(m for m in ours - baseline if not m.startswith("CTGRAD_"))
    if leaked:
        sys.exit("macros defined by ctgrad's headers without the CTGRAD_ prefix: " + ", ".join(leaked))
    print(f"{len(ours - baseline)} macros defined by ctgrad, all CTGRAD_*")


def strip(text):
    """The code without comments, string and character literals, and preprocessor lines."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r'R"(\w*)\(.*?\)\1"', '""', text, flags=re.DOTALL)
    text = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)
    text = re.sub(r"'(?:\\.|[^'\\\n])*'", "''", text)
    lines, continued = [], False
    for line in text.splitlines():
        is_directive = continued or line.lstrip().startswith("#")
        continued = is_directive and line.rstrip().endswith("\\")
        lines.append("" if is_directive else line)
    return "\n".join(lines)


def check_namespace(include_dir):
    problems = []
    for header in headers(include_dir, only_available=False):
        with open(os.path.join(include_dir, header), encoding="utf-8") as f:
            code = strip(f.read())
        depth = 0
        # At file scope only `namespace ctgrad... {` may open; anything else is a global declaration.
        for match in re.finditer(r"namespace\s+(ctgrad(?:::\w+)*)\s*\{|[{}]|[^\s{}]+", code):
            token = match.group(0)
            if match.group(1):
                depth += 1
            elif token == "{":
                if depth == 0:
                    problems.append(f"{header}: a block at file scope")
                depth += 1
            elif token == "}":
                depth -= 1
            elif depth == 0 and token not in (";",):
                line = code.count("\n", 0, match.start()) + 1
                problems.append(f"{header}:{line}: '{token}' outside namespace ctgrad")
                break
    if problems:
        sys.exit("declarations outside namespace ctgrad:\n  " + "\n  ".join(problems))
    print(f"{len(headers(include_dir, only_available=False))} headers: everything inside namespace ctgrad")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    if argv[0] == "header":
        check_header(argv[1], argv[2], argv[3:])
    elif argv[0] == "macros":
        check_macros(argv[1], argv[2:])
    elif argv[0] == "namespace":
        check_namespace(argv[1])
    elif argv[0] == "list":
        print("\n".join(headers(argv[1])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
