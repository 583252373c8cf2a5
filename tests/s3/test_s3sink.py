"""s3sink against moto: round trips (filesrc ! s3sink, then s3src ! filesink)
for empty, small and multipart sizes; content type and metadata; one
object per buffer with %d; a pipeline stopped mid-upload leaves no object
and no pending multipart upload."""
import os
import signal
import subprocess
import tempfile
import time
import unittest

import s3fixtures as f
from s3fixtures import MIB


class S3SinkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = f.Moto().start_plain()
        cls.addClassCleanup(cls.moto.stop)
        cls.env = cls.moto.env()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def file_of(self, data):
        path = os.path.join(self.tmp.name, "in-%d" % len(data))
        with open(path, "wb") as fh:
            fh.write(data)
        return path

    def write(self, data, uri, extra=""):
        cp = f.launch('filesrc location=%s ! s3sink uri="%s" %s' % (self.file_of(data), uri, extra),
                      self.env)
        self.assertEqual(cp.returncode, 0, cp.stderr)

    def test_round_trips(self):
        cases = [("empty", 0, ""), ("small", 1000, ""),
                 ("one part exactly", 5 * MIB, "part-size=5242880"),
                 ("multipart", 12 * MIB + 7, "part-size=5242880")]
        for i, (name, size, extra) in enumerate(cases):
            with self.subTest(name):
                data = f.content(size, seed=i)
                key = "trip/%s é+.bin" % name
                self.write(data, "s3://media/%s" % key, extra)
                head = self.moto.s3.head_object(Bucket="media", Key=key)
                self.assertEqual(head["ContentLength"], size)
                cp, digest = f.read_object("s3://media/%s" % key, self.env)
                self.assertEqual(cp.returncode, 0, cp.stderr)
                self.assertEqual(digest, f.sha256(data))
                # Under one part: a single PutObject; more: a multipart ETag.
                parts = -(-size // (5 * MIB)) if extra else 1
                if size > 5 * MIB:
                    self.assertTrue(head["ETag"].endswith('-%d"' % parts), head["ETag"])
                else:
                    self.assertNotIn("-", head["ETag"])

    def test_broken_part_is_retried_alone(self):
        # The first connection to carry 3 MiB up breaks: the first 5 MiB
        # part fails mid-body and is sent again alone; the upload still has
        # exactly three parts and the object is byte-identical.
        log = tempfile.NamedTemporaryFile(prefix="cutproxy", suffix=".log", delete=False)
        self.addCleanup(os.unlink, log.name)
        proxy = f.mtfixtures.start_python_server(os.path.join(f.HERE, "cutproxy.py"),
                                                 self.moto.server.port, 3 * MIB, "--up", log=log)
        self.addCleanup(proxy.stop)
        data = f.content(12 * MIB, seed=21)
        cp = f.launch('filesrc location=%s ! s3sink uri=s3://media/retried.bin part-size=5242880'
                      % self.file_of(data), self.moto.env(AWS_ENDPOINT_URL=proxy.url))
        self.assertEqual(cp.returncode, 0, cp.stderr)
        with open(log.name) as fh:
            self.assertIn("cut after", fh.read())
        head = self.moto.s3.head_object(Bucket="media", Key="retried.bin")
        self.assertTrue(head["ETag"].endswith('-3"'), head["ETag"])
        self.assertEqual(f.sha256(self.moto.get("retried.bin")), f.sha256(data))

    def test_content_type_and_metadata(self):
        self.write(b"{}", "s3://media/meta.json",
                   'content-type=application/json metadata="meta,camera=north,take=(string)3"')
        head = self.moto.s3.head_object(Bucket="media", Key="meta.json")
        self.assertEqual(head["ContentType"], "application/json")
        self.assertEqual(head["Metadata"], {"camera": "north", "take": "3"})

    def test_one_object_per_buffer(self):
        data = f.content(3500, seed=3)
        path = self.file_of(data)
        cp = f.launch('filesrc location=%s blocksize=1000 ! s3sink uri="s3://media/frames/f %%03d.bin" '
                      'content-type=image/x-test' % path, self.env)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        keys = self.moto.keys("frames/")
        self.assertEqual(keys, ["frames/f 000.bin", "frames/f 001.bin", "frames/f 002.bin",
                                "frames/f 003.bin"])
        self.assertEqual(b"".join(self.moto.get(k) for k in keys), data)
        head = self.moto.s3.head_object(Bucket="media", Key="frames/f 003.bin")
        self.assertEqual(head["ContentType"], "image/x-test")

    def test_bad_template(self):
        cp = f.launch('fakesrc num-buffers=1 ! s3sink uri="s3://media/%d-%d"', self.env)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("not exactly one %d", cp.stderr)

    def test_missing_bucket(self):
        cp = f.launch('fakesrc num-buffers=1 ! s3sink uri=s3://no-such-bucket/k', self.env)
        self.assertNotEqual(cp.returncode, 0)
        message, debug = f.element_error(cp.stderr)
        self.assertIn("The bucket 'no-such-bucket' does not exist: check its name", message)
        self.assertIn("NoSuchBucket", debug)
        self.assertIn("s3://no-such-bucket/k", debug)

    def stop_mid_upload(self, key, extra=""):
        """Streams 64 MB slowly (about 13 MB/s) to s3sink, interrupts
        gst-launch (no EOS) once the multipart upload has parts, and waits
        for it to stop. Returns the bytes streamed."""
        data = f.content(64 * MIB, seed=31)
        argv = ["gst-launch-1.0", "-q", "filesrc", "location=%s" % self.file_of(data),
                "blocksize=65536", "!", "identity", "sleep-time=5000", "!", "s3sink",
                "uri=s3://media/%s" % key, "part-size=5242880"] + extra.split()
        proc = subprocess.Popen(argv, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                uploads = self.moto.s3.list_multipart_uploads(Bucket="media").get("Uploads", [])
                mine = [u for u in uploads if u["Key"] == key]
                if mine and self.moto.s3.list_parts(Bucket="media", Key=key,
                                                    UploadId=mine[0]["UploadId"]).get("Parts"):
                    break
                time.sleep(0.1)
            else:
                self.fail("no multipart upload with parts appeared")
            self.assertIsNone(proc.poll(), "the stream ended before the stop")
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        return data

    def test_stop_mid_upload_leaves_nothing(self):
        self.stop_mid_upload("stopped.bin")
        self.assertEqual(self.moto.keys("stopped"), [])
        uploads = self.moto.s3.list_multipart_uploads(Bucket="media").get("Uploads", [])
        self.assertEqual([u["Key"] for u in uploads if u["Key"] == "stopped.bin"], [])

    def test_stop_mid_upload_on_error_complete(self):
        data = self.stop_mid_upload("kept.bin", "on-error=complete")
        kept = self.moto.get("kept.bin")
        # What was received, in order: a prefix of the stream, a part or more.
        self.assertGreaterEqual(len(kept), 5 * MIB)
        self.assertLess(len(kept), len(data))
        self.assertEqual(f.sha256(kept), f.sha256(data[:len(kept)]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
