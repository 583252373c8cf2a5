#!/usr/bin/python3
"""Burned-in captions: words read, precision and time per frame of the local
text engine (libmediatag-vision, as rekognitionsink backend=local
features=text reads a frame) on the caption test's 40 composed frames, with
the tesseract CLI on the whole frame as the peer. Run on demand, never
pass/fail:

  /usr/bin/python3 tests/bench/bench-captions.py [--build build] [--frames 40]
      [--min-confidence 80] [--verbose]

Needs Debian's python3-pil (hence /usr/bin/python3), the models
(tools/fetch-models) and the build's tests/vision/test-captions-read.
"""
import argparse
import os
import shutil
import subprocess
import sys
import resource
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "vision"))
import test_captions_frames as frames  # noqa: E402


def engine(reader, paths, min_confidence):
    p = subprocess.run([reader, str(min_confidence)] + paths, capture_output=True, text=True,
                       check=True)
    return frames.parse_reader(p.stdout)


def tesseract_cli(path, min_confidence):
    """The peer: tesseract on the whole frame, words at or above the confidence."""
    start, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(["tesseract", path, "-", "tsv"], capture_output=True, text=True,
                       check=True)
    ms = (time.monotonic() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_ms = (after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime) * 1000
    res = []
    for line in p.stdout.splitlines()[1:]:
        f = line.split("\t")
        if len(f) == 12 and f[0] == "5" and f[11].strip() and float(f[10]) >= min_confidence:
            res.append(("WORD", 0, 0, float(f[10]), f[11], None))
    return ms, res, cpu_ms


def totals(written, results):
    tp = found = expected = 0
    ms, cpu = [], []
    for path, text, _, _ in written:
        t, res, c = results[path]
        a, b, n, _ = frames.score(text, res)
        tp, found, expected = tp + a, found + b, expected + n
        ms.append(t)
        cpu.append(c)
    return tp, found, expected, sum(ms) / len(ms), sum(cpu) / len(cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--min-confidence", type=float, default=80)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    reader = os.path.join(args.build, "tests", "vision", "test-captions-read")
    tmp = tempfile.mkdtemp(prefix="mediatag-bench-captions-")
    try:
        written = frames.write(tmp, n=args.frames)
        paths = [w[0] for w in written]
        ours = engine(reader, paths, args.min_confidence)
        peer = {p: tesseract_cli(p, args.min_confidence) for p in paths}
        if args.verbose:
            for path, text, desc, _ in written:
                got = " ".join(r[4] for r in ours[path][1] if r[0] == "WORD")
                print("%-60s %-36s -> %s" % (desc, text, got))
        print("%d caption frames (360p-1080p), min-confidence %g"
              % (len(written), args.min_confidence))
        print("%-28s %8s %10s %14s %14s" % ("reader", "recall", "precision", "wall ms/frame",
                                            "CPU ms/frame"))
        rows = []
        for name, res in (("mediatag local (vision)", ours),
                          ("tesseract CLI, whole frame", peer)):
            tp, found, expected, wall, cpu = totals(written, res)
            rows.append(cpu)
            print("%-28s %8.3f %10.3f %14.0f %14.0f" % (name, tp / expected, tp / max(found, 1),
                                                        wall, cpu))
        print("CPU time ratio local / tesseract CLI: %.2f" % (rows[0] / rows[1]))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
