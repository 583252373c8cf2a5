"""Tests of mt_aws_client (awsclient.h) through the aws-request fixture:
standard-mode retries, Retry-After, cancellation and timeouts against a
scripted loopback server (fault_server.py), secrets kept out of debug logs,
and signed S3 and JSON 1.1 calls to moto in signature-checking mode.

    test_awsclient.py AWS_REQUEST FAULT_SERVER_PY
"""
import base64
import calendar
import email.utils
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import mtfixtures

AWS_REQUEST = None
FAULT_SERVER = None

G_IO_ERROR_CANCELLED = 19
MT_AWS_ERROR_THROTTLED = 1
MT_AWS_ERROR_SERVER = 2
MT_AWS_ERROR_NETWORK = 3
MT_AWS_ERROR_AUTH = 4
MT_AWS_ERROR_NOT_FOUND = 6
MT_AWS_ERROR_INVALID = 7


def run(*args, env=None, timeout=60):
    start = time.monotonic()
    cp = subprocess.run([AWS_REQUEST] + [str(a) for a in args], capture_output=True,
                        env=env or os.environ, timeout=timeout)
    cp.elapsed = time.monotonic() - start
    cp.out = cp.stdout.decode("utf-8", "replace")
    cp.err = cp.stderr.decode("utf-8", "replace")
    return cp


def error_line(cp):
    """(domain, code, service code) of the 'error ...' line on stderr."""
    m = re.search(r"^error (\S+) (\d+) (\S+): ", cp.err, re.M)
    if m is None:
        raise AssertionError("no error line in stderr:\n" + cp.err)
    return m.group(1), int(m.group(2)), m.group(3)


class FaultServerTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = mtfixtures.start_python_server(FAULT_SERVER)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def script(self, *steps):
        req = urllib.request.Request(self.server.url + "/__script", method="PUT",
                                     data=json.dumps(steps).encode())
        urllib.request.urlopen(req, timeout=10).close()

    def log(self):
        with urllib.request.urlopen(self.server.url + "/__log", timeout=10) as r:
            return json.load(r)

    def send(self, *args, method="GET", path="/bucket/key", **kw):
        return run("--endpoint", self.server.url, "--backoff", "5", *args,
                   method, path, **kw)

    # --- retries ---

    def test_retries_503_429_throttling_then_success(self):
        self.script({"status": 503},
                    {"status": 429},
                    {"status": 400, "body": json.dumps(
                        {"__type": "com.amazon.coral#ThrottlingException",
                         "message": "Rate exceeded"})},
                    {"status": 200, "body": "done"})
        cp = self.send("--anonymous", "--retries", "3")
        self.assertEqual(cp.returncode, 0, cp.err)
        self.assertEqual(cp.out, "status 200\ndone")
        self.assertEqual(len(self.log()), 4)
        retries = re.findall(r"^retry (\d+): (\w+)", cp.err, re.M)
        self.assertEqual(retries, [("1", "ServiceUnavailable"),
                                   ("2", "TooManyRequestsException"),
                                   ("3", "ThrottlingException")])

    def test_dropped_connections_are_retried(self):
        self.script({"action": "drop"}, {"action": "drop"},
                    {"status": 200, "body": "ok"})
        cp = self.send("--anonymous", "--retries", "3")
        self.assertEqual(cp.returncode, 0, cp.err)
        self.assertEqual(cp.out, "status 200\nok")
        self.assertEqual(len(self.log()), 3)

    def test_validation_error_is_not_retried(self):
        self.script({"status": 400, "body": json.dumps(
            {"__type": "ValidationException", "message": "bad MaxLabels"})},
            {"status": 200})
        cp = self.send("--anonymous", "--retries", "3")
        self.assertEqual(cp.returncode, 1)
        self.assertEqual(error_line(cp), ("MtAwsError", MT_AWS_ERROR_INVALID,
                                          "ValidationException"))
        self.assertIn("bad MaxLabels", cp.err)
        self.assertEqual(len(self.log()), 1)
        self.assertNotIn("retry", cp.err)

    def test_attempts_are_bounded_by_retries(self):
        for retries in (0, 2):
            self.script({"status": 503})
            cp = self.send("--anonymous", "--retries", retries)
            self.assertEqual(cp.returncode, 1)
            self.assertEqual(len(self.log()), retries + 1)
            self.assertEqual(error_line(cp)[1:], (MT_AWS_ERROR_SERVER, "ServiceUnavailable"))
            if retries:
                self.assertIn("after %d attempts" % (retries + 1), cp.err)
        # The final response is still there for the caller to read.
        self.assertTrue(cp.out.startswith("status 503"))

    def test_retry_after_is_honoured(self):
        for headers, wait in (({"Retry-After": "1"}, 1.0),
                              ({"x-amz-retry-after": "700"}, 0.7)):
            self.script({"status": 503, "headers": headers}, {"status": 200})
            cp = self.send("--anonymous", "--retries", "1", "--backoff", "1")
            self.assertEqual(cp.returncode, 0, cp.err)
            log = self.log()
            self.assertEqual(len(log), 2)
            self.assertGreaterEqual(log[1]["time"] - log[0]["time"], wait - 0.05)

    def test_retry_after_http_date(self):
        # Retry-After may be a date: wait until then (whole seconds), but
        # never more than 5 s beyond the client's own backoff.
        until = int(time.time()) + 8
        self.script({"status": 503, "headers": {
            "Retry-After": email.utils.formatdate(until, usegmt=True)}}, {"status": 200})
        cp = self.send("--anonymous", "--retries", "1", "--backoff", "1")
        self.assertEqual(cp.returncode, 0, cp.err)
        first, second = self.log()
        wanted = min(until - first["wall"], 5.0)
        self.assertGreater(wanted, 1.0, "the client took too long to start")
        self.assertGreaterEqual(second["time"] - first["time"], wanted - 1.05)
        self.assertLess(second["time"] - first["time"], 6.5)

    def test_expired_token_refreshes_once(self):
        expired = {"status": 400, "body": json.dumps(
            {"__type": "ExpiredTokenException", "message": "token expired"})}
        self.script(expired, {"status": 200, "body": "fresh"})
        cp = self.send("--access-key", "AKIDEXPIRED", "--secret-key", "s",
                       "--session-token", "old", "--retries", "0")
        self.assertEqual(cp.returncode, 0, cp.err)
        self.assertEqual(len(self.log()), 2)
        # Twice expired: the second is final, and not retried further.
        self.script(expired)
        cp = self.send("--access-key", "AKIDEXPIRED", "--secret-key", "s",
                       "--session-token", "old", "--retries", "3")
        self.assertEqual(error_line(cp)[1:], (MT_AWS_ERROR_AUTH, "ExpiredTokenException"))
        self.assertEqual(len(self.log()), 2)

    def test_clock_skew_is_corrected(self):
        # This machine's clock is taken to be 2 hours fast: the server says
        # so with its Date, and the retry is signed with the server's time.
        server_time = time.time() - 7200
        skewed = {"status": 403, "headers": {"Date": email.utils.formatdate(server_time, usegmt=True)},
                  "body": "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference "
                  "between the request time and the current time is too large.</Message></Error>"}
        self.script(skewed, {"status": 200, "body": "on time"})
        cp = self.send("--access-key", "AKIDSKEW", "--secret-key", "s", "--retries", "0")
        self.assertEqual(cp.returncode, 0, cp.err)
        self.assertEqual(cp.out, "status 200\non time")
        first, second = self.log()
        def signed_at(entry):
            return calendar.timegm(time.strptime(entry["headers"]["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
        self.assertLess(abs(signed_at(first) - time.time()), 60)
        self.assertLess(abs(signed_at(second) - server_time), 60)
        # A skew error without a telling Date is final.
        del skewed["headers"]["Date"]
        self.script(skewed)
        cp = self.send("--access-key", "AKIDSKEW", "--secret-key", "s", "--retries", "2")
        self.assertEqual(error_line(cp)[1:], (MT_AWS_ERROR_AUTH, "RequestTimeTooSkewed"))
        self.assertEqual(len(self.log()), 1)

    def test_each_attempt_is_signed(self):
        self.script({"status": 500}, {"status": 200})
        cp = self.send("--access-key", "AKIDRETRY", "--secret-key", "secret",
                       "--retries", "1")
        self.assertEqual(cp.returncode, 0, cp.err)
        log = self.log()
        self.assertEqual(len(log), 2)
        for entry in log:
            h = {k.lower(): v for k, v in entry["headers"].items()}
            self.assertRegex(h["authorization"],
                             r"^AWS4-HMAC-SHA256 Credential=AKIDRETRY/\d{8}/us-east-1/s3/aws4_request,")
            self.assertRegex(h["x-amz-date"], r"^\d{8}T\d{6}Z$")

    # --- bodies ---

    def test_json11_call(self):
        answer = {"Labels": [{"Name": "Cat", "Confidence": 98.5}], "LabelModelVersion": "3.0"}
        self.script({"status": 200, "headers": {"Content-Type": "application/x-amz-json-1.1"},
                     "body": json.dumps(answer)})
        request = {"Image": {"S3Object": {"Bucket": "b", "Name": "cat.jpg"}}, "MaxLabels": 5}
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(request, f)
            f.flush()
            cp = run("--endpoint", self.server.url, "--anonymous",
                     "--target", "RekognitionService.DetectLabels", f.name)
        self.assertEqual(cp.returncode, 0, cp.err)
        self.assertEqual(json.loads(cp.out.split("\n", 1)[1]), answer)
        (entry,) = self.log()
        self.assertEqual((entry["method"], entry["path"]), ("POST", "/"))
        self.assertEqual(entry["headers"]["X-Amz-Target"], "RekognitionService.DetectLabels")
        self.assertEqual(entry["headers"]["Content-Type"], "application/x-amz-json-1.1")
        self.assertEqual(json.loads(entry["body"]), request)

    def test_streamed_error_body_is_not_streamed(self):
        self.script({"status": 503, "body": "<Error><Code>SlowDown</Code>"
                     "<Message>Please reduce your request rate.</Message></Error>"},
                    {"status": 200, "body": "payload"})
        cp = self.send("--anonymous", "--retries", "1", "--stream")
        self.assertEqual(cp.returncode, 0, cp.err)
        self.assertEqual(cp.out, "status 200\npayload")
        self.assertIn("retry 1: SlowDown: Please reduce your request rate.", cp.err)

    # --- cancellation and timeouts ---

    def test_cancel_while_server_is_silent(self):
        self.script({"action": "silent"})
        cp = self.send("--anonymous", "--timeout", "60000", "--cancel-after", "300")
        self.assertEqual(cp.returncode, 1)
        self.assertEqual(error_line(cp)[:2], ("g-io-error-quark", G_IO_ERROR_CANCELLED))
        latency = int(re.search(r"cancel-latency-ms (\d+)", cp.err).group(1))
        self.assertLess(latency, 200)
        self.assertEqual(len(self.log()), 1)

    def test_cancel_during_backoff(self):
        # Retry-After makes the backoff at least 5 s; the cancel comes at 0.3 s.
        self.script({"status": 503, "headers": {"Retry-After": "30"}})
        cp = self.send("--anonymous", "--retries", "3", "--cancel-after", "300")
        self.assertEqual(cp.returncode, 1)
        self.assertEqual(error_line(cp)[:2], ("g-io-error-quark", G_IO_ERROR_CANCELLED))
        latency = int(re.search(r"cancel-latency-ms (\d+)", cp.err).group(1))
        self.assertLess(latency, 200)
        self.assertEqual(len(self.log()), 1)
        self.assertLess(cp.elapsed, 4.0)

    def test_request_timeout(self):
        self.script({"action": "silent"})
        cp = self.send("--anonymous", "--timeout", "500", "--retries", "1", "--backoff", "1")
        self.assertEqual(cp.returncode, 1)
        self.assertEqual(error_line(cp)[:2], ("MtAwsError", MT_AWS_ERROR_NETWORK))
        self.assertIn("timed out", cp.err)
        self.assertIn("127.0.0.1:%d" % self.server.port, cp.err)
        self.assertEqual(len(self.log()), 2)
        self.assertGreaterEqual(cp.elapsed, 1.0)
        self.assertLess(cp.elapsed, 20.0)

    def test_connection_refused_names_host(self):
        port = mtfixtures.free_port()
        cp = run("--endpoint", "http://127.0.0.1:%d" % port, "--anonymous",
                 "--retries", "1", "--backoff", "1",
                 "GET", "/b/k?X-Amz-Signature=deadbeef")
        self.assertEqual(cp.returncode, 1)
        self.assertEqual(error_line(cp)[:2], ("MtAwsError", MT_AWS_ERROR_NETWORK))
        self.assertIn("127.0.0.1:%d" % port, cp.err)
        self.assertIn("after 2 attempts", cp.err)
        self.assertNotIn("deadbeef", cp.err)

    def test_retry_quota_stops_retry_storms(self):
        # botocore's RetryQuota: 500 tokens, 5 per retry, none back for a
        # failure. 33 failing calls with 3 retries each spend 495; the 34th
        # gets one retry; later calls get none.
        self.script({"status": 503})
        cp = self.send("--anonymous", "--retries", "3", "--backoff", "0",
                       "--repeat", "40")
        self.assertEqual(cp.returncode, 1)
        self.assertEqual(len(self.log()), 33 * 4 + 2 + 6)
        self.assertEqual(len(re.findall(r"^error MtAwsError 2 ServiceUnavailable", cp.err, re.M)), 40)

    def test_proxy_from_environment(self):
        # As curl does: http_proxy sends the request, absolute-form, to the
        # proxy; the origin's name is never resolved here.
        self.script({"status": 200, "body": "via proxy"})
        env = dict(os.environ, http_proxy=self.server.url, no_proxy="")
        cp = run("--endpoint", "http://bucket.s3.example.invalid", "--anonymous",
                 "GET", "/k", env=env)
        self.assertEqual(cp.returncode, 0, cp.err)
        self.assertEqual(cp.out, "status 200\nvia proxy")
        (entry,) = self.log()
        self.assertEqual(entry["path"], "http://bucket.s3.example.invalid/k")

    # --- secrets ---

    def test_secrets_never_logged(self):
        secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
        token = "FwoGZXIvYXdzEJr//////////SESSIONTOKENabc123"
        self.script({"status": 503}, {"status": 200, "body": "ok"})
        env = dict(os.environ, GST_DEBUG="*:9", GST_DEBUG_NO_COLOR="1")
        cp = self.send("--access-key", "AKIDLOGTEST", "--secret-key", secret,
                       "--session-token", token, "--retries", "1",
                       "-H", "X-Amz-Meta-Note: hello", env=env)
        self.assertEqual(cp.returncode, 0, cp.err[-2000:])
        log_text = cp.err
        # The log really is the verbose one, with the client's request lines.
        self.assertRegex(log_text, r"S3 GET 127\.0\.0\.1/bucket/key: HTTP 503, attempt 1/2")
        self.assertRegex(log_text, r"S3 GET 127\.0\.0\.1/bucket/key: HTTP 200, attempt 2/2")
        entries = self.log()
        self.assertEqual(len(entries), 2)
        for entry in entries:
            h = {k.lower(): v for k, v in entry["headers"].items()}
            self.assertEqual(h["x-amz-security-token"], token)
            signature = re.search(r"Signature=([0-9a-f]{64})", h["authorization"]).group(1)
            date = h["x-amz-date"][:8]
            key = ("AWS4" + secret).encode()
            for part in (date, "us-east-1", "s3", "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            for what, forbidden in (("secret key", secret), ("session token", token),
                                    ("signing key", key.hex()),
                                    ("signing key", key.hex().upper()),
                                    ("signing key", base64.b64encode(key).decode()),
                                    ("signature", signature)):
                lines = [l for l in log_text.splitlines() if forbidden in l]
                # Name the offending log line, not the secret or the whole log.
                self.assertEqual(lines, [], "the %s is in the log at: %s" % (
                    what, [l.replace(forbidden, "<%s>" % what)[:200] for l in lines]))


class TlsTests(unittest.TestCase):
    """TLS is verified unless turned off; ca-file trusts a private CA."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.cert = os.path.join(cls.dir.name, "cert.pem")
        key = os.path.join(cls.dir.name, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-days", "2", "-keyout", key, "-out", cls.cert],
                       check=True, capture_output=True)
        cls.server = mtfixtures.start_python_server(FAULT_SERVER, cls.cert, key)
        cls.url = "https://127.0.0.1:%d" % cls.server.port

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.dir.cleanup()

    def test_verification_on_by_default(self):
        cp = run("--endpoint", self.url, "--anonymous", "--retries", "2",
                 "GET", "/b/k")
        self.assertEqual(cp.returncode, 1)
        self.assertEqual(error_line(cp)[:2], ("MtAwsError", MT_AWS_ERROR_NETWORK))
        self.assertIn("certificate", cp.err)
        self.assertIn("ca-file", cp.err)
        # A certificate that fails will fail again: no retries.
        self.assertNotIn("retry", cp.err)

    def test_ca_file_and_insecure(self):
        for args in (["--ca-file", self.cert], ["--insecure"]):
            cp = run("--endpoint", self.url, "--anonymous", *args, "GET", "/b/k")
            self.assertEqual(cp.returncode, 0, cp.err)
            self.assertTrue(cp.out.startswith("status 200"))


def moto_signed_user(endpoint):
    """Creates, in moto's first unchecked calls, an IAM user allowed
    everything and returns its access key (id, secret)."""
    iam = mtfixtures.boto_client("iam", endpoint)
    iam.create_user(UserName="mediatag")
    iam.put_user_policy(UserName="mediatag", PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="mediatag")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


class MotoSignedTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = mtfixtures.start_moto(auth_after=3)
        cls.key_id, cls.secret = moto_signed_user(cls.moto.url)

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def aws(self, *args, secret=None):
        return run("--endpoint", self.moto.url, "--access-key", self.key_id,
                   "--secret-key", secret or self.secret, "--retries", "0", *args)

    def test_s3_put_get_signed(self):
        payload = bytes((i * 31 + 7) % 256 for i in range(200000))
        with tempfile.NamedTemporaryFile(suffix=".bin") as f:
            f.write(payload)
            f.flush()
            cp = self.aws("--s3", "PUT", "/signed-bucket")
            self.assertEqual(cp.returncode, 0, cp.err)
            cp = self.aws("--s3", "PUT", "/signed-bucket/dir/a%20b.bin", f.name)
            self.assertEqual(cp.returncode, 0, cp.err)
            self.assertTrue(cp.out.startswith("status 200"))
        cp = self.aws("--s3", "GET", "/signed-bucket/dir/a%20b.bin")
        self.assertEqual(cp.returncode, 0, cp.err)
        self.assertEqual(cp.stdout, b"status 200\n" + payload)
        # Another client (botocore) sees the same object.
        s3 = mtfixtures.boto_client("s3", self.moto.url, key=self.key_id, secret=self.secret)
        self.assertEqual(s3.get_object(Bucket="signed-bucket", Key="dir/a b.bin")["Body"].read(),
                         payload)

    def test_s3_errors_decoded_from_moto(self):
        self.assertEqual(self.aws("--s3", "PUT", "/errors-bucket").returncode, 0)
        cp = self.aws("--s3", "GET", "/errors-bucket/missing.jpg")
        self.assertEqual(cp.returncode, 1)
        self.assertEqual(error_line(cp), ("MtAwsError", MT_AWS_ERROR_NOT_FOUND, "NoSuchKey"))
        self.assertRegex(cp.err, r"NoSuchKey: The specified key does not exist\. \(HTTP 404, request id \S+\)")
        # HEAD answers carry no body: the code comes from the status.
        cp = self.aws("--s3", "HEAD", "/errors-bucket/missing.jpg")
        self.assertEqual(error_line(cp), ("MtAwsError", MT_AWS_ERROR_NOT_FOUND, "NotFound"))
        cp = self.aws("--s3", "GET", "/no-such-bucket-here/k")
        self.assertEqual(error_line(cp), ("MtAwsError", MT_AWS_ERROR_NOT_FOUND, "NoSuchBucket"))

    def test_json11_error_decoded_from_moto(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump({"EntityRecognizerArn": "arn:aws:comprehend:us-east-1:"
                       "123456789012:entity-recognizer/none"}, f)
            f.flush()
            cp = self.aws("--service", "comprehend", "--target",
                          "Comprehend_20171127.DescribeEntityRecognizer", f.name)
        self.assertEqual(cp.returncode, 1)
        self.assertEqual(error_line(cp), ("MtAwsError", MT_AWS_ERROR_NOT_FOUND,
                                          "ResourceNotFoundException"))

    def test_s3_wrong_secret_is_signature_error(self):
        cp = self.aws("--s3", "PUT", "/wrong-secret-bucket", secret="not-the-secret")
        self.assertEqual(cp.returncode, 1)
        domain, code, service_code = error_line(cp)
        self.assertEqual((domain, code, service_code),
                         ("MtAwsError", MT_AWS_ERROR_AUTH, "SignatureDoesNotMatch"))

    def test_rekognition_detect_labels_signed(self):
        with open("/usr/share/darknet/data/dog.jpg", "rb") as img:
            request = {"Image": {"Bytes": base64.b64encode(img.read()).decode()},
                       "MaxLabels": 10}
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(request, f)
            f.flush()
            cp = self.aws("--service", "rekognition",
                          "--target", "RekognitionService.DetectLabels", f.name)
            self.assertEqual(cp.returncode, 0, cp.err)
            labels = json.loads(cp.out.split("\n", 1)[1])["Labels"]
            self.assertTrue(labels and all("Name" in l for l in labels))
            cp = self.aws("--service", "rekognition", "--target",
                          "RekognitionService.DetectLabels", f.name, secret="wrong")
        self.assertEqual(cp.returncode, 1)
        domain, code, service_code = error_line(cp)
        self.assertEqual((domain, code), ("MtAwsError", MT_AWS_ERROR_AUTH))
        self.assertIn(service_code, ("SignatureDoesNotMatch", "InvalidSignatureException"))


if __name__ == "__main__":
    AWS_REQUEST, FAULT_SERVER = sys.argv[1], sys.argv[2]
    # The test environment blanks the developer's AWS variables; botocore
    # (unlike the SDKs' rule) reads an empty AWS_PROFILE as a profile name.
    for name in [k for k, v in os.environ.items() if k.startswith("AWS_") and v == ""]:
        del os.environ[name]
    unittest.main(argv=sys.argv[:1], verbosity=2)
