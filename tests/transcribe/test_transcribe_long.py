"""transcribesink backend=local on long audio (issue 12, "a 2-hour file:
bounded memory"): the element is fed 10 minutes of audio faster than real
time (a short flite sentence once a minute over low noise) and its process's
resident memory after 10 minutes must be within a few MB of what it was
after 2 minutes (keeping the audio, or any per-sample state, would add
~1.9 MB a minute at 16 kHz); every sentence gives one segment, at the time
it was placed (no drift over the stream). Debian's /usr/bin/python3 (GI).
The 2-hour run by hand is tests/bench/bench-transcribe-long.py.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest
import wave

# AddressSanitizer holds freed memory in quarantine (256 MB by default),
# which RSS counts: with a small one, RSS measures what the code keeps.
if ("libasan" in os.environ.get("LD_PRELOAD", "")
        and "quarantine_size_mb" not in os.environ.get("ASAN_OPTIONS", "")):
    os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=1"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)

RATE = 16000
SENTENCE = "i would like to cancel my order"
MINUTES = 10
EVERY = 60          # seconds between sentences
FIRST = 20          # seconds before the first one
CHUNK = RATE // 10  # samples per buffer (100 ms)
# Growth allowed between minute 2 and minute 10: well under the 15 MB that
# eight minutes of 16 kHz audio take, well over allocator noise.
GROWTH_BOUND_KB = 6 * 1024


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def onset(pcm):
    """Where the speech in flite's output starts, in samples (flite puts a
    little silence first)."""
    for i in range(0, len(pcm), 2):
        if abs(int.from_bytes(pcm[i:i + 2], "little", signed=True)) > 500:
            return i // 2
    return 0


class LongAudioTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if Gst.ElementFactory.find("transcribesink") is None:
            raise unittest.SkipTest("transcribesink is not built")
        cls.tmp = tempfile.mkdtemp(prefix="test-transcribe-long-")
        wav = os.path.join(cls.tmp, "s.wav")
        subprocess.run(["flite", "-voice", "slt", "-t", SENTENCE, "-o", wav], check=True)
        with wave.open(wav) as w:
            assert w.getframerate() == RATE and w.getnchannels() == 1
            cls.speech = w.readframes(w.getnframes())
        rnd = random.Random(12)
        # One second of low noise (about -60 dBFS), repeated: a quiet room,
        # not digital silence, so the detector works as on a recording.
        cls.noise = b"".join(rnd.randint(-30, 30).to_bytes(2, "little", signed=True)
                             for _ in range(RATE))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def audio(self):
        """The whole stream as (pts in samples, bytes) chunks of 100 ms;
        and where each sentence's speech starts, in ms."""
        total = MINUTES * 60 * RATE
        starts = list(range(FIRST * RATE, total - 10 * RATE, EVERY * RATE))
        n_speech = len(self.speech) // 2
        pos = 0
        while pos < total:
            buf = bytearray(self.noise[(pos % RATE) * 2:] + self.noise)[:CHUNK * 2]
            for s in starts:
                lo, hi = max(pos, s), min(pos + CHUNK, s + n_speech)
                if lo < hi:
                    buf[(lo - pos) * 2:(hi - pos) * 2] = self.speech[(lo - s) * 2:(hi - s) * 2]
            yield pos, bytes(buf)
            pos += CHUNK
        self.starts_ms = [(s + onset(self.speech)) * 1000 // RATE for s in starts]

    def test_memory_flat_and_times_exact_over_10_minutes(self):
        loc = os.path.join(self.tmp, "long.jsonl")
        pipeline = Gst.parse_launch(
            "appsrc name=src format=time block=true max-bytes=65536 caps=audio/x-raw,"
            "format=S16LE,channels=1,rate=%d,layout=interleaved ! transcribesink "
            "backend=local location=%s" % (RATE, loc))
        src = pipeline.get_by_name("src")
        pipeline.set_state(Gst.State.PLAYING)
        rss = {}
        for pos, data in self.audio():
            buf = Gst.Buffer.new_wrapped(data)
            buf.pts = pos * Gst.SECOND // RATE
            buf.duration = CHUNK * Gst.SECOND // RATE
            self.assertEqual(src.emit("push-buffer", buf), Gst.FlowReturn.OK)
            minute = (pos + CHUNK) / RATE / 60
            if minute in (2, MINUTES):
                rss[minute] = rss_kb()
        src.emit("end-of-stream")
        msg = pipeline.get_bus().timed_pop_filtered(
            120 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        pipeline.set_state(Gst.State.NULL)
        self.assertIsNotNone(msg, "no EOS")
        self.assertEqual(msg.type, Gst.MessageType.EOS, msg.parse_error()[0].message
                         if msg.type == Gst.MessageType.ERROR else "")
        growth = rss[MINUTES] - rss[2]
        print("RSS after 2 min %d kB, after %d min %d kB (%+d kB)"
              % (rss[2], MINUTES, rss[MINUTES], growth))
        self.assertLess(growth, GROWTH_BOUND_KB)

        with open(loc) as f:
            docs = [json.loads(line) for line in f if line.strip()]
        # One segment a sentence, each where its speech is: the last one,
        # 9.5 minutes in, as exactly as the first.
        self.assertEqual(len(docs), len(self.starts_ms), [d["text"] for d in docs])
        for d, start in zip(docs, self.starts_ms):
            self.assertIn("cancel", d["text"])
            self.assertLess(abs(d["timestamp"] - start), 250, (d["timestamp"], start))
            self.assertLess(d["end"] - d["timestamp"], len(self.speech) * 1000 // 2 // RATE)


if __name__ == "__main__":
    unittest.main(verbosity=2)
