"""What gst-inspect-1.0 tells a user about each mediatag element, read from
its output as a user reads it: factory metadata in upstream style, every
property with a blurb (numeric ones with their unit or range), the values
of every enum and flags property, the pad templates with their caps; and
docs/elements/ holding the reference tools/gen-element-docs.py makes from
this build."""
import os
import re
import subprocess
import unittest

ROOT = os.environ["MEDIATAG_SOURCE_ROOT"]
BUILD = os.environ["MEDIATAG_BUILD_ROOT"]

# element -> its pad templates: name -> (direction, first caps line)
ELEMENTS = {
    "s3src": {"src": ("SRC", "ANY")},
    "s3sink": {"sink": ("SINK", "ANY")},
    "framesampler": {"sink": ("SINK", "video/x-raw"),
                     "src": ("SRC", "video/x-raw")},
    "rekognitionsink": {"sink": ("SINK", "image/jpeg"),
                        "src": ("SRC", "application/x-json")},
    "opensearchsink": {"sink": ("SINK", "application/x-json")},
    "transcribesink": {"sink": ("SINK", "audio/x-raw"),
                       "src": ("SRC", "application/x-json")},
    "textractsink": {"sink": ("SINK", "application/pdf"),
                     "src": ("SRC", "application/x-json")},
    "comprehend": {"sink": ("SINK", "application/x-json"),
                   "src": ("SRC", "application/x-json")},
}

# Properties GStreamer's own base classes add (GstObject, GstBaseSrc,
# GstBaseSink): their blurbs are upstream's, not ours to judge.
UPSTREAM = {
    "name", "parent",
    "blocksize", "num-buffers", "typefind", "do-timestamp",
    "sync", "max-lateness", "qos", "async", "ts-offset",
    "enable-last-sample", "last-sample", "render-delay", "throttle-time",
    "max-bitrate", "processing-deadline", "stats",
}

NUMERIC = ("Integer", "Unsigned Integer", "Integer64", "Unsigned Integer64",
           "Long", "Unsigned Long", "Double", "Float")
# A numeric blurb says what is counted or measured: a unit, "number of"
# something, or its range in words.
UNIT = re.compile(
    r"\b(bytes?|KiB|MiB|GiB|milliseconds?|nanoseconds?|seconds?|pixels?|"
    r"bits?|percent|per second|dots per inch|number of)\b|\(\d+-\d+\)",
    re.I)

# gst-inspect-1.0's klass words (gst-plugins-base docs/design/draft-klass)
KLASS_FIRST = {"Source", "Sink", "Filter", "Codec", "Generic"}
KLASS_WORDS = {"Network", "Analyzer", "Video", "Audio", "Image", "Text",
               "Converter", "Effect", "Metadata", "File", "Subtitle"}


def inspect(name):
    cp = subprocess.run(["gst-inspect-1.0", name], capture_output=True,
                        text=True, timeout=60)
    if cp.returncode != 0:
        raise AssertionError("gst-inspect-1.0 %s failed: %s" % (name, cp.stderr))
    return cp.stdout


def section(text, title):
    """The lines of one top-level section (up to the next one)."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    out = []
    for line in lines[start:]:
        if line and not line.startswith(" "):
            break
        out.append(line)
    return out


def factory_details(text):
    details = {}
    for line in section(text, "Factory Details:"):
        m = re.match(r"  (\S+)\s{2,}(.*)$", line)
        if m:
            details[m.group(1)] = m.group(2).strip()
    return details


def pad_templates(text):
    """name -> (direction, [caps lines])"""
    pads, current = {}, None
    for line in section(text, "Pad Templates:"):
        m = re.match(r"  (SRC|SINK) template: '([^']+)'", line)
        if m:
            current = m.group(2)
            pads[current] = (m.group(1), [])
            continue
        if current and line.startswith("      ") and line.strip():
            pads[current][1].append(line.strip())
    return pads


def properties(text):
    """name -> {blurb, type, values: [(value, nick, description)]}"""
    props, current = {}, None
    for line in section(text, "Element Properties:"):
        m = re.match(r"  ([a-z0-9-]+)\s*: (.*)$", line)
        if m:
            current = props[m.group(1)] = {"blurb": m.group(2).strip(),
                                           "type": None, "values": []}
            continue
        if current is None:
            continue
        body = line.strip()
        v = re.match(r"\((0x[0-9a-f]+|-?\d+)\): (\S+)\s+- (.*)$", body)
        if v:
            current["values"].append(v.groups())
        elif current["type"] is None and not body.startswith("flags:") \
                and body:
            current["type"] = body
    return props


class Inspect(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = {name: inspect(name) for name in ELEMENTS}

    def test_factory_metadata(self):
        for name, text in self.out.items():
            with self.subTest(element=name):
                d = factory_details(text)
                for key in ("Long-name", "Klass", "Description", "Author"):
                    self.assertTrue(d.get(key), "%s: no %s" % (name, key))
                self.assertGreaterEqual(len(d["Description"]), 30)
                # Upstream's form: "Name <contact>".
                self.assertRegex(d["Author"], r"^[^<>]+ <[^<>\s]+>$")
                words = d["Klass"].split("/")
                self.assertIn(words[0], KLASS_FIRST, d["Klass"])
                self.assertTrue(set(words[1:]) <= KLASS_WORDS, d["Klass"])
                pads = pad_templates(text)
                directions = {p[0] for p in pads.values()}
                if words[0] == "Source":
                    self.assertEqual(directions, {"SRC"})
                if words[0] in ("Sink", "Filter"):
                    self.assertIn("SINK", directions)

    def test_every_property_has_a_blurb(self):
        for name, text in self.out.items():
            props = properties(text)
            self.assertGreater(len(props), 5, name)
            for prop, p in props.items():
                with self.subTest(element=name, property=prop):
                    self.assertTrue(p["blurb"])
                    self.assertNotEqual(p["blurb"].lower(), prop.replace("-", " "))
                    self.assertIsNotNone(p["type"])

    def test_numeric_properties_state_unit_or_range(self):
        checked = 0
        for name, text in self.out.items():
            for prop, p in properties(text).items():
                if prop in UPSTREAM or not p["type"].startswith(NUMERIC):
                    continue
                with self.subTest(element=name, property=prop):
                    self.assertIn("Range:", p["type"])
                    self.assertIn("Default:", p["type"])
                    self.assertRegex(p["blurb"], UNIT)
                    checked += 1
        self.assertGreater(checked, 20)

    def test_enum_and_flags_values_are_listed(self):
        kinds = set()
        for name, text in self.out.items():
            for prop, p in properties(text).items():
                if not p["type"].startswith(("Enum", "Flags")):
                    continue
                with self.subTest(element=name, property=prop):
                    kinds.add(p["type"].split()[0])
                    self.assertGreaterEqual(len(p["values"]), 2, p)
                    for value, nick, desc in p["values"]:
                        self.assertTrue(desc.strip(), (value, nick))
                    # the default is one of the listed values
                    default = re.search(r'Default: (\S+), "([^"]*)"', p["type"])
                    self.assertIsNotNone(default, p["type"])
        self.assertEqual(kinds, {"Enum", "Flags"})

    def test_frame_capture_modes_listed_with_media2cloud_codes(self):
        p = properties(self.out["framesampler"])["frame-capture-mode"]
        modes = {nick: int(value) for value, nick, _ in p["values"]}
        self.assertEqual(modes["1f-every-2s"], 1002)
        self.assertEqual(modes["dynamic"], 9999)
        self.assertEqual(modes["all"], 1000)

    def test_pad_templates(self):
        for name, expected in ELEMENTS.items():
            with self.subTest(element=name):
                pads = pad_templates(self.out[name])
                self.assertEqual(set(pads), set(expected))
                for pad, (direction, first) in expected.items():
                    self.assertEqual(pads[pad][0], direction)
                    self.assertTrue(pads[pad][1], pads[pad])
                    self.assertTrue(pads[pad][1][0].startswith(first),
                                    pads[pad][1])

    def test_secrets_are_write_only(self):
        for name, text in self.out.items():
            props = properties(text)
            for secret in ("secret-key", "session-token", "access-key",
                           "password"):
                if secret not in props:
                    continue
                with self.subTest(element=name, property=secret):
                    self.assertIn("Write only", props[secret]["type"])
        self.assertIn("secret-key", properties(self.out["s3src"]))

    def test_uri_handlers(self):
        for name, kind in (("s3src", "source"), ("s3sink", "sink")):
            text = self.out[name]
            self.assertIn("Element can act as %s." % kind, text)
            self.assertIn("Supported URI protocols:\n    s3", text)


GI_PYTHON = "/usr/bin/python3"   # Debian's, with python3-gi


@unittest.skipUnless(os.path.exists(GI_PYTHON), "no Debian python3 with gi")
class GeneratedDocs(unittest.TestCase):
    def test_docs_tables_equal_the_build(self):
        cp = subprocess.run(
            [GI_PYTHON, os.path.join(ROOT, "tools",
                                              "gen-element-docs.py"),
             "--build-dir", BUILD, "--check"],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)

    def test_check_notices_a_stale_page(self):
        """--check is not a no-op: a page with a changed default fails."""
        import shutil
        import tempfile
        tmp = tempfile.mkdtemp()
        try:
            docs = os.path.join(tmp, "elements")
            shutil.copytree(os.path.join(ROOT, "docs", "elements"), docs)
            page = os.path.join(docs, "framesampler.md")
            with open(page, encoding="utf-8") as f:
                text = f.read()
            self.assertIn("| `post-messages` | Boolean | `false` |", text)
            with open(page, "w", encoding="utf-8") as f:
                f.write(text.replace("| `post-messages` | Boolean | `false` |",
                                     "| `post-messages` | Boolean | `true` |"))
            cp = subprocess.run(
                [GI_PYTHON, os.path.join(ROOT, "tools",
                                                  "gen-element-docs.py"),
                 "--build-dir", BUILD, "--docs-dir", docs, "--check"],
                capture_output=True, text=True, timeout=120)
            self.assertEqual(cp.returncode, 1, cp.stdout + cp.stderr)
            self.assertIn("framesampler.md", cp.stdout)
            self.assertIn("+| `post-messages` | Boolean | `false` |", cp.stdout)
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main(verbosity=2)
