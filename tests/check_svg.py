#!/usr/bin/env python3
"""Structural check of an SVG chart, such as one written by ctgrad::plot::write_svg.

Parses FILE as XML (so an unescaped '&' or '<' in a label fails here) and checks:

  - the root element is <svg> with a viewBox of four numbers;
  - --curves N: exactly N curve elements, counting <polyline> and <path> anywhere
    (ctgrad::plot draws one <path> per series with data and nothing else with
    either element; legend swatches are <line>);
  - every curve coordinate is a finite number inside the viewBox;
  - --label TEXT (repeatable): the legend, the <g class="legend"> element, lists
    exactly these labels (the text of its <text> children), in this order. Without
    any --label the legend is not checked.

Exit status 0 when every check holds; otherwise each failure is printed to stderr
and the status is 1 (2 for a usage error).

Usage:
    check_svg.py FILE [--curves N] [--label TEXT]...
"""

import argparse
import math
import re
import sys
import xml.etree.ElementTree as ET

NUMBER_RE = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
# A number, a run of letters (a path command, or a stray word such as nan), or any
# other character; commas and white space separate.
TOKEN_RE = re.compile(NUMBER_RE + r"|[A-Za-z]+|[^\s,]")


def local_name(element):
    return element.tag.rsplit("}", 1)[-1]


def classes(element):
    return element.get("class", "").split()


def curve_points(element):
    """The (x, y) pairs of a curve, or None when its path has commands other than
    absolute M and L (relative or curved segments: coordinates not checked)."""
    text = element.get("points" if local_name(element) == "polyline" else "d", "")
    values = []
    for token in TOKEN_RE.findall(text):
        if token in ("M", "L"):
            continue
        if len(token) == 1 and token.isalpha():
            return None
        if not re.fullmatch(NUMBER_RE, token):
            raise ValueError(f"not a number: {token!r}")
        values.append(float(token))
    if len(values) % 2:
        raise ValueError(f"odd number of coordinates ({len(values)})")
    return list(zip(values[0::2], values[1::2]))


def check(path, curves, labels):
    """Returns the list of failed checks (empty when the file passes)."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as error:
        return [f"cannot parse as XML: {error}"]
    failures = []
    if local_name(root) != "svg":
        failures.append(f"root element is <{local_name(root)}>, not <svg>")
    try:
        x0, y0, width, height = (float(v) for v in root.get("viewBox", "").replace(",", " ").split())
    except ValueError:
        return failures + [f"viewBox {root.get('viewBox')!r} is not four numbers"]

    found = [e for e in root.iter() if local_name(e) in ("polyline", "path")]
    if curves is not None and len(found) != curves:
        failures.append(f"expected {curves} curves (<polyline>/<path>), found {len(found)}")
    for index, element in enumerate(found):
        name = f"curve {index + 1} <{local_name(element)}>"
        try:
            points = curve_points(element)
        except ValueError as error:
            failures.append(f"{name}: {error}")
            continue
        if points is None:
            continue  # relative or curved segments: coordinates not checked
        if not points:
            failures.append(f"{name} has no points")
        for x, y in points:
            if not (math.isfinite(x) and math.isfinite(y)):
                failures.append(f"{name}: non-finite point ({x}, {y})")
            elif not (x0 <= x <= x0 + width and y0 <= y <= y0 + height):
                failures.append(f"{name}: point ({x}, {y}) outside the viewBox")

    if labels:
        legends = [e for e in root.iter() if local_name(e) == "g" and "legend" in classes(e)]
        if len(legends) != 1:
            failures.append(f'expected one <g class="legend">, found {len(legends)}')
        else:
            shown = ["".join(t.itertext()).strip() for t in legends[0].iter() if local_name(t) == "text"]
            if shown != labels:
                failures.append(f"legend labels are {shown}, expected {labels}")
    return failures


def main(argv):
    parser = argparse.ArgumentParser(description="Structural check of an SVG chart.")
    parser.add_argument("file")
    parser.add_argument("--curves", type=int, help="expected number of <polyline>/<path> curves")
    parser.add_argument("--label", action="append", default=[], help="expected legend label (repeat, in order)")
    args = parser.parse_args(argv)
    failures = check(args.file, args.curves, args.label)
    for failure in failures:
        print(f"check_svg: {args.file}: {failure}", file=sys.stderr)
    if not failures:
        print(f"check_svg: {args.file}: ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
