#!/usr/bin/python3
"""The scripts in pipelines/ that write sampled frames as JPEG files: the
launch-line script and the Python GI one name the same files after
Media2Cloud's frame numbers and timestamps, write byte-identical JPEGs, give
the same JPEGs with seek=accurate as without, and say clearly when the input
has no video.
"""
import os
import subprocess
import sys
import tempfile
import unittest
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fsclips  # noqa: E402

ROOT = os.environ.get("MEDIATAG_SOURCE_ROOT",
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SH = os.path.join(ROOT, "pipelines", "framesampler-jpeg.sh")
PY = os.path.join(ROOT, "pipelines", "framesampler-jpeg.py")
FR = Fraction(30000, 1001)


def jpegs(outdir):
    names = sorted(os.listdir(outdir))
    data = {}
    for n in names:
        with open(os.path.join(outdir, n), "rb") as f:
            data[n] = f.read()
    return data


class Pipelines(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mt-framesampler-pipe-")
        cls.clip = os.path.join(cls.tmp.name, "clip.mp4")
        cls.nframes = fsclips.make_clip(cls.clip, FR, 7, audio=True)
        cls.audio = os.path.join(cls.tmp.name, "audio.m4a")
        subprocess.run(["gst-launch-1.0", "-q", "audiotestsrc", "num-buffers=40", "!",
                        "voaacenc", "!", "mp4mux", "!", "filesink", "location=" + cls.audio],
                       check=True, env=fsclips.peer_env())

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_script(self, argv):
        return subprocess.run(argv, capture_output=True, text=True, timeout=120)

    def expected_names(self, mode):
        return ["frame-%07d-%08dms.jpg" % (f, ms)
                for f, ms in fsclips.expected(mode, FR, self.nframes)]

    def test_launch_line_and_python_agree(self):
        out_sh = os.path.join(self.tmp.name, "sh")
        out_py = os.path.join(self.tmp.name, "py")
        r = self.run_script([SH, self.clip, out_sh, "frame-capture-mode=1f-every-2s"])
        self.assertEqual(r.returncode, 0, r.stderr)
        r2 = self.run_script([sys.executable, PY, self.clip, out_py, "--mode", "1002"])
        self.assertEqual(r2.returncode, 0, r2.stderr)

        want = self.expected_names(1002)
        got_sh, got_py = jpegs(out_sh), jpegs(out_py)
        self.assertEqual(sorted(got_sh), want)
        self.assertEqual(sorted(got_py), want)
        for name in want:
            self.assertTrue(got_sh[name].startswith(b"\xff\xd8\xff"), name)
            self.assertEqual(got_sh[name], got_py[name], name)
        # stdout: "<frame> <ms> <path>" per frame, in order
        lines = [ln.split() for ln in r.stdout.splitlines()]
        self.assertEqual([os.path.basename(p) for _, _, p in lines], want)

    def test_accurate_seek_writes_the_same_jpegs(self):
        outs = {}
        for seek in ("none", "accurate"):
            out = os.path.join(self.tmp.name, "seek-" + seek)
            r = self.run_script([sys.executable, PY, self.clip, out,
                                 "--mode", "1f-every-5s", "--seek", seek])
            self.assertEqual(r.returncode, 0, r.stderr)
            outs[seek] = jpegs(out)
        self.assertEqual(sorted(outs["none"]), self.expected_names(1003))
        self.assertEqual(outs["none"], outs["accurate"])

    def test_truncated_clip_ends(self):
        """A clip cut short (moov at the front, so qtdemux believes in 12 s)
        ends with the frames that are there: the seek to the next sample
        lands past the end of the data, qtdemux sends EOS with no segment
        before it, and framesampler used to wait for that segment for ever."""
        full = os.path.join(self.tmp.name, "full.mp4")
        subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=300",
                        "!", "video/x-raw,width=320,height=240,framerate=25/1", "!",
                        "x264enc", "speed-preset=ultrafast", "key-int-max=50", "!",
                        "mp4mux", "faststart=true", "!", "filesink", "location=" + full],
                       check=True, env=fsclips.peer_env())
        with open(full, "rb") as f:
            data = f.read()
        for percent in (30, 60):
            cut = os.path.join(self.tmp.name, "cut%d.mp4" % percent)
            with open(cut, "wb") as f:
                f.write(data[:len(data) * percent // 100])
            for mode in ("1f-every-5s", "1f-every-2s"):
                p = subprocess.run(
                    ["gst-launch-1.0", "-q", "filesrc", "location=" + cut, "!",
                     "decodebin", "!", "videoconvert", "!", "framesampler",
                     "frame-capture-mode=" + mode, "!", "fakesink"],
                    capture_output=True, text=True, timeout=120)
                self.assertEqual(p.returncode, 0, "%s %s: %s" % (cut, mode, p.stderr))
                passed, _ = fsclips.run(
                    "filesrc location=%s ! decodebin ! videoconvert ! framesampler "
                    "name=s frame-capture-mode=%s ! fakesink" % (cut, mode), ["s"])
                # the frames before the cut, and none after it
                self.assertGreaterEqual(len(passed["s"]), 1)
                self.assertLess(max(pts for _, pts in passed["s"]),
                                12 * fsclips.Gst.SECOND * percent // 100)

    def test_no_video_stream_is_a_clear_message(self):
        for argv in ([SH, self.audio, os.path.join(self.tmp.name, "a1")],
                     [sys.executable, PY, self.audio, os.path.join(self.tmp.name, "a2")]):
            r = self.run_script(argv)
            self.assertEqual(r.returncode, 1, argv)
            self.assertIn("has no video stream", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
