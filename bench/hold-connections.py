# hold-connections.py PORT: hold 64 connections to the status endpoint on
# 127.0.0.1:PORT, 63 idle and one a slowloris client sending a request head
# one byte every 50 ms; print "held" once all are open. Used by make bench
# (a crash restart with them held) and by tests/85-endpoint.t.
import socket
import sys
import time

port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(63)]
slow = socket.create_connection(("127.0.0.1", port))
print("held", flush=True)
for c in b"GET /status HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000:
    try:
        slow.send(bytes([c]))
    except OSError:
        break
    time.sleep(0.05)
