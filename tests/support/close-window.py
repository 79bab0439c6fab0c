#!/usr/bin/env python3
"""Close a window as its user would, by clicking the title bar's close button:
send it WM_DELETE_WINDOW (ICCCM), which the toolkit turns into a close request.
Usage: close-window.py TITLE. Exits 1 when no window has had that title for 5 s."""
import sys
import time

from Xlib import X, display, error
from Xlib.protocol import event


def windows(w):
    yield w
    try:
        children = w.query_tree().children
    except error.XError:  # gone while we looked
        return
    for child in children:
        yield from windows(child)


def close_all(d, title):
    protocols = d.intern_atom("WM_PROTOCOLS")
    delete = d.intern_atom("WM_DELETE_WINDOW")
    net_name = d.intern_atom("_NET_WM_NAME")
    utf8 = d.intern_atom("UTF8_STRING")
    closed = 0
    for w in windows(d.screen().root):
        try:
            prop = w.get_full_property(net_name, utf8)
            name = prop.value.decode() if prop else w.get_wm_name()
        except error.XError:  # a window destroyed while the tree was walked
            continue
        if name != title:
            continue
        ev = event.ClientMessage(window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
        w.send_event(ev, event_mask=X.NoEventMask)
        closed += 1
    d.sync()
    return closed


def main():
    title = sys.argv[1]
    d = display.Display()
    # The title may be set a moment after the window is mapped: look for 5 s.
    for _ in range(20):
        closed = close_all(d, title)
        if closed:
            break
        time.sleep(0.25)
    print(f"closed {closed} window(s) titled {title!r}")
    sys.exit(0 if closed else 1)


main()
