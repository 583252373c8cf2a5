#!/usr/bin/env python3
"""A small WebSocket server (RFC 6455) for mediatag's tests, written from the
RFC because the test Python has no websockets package: the handshake, frames
(fragments, masking, control frames between fragments), ping/pong and the
close handshake, with every knob a test needs to misbehave on purpose.

As a module: `serve(port, handler)` runs `handler(conn)` on a thread per
connection; `conn` has the request (`path`, `query`, `headers`) and can
`refuse(status, body)` before `accept()`.

As a script (`ws_server.py PORT [--tls DIR]`, 0: any free port, printed on
stdout; DIR holding cert.pem and key.pem for wss://) it
serves the scenarios of tests/core/test-websocket.c, picked by path:
  /echo        echoes every message (text stays text), answers close
  /fragmented  sends "hello world" as three text fragments with a ping in
               between, then 300 kB of binary in 7 fragments, then echoes
  /close       after the first message, closes with 4001 "bye"
  /ping        pings with "abc", expects that pong, then sends "pong ok"
  /silent      completes the handshake, then says nothing
  /hang        reads the request, never answers it
  /refuse      answers 403 with a JSON body
  /drop        after the first message, drops TCP without a close frame
  /slow        reads nothing for 2 s, then echoes the count of bytes read
"""
import base64
import hashlib
import os
import socket
import struct
import sys
import threading
import time
from urllib.parse import parse_qsl, urlsplit

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


class Closed(Exception):
    """The peer closed (code, reason) or dropped the connection (code None)."""

    def __init__(self, code=None, reason=""):
        super().__init__("closed %s %s" % (code, reason))
        self.code, self.reason = code, reason


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.rfile = sock.makefile("rb")
        self.wlock = threading.Lock()
        self.method = self.target = self.path = ""
        self.query = []             # [(name, value)] decoded, in order
        self.raw_query = ""
        self.headers = {}           # lower-case names
        self.pongs = []
        self.closed_by_peer = None

    # --- handshake ---
    def read_request(self):
        line = self.rfile.readline().decode("latin-1").rstrip("\r\n")
        self.method, self.target, _ = line.split(" ", 2)
        parts = urlsplit(self.target)
        self.path, self.raw_query = parts.path, parts.query
        self.query = parse_qsl(parts.query, keep_blank_values=True)
        while True:
            h = self.rfile.readline().decode("latin-1").rstrip("\r\n")
            if not h:
                break
            name, _, value = h.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def refuse(self, status, body=b"", content_type="application/json"):
        reason = {400: "Bad Request", 403: "Forbidden", 404: "Not Found"}.get(status, "Error")
        head = ("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                "Connection: close\r\n\r\n" % (status, reason, content_type, len(body)))
        self.sock.sendall(head.encode() + body)

    def accept(self):
        key = self.headers.get("sec-websocket-key", "")
        if self.headers.get("upgrade", "").lower() != "websocket" or not key:
            self.refuse(400, b'{"message":"not a WebSocket upgrade"}')
            raise Closed()
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        self.sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
                           % accept).encode())

    # --- frames ---
    def send_frame(self, opcode, payload=b"", fin=True):
        head = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([n])
        elif n < 65536:
            head += bytes([126]) + struct.pack(">H", n)
        else:
            head += bytes([127]) + struct.pack(">Q", n)
        with self.wlock:
            self.sock.sendall(head + payload)

    def send(self, data):
        if isinstance(data, str):
            self.send_frame(OP_TEXT, data.encode())
        else:
            self.send_frame(OP_BINARY, bytes(data))

    def close(self, code=1000, reason=""):
        self.send_frame(OP_CLOSE, struct.pack(">H", code) + reason.encode())

    def _read_exact(self, n):
        data = self.rfile.read(n)
        if data is None or len(data) < n:
            raise Closed()
        return data

    def read_frame(self):
        b0, b1 = self._read_exact(2)
        if not b1 & 0x80:
            raise ValueError("client frame not masked")
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._read_exact(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._read_exact(8))[0]
        mask = self._read_exact(4)
        data = self._read_exact(n)
        if n:
            # XOR as one big integer: a byte loop takes seconds on megabytes.
            key = (mask * (n // 4 + 1))[:n]
            data = (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")
        return bool(b0 & 0x80), b0 & 0x0F, data

    def recv(self):
        """The next whole message (str or bytes); answers pings, records
        pongs; raises Closed after answering a close frame."""
        parts, kind = [], None
        while True:
            fin, op, data = self.read_frame()
            if op == OP_PING:
                self.send_frame(OP_PONG, data)
                continue
            if op == OP_PONG:
                self.pongs.append(data)
                continue
            if op == OP_CLOSE:
                code = struct.unpack(">H", data[:2])[0] if len(data) >= 2 else None
                self.closed_by_peer = code
                try:
                    self.send_frame(OP_CLOSE, data[:2])
                except OSError:
                    pass
                raise Closed(code, data[2:].decode("utf-8", "replace"))
            if op != OP_CONT:
                kind = op
            parts.append(data)
            if fin:
                payload = b"".join(parts)
                return payload.decode() if kind == OP_TEXT else payload

    def drop(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def serve(port, handler, ready=None, tls_dir=None):
    """Serves forever on 127.0.0.1:port, calling ready(port) once listening.
    tls_dir: a folder with cert.pem and key.pem, to serve wss://."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(64)
    if ready is not None:
        ready(srv.getsockname()[1])

    tls = None
    if tls_dir:
        import ssl
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(os.path.join(tls_dir, "cert.pem"), os.path.join(tls_dir, "key.pem"))

    def run(sock):
        try:
            if tls is not None:
                sock = tls.wrap_socket(sock, server_side=True)
            conn = Conn(sock)
            conn.read_request()
            handler(conn)
        except (Closed, OSError, ValueError):
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass

    while True:
        sock, _ = srv.accept()
        threading.Thread(target=run, args=(sock,), daemon=True).start()


# --- the scenarios of test-websocket.c ---

def echo_loop(conn):
    while True:
        conn.send(conn.recv())


def scenario(conn):
    path = conn.path
    if path == "/hang":
        time.sleep(3600)
    if path == "/refuse":
        conn.refuse(403, b'{"message":"The request signature we calculated does not match"}')
        return
    conn.accept()
    if path == "/echo":
        echo_loop(conn)
    elif path == "/fragmented":
        conn.send_frame(OP_TEXT, b"hello ", fin=False)
        conn.send_frame(OP_PING, b"mid")
        conn.send_frame(OP_CONT, b"wor", fin=False)
        conn.send_frame(OP_CONT, b"ld", fin=True)
        blob = bytes(i % 251 for i in range(300000))
        chunks = [blob[i:i + 50000] for i in range(0, len(blob), 50000)] + [b""]
        for i, c in enumerate(chunks):
            conn.send_frame(OP_BINARY if i == 0 else OP_CONT, c, fin=i == len(chunks) - 1)
        echo_loop(conn)
    elif path == "/close":
        conn.recv()
        conn.close(4001, "bye")
        try:
            conn.recv()
        except Closed:
            pass
    elif path == "/ping":
        conn.send_frame(OP_PING, b"abc")
        deadline = time.monotonic() + 5
        conn.sock.settimeout(5)
        while not conn.pongs and time.monotonic() < deadline:
            fin, op, data = conn.read_frame()
            if op == OP_PONG:
                conn.pongs.append(data)
        conn.send("pong ok" if conn.pongs == [b"abc"] else "pong bad %r" % conn.pongs)
        conn.sock.settimeout(None)
        echo_loop(conn)
    elif path == "/silent":
        time.sleep(3600)
    elif path == "/drop":
        conn.recv()
        conn.drop()
    elif path == "/slow":
        time.sleep(2)
        conn.sock.settimeout(0.5)
        total = 0
        try:
            while True:
                total += len(conn.recv())
        except (socket.timeout, TimeoutError):
            pass
        conn.sock.settimeout(None)
        conn.send(str(total))
        echo_loop(conn)
    else:
        conn.close(1008, "unknown scenario")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    tls_dir = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--tls" else None

    def ready(p):
        print(p, flush=True)

    # The test that started us holds our stdin: when it exits (even by a
    # failed assertion) we go too.
    def watch_stdin():
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()

    serve(port, scenario, ready, tls_dir)


if __name__ == "__main__":
    main()
