"""s3src's round trips, counted in moto's request log: opening and reading
an object whole is one GET (size, ETag and type come from its headers, as
curl learns them; no HEAD first); typefinding a small one costs no GET
for its jumps back (kept whole in memory), while an empty object (S3 answers its
open range with 416) and a missing key still end as before: read, or a
clear error."""
import os
import re
import tempfile
import time
import unittest

import mtfixtures
import s3fixtures as f


class S3SrcRequestsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmpdir.cleanup)
        cls.log_path = os.path.join(cls.tmpdir.name, "moto.log")
        cls.log = open(cls.log_path, "wb")
        cls.addClassCleanup(cls.log.close)
        cls.server = mtfixtures.start_moto(log=cls.log)
        cls.addClassCleanup(cls.server.stop)
        s3 = mtfixtures.boto_client("s3", cls.server.url)
        s3.create_bucket(Bucket="media")
        cls.data = f.content(3 * f.MIB + 17)
        s3.put_object(Bucket="media", Key="clip.bin", Body=cls.data)
        s3.put_object(Bucket="media", Key="empty.bin", Body=b"")
        photo = os.path.join(cls.tmpdir.name, "photo.jpg")
        mtfixtures.subprocess.run([mtfixtures.CONVERT, "-size", "320x240", "plasma:fractal",
                                   photo], check=True)
        with open(photo, "rb") as fh:
            s3.put_object(Bucket="media", Key="photo.jpg", Body=fh.read())
        cls.env = mtfixtures.gst_env(AWS_ENDPOINT_URL=cls.server.url, AWS_REGION="us-east-1",
                                     AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")

    def requests_for(self, key, run):
        """The methods of the requests for media/key that `run` made."""
        self.log.flush()
        start = os.path.getsize(self.log_path)
        result = run()
        time.sleep(0.5)  # moto logs a request after answering it
        with open(self.log_path, "rb") as fh:
            fh.seek(start)
            text = fh.read().decode("utf-8", "replace")
        return result, re.findall(r'"(\w+) /media/%s[ ?]' % re.escape(key), text)

    def test_whole_object_is_one_get(self):
        (cp, digest), methods = self.requests_for(
            "clip.bin", lambda: f.read_object("s3://media/clip.bin", self.env))
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(digest, f.sha256(self.data))
        self.assertEqual(methods, ["GET"])

    def test_typefinding_a_small_object_costs_no_jumps(self):
        # typefind reads from the start again after its first look: a small
        # object is kept whole as the first GET brings it, so the jumps cost
        # no request. One GET more comes from GstBaseSrc itself: typefind's
        # scheduling query starts and stops the source once to learn whether
        # it can pull (before, that was a HEAD, and each jump a GET).
        cp, methods = self.requests_for(
            "photo.jpg", lambda: f.launch("s3src uri=s3://media/photo.jpg ! typefind ! fakesink",
                                          self.env))
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(methods, ["GET", "GET"])

    def test_empty_object(self):
        (cp, digest), methods = self.requests_for(
            "empty.bin", lambda: f.read_object("s3://media/empty.bin", self.env))
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(digest, f.sha256(b""))
        self.assertIn("HEAD", methods)  # the 416 of the open range is not the answer

    def test_missing_key(self):
        cp, _ = self.requests_for(
            "nokey.bin", lambda: f.launch("s3src uri=s3://media/nokey.bin ! fakesink", self.env))
        self.assertNotEqual(cp.returncode, 0)
        sentence, _ = f.element_error(cp.stdout + cp.stderr)
        self.assertIn("There is no object 'nokey.bin' in bucket 'media'", sentence)


if __name__ == "__main__":
    unittest.main(verbosity=2)
