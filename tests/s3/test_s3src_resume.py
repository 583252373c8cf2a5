"""s3src resumes a broken connection where it stopped: through a proxy that
cuts every connection after a few MB, a 200 MB object still arrives
byte-identical; if the object is replaced meanwhile, the resume's If-Match
fails and the error says the object changed (no mix of two versions).

The 200 MB object is served by tests/s3/fake_s3.py (Range, ETag, If-Match):
moto re-reads the whole object for every ranged GET, which made fifty
resumes take minutes. moto serves the 30 MB resume and the replacement."""
import os
import tempfile
import time
import unittest

import s3fixtures as f
from s3fixtures import MIB

SIZE = 200 * 1000 * 1000
CUT = 4 * MIB


def read_log(path):
    with open(path) as fh:
        return fh.read()


class ResumeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = f.Moto().start_plain()
        cls.addClassCleanup(cls.moto.stop)
        cls.data = f.content(SIZE, seed=7)
        cls.moto.put("medium.bin", cls.data[:30 * MIB])
        cls.moto.put("replaced.bin", cls.data[:30 * MIB])
        cls.tmpdir = tempfile.TemporaryDirectory()
        cls.big = os.path.join(cls.tmpdir.name, "big.bin")
        with open(cls.big, "wb") as fh:
            fh.write(cls.data)

    @classmethod
    def tearDownClass(cls):
        cls.tmpdir.cleanup()

    def proxy(self, upstream_port, *args):
        log = tempfile.NamedTemporaryFile(prefix="cutproxy", suffix=".log", delete=False)
        self.addCleanup(os.unlink, log.name)
        server = f.mtfixtures.start_python_server(os.path.join(f.HERE, "cutproxy.py"),
                                                  upstream_port, CUT, *args, log=log)
        self.addCleanup(server.stop)
        return server, log.name

    def test_resume_200mb_is_byte_identical(self):
        fake = f.mtfixtures.start_python_server(os.path.join(f.HERE, "fake_s3.py"), "serve",
                                                self.big)
        self.addCleanup(fake.stop)
        proxy, log = self.proxy(fake.port)
        env = self.moto.env(AWS_ENDPOINT_URL=proxy.url)
        start = time.monotonic()
        cp, digest = f.read_object("s3://media/big.bin", env, timeout=180)
        print("200 MB through the cutting proxy: %.1f s" % (time.monotonic() - start))
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(digest, f.sha256(self.data))
        # The proxy really broke the transfer many times on the way.
        self.assertGreaterEqual(read_log(log).count("cut after"), SIZE // CUT - 1)

    def test_resume_from_moto_is_byte_identical(self):
        proxy, log = self.proxy(self.moto.server.port)
        env = self.moto.env(AWS_ENDPOINT_URL=proxy.url)
        cp, digest = f.read_object("s3://media/medium.bin", env, timeout=180)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(digest, f.sha256(self.data[:30 * MIB]))
        self.assertGreaterEqual(read_log(log).count("cut after"), 30 // 4 - 1)

    def test_replaced_mid_read_is_an_error(self):
        proxy, log = self.proxy(self.moto.server.port, "/media/replaced.bin")
        env = self.moto.env(AWS_ENDPOINT_URL=proxy.url)
        cp, digest = f.read_object("s3://media/replaced.bin", env, timeout=120)
        self.assertIn("replaced /media/replaced.bin", read_log(log))
        self.assertNotEqual(cp.returncode, 0)
        message, debug = f.element_error(cp.stderr)
        self.assertIn("s3://media/replaced.bin changed while it was being read", message)
        self.assertIn("PreconditionFailed", debug)


if __name__ == "__main__":
    unittest.main(verbosity=2)
