"""A small stand-in for S3 on 127.0.0.1, for what moto cannot do:

  fake_s3.py PORT redirect REGION   every request answers 301 PermanentRedirect
                                   naming REGION (x-amz-bucket-region), as S3
                                   does for a bucket in another region
  fake_s3.py PORT serve FILE [OPTIONS]
                                   GET/HEAD of any key serve FILE, with
                                   Range, an ETag and If-Match, fast
                                   (sendfile): the peer of
                                   tests/bench/bench-s3src.py.
      --stall-first-after N        the first GET sends N body bytes, then
                                   nothing (the connection stays open)
      --ignore-range               answer every GET with 200 and the whole
                                   file, as a server without Range support
      --region R                   answer 301 naming region R to requests
                                   not signed for R, as S3 does for a bucket
                                   in another region (used as an HTTP proxy
                                   for *.amazonaws.com: nothing leaves
                                   127.0.0.1)
"""
import http.server
import os
import socketserver
import sys
import time


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Redirect(http.server.BaseHTTPRequestHandler):
    region = None

    def answer(self, body):
        self.send_response(301)
        self.send_header("x-amz-bucket-region", self.region)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.answer(b"")

    def do_GET(self):
        self.answer(("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PermanentRedirect"
                     "</Code><Message>The bucket you are attempting to access must be addressed "
                     "using the specified endpoint.</Message><Region>%s</Region>"
                     "<RequestId>4442587FB7D0A2F9</RequestId></Error>" % self.region).encode())

    def log_message(self, *args):
        pass


class Serve(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    path_on_disk = None
    stall_after = None
    ignore_range = False
    region = None
    gets = 0

    def wrong_region(self):
        """S3's answer to a request signed for another region."""
        auth = self.headers.get("Authorization", "")
        if self.region is None or "/%s/s3/aws4_request" % self.region in auth:
            return False
        self.send_response(301)
        self.send_header("x-amz-bucket-region", self.region)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return True

    def headers_for(self, start, end, size, partial):
        self.send_response(206 if partial else 200)
        self.send_header("Content-Length", str(end - start))
        self.send_header("ETag", self.etag())
        self.send_header("Accept-Ranges", "bytes")
        if partial:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, size))
        self.end_headers()

    def span(self, size):
        rng = self.headers.get("Range")
        if not rng or self.ignore_range or not rng.startswith("bytes="):
            return 0, size, False
        first, _, last = rng[6:].partition("-")
        start = int(first)
        end = int(last) + 1 if last else size
        return start, min(end, size), True

    def do_HEAD(self):
        if self.wrong_region():
            return
        size = os.path.getsize(self.path_on_disk)
        self.headers_for(0, size, size, False)

    def etag(self):
        return '"%x-%x"' % (os.path.getsize(self.path_on_disk),
                            int(os.stat(self.path_on_disk).st_mtime))

    def do_GET(self):
        if self.wrong_region():
            return
        size = os.path.getsize(self.path_on_disk)
        if self.headers.get("If-Match", self.etag()) != self.etag():
            self.send_response(412)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start, end, partial = self.span(size)
        self.headers_for(start, end, size, partial)
        Serve.gets += 1
        if Serve.gets == 1 and self.stall_after is not None:
            end = min(end, start + self.stall_after)
        with open(self.path_on_disk, "rb") as fh:
            offset = start
            while offset < end:
                sent = os.sendfile(self.wfile.fileno(), fh.fileno(), offset,
                                   min(end - offset, 8 << 20))
                if sent <= 0:
                    break
                offset += sent
        if Serve.gets == 1 and self.stall_after is not None:
            time.sleep(120)

    def log_message(self, *args):
        pass


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    if mode == "redirect":
        Redirect.region = sys.argv[3]
        handler = Redirect
    else:
        Serve.path_on_disk = sys.argv[3]
        if "--stall-first-after" in sys.argv:
            Serve.stall_after = int(sys.argv[sys.argv.index("--stall-first-after") + 1])
        Serve.ignore_range = "--ignore-range" in sys.argv
        if "--region" in sys.argv:
            Serve.region = sys.argv[sys.argv.index("--region") + 1]
        handler = Serve
    Server(("127.0.0.1", port), handler).serve_forever()


if __name__ == "__main__":
    main()
