"""framesampler frame-capture-mode=dynamic (9999) measured on clips with
several shots (issue 17.4): stills of different photos no one in the project
made (darknet, opencv-doc), each held 3 s at 25 fps with a small camera
shake and sensor noise, some of their seconds blurred (defocus). Reports the
frames kept per shot and the kept ratio against 1 fps, and checks that
near-duplicates are dropped, that every shot keeps a sharp frame, and that
a blurred copy is never kept in place of a sharp one.

The figures are in docs/elements/framesampler.md."""
import os
import random
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fsclips import peer_env, run  # noqa: E402

from PIL import Image, ImageFilter  # noqa: E402

WIDTH, HEIGHT, FPS, SHOT_SECONDS = 320, 180, 25, 3
SHOT_FRAMES = FPS * SHOT_SECONDS

PHOTOS = ["/usr/share/darknet/data/dog.jpg", "/usr/share/darknet/data/horses.jpg",
          "/usr/share/doc/opencv-doc/examples/data/fruits.jpg",
          "/usr/share/darknet/data/eagle.jpg", "/usr/share/darknet/data/giraffe.jpg",
          "/usr/share/doc/opencv-doc/examples/data/home.jpg"]


def base_picture(photo, pan=0):
    """The photo covering a frame, with a margin for the shake."""
    img = Image.open(photo).convert("RGB")
    w, h = WIDTH + 8 + pan, HEIGHT + 8
    s = max(w / img.width, h / img.height)
    img = img.resize((round(img.width * s) + 1, round(img.height * s) + 1), Image.LANCZOS)
    x, y = (img.width - w) // 2, (img.height - h) // 2
    return img.crop((x, y, x + w, y + h))


def write_clip(path, shots, pan=0):
    """shots: [(photo, set of blurred seconds within the shot)]; pan: pixels
    the camera drifts right over a shot. An H.264 clip (Matroska); returns
    the number of frames."""
    rng = random.Random(9999)
    p = subprocess.Popen(
        ["gst-launch-1.0", "-q", "fdsrc", "fd=0", "!", "rawvideoparse", "format=rgb",
         "width=%d" % WIDTH, "height=%d" % HEIGHT, "framerate=%d/1" % FPS, "!",
         "videoconvert", "!", "video/x-raw,format=I420", "!", "x264enc",
         "speed-preset=ultrafast", "key-int-max=50", "!", "matroskamux", "!",
         "filesink", "location=" + path], stdin=subprocess.PIPE, env=peer_env())
    for photo, blurred in shots:
        base = base_picture(photo, pan)
        soft = base.filter(ImageFilter.GaussianBlur(2.5))
        for i in range(SHOT_FRAMES):
            src = soft if i // FPS in blurred else base
            dx = rng.randint(2, 6) + pan * i // SHOT_FRAMES
            dy = rng.randint(2, 6)
            frame = src.crop((dx, dy, dx + WIDTH, dy + HEIGHT))
            # Sensor noise: about +-3 levels.
            frame = Image.blend(frame, Image.effect_noise(frame.size, 60).convert("RGB"),
                                0.05)
            p.stdin.write(frame.tobytes())
    p.stdin.close()
    if p.wait(timeout=60) != 0:
        raise AssertionError("could not encode the test clip")
    return len(shots) * SHOT_FRAMES


def dynamic_frames(path, props=""):
    launch = ("filesrc location=%s ! matroskademux ! h264parse ! avdec_h264 "
              "! framesampler name=d frame-capture-mode=dynamic %s ! fakesink sync=false"
              % (path, props))
    passed, _ = run(launch, ["d"])
    return [off for off, _ in passed["d"]]


class DynamicFigures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mediatag-dynamic-")

    @classmethod
    def tearDownClass(cls):
        for f in os.listdir(cls.dir):
            os.remove(os.path.join(cls.dir, f))
        os.rmdir(cls.dir)

    def figures(self, name, shots, pan=0):
        path = os.path.join(self.dir, name + ".mkv")
        nframes = write_clip(path, shots, pan)
        kept = dynamic_frames(path)
        per_shot = [[f for f in kept if f // SHOT_FRAMES == s] for s in range(len(shots))]
        candidates = nframes // FPS
        print("%s: %d shots of %d s at %d fps: kept %s per shot; %d of %d 1 fps candidates "
              "(%.0f %%)" % (name, len(shots), SHOT_SECONDS, FPS,
                             [len(k) for k in per_shot], len(kept), candidates,
                             100.0 * len(kept) / candidates))
        for s, (frames, (photo, blurred)) in enumerate(zip(per_shot, shots)):
            print("  shot %d (%s, blurred seconds %s): frames %s" % (
                s, os.path.basename(photo), sorted(blurred), frames))
        return kept, per_shot, candidates

    def check(self, per_shot, shots):
        for s, (frames, (_, blurred)) in enumerate(zip(per_shot, shots)):
            # Near-duplicates dropped: one frame stands for a shot of three
            # near-identical seconds.
            self.assertEqual(len(frames), 1, "shot %d kept %s" % (s, frames))
            # ... and it is a sharp one, wherever the blur is in the shot.
            second = (frames[0] % SHOT_FRAMES) // FPS
            self.assertNotIn(second, blurred, "shot %d kept blurred frame %d" % (s, frames[0]))

    def test_four_shots(self):
        shots = [(PHOTOS[0], {0}), (PHOTOS[1], {2}), (PHOTOS[2], set()), (PHOTOS[3], {0, 1})]
        kept, per_shot, candidates = self.figures("four-shots", shots)
        self.check(per_shot, shots)
        self.assertLessEqual(len(kept), candidates / 2)

    def test_return_to_a_shot(self):
        # A-B-A (a cut back to the first camera): the return is a new shot.
        shots = [(PHOTOS[4], {1}), (PHOTOS[5], {0}), (PHOTOS[4], {2})]
        _, per_shot, _ = self.figures("a-b-a", shots)
        self.check(per_shot, shots)

    def test_panning_shots(self):
        # The camera drifts a fifth of the frame over each shot: the view
        # changes, so more than one frame a shot may be kept, but never a
        # blurred one, and still fewer than 1 fps gives.
        shots = [(PHOTOS[2], {1}), (PHOTOS[0], {0}), (PHOTOS[5], set())]
        kept, per_shot, candidates = self.figures("panning", shots, pan=WIDTH // 5)
        for s, (frames, (_, blurred)) in enumerate(zip(per_shot, shots)):
            self.assertGreaterEqual(len(frames), 1, "shot %d kept nothing" % s)
            for f in frames:
                self.assertNotIn((f % SHOT_FRAMES) // FPS, blurred, "shot %d: frame %d" % (s, f))
        self.assertLess(len(kept), candidates)


if __name__ == "__main__":
    unittest.main(verbosity=2)
