#!/usr/bin/python3
"""A long speech file through the local speech engine, by hand (issue 12, "a
2-hour file: bounded memory, progress"): memory over time, the times of the
last segments against where their speech was placed (drift), and what the
progress line shows.

  /usr/bin/python3 tests/bench/bench-transcribe-long.py --build build-sp \
      [--minutes 120] [--gap 2:8] [--formats wav,mp3,opus] [--keep DIR]

The file is made here: flite sentences (slt, rms, awb) and the LibriVox clips
of pocketsphinx-testdata, in turn, separated by silences of --gap MIN:MAX
seconds over a low noise floor, 16 kHz mono WAV, then MP3 and Opus of it.
Each format is run twice, as a process sampled every 2 s for its resident
memory (/proc/PID/status):

- `mediatag analyze --backend local FILE` in a pseudo-terminal, so that it
  prints its progress line (position / duration, ETA), which is kept;
- `gst-launch-1.0 filesrc ! decodebin ! audioconvert ! audioresample !
  transcribesink backend=local`.

Prints, per run: wall time and real-time factor, RSS at 10/25/50/75/100 % of
the run and the peak, the segments, the word error rate against what was
placed, and the drift: how far each of the last ten placed items' segments
start from the item's speech. No pass/fail on time.
"""
import argparse
import importlib.util
import json
import os
import pty
import random
import re
import select
import subprocess
import sys
import tempfile
import threading
import time
import wave

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RATE = 16000

_spec = importlib.util.spec_from_file_location(
    "bench_transcribe", os.path.join(os.path.dirname(__file__), "bench-transcribe.py"))
bt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bt)


def read_pcm16k(wav, tmp, env):
    """The file's samples as 16 kHz mono S16LE bytes."""
    with wave.open(wav) as w:
        if w.getframerate() == RATE and w.getnchannels() == 1:
            return w.readframes(w.getnframes())
    out = os.path.join(tmp, "conv.wav")
    subprocess.run(["sox", wav, "-r", str(RATE), "-c", "1", "-b", "16", out], check=True)
    with wave.open(out) as w:
        return w.readframes(w.getnframes())


def onset(pcm):
    for i in range(0, len(pcm), 2):
        if abs(int.from_bytes(pcm[i:i + 2], "little", signed=True)) > 500:
            return i // 2
    return 0


def speech_items(tmp, env):
    items = []
    for voice in ("slt", "rms", "awb"):
        for i, text in enumerate(bt.SENTENCES):
            wav = os.path.join(tmp, "%s-%d.wav" % (voice, i))
            subprocess.run(["flite", "-voice", voice, "-t", text, "-o", wav], check=True)
            items.append((read_pcm16k(wav, tmp, env), text))
    for wav, _, ref in bt.librivox_items():
        items.append((read_pcm16k(wav, tmp, env), ref))
    return items


def make_long_wav(path, minutes, gap, items):
    """Writes the file; returns the placements [(onset ms, end ms, text)]."""
    rnd = random.Random(7)
    noise = b"".join(rnd.randint(-30, 30).to_bytes(2, "little", signed=True)
                     for _ in range(RATE))
    total, pos, placed, k = int(minutes * 60 * RATE), 0, [], 0
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)

        def silence(n):
            while n > 0:
                m = min(n, RATE)
                w.writeframes(noise[:m * 2])
                n -= m
        while True:
            g = int(rnd.uniform(*gap) * RATE)
            pcm, text = items[k % len(items)]
            n = len(pcm) // 2
            if pos + g + n > total:
                silence(total - pos)
                break
            silence(g)
            pos += g
            w.writeframes(pcm)
            placed.append(((pos + onset(pcm)) * 1000 // RATE, (pos + n) * 1000 // RATE, text))
            pos += n
            k += 1
    return placed


def encode(wav, fmt):
    out = wav[:-4] + "." + fmt
    codec = {"mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
             "opus": ["-c:a", "libopus", "-b:a", "32k"]}[fmt]
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", wav] + codec + [out], check=True)
    return out


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return None


def run_sampled(argv, env, tty=False):
    """Runs argv, sampling its RSS every 2 s; returns (wall s, samples, the
    terminal's text when tty)."""
    text, master = [], None
    if tty:
        master, slave = pty.openpty()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)

        def reader():
            while True:
                try:
                    r, _, _ = select.select([master], [], [], 1)
                    if r:
                        data = os.read(master, 4096)
                        if not data:
                            return
                        text.append(data.decode(errors="replace"))
                except OSError:
                    return
        t = threading.Thread(target=reader, daemon=True)
        t.start()
    else:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
    start, samples = time.monotonic(), []
    while proc.poll() is None:
        kb = rss_kb(proc.pid)
        if kb:
            samples.append((time.monotonic() - start, kb))
        time.sleep(2)
    took = time.monotonic() - start
    if tty:
        t.join(5)
        os.close(master)
    if proc.returncode != 0:
        err = "".join(text) if tty else proc.stderr.read().decode()
        sys.exit("failed (%d): %s\n%s" % (proc.returncode, " ".join(argv), err[-2000:]))
    return took, samples, "".join(text)


def rss_profile(samples, took):
    out = []
    for frac in (0.1, 0.25, 0.5, 0.75, 1.0):
        before = [kb for t, kb in samples if t <= frac * took]
        out.append("%d%% %s" % (frac * 100, "%.1f MB" % (before[-1] / 1024) if before else "-"))
    return ", ".join(out) + ", peak %.1f MB" % (max(kb for _, kb in samples) / 1024)


def report(name, docs, placed, took, audio_s, samples):
    hyp = bt.normalise(" ".join(d["text"] for d in docs))
    ref = bt.normalise(" ".join(p[2] for p in placed))
    errors = bt.word_errors(hyp, ref)
    drift = []
    for start, end, _ in placed[-10:]:
        segs = [d for d in docs if d["timestamp"] < end and d["end"] > start]
        if segs:
            drift.append(segs[0]["timestamp"] - start)
    print("%-28s %6.0f s wall, RTF %.2f | RSS %s | %d segments, WER %.1f %% | "
          "last 10 items: segment start - speech onset %s ms (last segment at %s)"
          % (name, took, took / audio_s, rss_profile(samples, took), len(docs),
             100.0 * errors / max(1, len(ref.split())), drift,
             bt_time(docs[-1]["timestamp"]) if docs else "-"))
    sys.stdout.flush()


def bt_time(ms):
    return "%d:%02d:%02d.%03d" % (ms // 3600000, ms // 60000 % 60, ms // 1000 % 60, ms % 1000)


def progress_lines(text):
    """The distinct progress lines analyze drew (\\r-separated)."""
    lines = [l.strip() for l in re.split(r"[\r\n]", text) if l.strip().startswith("[")]
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--minutes", type=float, default=120)
    ap.add_argument("--gap", default="2:8", help="silence between items, MIN:MAX s")
    ap.add_argument("--formats", default="wav,mp3,opus")
    ap.add_argument("--keep", help="make the media in this folder and keep it")
    args = ap.parse_args()
    gap = tuple(float(x) for x in args.gap.split(":"))
    build = os.path.abspath(args.build)
    tmp = args.keep or tempfile.mkdtemp(prefix="bench-transcribe-long-")
    os.makedirs(tmp, exist_ok=True)
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = os.pathsep.join(
        os.path.join(build, "plugins", p) for p in os.listdir(os.path.join(build, "plugins"))
        if os.path.isdir(os.path.join(build, "plugins", p)))
    env["GST_REGISTRY"] = os.path.join(tmp, "registry.bin")
    wav = os.path.join(tmp, "long.wav")
    placed_file = os.path.join(tmp, "long.placed.json")
    if not (args.keep and os.path.exists(wav) and os.path.exists(placed_file)):
        placed = make_long_wav(wav, args.minutes, gap, speech_items(tmp, env))
        with open(placed_file, "w") as f:
            json.dump(placed, f)
    with open(placed_file) as f:
        placed = json.load(f)
    audio_s = bt.duration(wav)
    print("%s: %.0f s of audio, %d speech items (%.0f s of speech), gaps %s s"
          % (wav, audio_s, len(placed), sum(e - s for s, e, _ in placed) / 1000, args.gap))
    tool = os.path.join(build, "tools", "mediatag")
    for fmt in args.formats.split(","):
        media = wav if fmt == "wav" else encode(wav, fmt)
        out = os.path.join(tmp, "out-" + fmt)
        os.makedirs(out, exist_ok=True)
        took, samples, term = run_sampled(
            [tool, "analyze", "--backend", "local", media, "--out", out], env, tty=True)
        with open(os.path.join(out, "long.jsonl")) as f:
            docs = [json.loads(l) for l in f if l.strip()]
        docs = [d for d in docs if d.get("analysis") == "transcript"]
        report("analyze " + fmt, docs, placed, took, audio_s, samples)
        lines = progress_lines(term)
        print("  progress: %d updates; at 50 %%: %s; last: %s"
              % (len(lines), lines[len(lines) // 2] if lines else "-",
                 lines[-1] if lines else "-"))
        loc = os.path.join(tmp, "launch-%s.jsonl" % fmt)
        took, samples, _ = run_sampled(
            ["gst-launch-1.0", "-q", "filesrc", "location=" + media, "!", "decodebin", "!",
             "audioconvert", "!", "audioresample", "!", "transcribesink", "backend=local",
             "location=" + loc], env)
        with open(loc) as f:
            docs = [json.loads(l) for l in f if l.strip()]
        report("gst-launch " + fmt, docs, placed, took, audio_s, samples)


if __name__ == "__main__":
    main()
