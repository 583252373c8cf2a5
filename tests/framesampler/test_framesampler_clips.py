#!/usr/bin/python3
"""framesampler on real decoded clips, made at test time: every frame capture
mode gives Media2Cloud's list of (frame number, millisecond timestamp) at 25,
23.976, 29.97, 30, 50 and 59.94 fps, in MP4 and Matroska, with and without
audio; seek=accurate gives the same frames as decoding everything while
decoding far fewer; seek=keyframe takes key units; dynamic keeps fewer frames
of a static clip than of an action clip.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fsclips  # noqa: E402
from fsclips import ALL_MODES, expected, frames_and_ms, run  # noqa: E402

OPENCV_DATA = "/usr/share/doc/opencv-doc/examples/data"

# name: (frame rate, container, audio). Matroska stores millisecond times,
# so its PTS can sit up to a millisecond from Media2Cloud's exact value.
CLIPS = {
    "25": (Fraction(25), "mp4", False),
    "2997": (Fraction(30000, 1001), "mp4", True),
    "30": (Fraction(30), "mkv", False),
    "50": (Fraction(50), "mkv", True),
    "5994": (Fraction(60000, 1001), "mp4", True),
}
DURATIONS = [1, 7, 180]


class Clips(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mt-framesampler-")
        cls.clips = {}
        specs = [(name, fr, ext, audio, secs) for name, (fr, ext, audio) in CLIPS.items()
                 for secs in DURATIONS]
        specs.append(("23976", Fraction(24000, 1001), "mkv", False, 7))
        for name, fr, ext, audio, secs in specs:
            path = os.path.join(cls.tmp.name, "c%s-%ds.%s" % (name, secs, ext))
            n = fsclips.make_clip(path, fr, secs, audio=audio)
            cls.clips[(name, secs)] = (path, fr, n, ext == "mkv")
        cls.none_results = {}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def all_modes(self, key):
        """Every mode in one decode: a tee into one framesampler per mode."""
        if key in self.none_results:
            return self.none_results[key]
        path = self.clips[key][0]
        branches = " ".join(
            "t. ! framesampler name=m%d frame-capture-mode=%d seek=none "
            "! fakesink sync=false async=false" % (m, m) for m in ALL_MODES + [0])
        launch = ("filesrc location=%s ! decodebin ! video/x-raw ! tee name=t %s"
                  % (path, branches))
        passed, seen = run(launch, ["m%d" % m for m in ALL_MODES + [0]], count=["m1000"])
        self.none_results[key] = passed, seen
        return passed, seen

    def check_against_media2cloud(self, key, passed, mode, interval=None):
        path, fr, n, coarse = self.clips[key]
        want = expected(mode, fr, n, interval)
        got = frames_and_ms(passed)
        self.assertEqual([f for f, _ in got], [f for f, _ in want],
                         "%s mode %s: frame numbers" % (key, mode))
        for (f, ms), (_, want_ms) in zip(got, want):
            self.assertLessEqual(abs(ms - want_ms), 1 if coarse else 0,
                                 "%s mode %s frame %d: %d ms, Media2Cloud says %d ms"
                                 % (key, mode, f, ms, want_ms))

    def test_every_mode_matches_media2cloud(self):
        for key in self.clips:
            passed, seen = self.all_modes(key)
            n = self.clips[key][2]
            for mode in ALL_MODES:
                with self.subTest(clip=key, mode=mode):
                    self.check_against_media2cloud(key, passed["m%d" % mode], mode)
            self.assertEqual(passed["m0"], [], "mode none passes nothing")
            self.assertEqual(seen["m1000"], n, "%s: every frame was decoded" % (key,))

    def test_accurate_seek_gives_the_same_frames(self):
        # the modes with more than one sample in each clip
        runs = [((name, 180), [1003, 1004, 1005, 1011, 1012]) for name in CLIPS]
        runs += [((name, 7), [1002]) for name in CLIPS]
        for key, modes in runs:
            path, fr, n, _ = self.clips[key]
            none, _ = self.all_modes(key)
            for mode in modes:
                launch = ("filesrc location=%s ! decodebin ! video/x-raw "
                          "! framesampler name=s frame-capture-mode=%d seek=accurate "
                          "! fakesink sync=false" % (path, mode))
                passed, seen = run(launch, ["s"], count=["s"])
                with self.subTest(clip=key, mode=mode):
                    self.assertEqual(passed["s"], none["m%d" % mode])
                    if mode == 1005:
                        # 6 or 7 samples, each decoded from the key unit
                        # at most 2 s before it: far from every frame
                        self.assertLess(seen["s"], n / 5,
                                        "accurate seek decoded %d of %d frames"
                                        % (seen["s"], n))

    def test_auto_seeks_for_sparse_modes(self):
        key = ("2997", 180)
        path, fr, n, _ = self.clips[key]
        none, _ = self.all_modes(key)
        launch = ("filesrc location=%s ! decodebin ! video/x-raw "
                  "! framesampler name=s frame-capture-mode=1f-every-10s "
                  "! fakesink sync=false" % path)
        passed, seen = run(launch, ["s"], count=["s"])
        self.assertEqual(passed["s"], none["m1004"])
        self.assertLess(seen["s"], n / 2)

    def test_user_seek(self):
        """An application's own flushing seek passes through: sampling goes
        on from the first sample after the new position."""
        key = ("2997", 180)
        path, fr, n, _ = self.clips[key]
        none, _ = self.all_modes(key)
        pipeline = fsclips.Gst.parse_launch(
            "filesrc location=%s ! decodebin ! video/x-raw ! framesampler name=s "
            "frame-capture-mode=1f-every-10s seek=accurate ! fakesink sync=false" % path)
        got = []
        pipeline.get_by_name("s").get_static_pad("src").add_probe(
            fsclips.Gst.PadProbeType.BUFFER,
            lambda pad, info: got.append((info.get_buffer().offset, info.get_buffer().pts))
            or fsclips.Gst.PadProbeReturn.OK)
        bus = pipeline.get_bus()
        pipeline.set_state(fsclips.Gst.State.PAUSED)
        self.assertIsNotNone(bus.timed_pop_filtered(60 * fsclips.Gst.SECOND,
                                                    fsclips.Gst.MessageType.ASYNC_DONE))
        self.assertTrue(pipeline.seek_simple(
            fsclips.Gst.Format.TIME,
            fsclips.Gst.SeekFlags.FLUSH | fsclips.Gst.SeekFlags.ACCURATE,
            65 * fsclips.Gst.SECOND))
        bus.timed_pop_filtered(60 * fsclips.Gst.SECOND, fsclips.Gst.MessageType.ASYNC_DONE)
        pipeline.set_state(fsclips.Gst.State.PLAYING)
        msg = bus.timed_pop_filtered(60 * fsclips.Gst.SECOND,
                                     fsclips.Gst.MessageType.EOS | fsclips.Gst.MessageType.ERROR)
        pipeline.set_state(fsclips.Gst.State.NULL)
        self.assertEqual(msg.type, fsclips.Gst.MessageType.EOS)
        want = [s for s in none["m1004"] if s[1] >= 65 * fsclips.Gst.SECOND]
        self.assertEqual(got[0], (0, 0))
        self.assertEqual(got[1:], want)

    def test_interval_property(self):
        key = ("5994", 7)
        path, fr, n, _ = self.clips[key]
        for seek in ("none", "accurate"):
            launch = ("filesrc location=%s ! decodebin ! video/x-raw "
                      "! framesampler name=s interval=1500000000 seek=%s "
                      "! fakesink sync=false" % (path, seek))
            passed, _ = run(launch, ["s"])
            self.check_against_media2cloud(key, passed["s"], None, interval=Fraction(3, 2))

    def test_keyframe_seek_takes_key_units(self):
        for name in ("2997", "5994"):
            key = (name, 180)
            path, fr, n, _ = self.clips[key]
            gop = fsclips.gop_frames(fr)
            want = [f for f, _ in expected(1005, fr, n)]
            launch = ("filesrc location=%s ! decodebin ! video/x-raw "
                      "! framesampler name=s frame-capture-mode=1f-every-30s seek=keyframe "
                      "! fakesink sync=false" % path)
            passed, seen = run(launch, ["s"], count=["s"])
            frames = [off for off, _ in passed["s"]]
            with self.subTest(clip=key):
                self.assertEqual(frames, sorted(set(frames)))
                self.assertEqual(len(frames), len(want))
                for got, target in zip(frames, want):
                    self.assertEqual(got % gop, 0, "frame %d is not a key unit" % got)
                    self.assertLessEqual(abs(got - target), gop)
                self.assertLess(seen["s"], 3 * len(want) + 5)


def kept_ratio(path):
    launch = ("filesrc location=%s ! decodebin ! video/x-raw ! tee name=t "
              "t. ! framesampler name=c frame-capture-mode=1fps ! fakesink sync=false async=false "
              "t. ! framesampler name=d frame-capture-mode=dynamic ! fakesink sync=false async=false"
              % path)
    passed, _ = run(launch, ["c", "d"])
    return len(passed["d"]), len(passed["c"])


# A presenter-like clip: a still picture with one small moving square; and
# an action-like one: a fast pan across a busy picture.
TALKING = ("smptebars=s=160x120:r=25:d=30 [bg]; color=c=white:s=16x16:r=25:d=30 [fg]; "
           "[bg][fg] overlay=x='mod(t*20\\,144)':y=52:shortest=1 [out0]")
ACTION = "testsrc2=s=1280x120:r=25:d=30,crop=160:120:x='mod(t*300\\,1120)':y=0"


def ffmpeg_clip(path, graph):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", graph,
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "50",
                    "-pix_fmt", "yuv420p", path], check=True, env=fsclips.peer_env())


class Dynamic(unittest.TestCase):
    @unittest.skipUnless(shutil.which("ffmpeg"), "ffmpeg makes the clips")
    def test_static_keeps_fewer_than_action(self):
        with tempfile.TemporaryDirectory(prefix="mt-framesampler-") as tmp:
            talk = os.path.join(tmp, "talking.mp4")
            action = os.path.join(tmp, "action.mp4")
            ffmpeg_clip(talk, TALKING)
            ffmpeg_clip(action, ACTION)
            kt, ct = kept_ratio(talk)
            ka, ca = kept_ratio(action)
        print("dynamic kept: talking head %d/%d (%.0f%%), action %d/%d (%.0f%%)"
              % (kt, ct, 100 * kt / ct, ka, ca, 100 * ka / ca))
        self.assertEqual(ct, 30)
        self.assertGreaterEqual(kt, 1)
        self.assertLess(kt / ct, 0.2)
        self.assertGreater(ka / ca, 0.6)

    @unittest.skipUnless(os.path.exists(os.path.join(OPENCV_DATA, "Megamind.avi")),
                         "opencv-doc sample videos are not installed")
    def test_opencv_samples(self):
        ks, cs = kept_ratio(os.path.join(OPENCV_DATA, "vtest.avi"))
        ka, ca = kept_ratio(os.path.join(OPENCV_DATA, "Megamind.avi"))
        print("dynamic kept: vtest.avi (fixed camera) %d/%d (%.0f%%), Megamind.avi "
              "(animation) %d/%d (%.0f%%)" % (ks, cs, 100 * ks / cs, ka, ca, 100 * ka / ca))
        self.assertLess(ks / cs, ka / ca)


if __name__ == "__main__":
    unittest.main(verbosity=2)
