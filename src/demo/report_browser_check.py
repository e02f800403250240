#!/usr/bin/env python3
"""Checks on the demo report as Chromium rendered it (used by report_browser_test.sh).

  report_browser_check.py dom <dumped-dom.html> <expected-points>
      every <svg class="plot"> has data-rendered="true" and data-points=<expected-points>;
      with points > 0 it has the expected number of non-empty class="series" paths, else it
      says "no data"; the page shows no drawing error.
  report_browser_check.py png <screenshot.png>
      the screenshot is not blank and shows each series colour (so the plots are drawn).

Exit 0 when all checks pass, 1 with one line per failure otherwise. Standard library only
(the PNG is decoded with zlib).
"""
import re
import struct
import sys
import zlib
from html.parser import HTMLParser

# Series per plot (data-plot attribute), as drawn by report.cc's script.
SERIES = {"replicas": 3, "rates": 2, "lag": 1, "stall": 1}
# Series colours that must show in the screenshot (replicas/input, running/processed, lag,
# stall).
COLOURS = {"blue": (0x25, 0x63, 0xEB), "green": (0x16, 0xA3, 0x4A),
           "purple": (0x93, 0x33, 0xEA), "red": (0xDC, 0x26, 0x26)}


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.plots = []  # {attrs, series: [d], texts: [str]}
        self.current = None
        self.error_text = ""
        self.error_hidden = True
        self.in_error = False
        self.in_text = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "svg" and "plot" in classes:
            self.current = {"attrs": a, "series": [], "texts": []}
            self.plots.append(self.current)
        elif self.current is not None and tag in ("path", "polyline") and "series" in classes:
            self.current["series"].append(a.get("d") or a.get("points") or "")
        elif self.current is not None and tag == "text":
            self.in_text = True
            self.current["texts"].append("")
        if a.get("id") == "plot-error":
            self.in_error = True
            self.error_hidden = "hidden" in a

    def handle_endtag(self, tag):
        if tag == "svg":
            self.current = None
        elif tag == "text":
            self.in_text = False
        elif tag == "p":
            self.in_error = False

    def handle_data(self, data):
        if self.in_text and self.current is not None:
            self.current["texts"][-1] += data
        if self.in_error:
            self.error_text += data


def check_dom(path, expected_points):
    dom = Dom()
    with open(path, encoding="utf-8", errors="replace") as f:
        dom.feed(f.read())
    failures = []
    if len(dom.plots) != 4:
        failures.append(f"expected 4 plots, found {len(dom.plots)}")
    if dom.error_text.strip() or not dom.error_hidden:
        failures.append(f"the page shows a drawing error: {dom.error_text.strip()!r}")
    for plot in dom.plots:
        a = plot["attrs"]
        name = a.get("id", "?")
        if a.get("data-rendered") != "true":
            failures.append(f"{name}: not rendered (data-rendered={a.get('data-rendered')!r})")
            continue
        if a.get("data-points") != str(expected_points):
            failures.append(f"{name}: data-points={a.get('data-points')!r}, "
                            f"expected {expected_points}")
        if expected_points == 0:
            if not any(t.strip() == "no data" for t in plot["texts"]):
                failures.append(f"{name}: empty plot does not say 'no data'")
            continue
        want = SERIES.get(a.get("data-plot"), 1)
        drawn = [d for d in plot["series"] if len(re.findall(r"-?\d+(?:\.\d+)?", d)) >= 4]
        if len(drawn) != want:
            failures.append(f"{name}: {len(drawn)} non-empty series paths "
                            f"({len(plot['series'])} in all), expected {want}")
        if not any(re.fullmatch(r"\d+:\d\d", t.strip()) for t in plot["texts"]):
            failures.append(f"{name}: no time tick labels")
    return failures


def read_png(path):
    """(width, height, rows of RGB(A) bytes, bytes per pixel) for 8-bit RGB/RGBA PNGs."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour}, "
                         f"interlace {interlace})")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        base = y * (stride + 1)
        ftype, line = raw[base], bytearray(raw[base + 1:base + 1 + stride])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        elif ftype != 0:
            raise ValueError(f"bad PNG filter type {ftype} in row {y}")
        rows.append(bytes(line))
        prev = line
    return width, height, rows, bpp


def check_png(path):
    try:
        width, height, rows, bpp = read_png(path)
    except (OSError, ValueError, zlib.error, struct.error, TypeError) as e:
        return [f"cannot read the screenshot {path}: {e}"]
    counts = {}
    for row in rows:
        for x in range(0, len(row), bpp):
            px = row[x:x + 3]
            counts[px] = counts.get(px, 0) + 1
    failures = []
    total = width * height
    light = sum(n for px, n in counts.items() if min(px) >= 0xF0)
    if len(counts) < 50:
        failures.append(f"screenshot looks blank: only {len(counts)} distinct colours")
    if total - light < total // 100:
        failures.append(f"screenshot looks blank: {total - light} of {total} pixels not white")
    for name, rgb in COLOURS.items():
        near = sum(n for px, n in counts.items()
                   if max(abs(px[i] - rgb[i]) for i in range(3)) <= 12)
        if near < 200:
            failures.append(f"series colour {name} #{bytes(rgb).hex()} covers only {near} pixels")
    return failures


def main(argv):
    if len(argv) == 4 and argv[1] == "dom":
        failures = check_dom(argv[2], int(argv[3]))
    elif len(argv) == 3 and argv[1] == "png":
        failures = check_png(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for f in failures:
        print(f"  check failed: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
