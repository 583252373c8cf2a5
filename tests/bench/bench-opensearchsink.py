#!/usr/bin/env python3
"""Benchmark: opensearchsink indexing result documents against curl posting
the same documents as pre-built bulk bodies, at the same concurrency: the
sink with bulk-concurrency=1 against one curl connection, and the sink's
default bulk-concurrency=2 against `curl --parallel --parallel-max 2`.

Both send to the loopback bulk server (tests/opensearch/bulk_server.py), by
default in its --lean mode (items answered exactly, documents not parsed or
stored) so the Python server is as little of the bottleneck as it can be;
--store uses the full server. curl gets the bodies already built, with the
same action lines and batch size the sink makes, all in one curl process
(one connection, reused); the sink reads the JSON-lines file with filesrc,
parses every line, builds the bodies and reads every item of every answer.
Runs alternate, best of N; each run is checked: the server saw every id.

  tests/bench/bench-opensearchsink.py [--docs 100000] [--runs 3] [--store]

Needs a build: --build-dir (default: build) holds plugins/opensearch. Run
on demand only: timings on a shared machine vary.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import mtfixtures  # noqa: E402

BULK_SERVER = os.path.join(HERE, "..", "opensearch", "bulk_server.py")


def result_doc(i):
    return {"id": "bench-%06d" % i, "asset": "s3://media/clip-%d.mp4" % (i // 1000),
            "analysis": "label", "engine": "aws:rekognition:DetectLabels",
            "name": "Label %d" % (i % 97), "confidence": 50 + (i % 500) / 10,
            "timestamp": i * 500, "frame": i * 12,
            "box": {"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.4},
            "detail": {"Name": "Label %d" % (i % 97), "Confidence": 50 + (i % 500) / 10,
                       "Parents": [{"Name": "Thing"}]}}


def make_inputs(tmp, n, batch):
    results = os.path.join(tmp, "results.jsonl")
    config = os.path.join(tmp, "curl.config")
    lines = [json.dumps(result_doc(i), separators=(",", ":")) for i in range(n)]
    with open(results, "w") as f:
        f.write("\n".join(lines) + "\n")
    bodies = []
    for b in range(0, n, batch):
        path = os.path.join(tmp, "body-%05d.ndjson" % (b // batch))
        with open(path, "w") as f:
            for i in range(b, min(n, b + batch)):
                action = {"index": {"_index": "mediatag", "_id": "bench-%06d" % i}}
                f.write(json.dumps(action, separators=(",", ":")) + "\n" + lines[i] + "\n")
        bodies.append(path)
    return results, bodies, config


def write_curl_config(config, bodies, url):
    with open(config, "w") as f:
        for i, body in enumerate(bodies):
            if i:
                f.write("next\n")
            # the answer the sink asks for too, so the server works the same
            f.write('url = "%s/_bulk?filter_path=errors%%2Citems.%%2A.status%%2Citems.%%2A.error"\n'
                    % url)
            f.write('data-binary = "@%s"\n' % body)
            f.write('header = "Content-Type: application/x-ndjson"\n')
            f.write('output = "/dev/null"\n')
            f.write("silent\nshow-error\nfail\n")


def stats(server):
    with urllib.request.urlopen(server.url + "/_mt/stats", timeout=60) as r:
        return json.loads(r.read())


CONTENDERS = ("curl", "opensearchsink-1", "curl-parallel-2", "opensearchsink-2")


def run_one(kind, args, results, bodies, config, env):
    server_args = [] if args.store else ["--lean"]
    with mtfixtures.start_python_server(BULK_SERVER, *server_args,
                                        log=subprocess.DEVNULL) as server:
        if kind.startswith("curl"):
            write_curl_config(config, bodies, server.url)
            argv = ["curl", "-sS", "--no-progress-meter", "-K", config]
            if kind == "curl-parallel-2":
                argv += ["--parallel", "--parallel-max", "2"]
        else:
            argv = ["gst-launch-1.0", "-q", "filesrc", "location=" + results, "!",
                    "opensearchsink", "url=" + server.url, "install-template=false",
                    "bulk-max-docs=%d" % args.batch, "bulk-max-bytes=%d" % (64 << 20),
                    "bulk-concurrency=" + kind[-1]]
        start = time.monotonic()
        subprocess.run(argv, env=env, check=True)
        elapsed = time.monotonic() - start
        s = stats(server)
        if s["bulk_items"] != args.docs or len(s["index_ops"]) != args.docs:
            raise SystemExit("%s: the server saw %d items, %d ids, not %d"
                             % (kind, s["bulk_items"], len(s["index_ops"]), args.docs))
    return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--store", action="store_true", help="full server: parse and store documents")
    ap.add_argument("--build-dir", default=os.path.join(mtfixtures.SOURCE_ROOT, "build"))
    args = ap.parse_args()

    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = os.path.join(os.path.abspath(args.build_dir), "plugins", "opensearch")
    with tempfile.TemporaryDirectory(prefix="mt-bench-os-") as tmp:
        results, bodies, config = make_inputs(tmp, args.docs, args.batch)
        size = os.path.getsize(results)
        print("%d result documents, %.1f MB of JSON lines, %d bulk bodies of %d; server: %s"
              % (args.docs, size / 1e6, len(bodies), args.batch,
                 "storing" if args.store else "lean"))
        best = dict.fromkeys(CONTENDERS)
        for run in range(args.runs):
            for kind in CONTENDERS:
                t = run_one(kind, args, results, bodies, config, env)
                print("run %d %-17s %6.2f s  %9.0f docs/s" % (run + 1, kind, t, args.docs / t))
                best[kind] = t if best[kind] is None else min(best[kind], t)
        rate = {k: args.docs / t for k, t in best.items()}
        for k in CONTENDERS:
            print("best %-17s %9.0f docs/s" % (k, rate[k]))
        print("ratio opensearchsink/curl, one request at a time: %.2f"
              % (rate["opensearchsink-1"] / rate["curl"]))
        print("ratio opensearchsink/curl, two requests at a time: %.2f"
              % (rate["opensearchsink-2"] / rate["curl-parallel-2"]))
        print("(shared machine: other work was running; figures vary between runs)")


if __name__ == "__main__":
    main()
