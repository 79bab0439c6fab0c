#!/usr/bin/env python3
"""A scripted stand-in for the user's browser, used as $BROWSER by the tests.

Usage: fake-browser.py URL. What it does is set by FAKE_BROWSER_MODE:
  follow        follow redirects from the authorization URL to the loopback callback
  consent:EMAIL on a consent page, choose EMAIL, then follow (the erp-sim demo page)
  wrong-state   reach the callback, but with the state changed
  forged-first  first hit the callback with a forged state (as any local process
                could), writing that page to FAKE_BROWSER_OUT.forged, then follow
  deny          come back as Google does when the user clicks Cancel
  ignore        do nothing (the user walked away)
  preconnect    open an idle connection to the loopback port first, then follow
It writes the final page (status and body) to FAKE_BROWSER_OUT when set.
Runs in the background, like a real browser: the opener must not wait for it.
"""
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(NoRedirect)


def get(url, data=None):
    try:
        r = opener.open(urllib.request.Request(url, data=data), timeout=20)
        return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def finish(status, body):
    out = os.environ.get("FAKE_BROWSER_OUT")
    if out:
        with open(out + ".tmp", "w") as f:
            f.write(f"{status}\n{body}")
        os.replace(out + ".tmp", out)


def follow(url, data=None, hops=10):
    for _ in range(hops):
        status, headers, body = get(url, data)
        data = None
        loc = headers.get("Location") or headers.get("location")
        if status in (301, 302, 303, 307, 308) and loc:
            url = urllib.parse.urljoin(url, loc)
            continue
        return url, status, body
    raise SystemExit("too many redirects")


def main():
    url = sys.argv[1]
    mode = os.environ.get("FAKE_BROWSER_MODE", "follow")
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    redirect, state = q.get("redirect_uri", ""), q.get("state", "")
    if mode == "ignore":
        return
    if mode == "deny":
        sep = "&" if "?" in redirect else "?"
        _, status, body = follow(f"{redirect}{sep}error=access_denied&state={urllib.parse.quote(state)}")
        return finish(status, body)
    if mode == "preconnect":
        port = urllib.parse.urlsplit(redirect).port
        idle = socket.create_connection(("127.0.0.1", port))  # never sends a byte
        time.sleep(0.2)
    if mode.startswith("consent:"):
        email = mode.split(":", 1)[1]
        status, _, page = get(url)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page))
        fields = {k: v.replace("&amp;", "&").replace("&quot;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">") for k, v in fields.items()}
        fields["account"] = email
        approve = urllib.parse.urljoin(url, "/oauth/approve")
        _, status, body = follow(approve, urllib.parse.urlencode(fields).encode())
        return finish(status, body)
    if mode in ("wrong-state", "forged-first"):
        status, headers, _ = get(url)
        loc = headers.get("Location") or headers.get("location")
        parts = urllib.parse.urlsplit(loc)
        qs = dict(urllib.parse.parse_qsl(parts.query))
        real = qs.get("state", "")
        qs["state"] = "forged-" + real
        _, status, body = follow(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(qs))))
        if mode == "wrong-state":
            return finish(status, body)
        forged = os.environ.get("FAKE_BROWSER_OUT")
        if forged:
            with open(forged + ".forged", "w") as f:
                f.write(f"{status}\n{body}")
        qs["state"] = real
        _, status, body = follow(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(qs))))
        return finish(status, body)
    _, status, body = follow(url)
    finish(status, body)


if __name__ == "__main__":
    if os.environ.get("FAKE_BROWSER_FOREGROUND") != "1" and os.fork() != 0:
        sys.exit(0)  # like a real browser: return at once, keep working in the background
    main()
