"""Opens N TLS connections to the gateway (handshake done, one request each so HTTP/1.1
keep-alive is established), holds them open, and prints when ready. For the RSS figure in
docs/bench-gateway.md. Usage: hold-connections.py HOST PORT CA N SECONDS [BODY_BYTES]
With BODY_BYTES > 0 the one request is a chat completion whose message has that many bytes
(through the whole pipeline to the upstream), so per-connection buffers that grew for a large
body and stayed are visible; otherwise it is GET /healthz."""
import socket
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor

host, port, ca, n, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
body_bytes = int(sys.argv[6]) if len(sys.argv) > 6 else 0
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
if body_bytes > 0:
    body = ('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"%s"}]}' % ("x" * body_bytes)).encode()
    request = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n" % len(body)) + body
else:
    request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"


def read_response(s):
    """Reads one response with a Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed before the response head")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head.split(b"\r\n", 1)[0]


def open_one(_):
    s = ctx.wrap_socket(socket.create_connection((host, port)), server_hostname="localhost")
    s.sendall(request)
    return s, read_response(s)


# In parallel, so all N are open well within the gateway's idle (header) timeout even when each
# request waits for a synchronous audit append.
conns = []
statuses = {}
with ThreadPoolExecutor(max_workers=16) as pool:
    for s, status in pool.map(open_one, range(n)):
        statuses[status] = statuses.get(status, 0) + 1
        conns.append(s)
print(f"holding {len(conns)} connections; responses: {statuses}", flush=True)
time.sleep(secs)
