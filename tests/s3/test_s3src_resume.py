"""s3src resumes a broken connection where it stopped: through a proxy that
cuts every connection after a few MB, a 200 MB object still arrives
byte-identical; if the object is replaced meanwhile, the resume's If-Match
fails and the error says the object changed (no mix of two versions)."""
import os
import tempfile
import time
import unittest

import s3fixtures as f
from s3fixtures import MIB

SIZE = 200 * 1000 * 1000
CUT = 16 * MIB


def read_log(path):
    with open(path) as fh:
        return fh.read()


class ResumeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = f.Moto().start_plain()
        cls.data = f.content(SIZE, seed=7)
        cls.moto.put("big.bin", cls.data)
        cls.moto.put("replaced.bin", cls.data[:30 * MIB])

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()

    def proxy(self, *args):
        log = tempfile.NamedTemporaryFile(prefix="cutproxy", suffix=".log", delete=False)
        self.addCleanup(os.unlink, log.name)
        server = f.mtfixtures.start_python_server(os.path.join(f.HERE, "cutproxy.py"),
                                                  self.moto.server.port, CUT, *args, log=log)
        self.addCleanup(server.stop)
        return server, log.name

    def test_resume_is_byte_identical(self):
        proxy, log = self.proxy()
        env = self.moto.env(AWS_ENDPOINT_URL=proxy.url)
        start = time.monotonic()
        cp, digest = f.read_object("s3://media/big.bin", env, timeout=180)
        print("200 MB through the cutting proxy: %.1f s" % (time.monotonic() - start))
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(digest, f.sha256(self.data))
        cuts = read_log(log).count("cut after")
        # The proxy really broke the transfer many times on the way.
        self.assertGreaterEqual(cuts, SIZE // CUT - 1)

    def test_replaced_mid_read_is_an_error(self):
        proxy, log = self.proxy("/media/replaced.bin")
        env = self.moto.env(AWS_ENDPOINT_URL=proxy.url)
        cp, digest = f.read_object("s3://media/replaced.bin", env, timeout=120)
        self.assertIn("replaced /media/replaced.bin", read_log(log))
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("changed while it was being read", cp.stderr)
        self.assertIn("PreconditionFailed", cp.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
