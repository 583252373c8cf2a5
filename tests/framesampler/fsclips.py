"""Helpers for the framesampler Python tests: test clips made at test time,
an independent implementation of Media2Cloud's frame capture math, and a
runner that collects what framesampler passes.

Media2Cloud (frameCaptureModeHelper.js) names sample k as frame
round(k * fr * den / num) at round(frame * 1000 / fr) ms, with Math.round
rounding halves up. Here it is redone with exact fractions so the test does
not share a line of arithmetic with the C code under test.
"""
import math
import os
import subprocess
from fractions import Fraction

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)

FIXED_MODES = {1002: (5, 10), 1003: (2, 10), 1004: (1, 10), 1005: (1, 30),
               1011: (1, 60), 1012: (1, 120), 1013: (1, 300)}
FPS_MODES = [1, 2, 3, 4, 5, 10, 12, 15]
ALL_MODES = FPS_MODES + [1000, 1001] + sorted(FIXED_MODES)
SPARSE_MODES = sorted(FIXED_MODES)


def js_round(x):
    return math.floor(x + Fraction(1, 2))


def m2c_rate(mode, fr):
    if mode in FPS_MODES:
        return mode, 1
    if mode in (1000, 1001):
        whole = js_round(fr)
        den = 1000 if fr.denominator == 1 else 1001
        return whole * (1000 if mode == 1000 else 500), den
    return FIXED_MODES[mode]


def expected(mode, fr, nframes, interval=None):
    """[(frame, ms)] Media2Cloud gives for a clip of nframes frames."""
    if interval is not None:
        num, den = Fraction(1), Fraction(interval)
    else:
        num, den = m2c_rate(mode, fr)
    out = []
    k = 0
    while True:
        frame = js_round(Fraction(k) * fr * den / num)
        if frame >= nframes:
            return out
        if not out or frame != out[-1][0]:
            out.append((frame, js_round(Fraction(frame) * 1000 / fr)))
        k += 1


def gop_frames(fr):
    return js_round(2 * fr)


def make_clip(path, fr, seconds, audio=False, pattern="ball", extra=""):
    """An H.264 clip, 128x96, a key unit every 2 s; returns its frame count."""
    nframes = js_round(seconds * fr)
    mux = "matroskamux" if path.endswith(".mkv") else "mp4mux"
    launch = ("videotestsrc num-buffers=%d pattern=%s %s "
              "! video/x-raw,format=I420,width=128,height=96,framerate=%d/%d "
              "! x264enc speed-preset=ultrafast key-int-max=%d option-string=scenecut=0 "
              "! h264parse ! %s name=m ! filesink location=%s"
              % (nframes, pattern, extra, fr.numerator, fr.denominator,
                 gop_frames(fr), mux, path))
    if audio:
        launch += (" audiotestsrc num-buffers=%d ! audio/x-raw,rate=44100 "
                   "! voaacenc ! aacparse ! m." % (int(seconds * 44100 / 1024) + 1))
    subprocess.run(["gst-launch-1.0", "-q"] + launch.split(), check=True,
                   stdout=subprocess.DEVNULL, env=peer_env())
    return nframes


def run(launch, samplers, count=(), timeout=120):
    """Runs a launch line until EOS; returns {sampler name: [(offset, pts)]}
    and {sampler name in count: number of frames framesampler received}."""
    pipeline = Gst.parse_launch(launch)
    passed = {name: [] for name in samplers}
    seen = {name: 0 for name in count}

    def on_src(pad, info, name):
        buf = info.get_buffer()
        passed[name].append((buf.offset, buf.pts))
        return Gst.PadProbeReturn.OK

    def on_sink(pad, info, name):
        seen[name] += 1
        return Gst.PadProbeReturn.OK

    for name in samplers:
        el = pipeline.get_by_name(name)
        el.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, on_src, name)
        if name in count:
            el.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_sink, name)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        timeout * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg is None:
        raise AssertionError("no EOS within %d s: %s" % (timeout, launch))
    if msg.type == Gst.MessageType.ERROR:
        err, debug = msg.parse_error()
        raise AssertionError("%s: %s (%s)" % (msg.src.get_name(), err.message, debug))
    return passed, seen


def frames_and_ms(passed):
    """[(frame number, PTS rounded to ms)] as a user reads them."""
    return [(off, (pts + 500000) // 1000000) for off, pts in passed]


def peer_env():
    """The environment for tools that are peers, not code under test: no
    sanitizer runtime preloaded, and neither our plugins nor our registry
    (a plugin scan without the runtime would blacklist them there)."""
    env = dict(os.environ)
    for name in ("LD_PRELOAD", "GST_PLUGIN_PATH", "GST_REGISTRY"):
        env.pop(name, None)
    return env


def sanitized():
    return os.environ.get("MEDIATAG_SANITIZED") == "1"


__all__ = ["GLib", "Gst"]
