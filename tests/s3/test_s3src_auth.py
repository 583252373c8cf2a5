"""s3src against moto checking SigV4 signatures (INITIAL_NO_AUTH_ACTION_COUNT):
plain and spaced keys read byte-identical with the IAM user's key; a wrong
secret is a clear error naming S3's code. (moto rejects non-ASCII and '+'
keys in this mode even when correctly signed, botocore's too: its bug, so
those keys are covered by test_s3src.py.)"""
import unittest

import s3fixtures as f

OBJECTS = {"plain.bin": 3 * 1000 * 1000, "with spaces/a clip.bin": 500 * 1000, "zero.bin": 0}


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = f.Moto(auth_after=3).start_auth()
        cls.addClassCleanup(cls.moto.stop)
        cls.digests = {}
        for i, (key, size) in enumerate(OBJECTS.items()):
            data = f.content(size, seed=100 + i)
            cls.moto.put(key, data)
            cls.digests[key] = f.sha256(data)

    def test_signed_reads(self):
        for key in OBJECTS:
            with self.subTest(key=key):
                cp, digest = f.read_object("s3://media/%s" % key, self.moto.env())
                self.assertEqual(cp.returncode, 0, cp.stderr)
                self.assertEqual(digest, self.digests[key])

    def test_no_secret_in_any_log(self):
        # Everything at the most verbose debug level: the secret key never
        # shows, whether it comes from the environment or from properties.
        # (With properties on a launch line, GStreamer's own parser logs the
        # line it parses: those lines are left out here, and the docs say to
        # keep secrets out of launch lines.)
        parser_lines = ("gstparse.c:", "parse.l:", "gst_parse_unescape")
        props = "access-key=%s secret-key=%s" % (self.moto.key_id, self.moto.secret)
        runs = [("", self.moto.env()),
                (props, self.moto.env(AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY=""))]
        for extra, env in runs:
            env.update(GST_DEBUG="*:9", GST_DEBUG_NO_COLOR="1")
            for line in ("s3src uri=s3://media/zero.bin %s ! fakesink" % extra,
                         'fakesrc num-buffers=1 sizetype=fixed sizemax=100 ! '
                         's3sink uri="s3://media/up/log check.bin" %s' % extra):
                with self.subTest(line=line):
                    cp = f.launch(line, env)
                    self.assertEqual(cp.returncode, 0, cp.stderr[-3000:])
                    out = [l for l in (cp.stdout + cp.stderr).splitlines()
                           if not any(p in l for p in parser_lines)]
                    self.assertGreater(len(out), 1000)  # the log is really there
                    self.assertFalse([l for l in out if self.moto.secret in l])

    def test_wrong_secret(self):
        env = self.moto.env(AWS_SECRET_ACCESS_KEY="not-the-secret-key")
        cp, _ = f.read_object("s3://media/plain.bin", env)
        self.assertNotEqual(cp.returncode, 0)
        message, debug = f.element_error(cp.stderr)
        self.assertIn("S3 rejected the AWS credentials: check the access key", message)
        # the service's code and status are the technical detail
        self.assertNotIn("SignatureDoesNotMatch", message)
        self.assertIn("SignatureDoesNotMatch", debug)
        self.assertIn("HTTP 403", debug)
        self.assertNotIn("not-the-secret-key", cp.stderr)

    def test_unknown_key_id(self):
        env = self.moto.env(AWS_ACCESS_KEY_ID="AKIAUNKNOWNKEY000000")
        cp, _ = f.read_object("s3://media/plain.bin", env)
        self.assertNotEqual(cp.returncode, 0)
        message, debug = f.element_error(cp.stderr)
        self.assertIn("S3 rejected the AWS credentials", message)
        self.assertIn("InvalidAccessKeyId", debug)

    def test_signed_round_trip_through_s3sink(self):
        data = f.content(6 * 1024 * 1024 + 3, seed=9)
        with f.tempfile.TemporaryDirectory() as d:
            src = f.os.path.join(d, "in")
            with open(src, "wb") as fh:
                fh.write(data)
            cp = f.launch('filesrc location=%s ! s3sink uri="s3://media/up/a b.bin" '
                          'part-size=5242880' % src, self.moto.env())
            self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(f.sha256(self.moto.get("up/a b.bin")), f.sha256(data))


if __name__ == "__main__":
    unittest.main(verbosity=2)
