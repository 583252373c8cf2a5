"""The bash completion (tools/mediatag.bash-completion) in bash itself:
sourced, COMP_WORDS/COMP_CWORD set, _mediatag called, COMPREPLY read.
Verbs and options must be the built tool's; feature names and backends
those its --help lists; frame capture modes exactly framesampler's enum
(read through Debian's Python GI from the built plugin).

    test_completion.py COMPLETION_SCRIPT
"""
import os
import re
import shlex
import subprocess
import sys
import unittest

TOOL = os.environ["MEDIATAG_TOOL"]
SCRIPT = sys.argv.pop(1)
OPTION = re.compile(r"^  (?:(-\w), )?(--[\w-]+)")


def complete(*lines):
    """COMPREPLY for each command line; the cursor is at the end of the last
    word (a trailing space starts an empty word). One bash for all, as a
    shell would reuse its cache."""
    script = ["source %s" % shlex.quote(SCRIPT)]
    for line in lines:
        words = line.split() + ([""] if line.endswith(" ") else [])
        words[0] = TOOL
        script.append("COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE=%s; _mediatag; "
                      "printf '%%s\\n' \"${COMPREPLY[@]}\"; echo '<end>'" % (
                          " ".join(shlex.quote(w) for w in words), len(words) - 1,
                          shlex.quote(line)))
    out = subprocess.run(["bash", "--norc", "--noprofile", "-c", "\n".join(script)],
                         capture_output=True, text=True, check=True,
                         env=dict(os.environ, LC_ALL="C.UTF-8"))
    self_check = out.stdout.split("<end>\n")
    return [sorted(filter(None, part.split("\n"))) for part in self_check[:-1]]


def tool(*args):
    return subprocess.run([TOOL, *args], capture_output=True, text=True,
                          check=True).stdout


def enum_of_framesampler():
    code = ("import gi; gi.require_version('Gst', '1.0')\n"
            "from gi.repository import Gst; Gst.init(None)\n"
            "e = Gst.ElementFactory.make('framesampler')\n"
            "p = e.find_property('frame-capture-mode')\n"
            "for v in sorted(p.enum_class.__enum_values__.values()):\n"
            "    print(int(v), v.value_nick)\n")
    out = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True,
                         text=True, check=True)
    return [line.split() for line in out.stdout.splitlines()]


# Every command line the tests complete, run in one bash (as one shell
# would, reusing the help it read) to keep the test fast.
LINES = [
    "mediatag ", "mediatag re", "mediatag --",
    "mediatag analyze -", "mediatag analyze --fr", "mediatag analyze photo.jpg --no-",
    "mediatag analyze --features ", "mediatag analyze -f labels+fa",
    "mediatag analyze --features = lab",
    "mediatag analyze -m ", "mediatag analyze --frame-capture-mode 1f-every-",
    "mediatag analyze --frame-capture-mode 100",
    "mediatag analyze --backend ", "mediatag analyze -b l", "mediatag models ",
    "mediatag faces --threshold 90 s", "mediatag analyze --out ",
]


class Completion(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.replies = dict(zip(LINES, complete(*LINES)))

    def complete(self, *lines):
        return [self.replies[line] for line in lines]

    def test_verbs_are_the_tools(self):
        block = tool("--help").split("Verbs:\n", 1)[1].split("\n\n", 1)[0]
        verbs = sorted(line.split()[0] for line in block.splitlines())
        self.assertIn("analyze", verbs)
        got = self.complete("mediatag ", "mediatag re", "mediatag --")
        self.assertEqual(got[0], verbs)
        self.assertEqual(got[1], ["report"])
        self.assertEqual(got[2], ["--help", "--version"])

    def test_every_option_of_analyze(self):
        options = sorted(m.group(i) for line in tool("analyze", "--help-all").splitlines()
                         for m in [OPTION.match(line)] if m for i in (1, 2) if m.group(i))
        self.assertIn("--language-code", options)      # a --help-all group
        got = self.complete("mediatag analyze -", "mediatag analyze --fr",
                       "mediatag analyze photo.jpg --no-")
        self.assertEqual(got[0], options)
        self.assertEqual(got[1], ["--frame-capture-mode"])
        self.assertEqual(got[2], ["--no-summary", "--no-thumbnails"])

    def test_feature_names_joined_by_plus(self):
        got = self.complete("mediatag analyze --features ", "mediatag analyze -f labels+fa",
                       "mediatag analyze --features = lab")
        self.assertEqual(got[0], sorted(["labels", "faces", "face-search", "celebrities",
                                         "moderation", "text", "custom-labels", "ppe"]))
        self.assertEqual(got[1], ["labels+face-search", "labels+faces"])
        self.assertEqual(got[2], ["labels"])

    def test_frame_capture_modes_are_framesamplers(self):
        modes = enum_of_framesampler()
        codes = [c for c, _ in modes]
        self.assertEqual(codes[:3], ["0", "1", "2"])
        self.assertIn("9999", codes)
        got = self.complete("mediatag analyze -m ", "mediatag analyze --frame-capture-mode 1f-every-",
                       "mediatag analyze --frame-capture-mode 100")
        self.assertEqual(got[0], sorted(codes + [n for _, n in modes]))
        self.assertEqual(got[1], sorted(n for _, n in modes if n.startswith("1f-every-")))
        self.assertEqual(got[2], sorted(c for c in codes if c.startswith("100")))

    def test_backends_and_subcommands(self):
        got = self.complete("mediatag analyze --backend ", "mediatag analyze -b l",
                       "mediatag models ", "mediatag faces --threshold 90 s",
                       "mediatag analyze --out ")
        self.assertEqual(got[0], ["auto", "aws", "local"])
        self.assertEqual(got[1], ["local"])
        self.assertEqual(got[2], ["list", "start", "status", "stop", "train"])
        self.assertEqual(got[3], ["search"])
        self.assertTrue(got[4] == [] or all(os.path.isdir(d) for d in got[4]), got[4])


if __name__ == "__main__":
    unittest.main(verbosity=2)
