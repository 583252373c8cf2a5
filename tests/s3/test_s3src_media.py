"""s3src with demuxers, against moto: an MP4 with its moov at the end
(made here with openh264enc and mp4mux, a key frame every second) decodes
whole through qtdemux in pull mode, seeks land on the frame asked in a
playing decodebin pipeline, and the URI query names the asset. The
GStreamer-side checks run in s3src_media_gi.py under Debian's python3."""
import os
import subprocess
import sys
import tempfile
import unittest

import s3fixtures as f

FRAMES, FPS = 300, 30
URI = "s3://media/clips/moov at end é.mp4"


def make_mp4(path):
    f.mtfixtures.gst_launch(
        "videotestsrc num-buffers=%d pattern=ball ! video/x-raw,width=320,height=240,framerate=%d/1 "
        "! openh264enc gop-size=%d ! h264parse ! mp4mux ! filesink location=%s" % (FRAMES, FPS, FPS, path))
    with open(path, "rb") as fh:
        data = fh.read()
    return data


class MediaTest(unittest.TestCase):
    def test_media(self):
        gi_python = sys.argv[1] if len(sys.argv) > 1 else ""
        if not gi_python or not os.path.exists(gi_python):
            self.skipTest("no python3 with GStreamer bindings")
        with tempfile.TemporaryDirectory() as d:
            data = make_mp4(os.path.join(d, "clip.mp4"))
        self.assertGreater(data.find(b"moov"), data.find(b"mdat"), "moov must be at the end")
        moto = f.Moto().start_plain()
        try:
            moto.put(URI[len("s3://media/"):], data)
            env = moto.env(MT_TEST_URI=URI, MT_TEST_FRAMES=FRAMES, MT_TEST_FPS=FPS)
            cp = subprocess.run([gi_python, os.path.join(f.HERE, "s3src_media_gi.py")], env=env,
                                capture_output=True, text=True, timeout=180)
        finally:
            moto.stop()
        sys.stderr.write(cp.stderr)
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("Ran 3 tests", cp.stderr)
        self.assertNotIn("skipped", cp.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
