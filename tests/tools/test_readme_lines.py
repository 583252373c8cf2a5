"""The README's offline launch lines, run as written, on media made here.

Every `gst-launch-1.0` block in README.md whose comment says "offline" is
taken word for word (only the file names point at this test's media) and
must end by itself with exit 0 and results in its location files. The
speech line also runs on a clip whose speech is the audio track of a video
(decodebin's video pad then stays unlinked, the case that used to hang)."""
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import unittest

from mtfixtures import CONVERT, HAVE_MODELS, SOURCE_ROOT

# Peers (flite, ImageMagick, img2pdf) run without the sanitizer runtime
# that the ASan pass preloads for gst-launch-1.0.
PEER_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
SPEECH = ("Thank you for calling customer service. Your order will arrive "
          "tomorrow morning.")


def offline_lines():
    """[(comment, argv)] of the README's offline launch lines."""
    with open(os.path.join(SOURCE_ROOT, "README.md")) as f:
        text = f.read()
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        comment = None
        for stmt in re.sub(r"\\\n\s*", " ", block).splitlines():
            stmt = stmt.strip()
            if stmt.startswith("#"):
                comment = stmt
            elif stmt.startswith("gst-launch-1.0") and comment and "offline" in comment:
                lines.append((comment, shlex.split(stmt)))
    return lines


def have(program):
    return shutil.which(program) is not None


@unittest.skipUnless(HAVE_MODELS and have("flite") and have("img2pdf"),
                     "needs the local models, flite and img2pdf")
class ReadmeOfflineLines(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mediatag-readme-")
        d = cls.dir
        shutil.copy(os.path.join(SOURCE_ROOT, "data", "sample.jpg"), os.path.join(d, "photo.jpg"))
        subprocess.run(["flite", "-voice", "slt", "-t", SPEECH, "-o",
                        os.path.join(d, "speech.wav")], check=True, env=PEER_ENV)
        subprocess.run([CONVERT, "-size", "1240x700", "xc:white", "-font", "DejaVu-Sans",
                        "-pointsize", "28",
                        "-annotate", "+80+100", "ACME Supplies Ltd",
                        "-annotate", "+80+160", "Invoice No: INV-2041",
                        "-annotate", "+80+480", "Total: 49.23",
                        os.path.join(d, "invoice.png")], check=True, env=PEER_ENV)
        subprocess.run(["img2pdf", os.path.join(d, "invoice.png"), "-o",
                        os.path.join(d, "invoice.pdf")], check=True, env=PEER_ENV)
        # the same speech as the audio track of a video
        subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=125", "!",
                        "video/x-raw,width=320,height=240,framerate=25/1", "!",
                        "x264enc", "speed-preset=ultrafast", "!", "mp4mux", "name=m", "!",
                        "filesink", "location=" + os.path.join(d, "speech.mp4"),
                        "filesrc", "location=" + os.path.join(d, "speech.wav"), "!",
                        "wavparse", "!", "audioconvert", "!", "avenc_aac", "!", "m."],
                       check=True)
        cls.lines = offline_lines()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def run_line(self, argv, inputs):
        """Runs argv in the test folder with the README's input names
        pointing at `inputs`; returns the documents of each location."""
        out = tempfile.mkdtemp(dir=self.dir)
        for readme_name, ours in inputs.items():
            os.symlink(os.path.join(self.dir, ours), os.path.join(out, readme_name))
        p = subprocess.run(argv, cwd=out, capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, "%s\n%s%s" % (" ".join(argv), p.stdout, p.stderr))
        docs = {}
        for arg in argv:
            if arg.startswith("location=") and arg.endswith(".jsonl"):
                with open(os.path.join(out, arg.split("=", 1)[1])) as f:
                    docs[arg.split("=", 1)[1]] = [json.loads(l) for l in f]
        return docs

    def line(self, word):
        found = [argv for comment, argv in self.lines if word in " ".join(argv)]
        self.assertEqual(len(found), 1, "README offline lines with %s: %s" % (word, self.lines))
        return found[0]

    def test_photo(self):
        docs = self.run_line(self.line("rekognitionsink"), {"photo.jpg": "photo.jpg"})
        labels = [d["name"] for d in docs["photo.jsonl"] if d["analysis"] == "label"]
        self.assertIn("Dog", labels)

    def test_speech_then_comprehend(self):
        argv = self.line("transcribesink")
        for media in ("speech.wav", "speech.mp4"):
            docs = self.run_line(argv, {"call.wav": media})
            said = " ".join(d["text"] for d in docs["call.jsonl"])
            self.assertIn("customer service", said, media)
            nlp = docs["call.nlp.jsonl"]
            self.assertIn("keyphrase", {d["analysis"] for d in nlp}, media)
            ids = {d["id"] for d in docs["call.jsonl"]}
            self.assertTrue(all(d["source"] in ids for d in nlp), media)

    def test_document(self):
        docs = self.run_line(self.line("textractsink"), {"invoice.pdf": "invoice.pdf"})
        fields = {d["name"]: d.get("value") for d in docs["invoice.jsonl"]
                  if d["analysis"] in ("field", "expense")}
        self.assertEqual(fields.get("TOTAL"), "49.23", fields)
        self.assertEqual(fields.get("INVOICE_RECEIPT_ID"), "INV-2041", fields)


if __name__ == "__main__":
    unittest.main()
