#!/bin/sh
# Write the frames a frame capture mode selects as JPEG files, with one
# gst-launch-1.0 launch line.
#
#   framesampler-jpeg.sh INPUT OUTDIR [framesampler properties...]
#   framesampler-jpeg.sh clip.mp4 out frame-capture-mode=1f-every-2s seek=accurate
#
# Files are named after the source frame number and its time in
# milliseconds (frame-0000300-00010010ms.jpg). multifilesink can only number
# its files, so framesampler announces each frame on the bus
# (post-messages=true), multifilesink announces each file, and the files are
# renamed from the two once the pipeline is done. One line per frame goes to
# stdout: "<frame> <ms> <path>".
set -eu

if [ $# -lt 2 ]; then
  echo "usage: $0 INPUT OUTDIR [framesampler properties...]" >&2
  exit 2
fi
input=$1
outdir=$2
shift 2

if [ ! -r "$input" ]; then
  echo "framesampler-jpeg: cannot read $input" >&2
  exit 1
fi
mkdir -p "$outdir"
log=$(mktemp)
trap 'rm -f "$log" "$log.mv"' EXIT

status=0
gst-launch-1.0 -m -e filesrc location="$input" ! decodebin \
  ! framesampler post-messages=true "$@" \
  ! videoconvert ! jpegenc \
  ! multifilesink location="$outdir/.sample-%06d.jpg" post-messages=true \
  >"$log" 2>&1 || status=$?
if [ $status -ne 0 ] || grep -q "^ERROR" "$log"; then
  # decodebin stops with "not-linked" when no stream could go to framesampler
  if grep -q "reason not-linked" "$log"; then
    echo "framesampler-jpeg: $input has no video stream: nothing to sample." >&2
    exit 1
  fi
  grep -E "^(ERROR|Additional debug info|WARNING)" "$log" >&2 || cat "$log" >&2
  exit 1
fi

# framesampler: timestamp -> frame; multifilesink: timestamp -> file.
# (awk only reads text: keep a sanitizer runtime preloaded for the plugins
# out of it, mawk trips its memcmp interceptor.)
LD_PRELOAD= awk -v outdir="$outdir" -v mvfile="$log.mv" '
  function field(name,   m) {
    if (match($0, name "=\\(g?u?int(64)?\\)[0-9]+")) {
      m = substr($0, RSTART, RLENGTH); sub(/.*\)/, "", m); return m
    }
    return ""
  }
  /\(element\): framesampler, / { frame[field("timestamp")] = field("frame") }
  /\(element\): GstMultiFileSink, / {
    ts = field("timestamp")
    file = $0; sub(/.*filename=\(string\)/, "", file); sub(/, index=.*/, "", file)
    gsub(/^"|"$/, "", file); gsub(/\\/, "", file)
    ms = int((field("stream-time") + 500000) / 1000000)
    dest = sprintf("%s/frame-%07d-%08dms.jpg", outdir, frame[ts], ms)
    printf "%s %d %s\n", frame[ts], ms, dest
    print file "\t" dest > mvfile
  }
' "$log"
while IFS="	" read -r from to; do
  mv "$from" "$to"
done <"$log.mv"
