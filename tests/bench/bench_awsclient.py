#!/usr/bin/env python3
"""Benchmark (on demand, not a test): signed S3 GetObject calls through
mt_aws_client (the aws-request fixture, one process, one client) against
boto3 (one client, in process) and the curl tool (--aws-sigv4, one process,
all URLs), all on the same moto server on 127.0.0.1.

    python3 tests/bench/bench_awsclient.py BUILD_DIR [N] [SIZE]

Prints each side's wall time and client CPU time (user + system), and the
ratios boto3 / mediatag. moto serves both and costs the same for both, so
wall time is mostly moto's; CPU time is the clients' own cost (signing,
HTTP, copies) and is less sensitive to a loaded machine. mediatag's figures
include its process start (gst_init).
"""
import resource
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "common"))
import mtfixtures  # noqa: E402


def timed_child(argv):
    """Wall time and CPU time (user + system) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    build = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 64 * 1024
    aws_request = os.path.join(build, "tests", "core", "aws-request")
    for k in [k for k, v in os.environ.items() if k.startswith("AWS_") and v == ""]:
        del os.environ[k]

    with mtfixtures.start_moto() as moto:
        s3 = mtfixtures.boto_client("s3", moto.url)
        s3.create_bucket(Bucket="bench")
        payload = os.urandom(size)
        s3.put_object(Bucket="bench", Key="obj", Body=payload)
        for _ in range(5):  # warm moto up for both sides
            s3.get_object(Bucket="bench", Key="obj")["Body"].read()

        start = time.monotonic()
        cpu = time.process_time()
        for _ in range(n):
            assert s3.get_object(Bucket="bench", Key="obj")["Body"].read() == payload
        boto_s = time.monotonic() - start
        boto_cpu = time.process_time() - cpu

        argv = [aws_request, "--endpoint", moto.url, "--access-key", "testing",
                "--secret-key", "testing", "--s3"]
        # Bodies go to /dev/null, as boto3's go nowhere; one untimed call
        # checks they are right.
        check = subprocess.run(argv + ["GET", "/bench/obj"], capture_output=True, check=True)
        assert check.stdout == b"status 200\n" + payload
        mt_s, mt_cpu = timed_child(argv + ["--repeat", str(n), "GET", "/bench/obj"])
        # Streamed to a data func (as s3src reads) instead of collected.
        mts_s, mts_cpu = timed_child(argv + ["--stream", "--repeat", str(n), "GET", "/bench/obj"])

        curl_s, curl_cpu = timed_child(
            ["curl", "-s", "-f", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user",
             "testing:testing"] + ["-o", "/dev/null", moto.url + "/bench/obj"] * n)

    print("signed GetObject x%d of %d bytes from moto on 127.0.0.1" % (n, size))
    print("  boto3 %s:       wall %.2f s, client CPU %.3f s" % (
        __import__("boto3").__version__, boto_s, boto_cpu))
    print("  mediatag aws-request: wall %.2f s, client CPU %.3f s" % (mt_s, mt_cpu))
    print("  mediatag, streamed:   wall %.2f s, client CPU %.3f s" % (mts_s, mts_cpu))
    print("  curl tool --aws-sigv4: wall %.2f s, client CPU %.3f s" % (curl_s, curl_cpu))
    print("  ratio boto3 / mediatag: wall %.2f, client CPU %.2f" % (
        boto_s / mt_s, boto_cpu / mt_cpu))
    print("  ratio curl / mediatag:  wall %.2f, client CPU %.2f" % (
        curl_s / mt_s, curl_cpu / mt_cpu))
    print("  ratio curl / mediatag streamed: wall %.2f, client CPU %.2f" % (
        curl_s / mts_s, curl_cpu / mts_cpu))
    print("  load average now: %s (the machine is shared)" % " ".join(
        open("/proc/loadavg").read().split()[:3]))


if __name__ == "__main__":
    main()
