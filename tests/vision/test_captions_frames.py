"""Caption frames composed over photos no one in the project made (darknet,
opencv-doc, face-api demo): burned-in captions and overlays as broadcast
and social video carry them, in several fonts, colours, styles and sizes,
from 360p to 1080p. Shared by test_captions.py and tests/bench/bench-captions.py.

Needs Debian's python3-pil (run with /usr/bin/python3). The set is fixed:
the same seed gives the same frames, so figures are comparable run to run.
"""
import os
import random
import re

from PIL import Image, ImageDraw, ImageFont

_HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("MEDIATAG_SOURCE_ROOT", os.path.join(_HERE, "..", ".."))

PHOTO_DIRS = [
    ("/usr/share/darknet/data", ["dog.jpg", "eagle.jpg", "giraffe.jpg", "horses.jpg",
                                 "kite.jpg", "person.jpg", "scream.jpg"]),
    ("/usr/share/doc/opencv-doc/examples/data", [
        "fruits.jpg", "baboon.jpg", "HappyFish.jpg", "home.jpg", "messi5.jpg",
        "starry_night.jpg", "orange.jpg", "squirrel_cls.jpg", "aloeL.jpg", "board.jpg",
        "lena.jpg", "building.jpg"]),
    (os.path.join(SOURCE_ROOT, "data", "models", "npm", "face-api-1.7.15", "package", "demo"),
     ["sample%d.jpg" % i for i in range(1, 7)]),
]

# Debian's DejaVu (always there), Liberation and FreeFont (tools/install-deps).
FONT_FILES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSansNarrow-Bold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerifBold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
]

# Real words, as captions, subtitles and lower thirds say them.
PHRASES = [
    "BREAKING NEWS", "Heavy rain expected tonight", "LIVE FROM LONDON",
    "Where did you put the keys?", "Traffic delays on the bridge",
    "Mayor announces new budget", "We have to leave before sunset",
    "FINAL SCORE", "Record heat across the south", "Coming up next",
    "Thank you for watching", "Markets close higher today",
    "I never said that", "Election results tonight", "Wildlife park reopens",
    "Please remember to subscribe", "Snow closes mountain roads",
    "The museum opens in spring", "Exclusive interview", "Follow us for more",
    "Hospital workers strike", "You should call your mother",
    "Tickets sold out in minutes", "Flood warning remains", "Weather update",
    "Local farmers struggle with drought", "Chapter three", "Summer festival begins",
    "They found the missing dog", "Science report", "Police close the highway",
    "This changes everything", "Airport expansion approved", "Sports desk",
    "Our reporter is at the scene", "The river keeps rising",
    "Concert tickets on sale Friday", "Morning briefing", "Nobody expected this result",
    "Students return to school", "Bridge repairs finish early", "Special report",
    "The forest fire is under control", "Prices climb again", "Good evening",
    "Volunteers clean the beach", "Parliament debates new law", "Rescue teams arrive",
]

SIZES = [(640, 360), (854, 480), (1280, 720), (1920, 1080)]
STYLES = ["band", "subtitle-white", "subtitle-yellow", "banner", "lower-third"]


def photos():
    out = []
    for d, names in PHOTO_DIRS:
        out += [os.path.join(d, n) for n in names if os.path.exists(os.path.join(d, n))]
    return out


def fonts():
    return [f for f in FONT_FILES if os.path.exists(f)]


def words(text):
    """The words a reader should find, normalised as the scores compare them."""
    return [w for w in (re.sub(r"[^0-9a-z]", "", t.lower()) for t in text.split()) if w]


def _cover(photo, size):
    img = Image.open(photo).convert("RGB")
    w, h = size
    s = max(w / img.width, h / img.height)
    img = img.resize((max(w, round(img.width * s)), max(h, round(img.height * s))),
                     Image.LANCZOS)
    x, y = (img.width - w) // 2, (img.height - h) // 2
    return img.crop((x, y, x + w, y + h))


def _draw_lines(img, lines, font, style, rng):
    """Draws the caption; returns its box (left, top, width, height), relative."""
    w, h = img.size
    px = font.size
    gap = round(px * 0.25)
    draw = ImageDraw.Draw(img, "RGBA")
    boxes = [draw.textbbox((0, 0), l, font=font) for l in lines]
    block_h = sum(b[3] - b[1] for b in boxes) + gap * (len(lines) - 1)
    pad = round(px * 0.45)
    if style == "banner":
        top = round(h * rng.uniform(0.05, 0.12))
    else:
        top = round(h * rng.uniform(0.80, 0.88)) - block_h
    if style == "lower-third":
        left = round(w * 0.06)
        right = left + max(b[2] - b[0] for b in boxes) + 2 * pad
    else:
        left, right = 0, w
    if style == "band":
        draw.rectangle((left, top - pad, right, top + block_h + pad),
                       fill=(0, 0, 0, rng.choice([110, 140, 170])))
    elif style == "banner":
        shade = rng.choice([(255, 255, 255, 215), (240, 236, 220, 235), (255, 214, 0, 230)])
        draw.rectangle((left, top - pad, right, top + block_h + pad), fill=shade)
    elif style == "lower-third":
        colour = rng.choice([(16, 40, 110), (150, 20, 30), (0, 95, 95), (40, 40, 40)])
        draw.rectangle((left, top - pad, right, top + block_h + pad), fill=colour + (235,))
    y = top
    for line, b in zip(lines, boxes):
        tw = b[2] - b[0]
        x = left + pad if style == "lower-third" else (w - tw) // 2
        kw = {}
        if style.startswith("subtitle"):
            kw = dict(stroke_width=max(1, round(px / 14)), stroke_fill=(0, 0, 0))
        fill = {"subtitle-yellow": (255, 225, 0), "banner": rng.choice([(0, 0, 0), (20, 30, 80)])
                }.get(style, (255, 255, 255))
        draw.text((x - b[0], y - b[1]), line, font=font, fill=fill, **kw)
        y += b[3] - b[1] + gap
    # Where the caption is, relative: its band, or its lines with a margin.
    if style in ("band", "banner"):
        left, right = 0, w
    elif style.startswith("subtitle"):
        tw = max(b[2] - b[0] for b in boxes)
        left, right = (w - tw) // 2 - pad, (w + tw) // 2 + pad
    return ((left / w, (top - pad) / h, (right - left) / w, (block_h + 2 * pad) / h))


def compose(n=40, seed=17):
    """[(PIL image, text, description, caption box)]: n frames, fixed by seed."""
    rng = random.Random(seed)
    pics, faces = photos(), fonts()
    if not pics or not faces:
        raise RuntimeError("no photos or fonts: run tools/install-deps")
    phrases = PHRASES[:]
    rng.shuffle(phrases)
    frames = []
    for i in range(n):
        size = SIZES[i % len(SIZES)]
        style = STYLES[i % len(STYLES)]
        font_file = faces[i % len(faces)]
        photo = pics[(i * 7) % len(pics)]
        text = phrases[i % len(phrases)]
        # Long lines are split in two, as subtitles are.
        parts = text.split()
        lines = [text]
        if len(parts) >= 5 and style != "banner":
            lines = [" ".join(parts[:len(parts) // 2]), " ".join(parts[len(parts) // 2:])]
        px = round(size[1] * rng.uniform(0.045, 0.07))
        font = ImageFont.truetype(font_file, px)
        img = _cover(photo, size)
        box = _draw_lines(img, lines, font, style, rng)
        desc = "%dx%d %s %s %dpx on %s" % (size[0], size[1], style, os.path.basename(font_file),
                                            px, os.path.basename(photo))
        frames.append((img, text, desc, box))
    return frames


def write(directory, n=40, seed=17, quality=90):
    """Writes the frames as JPEG (video-like artefacts around the glyphs);
    returns [(path, text, description, caption box)]."""
    out = []
    for i, (img, text, desc, box) in enumerate(compose(n, seed)):
        path = os.path.join(directory, "caption%02d.jpg" % i)
        img.save(path, quality=quality)
        out.append((path, text, desc, box))
    return out


def parse_reader(output):
    """test-captions-read's output: {path: (ms, [(type, id, parent, conf, text,
    box)], cpu ms)}."""
    res, cur = {}, None
    for line in output.splitlines():
        f = line.split("\t")
        if f[0] == "image":
            cur = res[f[1]] = (float(f[2]), [], float(f[3]))
        elif f[0] in ("LINE", "WORD") and cur is not None:
            cur[1].append((f[0], int(f[1]), int(f[2]), float(f[3]), f[8] if len(f) > 8 else "",
                           tuple(float(v) for v in f[4:8])))
    return res


def inside(box, area):
    """Is the centre of box in area (both left, top, width, height)?"""
    x, y = box[0] + box[2] / 2, box[1] + box[3] / 2
    return area[0] <= x <= area[0] + area[2] and area[1] <= y <= area[1] + area[3]


def score(expected_text, results, caption_box=None):
    """(words right, words found, words expected, words found in the
    caption's box) over the WORD results, each expected word matched at
    most once. Words outside the caption are the photo's own text (a shirt,
    a sign) or misreadings of its texture."""
    left = {}
    for w in words(expected_text):
        left[w] = left.get(w, 0) + 1
    tp = found = found_in = 0
    for r in results:
        if r[0] != "WORD":
            continue
        for w in words(r[4]):
            found += 1
            if caption_box is None or inside(r[5], caption_box):
                found_in += 1
            if left.get(w, 0) > 0:
                left[w] -= 1
                tp += 1
    return tp, found, len(words(expected_text)), found_in
