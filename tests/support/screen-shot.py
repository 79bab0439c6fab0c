#!/usr/bin/env python3
"""Save a picture of the whole X screen (what is really painted, unlike a
WebDriver screenshot, which WebKit renders itself) and print what it holds:
{"white": pure white pixels, "ink": dark pixels inside the white area's
bounding box}. The bare Xvfb screen is black, a page's background white and
its text dark, so a window that painted its page has both.
Usage: screen-shot.py OUT.png"""
import json
import sys

import gi

gi.require_version("Gdk", "3.0")
from gi.repository import Gdk  # noqa: E402


def main():
    root = Gdk.get_default_root_window()
    w, h = root.get_width(), root.get_height()
    pb = Gdk.pixbuf_get_from_window(root, 0, 0, w, h)
    pb.savev(sys.argv[1], "png", [], [])
    px, stride, n = pb.get_pixels(), pb.get_rowstride(), pb.get_n_channels()
    white, box = 0, [w, h, -1, -1]
    for y in range(h):
        row = px[y * stride : y * stride + w * n]
        for x in range(w):
            if row[x * n] == 255 and row[x * n + 1] == 255 and row[x * n + 2] == 255:
                white += 1
                box = [min(box[0], x), min(box[1], y), max(box[2], x), max(box[3], y)]
    ink = 0
    for y in range(box[1], box[3] + 1):
        row = px[y * stride : y * stride + w * n]
        for x in range(box[0], box[2] + 1):
            if max(row[x * n], row[x * n + 1], row[x * n + 2]) < 100:
                ink += 1
    print(json.dumps({"white": white, "ink": ink}))


if __name__ == "__main__":
    main()
