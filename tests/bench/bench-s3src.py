#!/usr/bin/env python3
"""Benchmark: sequential read of an S3 object by s3src against curl.

Both read the same object from the same loopback server, in the same run,
alternating, best of N: moto's S3 (the default, as issue 18 measures it:
200 MB, where each request's round trip and moto's own work show), or
tests/s3/fake_s3.py (HEAD, Range, ETag, sendfile: the transfer alone, for
large objects). Prints each run, the throughput ratio s3src/curl, and the
peak resident memory of each process.

  tests/bench/bench-s3src.py [--server moto|fake] [--size-mb 200] [--runs 3]
                             [--blocksize N]

Needs a build (GST_PLUGIN_PATH to the s3 plugin, as `meson devenv` sets it,
or --plugin-dir). Run on demand only: timings on a shared machine vary.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import mtfixtures  # noqa: E402

MIB = 1024 * 1024


def make_object(path, size_mb):
    block = os.urandom(16 * MIB)
    with open(path, "wb") as fh:
        for _ in range(size_mb // 16):
            fh.write(block)
        fh.write(block[:(size_mb % 16) * MIB])


def timed(argv, env):
    """Runs argv; returns (seconds, peak RSS in MiB) of that one process.
    The peak comes from /usr/bin/time, a small parent: a child forked from
    this Python would start with Python's resident pages counted."""
    with tempfile.NamedTemporaryFile("r") as rss_file:
        start = time.monotonic()
        cp = subprocess.run(["/usr/bin/time", "-o", rss_file.name, "-f", "%M"] + argv, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        elapsed = time.monotonic() - start
        if cp.returncode != 0:
            raise SystemExit("%s failed (%d):\n%s" % (argv[0], cp.returncode, cp.stderr))
        return elapsed, int(rss_file.read().split()[-1]) / 1024.0


def start_server(kind, obj):
    """A loopback S3 serving the file `obj` as s3://bench/object.bin."""
    if kind == "fake":
        return mtfixtures.start_python_server(os.path.join(HERE, "..", "s3", "fake_s3.py"),
                                              "serve", obj)
    server = mtfixtures.start_moto()
    s3 = mtfixtures.boto_client("s3", server.url)
    s3.create_bucket(Bucket="bench")
    with open(obj, "rb") as fh:
        s3.put_object(Bucket="bench", Key="object.bin", Body=fh)
    return server


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", choices=("moto", "fake"), default="moto")
    ap.add_argument("--size-mb", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--blocksize", type=int, default=0, help="s3src blocksize (0: its default)")
    ap.add_argument("--plugin-dir", default=None)
    args = ap.parse_args()

    env = dict(os.environ)
    if args.plugin_dir:
        env["GST_PLUGIN_PATH"] = args.plugin_dir
    env.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true")
    env.pop("AWS_PROFILE", None)

    with tempfile.TemporaryDirectory() as d:
        obj = os.path.join(d, "object.bin")
        make_object(obj, args.size_mb)
        server = start_server(args.server, obj)
        try:
            env["AWS_ENDPOINT_URL"] = server.url
            extra = ["blocksize=%d" % args.blocksize] if args.blocksize else []
            gst = ["gst-launch-1.0", "-q", "s3src", "uri=s3://bench/object.bin"] + extra + \
                ["!", "fakesink"]
            # curl signs its GET too (SigV4, as s3src does): moto wants it.
            curl = ["curl", "-s", "-f", "-o", "/dev/null", "--aws-sigv4", "aws:amz:us-east-1:s3",
                    "--user", "bench:bench", server.url + "/bench/object.bin"]
            # The first gst-launch of a fresh registry scans every plugin:
            # not s3src's time.
            subprocess.run(["gst-inspect-1.0", "s3src"], env=env, stdout=subprocess.DEVNULL,
                           check=True)
            results = {"curl": [], "s3src": []}
            for run in range(args.runs):
                for name, argv in (("curl", curl), ("s3src", gst)):
                    secs, rss = timed(argv, env)
                    results[name].append((secs, rss))
                    print("run %d %-6s %6.2f s  %7.1f MB/s  peak RSS %6.1f MiB" %
                          (run + 1, name, secs, args.size_mb * MIB / 1e6 / secs, rss))
        finally:
            server.stop()

    median = {n: sorted(r[0] for r in v)[len(v) // 2] for n, v in results.items()}
    best = {n: min(r[0] for r in v) for n, v in results.items()}
    rss = {n: max(r[1] for r in v) for n, v in results.items()}
    mbps = {n: args.size_mb * MIB / 1e6 / best[n] for n in best}
    print("best of %d, %d MiB object from %s over loopback, machine shared with other work:" %
          (args.runs, args.size_mb, args.server))
    print("  curl  %7.1f MB/s, peak RSS %.1f MiB" % (mbps["curl"], rss["curl"]))
    print("  s3src %7.1f MB/s, peak RSS %.1f MiB" % (mbps["s3src"], rss["s3src"]))
    print("  s3src/curl throughput ratio: %.2f (best), %.2f (median)" %
          (mbps["s3src"] / mbps["curl"], median["curl"] / median["s3src"]))


if __name__ == "__main__":
    main()
