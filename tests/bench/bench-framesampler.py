#!/usr/bin/env python3
"""Benchmark: framesampler pipelines writing JPEG files against ffmpeg doing
the same job, on a 10-minute 1280x720 30 fps H.264 clip with a key unit
every 2 s (made once with ffmpeg, cached in tests/bench/out/).

    tests/bench/bench-framesampler.py [--repeat N] [--build build]

Prints the median wall time of each run and the ratio ffmpeg / framesampler
(above 1: framesampler is faster). Goals from the framesampler issue:

    1f-every-30s seek=keyframe  >= 8x  ffmpeg -vf fps=1/30
    1f-every-30s seek=accurate  >= 4x  ffmpeg -vf fps=1/30
    1fps                        >= 1x  ffmpeg -vf fps=1

Run on demand only: timings are not pass/fail, and on a shared machine they
move with the load, which the report prints beside them.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(HERE, "out")
CLIP = os.path.join(OUT, "bench-720p30-10min.mp4")


def make_clip():
    if os.path.exists(CLIP):
        return
    os.makedirs(OUT, exist_ok=True)
    print("making %s (once) ..." % CLIP, flush=True)
    tmp = CLIP + ".part.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=600",
                    "-f", "lavfi", "-i", "sine=f=440:d=600",
                    "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-keyint_min", "60",
                    "-sc_threshold", "0", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-shortest", tmp], check=True)
    os.replace(tmp, CLIP)


def gst_env(build):
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = os.path.join(ROOT, build, "plugins", "framesampler")
    env["GST_REGISTRY"] = os.path.join(OUT, "registry-%s.bin" % os.path.basename(build))
    return env


def gst_argv(props, outdir):
    return ["gst-launch-1.0", "-q", "filesrc", "location=" + CLIP, "!", "decodebin", "!",
            "framesampler"] + props.split() + ["!", "videoconvert", "!", "jpegenc", "!",
                                                "multifilesink",
                                                "location=" + os.path.join(outdir, "%05d.jpg")]


def ffmpeg_argv(fps, outdir, keyframes=False):
    argv = ["ffmpeg", "-v", "error", "-y"]
    if keyframes:
        argv += ["-skip_frame", "nokey"]
    return argv + ["-i", CLIP, "-an", "-vf", "fps=" + fps, "-q:v", "2",
                   os.path.join(outdir, "%05d.jpg")]


def timed(argv, env, repeat):
    """Median wall time of repeat runs, and how many files the last wrote."""
    times = []
    for _ in range(repeat):
        outdir = tempfile.mkdtemp(prefix="mt-bench-")
        t0 = time.monotonic()
        subprocess.run(argv(outdir), env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.monotonic() - t0)
        files = len(os.listdir(outdir))
        shutil.rmtree(outdir)
    return statistics.median(times), files


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=1,
                   help="runs of each command; the median is printed")
    p.add_argument("--build", default="build", help="meson build directory")
    args = p.parse_args()
    make_clip()
    env = gst_env(args.build)

    runs = [
        ("ffmpeg fps=1/30", lambda o: ffmpeg_argv("1/30", o), None),
        ("ffmpeg fps=1/30 -skip_frame nokey", lambda o: ffmpeg_argv("1/30", o, True), None),
        ("framesampler 1f-every-30s seek=none",
         lambda o: gst_argv("frame-capture-mode=1f-every-30s seek=none", o), env),
        ("framesampler 1f-every-30s seek=accurate",
         lambda o: gst_argv("frame-capture-mode=1f-every-30s seek=accurate", o), env),
        ("framesampler 1f-every-30s seek=keyframe",
         lambda o: gst_argv("frame-capture-mode=1f-every-30s seek=keyframe", o), env),
        # 30 s is a multiple of this clip's 2 s GOP, so every 1f-every-30s
        # sample is a key unit; 31 s puts samples anywhere in a GOP, which is
        # what accurate seeking costs on most videos.
        ("ffmpeg fps=1/31", lambda o: ffmpeg_argv("1/31", o), None),
        ("framesampler interval=31s seek=accurate",
         lambda o: gst_argv("interval=31000000000 seek=accurate", o), env),
        ("framesampler interval=31s seek=keyframe",
         lambda o: gst_argv("interval=31000000000 seek=keyframe", o), env),
        ("ffmpeg fps=1", lambda o: ffmpeg_argv("1", o), None),
        ("framesampler 1fps", lambda o: gst_argv("frame-capture-mode=1fps", o), env),
    ]
    print("clip: %s (10 min, 1280x720, 30 fps, H.264, 2 s GOP, AAC)" % CLIP)
    print("load average before: %.1f %.1f %.1f on %d cores (shared machine)"
          % (os.getloadavg() + (os.cpu_count(),)))
    t = {}
    for name, argv, run_env in runs:
        t[name], files = timed(argv, run_env, args.repeat)
        print("%-42s %7.2f s  %4d files" % (name, t[name], files), flush=True)
    print("load average after: %.1f %.1f %.1f" % os.getloadavg())

    def ratio(peer, ours, goal):
        r = t[peer] / t[ours]
        print("%-42s %5.1fx faster than %s (goal %gx)" % (ours, r, peer, goal))

    print()
    ratio("ffmpeg fps=1/30", "framesampler 1f-every-30s seek=keyframe", 8)
    ratio("ffmpeg fps=1/30", "framesampler 1f-every-30s seek=accurate", 4)
    ratio("ffmpeg fps=1/30 -skip_frame nokey", "framesampler 1f-every-30s seek=keyframe", 1)
    ratio("framesampler 1f-every-30s seek=none", "framesampler 1f-every-30s seek=accurate", 1)
    ratio("ffmpeg fps=1/31", "framesampler interval=31s seek=accurate", 4)
    ratio("ffmpeg fps=1/31", "framesampler interval=31s seek=keyframe", 8)
    ratio("ffmpeg fps=1", "framesampler 1fps", 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
