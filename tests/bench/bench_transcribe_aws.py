#!/usr/bin/env python3
"""Benchmark of transcribesink's AWS streaming engine, run on demand (not a
test: timings never pass or fail anything).

    python3 tests/bench/bench_transcribe_aws.py [BUILD_DIR] [SECONDS]

Plays SECONDS (default 20) of speech-like audio at 1x real time
(`identity sync=true`) into transcribesink backend=aws against the
loopback Transcribe streaming fake, which answers a final result for each
utterance as soon as the audio passes its end. For each final result it
measures the end-to-end latency: when the element's bus message reached
the application, minus when the utterance's last sample was played. Peers:
the audio chunk the engine sends (100 ms: the service cannot know a word
has ended before the chunk holding its end arrives) and the fake's own
send time (the part of the latency that is the service's), so the figure
splits into chunking, the service, and the client (WebSocket, event-stream
decoding, documents, bus).

Figures depend on the machine's load: say so when quoting them.
"""
import json
import math
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "common"))
import mtfixtures as fx  # noqa: E402

FAKE = os.path.join(ROOT, "tests", "transcribe", "fake_transcribe_streaming.py")
CHUNK_MS = 100
RATE = 16000
# A document's own end, in gst-launch's escaped print of the message.
DOC_END = re.compile(r'\\"timestamp\\":\d+\\,\\"end\\":(\d+)')


def make_audio(path, seconds):
    """An utterance (a 300 Hz tone) of 1.2 s every 2 s, and the script of
    what the fake says for each."""
    spans = [(t + 0.3, t + 1.5) for t in range(0, int(seconds) - 1, 2)]
    n = int(seconds * RATE)
    samples = bytearray(2 * n)
    for start, end in spans:
        for i in range(int(start * RATE), int(end * RATE)):
            struct.pack_into("<h", samples, 2 * i, int(8000 * math.sin(2 * math.pi * 300 * i / RATE)))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(samples))
    return {"utterances": [{"words": [
        {"content": "u%d" % k, "start": s, "end": (s + e) / 2, "confidence": 0.9},
        {"content": "v%d" % k, "start": (s + e) / 2, "end": e, "confidence": 0.9}]}
        for k, (s, e) in enumerate(spans)]}


def summary(values):
    return "mean %4.0f ms  median %4.0f ms  max %4.0f ms" % (
        statistics.mean(values), statistics.median(values), max(values))


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    tmp = tempfile.mkdtemp(prefix="mt-bench-transcribe-")
    wav, script_path, log = (os.path.join(tmp, n) for n in ("a.wav", "script.json", "fake.jsonl"))
    with open(script_path, "w") as f:
        json.dump(make_audio(wav, seconds), f)
    env = dict(os.environ)
    for k in [k for k, v in env.items() if k.startswith("AWS_") and not v]:
        del env[k]
    srv = fx.start_python_server(FAKE, "--script", script_path, "--log", log)
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
               AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING=srv.url,
               GST_PLUGIN_PATH=os.path.join(build, "plugins", "transcribe"),
               GST_REGISTRY=os.path.join(tmp, "registry.bin"))
    line = ("stdbuf -oL gst-launch-1.0 -m -e filesrc location=%s ! wavparse ! audioconvert ! "
            "audioresample ! audio/x-raw,format=S16LE,channels=1,rate=%d ! identity sync=true ! "
            "transcribesink backend=aws" % (wav, RATE))
    arrivals = []               # (monotonic time, end ms) of each final document
    proc = subprocess.Popen(line.split(), env=env, stdout=subprocess.PIPE, text=True)
    for out in proc.stdout:
        if "(element): transcribesink," in out:
            now = time.monotonic()
            for end in [int(m) for m in DOC_END.findall(out)]:
                arrivals.append((now, end))
    proc.wait()
    srv.stop()
    with open(log) as f:
        conn = json.loads(f.readline())
    # The fake got the first chunk once its 100 ms had been played.
    played0 = conn["first_audio_at"] - CHUNK_MS / 1000.0
    latency = [(t - (played0 + end / 1000.0)) * 1000 for t, end in arrivals]
    service = [(t - (played0 + end / 1000.0)) * 1000 for t, end in
               zip(conn["result_times"], [end for _, end in arrivals])]
    print("transcribesink backend=aws, streaming at 1x real time, %.0f s of audio, %d final results"
          % (seconds, len(latency)))
    print("  end-to-end latency of final results: %s" % summary(latency))
    print("  until the fake sent the result:       %s" % summary(service))
    print("  client part (fake send to bus message): %s" % summary([a - b for a, b in zip(latency, service)]))
    print("  latency / audio chunk (%d ms): %.2f" % (CHUNK_MS, statistics.median(latency) / CHUNK_MS))
    return 0 if proc.returncode == 0 and latency else 1


if __name__ == "__main__":
    sys.exit(main())
