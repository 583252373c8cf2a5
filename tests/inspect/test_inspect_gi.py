"""Every mediatag element from Python through GObject introspection (Debian's
/usr/bin/python3): it can be made, each readable property reads back the
default its spec and docs/elements/ give, the secrets cannot be read back
at all, the enum and flags types are plugin API, and each property of ours
is documented in the source with a `Since:`."""
import glob
import os
import re
import unittest

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstBase", "1.0")
from gi.repository import GObject, Gst, GstBase  # noqa: E402

ROOT = os.environ["MEDIATAG_SOURCE_ROOT"]

PAGES = {
    "s3src": "s3.md", "s3sink": "s3.md", "framesampler": "framesampler.md",
    "rekognitionsink": "rekognitionsink.md",
    "opensearchsink": "opensearchsink.md",
    "transcribesink": "transcribesink.md", "textractsink": "textractsink.md",
    "comprehend": "comprehend.md",
}
SECRETS = {"secret-key", "session-token", "access-key", "password",
           "username"}
# Installed by plugins/core/awssettings.c on every AWS element; its blurbs
# are their documentation.
# Defaults an element sets in its init over its class's spec: gst-inspect-1.0
# and the docs show these (the instance's), g_param_spec_get_default_value()
# the spec's. Any other difference is a mistake.
OVERRIDDEN = {
    ("s3src", "blocksize"): 1024 * 1024,    # one network chunk per buffer
    ("s3sink", "sync"): False,              # an upload waits for no clock
    ("opensearchsink", "sync"): False,
    ("opensearchsink", "enable-last-sample"): False,
    ("comprehend", "max-in-flight"): 25,    # a Batch* call takes 25 texts
}
AWS_SETTINGS = {"region", "endpoint", "profile", "access-key", "secret-key",
                "session-token", "retries", "request-timeout", "tls-verify",
                "ca-file"}


def docs_rows(element):
    """property -> default cell, from the element's generated reference."""
    with open(os.path.join(ROOT, "docs", "elements", PAGES[element]),
              encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"<!-- BEGIN gst-inspect reference of %s:.*?-->(.*?)"
                  r"<!-- END gst-inspect reference of %s -->"
                  % (element, element), text, re.S)
    assert m, "docs/elements/%s has no reference of %s" % (
        PAGES[element], element)
    rows = {}
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 6 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = {"default": cells[2],
                                         "flags": cells[4]}
    return rows


def doc_value(cell):
    """A docs default cell as a Python value."""
    if cell == "null":
        return None
    assert cell.startswith("`") and cell.endswith("`"), cell
    text = cell[1:-1].replace("\\|", "|")
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"'):
        return text[1:-1]
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text          # an enum or flags nick


def as_doc_value(pspec, value):
    t = pspec.value_type
    if t.is_a(GObject.TYPE_ENUM):
        return value.value_nick
    if t.is_a(GObject.TYPE_FLAGS):
        nicks = [v.value_nicks[0] for k, v in
                 sorted(pspec.flags_class.__flags_values__.items())
                 if k and (int(value) & k) == k]
        return "+".join(nicks) or "0"
    return value


def own_properties(element):
    """Ours: not GstObject's, GstElement's or a GstBase* class's."""
    upstream = (Gst.Object.__gtype__, Gst.Element.__gtype__,
                GstBase.BaseSrc.__gtype__, GstBase.BaseSink.__gtype__)
    return [p for p in element.list_properties()
            if p.owner_type not in upstream]


class MakeEveryElement(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        Gst.init(None)
        cls.elements = {}
        for name in PAGES:
            cls.elements[name] = Gst.ElementFactory.make(name, None)

    def test_every_element_is_made(self):
        for name, element in self.elements.items():
            with self.subTest(element=name):
                self.assertIsNotNone(element, "%s cannot be made" % name)
                factory = element.get_factory()
                self.assertIn(os.environ["MEDIATAG_BUILD_ROOT"],
                              factory.get_plugin().get_filename())

    def test_defaults_read_back_as_documented(self):
        checked = 0
        for name, element in self.elements.items():
            rows = docs_rows(name)
            for p in element.list_properties():
                if p.name in ("name", "parent") or \
                        p.value_type.is_a(GObject.TYPE_BOXED) or \
                        not p.flags & GObject.ParamFlags.READABLE:
                    continue
                with self.subTest(element=name, property=p.name):
                    value = element.get_property(p.name)
                    # the instance starts at its spec's default
                    self.assertEqual(value, OVERRIDDEN.get(
                        (name, p.name), p.default_value))
                    self.assertIn(p.name, rows)
                    documented = doc_value(rows[p.name]["default"])
                    actual = as_doc_value(p, value)
                    if isinstance(actual, float):
                        self.assertAlmostEqual(actual, documented,
                                               delta=abs(actual) * 1e-6)
                    else:
                        self.assertEqual(actual, documented)
                    checked += 1
        self.assertGreater(checked, 100)

    def test_nicks_and_blurbs_in_upstream_style(self):
        """A nick is a capitalised name for people ("Max in flight"), not
        the property's name; a blurb is one phrase without a final full
        stop, as gst-plugins-good writes them."""
        for name, element in self.elements.items():
            for p in own_properties(element):
                with self.subTest(element=name, property=p.name):
                    self.assertTrue(p.nick[:1].isupper(), p.nick)
                    self.assertNotEqual(p.nick, p.name)
                    self.assertTrue(p.blurb)
                    self.assertFalse(p.blurb.endswith("."), p.blurb)

    def test_secrets_never_read_back(self):
        seen = set()
        for name, element in self.elements.items():
            rows = docs_rows(name)
            for p in element.list_properties():
                if p.name not in SECRETS:
                    continue
                with self.subTest(element=name, property=p.name):
                    seen.add(p.name)
                    self.assertFalse(p.flags & GObject.ParamFlags.READABLE)
                    self.assertTrue(p.flags & GObject.ParamFlags.WRITABLE)
                    element.set_property(p.name, "AKIDSECRETVALUE123")
                    with self.assertRaises(TypeError):
                        element.get_property(p.name)
                    self.assertEqual(rows[p.name]["default"], "null")
                    self.assertIn("write-only", rows[p.name]["flags"])
        self.assertTrue({"secret-key", "session-token", "access-key",
                         "password"} <= seen, seen)

    def test_secrets_absent_from_a_structure_of_all_properties(self):
        """What an application dumping every readable property gets (as
        gst-inspect-1.0 or a GstTracer would) holds no secret."""
        element = Gst.ElementFactory.make("rekognitionsink", None)
        element.set_property("access-key", "AKIDEXAMPLEKEY")
        element.set_property("secret-key", "wJalrXUtnFEMI/K7MDENG")
        element.set_property("session-token", "FwoGZXIvYXdzEXAMPLE")
        dump = []
        for p in element.list_properties():
            if p.flags & GObject.ParamFlags.READABLE and \
                    not p.value_type.is_a(GObject.TYPE_OBJECT):
                dump.append("%s=%r" % (p.name, element.get_property(p.name)))
        text = " ".join(dump)
        self.assertIn("tls-verify=True", text)
        for secret in ("AKIDEXAMPLEKEY", "wJalrXUtnFEMI", "FwoGZXIvYXdz"):
            self.assertNotIn(secret, text)

    def test_enum_and_flags_types_are_plugin_api(self):
        types = set()
        for name, element in self.elements.items():
            for p in own_properties(element):
                t = p.value_type
                if t.is_a(GObject.TYPE_ENUM) or t.is_a(GObject.TYPE_FLAGS):
                    types.add(t.name)
                    with self.subTest(element=name, type=t.name):
                        self.assertTrue(Gst.type_is_plugin_api(t)[0])
        base = GObject.type_from_name("MtAnalysisSink")
        self.assertTrue(Gst.type_is_plugin_api(base)[0])
        self.assertIn("MtFrameCaptureMode", types)
        self.assertGreaterEqual(len(types), 10, types)

    def test_properties_documented_in_source_with_since(self):
        sources = ""
        for path in glob.glob(os.path.join(ROOT, "plugins", "*", "*.c")):
            with open(path, encoding="utf-8") as f:
                sources += f.read()
        blocks = {}
        for m in re.finditer(r"/\*\*\n\s*\* ([A-Za-z0-9]+):([a-z0-9-]+):\n"
                             r"(.*?)\*/", sources, re.S):
            blocks[(m.group(1), m.group(2))] = m.group(3)
        checked = 0
        for name, element in self.elements.items():
            for p in own_properties(element):
                if p.name in AWS_SETTINGS:
                    continue
                key = (p.owner_type.name, p.name)
                with self.subTest(element=name, property=p.name):
                    self.assertIn(key, blocks, "no /** %s:%s: comment" % key)
                    self.assertRegex(blocks[key], r"\* Since: \d+\.\d+")
                    checked += 1
        self.assertGreater(checked, 50)


if __name__ == "__main__":
    unittest.main(verbosity=2)
