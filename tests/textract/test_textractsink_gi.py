"""textractsink driven from Python through GObject introspection (Debian's
python3): the password given from code (as the docs advise) opens an
encrypted PDF and appears in no debug log at level 6; the per-page bus
messages come in page order and the summary counts the pages; input that
starts over (byte offset 0 again) drops what was gathered; video frames
are pages in frame order.

    test_textractsink_gi.py PYENV_PYTHON3   (the fake needs botocore)
"""
import json
import os
import subprocess
import sys
import tempfile
import shutil
import unittest

PYENV_PY3 = sys.argv.pop(1) if len(sys.argv) > 1 else "python3"
PASSWORD = "gi-s3cret-Pw7"
LOG = tempfile.mktemp(prefix="mt-textract-gi-", suffix=".log")
# Before Gst.init(): every category at level 6 (LOG) into a file.
os.environ["GST_DEBUG"] = "*:6"
os.environ["GST_DEBUG_FILE"] = LOG
os.environ["GST_DEBUG_NO_COLOR"] = "1"

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import GObject, Gst  # noqa: E402

import mtfixtures as fx  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_textract.py")


def tool(argv):
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "GST_DEBUG", "GST_DEBUG_FILE"):
        env.pop(k, None)
    subprocess.run(argv, check=True, capture_output=True, env=env)


class GiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        Gst.init(None)
        cls.tmp = tempfile.mkdtemp(prefix="mt-textract-gi-")
        pngs = []
        for i, w in enumerate((300, 400, 500)):
            p = os.path.join(cls.tmp, "p%d.png" % i)
            tool([fx.CONVERT, "-size", "%dx400" % w, "xc:white", "-density", "72", "-units",
                  "PixelsPerInch", p])
            pngs.append(p)
        cls.plain = plain = os.path.join(cls.tmp, "plain.pdf")
        tool(["img2pdf", "--imgsize", "72dpi"] + pngs + ["-o", plain])
        cls.single = os.path.join(cls.tmp, "single.pdf")
        tool(["img2pdf", "--imgsize", "72dpi", pngs[0], "-o", cls.single])
        cls.locked = os.path.join(cls.tmp, "locked.pdf")
        tool(["qpdf", "--encrypt", PASSWORD, PASSWORD, "256", "--", plain, cls.locked])
        port = fx.free_port()
        cls.fake = fx.Server([PYENV_PY3, FAKE, str(port)], port)
        for k, v in dict(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                         AWS_REGION="us-east-1", AWS_ENDPOINT_URL_TEXTRACT=cls.fake.url).items():
            os.environ[k] = v

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if os.path.exists(LOG):
            os.remove(LOG)

    def run_pipeline(self, description, configure=None):
        pipeline = Gst.parse_launch(description)
        sink = pipeline.get_by_name("t")
        if configure:
            configure(sink)
        bus = pipeline.get_bus()
        pipeline.set_state(Gst.State.PLAYING)
        pages, summary = [], None
        while True:
            msg = bus.timed_pop_filtered(60 * Gst.SECOND, Gst.MessageType.ELEMENT
                                         | Gst.MessageType.EOS | Gst.MessageType.ERROR)
            self.assertIsNotNone(msg, "no EOS within 60 s")
            if msg.type == Gst.MessageType.ERROR:
                pipeline.set_state(Gst.State.NULL)
                self.fail(msg.parse_error()[0].message)
            if msg.type == Gst.MessageType.EOS:
                break
            s = msg.get_structure()
            if s.get_name() == "textractsink-document":
                self.document = s
            elif s.get_name() == "textractsink":
                pages.append((s.get_value("page"), json.loads(s.get_value("results"))))
            elif s.get_name() == "mediatag-summary":
                summary = s
        pipeline.set_state(Gst.State.NULL)
        return pages, summary

    def test_password_from_code_never_logged(self):
        def configure(sink):
            sink.set_property("password", PASSWORD)
            sink.set_property("features", "text")
            sink.set_property("dpi", 72)
            # Write-only: no way to read it back.
            self.assertFalse(sink.find_property("password").flags & GObject.ParamFlags.READABLE)

        pages, summary = self.run_pipeline(
            "filesrc location=%s ! typefind ! textractsink name=t backend=aws" % self.locked,
            configure)
        self.assertEqual([p for p, _ in pages], [1, 2, 3])
        firsts = [[d["text"].split("\n")[0] for d in docs if d["analysis"] == "document"][0]
                  for _, docs in pages]
        self.assertEqual(firsts, ["png %dx400 page 1" % w for w in (300, 400, 500)])
        self.assertEqual(summary.get_value("units"), 3)
        self.assertEqual(summary.get_value("failed"), 0)
        # Said before the pages, for progress.
        self.assertEqual(self.document.get_value("n-pages"), 3)
        self.assertEqual(self.document.get_value("pages"), 3)
        self.assertEqual(self.document.get_value("media-type"), "application/pdf")
        self.assertFalse(self.document.get_value("whole"))
        with open(LOG, errors="replace") as f:
            log = f.read()
        self.assertGreater(len(log), 10000, "the debug log was not written")
        self.assertNotIn(PASSWORD, log)

    def test_input_starting_over_drops_what_was_gathered(self):
        """A buffer at byte offset 0 (a flushing seek back to the start)
        begins the document again: the bytes before it are not kept."""
        with open(self.plain, "rb") as f:
            pdf = f.read()
        with open(self.single, "rb") as f:
            single = f.read()
        pipeline = Gst.parse_launch("appsrc name=src caps=application/pdf format=bytes "
                                    "! textractsink name=t backend=aws features=text dpi=72")
        src = pipeline.get_by_name("src")
        bus = pipeline.get_bus()
        pipeline.set_state(Gst.State.PLAYING)
        # Kept, the one-page PDF in front would make Poppler see one page.
        for data in (single, pdf):
            buf = Gst.Buffer.new_wrapped(data)
            buf.offset = 0
            src.emit("push-buffer", buf)
        src.emit("end-of-stream")
        pages, error = [], None
        while True:
            msg = bus.timed_pop_filtered(60 * Gst.SECOND, Gst.MessageType.ELEMENT
                                         | Gst.MessageType.EOS | Gst.MessageType.ERROR)
            self.assertIsNotNone(msg)
            if msg.type == Gst.MessageType.ERROR:
                error = msg.parse_error()[0].message
                break
            if msg.type == Gst.MessageType.EOS:
                break
            if msg.get_structure().get_name() == "textractsink":
                pages.append(msg.get_structure().get_value("page"))
        pipeline.set_state(Gst.State.NULL)
        self.assertIsNone(error)
        self.assertEqual(pages, [1, 2, 3])

    def test_video_frames_are_pages(self):
        pages, summary = self.run_pipeline(
            "videotestsrc num-buffers=2 ! video/x-raw,format=RGB,width=320,height=240 "
            "! textractsink name=t backend=aws features=text")
        self.assertEqual([p for p, _ in pages], [1, 2])
        for page, docs in pages:
            doc = [d for d in docs if d["analysis"] == "document"][0]
            self.assertEqual(doc["page"], page)
            self.assertEqual(doc["text"].split("\n")[0], "png 320x240 page 1")
        self.assertEqual(summary.get_value("units"), 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
