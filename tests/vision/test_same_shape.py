"""One launch line, two engines: `rekognitionsink backend=aws` against moto
and `backend=local` offline give documents of the same shape, so what reads
results (opensearchsink, the index template, a user's queries) does not
care which engine made them."""
import json
import os
import subprocess
import tempfile
import unittest

import mtfixtures

SAMPLE = os.path.join(mtfixtures.SOURCE_ROOT, "data", "sample.jpg")


def run(backend, env):
    out = os.path.join(tempfile.mkdtemp(), "out.jsonl")
    line = ("filesrc location=%s ! jpegparse ! rekognitionsink features=labels+text "
            "min-confidence=50 backend=%s location=%s" % (SAMPLE, backend, out))
    mtfixtures.gst_launch(line, env=env, timeout=120)
    with open(out) as f:
        return [json.loads(l) for l in f if l.strip()]


def shape(docs, analysis):
    """Top-level keys and `detail` keys of the documents of one analysis."""
    top, detail = set(), set()
    for d in docs:
        if d["analysis"] == analysis:
            top |= set(d)
            detail |= set(d["detail"])
    return top, detail


@unittest.skipUnless(mtfixtures.HAVE_MODELS,
                     "vision models missing: run tools/fetch-models")
class SameShape(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.local = run("local", mtfixtures.gst_env())
        with mtfixtures.start_moto() as moto:
            env = mtfixtures.gst_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                                     AWS_REGION="us-east-1", AWS_ENDPOINT_URL=moto.url)
            cls.aws = run("aws", env)

    def test_both_found_something(self):
        for docs in (self.local, self.aws):
            self.assertEqual({d["analysis"] for d in docs}, {"label", "text"})

    def test_engines_named(self):
        self.assertTrue(all(d["engine"].startswith("local:") for d in self.local))
        self.assertTrue(all(d["engine"].startswith("aws:rekognition:") for d in self.aws))

    def test_labels_same_shape(self):
        local_top, local_detail = shape(self.local, "label")
        aws_top, aws_detail = shape(self.aws, "label")
        self.assertEqual(local_top, aws_top)
        # Rekognition's Label fields that the local engine fills in too.
        for key in ("Name", "Confidence", "Instances", "Parents"):
            self.assertIn(key, local_detail)
            self.assertIn(key, aws_detail)

    def test_text_same_shape(self):
        local_top, local_detail = shape(self.local, "text")
        aws_top, aws_detail = shape(self.aws, "text")
        self.assertEqual(local_top, aws_top)
        for key in ("DetectedText", "Type", "Confidence", "Geometry", "Id"):
            self.assertIn(key, local_detail)
            self.assertIn(key, aws_detail)

    def test_common_fields(self):
        for d in self.local + self.aws:
            self.assertEqual(len(d["id"]), 32)
            self.assertTrue(d["asset"].endswith("/data/sample.jpg"), d["asset"])
            self.assertTrue(0 <= d["confidence"] <= 100)
            if "box" in d:
                b = d["box"]
                self.assertTrue(0 <= b["left"] <= 1 and 0 <= b["top"] <= 1)
                self.assertTrue(0 < b["width"] <= 1 and 0 < b["height"] <= 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
