"""The core S3 client's whole-object calls that mediatag batch publishes
and reads its ledger with (plugins/core/s3.h), against moto: a file up to
the part size is one PutObject, above it a completed multipart upload
(ETag "-N"), byte for byte; a file that cannot be read leaves no object and
no upload behind; GetObject refuses a body above its limit and names
NoSuchKey."""
import hashlib
import os
import subprocess
import sys
import tempfile
import unittest

import mtfixtures

TOOL = sys.argv.pop(1)


class S3Put(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = mtfixtures.start_moto()
        cls.s3 = mtfixtures.boto_client("s3", cls.moto.url)
        cls.s3.create_bucket(Bucket="media")
        cls.env = mtfixtures.gst_env(AWS_ENDPOINT_URL=cls.moto.url, AWS_ACCESS_KEY_ID="testing",
                                     AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
        cls.dir = tempfile.mkdtemp(prefix="s3-put-")

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def tool(self, *args):
        return subprocess.run([TOOL] + [str(a) for a in args], env=self.env,
                              capture_output=True, timeout=120)

    def file(self, name, size):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(os.urandom(size))
        return path

    def test_small_file_is_one_put_large_one_a_completed_multipart_upload(self):
        mib = 1024 * 1024
        for name, size, parts in [("small.bin", 3 * mib, None), ("large.bin", 12 * mib + 7, 3)]:
            path = self.file(name, size)
            cp = self.tool("put-file", "s3://media/out/%s +\u00e9" % name, path, 5 * mib)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            obj = self.s3.get_object(Bucket="media", Key="out/%s +\u00e9" % name)
            with open(path, "rb") as f:
                self.assertEqual(hashlib.sha256(obj["Body"].read()).digest(),
                                 hashlib.sha256(f.read()).digest())
            etag = obj["ETag"].strip('"')
            if parts:
                self.assertTrue(etag.endswith("-%d" % parts), etag)
            else:
                self.assertNotIn("-", etag)
        self.assertNotIn("Uploads", self.s3.list_multipart_uploads(Bucket="media"))

    def test_unreadable_file_leaves_nothing(self):
        cp = self.tool("put-file", "s3://media/out/none.bin", os.path.join(self.dir, "missing"), 0)
        self.assertEqual(cp.returncode, 1)
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket="media", Prefix="out/none"))

    def test_get_small_objects(self):
        self.s3.put_object(Bucket="media", Key="state/ledger-0.jsonl", Body=b'{"a": 1}\n')
        cp = self.tool("get", "s3://media/state/ledger-0.jsonl", 100)
        self.assertEqual((cp.returncode, cp.stdout), (0, b'{"a": 1}\n'))
        cp = self.tool("get", "s3://media/state/ledger-0.jsonl", 4)
        self.assertEqual(cp.returncode, 1)
        self.assertIn(b"more than the 4 expected", cp.stderr)
        cp = self.tool("get", "s3://media/state/none", 100)
        self.assertEqual(cp.returncode, 1)
        self.assertIn(b"NoSuchKey", cp.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
