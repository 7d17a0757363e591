"""Opens N TLS connections to the gateway (handshake done, one request each so HTTP/1.1
keep-alive is established), holds them open, and prints when ready. For the RSS figure in
docs/bench-gateway.md. Usage: hold-connections.py HOST PORT CA N SECONDS"""
import socket
import ssl
import sys
import time

host, port, ca, n, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
conns = []
for _ in range(n):
    s = ctx.wrap_socket(socket.create_connection((host, port)), server_hostname="localhost")
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    s.recv(4096)
    conns.append(s)
print(f"holding {len(conns)} connections", flush=True)
time.sleep(secs)
