#!/usr/bin/env python3
"""Benchmark: the local engines in a real graph. A 5-minute 1280x720 clip
(the bundled sample looped and scaled, so it has a dog, faces and signs),
sampled at 1 fps and analysed offline:

    filesrc ! decodebin ! videoconvert ! framesampler frame-capture-mode=1fps
      ! rekognitionsink backend=local features=labels+faces+text

    tests/bench/bench-local-analysis.py [--build build] [--features F]

Prints, for max-in-flight 1 and 2 (this machine has 2 cores), the frames
analysed per second, the speed against real time (300 s of video), and
the ratio of the two settings. Run on demand only: timings are not
pass/fail; the machine's load is printed beside them.
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(HERE, "out")
CLIP = os.path.join(OUT, "bench-sample-720p-5min.mp4")
SECONDS = 300


def make_clip():
    if os.path.exists(CLIP):
        return
    os.makedirs(OUT, exist_ok=True)
    print("making %s (once) ..." % CLIP, flush=True)
    tmp = CLIP + ".part.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1",
                    "-i", os.path.join(ROOT, "data", "sample.mp4"), "-t", str(SECONDS),
                    "-vf", "scale=1280:720", "-c:v", "libx264", "-preset", "veryfast",
                    "-g", "50", "-pix_fmt", "yuv420p", tmp], check=True)
    os.replace(tmp, CLIP)


def run(build, features, in_flight):
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = ":".join(os.path.join(ROOT, build, "plugins", p)
                                      for p in ("framesampler", "rekognition"))
    out = os.path.join(tempfile.mkdtemp(), "out.jsonl")
    line = ("filesrc location=%s ! decodebin ! videoconvert ! framesampler frame-capture-mode=1fps"
            " ! rekognitionsink backend=local features=%s max-in-flight=%d location=%s"
            % (CLIP, features, in_flight, out))
    t0 = time.monotonic()
    subprocess.run(["gst-launch-1.0", "-q", "-e"] + line.split(), env=env, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    with open(out) as f:
        frames = {json.loads(l).get("frame") for l in f if l.strip()}
    return wall, len(frames - {None})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--features", default="labels+faces+text")
    args = ap.parse_args()
    make_clip()
    print("load average before: %.1f %.1f %.1f (2 cores)" % os.getloadavg())
    results = {}
    for n in (1, 2):
        wall, frames = run(args.build, args.features, n)
        results[n] = wall
        # 1 fps sampling: frames per second analysed = video seconds per second.
        print("max-in-flight=%d: %d frames with findings, %.1f s, %.2f frames/s (%.2fx real time)"
              % (n, frames, wall, SECONDS / wall, SECONDS / wall), flush=True)
    print("max-in-flight 2 / 1 speed ratio: %.2f" % (results[1] / results[2]))
    print("load average after: %.1f %.1f %.1f" % os.getloadavg())


if __name__ == "__main__":
    main()
