#!/usr/bin/env python3
"""Another local user pretending to be ERP Helper, for the socket-ownership tests.

Usage (as root): impostor.py MODE SOCKET UID GID
  foreign-file  the socket's directory and file belong to UID (as when another
                user creates /tmp/erp-helper-<uid>/ first)
  foreign-peer  the socket file is root's, in root's private directory, but the
                process listening on it runs as UID
Prints READY once listening, then one line "GOT <n>" per connection with the
bytes it received. Runs until killed.
"""
import os
import socket
import sys

mode, path, uid, gid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
directory = os.path.dirname(path)


def drop():
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)


if mode == "foreign-file":
    os.makedirs(directory, exist_ok=True)
    os.chown(directory, uid, gid)
    os.chmod(directory, 0o755)
    drop()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    os.chmod(path, 0o777)
elif mode == "foreign-peer":
    os.makedirs(directory, mode=0o700, exist_ok=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)  # as root: the file is root's
    drop()  # SO_PEERCRED of a listener is taken at listen(): it will say UID
else:
    sys.exit(f"unknown mode {mode}")
s.listen(8)
print("READY", flush=True)
while True:
    conn, _ = s.accept()
    conn.settimeout(1.0)
    got = 0
    try:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            got += len(chunk)
    except OSError:
        pass
    print(f"GOT {got}", flush=True)
    conn.close()
