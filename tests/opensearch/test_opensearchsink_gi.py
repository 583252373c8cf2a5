#!/usr/bin/env python3
"""opensearchsink from Python (GObject introspection, Debian's python3): a
live stream fed through appsrc, where what matters is what happens before
EOS: the flush interval sends a partial batch, a slow cluster slows
upstream instead of letting documents pile up, and EOS waits for every
answer. The loopback bulk server needs nothing but the standard library
here (no SigV4)."""
import json
import os
import threading
import time
import unittest
import urllib.request

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

import mtfixtures  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BULK_SERVER = os.path.join(HERE, "bulk_server.py")

Gst.init(None)


def stats(server):
    with urllib.request.urlopen(server.url + "/_mt/stats", timeout=30) as r:
        return json.loads(r.read())


def doc_line(i):
    return (json.dumps({"id": "live-%d" % i, "analysis": "label", "name": "n%d" % i,
                        "confidence": 90.0, "timestamp": i * 40}) + "\n").encode()


class LivePipeline:
    """appsrc ! opensearchsink, counting the buffers that reach the sink."""

    def __init__(self, url, props):
        self.pipeline = Gst.parse_launch(
            "appsrc name=src format=time caps=application/x-json ! opensearchsink name=sink "
            "url=%s %s" % (url, props))
        self.src = self.pipeline.get_by_name("src")
        self.sink = self.pipeline.get_by_name("sink")
        self.entered = 0
        self.lock = threading.Lock()
        self.sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, self._count)
        self.pipeline.set_state(Gst.State.PLAYING)

    def _count(self, pad, info):
        with self.lock:
            self.entered += 1
        return Gst.PadProbeReturn.OK

    def push(self, data):
        self.src.emit("push-buffer", Gst.Buffer.new_wrapped(data))

    def finish(self, timeout=60):
        """EOS, then the messages up to and including the pipeline's EOS."""
        self.src.emit("end-of-stream")
        bus = self.pipeline.get_bus()
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = bus.timed_pop(Gst.SECOND)
            if msg is None:
                continue
            seen.append(msg)
            if msg.type in (Gst.MessageType.EOS, Gst.MessageType.ERROR):
                break
        self.pipeline.set_state(Gst.State.NULL)
        return seen


class OpenSearchSinkLiveTest(unittest.TestCase):
    def test_flush_interval_sends_a_partial_batch_before_eos(self):
        with mtfixtures.start_python_server(BULK_SERVER) as server:
            live = LivePipeline(server.url, "flush-interval=200 bulk-max-docs=1000")
            for i in range(3):
                live.push(doc_line(i))
            deadline = time.monotonic() + 20
            while stats(server)["bulk_items"] < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(stats(server)["bulk_items"], 3, "the flush interval did not send")
            msgs = live.finish()
            self.assertEqual(msgs[-1].type, Gst.MessageType.EOS)

    def test_a_slow_cluster_slows_upstream_and_eos_waits_for_every_answer(self):
        batch = 10
        n = 120
        with mtfixtures.start_python_server(BULK_SERVER, "--delay-ms", "150") as server:
            live = LivePipeline(server.url, "flush-interval=0 bulk-max-docs=%d bulk-concurrency=2"
                                % batch)
            for i in range(n):
                live.push(doc_line(i))
            worst = 0
            while True:
                with live.lock:
                    entered = live.entered
                done = stats(server)["bulk_items"]
                worst = max(worst, entered - done)
                if entered >= n:
                    break
                time.sleep(0.02)
            # Two batches being answered, one filling, one document waiting.
            self.assertLessEqual(worst, 3 * batch + 1)
            msgs = live.finish()
            self.assertEqual(msgs[-1].type, Gst.MessageType.EOS)
            # By the time EOS is posted every document has been answered.
            self.assertEqual(stats(server)["bulk_items"], n)
            summaries = [m.get_structure() for m in msgs
                         if m.type == Gst.MessageType.ELEMENT
                         and m.get_structure().get_name() == "opensearch-summary"]
            self.assertEqual(len(summaries), 1)
            self.assertEqual(summaries[0].get_value("indexed"), n)
            self.assertEqual(summaries[0].get_value("dead-lettered"), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
