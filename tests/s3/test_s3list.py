"""Paginated ListObjectsV2 of the core (mt_s3_client_list_objects) against
moto: test-s3's /s3/list cases run with moto's endpoint in the environment,
over keys that need many pages at seven keys a page, with spaces, unicode,
'+' and XML-special characters in them."""
import subprocess
import sys
import unittest

import s3fixtures as f


class ListTest(unittest.TestCase):
    def test_list(self):
        moto = f.Moto(bucket="listing").start_plain()
        try:
            keys = ["k%03d" % i for i in range(40)]
            keys += ["dir/a b.txt", "dir/é東京.txt", "dir/x+y&<z>.txt", "dirt.txt",
                     "zz ' \" end"]
            for key in keys:
                moto.put(key, key.encode())  # size == len(key) in UTF-8
            # S3 lists keys in the binary order of their UTF-8 bytes.
            expected = sorted(keys, key=lambda k: k.encode())
            env = moto.env(MT_TEST_S3_BUCKET="listing", MT_TEST_S3_KEYS="\n".join(expected))
            cp = subprocess.run([sys.argv[1], "-p", "/s3/list/pages", "-p", "/s3/list/no-bucket"],
                                env=env, capture_output=True, text=True, timeout=60)
        finally:
            moto.stop()
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("ok 1 /s3/list/pages", cp.stdout)
        self.assertNotIn("SKIP", cp.stdout)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
