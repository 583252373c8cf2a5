"""A JPEG or WAV cut short in S3 is found as it is in a local file (the
tester's report: a truncated upload was analysed as whole): mediatag
analyze keeps its results as <asset>.incomplete.jsonl, says what is
missing and exits 3, and mediatag batch of the prefix records it failed;
the whole objects beside them are done, exit 0. S3 is moto's; the JPEG's
labels are moto's DetectLabels, the WAV's speech the local engine. Media
is made here (flite speech) or is the darknet sample photo."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import mtfixtures

TOOL = mtfixtures.TOOL
PHOTO = "/usr/share/darknet/data/dog.jpg"
MEDIA = tempfile.mkdtemp(prefix="mediatag-probe-s3-")
MOTO = None
S3 = None


def setUpModule():
    global MOTO, S3
    wav = os.path.join(MEDIA, "talk.wav")
    subprocess.run(["flite", "-t", "hello world this is a test", "-o", wav], check=True)
    MOTO = mtfixtures.start_moto()
    S3 = mtfixtures.boto_client("s3", MOTO.url)
    S3.create_bucket(Bucket="media")
    for src, name in ((PHOTO, "dog"), (wav, "talk")):
        ext = os.path.splitext(src)[1]
        with open(src, "rb") as f:
            data = f.read()
        S3.put_object(Bucket="media", Key="in/%s%s" % (name, ext), Body=data)
        S3.put_object(Bucket="media", Key="in/%s_cut%s" % (name, ext), Body=data[:len(data) // 2])


def tearDownModule():
    if MOTO:
        MOTO.stop()
    shutil.rmtree(MEDIA, ignore_errors=True)


def aws_env():
    return mtfixtures.gst_env(AWS_ENDPOINT_URL=MOTO.url, AWS_ACCESS_KEY_ID="testing",
                              AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")


def run_tool(*args):
    return subprocess.run([TOOL] + list(args), capture_output=True, text=True, env=aws_env(),
                          timeout=300)


def outputs(out):
    return sorted(f for f in os.listdir(out) if f.endswith(".jsonl"))


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# The JPEG through moto's DetectLabels (no model needed), the WAV through
# the local speech engine.
BACKEND = {"dog": ["--backend", "aws", "--features", "labels"],
           "talk": ["--backend", "local", "--features", "labels"]}
MISSING = {"dog": "the file is truncated: it ends before the JPEG's end-of-image marker",
           "talk": "the file is truncated: it has %d of the %d bytes its RIFF header declares"}


class Analyze(unittest.TestCase):
    def analyze(self, key):
        out = tempfile.mkdtemp(dir=MEDIA)
        cp = run_tool("analyze", "s3://media/in/" + key, "--out", out, "--no-thumbnails",
                      *BACKEND[key.split("_")[0].split(".")[0]])
        return cp, out

    def check_cut(self, name, ext, missing):
        cp, out = self.analyze(name + "_cut" + ext)
        self.assertEqual(cp.returncode, 3, cp.stderr)
        self.assertEqual(outputs(out), [name + "_cut.incomplete.jsonl"])
        self.assertIn("s3://media/in/%s_cut%s: incomplete: %s" % (name, ext, missing), cp.stderr)
        self.assertIn("Incomplete", cp.stdout)
        docs = read_jsonl(os.path.join(out, name + "_cut.incomplete.jsonl"))
        self.assertEqual({d["asset"] for d in docs}, {"s3://media/in/%s_cut%s" % (name, ext)})

    def check_whole(self, name, ext):
        cp, out = self.analyze(name + ext)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(outputs(out), [name + ".jsonl"])
        self.assertNotIn("truncated", cp.stderr)
        self.assertTrue(read_jsonl(os.path.join(out, name + ".jsonl")))

    def test_cut_jpeg_is_incomplete(self):
        self.check_cut("dog", ".jpg", MISSING["dog"])

    def test_whole_jpeg_is_done(self):
        self.check_whole("dog", ".jpg")

    def test_cut_wav_is_incomplete(self):
        size = S3.head_object(Bucket="media", Key="in/talk.wav")["ContentLength"]
        self.check_cut("talk", ".wav", MISSING["talk"] % (size // 2, size))

    def test_whole_wav_is_done(self):
        self.check_whole("talk", ".wav")

    def test_missing_key_names_it(self):
        cp, out = self.analyze("dog_gone.jpg")
        self.assertEqual(cp.returncode, 1, cp.stderr)
        self.assertIn("NoSuchKey", cp.stderr)
        self.assertEqual(outputs(out), [])


class Batch(unittest.TestCase):
    @unittest.skipUnless(mtfixtures.HAVE_MODELS, "vision models missing (tools/fetch-models)")
    def test_cut_objects_are_failed_whole_ones_done(self):
        out = tempfile.mkdtemp(dir=MEDIA)
        cp = run_tool("batch", "s3://media/in/", "--out", out, "--backend", "local",
                      "--features", "labels", "--no-thumbnails")
        self.assertEqual(cp.returncode, 3, cp.stderr)
        self.assertIn("2 done, 2 failed, 0 skipped in this run", cp.stderr)
        with open(os.path.join(out, ".mediatag", "ledger-0.jsonl"), encoding="utf-8") as f:
            state = {}
            for r in (json.loads(line) for line in f if line.strip()):
                state[r["path"]] = r
        self.assertEqual({p: r["state"] for p, r in state.items()},
                         {"dog.jpg": "done", "talk.wav": "done",
                          "dog_cut.jpg": "failed", "talk_cut.wav": "failed"})
        self.assertIn(MISSING["dog"], state["dog_cut.jpg"]["error"])
        self.assertIn("bytes its RIFF header declares", state["talk_cut.wav"]["error"])
        self.assertEqual(outputs(out), ["dog.jpg.jsonl", "dog_cut.jpg.incomplete.jsonl",
                                        "talk.wav.jsonl", "talk_cut.wav.incomplete.jsonl"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
