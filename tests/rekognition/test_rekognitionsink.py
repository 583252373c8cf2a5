"""rekognitionsink as a user runs it (gst-launch-1.0), against moto and
against a loopback fake of Rekognition (fake_rekognition.py) that validates
every request with botocore's ParamValidator and answers from the service
model. Servers listen on 127.0.0.1 only and are stopped by process id.
"""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
import zlib

import mtfixtures as fx

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_rekognition.py")
DOG = "/usr/share/darknet/data/dog.jpg"
PERSON = "/usr/share/darknet/data/person.jpg"
ARN = "arn:aws:rekognition:us-east-1:123456789012:project/logos/version/logos.v1/1700000000001"
# The test environment blanks AWS_* (empty means unset for the SDKs), but
# boto3 reads an empty AWS_PROFILE as a profile named "".
for _k in [k for k, v in os.environ.items() if k.startswith("AWS_") and not v]:
    del os.environ[_k]

CREDS = dict(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")


def have_element(name):
    # Not --exists: it also wants the plugin's version to be GStreamer's.
    return subprocess.run(["gst-inspect-1.0", name], env=fx.gst_env(),
                          capture_output=True).returncode == 0


def read(path):
    with open(path, "rb") as f:
        return f.read()


def png(width, height, rows):
    """A grey PNG; rows(y) gives each row's bytes (filter byte included)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    comp = zlib.compressobj(6)
    body = b"".join(comp.compress(rows(y)) for y in range(height)) + comp.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


class SinkTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mt-rekognition-")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def fake(self, *args):
        log = os.path.join(self.tmp, "fake-%d.log" % len(self.servers))
        server = fx.start_python_server(FAKE, "--log", log, *args)
        server.log_path = log
        self.servers.append(server)
        return server

    def requests(self, server):
        if not os.path.exists(server.log_path):
            return []
        with open(server.log_path) as f:
            return [json.loads(line) for line in f]

    def assert_all_valid(self, server):
        reqs = self.requests(server)
        self.assertTrue(reqs, "no request reached the fake")
        bad = [r for r in reqs if not r["valid"] or r.get("fake_error")]
        self.assertEqual(bad, [], "requests that do not match botocore's model")
        return reqs

    def run_sink(self, src, props, endpoint=None, check=True, env=None, out="out.jsonl"):
        path = os.path.join(self.tmp, out)
        if endpoint:
            props += " endpoint=%s" % endpoint
        line = "%s ! rekognitionsink location=%s %s" % (src, path, props)
        cp = fx.gst_launch(line, env=env or fx.gst_env(**CREDS), check=check, timeout=180)
        docs = []
        if os.path.exists(path):
            with open(path) as f:
                docs = [json.loads(x) for x in f if x.strip()]
        return docs, cp

    def image_src(self, path):
        return "filesrc location=%s ! jpegparse" % path

    def one_buffer_src(self, path, caps):
        return "multifilesrc location=%s caps=%s num-buffers=1" % (path, caps)


class MotoTest(SinkTest):
    """Labels, text and custom labels: moto answers, the fake checks and
    records every request on the way (a validating proxy)."""

    @classmethod
    def setUpClass(cls):
        cls.mt = fx.start_moto()

    @classmethod
    def tearDownClass(cls):
        cls.mt.stop()

    def setUp(self):
        super().setUp()
        self.proxy = self.fake("--upstream", self.mt.url, "--model", ARN + "=RUNNING")

    def expected(self, min_confidence):
        """What moto answers, asked with boto3 directly."""
        rk = fx.boto_client("rekognition", self.mt.url)
        img = {"Bytes": read(DOG)}
        labels = rk.detect_labels(Image=img, MinConfidence=min_confidence)["Labels"]
        texts = rk.detect_text(Image=img)["TextDetections"]
        custom = rk.detect_custom_labels(Image=img, ProjectVersionArn=ARN)["CustomLabels"]
        want = []
        for lab in labels:
            for inst in lab["Instances"]:
                want.append(("label", lab["Name"], inst["Confidence"], inst["BoundingBox"]))
        for t in texts:
            if t["Confidence"] >= min_confidence:
                want.append(("text", t["DetectedText"], t["Confidence"], t["Geometry"]["BoundingBox"]))
        for c in custom:
            if c["Confidence"] >= min_confidence:
                want.append(("customlabel", c["Name"], c["Confidence"], c["Geometry"]["BoundingBox"]))
        return want

    @staticmethod
    def summary(docs):
        out = []
        for d in docs:
            b = d.get("box")
            out.append((d["analysis"], d["name"], d["confidence"],
                        {"Left": b["left"], "Top": b["top"], "Width": b["width"], "Height": b["height"]}
                        if b else None))
        return out

    def test_image_labels_text_custom_labels(self):
        docs, _ = self.run_sink(self.image_src(DOG),
                                "features=labels+text+custom-labels custom-label-models=%s "
                                "min-confidence=70" % ARN, self.proxy.url)
        self.assertEqual(self.summary(docs), self.expected(70))
        for d in docs:
            self.assertEqual(d["asset"], "file://" + DOG)
            self.assertEqual(d["timestamp"], 0)
            self.assertNotIn("frame", d)
            self.assertEqual(len(d["id"]), 32)
        self.assertEqual(len({d["id"] for d in docs}), len(docs))
        # The service's own object, verbatim.
        label = [d for d in docs if d["analysis"] == "label"][0]
        self.assertEqual(label["detail"]["Categories"], [{"Name": "Technology and Computing"}])
        reqs = self.assert_all_valid(self.proxy)
        self.assertEqual([r["op"] for r in reqs],
                         ["DescribeProjects", "DescribeProjectVersions", "DetectLabels",
                          "DetectText", "DetectCustomLabels"])
        self.assertEqual(reqs[2]["MinConfidence"], 70)
        self.assertEqual(reqs[2]["image_sha1"], hashlib.sha1(read(DOG)).hexdigest())

    def test_same_input_same_ids(self):
        props = "features=labels+text"
        a, _ = self.run_sink(self.image_src(DOG), props, self.proxy.url, out="a.jsonl")
        b, _ = self.run_sink(self.image_src(DOG), props, self.proxy.url, out="b.jsonl")
        self.assertEqual([d["id"] for d in a], [d["id"] for d in b])

    def test_min_confidence_applies_to_custom_labels(self):
        # moto's custom label is at 77.8: under the default 80 it is dropped
        # even though moto ignores MinConfidence.
        docs, _ = self.run_sink(self.image_src(DOG), "features=custom-labels custom-label-models=%s"
                                % ARN, self.proxy.url)
        self.assertEqual(docs, [])
        reqs = self.assert_all_valid(self.proxy)
        self.assertEqual(reqs[-1]["MinConfidence"], 80)

    def test_sampled_video(self):
        if not have_element("framesampler"):
            self.skipTest("framesampler is not built")
        docs, _ = self.run_sink(
            "videotestsrc num-buffers=75 ! video/x-raw,width=320,height=240,framerate=25/1 "
            "! framesampler frame-capture-mode=1fps",
            "features=labels+text+custom-labels custom-label-models=%s min-confidence=70" % ARN,
            self.proxy.url)
        frames = [d for d in docs if "track" not in d]
        tracks = [d for d in docs if "track" in d]
        want = self.expected(70)
        # One set of documents per sample, at its frame and time.
        self.assertEqual(len(frames), 3 * len(want))
        for k in range(3):
            sample = frames[k * len(want):(k + 1) * len(want)]
            self.assertEqual(self.summary(sample), want)
            self.assertEqual({(d["frame"], d["timestamp"]) for d in sample}, {(25 * k, 1000 * k)})
        # Every name seen in the three samples is one track over 0-2000 ms.
        names = sorted({(d["analysis"], d["name"]) for d in frames})
        # Tracks are their own kind, naming the analysis they track.
        self.assertEqual({t["analysis"] for t in tracks}, {"track"})
        self.assertEqual(sorted((t["kind"], t["name"]) for t in tracks), names)
        for t in tracks:
            self.assertEqual((t["track"]["begin"], t["track"]["end"]), (0, 2000))
            self.assertEqual(t["track"]["count"], 3)
        ops = [r["op"] for r in self.assert_all_valid(self.proxy)]
        self.assertEqual(sorted(ops), ["DescribeProjectVersions", "DescribeProjects"]
                         + ["DetectCustomLabels"] * 3 + ["DetectLabels"] * 3 + ["DetectText"] * 3)

    def test_raw_frames_are_encoded(self):
        docs, _ = self.run_sink("videotestsrc num-buffers=2 ! video/x-raw,format=I420,width=64,height=48",
                                "features=labels", self.proxy.url)
        self.assertEqual([d["frame"] for d in docs if "track" not in d], [0, 1])
        reqs = self.assert_all_valid(self.proxy)
        self.assertEqual([(r["image_format"], r["image_dims"]) for r in reqs], [("jpeg", [64, 48])] * 2)

    def test_location_s3(self):
        s3 = fx.boto_client("s3", self.mt.url)
        s3.create_bucket(Bucket="results")
        env = fx.gst_env(AWS_ENDPOINT_URL_REKOGNITION=self.proxy.url, AWS_ENDPOINT_URL_S3=self.mt.url,
                         **CREDS)
        line = ("%s ! rekognitionsink features=labels location=s3://results/run/dog.jsonl"
                % self.image_src(DOG))
        fx.gst_launch(line, env=env, timeout=120)
        body = s3.get_object(Bucket="results", Key="run/dog.jsonl")["Body"].read().decode()
        docs = [json.loads(x) for x in body.splitlines()]
        self.assertEqual([d["name"] for d in docs], ["Mobile Phone"])


class FakeTest(SinkTest):
    """The features moto lacks, faults and bad input, against the fake
    (throttling and 5xx on every frame: tests/core/test_throttling.py)."""

    def test_faces_search_celebrities_moderation_ppe(self):
        fake = self.fake("--collection", "people")
        docs, _ = self.run_sink(self.image_src(PERSON),
                                "features=faces+face-search+celebrities+moderation+ppe "
                                "collection-id=people", fake.url)
        by = {}
        for d in docs:
            by.setdefault(d["analysis"], []).append(d)
        # The third face (40 %) is under min-confidence, Weapons (61 %) too.
        self.assertEqual(len(by["face"]), 2)
        self.assertEqual(by["face"][0]["box"], {"left": 0.1, "top": 0.2, "width": 0.2, "height": 0.3})
        self.assertIn("AgeRange", by["face"][0]["detail"])
        self.assertEqual([(d["name"], d["confidence"]) for d in by["facematch"]],
                         [("jane-doe", 97.25)] * 2)
        self.assertEqual([d["box"] for d in by["facematch"]], [d["box"] for d in by["face"]])
        self.assertEqual([d["name"] for d in by["celebrity"]], ["Ada Lovelace"])
        self.assertEqual([d["name"] for d in by["moderation"]], ["Violence"])
        self.assertEqual([d["name"] for d in by["ppe"]], ["Person", "FACE_COVER"])
        reqs = self.assert_all_valid(fake)
        ops = [r["op"] for r in reqs]
        self.assertEqual(ops[0], "DescribeCollection")
        self.assertEqual(ops.count("DetectFaces"), 1)
        searches = [r for r in reqs if r["op"] == "SearchFacesByImage"]
        self.assertEqual(len(searches), 2)
        full = [r for r in reqs if r["op"] == "DetectFaces"][0]["image_dims"]
        for s in searches:
            # A crop around each face, at least 50x50, smaller than the image.
            w, h = s["image_dims"]
            self.assertGreaterEqual(min(w, h), 50)
            self.assertLess(w * h, full[0] * full[1])
            self.assertEqual(s["CollectionId"], "people")
            self.assertEqual(s["FaceMatchThreshold"], 80)
        self.assertEqual(reqs[ops.index("DetectFaces")]["Attributes"], ["ALL"])

    def test_max_labels(self):
        fake = self.fake()
        self.run_sink(self.image_src(DOG), "features=labels+moderation max-labels=7 min-confidence=50",
                      fake.url)
        labels, moderation = self.assert_all_valid(fake)
        self.assertEqual((labels["op"], labels["MaxLabels"], labels["MinConfidence"]),
                         ("DetectLabels", 7, 50))
        self.assertEqual((moderation["op"], moderation["MinConfidence"]), ("DetectModerationLabels", 50))

    def request_span(self, fake, n):
        times = sorted(r["time"] for r in self.assert_all_valid(fake))
        self.assertEqual(len(times), n)
        return times[-1] - times[0]

    def test_max_tps(self):
        # 8 frames at max-tps=4: slots 0.25 s apart, 1.75 s from first to
        # last (without the limit, the 8 go at once). A request can reach
        # the fake late, never before its slot: only the first one's delay
        # can shorten the span, hence the margin.
        fake = self.fake()
        docs, _ = self.run_sink("videotestsrc num-buffers=8 ! video/x-raw,width=64,height=48",
                                "features=labels max-in-flight=8 max-tps=4", fake.url)
        self.assertEqual(len({d["timestamp"] for d in docs}), 8)
        self.assertGreaterEqual(self.request_span(fake, 8), 0.75 * 7 / 4)

    def test_rate_group_shares_max_tps(self):
        # Two elements of one pipeline in one rate group: 12 requests on
        # one set of slots at 4 per second, 2.75 s; each alone would take
        # 1.25 s.
        fake = self.fake()
        a, b = os.path.join(self.tmp, "a.jsonl"), os.path.join(self.tmp, "b.jsonl")
        sink = ("queue ! rekognitionsink features=labels max-in-flight=6 max-tps=4 "
                "rate-group=shared endpoint=%s location=%%s" % fake.url)
        fx.gst_launch("videotestsrc num-buffers=6 ! video/x-raw,width=64,height=48 ! tee name=t "
                      "t. ! %s t. ! %s" % (sink % a, sink % b),
                      env=fx.gst_env(**CREDS), timeout=180)
        for path in (a, b):
            with open(path) as f:
                self.assertEqual(len({json.loads(line)["timestamp"] for line in f}), 6)
        self.assertGreaterEqual(self.request_span(fake, 12), 0.75 * 11 / 4)

    def test_text_roi(self):
        fake = self.fake()
        self.run_sink(self.image_src(DOG), "features=text text-roi=6,7,8", fake.url, out="a.jsonl")
        self.run_sink(self.image_src(DOG), "features=text text-roi=1,1,1,1,1,1,1,1,1", fake.url,
                      out="b.jsonl")
        self.run_sink(self.image_src(DOG), "features=text text-roi=0,0,1,0,0,0,0,0,0", fake.url,
                      out="c.jsonl")
        a, b, c = [r["Filters"] for r in self.assert_all_valid(fake)]
        third = 1.0 / 3
        self.assertEqual([(r["BoundingBox"]["Left"], r["BoundingBox"]["Top"]) for r in a["RegionsOfInterest"]],
                         [(0, 2 * third), (third, 2 * third), (2 * third, 2 * third)])
        self.assertNotIn("RegionsOfInterest", b)
        self.assertEqual([(r["BoundingBox"]["Left"], r["BoundingBox"]["Top"]) for r in c["RegionsOfInterest"]],
                         [(2 * third, 0)])
        self.assertEqual(a["WordFilter"]["MinConfidence"], 80)

    def test_credentials_refused(self):
        fake = self.fake("--refuse-credentials")
        docs, cp = self.run_sink("videotestsrc num-buffers=10 ! video/x-raw,width=64,height=48",
                                 "features=labels max-in-flight=1", fake.url, check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("AWS refused the request for frame 0", cp.stderr)
        self.assertIn("UnrecognizedClientException", cp.stderr)
        self.assertEqual([d for d in docs if d["analysis"] != "error"], [])
        self.assertLessEqual(len(self.requests(fake)), 2)

    def test_no_credentials(self):
        env = fx.gst_env(AWS_REGION="us-east-1")
        env.pop("AWS_ACCESS_KEY_ID", None)
        env.pop("AWS_SECRET_ACCESS_KEY", None)
        fake = self.fake()
        _, cp = self.run_sink(self.image_src(DOG), "backend=aws", fake.url, check=False, env=env)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("could not start", cp.stderr)
        self.assertIn("credentials", cp.stderr.lower())
        self.assertEqual(self.requests(fake), [])

    def test_secrets_never_logged(self):
        fake = self.fake()
        env = fx.gst_env(GST_DEBUG="rekognition*:9,analysissink:9,mediatag:9", AWS_REGION="us-east-1")
        line = ("%s ! rekognitionsink endpoint=%s access-key=AKIDEXAMPLE "
                "secret-key=SECRETwJalrXUtnFEMI session-token=TOKENsess1on" % (self.image_src(DOG), fake.url))
        cp = fx.gst_launch(line, env=env, timeout=120)
        self.assertNotIn("SECRETwJalrXUtnFEMI", cp.stderr + cp.stdout)
        self.assertNotIn("TOKENsess1on", cp.stderr + cp.stdout)
        self.assert_all_valid(fake)

    def test_bad_input(self):
        fake = self.fake()
        data = read(DOG)
        trunc = os.path.join(self.tmp, "trunc.jpg")
        with open(trunc, "wb") as f:
            f.write(data[:len(data) // 2])
        docs, _ = self.run_sink(self.one_buffer_src(trunc, "image/jpeg"), "features=labels", fake.url,
                                out="trunc.jsonl")
        self.assertEqual([d["analysis"] for d in docs], ["error"])
        self.assertIn("InvalidImageFormatException", docs[0]["error"])

        docs, _ = self.run_sink("fakesrc num-buffers=1 sizetype=fixed sizemax=0 ! image/jpeg",
                                "features=labels", fake.url, out="empty.jsonl")
        self.assertEqual([d["analysis"] for d in docs], ["error"])
        self.assertIn("empty", docs[0]["error"])

        tiny = os.path.join(self.tmp, "tiny.png")
        with open(tiny, "wb") as f:
            f.write(png(1, 1, lambda y: b"\0\x80"))
        docs, _ = self.run_sink(self.one_buffer_src(tiny, "image/png"), "features=labels", fake.url,
                                out="tiny.jsonl")
        self.assertEqual(len(docs), 1)

        huge = os.path.join(self.tmp, "huge.png")
        row = b"\0" + b"\x80" * 12000
        with open(huge, "wb") as f:
            f.write(png(12000, 12000, lambda y: row))
        docs, _ = self.run_sink(self.one_buffer_src(huge, "image/png"), "features=labels", fake.url,
                                out="huge.jsonl")
        self.assertEqual(len(docs), 1)
        self.assertIn(docs[0]["analysis"], ("label", "error"))
        self.assert_all_valid(fake)

    def test_big_image_scaled_under_limit(self):
        fake = self.fake()
        noisy = os.path.join(self.tmp, "noisy.png")
        rnd = hashlib.sha256
        # Incompressible grey noise: a PNG over the 5 MB limit.
        with open(noisy, "wb") as f:
            f.write(png(2600, 2400, lambda y: b"\0" + b"".join(
                rnd(b"%d-%d" % (y, k)).digest() for k in range(82))[:2600]))
        self.assertGreater(os.path.getsize(noisy), 5 * 1024 * 1024)
        docs, _ = self.run_sink(self.one_buffer_src(noisy, "image/png"), "features=labels", fake.url)
        self.assertEqual([d["analysis"] for d in docs], ["label"])
        (req,) = self.assert_all_valid(fake)
        self.assertLessEqual(req["image_size"], 5 * 1024 * 1024)
        self.assertEqual(req["image_format"], "jpeg")

    def test_custom_labels_get_their_own_limit(self):
        fake = self.fake("--model", ARN + "=RUNNING")
        noisy = os.path.join(self.tmp, "noisy.png")
        with open(noisy, "wb") as f:
            f.write(png(2600, 1800, lambda y: b"\0" + b"".join(
                hashlib.sha256(b"%d-%d" % (y, k)).digest() for k in range(82))[:2600]))
        size = os.path.getsize(noisy)
        # Between the custom labels limit (4 MB) and everyone else's (5 MB).
        self.assertTrue(4 * 1024 * 1024 < size < 5 * 1024 * 1024, size)
        docs, _ = self.run_sink(self.one_buffer_src(noisy, "image/png"),
                                "features=labels+custom-labels custom-label-models=%s" % ARN, fake.url)
        self.assertEqual([d["analysis"] for d in docs], ["label", "customlabel"])
        reqs = {r["op"]: r for r in self.assert_all_valid(fake)}
        self.assertEqual((reqs["DetectLabels"]["image_format"], reqs["DetectLabels"]["image_size"]),
                         ("png", size))
        self.assertEqual(reqs["DetectCustomLabels"]["image_format"], "jpeg")
        self.assertLessEqual(reqs["DetectCustomLabels"]["image_size"], 4 * 1024 * 1024)

    def test_model_not_running(self):
        fake = self.fake("--model", ARN + "=STOPPED")
        docs, cp = self.run_sink(self.image_src(DOG), "features=custom-labels custom-label-models=%s" % ARN,
                                 fake.url, check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("is STOPPED, not RUNNING", cp.stderr)
        self.assertIn("mediatag models start", cp.stderr)
        self.assertNotIn("DetectCustomLabels", [r["op"] for r in self.requests(fake)])

    def test_model_auto_start(self):
        fake = self.fake("--model", ARN + "=STOPPED", "--transition", "1.5")
        docs, _ = self.run_sink(self.image_src(DOG), "features=custom-labels custom-label-models=%s "
                                "auto-start-model=true min-inference-units=2" % ARN, fake.url)
        self.assertEqual([(d["analysis"], d["name"]) for d in docs], [("customlabel", "brand-logo")])
        reqs = self.assert_all_valid(fake)
        start = [r for r in reqs if r["op"] == "StartProjectVersion"]
        self.assertEqual([r["MinInferenceUnits"] for r in start], [2])
        self.assertEqual(reqs[-1]["op"], "DetectCustomLabels")
        self.assertEqual(reqs[-1]["status"], 200)

    def test_unknown_collection(self):
        fake = self.fake("--collection", "people")
        _, cp = self.run_sink(self.image_src(DOG), "features=face-search collection-id=nobody", fake.url,
                              check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn('face collection "nobody" does not exist', cp.stderr)

    def test_backend_local_without_engine(self):
        if os.path.exists(os.path.join(fx.SOURCE_ROOT, "plugins", "rekognition", "engine-local.c")):
            self.skipTest("this build has a local engine")
        _, cp = self.run_sink(self.image_src(DOG), "backend=local", check=False)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("has no local engine", cp.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
