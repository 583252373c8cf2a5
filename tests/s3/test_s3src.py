"""s3src against moto (any signature accepted): objects of 0 B, 1 B, 10 MB
and 200 MB and keys with spaces, unicode and '+' arrive byte-identical
through gst-launch-1.0; bad input gives a clear error and no crash."""
import os
import signal
import subprocess
import time
import unittest

import s3fixtures as f
from s3fixtures import MIB

OBJECTS = {
    "empty.bin": 0,
    "one.bin": 1,
    "ten.bin": 10 * 1000 * 1000,
    "big.bin": 200 * 1000 * 1000,
    "my clips/a b.bin": 300 * 1000,
    "vidéo/東京 ünïcode.bin": 200 * 1000,
    "plus+sign+1.bin": 100 * 1000,
}


class S3SrcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = f.Moto().start_plain()
        cls.addClassCleanup(cls.moto.stop)
        cls.digests = {}
        for i, (key, size) in enumerate(OBJECTS.items()):
            data = f.content(size, seed=i)
            cls.moto.put(key, data)
            cls.digests[key] = f.sha256(data)
        cls.env = cls.moto.env()
        cls.tmpdir = f.tempfile.TemporaryDirectory()
        cls.tmp = cls.tmpdir.name

    @classmethod
    def tearDownClass(cls):
        cls.tmpdir.cleanup()

    def assertReads(self, key, extra="", env=None):
        cp, digest = f.read_object("s3://media/%s" % key, env or self.env, extra)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(digest, self.digests[key], key)

    def assertFails(self, launch_line, *expected, env=None):
        cp = f.launch(launch_line, env or self.env)
        self.assertNotEqual(cp.returncode, 0)
        self.assertNotIn("CRITICAL", cp.stderr)
        for text in expected:
            self.assertIn(text, cp.stderr)
        return cp

    def test_sizes(self):
        for key in ("empty.bin", "one.bin", "ten.bin", "big.bin"):
            with self.subTest(key=key):
                self.assertReads(key)

    def test_key_characters(self):
        for key in ("my clips/a b.bin", "vidéo/東京 ünïcode.bin", "plus+sign+1.bin"):
            with self.subTest(key=key):
                self.assertReads(key)

    def test_small_read_ahead_and_blocks(self):
        # The ring wraps many times and reads straddle its end.
        self.assertReads("ten.bin", "read-ahead=65536 blocksize=50000")

    def test_bucket_and_key_properties(self):
        with self.subTest("properties instead of uri and env"):
            env = f.mtfixtures.gst_env()
            cp = f.launch("s3src bucket=media key=one.bin endpoint=%s region=us-east-1 "
                          "access-key=testing secret-key=testing ! fakesink" % self.moto.url, env)
            self.assertEqual(cp.returncode, 0, cp.stderr)

    def test_anonymous_public_object(self):
        data = f.content(70000, seed=14)
        self.moto.s3.put_object(Bucket="media", Key="public.bin", Body=data, ACL="public-read")
        env = self.moto.env(AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="")
        cp, digest = f.read_object("s3://media/public.bin", env, "anonymous=true")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(digest, f.sha256(data))
        # Unsigned requests for a private object are refused, clearly.
        cp, _ = f.read_object("s3://media/one.bin", env, "anonymous=true")
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("Access to s3://media/one.bin was denied", cp.stderr)

    def test_missing_bucket(self):
        self.assertFails('s3src uri=s3://no-such-bucket/k ! fakesink',
                         "The bucket 'no-such-bucket' does not exist", "NoSuchBucket")

    def test_missing_key(self):
        cp = self.assertFails('s3src uri="s3://media/no such key" ! fakesink')
        message, debug = f.element_error(cp.stderr)
        # a sentence for the user; the service's code and status for the log
        self.assertEqual(message, "There is no object 'no such key' in bucket 'media'.")
        self.assertIn("NoSuchKey", debug)
        self.assertIn("HTTP 404", debug)

    def test_malformed_uri(self):
        for uri in ("http://media/k", "s3://media", "s3:///k"):
            with self.subTest(uri=uri):
                self.assertFails('s3src uri=%s ! fakesink' % uri, "write it as s3://bucket/key")

    def test_nothing_to_read(self):
        self.assertFails('s3src ! fakesink', "No S3 object to read")

    def test_unreachable_endpoint(self):
        port = f.mtfixtures.free_port()
        env = self.moto.env(AWS_ENDPOINT_URL="http://127.0.0.1:%d" % port)
        self.assertFails('s3src uri=s3://media/one.bin retries=1 ! fakesink',
                         "Could not reach the S3 endpoint", "127.0.0.1:%d" % port, env=env)

    def test_no_region(self):
        env = self.moto.env(AWS_REGION="")
        self.assertFails('s3src uri=s3://media/one.bin ! fakesink', "region", env=env)

    def test_no_credentials(self):
        env = self.moto.env(AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="")
        self.assertFails('s3src uri=s3://media/one.bin ! fakesink', "No AWS credentials", env=env)

    def test_wrong_region_named(self):
        # A stand-in for S3 that says the bucket is elsewhere, as S3 does.
        with f.mtfixtures.start_python_server(os.path.join(f.HERE, "fake_s3.py"),
                                              "redirect", "eu-west-3") as fake:
            env = self.moto.env(AWS_ENDPOINT_URL=fake.url)
            self.assertFails('s3src uri=s3://media/one.bin ! fakesink',
                             "is in region eu-west-3, not us-east-1", "region=eu-west-3",
                             env=env)

    def fake_serving(self, data, *options):
        path = os.path.join(self.tmp, "served.bin")
        with open(path, "wb") as fh:
            fh.write(data)
        fake = f.mtfixtures.start_python_server(os.path.join(f.HERE, "fake_s3.py"), "serve",
                                                path, *options)
        self.addCleanup(fake.stop)
        return self.moto.env(AWS_ENDPOINT_URL=fake.url)

    def test_stalled_connection_is_resumed(self):
        # The first GET goes silent after 1 MB: with request-timeout=1000
        # s3src gives up on it after a second and resumes where it was.
        data = f.content(3 * MIB, seed=11)
        env = self.fake_serving(data, "--stall-first-after", MIB)
        cp, digest = f.read_object("s3://media/k", env, "request-timeout=1000", timeout=60)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(digest, f.sha256(data))

    def test_stop_interrupts_a_stalled_read(self):
        # No stall detection (request-timeout=0) and a server gone silent:
        # stopping the pipeline must still end the blocked read at once.
        data = f.content(3 * MIB, seed=13)
        env = self.fake_serving(data, "--stall-first-after", MIB)
        proc = subprocess.Popen(["gst-launch-1.0", "-q", "s3src", "uri=s3://media/k",
                                 "request-timeout=0", "!", "fakesink"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(2)
            if proc.poll() is not None:
                self.fail("gst-launch ended before the stop: %s" % proc.communicate()[1])
            start = time.monotonic()
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)
            self.assertLess(time.monotonic() - start, 5)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def test_server_ignoring_range(self):
        # Resuming against a server that answers 200 to Range: s3src reads
        # through to where it was instead of repeating bytes.
        data = f.content(3 * MIB, seed=12)
        env = self.fake_serving(data, "--stall-first-after", MIB + 5, "--ignore-range")
        cp, digest = f.read_object("s3://media/k", env, "request-timeout=1000", timeout=60)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(digest, f.sha256(data))

    def test_wrong_region_followed(self):
        # On AWS (an amazonaws.com endpoint, none configured), S3's 301
        # naming the bucket's region is followed. The fake stands in for
        # S3 as the HTTP proxy, so nothing leaves 127.0.0.1.
        data = f.content(2 * MIB, seed=15)
        path = os.path.join(self.tmp, "regional.bin")
        with open(path, "wb") as fh:
            fh.write(data)
        fake = f.mtfixtures.start_python_server(os.path.join(f.HERE, "fake_s3.py"), "serve",
                                                path, "--region", "eu-west-3")
        self.addCleanup(fake.stop)
        env = self.moto.env(AWS_ENDPOINT_URL="http://s3.amazonaws.com", AWS_REGION="us-east-1",
                            http_proxy=fake.url, no_proxy="", NO_PROXY="")
        cp, digest = f.read_object("s3://media/k", env)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(digest, f.sha256(data))

    def test_version_id(self):
        self.moto.s3.create_bucket(Bucket="versioned")
        self.moto.s3.put_bucket_versioning(Bucket="versioned",
                                           VersioningConfiguration={"Status": "Enabled"})
        v1 = self.moto.s3.put_object(Bucket="versioned", Key="k", Body=b"first")["VersionId"]
        self.moto.s3.put_object(Bucket="versioned", Key="k", Body=b"second!")
        for version, expected in ((v1, b"first"), (None, b"second!")):
            with self.subTest(version=version):
                extra = "version-id=%s" % version if version else ""
                cp, digest = f.read_object("s3://versioned/k", self.env, extra)
                self.assertEqual(cp.returncode, 0, cp.stderr)
                self.assertEqual(digest, f.sha256(expected))
        self.assertFails('s3src uri=s3://versioned/k version-id=nope ! fakesink',
                         "s3://versioned/k has no such version", "NoSuchVersion")


if __name__ == "__main__":
    unittest.main(verbosity=2)
