"""The GI half of test_s3src_media.py (run by Debian's python3, which has
python3-gst-1.0): decodes an MP4 whose moov is at the end through s3src in
pull mode, seeks in a playing pipeline, and asks the URI query.
Environment: MT_TEST_URI, MT_TEST_FRAMES, MT_TEST_FPS and the AWS_* of moto."""
import os
import sys
import unittest

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

URI = os.environ.get("MT_TEST_URI", "")
FRAMES = int(os.environ.get("MT_TEST_FRAMES", "0"))
FPS = int(os.environ.get("MT_TEST_FPS", "30"))


def frame_time(i):
    return Gst.util_uint64_scale(i, Gst.SECOND, FPS)


class Pipeline:
    def __init__(self, description):
        self.pipeline = Gst.parse_launch(description)
        self.sink = self.pipeline.get_by_name("sink")
        self.bus = self.pipeline.get_bus()

    def set_state(self, state):
        self.pipeline.set_state(state)
        ret, _, _ = self.pipeline.get_state(30 * Gst.SECOND)
        if ret == Gst.StateChangeReturn.FAILURE:
            raise AssertionError("state change failed: %s" % self.error())

    def error(self):
        msg = self.bus.pop_filtered(Gst.MessageType.ERROR)
        return msg.parse_error()[0].message if msg else "no error message"

    def pull(self):
        sample = self.sink.emit("try-pull-sample", 20 * Gst.SECOND)
        return sample.get_buffer().pts if sample else None

    def close(self):
        self.pipeline.set_state(Gst.State.NULL)


@unittest.skipUnless(URI, "run through test_s3src_media.py")
class MediaTest(unittest.TestCase):
    def open(self, description):
        p = Pipeline(description)
        self.addCleanup(p.close)
        return p

    def test_qtdemux_pull_mode_decodes_every_frame(self):
        p = self.open('s3src uri="%s" ! qtdemux name=demux ! h264parse ! avdec_h264 ! '
                      "appsink name=sink sync=false" % URI)
        p.set_state(Gst.State.PLAYING)
        # moov at the end: qtdemux reads it by random access (pull mode).
        demux_sink = p.pipeline.get_by_name("demux").get_static_pad("sink")
        self.assertEqual(demux_sink.mode, Gst.PadMode.PULL)
        pts = []
        while True:
            t = p.pull()
            if t is None:
                break
            pts.append(t)
        self.assertEqual(len(pts), FRAMES)
        for i, t in enumerate(pts):
            self.assertAlmostEqual(t, frame_time(i), delta=Gst.USECOND)

    def seek_and_check(self, p, seconds):
        target = int(seconds * Gst.SECOND)
        self.assertTrue(p.pipeline.seek_simple(
            Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.ACCURATE, target))
        first = p.pull()
        self.assertIsNotNone(first, p.error())
        # An accurate seek: the first frame shown is the one asked, even
        # between key frames (the decoder starts at the key frame before).
        self.assertAlmostEqual(first, target, delta=Gst.USECOND)

    def test_seek_while_playing(self):
        p = self.open('s3src uri="%s" ! decodebin ! videoconvert ! '
                      "appsink name=sink sync=false max-buffers=2" % URI)
        p.set_state(Gst.State.PLAYING)
        for _ in range(5):
            self.assertIsNotNone(p.pull(), p.error())
        self.seek_and_check(p, 6.0)
        self.seek_and_check(p, 1.5)  # backwards too
        self.seek_and_check(p, 9.0)
        ok, position = p.pipeline.query_position(Gst.Format.TIME)
        self.assertTrue(ok)
        self.assertGreaterEqual(position, 9 * Gst.SECOND)

    def test_uri_query(self):
        p = self.open('s3src uri="%s" ! queue ! appsink name=sink sync=false' % URI)
        p.set_state(Gst.State.PAUSED)
        query = Gst.Query.new_uri()
        self.assertTrue(p.sink.get_static_pad("sink").peer_query(query))
        self.assertEqual(query.parse_uri(), URI)


if __name__ == "__main__":
    Gst.init(None)
    unittest.main(argv=sys.argv[:1], verbosity=2)
