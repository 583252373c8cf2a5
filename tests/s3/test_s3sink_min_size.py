"""s3sink and short objects, against moto: EOS means "the stream is whole",
so `gst-launch-1.0 -e` stopped by Ctrl-C stores what was received under the
final key (documented in docs/elements/s3.md); min-size makes s3sink refuse
such an object: the upload is aborted, nothing is stored, and the pipeline
fails with an error naming the sizes."""
import os
import signal
import subprocess
import tempfile
import time
import unittest

import s3fixtures as f
from s3fixtures import MIB


class S3SinkMinSizeTest(unittest.TestCase):
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

    def pending_uploads(self, key):
        uploads = self.moto.s3.list_multipart_uploads(Bucket="media").get("Uploads", [])
        return [u for u in uploads if u["Key"] == key]

    def ctrl_c_with_eos(self, key, extra=""):
        """Streams 24 MiB slowly to s3sink under `gst-launch-1.0 -e`, sends
        SIGINT (so EOS) once a part is up, and returns (data, process)."""
        data = f.content(24 * MIB, seed=7)
        argv = ["gst-launch-1.0", "-q", "-e", "filesrc", "location=%s" % self.file_of(data),
                "blocksize=65536", "!", "identity", "sleep-time=5000", "!", "s3sink",
                "uri=s3://media/%s" % key, "part-size=5242880"] + extra.split()
        proc = subprocess.Popen(argv, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                mine = self.pending_uploads(key)
                if mine and self.moto.s3.list_parts(Bucket="media", Key=key,
                                                    UploadId=mine[0]["UploadId"]).get("Parts"):
                    break
                time.sleep(0.1)
            else:
                self.fail("no multipart upload with parts appeared")
            self.assertIsNone(proc.poll(), "the stream ended before the stop")
            proc.send_signal(signal.SIGINT)
            _, proc.err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        return data, proc

    def test_ctrl_c_with_eos_stores_a_prefix_under_the_final_key(self):
        data, proc = self.ctrl_c_with_eos("eos-cut.bin")
        self.assertEqual(proc.returncode, 0, proc.err)
        kept = self.moto.get("eos-cut.bin")
        self.assertGreaterEqual(len(kept), 5 * MIB)
        self.assertLess(len(kept), len(data))
        self.assertEqual(f.sha256(kept), f.sha256(data[:len(kept)]))

    def test_ctrl_c_with_eos_and_min_size_stores_nothing(self):
        data, proc = self.ctrl_c_with_eos("eos-refused.bin", "min-size=%d" % (24 * MIB))
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("short of min-size %d" % (24 * MIB), proc.err)
        self.assertIn("nothing was stored at s3://media/eos-refused.bin", proc.err)
        self.assertEqual(self.moto.keys("eos-refused"), [])
        self.assertEqual(self.pending_uploads("eos-refused.bin"), [])

    def test_min_size_single_put(self):
        for size, stored in ((10000, False), (20000, True), (30000, True)):
            with self.subTest(size=size):
                key = "small-%d.bin" % size
                cp = f.launch('filesrc location=%s ! s3sink uri=s3://media/%s min-size=20000'
                              % (self.file_of(f.content(size, seed=size)), key), self.env)
                self.assertEqual(cp.returncode == 0, stored, cp.stderr)
                self.assertEqual(self.moto.keys(key), [key] if stored else [])
                if not stored:
                    self.assertIn("The stream ended after 10000 bytes, short of min-size 20000",
                                  cp.stderr)

    def test_min_size_after_parts_aborts_the_upload(self):
        key = "multi-short.bin"
        cp = f.launch('filesrc location=%s ! s3sink uri=s3://media/%s part-size=5242880 '
                      'min-size=%d' % (self.file_of(f.content(12 * MIB, seed=3)), key, 20 * MIB),
                      self.env)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("short of min-size", cp.stderr)
        self.assertEqual(self.moto.keys(key), [])
        self.assertEqual(self.pending_uploads(key), [])

    def test_min_size_is_a_property(self):
        cp = subprocess.run(["gst-inspect-1.0", "s3sink"], env=self.env, capture_output=True,
                            text=True, timeout=60)
        self.assertIn("min-size", cp.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
