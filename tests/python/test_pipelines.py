"""The Python GI examples in pipelines/ run, with Debian's python3, and give
what they promise."""
import os
import subprocess
import sys
import unittest

ROOT = os.environ["MEDIATAG_SOURCE_ROOT"]


class AnalyzeExample(unittest.TestCase):
    def run_example(self, *args):
        return subprocess.run([sys.executable, os.path.join(ROOT, "pipelines", "analyze.py")] + list(args),
                              capture_output=True, text=True, timeout=600)

    def test_sample_video(self):
        cp = self.run_example(os.path.join(ROOT, "data", "sample.mp4"), "--features", "labels")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        rows = [l.split() for l in cp.stdout.splitlines()]
        dogs = [int(r[0]) for r in rows if r[3] == "Dog"]
        self.assertTrue(dogs, cp.stdout)
        self.assertTrue(min(dogs) < 4000)

    def test_missing_file_is_an_error(self):
        cp = self.run_example("/nonexistent.mp4")
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("error:", cp.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
