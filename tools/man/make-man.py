#!/usr/bin/env python3
"""Writes the mediatag(1) man page from the tool's own help and a
hand-written frame, at build time (tools/man/meson.build), so the page
cannot drift from the options.

    make-man.py MEDIATAG TEMPLATE OUTPUT [KEY=VALUE...]

Verbs come from `mediatag --help` (its "Verbs:" list), each verb's options
from `mediatag VERB --help-all` (every option group), the exit status from
the paragraph `mediatag --help` ends with (MT_EXIT_STATUS_HELP). TEMPLATE
is roff with two markers, @VERBS@ and @EXIT_STATUS@, each alone on a line;
each KEY=VALUE replaces @KEY@ (install paths, version).
Only the Python standard library.
"""
import os
import re
import subprocess
import sys

OPTION = re.compile(r"^  (?:(-\w), )?(--[\w-]+)(?:=(\S+))?(?:\s{2,}(.*))?$")
VERB = re.compile(r"^  (\S+)\s{2,}(.*)$")


def run(tool, *args):
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
    out = subprocess.run([tool, *args], env=env, capture_output=True,
                         text=True, check=True)
    return out.stdout.replace("\u2026", "...")


def paragraphs(text):
    """Blank-line separated blocks of lines."""
    return [b.splitlines() for b in re.split(r"\n\s*\n", text.strip()) if b]


def verbs_and_exit(top_help):
    """(name, summary) of each verb and the exit status text."""
    verbs, exit_status = [], ""
    for block in paragraphs(top_help):
        if block[0] == "Verbs:":
            verbs = [VERB.match(line).groups() for line in block[1:]
                     if VERB.match(line)]
        elif block[0].startswith("Exit status:"):
            exit_status = " ".join(block)[len("Exit status:"):].strip()
    if not verbs or not exit_status:
        sys.exit("make-man: `mediatag --help` lists no verbs or no exit status")
    return verbs, exit_status


def parse_verb(help_text):
    """The usage line, description paragraphs and option groups of a verb.
    Each group is (title, [(short, long, arg, text)])."""
    usage, description, groups = "", [], []
    for block in paragraphs(help_text):
        head = block[0]
        if head == "Usage:":
            usage = block[1].strip()
        elif head.startswith("Exit status:"):
            continue            # the EXIT STATUS section has it once
        elif head.endswith(":") and not head.startswith(" ") and len(block) > 1 \
                and OPTION.match(block[1]):
            groups.append((head[:-1], parse_options(block[1:])))
        else:
            description.append(" ".join(line.strip() for line in block))
    return usage, description, groups


def parse_options(lines):
    options = []
    for line in lines:
        m = OPTION.match(line)
        if m:
            options.append(list(m.groups()))
            options[-1][3] = options[-1][3] or ""
        elif options:           # a description that went on a second line
            options[-1][3] += " " + line.strip()
    return options


def esc(text):
    """Roff-safe text: backslashes, minus signs, and a leading dot or quote."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def verb_section(tool, name, summary):
    usage, description, groups = parse_verb(run(tool, name, "--help-all"))
    # GOption prints the program name only; the verb belongs after it.
    synopsis = re.sub(r"^mediatag \[OPTION\.\.\.\]", "", usage)
    synopsis = synopsis.split(" - ")[0].strip()
    out = [".SS " + esc(name),
           "\\fBmediatag %s\\fR [\\fIOPTION\\fR...] %s" % (esc(name), esc(synopsis)),
           ".br",
           esc(summary[:1].upper() + summary[1:]) + ".",
           ".PP"]
    for text in description:
        out += [esc(text), ".PP"]
    for title, options in groups:
        out.append(".I " + esc(title))
        for short, long_, arg, text in options:
            names = ("\\fB" + esc(short) + "\\fR, " if short else "") + \
                "\\fB" + esc(long_) + "\\fR"
            if arg:
                names += "=\\fI" + esc(arg) + "\\fR"
            out += [".TP", names, esc(text)]
        out.append(".PP")
    return out


def main():
    tool, template, output = sys.argv[1:4]
    verbs, exit_status = verbs_and_exit(run(tool, "--help"))
    body = []
    for name, summary in verbs:
        body += verb_section(tool, name, summary)
    with open(template, encoding="utf-8") as f:
        page = f.read()
    for marker in ("@VERBS@", "@EXIT_STATUS@"):
        if page.count(marker + "\n") != 1:
            sys.exit("make-man: %s must be alone on one line of %s" %
                     (marker, template))
    for define in sys.argv[4:]:
        key, _, value = define.partition("=")
        page = page.replace("@%s@" % key, esc(value))
    page = page.replace("@VERBS@\n", "\n".join(body) + "\n")
    page = page.replace("@EXIT_STATUS@\n", exit_status_section(exit_status))
    with open(output + ".tmp", "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(output + ".tmp", output)


def exit_status_section(text):
    """'0 all done; 1 error (...); ...' as one tagged paragraph per status."""
    out = []
    for item in text.split("; "):
        code, _, meaning = item.partition(" ")
        out += [".TP", ".B " + esc(code), esc(meaning)]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
