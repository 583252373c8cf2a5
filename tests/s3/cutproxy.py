"""A loopback TCP proxy that cuts connections, to test resuming.

  cutproxy.py PORT UPSTREAM_PORT CUT_BYTES [REPLACE_PATH | --up]

Relays 127.0.0.1:PORT to 127.0.0.1:UPSTREAM_PORT and closes a connection
once it has carried CUT_BYTES bytes from upstream (mid-body, the way a
flaky network drops a download). With REPLACE_PATH (/bucket/key), the first
cut first replaces that object upstream with other bytes of the same size,
so a resume finds a different object. With --up, bytes towards upstream
are counted instead, and only the first connection that reaches CUT_BYTES
is cut (one upload broken mid-body). Each cut is logged on stdout.
"""
import http.client
import socket
import sys
import threading

replaced = threading.Event()
replace_lock = threading.Lock()
cut_once = threading.Event()


def replace_object(upstream_port, path):
    """Overwrites the object with different bytes of the same size (moto
    accepts any signature in its default mode)."""
    conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
    auth = {"Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/"
            "aws4_request, SignedHeaders=host, Signature=0"}
    conn.request("HEAD", path, headers=auth)
    size = int(conn.getresponse().getheader("Content-Length"))
    conn.request("PUT", path, body=b"\x5a" * size, headers=auth)
    resp = conn.getresponse()
    resp.read()
    print("replaced %s (%d bytes): HTTP %d" % (path, size, resp.status), flush=True)


def pump(src, dst, budget, on_cut):
    """Copies src to dst; with a budget, stops after that many bytes."""
    sent = 0
    try:
        while True:
            data = src.recv(1 << 16)
            if not data:
                break
            if budget is not None and sent + len(data) >= budget:
                dst.sendall(data[:budget - sent])
                on_cut()
                break
            dst.sendall(data)
            sent += len(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client, upstream_port, cut_bytes, replace_path, up):
    upstream = socket.create_connection(("127.0.0.1", upstream_port))

    def on_cut():
        if replace_path:
            with replace_lock:
                if not replaced.is_set():
                    replace_object(upstream_port, replace_path)
                    replaced.set()
        cut_once.set()
        print("cut after %d bytes" % cut_bytes, flush=True)

    upward = threading.Thread(target=pump, daemon=True,
                              args=(client, upstream, cut_bytes if up and not cut_once.is_set()
                                    else None, on_cut))
    upward.start()
    pump(upstream, client, None if up else cut_bytes, on_cut)
    upward.join(timeout=5)
    client.close()
    upstream.close()


def main():
    port, upstream_port, cut_bytes = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    up = "--up" in sys.argv[4:]
    replace_path = sys.argv[4] if len(sys.argv) > 4 and not up else None
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, upstream_port, cut_bytes, replace_path, up),
                         daemon=True).start()


if __name__ == "__main__":
    main()
