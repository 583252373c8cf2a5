"""Launch lines a user runs end by themselves, many at once, every time.

rekognitionsink used to hang at end of stream in 2 of 5 runs (6 of 24 with
four at once): the pipeline held the sink's EOS message because decodebin's
READY->PAUSED message, posted from a streaming thread, cleared the bin's
"posted PLAYING" mark after the application had already gone to PLAYING.
With `-e` and a clip that has an audio track it hung every time. These runs
put the machine under the same load (several gst-launch-1.0 at once, the
local engines using both cores) with max-in-flight 1, 2 and 8, and fail on
any run that does not end, or ends without all of its results."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from mtfixtures import HAVE_MODELS, SOURCE_ROOT

SAMPLE_JPG = os.path.join(SOURCE_ROOT, "data", "sample.jpg")
# Under ASan a run takes several times longer; a hang never ends at all.
RUN_TIMEOUT = 240 if os.environ.get("MEDIATAG_SANITIZED") else 90


def make_clip(path, audio):
    """Four seconds of 320x240 test video, with or without an AAC track."""
    video = ["videotestsrc", "num-buffers=100", "pattern=ball", "!",
             "video/x-raw,width=320,height=240,framerate=25/1", "!",
             "x264enc", "speed-preset=ultrafast", "!", "mp4mux", "name=m", "!",
             "filesink", "location=" + path]
    sound = ["audiotestsrc", "num-buffers=172", "!", "audioconvert", "!",
             "avenc_aac", "!", "m."] if audio else []
    subprocess.run(["gst-launch-1.0", "-q"] + video + sound, check=True,
                   timeout=120)


@unittest.skipUnless(HAVE_MODELS, "vision models missing: run tools/fetch-models")
class LaunchLinesEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mediatag-eos-")
        cls.with_audio = os.path.join(cls.dir, "with-audio.mp4")
        cls.without_audio = os.path.join(cls.dir, "without-audio.mp4")
        make_clip(cls.with_audio, True)
        make_clip(cls.without_audio, False)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def run_at_once(self, lines):
        """Starts every launch line at once; returns [(line, rc, out, err)]."""
        procs = []
        for args, out in lines:
            p = subprocess.Popen(["gst-launch-1.0", "-q"] + args,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, start_new_session=True)
            procs.append((args, out, p))
        results = []
        deadline = time.monotonic() + RUN_TIMEOUT
        for args, out, p in procs:
            try:
                o, e = p.communicate(timeout=max(1, deadline - time.monotonic()))
                results.append((args, p.returncode, out, e))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, 9)
                p.communicate()
                results.append((args, None, out, "never ended"))
        return results

    def check(self, results, min_docs):
        hung = [" ".join(a) for a, rc, _, _ in results if rc is None]
        self.assertEqual(hung, [], "launch lines that never ended")
        for args, rc, out, err in results:
            self.assertEqual(rc, 0, "%s\n%s" % (" ".join(args), err))
            with open(out) as f:
                docs = [json.loads(line) for line in f]
            self.assertGreaterEqual(len(docs), min_docs, " ".join(args))

    def test_photo_four_at_once(self):
        """The before-stop hook's line: filesrc ! decodebin ! videoconvert !
        rekognitionsink, four at once, three rounds, max-in-flight 1, 2, 8."""
        for round_, mif in enumerate((1, 2, 8)):
            lines = []
            for j in range(4):
                out = os.path.join(self.dir, "photo-%d-%d.jsonl" % (round_, j))
                lines.append((["filesrc", "location=" + SAMPLE_JPG, "!",
                               "decodebin", "!", "videoconvert", "!",
                               "rekognitionsink", "backend=local",
                               "features=labels", "max-in-flight=%d" % mif,
                               "location=" + out], out))
            self.check(self.run_at_once(lines), 1)

    def test_clip_with_and_without_audio_eos_flag(self):
        """The README's form, `gst-launch-1.0 -e ... decodebin ! videoconvert
        ! framesampler ! rekognitionsink`: decodebin's audio pad stays
        unlinked when the clip has sound."""
        lines = []
        for j, clip in enumerate((self.with_audio, self.without_audio) * 2):
            out = os.path.join(self.dir, "clip-%d.jsonl" % j)
            lines.append((["-e", "filesrc", "location=" + clip, "!",
                           "decodebin", "!", "videoconvert", "!",
                           "framesampler", "frame-capture-mode=1f-every-2s",
                           "!", "rekognitionsink", "backend=local",
                           "features=faces", "max-in-flight=%d" % (1 + j),
                           "location=" + out], out))
        # The test pattern has no faces: the runs must end all the same,
        # with an (empty) results file.
        self.check(self.run_at_once(lines), 0)


if __name__ == "__main__":
    unittest.main()
