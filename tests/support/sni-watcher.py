#!/usr/bin/python3
"""A minimal org.kde.StatusNotifierWatcher for the tests, standing in for a
desktop panel: tray icons register here. Prints "READY" once it owns the name,
then "ITEM <bus name> <object path>" for each registered item (flushed).
Also the desktop's notification server (org.freedesktop.Notifications):
prints "NOTIFY <summary> | <body>" for each notification.
Runs with Debian's python3 and python3-gi."""
from gi.repository import Gio, GLib

XML = """<node><interface name="org.kde.StatusNotifierWatcher">
<method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
<method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
<property name="RegisteredStatusNotifierItems" type="as" access="read"/>
<property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
<property name="ProtocolVersion" type="i" access="read"/>
<signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
<signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
<signal name="StatusNotifierHostRegistered"/>
</interface></node>"""
IFACE = "org.kde.StatusNotifierWatcher"
items = []


def on_call(conn, sender, path, iface, method, params, invocation):
    if method == "RegisterStatusNotifierItem":
        service = params.unpack()[0]
        name, obj = (sender, service) if service.startswith("/") else (service, "/StatusNotifierItem")
        items.append(name + obj)
        print(f"ITEM {name} {obj}", flush=True)
        conn.emit_signal(None, "/StatusNotifierWatcher", IFACE, "StatusNotifierItemRegistered", GLib.Variant("(s)", (name + obj,)))
    invocation.return_value(None)


def on_get(conn, sender, path, iface, prop):
    return {
        "RegisteredStatusNotifierItems": GLib.Variant("as", items),
        "IsStatusNotifierHostRegistered": GLib.Variant("b", True),
        "ProtocolVersion": GLib.Variant("i", 0),
    }.get(prop)


def on_bus(conn, _name):
    node = Gio.DBusNodeInfo.new_for_xml(XML)
    conn.register_object("/StatusNotifierWatcher", node.interfaces[0], on_call, on_get, None)


NOTIFY_XML = """<node><interface name="org.freedesktop.Notifications">
<method name="Notify"><arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
<arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
<arg type="a{sv}" direction="in"/><arg type="i" direction="in"/><arg type="u" direction="out"/></method>
<method name="GetCapabilities"><arg type="as" direction="out"/></method>
<method name="GetServerInformation"><arg type="s" direction="out"/><arg type="s" direction="out"/>
<arg type="s" direction="out"/><arg type="s" direction="out"/></method>
<method name="CloseNotification"><arg type="u" direction="in"/></method>
<signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
<signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
</interface></node>"""
notified = [0]


def on_notify_call(conn, sender, path, iface, method, params, invocation):
    if method == "Notify":
        args = params.unpack()
        notified[0] += 1
        print(f"NOTIFY {args[3]} | {args[4]}", flush=True)
        invocation.return_value(GLib.Variant("(u)", (notified[0],)))
    elif method == "GetCapabilities":
        invocation.return_value(GLib.Variant("(as)", (["body"],)))
    elif method == "GetServerInformation":
        invocation.return_value(GLib.Variant("(ssss)", ("test", "erp-helper", "1", "1.2")))
    else:
        invocation.return_value(None)


def on_notify_bus(conn, _name):
    node = Gio.DBusNodeInfo.new_for_xml(NOTIFY_XML)
    conn.register_object("/org/freedesktop/Notifications", node.interfaces[0], on_notify_call, None, None)


Gio.bus_own_name(Gio.BusType.SESSION, "org.freedesktop.Notifications", Gio.BusNameOwnerFlags.NONE, on_notify_bus, None, None)
Gio.bus_own_name(Gio.BusType.SESSION, IFACE, Gio.BusNameOwnerFlags.NONE, on_bus, lambda *_: print("READY", flush=True), None)
GLib.MainLoop().run()
