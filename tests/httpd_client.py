#!/usr/bin/env python3
"""httpd_client.py: a raw HTTP client for the httpd tests: send bytes, print the answer, say whether the server closed.

Usage: httpd_client.py [-6] [-w SECONDS] [-g GAP] PORT PART...
Each PART (Python escapes: \\r \\n \\xNN) is sent in turn, GAP seconds apart
(default 0). Prints what the server sent to stdout, and on stderr how long
after the last part the server closed. Exit status: 0 the server closed the
connection within SECONDS (default 3) of the last part, 1 it was still open,
2 a reset or no connection.
"""
import argparse
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-6", dest="v6", action="store_true")
    ap.add_argument("-w", dest="wait", type=float, default=3.0)
    ap.add_argument("-g", dest="gap", type=float, default=0.0)
    ap.add_argument("port", type=int)
    ap.add_argument("parts", nargs="*")
    a = ap.parse_args()
    fam, host = (socket.AF_INET6, "::1") if a.v6 else (socket.AF_INET, "127.0.0.1")
    got = bytearray()
    try:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.connect((host, a.port))
        for i, p in enumerate(a.parts):
            if i and a.gap:
                time.sleep(a.gap)
            s.sendall(p.encode("latin-1").decode("unicode_escape").encode("latin-1"))
        start = time.monotonic()
        end = start + a.wait
        closed = False
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                closed = True
                break
            got += b
        rc = 0 if closed else 1
        print("%s after %.3f s" % ("closed" if closed else "open", time.monotonic() - start), file=sys.stderr)
    except OSError as e:
        print("error: %s" % e, file=sys.stderr)
        rc = 2
    sys.stdout.buffer.write(bytes(got))
    return rc


sys.exit(main())
