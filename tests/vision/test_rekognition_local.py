"""rekognitionsink backend=local, end to end with gst-launch-1.0: labels of
a darknet photo, text of a rendered sign sent as raw I420 frames, face
search in a collection made with `mediatag faces`, and the errors a user
sees when a collection or a model is missing."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from mtfixtures import CONVERT, HAVE_MODELS, TOOL
from mtfixtures import FACE_DEMO as DEMO


@unittest.skipUnless(HAVE_MODELS, "vision models missing: run tools/fetch-models")
class LocalEngine(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mediatag-rekognition-local-")
        self.env = dict(os.environ, MEDIATAG_FACES_DIR=os.path.join(self.dir, "faces"))

    def tearDown(self):
        shutil.rmtree(self.dir)

    def launch(self, source, sink_props, check=True):
        out = os.path.join(self.dir, "out.jsonl")
        if os.path.exists(out):
            os.remove(out)
        cmd = ["gst-launch-1.0", "-q"] + source.split() + [
            "!", "rekognitionsink", "backend=local", "location=" + out] + sink_props
        p = subprocess.run(cmd, capture_output=True, text=True, env=self.env,
                           timeout=120)
        if check and p.returncode != 0:
            raise AssertionError("%s\n%s%s" % (" ".join(cmd), p.stdout, p.stderr))
        docs = []
        if os.path.exists(out):
            with open(out) as f:
                docs = [json.loads(l) for l in f if l.strip()]
        # Video tracks repeat findings; the per-frame documents are checked.
        return p, [d for d in docs if "track" not in d]

    def test_labels(self):
        _, docs = self.launch("filesrc location=/usr/share/darknet/data/dog.jpg ! jpegparse",
                              ["features=labels", "min-confidence=40"])
        names = {d["name"] for d in docs}
        self.assertTrue({"Dog", "Bicycle", "Animal"} <= names, names)
        dog = [d for d in docs if d["name"] == "Dog"][0]
        self.assertEqual(dog["engine"], "local:centernet")
        self.assertEqual(dog["analysis"], "label")
        # darknet's own box for the dog: left 124/768, top 207/576.
        self.assertAlmostEqual(dog["box"]["left"], 124 / 768, delta=0.05)
        self.assertAlmostEqual(dog["box"]["top"], 207 / 576, delta=0.05)
        self.assertIn({"Name": "Animal"}, dog["detail"]["Parents"])

    def test_text_from_raw_frames(self):
        sign = os.path.join(self.dir, "sign.png")
        subprocess.run([CONVERT, "-size", "1280x720", "xc:#203050", "-fill", "white",
                        "-font", "DejaVu-Sans-Bold", "-pointsize", "80", "-draw",
                        "text 200,600 'PLATFORM 9'", sign], check=True)
        _, docs = self.launch(
            "filesrc location=%s ! pngdec ! videoconvert ! video/x-raw,format=I420" % sign,
            ["features=text", "min-confidence=50", "text-roi=6,7,8"])
        lines = [d for d in docs if d["detail"]["Type"] == "LINE"]
        self.assertEqual([d["name"] for d in lines], ["PLATFORM 9"])
        words = [d for d in docs if d["detail"]["Type"] == "WORD"]
        self.assertEqual(sorted(d["name"] for d in words), ["9", "PLATFORM"])
        self.assertTrue(all(d["detail"]["ParentId"] == lines[0]["detail"]["Id"]
                            for d in words))
        self.assertGreater(lines[0]["box"]["top"], 0.66)
        # The top two thirds hold no text: the ROI keeps nothing there.
        _, docs = self.launch(
            "filesrc location=%s ! pngdec ! videoconvert" % sign,
            ["features=text", "text-roi=0,1,2,3,4,5"])
        self.assertEqual(docs, [])

    @unittest.skipUnless(os.path.exists(os.path.join(DEMO, "sample6.jpg")),
                         "face test photos missing: run tools/fetch-models --test-media")
    def test_face_search(self):
        # All four faces under one id: asked for with --max-faces.
        subprocess.run([TOOL, "faces", "index", "crew", os.path.join(DEMO, "sample6.jpg"),
                        "--external-id", "crew6", "--max-faces", "4"], check=True, env=self.env,
                       capture_output=True)
        flipped = os.path.join(self.dir, "flipped.jpg")
        subprocess.run([CONVERT, os.path.join(DEMO, "sample6.jpg"), "-flop", "-resize",
                        "60%", flipped], check=True)
        _, docs = self.launch("filesrc location=%s ! jpegparse" % flipped,
                              ["features=faces+face-search", "collection-id=crew"])
        faces = [d for d in docs if d["analysis"] == "face"]
        matches = [d for d in docs if d["analysis"] == "facematch"]
        self.assertEqual(len(faces), 4)
        self.assertEqual(len(matches), 4)
        for m in matches:
            self.assertEqual(m["name"], "crew6")
            self.assertGreaterEqual(m["confidence"], 80)
        self.assertIn("AgeRange", faces[0]["detail"])
        self.assertEqual(faces[0]["detail"]["Landmarks"][0]["Type"], "eyeLeft")
        # Strangers (sample3) match nobody in this collection.
        _, docs = self.launch("filesrc location=%s ! jpegparse" % os.path.join(DEMO, "sample3.jpg"),
                              ["features=face-search", "collection-id=crew"])
        self.assertEqual(docs, [])

    def test_missing_collection(self):
        p, _ = self.launch("filesrc location=/usr/share/darknet/data/dog.jpg ! jpegparse",
                           ["features=face-search", "collection-id=nobody"], check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("mediatag faces index nobody", p.stdout + p.stderr)

    def test_missing_models(self):
        self.env["MEDIATAG_MODELS_DIR"] = self.dir
        p, _ = self.launch("filesrc location=/usr/share/darknet/data/dog.jpg ! jpegparse",
                           ["features=labels"], check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("tools/fetch-models", p.stdout + p.stderr)


if __name__ == "__main__":
    if not HAVE_MODELS:
        print("vision models missing: run tools/fetch-models")
        sys.exit(77)  # meson's "skipped"
    unittest.main(verbosity=2)
