"""mediatag(1) as built (tools/man/make-man.py): every verb `mediatag --help`
lists has a section holding every option its `--help-all` prints, the exit
status is the tool's, the page renders with no groff warning, and the
generator takes verbs from the tool rather than from a list (a fake tool
with other verbs gets a page with those verbs).

    test_manpage.py BUILT_PAGE
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

TOOL = os.environ["MEDIATAG_TOOL"]
SRC = os.environ["MEDIATAG_SOURCE_ROOT"]
PAGE = sys.argv.pop(1)
GENERATOR = os.path.join(SRC, "tools", "man", "make-man.py")
TEMPLATE = os.path.join(SRC, "tools", "man", "mediatag.1.in")
OPTION = re.compile(r"^  (?:(-\w), )?(--[\w-]+)")


def tool(*args):
    env = dict(os.environ, LC_ALL="C.UTF-8")
    return subprocess.run([TOOL, *args], env=env, capture_output=True,
                          text=True, check=True).stdout


def verbs():
    text = tool("--help")
    block = text.split("Verbs:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines()]


def render(path):
    """The page as man shows it, and groff's warnings. groff is a peer, not
    code under test: it runs without the sanitizer runtime an ASan run
    preloads (its troff trips ASan's new/delete check)."""
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    out = subprocess.run(
        ["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path],
        env=dict(env, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80"),
        capture_output=True, text=True)
    text = subprocess.run(["man", "-l", path], capture_output=True, text=True,
                          env=dict(env, LC_ALL="C.UTF-8", MANWIDTH="200",
                                   MAN_KEEP_FORMATTING="0", PAGER="cat"))
    plain = re.sub(r".\x08", "", text.stdout)
    return plain, out.stderr


def sections(roff, level):
    """Name -> body of each .SH or .SS section."""
    parts = re.split(r"^\.%s (.*)$" % level, roff, flags=re.M)
    return {parts[i].replace("\\-", "-"): parts[i + 1]
            for i in range(1, len(parts), 2)}


class BuiltPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(PAGE, encoding="utf-8") as f:
            cls.roff = f.read()
        cls.plain, cls.warnings = render(PAGE)

    def test_every_option_of_every_verb(self):
        found = sections(self.roff, "SS")
        names = verbs()
        self.assertIn("analyze", names)
        for verb in names:
            self.assertIn(verb, found, "no section for verb " + verb)
            body = found[verb].replace("\\-", "-")
            options = [m.group(i) for line in tool(verb, "--help-all").splitlines()
                       for m in [OPTION.match(line)] if m for i in (1, 2)
                       if m.group(i)]
            self.assertGreater(len(options), 2, verb)
            for option in options:
                self.assertTrue(re.search(r"\\fB%s\\fR" % re.escape(option), body),
                                "%s %s is not in the page" % (verb, option))

    def test_exit_status_is_the_tools(self):
        text = tool("--help").split("Exit status:", 1)[1]
        status = sections(self.roff, "SH")["EXIT STATUS"]
        codes = re.findall(r"(?:^|; )(\S+) ", " ".join(text.split()))
        self.assertEqual(codes, ["0", "1", "2", "3", "128+N"])
        for code in codes:
            self.assertIn(".B " + code.replace("-", "\\-"), status)
        self.assertIn("stopped by signal N", self.plain.replace("\n", " ").replace("  ", " "))

    def test_renders_cleanly_with_every_section(self):
        self.assertEqual(self.warnings, "")
        for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "VERBS", "EXIT STATUS",
                        "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"):
            self.assertRegex(self.plain, r"(?m)^%s$" % heading)
        for text in ("MEDIATAG_MODELS_DIR", "/share/mediatag/models",
                     "mediatag analyze photo.jpg --backend local",
                     "--frame-capture-mode=MODE"):
            self.assertIn(text, self.plain)
        self.assertNotRegex(self.plain, r"@[A-Z_]+@")


FAKE_TOOL = r"""#!/bin/sh
if [ "$1" = --help ]; then cat <<'E'
Usage: mediatag VERB

Verbs:
  alpha      first verb
  omega      a verb no list knows

Exit status: 0 all done; 1 error; 7 something new.
E
exit 0; fi
cat <<E
Usage:
  mediatag [OPTION…] THING - the $1 verb

Help Options:
  -h, --help            Show help options

Application Options:
  --$1-only=N           An option of $1 (default 5)
  -z, --zed             A flag
E
"""


class Generator(unittest.TestCase):
    def test_verbs_and_options_come_from_the_tool(self):
        with tempfile.TemporaryDirectory() as tmp:
            fake = os.path.join(tmp, "mediatag")
            with open(fake, "w") as f:
                f.write(FAKE_TOOL)
            os.chmod(fake, 0o755)
            out = os.path.join(tmp, "mediatag.1")
            subprocess.run([sys.executable, GENERATOR, fake, TEMPLATE, out,
                            "VERSION=9", "DATADIR=/d", "PLUGINDIR=/p"], check=True)
            with open(out) as f:
                roff = f.read()
        found = sections(roff, "SS")
        self.assertEqual(sorted(found), ["alpha", "omega"])
        self.assertIn("\\fB\\-\\-omega\\-only\\fR=\\fIN\\fR", found["omega"])
        self.assertIn("\\fB\\-z\\fR, \\fB\\-\\-zed\\fR", found["alpha"])
        self.assertIn(".B 7\nsomething new.", sections(roff, "SH")["EXIT STATUS"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
