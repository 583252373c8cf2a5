"""`mediatag faces` end to end: index people from @vladmandic/face-api's
group photos into a collection in a temporary directory, list them, search
with a mirrored photo and with a stranger, and check the JSON a Rekognition
user would read (FaceRecords, Faces, FaceMatches)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from mtfixtures import CONVERT, HAVE_MODELS, TOOL
from mtfixtures import FACE_DEMO as DEMO


def run(*args, check=True):
    p = subprocess.run([TOOL, "faces", *args], capture_output=True, text=True,
                       timeout=60)
    if check and p.returncode != 0:
        raise AssertionError("mediatag faces %s: %s" % (" ".join(args), p.stderr))
    return p


@unittest.skipUnless(os.path.exists(os.path.join(DEMO, "sample6.jpg")),
                     "face test photos missing: run tools/fetch-models --test-media")
@unittest.skipUnless(HAVE_MODELS, "vision models missing: run tools/fetch-models")
class FacesCli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mediatag-faces-")
        self.env_dir = ["--collections-dir", self.dir]

    def tearDown(self):
        shutil.rmtree(self.dir)

    def photo(self, n):
        return os.path.join(DEMO, "sample%d.jpg" % n)

    def test_index_list_search(self):
        out = json.loads(run("index", "team", self.photo(6), "--external-id",
                             "sample6", "--max-faces", "1", *self.env_dir).stdout)
        records = out["FaceRecords"]
        self.assertEqual(len(records), 1)
        face = records[0]["Face"]
        self.assertEqual(face["ExternalImageId"], "sample6")
        self.assertGreater(face["Confidence"], 60)
        for k in ("Left", "Top", "Width", "Height"):
            self.assertTrue(0 <= face["BoundingBox"][k] <= 1)
        out = json.loads(run("index", "team", self.photo(1), "--external-id",
                             "sample1", "--max-faces", "3", *self.env_dir).stdout)
        self.assertEqual(len(out["FaceRecords"]), 3)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "team.sqlite")))

        faces = json.loads(run("list", "team", *self.env_dir).stdout)["Faces"]
        self.assertEqual(len(faces), 4)
        self.assertEqual(faces[0]["FaceId"], face["FaceId"])
        self.assertEqual(sorted(f["ExternalImageId"] for f in faces),
                         ["sample1"] * 3 + ["sample6"])

        # The largest face of sample6, mirrored, is the indexed one.
        mirrored = os.path.join(self.dir, "mirrored.jpg")
        subprocess.run([CONVERT, self.photo(6), "-flop", mirrored], check=True)
        out = json.loads(run("search", "team", mirrored, *self.env_dir).stdout)
        self.assertGreater(out["SearchedFaceConfidence"], 60)
        matches = out["FaceMatches"]
        self.assertGreaterEqual(len(matches), 1)
        self.assertEqual(matches[0]["Face"]["FaceId"], face["FaceId"])
        self.assertGreaterEqual(matches[0]["Similarity"], 80)

        # sample3's people are in neither photo.
        out = json.loads(run("search", "team", self.photo(3), *self.env_dir).stdout)
        self.assertEqual(out["FaceMatches"], [])

        # Deleted, the face is no longer found; unknown ids are named and
        # the exit status says not all were deleted.
        p = run("delete", "team", face["FaceId"], "no-such-id", *self.env_dir, check=False)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("no-such-id: no such face", p.stderr)
        self.assertEqual(json.loads(p.stdout)["DeletedFaces"], [face["FaceId"]])
        faces = json.loads(run("list", "team", *self.env_dir).stdout)["Faces"]
        self.assertEqual(len(faces), 3)
        out = json.loads(run("search", "team", mirrored, *self.env_dir).stdout)
        self.assertEqual(out["FaceMatches"], [])

    def test_errors(self):
        p = run("list", "nothing-here", *self.env_dir, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("index faces into it first", p.stderr)
        p = run("index", "team", self.photo(1), *self.env_dir, check=False)
        self.assertEqual(p.returncode, 2)  # --external-id is required
        p = run("search", "../up", self.photo(1), *self.env_dir, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("invalid collection name", p.stderr)
        # A picture with no face cannot be searched with.
        p = run("index", "team", self.photo(1), "--external-id", "x",
                "--largest-face", *self.env_dir)
        p = run("search", "team", "/usr/share/darknet/data/eagle.jpg",
                *self.env_dir, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no face found", p.stderr)

    def test_missing_models(self):
        run("index", "team", self.photo(1), "--external-id", "x", "--largest-face",
            *self.env_dir)
        p = run("search", "team", self.photo(1), "--models-dir", self.dir,
                *self.env_dir, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("tools/fetch-models", p.stderr)


if __name__ == "__main__":
    if not HAVE_MODELS:
        print("vision models missing: run tools/fetch-models")
        sys.exit(77)  # meson's "skipped"
    unittest.main(verbosity=2)
