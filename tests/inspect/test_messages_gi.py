"""The element messages each element posts are the ones its page in
docs/elements/ documents under "Bus messages": each element runs offline
(local engines, the loopback bulk server) from Python through GObject
introspection (Debian's /usr/bin/python3), and every message seen must be
documented with exactly its fields and their types, and every documented
message must be seen. Errors and warnings provoked offline (bad settings,
missing caps, a stream without frames) must be in the element's "Errors
and warnings" table with their domain and code."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

import mtfixtures  # noqa: E402

ROOT = os.environ["MEDIATAG_SOURCE_ROOT"]
SAMPLE_JPG = os.path.join(ROOT, "data", "sample.jpg")
BULK_SERVER = os.path.join(ROOT, "tests", "opensearch", "bulk_server.py")

PAGES = {
    "s3src": "s3.md", "s3sink": "s3.md", "framesampler": "framesampler.md",
    "rekognitionsink": "rekognitionsink.md",
    "opensearchsink": "opensearchsink.md",
    "transcribesink": "transcribesink.md", "textractsink": "textractsink.md",
    "comprehend": "comprehend.md",
}
# Documented, but only the AWS streaming service sends what makes them
# (test_transcribesink_aws_partials sees them from the streaming fake).
NOT_OFFLINE = {("transcribesink", "transcribesink-partial")}
STREAMING_FAKE = os.path.join(ROOT, "tests", "transcribe",
                              "fake_transcribe_streaming.py")

TRANSCRIPT = json.dumps({
    "id": "t1", "asset": "file:///talk.wav", "analysis": "transcript",
    "engine": "local:pocketsphinx", "timestamp": 0, "end": 4000,
    "language": "en-US",
    "text": "Amazon Web Services opened a new office in Paris on Monday. "
            "The weather was great and everyone was happy."}) + "\n"

Gst.init(None)


def tool(argv):
    """Runs a helper that makes test input (flite, img2pdf): a peer, not
    code under test, so without the sanitizer runtime an ASan run
    preloads."""
    if shutil.which(argv[0]) is None:
        raise unittest.SkipTest("%s is not installed (tools/install-deps "
                                "installs it)" % argv[0])
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    subprocess.run(argv, check=True, env=env)


def documented(element):
    """{structure name: [(field, type)]} from the element's page."""
    with open(os.path.join(ROOT, "docs", "elements", PAGES[element]),
              encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"\n## Bus messages\n(.*?)\n## ", text, re.S)
    assert m, "docs/elements/%s has no Bus messages section" % PAGES[element]
    messages = {}
    for block in re.split(r"\n### ", "\n" + m.group(1))[1:]:
        name = re.match(r"`([^`]+)`", block).group(1)
        messages[name] = [(f, t) for f, t in re.findall(
            r"^\| `([a-z-]+)` \| (\w+) \|", block, re.M)]
    return messages


def run(launch, feed=None, timeout=120):
    """Plays a launch line to EOS; returns [(source name, structure)]."""
    pipeline = Gst.parse_launch(launch)
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    if feed is not None:
        src = pipeline.get_by_name("src")
        for data in feed:
            src.emit("push-buffer", Gst.Buffer.new_wrapped(data))
        src.emit("end-of-stream")
    seen = []
    kinds = Gst.MessageType.ELEMENT | Gst.MessageType.EOS | \
        Gst.MessageType.ERROR
    try:
        while True:
            msg = bus.timed_pop_filtered(timeout * Gst.SECOND, kinds)
            if msg is None:
                raise AssertionError("no EOS within %d s: %s" % (timeout, launch))
            if msg.type == Gst.MessageType.ERROR:
                raise AssertionError("%s: %s" % (launch, msg.parse_error()))
            if msg.type == Gst.MessageType.EOS:
                return seen
            seen.append((msg.src.get_name(), msg.get_structure().copy()))
    finally:
        pipeline.set_state(Gst.State.NULL)


def fields(structure):
    return [(structure.nth_field_name(i),
             structure.get_field_type(structure.nth_field_name(i)).name)
            for i in range(structure.n_fields())]


class Messages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mt-messages-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def check(self, element, launch, feed=None):
        """Runs the element (named e) and checks what it posted."""
        docs = documented(element)
        seen = {}
        for src, s in run(launch, feed):
            if src == "e":
                seen.setdefault(s.get_name(), []).append(s)
        for name, structures in seen.items():
            with self.subTest(element=element, message=name):
                self.assertIn(name, docs, "%s posts %s, not documented in "
                              "docs/elements/%s" % (element, name,
                                                    PAGES[element]))
                for s in structures:
                    self.assertEqual(fields(s), docs[name])
        for name in docs:
            if (element, name) in NOT_OFFLINE:
                continue
            with self.subTest(element=element, documented=name):
                self.assertIn(name, seen, "documented but not posted")
        return seen

    def check_results(self, element, seen):
        """The per-unit message's count is its results' length, and the
        summary counts what the per-unit messages carried."""
        units = seen.get(element, [])
        self.assertTrue(units)
        total = 0
        for s in units:
            results = json.loads(s.get_value("results"))
            self.assertEqual(s.get_value("count"), len(results))
            total += len(results)
        summary = seen["mediatag-summary"][0]
        self.assertEqual(summary.get_value("results") +
                         summary.get_value("errors"), total)
        self.assertEqual(seen["mediatag-backend"][0].get_value("backend"),
                         "local")

    def test_framesampler(self):
        seen = self.check(
            "framesampler",
            "videotestsrc num-buffers=20 ! video/x-raw,framerate=10/1,"
            "width=64,height=48 ! framesampler name=e "
            "frame-capture-mode=1fps post-messages=true ! fakesink")
        frames = [s.get_value("frame") for s in seen["framesampler"]]
        self.assertEqual(frames, [0, 10])

    def test_rekognitionsink(self):
        seen = self.check(
            "rekognitionsink",
            "filesrc location=%s ! jpegparse ! rekognitionsink name=e "
            "backend=local features=labels ! fakesink" % SAMPLE_JPG)
        self.check_results("rekognitionsink", seen)
        self.assertEqual(seen["rekognitionsink"][0].get_value("frame"), -1)

    def test_transcribesink(self):
        wav = os.path.join(self.tmp, "speech.wav")
        tool(["flite", "-voice", "slt", "-t",
              "please call me back tomorrow morning", "-o", wav])
        seen = self.check(
            "transcribesink",
            "filesrc location=%s ! wavparse ! audioconvert ! audioresample "
            "! audio/x-raw,format=S16LE,rate=16000,channels=1 "
            "! transcribesink name=e backend=local ! fakesink" % wav)
        self.check_results("transcribesink", seen)
        batch = seen["transcribesink"][0]
        self.assertEqual(batch.get_value("timestamp"), Gst.CLOCK_TIME_NONE)
        self.assertEqual(batch.get_value("frame"), -1)
        words = " ".join(d["text"] for d in
                         json.loads(batch.get_value("results")))
        self.assertIn("call", words)

    def test_transcribesink_aws_partials(self):
        """transcribesink-partial, from the loopback Transcribe streaming
        fake (run by the python3 that has botocore)."""
        py3 = shutil.which("python3")
        if py3 is None or subprocess.run(
                [py3, "-c", "import botocore"],
                capture_output=True).returncode != 0:
            self.skipTest("no python3 with botocore for the streaming fake")
        script = os.path.join(self.tmp, "script.json")
        with open(script, "w") as f:
            json.dump({"utterances": [{"speaker": "0", "words": [
                {"content": "Hello", "start": 0.12, "end": 0.48,
                 "confidence": 0.99},
                {"content": "world", "start": 0.52, "end": 0.95,
                 "confidence": 0.95}]}]}, f)
        wav = os.path.join(self.tmp, "hello.wav")
        tool(["flite", "-t", "Hello world.", "-o", wav])
        port = mtfixtures.free_port()
        with mtfixtures.Server([py3, STREAMING_FAKE, str(port), "--script",
                                script], port) as server:
            seen = {}
            for src, s in run(
                    "filesrc location=%s ! wavparse ! audioconvert "
                    "! audioresample ! audio/x-raw,format=S16LE,channels=1,"
                    "rate=16000 ! transcribesink name=e backend=aws "
                    "endpoint=%s region=us-east-1 access-key=testing "
                    "secret-key=testing ! fakesink" % (wav, server.url)):
                if src == "e":
                    seen.setdefault(s.get_name(), []).append(s)
        docs = documented("transcribesink")
        self.assertIn("transcribesink-partial", seen)
        for s in seen["transcribesink-partial"]:
            self.assertEqual(fields(s), docs["transcribesink-partial"])
            self.assertTrue(json.loads(s.get_value("result"))["text"])
        for name, structures in seen.items():
            self.assertIn(name, docs)
            self.assertEqual(fields(structures[0]), docs[name])

    def test_textractsink(self):
        pdf = os.path.join(self.tmp, "sample.pdf")
        tool(["img2pdf", SAMPLE_JPG, "-o", pdf])
        seen = self.check(
            "textractsink",
            "filesrc location=%s ! application/pdf ! textractsink name=e "
            "backend=local ! fakesink" % pdf)
        self.check_results("textractsink", seen)
        doc = seen["textractsink-document"][0]
        self.assertEqual(doc.get_value("media-type"), "application/pdf")
        self.assertEqual(doc.get_value("n-pages"), 1)
        self.assertEqual(doc.get_value("size"), os.path.getsize(pdf))
        self.assertEqual(seen["textractsink"][0].get_value("page"), 1)

    def test_comprehend(self):
        seen = self.check(
            "comprehend",
            "appsrc name=src caps=application/x-json format=time "
            "! comprehend name=e backend=local ! fakesink",
            feed=[TRANSCRIPT.encode()])
        self.check_results("comprehend", seen)

    def test_opensearchsink(self):
        with mtfixtures.start_python_server(BULK_SERVER) as server:
            seen = self.check(
                "opensearchsink",
                "appsrc name=src caps=application/x-json format=time "
                "! opensearchsink name=e url=%s" % server.url,
                feed=[TRANSCRIPT.encode()])
        summary = seen["opensearch-summary"][0]
        self.assertEqual(summary.get_value("indexed"), 1)
        self.assertEqual(summary.get_value("dead-lettered"), 0)

    def test_s3_elements_document_no_messages(self):
        self.assertEqual(documented("s3src"), {})


DOMAINS = {"gst-core-error-quark": ("CORE", Gst.CoreError),
           "gst-library-error-quark": ("LIBRARY", Gst.LibraryError),
           "gst-resource-error-quark": ("RESOURCE", Gst.ResourceError),
           "gst-stream-error-quark": ("STREAM", Gst.StreamError)}


def documented_errors(element):
    """{(kind, DOMAIN, CODE)} from the element's "Errors and warnings":
    table rows `| error | RESOURCE, SETTINGS / WRITE |` and the words
    `warning STREAM FORMAT` in its lists."""
    with open(os.path.join(ROOT, "docs", "elements", PAGES[element]),
              encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"\n## Errors and warnings\n(.*?)\n## ", text, re.S)
    assert m, "docs/elements/%s has no Errors and warnings" % PAGES[element]
    found = set()
    for kind, domain, codes in re.findall(
            r"^\| (error|warning|info) \| ([A-Z]+), ([A-Z_ /]+) \|",
            m.group(1), re.M):
        for code in codes.split(" / "):
            found.add((kind, domain, code.strip()))
    for kind, domain, code in re.findall(
            r"\b(error|warning|info) ([A-Z]+) ([A-Z_]{4,})\b", m.group(1)):
        found.add((kind, domain, code))
    return found


def first_problem(launch, feed=None, timeout=60):
    """Plays a launch line until its first error or warning: (kind,
    DOMAIN, CODE, message), or None at EOS."""
    pipeline = Gst.parse_launch(launch)
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    if feed is not None:
        src = pipeline.get_by_name("src")
        for data in feed:
            src.emit("push-buffer", Gst.Buffer.new_wrapped(data))
        src.emit("end-of-stream")
    kinds = Gst.MessageType.ERROR | Gst.MessageType.WARNING | \
        Gst.MessageType.EOS
    try:
        msg = bus.timed_pop_filtered(timeout * Gst.SECOND, kinds)
        if msg is None or msg.type == Gst.MessageType.EOS:
            return None
        if msg.type == Gst.MessageType.ERROR:
            kind, (err, _) = "error", msg.parse_error()
        else:
            kind, (err, _) = "warning", msg.parse_warning()
        domain, enum = DOMAINS[err.domain]
        code = enum(err.code).value_name.rsplit("_ERROR_", 1)[1]
        return kind, domain, code, err.message
    finally:
        pipeline.set_state(Gst.State.NULL)


class Errors(unittest.TestCase):
    """Errors and warnings provoked offline are in the element's table."""

    def check(self, element, launch, expected, feed=None):
        problem = first_problem(launch, feed)
        self.assertIsNotNone(problem, launch)
        self.assertEqual(problem[:3], expected, problem[3])
        self.assertIn(problem[:3], documented_errors(element), problem[3])
        return problem[3]

    def test_framesampler_without_frames(self):
        text = self.check("framesampler",
                          "videotestsrc num-buffers=0 ! framesampler "
                          "! fakesink", ("error", "STREAM", "FAILED"))
        self.assertIn("no frames", text)

    def test_rekognitionsink_without_caps(self):
        self.check("rekognitionsink",
                   "filesrc location=%s ! rekognitionsink backend=local "
                   "! fakesink" % SAMPLE_JPG, ("error", "STREAM", "FORMAT"))

    def test_rekognitionsink_feature_local_cannot_do(self):
        text = self.check("rekognitionsink",
                          "filesrc location=%s ! jpegparse ! rekognitionsink "
                          "backend=local features=labels+celebrities "
                          "! fakesink" % SAMPLE_JPG,
                          ("warning", "CORE", "NOT_IMPLEMENTED"))
        self.assertIn("celebrities", text)

    def test_textractsink_bad_pages(self):
        pdf = os.path.join(tempfile.mkdtemp(prefix="mt-errors-"), "a.pdf")
        tool(["img2pdf", SAMPLE_JPG, "-o", pdf])
        try:
            self.check("textractsink",
                       "filesrc location=%s ! application/pdf ! textractsink "
                       "backend=local pages=x-y ! fakesink" % pdf,
                       ("error", "RESOURCE", "SETTINGS"))
        finally:
            shutil.rmtree(os.path.dirname(pdf))

    def test_comprehend_line_not_json(self):
        self.check("comprehend",
                   "appsrc name=src caps=application/x-json format=time "
                   "! comprehend backend=local ! fakesink",
                   ("warning", "STREAM", "FORMAT"),
                   feed=[b"not json\n", TRANSCRIPT.encode()])

    def test_opensearchsink_bad_url(self):
        text = self.check("opensearchsink",
                   "appsrc name=src caps=application/x-json format=time "
                   "! opensearchsink url=ftp://127.0.0.1/",
                   ("error", "RESOURCE", "SETTINGS"),
                   feed=[TRANSCRIPT.encode()])
        self.assertIn("http://", text)

    def test_s3src_without_object(self):
        self.check("s3src", "s3src ! fakesink",
                   ("error", "RESOURCE", "NOT_FOUND"))

    def test_s3src_bad_uri(self):
        self.check("s3src", "s3src uri=http://example.com/x ! fakesink",
                   ("error", "RESOURCE", "SETTINGS"))

    def test_s3sink_bad_key_pattern(self):
        text = self.check("s3sink",
                   "fakesrc num-buffers=1 sizetype=fixed sizemax=16 "
                   "! s3sink bucket=b key=a%%b endpoint=http://127.0.0.1:9 "
                   "region=us-east-1 access-key=AKID secret-key=SECRET",
                   ("error", "RESOURCE", "SETTINGS"))
        self.assertIn("%d", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
