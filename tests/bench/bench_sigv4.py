#!/usr/bin/env python3
"""Benchmark (on demand, not a test): SigV4 header signing, sigv4.c vs botocore.

    python3 tests/bench/bench_sigv4.py [BUILD_DIR]   (default: build)

Signs N requests (JSON POSTs with a 1 KiB body, as Rekognition gets; S3
PUTs with a 256 KiB body, signed payload) with botocore's SigV4Auth /
S3SigV4Auth and with sigv4.c (through the tests/core/sigv4-json helper,
which times its signing loop itself, so JSON and process start are left
out), both in-process, and prints requests per second and the ratio.
Timings depend on the machine's load: say what else was running when you
quote them.
"""
import base64
import datetime
import json
import os
import subprocess
import sys
import time
from unittest import mock

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
TOOL = os.path.join(BUILD, "tests", "core", "sigv4-json")
WHEN = datetime.datetime(2024, 5, 1, 12, 0, 0)
KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def requests(kind, n):
    if kind == "json":
        body = b'{"Image":{"Bytes":"' + b"A" * 1000 + b'"}}'
        return [{"method": "POST", "url": "https://rekognition.us-east-1.amazonaws.com/",
                 "headers": [["Content-Type", "application/x-amz-json-1.1"],
                             ["X-Amz-Target", "RekognitionService.DetectLabels"]],
                 "body": body, "service": "rekognition", "s3": False} for _ in range(n)]
    body = os.urandom(256 * 1024)
    return [{"method": "PUT", "url": f"https://bucket.s3.us-east-1.amazonaws.com/media/clip-{i}.mp4",
             "headers": [["Content-Type", "video/mp4"]], "body": body, "service": "s3",
             "s3": True} for i in range(n)]


def with_botocore(reqs):
    creds = Credentials(KEY, SECRET)
    start = time.perf_counter()
    with mock.patch("botocore.auth.get_current_datetime", return_value=WHEN):
        for r in reqs:
            signer = (S3SigV4Auth if r["s3"] else SigV4Auth)(creds, r["service"], "us-east-1")
            req = AWSRequest(method=r["method"], url=r["url"], data=r["body"])
            for name, value in r["headers"]:
                req.headers[name] = value
            signer.add_auth(req)
    return time.perf_counter() - start


def with_sigv4c(reqs):
    r = reqs[0]  # all alike: the helper signs fresh copies of one, len(reqs) times
    item = {"method": r["method"], "url": r["url"], "headers": r["headers"],
            "body_b64": base64.b64encode(r["body"]).decode(), "access_key": KEY,
            "secret_key": SECRET, "region": "us-east-1", "service": r["service"],
            "time": int(WHEN.replace(tzinfo=datetime.timezone.utc).timestamp()),
            "normalize_path": not r["s3"], "add_content_sha256": r["s3"],
            "repeat": len(reqs)}
    out = subprocess.run([TOOL], input=json.dumps([item]).encode(), capture_output=True,
                         check=True).stdout
    return json.loads(out)[0]["elapsed_us"] / 1e6


def main():
    if not os.access(TOOL, os.X_OK):
        sys.exit(f"{TOOL} not found: build first (ninja -C {BUILD})")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    for kind, n in (("json", 20000), ("s3", 400)):
        reqs = requests(kind, n)
        b = min(with_botocore(reqs) for _ in range(3))
        c = min(with_sigv4c(reqs) for _ in range(3))
        what = ("JSON POST, 1 KiB body" if kind == "json"
                else "S3 PUT, 256 KiB body, signed payload")
        print(f"{what}: {n} requests: botocore {n / b:,.0f}/s, "
              f"sigv4.c {n / c:,.0f}/s, ratio {b / c:.1f}x")


if __name__ == "__main__":
    main()
