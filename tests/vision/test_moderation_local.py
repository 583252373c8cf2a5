"""rekognitionsink backend=local, end to end with gst-launch-1.0: the
`faces` documents carry AgeRange, Gender and Emotions and the `moderation`
documents ModerationLabels, each `detail` checked against Rekognition's own
shapes (FaceDetail, ModerationLabel) in botocore's service model, as the AWS
engine's documents are; ordinary photos give no moderation document at the
default min-confidence."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import botocore.session
from botocore.validate import ParamValidator

from mtfixtures import CONVERT, HAVE_MODELS
from mtfixtures import FACE_DEMO as DEMO

MODEL = botocore.session.get_session().get_service_model("rekognition")


def shape_errors(value, shape_name):
    """botocore's validator run on a response shape: '' when it fits."""
    report = ParamValidator().validate(value, MODEL.shape_for(shape_name))
    return report.generate_report() if report.has_errors() else ""


@unittest.skipUnless(HAVE_MODELS, "vision models missing: run tools/fetch-models")
@unittest.skipUnless(os.path.exists(os.path.join(DEMO, "sample2.jpg")),
                     "face test photos missing: run tools/fetch-models --test-media")
class LocalFacesAndModeration(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mediatag-moderation-local-")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def launch(self, source, sink_props):
        out = os.path.join(self.dir, "out.jsonl")
        if os.path.exists(out):
            os.remove(out)
        cmd = ["gst-launch-1.0", "-q"] + source.split() + [
            "!", "rekognitionsink", "backend=local", "location=" + out] + sink_props
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, "%s\n%s%s" % (" ".join(cmd), p.stdout, p.stderr))
        self.assertNotIn("cannot do", p.stdout + p.stderr)
        with open(out) as f:
            docs = [json.loads(l) for l in f if l.strip()]
        return [d for d in docs if d["analysis"] != "track"]

    def test_faces_and_moderation_in_rekognition_shape(self):
        # Scaled and re-encoded, so the photo is not the one the library
        # tests read.
        photo = os.path.join(self.dir, "group.jpg")
        subprocess.run([CONVERT, os.path.join(DEMO, "sample2.jpg"), "-resize", "80%",
                        photo], check=True)
        src = "filesrc location=%s ! jpegparse" % photo
        faces = self.launch(src, ["features=faces"])
        # min-confidence=0: every moderation label, however unlikely.
        moderation = self.launch(src, ["features=moderation", "min-confidence=0"])
        self.assertEqual({d["analysis"] for d in faces + moderation}, {"face", "moderation"})
        self.assertEqual(len(faces), 3)
        for f in faces:
            detail = f["detail"]
            self.assertEqual(shape_errors(detail, "FaceDetail"), "")
            self.assertEqual(detail["Gender"]["Value"], "Female")
            self.assertLessEqual(detail["AgeRange"]["Low"], detail["AgeRange"]["High"])
            emotions = detail["Emotions"]
            self.assertEqual(len(emotions), 7)
            confidences = [e["Confidence"] for e in emotions]
            self.assertEqual(confidences, sorted(confidences, reverse=True))
            self.assertAlmostEqual(sum(confidences), 100, delta=0.1)
            self.assertNotIn("CONFUSED", [e["Type"] for e in emotions])
        # The network calls this photo "Sexy" (p 0.6-0.8): that label only,
        # under the default min-confidence.
        names = [d["name"] for d in moderation]
        self.assertEqual(names, ["Non-Explicit Nudity of Intimate parts and Kissing"])
        self.assertLess(moderation[0]["confidence"], 80)
        for d in moderation:
            self.assertEqual(d["engine"], "local:nsfwjs")
            self.assertEqual(shape_errors(d["detail"], "ModerationLabel"), "")
            self.assertEqual(d["detail"]["Name"], d["name"])
            self.assertEqual(d["detail"]["Confidence"], d["confidence"])
            self.assertNotIn("box", d)
        self.assertEqual((moderation[0]["detail"]["TaxonomyLevel"],
                          moderation[0]["detail"]["ParentName"]), (1, ""))

    def test_video_frames_quiet_at_default(self):
        # Raw 1280x720 frames of three ordinary photos, as a video reaches
        # the element; the default min-confidence (80) keeps them quiet,
        # and max-labels=1 caps moderation documents per frame.
        for i, src in enumerate(["/usr/share/darknet/data/person.jpg",
                                 "/usr/share/darknet/data/horses.jpg",
                                 os.path.join(DEMO, "sample5.jpg")]):
            subprocess.run([CONVERT, src, "-resize", "1280x720!",
                            os.path.join(self.dir, "f%d.png" % i)], check=True)
        frames = "multifilesrc location=%s/f%%d.png index=0 stop-index=2 caps=image/png,framerate=1/1 " \
                 "! pngdec ! videoconvert ! video/x-raw,format=I420" % self.dir
        docs = self.launch(frames, ["features=moderation"])
        self.assertEqual([d for d in docs if d["analysis"] == "moderation"], [])
        # At min-confidence 0 the group photo's frame shows what the small
        # network makes of it: explicit at p ~0.8 (confidence ~60), the
        # two levels of one finding; max-labels=1 keeps the first.
        docs = self.launch(frames, ["features=moderation", "min-confidence=0"])
        third = [d for d in docs if d["analysis"] == "moderation" and d["timestamp"] == 2000]
        self.assertEqual([(d["name"], d["detail"]["TaxonomyLevel"], d["detail"]["ParentName"])
                          for d in third],
                         [("Explicit", 1, ""), ("Explicit Nudity", 2, "Explicit")])
        self.assertEqual(third[0]["confidence"], third[1]["confidence"])
        for d in third:
            self.assertEqual(shape_errors(d["detail"], "ModerationLabel"), "")
        docs = self.launch(frames, ["features=moderation", "min-confidence=0",
                                    "max-labels=1"])
        third = [d["name"] for d in docs if d["analysis"] == "moderation"
                 and d["timestamp"] == 2000]
        self.assertEqual(third, ["Explicit"])


if __name__ == "__main__":
    if not HAVE_MODELS:
        print("vision models missing: run tools/fetch-models")
        sys.exit(77)  # meson's "skipped"
    unittest.main(verbosity=2)
