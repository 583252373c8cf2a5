#!/usr/bin/env python3
"""Benchmark: comprehend on 1,000 transcript segments (made here from a
fixed set of English sentences, seeded, with word times).

    tests/bench/bench-comprehend.py [--build build] [--segments 1000] [--repeat 3]

1. Local throughput: KB of text per second through
   `comprehend backend=local` (all three features, then each alone), the
   median of --repeat runs. Peer: the npm vader-sentiment 1.1.3 (the
   JavaScript VADER whose lexicon the local engine uses) scoring the same
   texts in node, for sentiment alone; the ratio is peer time / ours.
2. AWS calls per 1,000 segments: `comprehend backend=aws` against the
   loopback fake (tests/comprehend/fake_comprehend.py, 50 ms a call to stand
   in for the service's latency), counting the calls the fake saw, at
   max-in-flight 25 (the default) and 4 (the base's default). Peer: one
   call per feature per segment (3,000), what an engine without batching
   makes. The goal from the issue is about 3 x 1000/25 = 120.

Run on demand only: timings are not pass/fail, and on a shared machine they
move with the load, which the report prints beside them.
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "common"))
import mtfixtures as fx  # noqa: E402

FAKE = os.path.join(ROOT, "tests", "comprehend", "fake_comprehend.py")
VADER_JS = os.path.join(ROOT, "data", "nlp", "npm", "vader-sentiment-1.1.3", "package")

SENTENCES = [
    "Good evening and welcome to the news from Seattle.",
    "Doctor Sarah Chen told reporters on Tuesday that the results were very encouraging.",
    "Shares of Northern Rail Holdings dropped 8 percent after the announcement.",
    "The storm left 20,000 people without power across Houston and Dallas.",
    "I honestly think this is the worst decision the council has made in years.",
    "Our guest today is Professor Alan Brooks from Stanford University.",
    "The new bridge is 1,280 meters long and opened in March 2019.",
    "Fans in London and Paris celebrated late into the night.",
    "It was not a bad game, but the second half was really disappointing.",
    "Prices rose by 3.5 percent in the third quarter, the bank said.",
    "Thank you so much, this has been a wonderful conversation!",
    "Emily and David will travel to Tokyo next month for the conference.",
]


def segments(n, seed=1):
    rng = random.Random(seed)
    docs, t = [], 0
    for i in range(n):
        text = " ".join(rng.sample(SENTENCES, 2))
        words = []
        for w in text.split():
            words.append({"word": w, "start": t, "end": t + 250, "confidence": 0.9})
            t += 300
        docs.append({"id": "seg-%d" % i, "asset": "file:///bench.wav", "analysis": "transcript",
                     "text": text, "timestamp": words[0]["start"], "end": words[-1]["end"],
                     "detail": {"words": words}})
    return docs


def run(path, props, env):
    line = ("filesrc location=%s ! application/x-json ! comprehend %s ! fakesink" % (path, props))
    t0 = time.monotonic()
    cp = subprocess.run(["gst-launch-1.0", "-q"] + fx.pipeline_args(line), env=env,
                        capture_output=True, text=True)
    elapsed = time.monotonic() - t0
    if cp.returncode:
        sys.exit("comprehend failed:\n" + cp.stderr)
    return elapsed


def node_vader(texts, tmp):
    if not shutil.which("node") or not os.path.isdir(VADER_JS):
        return None
    src = os.path.join(tmp, "texts.json")
    with open(src, "w") as f:
        json.dump(texts, f)
    script = ("const v=require(%r);const t=require(%r);const a=process.hrtime.bigint();"
              "for(const s of t){v.SentimentIntensityAnalyzer.polarity_scores(s);}"
              "console.log(Number(process.hrtime.bigint()-a)/1e9);"
              % (os.path.join(VADER_JS, "build", "vaderSentiment.bundle.js"), src))
    cp = subprocess.run(["node", "-e", script], capture_output=True, text=True)
    return float(cp.stdout) if cp.returncode == 0 else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--segments", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    env = fx.gst_env(GST_PLUGIN_PATH=os.path.join(os.path.abspath(args.build), "plugins", "comprehend"))
    tmp = tempfile.mkdtemp(prefix="mt-bench-comprehend-")
    try:
        docs = segments(args.segments)
        path = os.path.join(tmp, "in.jsonl")
        with open(path, "w") as f:
            f.writelines(json.dumps(d) + "\n" for d in docs)
        kb = sum(len(d["text"].encode()) for d in docs) / 1024.0
        print("load: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
        print("%d segments, %.1f KB of text" % (len(docs), kb))

        print("\n1. local throughput (median of %d)" % args.repeat)
        ours = {}
        for features in ("keyphrases+entities+sentiment", "keyphrases", "entities", "sentiment"):
            t = statistics.median(run(path, "backend=local features=" + features, env)
                                  for _ in range(args.repeat))
            ours[features] = t
            print("  %-30s %6.2f s  %8.1f KB/s" % (features, t, kb / t))
        peer = node_vader([d["text"] for d in docs], tmp)
        if peer:
            print("  peer: vader-sentiment 1.1.3 in node, sentiment only: %.2f s (%.1f KB/s, "
                  "scoring only, no I/O); ratio peer/ours %.2f"
                  % (peer, kb / peer, peer / ours["sentiment"]))

        print("\n2. AWS calls per %d segments (fake Comprehend, 50 ms a call)" % len(docs))
        for mif in (25, 4):
            log = os.path.join(tmp, "fake-%d.log" % mif)
            srv = fx.start_python_server(FAKE, "--log", log, "--latency", "50")
            try:
                aws_env = dict(env, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                               AWS_REGION="us-east-1", AWS_ENDPOINT_URL=srv.url)
                t = run(path, "backend=aws max-in-flight=%d" % mif, aws_env)
            finally:
                srv.stop()
            with open(log) as f:
                calls = [json.loads(x) for x in f]
            per_1000 = len(calls) * 1000.0 / len(docs)
            texts = sum(c["n_texts"] for c in calls) / max(len(calls), 1)
            print("  max-in-flight=%-3d %5d calls (%.0f per 1,000 segments, %.1f texts a call) "
                  "in %.1f s; peer without batching 3,000: ratio %.1fx fewer"
                  % (mif, len(calls), per_1000, texts, t, 3000.0 / per_1000))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
