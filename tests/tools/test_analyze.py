"""mediatag analyze, end to end, as a user runs it: the bundled sample video
and image with the local engines, an s3:// URI served by moto with the AWS
engine, Media2Cloud aiOptions, and the clear one-line errors for bad input."""
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

import mtfixtures

TOOL = mtfixtures.TOOL
SAMPLE_VIDEO = os.path.join(mtfixtures.SOURCE_ROOT, "data", "sample.mp4")
SAMPLE_IMAGE = os.path.join(mtfixtures.SOURCE_ROOT, "data", "sample.jpg")


def run_tool(*args, env=None, timeout=600):
    return subprocess.run([TOOL, "analyze"] + list(args), capture_output=True, text=True,
                          env=env or mtfixtures.gst_env(), timeout=timeout)


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def names(docs, analysis):
    return {d["name"] for d in docs if d.get("analysis") == analysis and "track" not in d}


class BadInput(unittest.TestCase):
    def assert_one_line_error(self, cp, *words):
        self.assertNotEqual(cp.returncode, 0, cp.stderr)
        lines = [l for l in cp.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, cp.stderr)
        for w in words:
            self.assertIn(w, lines[0])
        self.assertNotIn("CRITICAL", cp.stderr)

    def test_missing_file(self):
        cp = run_tool("/nonexistent/clip.mp4", "--out", tempfile.mkdtemp())
        self.assert_one_line_error(cp, "/nonexistent/clip.mp4", "no such file")

    def test_text_file(self):
        d = tempfile.mkdtemp()
        p = os.path.join(d, "notes.txt")
        with open(p, "w") as f:
            f.write("this is not media\n" * 20)
        cp = run_tool(p, "--out", d)
        self.assert_one_line_error(cp, "notes.txt", "not a media file")
        self.assertEqual([n for n in os.listdir(d) if n.endswith(".jsonl")], [])

    def test_corrupt_file(self):
        d = tempfile.mkdtemp()
        p = os.path.join(d, "broken.mp4")
        with open(SAMPLE_VIDEO, "rb") as f:
            head = f.read(4000)
        with open(p, "wb") as f:
            f.write(head + os.urandom(3000))
        cp = run_tool(p, "--out", d)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("broken.mp4", cp.stderr)
        self.assertEqual([n for n in os.listdir(d) if n.endswith(".jsonl")], [])

    def test_bad_option_value(self):
        cp = run_tool(SAMPLE_IMAGE, "--min-confidence", "250")
        self.assert_one_line_error(cp, "--min-confidence")


class AiOptions(unittest.TestCase):
    def test_media2cloud_ai_options(self):
        d = tempfile.mkdtemp()
        ai = os.path.join(d, "ai.json")
        with open(ai, "w") as f:
            json.dump({"input": {"aiOptions": {
                "label": True, "text": True, "celeb": False, "transcribe": True,
                "keyphrase": True, "minConfidence": 65, "framebased": True,
                "frameCaptureMode": 1003,
                "textROI": [True, True, True, False, False, False, False, False, False],
            }}}, f)
        cp = run_tool(SAMPLE_VIDEO, "--ai-options", ai, "--dry-run", "--out", d)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        line = cp.stdout.strip()
        self.assertTrue(line.startswith("gst-launch-1.0 -e filesrc location="), line)
        self.assertIn("framesampler frame-capture-mode=1003", line)
        self.assertIn("features=labels+text ", line)
        self.assertIn("min-confidence=65 ", line)
        self.assertIn('text-roi="0,1,2"', line)
        # transcribe and keyphrase are honoured now (issues 12, 13: a video
        # without an audio track gets no speech branch), not named as dropped.
        self.assertNotIn("not analysed", cp.stderr)
        self.assertNotIn("transcribesink", line)

    def test_command_line_wins(self):
        d = tempfile.mkdtemp()
        ai = os.path.join(d, "ai.json")
        with open(ai, "w") as f:
            json.dump({"label": True, "minConfidence": 50}, f)
        cp = run_tool(SAMPLE_IMAGE, "--ai-options", ai, "--features", "faces",
                      "--min-confidence", "90", "--dry-run")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("features=faces ", cp.stdout)
        self.assertIn("min-confidence=90 ", cp.stdout)
        # An image is analysed whole: no frame sampling.
        self.assertNotIn("framesampler", cp.stdout)


class LocalEngines(unittest.TestCase):
    """The main job, offline, on the bundled sample."""

    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.mkdtemp()
        cls.cp = run_tool(SAMPLE_VIDEO, "--backend", "local", "--out", cls.out,
                          "--features", "labels+faces+text", "--frame-capture-mode", "1fps")
        cls.docs = read_jsonl(os.path.join(cls.out, "sample.jsonl")) if cls.cp.returncode == 0 else []

    def test_exit_and_outputs(self):
        self.assertEqual(self.cp.returncode, 0, self.cp.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.out, "sample.jsonl.part")))
        # The summary table names what was found.
        self.assertIn("analysis", self.cp.stdout)
        self.assertIn("Dog", self.cp.stdout)

    def test_dog_in_first_scene(self):
        dogs = [d for d in self.docs if d.get("analysis") == "label" and d.get("name") == "Dog"
                and "track" not in d]
        self.assertTrue(dogs, names(self.docs, "label"))
        self.assertTrue(any(d["timestamp"] < 4000 for d in dogs))
        for d in dogs:
            self.assertEqual(d["asset"].split("/")[-1], "sample.mp4")
            # 1 fps over 25 fps: sample k is frame 25k at 1000k ms.
            self.assertEqual(d["frame"] * 40, d["timestamp"])

    def test_faces_in_second_scene(self):
        faces = [d for d in self.docs if d.get("analysis") == "face" and "track" not in d]
        in_scene = {d["timestamp"] for d in faces if 4000 <= d["timestamp"] < 8000}
        self.assertGreaterEqual(len(in_scene), 3, faces)
        for d in faces:
            b = d["box"]
            self.assertTrue(0 <= b["left"] <= 1 and 0 < b["width"] <= 1, b)

    def test_sign_text_read(self):
        text = " ".join(names(self.docs, "text")).upper()
        self.assertIn("SAMPLE", text)
        self.assertIn("OPEN", text)

    def test_webvtt_tracks(self):
        vtt = os.path.join(self.out, "sample.label.vtt")
        self.assertTrue(os.path.exists(vtt), os.listdir(self.out))
        with open(vtt) as f:
            body = f.read()
        self.assertTrue(body.startswith("WEBVTT\n"))
        self.assertIn("Dog", body)
        self.assertRegex(body, r"00:00:0\d\.\d{3} --> 00:00:\d\d\.\d{3}")

    def test_ids_stable(self):
        out2 = tempfile.mkdtemp()
        cp = run_tool(SAMPLE_IMAGE, "--backend", "local", "--out", out2, "--features", "labels", "-q")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        out3 = tempfile.mkdtemp()
        cp = run_tool(SAMPLE_IMAGE, "--backend", "local", "--out", out3, "--features", "labels", "-q")
        first = [d["id"] for d in read_jsonl(os.path.join(out2, "sample.jsonl"))]
        again = [d["id"] for d in read_jsonl(os.path.join(out3, "sample.jsonl"))]
        self.assertTrue(first)
        self.assertEqual(first, again)


class LocalImage(unittest.TestCase):
    def test_sample_image(self):
        out = tempfile.mkdtemp()
        cp = run_tool(SAMPLE_IMAGE, "--backend", "local", "--out", out)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        docs = read_jsonl(os.path.join(out, "sample.jsonl"))
        labels = names(docs, "label")
        for want in ("Person", "Dog"):
            self.assertIn(want, labels)
        self.assertIn("OPEN", " ".join(names(docs, "text")).upper())
        self.assertTrue(all("frame" not in d for d in docs))
        self.assertTrue(all(d["confidence"] >= 80 for d in docs if "confidence" in d))
        self.assertEqual([f for f in os.listdir(out) if f.endswith(".vtt")], [])

    def test_min_confidence_filters(self):
        counts = {}
        for conf in ("80", "50"):
            out = tempfile.mkdtemp()
            cp = run_tool(SAMPLE_IMAGE, "--backend", "local", "--out", out, "--features", "labels",
                          "--min-confidence", conf, "-q")
            self.assertEqual(cp.returncode, 0, cp.stderr)
            docs = read_jsonl(os.path.join(out, "sample.jsonl"))
            self.assertTrue(all(d["confidence"] >= float(conf) for d in docs))
            counts[conf] = len(docs)
        # The local detector scores the grazing horse (as a sheep) near 55.
        self.assertGreater(counts["50"], counts["80"])


class Searchable(unittest.TestCase):
    """--opensearch: the results end up indexed, once, under their ids."""

    def test_index_twice_no_duplicates(self):
        server = os.path.join(mtfixtures.SOURCE_ROOT, "tests", "opensearch", "bulk_server.py")
        out = tempfile.mkdtemp()
        with mtfixtures.start_python_server(server) as bulk:
            for _ in range(2):
                cp = run_tool(SAMPLE_IMAGE, "--backend", "local", "--features", "labels+text",
                              "--out", out, "--opensearch", bulk.url, "-q")
                self.assertEqual(cp.returncode, 0, cp.stderr)
            docs = read_jsonl(os.path.join(out, "sample.jsonl"))
            import urllib.request
            with urllib.request.urlopen(bulk.url + "/mediatag/_count") as r:
                count = json.load(r)["count"]
            with urllib.request.urlopen("%s/mediatag/_doc/%s" % (bulk.url, docs[0]["id"])) as r:
                stored = json.load(r)
        self.assertTrue(docs)
        self.assertEqual(count, len(docs))
        self.assertEqual(stored["_source"]["name"], docs[0]["name"])


    def test_sigv4_for_amazon_opensearch(self):
        # A domain that takes only SigV4-signed requests (the bulk server
        # recomputes each signature with botocore): without
        # --opensearch-sigv4 the index template is refused and the asset
        # fails naming the way out (exit 1); with it the results are indexed. The local
        # engines analyse; the credentials are only the index's.
        server = os.path.join(mtfixtures.SOURCE_ROOT, "tests", "opensearch", "bulk_server.py")
        env = mtfixtures.gst_env(AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_REGION="eu-west-1",
                                 AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        with mtfixtures.start_python_server(server, "--sigv4", "eu-west-1/es", "--access-key",
                                            "AKIDEXAMPLE", "--secret-key",
                                            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY") as bulk:
            out = tempfile.mkdtemp()
            cp = run_tool(SAMPLE_IMAGE, "--backend", "local", "--features", "labels",
                          "--out", out, "--opensearch", bulk.url, "-q", env=env)
            self.assertEqual(cp.returncode, 1, cp.stderr)
            self.assertIn("refused the index template as unauthorized", cp.stderr)
            self.assertIn("--opensearch-sigv4", cp.stderr)
            self.assertFalse(os.path.exists(os.path.join(out, "sample.jsonl")))
            out = tempfile.mkdtemp()
            cp = run_tool(SAMPLE_IMAGE, "--backend", "local", "--features", "labels",
                          "--out", out, "--opensearch", bulk.url, "--opensearch-sigv4", "es",
                          "-q", env=env)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            docs = read_jsonl(os.path.join(out, "sample.jsonl"))
            import urllib.request
            with urllib.request.urlopen(bulk.url + "/_mt/stats") as r:
                stats = json.load(r)
        self.assertTrue(docs)
        self.assertGreater(stats["sigv4_checked"], 0)
        self.assertEqual(sorted(k.split("/", 1)[1] for k in stats["index_ops"]),
                         sorted(d["id"] for d in docs))
        for bad, said in ((["--opensearch-sigv4", "es"], "give the URL too"),
                          (["--opensearch", "http://x", "--opensearch-sigv4", "s3"],
                           "--opensearch-sigv4 s3: not allowed")):
            cp = run_tool(SAMPLE_IMAGE, *bad, env=env)
            self.assertEqual(cp.returncode, 2, cp.stderr)
            self.assertIn(said, cp.stderr)

class Interrupt(unittest.TestCase):
    def test_ctrl_c_keeps_partial_results_marked(self):
        out = tempfile.mkdtemp()
        p = subprocess.Popen([TOOL, "analyze", SAMPLE_VIDEO, "--backend", "local", "--out", out,
                              "--frame-capture-mode", "all", "--features", "labels"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=mtfixtures.gst_env())
        # Interrupted once results are being written (not after a fixed
        # time, which a loaded machine may not have reached any frame in).
        parts = [os.path.join(out, "sample.jsonl.part"),
                 os.path.join(out, "sample.jsonl.part.part")]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
                os.path.exists(f) and os.path.getsize(f) > 0 for f in parts):
            time.sleep(0.1)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 130, err)
        self.assertIn("incomplete", err)
        # where it stopped, as the README says: "stopped at 0:03.6 of 0:12.0"
        self.assertRegex(err, r"stopped at \d+:\d\d\.\d of \d+:\d\d\.\d; results so far in ")
        self.assertFalse(os.path.exists(os.path.join(out, "sample.jsonl")))
        partial = os.path.join(out, "sample.incomplete.jsonl")
        self.assertTrue(os.path.exists(partial), os.listdir(out))
        docs = read_jsonl(partial)
        frames = sorted({d["frame"] for d in docs if "frame" in d})
        # What was analysed is there, in order, and it stopped early.
        self.assertTrue(frames)
        self.assertLess(frames[-1], 299)


class Progress(unittest.TestCase):
    """The progress line a terminal shows: pages for a document, frames
    for a video."""

    def run_on_terminal(self, *args):
        import pty
        leader, follower = pty.openpty()
        try:
            p = subprocess.Popen([TOOL, "analyze"] + list(args), stdout=subprocess.PIPE,
                                 stderr=follower, env=mtfixtures.gst_env())
            os.close(follower)
            follower = None
            seen = bytearray()
            while True:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:         # EIO: the tool closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            p.communicate(timeout=300)
        finally:
            os.close(leader)
            if follower is not None:
                os.close(follower)
        # Each redraw starts with a carriage return.
        lines = [l.strip() for l in seen.decode(errors="replace").replace("\n", "\r").split("\r")]
        return p.returncode, [l for l in lines if l.startswith("[")]

    def test_document_counts_pages(self):
        d = tempfile.mkdtemp()
        pdf = os.path.join(d, "memo.pdf")
        mtfixtures.write_pdf(pdf, [b"BT /F1 24 Tf 72 700 Td (%s) Tj ET" % t
                                   for t in (b"First page", b"Second page", b"Third page")])
        status, bars = self.run_on_terminal(pdf, "--backend", "local", "--out", d)
        self.assertEqual(status, 0, bars)
        self.assertTrue(bars, "no progress line on a terminal")
        self.assertRegex(bars[-1], r"^\[#{30}\] 100%  3 / 3 pages")
        for bar in bars:
            self.assertNotIn("frames", bar)
            # "? pages" until textractsink has opened the document.
            self.assertRegex(bar, r"\d / [3?] pages")

    def test_video_counts_frames(self):
        d = tempfile.mkdtemp()
        status, bars = self.run_on_terminal(SAMPLE_VIDEO, "--backend", "local", "--features",
                                            "labels", "--frame-capture-mode", "1f-every-5s",
                                            "--out", d)
        self.assertEqual(status, 0, bars)
        # 12 s sampled every 5 s: frames 0, 125 and 250.
        self.assertRegex(bars[-1], r"100%  0:12\.0 / 0:12\.0  3 frames")
        self.assertFalse([b for b in bars if "pages" in b], bars)


class AwsThroughMoto(unittest.TestCase):
    def test_s3_uri_with_aws_engine(self):
        with mtfixtures.start_moto() as moto:
            s3 = mtfixtures.boto_client("s3", moto.url)
            s3.create_bucket(Bucket="media")
            s3.upload_file(SAMPLE_IMAGE, "media", "in/sample.jpg")
            out = tempfile.mkdtemp()
            env = mtfixtures.gst_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                                     AWS_REGION="us-east-1", AWS_ENDPOINT_URL=moto.url)
            cp = run_tool("s3://media/in/sample.jpg", "--out", out, "--features", "labels+text",
                          env=env)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            docs = read_jsonl(os.path.join(out, "sample.jsonl"))
        # moto's canned answers: DetectLabels "Mobile Phone", DetectText lines.
        self.assertEqual(names(docs, "label"), {"Mobile Phone"})
        self.assertIn("IT'S", names(docs, "text"))
        for d in docs:
            self.assertEqual(d["asset"], "s3://media/in/sample.jpg")
            self.assertTrue(d["engine"].startswith("aws:rekognition:"), d["engine"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
