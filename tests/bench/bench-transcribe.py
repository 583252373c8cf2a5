#!/usr/bin/python3
"""transcribesink backend=local next to the pocketsphinx_continuous CLI, on
the same files with the same model: word error rate and speed.

  /usr/bin/python3 tests/bench/bench-transcribe.py [--build build-tx] [--repeat 3]
      [--narrowband]

Inputs:
- the LibriVox clips of Debian's pocketsphinx-testdata (5 clips, 71 words,
  /usr/share/pocketsphinx/test/data/librivox, reference in `transcription`);
- flite voices (slt, rms, awb at 16 kHz; kal at 8 kHz, which the CLI only
  takes upsampled to 16 kHz, so it gets the audioresample'd file);
- with --narrowband, all of them at 8 kHz (sox): the element's telephone
  path, next to the CLI on the same audio upsampled to 16 kHz.

Both sides run as a process per file, model load included (as a user runs
them): gst-launch-1.0 `filesrc ! wavparse ! audioconvert ! audioresample !
transcribesink backend=local location=...` against `pocketsphinx_continuous
-infile`. Times are medians of --repeat runs, as CPU time (user + system,
what a loaded shared machine distorts least) and wall-clock time; speed is
the CLI's time over the element's. Prints ratios; no pass/fail on time.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import wave

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LIBRIVOX = "/usr/share/pocketsphinx/test/data/librivox"

SENTENCES = [
    "the quick brown fox jumps over the lazy dog",
    "please call the customer service department before noon tomorrow",
    "the weather will be sunny and warm this afternoon",
    "i would like to cancel my order",
    "my account number is four five six seven",
    "the meeting has been moved to thursday at three o'clock",
    "turn left at the next intersection and continue for two miles",
    "she sells sea shells by the sea shore",
]


def word_errors(hyp, ref):
    h, r = hyp.split(), ref.split()
    d = list(range(len(r) + 1))
    for i in range(1, len(h) + 1):
        prev, d[0] = d[:], i
        for j in range(1, len(r) + 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (h[i - 1] != r[j - 1]))
    return d[len(r)]


def normalise(text):
    return " ".join(w for w in text.lower().replace("'", "").split())


def duration(wav):
    with wave.open(wav) as w:
        return w.getnframes() / w.getframerate()


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(argv, env=None):
    """Runs argv; returns its stdout, wall time and CPU time (user + system:
    the fairer measure on a shared machine)."""
    start, cpu = time.monotonic(), children_cpu()
    out = subprocess.run(argv, capture_output=True, text=True, env=env)
    took, cpu = time.monotonic() - start, children_cpu() - cpu
    if out.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(argv), out.stderr[-2000:]))
    return out.stdout, (took, cpu)


def run_cli(wav):
    out, took = timed(["pocketsphinx_continuous", "-infile", wav] + CLI_ARGS)
    return " ".join(line.strip() for line in out.splitlines() if line.strip()), took


# Settings given to the CLI (--cli-args): none, its defaults, which are the
# element's.
CLI_ARGS = []


def run_element(wav, env, tmp):
    loc = os.path.join(tmp, "out.jsonl")
    _, took = timed(["gst-launch-1.0", "-q", "filesrc", "location=" + wav, "!", "wavparse", "!",
                     "audioconvert", "!", "audioresample", "!", "transcribesink",
                     "backend=local", "location=" + loc], env)
    with open(loc) as f:
        docs = [json.loads(line) for line in f if line.strip()]
    return " ".join(d["text"] for d in docs), took


def measure(name, items, env, tmp, repeat):
    """items: (wav for the element, wav for the CLI, reference). Prints one
    table row and returns the totals: errors, words, wall, CPU."""
    totals = {"cli": [0, 0, 0.0, 0.0], "element": [0, 0, 0.0, 0.0]}
    audio = 0.0
    for wav, cli_wav, ref in items:
        audio += duration(wav)
        ref = normalise(ref)
        for side, fn in (("cli", lambda: run_cli(cli_wav)),
                         ("element", lambda: run_element(wav, env, tmp))):
            runs = [fn() for _ in range(repeat)]
            hyp = normalise(runs[0][0])
            t = totals[side]
            t[0] += word_errors(hyp, ref)
            t[1] += len(ref.split())
            t[2] += statistics.median(r[1][0] for r in runs)
            t[3] += statistics.median(r[1][1] for r in runs)
    cli, el = totals["cli"], totals["element"]
    print("%-20s %5.1f s | WER cli %5.1f %% (%d/%d) element %5.1f %% (%d/%d) | "
          "RTF (CPU) cli %.2f element %.2f, speed %.2fx | RTF (wall) cli %.2f "
          "element %.2f, speed %.2fx"
          % (name, audio, 100.0 * cli[0] / cli[1], cli[0], cli[1],
             100.0 * el[0] / el[1], el[0], el[1], cli[3] / audio, el[3] / audio,
             cli[3] / el[3], cli[2] / audio, el[2] / audio, cli[2] / el[2]))
    sys.stdout.flush()
    return totals


def librivox_items():
    refs = {}
    with open(os.path.join(LIBRIVOX, "transcription")) as f:
        for line in f:
            text, _, uttid = line.rpartition("(")
            words = [w for w in text.split() if w not in ("<s>", "</s>")]
            refs[uttid.strip(" )\n")] = " ".join(words)
    return [(os.path.join(LIBRIVOX, u + ".wav"), os.path.join(LIBRIVOX, u + ".wav"), r)
            for u, r in sorted(refs.items())]


def flite_items(voice, tmp, env):
    items = []
    for i, text in enumerate(SENTENCES):
        wav = os.path.join(tmp, "%s-%d.wav" % (voice, i))
        subprocess.run(["flite", "-voice", voice, "-t", text, "-o", wav], check=True)
        cli_wav = wav
        if duration(wav) and wave.open(wav).getframerate() != 16000:
            cli_wav = os.path.join(tmp, "%s-%d-16k.wav" % (voice, i))
            subprocess.run(["gst-launch-1.0", "-q", "filesrc", "location=" + wav, "!", "wavparse",
                            "!", "audioconvert", "!", "audioresample", "!",
                            "audio/x-raw,rate=16000,channels=1,format=S16LE", "!", "wavenc",
                            "!", "filesink", "location=" + cli_wav], check=True, env=env)
        items.append((wav, cli_wav, text))
    return items


def narrowband(items, name, tmp, env):
    """The items brought down to 8 kHz (sox): the element gets them at 8 kHz
    (its narrow-band path), the CLI upsampled to 16 kHz again."""
    out = []
    for i, (wav, _, ref) in enumerate(items):
        w8 = os.path.join(tmp, "%s-%d-8k.wav" % (name, i))
        w16 = os.path.join(tmp, "%s-%d-8k-16k.wav" % (name, i))
        subprocess.run(["sox", wav, "-r", "8000", w8], check=True)
        subprocess.run(["sox", w8, "-r", "16000", w16], check=True)
        out.append((w8, w16, ref))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cli-args", default="", help="extra pocketsphinx_continuous options")
    ap.add_argument("--narrowband", action="store_true",
                    help="the same speech at 8 kHz (telephone rate) instead")
    args = ap.parse_args()
    CLI_ARGS.extend(args.cli_args.split())
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = os.path.join(os.path.abspath(args.build), "plugins", "transcribe")
    with tempfile.TemporaryDirectory(prefix="bench-transcribe-") as tmp:
        env["GST_REGISTRY"] = os.path.join(tmp, "registry.bin")
        print("transcribesink backend=local vs pocketsphinx_continuous (same model, "
              "process per file, median of %d)" % args.repeat)
        if args.narrowband:
            measure("librivox 8 kHz", narrowband(librivox_items(), "lv", tmp, env), env, tmp,
                    args.repeat)
            for voice in ("slt", "rms", "awb"):
                measure("flite %s 8 kHz" % voice,
                        narrowband(flite_items(voice, tmp, env), voice, tmp, env), env, tmp,
                        args.repeat)
            measure("flite kal (8 kHz)", flite_items("kal", tmp, env), env, tmp, args.repeat)
            return
        measure("librivox (5 clips)", librivox_items(), env, tmp, args.repeat)
        for voice in ("slt", "rms", "awb", "kal"):
            measure("flite %s%s" % (voice, " (8 kHz)" if voice == "kal" else ""),
                    flite_items(voice, tmp, env), env, tmp, args.repeat)


if __name__ == "__main__":
    main()
