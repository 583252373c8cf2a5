#!/usr/bin/env python3
"""Benchmark of rekognitionsink's concurrency and pacing, run on demand
(not a test: timings never pass or fail anything).

    python3 tests/bench/bench_rekognition.py [BUILD_DIR]

Against the loopback fake (tests/rekognition/fake_rekognition.py) answering
every call after 200 ms, it measures frames per second at max-in-flight 1,
4 and 16 and prints each against the ideal max-in-flight / latency, then
the requests per second with max-tps=10 against 10. Rates come from the
times the fake received the requests, so process start-up is not counted.
The input is one small JPEG repeated, so encoding costs nothing.

Figures depend on the machine's load: say so when quoting them.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "common"))
import mtfixtures as fx  # noqa: E402

LATENCY_MS = 200
FAKE = os.path.join(ROOT, "tests", "rekognition", "fake_rekognition.py")


def env_for(build):
    env = dict(os.environ)
    for k in [k for k, v in env.items() if k.startswith("AWS_") and not v]:
        del env[k]
    env.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1",
               GST_PLUGIN_PATH=os.path.join(build, "plugins", "rekognition"),
               GST_REGISTRY=os.path.join(tempfile.gettempdir(), "mediatag-bench-registry.bin"))
    return env


def run(build, jpeg, frames, props):
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "fake.log")
        with fx.start_python_server(FAKE, "--log", log, "--latency", LATENCY_MS) as fake:
            line = ("multifilesrc location=%s loop=true num-buffers=%d caps=image/jpeg "
                    "! rekognitionsink endpoint=%s features=labels post-messages=false %s"
                    % (jpeg, frames, fake.url, props))
            subprocess.run(["gst-launch-1.0", "-q"] + line.split(), env=env_for(build), check=True,
                           capture_output=True, timeout=600)
        with open(log) as f:
            times = sorted(json.loads(x)["time"] for x in f)
    assert len(times) == frames, "expected %d requests, got %d" % (frames, len(times))
    return times


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
    with tempfile.TemporaryDirectory() as tmp:
        jpeg = os.path.join(tmp, "frame.jpg")
        subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=1", "!",
                        "video/x-raw,width=160,height=120", "!", "jpegenc", "!", "filesink",
                        "location=" + jpeg], check=True)
        print("fake Rekognition, %d ms a call; machine shared with other work, figures vary"
              % LATENCY_MS)
        for mif in (1, 4, 16):
            frames = max(20, 8 * mif)
            times = run(build, jpeg, frames, "max-in-flight=%d" % mif)
            # The last request is answered LATENCY_MS after it arrived.
            fps = frames / (times[-1] - times[0] + LATENCY_MS / 1000.0)
            ideal = mif * 1000.0 / LATENCY_MS
            print("max-in-flight=%-2d %3d frames: %6.1f fps, ideal %5.1f, ratio %.3f"
                  % (mif, frames, fps, ideal, fps / ideal))
        tps = 10.0
        frames = 40
        times = run(build, jpeg, frames, "max-in-flight=16 max-tps=%g" % tps)
        measured = (frames - 1) / (times[-1] - times[0])
        print("max-tps=%g       %3d frames: %6.2f requests/s, ratio %.3f" % (tps, frames, measured,
                                                                            measured / tps))


if __name__ == "__main__":
    main()
