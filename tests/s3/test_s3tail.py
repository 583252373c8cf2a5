"""An object's last bytes and whole size from one suffix-range GET
(mt_s3_client_get_tail, what mediatag analyze checks an S3 object's end
with): test-s3's /s3/tail cases against moto, on objects longer and shorter
than the tail and an empty one, against tests/s3/fake_s3.py answering 200
with the whole object, as a server without Range support does, and
against a server answering 416 InvalidRange for an empty object, as S3
does (moto answers 200)."""
import os
import subprocess
import sys
import tempfile
import unittest

import mtfixtures
import s3fixtures as f

SIZES = [100000, 64, 10, 0]

# S3's answer to a range of an empty object; argv: port, whether the size
# is in Content-Range too.
EMPTY_416 = r"""
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidRange</Code>'
                b'<Message>The requested range is not satisfiable</Message>'
                b'<RangeRequested>' + self.headers["Range"].encode() + b'</RangeRequested>'
                b'<ActualObjectSize>0</ActualObjectSize><RequestId>4442587FB7D0A2F9</RequestId></Error>')
        self.send_response(416)
        self.send_header("Content-Type", "application/xml")
        if sys.argv[2] == "1":
            self.send_header("Content-Range", "bytes */0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def pattern(n):
    return bytes(i % 251 for i in range(n))


class TailTest(unittest.TestCase):
    def run_cases(self, env, *cases):
        args = [sys.argv[1]]
        for c in cases:
            args += ["-p", c]
        return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)

    def test_moto(self):
        moto = f.Moto(bucket="tails").start_plain()
        try:
            for n in SIZES:
                moto.put("tail-%d" % n, pattern(n))
            env = moto.env(MT_TEST_S3_BUCKET="tails",
                           MT_TEST_S3_TAIL_SIZES=",".join(map(str, SIZES)))
            cp = self.run_cases(env, "/s3/tail/sizes", "/s3/tail/no-key")
        finally:
            moto.stop()
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("ok 1 /s3/tail/sizes", cp.stdout)
        self.assertIn("ok 2 /s3/tail/no-key", cp.stdout)
        self.assertNotIn("SKIP", cp.stdout)

    def test_server_ignoring_range(self):
        n = 300000
        with tempfile.NamedTemporaryFile(suffix=".bin") as tmp:
            tmp.write(pattern(n))
            tmp.flush()
            server = mtfixtures.start_python_server(os.path.join(f.HERE, "fake_s3.py"), "serve",
                                                    tmp.name, "--ignore-range")
            with server:
                env = mtfixtures.gst_env(AWS_ENDPOINT_URL=server.url, AWS_REGION="us-east-1",
                                         AWS_ACCESS_KEY_ID="testing",
                                         AWS_SECRET_ACCESS_KEY="testing",
                                         MT_TEST_S3_BUCKET="any", MT_TEST_S3_TAIL_SIZES=str(n))
                cp = self.run_cases(env, "/s3/tail/sizes")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("ok 1 /s3/tail/sizes", cp.stdout)
        self.assertNotIn("SKIP", cp.stdout)

    def test_empty_object_answered_416(self):
        for content_range in ("1", "0"):
            with self.subTest(content_range=content_range):
                port = mtfixtures.free_port()
                server = mtfixtures.Server([sys.executable, "-c", EMPTY_416, str(port),
                                            content_range], port)
                with server:
                    env = mtfixtures.gst_env(AWS_ENDPOINT_URL=server.url, AWS_REGION="us-east-1",
                                             AWS_ACCESS_KEY_ID="testing",
                                             AWS_SECRET_ACCESS_KEY="testing",
                                             MT_TEST_S3_BUCKET="any", MT_TEST_S3_TAIL_SIZES="0")
                    cp = self.run_cases(env, "/s3/tail/sizes")
                self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
                self.assertIn("ok 1 /s3/tail/sizes", cp.stdout)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
