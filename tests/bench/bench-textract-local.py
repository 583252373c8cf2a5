#!/usr/bin/env python3
"""Benchmark: textractsink's offline engine against its peers, on a real
born-digital manual from /usr/share/doc (Debian's libtasn1-doc).

    tests/bench/bench-textract-local.py [--build build] [--first 5]
        [--pages 6] [--dpi 300]

1. OCR speed: body pages of the manual (from --first: its title page and
   contents, all dot leaders, say little of OCR) rendered with pdftoppm at --dpi and
   made one image-only PDF with img2pdf, read by
       filesrc ! typefind ! textractsink backend=local features=text
   (max-in-flight 1 and 2), against the tesseract CLI reading the same
   PNGs in one process (`tesseract list.txt out --dpi N`, one model load,
   as the element). Goal: local >= 0.9x the CLI's pages per second.
2. Born-digital speed: the whole manual's text layer (Poppler, no OCR),
   pages per second.
3. Word error rate of the local OCR and of the CLI, both against
   pdftotext's words of the same pages (edit distance over word
   sequences, hyphenation at line ends joined on both sides).

Both OCR runs get OMP_THREAD_LIMIT=1, so Tesseract's own threads do not
blur the comparison. Timings are printed, never pass/fail; the load
average is printed beside them.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
MANUAL = "/usr/share/doc/libtasn1-doc/libtasn1.pdf"


def env_for(build):
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = os.path.join(build, "plugins", "textract")
    env["GST_REGISTRY"] = os.path.join(build, "bench-registry.bin")
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def n_pages(pdf):
    out = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True,
                         check=True).stdout
    return int(next(l.split()[1] for l in out.splitlines()
                    if l.startswith("Pages:")))


def pdftotext_pages(pdf, pages):
    return [subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), pdf,
                            "-"], capture_output=True, text=True,
                           check=True).stdout.split()
            for p in range(1, pages + 1)]


def joined(words):
    out = []
    for w in words:
        if out and out[-1].endswith("-") and w[:1].islower():
            out[-1] = out[-1][:-1] + w
        else:
            out.append(w)
    return out


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1,
                           prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def wer(hyp_pages, ref_pages):
    errors = sum(edit_distance(joined(h), joined(r))
                 for h, r in zip(hyp_pages, ref_pages))
    return errors / max(sum(len(joined(r)) for r in ref_pages), 1)


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_element(build, pdf, extra, tmp):
    out = os.path.join(tmp, "out.jsonl")
    cmd = ["gst-launch-1.0", "-q", "filesrc", f"location={pdf}", "!",
           "typefind", "!", "textractsink", "backend=local",
           "features=text", f"location={out}", *extra]
    t0, c0 = time.monotonic(), children_cpu()
    subprocess.run(cmd, env=env_for(build), check=True,
                   stdout=subprocess.DEVNULL)
    elapsed = time.monotonic() - t0
    cpu = children_cpu() - c0
    with open(out) as f:
        docs = [json.loads(l) for l in f if l.strip()]
    pages = {}
    for d in docs:
        if d["analysis"] == "document":
            pages[d["page"]] = d.get("text", "").split()
    return elapsed, cpu, pages


def run_cli(pngs, dpi, tmp):
    listing = os.path.join(tmp, "list.txt")
    with open(listing, "w") as f:
        f.write("\n".join(pngs) + "\n")
    base = os.path.join(tmp, "cli")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    t0, c0 = time.monotonic(), children_cpu()
    subprocess.run(["tesseract", listing, base, "--dpi", str(dpi)], env=env,
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    elapsed = time.monotonic() - t0
    cpu = children_cpu() - c0
    with open(base + ".txt") as f:
        text = f.read()
    # The CLI separates pages with form feeds.
    return elapsed, cpu, [p.split() for p in text.split("\f")][:len(pngs)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--first", type=int, default=5)
    ap.add_argument("--pages", type=int, default=6)
    ap.add_argument("--dpi", type=int, default=300)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    if not os.path.exists(MANUAL):
        sys.exit(f"{MANUAL} is missing: apt-get install libtasn1-doc")
    tmp = tempfile.mkdtemp(prefix="bench-textract-")
    try:
        first = args.first
        pages = min(args.pages, n_pages(MANUAL) - first + 1)
        subprocess.run(["pdftoppm", "-r", str(args.dpi), "-f", str(first),
                        "-l", str(first + pages - 1), "-png", MANUAL,
                        os.path.join(tmp, "page")], check=True)
        pngs = sorted(os.path.join(tmp, f) for f in os.listdir(tmp)
                      if f.endswith(".png"))
        scan = os.path.join(tmp, "scan.pdf")
        subprocess.run(["img2pdf", *pngs, "-o", scan], check=True)
        truth = pdftotext_pages(MANUAL, first + pages - 1)[first - 1:]
        print(f"{MANUAL}: pages {first}-{first + pages - 1} at {args.dpi} "
              f"dpi; load average "
              f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

        # Wall time follows the machine's load; CPU time (user + system of
        # the process) is the steadier measure on shared cores.
        cli_s, cli_cpu, cli_pages = run_cli(pngs, args.dpi, tmp)
        print(f"tesseract CLI (one process): {cli_s:6.1f} s wall, "
              f"{pages / cli_s:.3f} pages/s; {cli_cpu / pages:.2f} CPU s/page; "
              f"WER {wer(cli_pages, truth):.3f}")
        for mif in (1, 2):
            s, cpu, got = run_element(build, scan, [f"max-in-flight={mif}",
                                                    f"dpi={args.dpi}"], tmp)
            hyp = [got.get(p, []) for p in range(1, pages + 1)]
            print(f"textractsink local, max-in-flight={mif}: {s:6.1f} s wall, "
                  f"{pages / s:.3f} pages/s ({cli_s / s:.2f}x the CLI); "
                  f"{cpu / pages:.2f} CPU s/page ({cli_cpu / cpu:.2f}x); "
                  f"WER {wer(hyp, truth):.3f}")

        total = n_pages(MANUAL)
        s, _, got = run_element(build, MANUAL, ["max-in-flight=1"], tmp)
        hyp = [got.get(p, []) for p in range(1, total + 1)]
        print(f"born-digital (Poppler text layer), {total} pages: {s:6.2f} s, "
              f"{total / s:.1f} pages/s, WER against pdftotext "
              f"{wer(hyp, pdftotext_pages(MANUAL, total)):.3f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
