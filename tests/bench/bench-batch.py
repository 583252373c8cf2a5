#!/usr/bin/env python3
"""Benchmark: `mediatag batch --jobs N` over many small images in S3, when
the work waits on the service.

COUNT small JPEGs are put in moto's S3; `mediatag batch s3://... --out
s3://... --jobs N --backend aws` runs them through the Rekognition fake
(tests/rekognition/fake_rekognition.py) answering every call after
--latency-ms, once per N, each into a fresh destination. Prints seconds and
assets per second per N, and the ratio of each N to --jobs 1 (issue 18's
goal: --jobs 2 >= 1.8x --jobs 1), with mediatag's CPU time per asset:
the share of the work that does not wait, which more jobs cannot hide on
a busy machine. Each run must end with every asset done
(`mediatag batch status`), or the figures are not printed.

  tests/bench/bench-batch.py [--count 500] [--latency-ms 200] [--jobs 1,2,4]
                             [--features labels] [--tool build/tools/mediatag]

Run on demand only: timings on a shared machine vary.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import mtfixtures  # noqa: E402

FAKE = os.path.join(HERE, "..", "rekognition", "fake_rekognition.py")


def small_jpeg(tmp):
    path = os.path.join(tmp, "small.jpg")
    subprocess.run([mtfixtures.CONVERT, "-size", "320x240", "plasma:fractal", "-seed", "7",
                    path], check=True)
    with open(path, "rb") as fh:
        return fh.read()


def run_batch(tool, env, jobs, count, features):
    dest = "s3://bench-out/jobs%d-%d/" % (jobs, int(time.time()))
    argv = [tool, "batch", "s3://bench-in/images/", "--out", dest, "--jobs", str(jobs),
            "--backend", "aws", "--features", features]
    start = time.monotonic()
    cpu_before = cpu_of_children()
    cp = subprocess.run(argv, env=env, capture_output=True, text=True)
    secs = time.monotonic() - start
    cpu = cpu_of_children() - cpu_before
    if cp.returncode != 0:
        raise SystemExit("mediatag batch --jobs %d failed (%d):\n%s" % (jobs, cp.returncode,
                                                                         cp.stderr[-3000:]))
    status = subprocess.run([tool, "batch", "status", dest], env=env, capture_output=True,
                            text=True)
    if status.returncode != 0 or ("%d done" % count) not in status.stdout:
        raise SystemExit("--jobs %d did not do every asset:\n%s%s" % (jobs, status.stdout,
                                                                      status.stderr))
    return secs, cpu


def cpu_of_children():
    """User + system seconds of the ended children (mediatag runs)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--latency-ms", type=int, default=200)
    ap.add_argument("--jobs", default="1,2,4")
    ap.add_argument("--features", default="labels")
    ap.add_argument("--tool", default=mtfixtures.TOOL)
    args = ap.parse_args()
    jobs_list = [int(j) for j in args.jobs.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        moto = mtfixtures.start_moto()
        fake = mtfixtures.start_python_server(FAKE, "--latency", args.latency_ms)
        try:
            s3 = mtfixtures.boto_client("s3", moto.url)
            s3.create_bucket(Bucket="bench-in")
            s3.create_bucket(Bucket="bench-out")
            jpeg = small_jpeg(tmp)
            for i in range(args.count):
                s3.put_object(Bucket="bench-in", Key="images/%03d/img-%04d.jpg" % (i % 20, i),
                              Body=jpeg)
            env = mtfixtures.gst_env(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                                     AWS_REGION="us-east-1", AWS_ENDPOINT_URL=moto.url,
                                     AWS_ENDPOINT_URL_REKOGNITION=fake.url,
                                     AWS_EC2_METADATA_DISABLED="true")
            env.pop("AWS_PROFILE", None)
            results = {}
            for jobs in jobs_list:
                secs, cpu = run_batch(args.tool, env, jobs, args.count, args.features)
                results[jobs] = secs
                print("--jobs %d  %7.2f s  %6.2f assets/s  mediatag CPU %.3f s per asset" %
                      (jobs, secs, args.count / secs, cpu / args.count), flush=True)
        finally:
            fake.stop()
            moto.stop()

    base = results.get(1)
    print("%d images of %d bytes from moto S3, Rekognition fake answering after %d ms, "
          "features %s:" % (args.count, len(jpeg), args.latency_ms, args.features))
    for jobs, secs in results.items():
        ratio = " (%.2fx --jobs 1)" % (base / secs) if base else ""
        print("  --jobs %d: %6.2f assets/s%s" % (jobs, args.count / secs, ratio))


if __name__ == "__main__":
    main()
