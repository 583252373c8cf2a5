#!/usr/bin/python3
"""Write the frames a frame capture mode selects as JPEG files.

    framesampler-jpeg.py INPUT OUTDIR [--mode 1f-every-2s] [--seek auto]
                         [--interval SECONDS] [--quality 85]

Each file is named after the source frame number and its time in
milliseconds, frame-0000300-00010010ms.jpg, so a frame can be found again in
the video and matched with Media2Cloud's frameCaptureMode numbering. One line
per frame goes to stdout: "<frame> <ms> <path>".

framesampler sits right after the decoder, so only the sampled frames are
converted and encoded. Runs with Debian's /usr/bin/python3 (python3-gi,
python3-gst-1.0).
"""
import argparse
import os
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("input", help="a media file or URI")
    p.add_argument("outdir", help="directory for the JPEG files (created)")
    p.add_argument("--mode", default="1fps",
                   help="frame capture mode, code or nick (default 1fps)")
    p.add_argument("--seek", default="auto", choices=["auto", "none", "accurate", "keyframe"])
    p.add_argument("--interval", type=float, default=0,
                   help="seconds between samples, overriding --mode")
    p.add_argument("--quality", type=int, default=85, help="JPEG quality")
    return p.parse_args()


class Sampler:
    def __init__(self, args):
        self.args = args
        self.frames = {}        # PTS -> (frame number, stream time)
        self.written = 0
        self.error = None
        self.loop = GLib.MainLoop()
        uri = args.input if Gst.uri_is_valid(args.input) else Gst.filename_to_uri(args.input)
        self.pipeline = Gst.Pipeline.new("framesampler-jpeg")
        self.decode = Gst.ElementFactory.make("uridecodebin", None)
        self.decode.set_property("uri", uri)
        self.sampler = Gst.ElementFactory.make("framesampler", None)
        if self.sampler is None:
            raise SystemExit("framesampler is not installed: set GST_PLUGIN_PATH to the mediatag plugins")
        Gst.util_set_object_arg(self.sampler, "frame-capture-mode", args.mode)
        Gst.util_set_object_arg(self.sampler, "seek", args.seek)
        self.sampler.set_property("interval", int(args.interval * Gst.SECOND))
        convert = Gst.ElementFactory.make("videoconvert", None)
        encode = Gst.ElementFactory.make("jpegenc", None)
        encode.set_property("quality", args.quality)
        self.sink = Gst.ElementFactory.make("appsink", None)
        self.sink.set_property("sync", False)
        self.sink.set_property("emit-signals", True)
        self.sink.connect("new-sample", self.on_sample)
        for e in (self.decode, self.sampler, convert, encode, self.sink):
            self.pipeline.add(e)
        self.sampler.link(convert)
        convert.link(encode)
        encode.link(self.sink)
        self.decode.connect("pad-added", self.on_pad_added)
        self.decode.connect("no-more-pads", self.on_no_more_pads)
        # jpegenc does not keep the buffer offset: note each frame number
        # by PTS as it leaves framesampler.
        self.sampler.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self.on_sampled)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

    def on_pad_added(self, decode, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        if not caps.get_structure(0).get_name().startswith("video/"):
            return
        sinkpad = self.sampler.get_static_pad("sink")
        if not sinkpad.is_linked():
            pad.link(sinkpad)

    def on_no_more_pads(self, decode):
        if not self.sampler.get_static_pad("sink").is_linked():
            self.fail("%s has no video stream: nothing to sample." % self.args.input)

    def on_sampled(self, pad, info):
        buf = info.get_buffer()
        self.frames[buf.pts] = buf.offset
        return Gst.PadProbeReturn.OK

    def on_sample(self, sink):
        sample = sink.emit("pull-sample")
        buf = sample.get_buffer()
        frame = self.frames.pop(buf.pts, None)
        if frame is None:
            self.fail("a JPEG frame at %d ns came without a frame number" % buf.pts)
            return Gst.FlowReturn.ERROR
        ms = (buf.pts + 500000) // 1000000
        path = os.path.join(self.args.outdir, "frame-%07d-%08dms.jpg" % (frame, ms))
        ok, info = buf.map(Gst.MapFlags.READ)
        try:
            with open(path, "wb") as f:
                f.write(info.data)
        finally:
            buf.unmap(info)
        self.written += 1
        print("%d %d %s" % (frame, ms, path), flush=True)
        return Gst.FlowReturn.OK

    def fail(self, text):
        if self.error is None:
            self.error = text
        GLib.idle_add(self.loop.quit)

    def on_message(self, bus, msg):
        if msg.type == Gst.MessageType.EOS:
            self.loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            self.fail("%s: %s" % (msg.src.get_name(), err.message))

    def run(self):
        os.makedirs(self.args.outdir, exist_ok=True)
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self.fail("could not start the pipeline for %s" % self.args.input)
        else:
            self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        return self.error


def main():
    args = parse_args()
    Gst.init(None)
    error = Sampler(args).run()
    if error:
        print("framesampler-jpeg: %s" % error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
