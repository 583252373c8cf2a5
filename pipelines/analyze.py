#!/usr/bin/env python3
"""Analyse a video or image from Python through GObject introspection.

Builds the same graph `mediatag analyze` builds, with Gst.parse_launch,
and reads the results from the bus: one element message per analysed
frame, named after the element, whose "results" field is a JSON array of
result documents. Prints one line per finding.

    python3 pipelines/analyze.py data/sample.mp4 [--backend local]
        [--features labels+faces+text] [--mode 1fps]

Run it with Debian's python3 (it has python3-gi and python3-gst-1.0) and
GST_PLUGIN_PATH pointing at the build (`meson devenv -C build` does that).
"""
import argparse
import json
import os
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def build(path, backend, features, mode, image):
    sampler = "" if image else " ! framesampler frame-capture-mode=%s" % mode
    pipeline = Gst.parse_launch("filesrc name=src ! decodebin ! videoconvert%s"
                                " ! rekognitionsink backend=%s features=%s"
                                % (sampler, backend, features))
    # Set as a property, not spliced into the launch line: any path works.
    pipeline.get_by_name("src").set_property("location", path)
    return pipeline


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path")
    ap.add_argument("--backend", default="local")
    ap.add_argument("--features", default="labels+faces+text")
    ap.add_argument("--mode", default="1fps", help="frame capture mode (code or name)")
    args = ap.parse_args()

    Gst.init(None)
    image = os.path.splitext(args.path)[1].lower() in (".jpg", ".jpeg", ".png")
    pipeline = build(os.path.abspath(args.path), args.backend, args.features, args.mode, image)
    loop = GLib.MainLoop()
    status = {"code": 0}

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.ELEMENT and msg.get_structure().get_name() == "rekognitionsink":
            s = msg.get_structure()
            for doc in json.loads(s.get_string("results")):
                if "track" in doc:
                    continue
                print("%8d ms  %-10s %-24s %5.1f" % (doc.get("timestamp", 0), doc["analysis"],
                                                   doc.get("name", ""), doc.get("confidence", 0)))
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print("error: %s: %s" % (msg.src.get_name(), err.message), file=sys.stderr)
            if debug:
                print("  %s" % debug.strip().splitlines()[-1], file=sys.stderr)
            status["code"] = 1
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    pipeline.set_state(Gst.State.PLAYING)
    try:
        loop.run()
    finally:
        pipeline.set_state(Gst.State.NULL)
    return status["code"]


if __name__ == "__main__":
    sys.exit(main())
