#!/usr/bin/env python3
"""Compile the C++ snippets of the Markdown docs, so that the docs cannot drift from the API.

usage: check_doc_snippets.py list ROOT
           the Markdown files checked (README.md and docs/*.md), relative to ROOT
       check_doc_snippets.py check ROOT FILE [--include DIR]... [--isystem DIR]... [--timeout SECONDS]
           [--expect-failing LINE...] -- COMPILER [FLAGS...]
           compiles every ```cpp block of ROOT/FILE (FILE relative to ROOT) with the compiler line
           given (tests/meson.build passes the build's compiler, -std=c++20 and the warnings of
           warning_level=3), adding -fsyntax-only -Werror -Wno-unused: no warning passes, but a
           snippet may leave a name unused. --expect-failing (the control): pass only if exactly
           the blocks whose code starts at those lines fail.

How a snippet compiles (docs/contributing.md, "Snippets in the docs"):

- Every ```cpp block is C++ that compiles; output, shell commands and pseudo-code are fenced as
  something else (```text, ```sh, or a bare ```).
- All the blocks of one file are one translation unit. It starts with #include <ctgrad/ctgrad.hpp>
  and every #include line of the file's blocks, hoisted to the top.
- Each block gets a namespace of its own (snippet_1, snippet_2, ... in the order of the file). A
  block that defines a type or a template (an unindented line starting with struct, class,
  union, enum or template) goes into it as it is; any other block becomes the body of a function
  there, so statements (std::cout << ..., a call) may follow declarations.
- `= ...;` stands for a value the reader supplies: it is compiled as `= {};`.
- Names a block takes from the prose or from an earlier block (X, Y, loss, a dataset...) come from
  invisible HTML comments (the opening and the closing line each alone on its line), whose lines
  are declarations at namespace scope:
      <!-- snippet-prelude
      ...                        every block of the file sees these (anywhere in the file)
      -->
      <!-- snippet-context
      ...                        only the block right after sees these (blank lines may
      -->                        separate the comment and the fence)
  A declaration without a value (`extern xt::xtensor<double, 2> X;`) is enough: nothing is
  linked or run. A block may redeclare a name of its context (its own `x` hides the prelude's).
- README.md and docs/least_squares.md keep their preludes and contexts in SCRIPT_CONTEXTS below
  instead (keyed by a line of the block, which must match exactly one block), so that their text
  stays free of comments.

Errors are reported in the Markdown file's lines (#line directives). When the file's translation
unit fails, the blocks that fail are those its errors point into (through "required from here"
for an error in a header); when they point into several blocks, or none, each of those (or every
block) is compiled alone, to give each failing block its own first error.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

EXTRA_FLAGS = ["-fsyntax-only", "-Werror", "-Wno-unused"]
SHOWN_LINES = 40

# Preludes and contexts of the files whose text must stay as it is (see the docstring).
# "prelude": declarations every block of the file sees; "blocks": {a line of the block: its context}.
SCRIPT_CONTEXTS = {
    "README.md": {
        "prelude": """
using namespace ctgrad::literals;
""",
        "blocks": {
            # The Hessian-vector product, of the loss of the first block.
            "constexpr auto hvp = ": """
constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param<"b"> b;
constexpr auto loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c;
""",
            # One step's loss and gradient, of the first block's loss, over the data X, Y (and the
            # same examples one row each, R).
            "ctgrad::value_and_grad(loss, params, batch, grads)": """
constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param<"b"> b;
constexpr auto loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c;
extern xt::xtensor<double, 2> X;
extern xt::xtensor<double, 2> R;
extern xt::xtensor<double, 1> Y;
""",
            # Misra1a: one scalar input per example.
            "constexpr auto residual = b1 * (1_c": """
constexpr ctgrad::input<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param<"b1"> b1;
constexpr ctgrad::param<"b2"> b2;
extern xt::xtensor<double, 1> X;
extern xt::xtensor<double, 1> Y;
""",
        },
    },
    "docs/least_squares.md": {
        "prelude": """
using namespace ctgrad::literals;
""",
        "blocks": {
            # The first block: Misra1a's readings.
            "levenberg_marquardt().minimize(residual, params,": """
extern xt::xtensor<double, 1> X;
extern xt::xtensor<double, 1> Y;
""",
            # The model overload, with the first block's symbols.
            "levenberg_marquardt().minimize(model, readings)": """
constexpr ctgrad::input<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param<"b1"> b1;
constexpr ctgrad::param<"b2"> b2;
extern ctgrad::data::dataset<double> readings;
""",
            # A vector parameter: d features per example.
            "make_parameters(w = std::vector<double>(d, 0.0)": """
constexpr ctgrad::input<"y"> y;
extern std::size_t d;
extern xt::xtensor<double, 2> X;
extern xt::xtensor<double, 1> Y;
""",
        },
    },
}

FENCE_RE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)")
COMMENT_RE = re.compile(r"^\s*<!--\s*snippet-(prelude|context)\s*$")
INCLUDE_RE = re.compile(r"^\s*#\s*include\b")
# An unindented line that defines a type or a template: such a block stays at namespace scope.
TYPE_RE = re.compile(r"^(struct|class|union|enum|template)\b")
PLACEHOLDER_RE = re.compile(r"=\s*\.\.\.\s*;")
# Other names of C++ in a fence: the check would skip such a block, so it refuses them.
OTHER_CPP_NAMES = {"c++", "cxx", "cc", "hpp", "h++", "cplusplus"}


class Block:
    def __init__(self, first_line, lines, context):
        self.first_line = first_line  # the line number of its first line of code (after the fence)
        self.lines = lines            # its code, the fence's indentation removed
        self.context = context        # (line number or label, text) or None

    def title(self):
        first = next((l.strip() for l in self.lines if l.strip()), "")
        return f"line {self.first_line}: `{first}`"


def markdown_files(root):
    found = ["README.md"] if os.path.isfile(os.path.join(root, "README.md")) else []
    docs = os.path.join(root, "docs")
    if os.path.isdir(docs):
        found += sorted("docs/" + n for n in os.listdir(docs) if n.endswith(".md"))
    return found


def parse(path, text):
    """(the file's ```cpp blocks, its preludes as [(line number, text)], the problems found)."""
    lines = text.split("\n")
    blocks, preludes, problems = [], [], []
    pending = None  # a snippet-context waiting for its block: (line number, text)
    i = 0
    while i < len(lines):
        line = lines[i]
        comment = COMMENT_RE.match(line)
        if comment:
            end = i + 1
            while end < len(lines) and "-->" not in lines[end]:
                end += 1
            if end == len(lines) or lines[end].strip() != "-->":
                problems.append(f"{path}:{i + 1}: snippet-{comment.group(1)} needs a line `-->` of its own to end it")
                break
            body = (i + 2, "\n".join(lines[i + 1:end]))
            if comment.group(1) == "prelude":
                preludes.append(body)
            else:
                if pending:
                    problems.append(f"{path}:{pending[0] - 1}: snippet-context not followed by a ```cpp block")
                pending = body
            i = end + 1
            continue
        fence = FENCE_RE.match(line)
        if fence:
            indent, marks, language = fence.group(1), fence.group(2), fence.group(3)
            close = re.compile(r"^\s*" + re.escape(marks[0]) + "{" + str(len(marks)) + r",}\s*$")
            end = i + 1
            while end < len(lines) and not close.match(lines[end]):
                end += 1
            if language == "cpp":
                code = [l[len(indent):] if l.startswith(indent) else l.lstrip() for l in lines[i + 1:end]]
                blocks.append(Block(i + 2, code, pending))
            else:
                if language.lower() in OTHER_CPP_NAMES:
                    problems.append(f"{path}:{i + 1}: a C++ block fenced as ```{language}: fence it as ```cpp "
                                    f"(compiled by this check) or, if it is not meant to compile, as ```text")
                if pending:
                    problems.append(f"{path}:{pending[0] - 1}: snippet-context not followed by a ```cpp block")
            pending = None
            i = end + 1
            continue
        if pending and line.strip():
            problems.append(f"{path}:{pending[0] - 1}: snippet-context not followed by a ```cpp block")
            pending = None
        i += 1
    if pending:
        problems.append(f"{path}:{pending[0] - 1}: snippet-context not followed by a ```cpp block")
    return blocks, preludes, problems


def apply_script_contexts(path, blocks, preludes):
    """Adds SCRIPT_CONTEXTS[path] to the parsed file; returns the problems (a stale key)."""
    contexts = SCRIPT_CONTEXTS.get(path)
    if not contexts:
        return []
    problems = []
    label = f"tests/check_doc_snippets.py, context of {path}"
    if contexts.get("prelude"):
        preludes.append((label, contexts["prelude"]))
    for key, context in contexts.get("blocks", {}).items():
        matching = [b for b in blocks if any(key in l for l in b.lines)]
        if len(matching) != 1:
            problems.append(f"tests/check_doc_snippets.py: the context keyed `{key}` matches {len(matching)} "
                            f"blocks of {path}, not one: update SCRIPT_CONTEXTS")
            continue
        if matching[0].context:
            problems.append(f"{path}: {matching[0].title()} has a context both in the file and in the script")
            continue
        matching[0].context = (label, context)
    return problems


def line_directive(where, path):
    """#line for a fragment from a Markdown line (an int) or from elsewhere (a label)."""
    if isinstance(where, int):
        return f'#line {where} "{path}"'
    return f'#line 1 "{where}"'


def translation_unit(path, blocks, preludes):
    out = [f"// Generated by tests/check_doc_snippets.py from {path}.", "#include <ctgrad/ctgrad.hpp>"]
    hoisted = set()
    for block in blocks:
        for n, line in enumerate(block.lines):
            if INCLUDE_RE.match(line) and line.strip() not in hoisted:
                hoisted.add(line.strip())
                out += [line_directive(block.first_line + n, path), line.strip()]
    for where, text in preludes:
        out += [line_directive(where, path), text]
    for n, block in enumerate(blocks, 1):
        at_namespace_scope = any(TYPE_RE.match(l) for l in block.lines)
        out.append(f"namespace snippet_{n} {{")
        if block.context:
            out += [line_directive(block.context[0], path), block.context[1]]
        if not at_namespace_scope:
            out.append("void body() {")
        out.append(line_directive(block.first_line, path))
        # Hoisted includes leave an empty line, so the line numbers stay the file's.
        out += ["" if INCLUDE_RE.match(l) else PLACEHOLDER_RE.sub("= {};", l) for l in block.lines]
        if not at_namespace_scope:
            out.append("}")
        out.append(f"}} // namespace snippet_{n}")
    return "\n".join(out) + "\n"


def compile_unit(compiler, source, timeout):
    """(ok, output) of compiling source."""
    with tempfile.NamedTemporaryFile("w", suffix=".cpp", delete=False, encoding="utf-8") as f:
        f.write(source)
        name = f.name
    env = dict(os.environ, LC_ALL="C")  # plain ASCII diagnostics
    env.pop("GCC_COLORS", None)
    try:
        done = subprocess.run(compiler + [name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=env, timeout=timeout)
        return done.returncode == 0, done.stdout.decode("utf-8", errors="replace")
    except subprocess.TimeoutExpired:
        return False, f"error: the compiler did not finish within {timeout:g} s"
    except OSError as e:
        return False, f"error: cannot run the compiler: {e}"
    finally:
        os.unlink(name)


def first_error(output, path):
    """The first error (or warning) line; when it is in a header, with where the file led there."""
    lines = [l.strip() for l in output.splitlines()]
    for i, line in enumerate(lines):
        if "error:" in line or "warning:" in line:
            if line.startswith(path + ":"):
                return line
            # g++ names the snippet's line before the error ("required from here"), clang after it.
            here = re.compile(re.escape(path) + r":\d+:\d+")
            before = [m.group(0) for l in lines[:i] for m in [here.search(l)] if m]
            after = [m.group(0) for l in lines[i + 1:] for m in [here.search(l)] if m]
            where = before[-1] if before else after[0] if after else None
            return f"{line} (from {where})" if where else line
    return lines[0] if lines else "(no compiler output)"


def parse_args(argv):
    if "--" not in argv:
        sys.exit("check_doc_snippets: missing '--' before the compiler command")
    split = argv.index("--")
    own, compiler = argv[:split], argv[split + 1:]
    if not compiler:
        sys.exit("check_doc_snippets: no compiler command after '--'")
    parser = argparse.ArgumentParser(prog="check_doc_snippets.py check")
    parser.add_argument("root")
    parser.add_argument("file")
    parser.add_argument("--include", action="append", default=[])
    parser.add_argument("--isystem", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--expect-failing", type=int, nargs="+", metavar="LINE",
                        help="the control: pass only if exactly the blocks whose code starts at these lines fail")
    args = parser.parse_args(own)
    compiler = compiler + EXTRA_FLAGS + ["-I" + d for d in args.include]
    for d in args.isystem:
        compiler += ["-isystem", d]
    return args, compiler


def check(argv):
    args, compiler = parse_args(argv)
    path = args.file
    with open(os.path.join(args.root, path), encoding="utf-8") as f:
        blocks, preludes, problems = parse(path, f.read())
    problems += apply_script_contexts(path, blocks, preludes)
    if problems:
        print("FAIL: " + "\n      ".join(problems))
        return 1
    if not blocks:
        if args.expect_failing:
            print(f"FAIL: {path} has no C++ block, but blocks are expected to fail")
            return 1
        print(f"0 C++ blocks in {path}: nothing to compile")
        return 0

    print("command:", " ".join(compiler), flush=True)
    start = time.monotonic()
    ok, output = compile_unit(compiler, translation_unit(path, blocks, preludes), args.timeout)
    seconds = time.monotonic() - start
    if ok and not output.strip():
        for block in blocks:
            print(f"  compiled: {path} {block.title()}")
        if args.expect_failing:
            print(f"FAIL: every C++ block of {path} compiled, but those at lines {args.expect_failing} must not")
            return 1
        print(f"{len(blocks)} C++ block{'' if len(blocks) == 1 else 's'} of {path} compiled ({seconds:.1f} s)")
        return 0

    # Which blocks fail: the one the diagnostics point into; when they point into several (or
    # none), each of those (or every block) compiled alone with the file's preludes.
    suspects = blocks_named_in(output, path, blocks)
    if len(suspects) == 1:
        failed = [(suspects[0], first_error(output, path))]
    else:
        failed = []
        for block in suspects or blocks:
            alone_ok, alone_output = compile_unit(compiler, translation_unit(path, [block], preludes), args.timeout)
            if not (alone_ok and not alone_output.strip()):
                failed.append((block, first_error(alone_output, path)))
    lines = [block.first_line for block, _ in failed]
    if args.expect_failing is not None:  # the control: exactly the blocks named must fail
        if sorted(lines) == sorted(args.expect_failing) and failed:
            for block, error in failed:
                print(f"  fails as expected: {path} {block.title()}\n    first error: {error}")
            print(f"PASS: of {len(blocks)} C++ blocks of {path}, exactly those expected fail to compile")
            return 0
        print(f"FAIL: expected the blocks at lines {sorted(args.expect_failing)} of {path} to fail, "
              f"but those at {sorted(lines)} fail")
    for block, error in failed:
        print(f"FAIL: {path} {block.title()} does not compile\n    first error: {error}")
    if not failed:
        print(f"FAIL: every block of {path} compiles alone, but not all together (a name declared twice?); "
              f"first error: {first_error(output, path)}")
    print(f"FAIL: {len(failed)} of {len(blocks)} C++ blocks of {path} do not compile. The compiler's output "
          f"for the whole file:")
    shown = output.splitlines()
    print("\n".join(shown[:SHOWN_LINES]) + (f"\n... ({len(shown) - SHOWN_LINES} more lines)" if len(shown) > SHOWN_LINES else ""))
    return 1


def blocks_named_in(output, path, blocks):
    """The blocks whose lines the compiler's output names (path:LINE:), in file order."""
    named = {int(m.group(1)) for m in re.finditer(re.escape(path) + r":(\d+):", output)}
    return [b for b in blocks if any(b.first_line <= n < b.first_line + len(b.lines) for n in named)]


def main(argv):
    if len(argv) >= 2 and argv[0] == "list":
        print("\n".join(markdown_files(argv[1])))
        return 0
    if len(argv) >= 3 and argv[0] == "check":
        return check(argv[1:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
