"""Throttling never loses work (issue 10 item 4): rekognitionsink against
the loopback Rekognition fake answering 30 % of detection calls with
ThrottlingException and 5 % with HTTP 500, over 120 frames (40 in the
suite), with the default retries. Every frame must be analysed exactly once (one document
per frame, in order, no error document, one successful call per frame,
each frame's document carrying the answer to its own image, every request
matching botocore's model); the adaptive rate limiter of retry.h slows the
client down on throttling while the larger throttling budget keeps every
frame. (test_rekognitionsink.py leaves this case to this test: one run of
the faulty fake instead of two.)

    test_throttling.py FAKE_REKOGNITION_PY

Prints the throughput kept (frames/s with faults against the same run
without faults) for the report; it never fails on time.
"""
import json
import os
import shutil
import sys
import tempfile
import time
import unittest

import mtfixtures as fx

FAKE = None
# The case is 120 frames (about 2 minutes with these faults: run
# with MT_THROTTLING_FRAMES=120 for the measurement); the suite runs 40.
FRAMES = int(os.environ.get("MT_THROTTLING_FRAMES", "40"))
CREDS = dict(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")


class ThrottlingTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mt-throttling-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def run_frames(self, *fake_args):
        log = os.path.join(self.tmp, "fake-%d.log" % len(os.listdir(self.tmp)))
        fake = fx.start_python_server(FAKE, "--log", log, *fake_args)
        self.addCleanup(fake.stop)
        out = os.path.join(self.tmp, "out-%d.jsonl" % len(os.listdir(self.tmp)))
        line = ("videotestsrc num-buffers=%d pattern=ball ! "
                "video/x-raw,width=96,height=64,framerate=25/1 ! "
                "rekognitionsink features=labels max-in-flight=4 endpoint=%s location=%s"
                % (FRAMES, fake.url, out))
        start = time.monotonic()
        fx.gst_launch(line, env=fx.gst_env(**CREDS), timeout=300)
        elapsed = time.monotonic() - start
        with open(out) as f:
            docs = [json.loads(x) for x in f if x.strip()]
        with open(log) as f:
            reqs = [json.loads(x) for x in f if x.strip()]
        return docs, reqs, elapsed

    def test_every_frame_analysed_once_under_throttling(self):
        clean_docs, _, clean_s = self.run_frames("--seed", "7")
        docs, reqs, faulty_s = self.run_frames("--throttle", "0.3", "--fail", "0.05",
                                               "--seed", "7")
        frames = [d for d in docs if d["analysis"] != "track" and "track" not in d]
        errors = [d for d in frames if d["analysis"] == "error"]
        self.assertEqual(errors, [], "frames lost to throttling")
        self.assertEqual([d["analysis"] for d in frames], ["label"] * FRAMES,
                         "an error document or a gap")
        self.assertEqual([d["frame"] for d in frames], list(range(FRAMES)))
        self.assertTrue(reqs, "no request reached the fake")
        bad = [r for r in reqs if not r["valid"] or r.get("fake_error")]
        self.assertEqual(bad, [], "requests that do not match botocore's model")
        statuses = [r["status"] for r in reqs]
        self.assertGreater(statuses.count(400), 0, "the fake throttled nothing")
        self.assertGreater(statuses.count(500), 0, "the fake failed nothing")
        ok = [r for r in reqs if r["status"] == 200]
        self.assertEqual(len(ok), FRAMES, "a frame analysed twice or never")
        self.assertEqual(len({r["image_sha1"] for r in ok}), FRAMES)
        # And each frame's document carries the answer for its own image.
        self.assertEqual({d["name"] for d in frames},
                         {"img-" + r["image_sha1"][:10] for r in ok})
        self.assertEqual(len(clean_docs), len(docs))
        sys.stderr.write(
            "throughput: %.1f frames/s with 30%% throttled + 5%% HTTP 500 (%d requests), "
            "%.1f frames/s without faults: %.0f%% kept\n"
            % (FRAMES / faulty_s, len(reqs), FRAMES / clean_s, 100.0 * clean_s / faulty_s))


if __name__ == "__main__":
    FAKE = sys.argv.pop(1)
    unittest.main()
