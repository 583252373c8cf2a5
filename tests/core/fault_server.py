#!/usr/bin/env python3
"""A loopback HTTP/1.1 server that answers from a script, for testing the
AWS client's retries, timeouts and cancellation.

    fault_server.py PORT [CERT KEY]     (with CERT and KEY: HTTPS)

Control (the test drives it over the same port):
    PUT  /__script   body: a JSON list of steps, played one per request; the
                     last step repeats. A step is an object:
                       {"status": 503, "headers": {...}, "body": "..."}
                       {"action": "drop"}    read the request, close, no answer
                       {"action": "silent"}  read the request, never answer
    GET  /__log      JSON list of the requests seen since the last script:
                     {"method", "path", "headers", "body", "time" (monotonic),
                      "wall" (unix time)}

Only 127.0.0.1; stopped by process id (mtfixtures.Server).
"""
import json
import select
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"script": [{"status": 200, "body": ""}], "next": 0, "log": []}


def next_step():
    with LOCK:
        script = STATE["script"]
        step = script[min(STATE["next"], len(script) - 1)]
        STATE["next"] += 1
        return step


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, body=b"", headers=None):
        headers = headers or {}
        # A step may bring its own Date (a server with another clock).
        self.send_response_only(status)
        if "Date" not in headers:
            self.send_header("Date", self.date_time_string())
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _control(self, body):
        if self.command == "PUT" and self.path == "/__script":
            with LOCK:
                STATE["script"] = json.loads(body)
                STATE["next"] = 0
                STATE["log"] = []
            self._send(204)
            return
        with LOCK:
            data = json.dumps(STATE["log"]).encode()
        self._send(200, data, {"Content-Type": "application/json"})

    def _hold_until_client_leaves(self):
        # Wait for the client to close; a test's timeout or cancel ends it.
        while True:
            ready, _, _ = select.select([self.connection], [], [], 1.0)
            if ready and not self.connection.recv(1024):
                break
        self.close_connection = True

    def _handle(self):
        body = self._read_body()
        if self.path.startswith("/__"):
            self._control(body)
            return
        with LOCK:
            STATE["log"].append({
                "method": self.command, "path": self.path,
                "headers": dict(self.headers.items()),
                "body": body.decode("utf-8", "replace"),
                "time": time.monotonic(), "wall": time.time()})
        step = next_step()
        action = step.get("action")
        if action == "drop":
            self.close_connection = True
            return
        if action == "silent":
            self._hold_until_client_leaves()
            return
        self._send(step.get("status", 200), step.get("body", "").encode(),
                   step.get("headers"))

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle


def main():
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    if len(sys.argv) > 3:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
        server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
    server.serve_forever()


if __name__ == "__main__":
    main()
