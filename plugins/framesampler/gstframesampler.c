/* framesampler: passes only the frames a frame capture mode selects, keeping
 * their timestamps and carrying their source frame numbers, and skips the
 * frames in between by seeking upstream when that is cheaper than decoding
 * them. */

/**
 * SECTION:element-framesampler
 * @title: framesampler
 *
 * framesampler passes the frames of a raw video stream that a frame capture
 * mode selects and drops the others. The modes are Media2Cloud's
 * frameCaptureMode codes (#MtFrameCaptureMode): sample k is the frame
 * numbered round(k * fr * den / num), where num/den is the mode's rate and fr
 * the source frame rate, so frame numbers and millisecond timestamps match
 * what Media2Cloud computes for the same video. The `interval` property
 * samples at any other period. Variable-rate sources (framerate 0/1) take the
 * first frame at or after each sample time.
 *
 * Each passed buffer keeps its PTS and carries its source frame number in
 * GST_BUFFER_OFFSET (GST_BUFFER_OFFSET_END is the offset plus one). Before the
 * first buffer, framesampler sends a sticky custom downstream event named
 * "mediatag/sampling" with the fields:
 *
 * - `mode` (gint): the frame capture mode code.
 * - `interval` (guint64): nanoseconds between samples; 0 when the interval is
 *   not constant (`dynamic`, or `all`/`half` on a variable-rate source).
 *
 * Sparse modes do not decode the whole video: when upstream can seek,
 * framesampler seeks to the key unit before the next sample (`seek=accurate`,
 * the exact same frames as decoding everything) or to the key unit nearest
 * to it (`seek=keyframe`, fastest). A seek moves every stream of the
 * demuxer, so when the same demuxer also feeds another branch (audio
 * analysis), use `seek=none` there or give the video its own pipeline.
 * framesampler's own seeks stay upstream: downstream sees one continuous
 * segment, no flush, and timestamps that keep their meaning.
 *
 * With `frame-capture-mode=dynamic`, 1 fps candidates are compared: a
 * candidate whose perceptual hash is within `hash-distance` bits of the
 * current selection's first frame joins it, and of a selection only the
 * sharpest frame (variance of the Laplacian) is passed; a colour histogram
 * distance above `shot-threshold` is a shot change and always starts a new
 * selection. Within a shot, a candidate under a third of the held frame's
 * sharpness is a blurred view and is not kept for itself.
 *
 * With `post-messages=true`, every passed frame is also announced on the bus
 * as an element message named "framesampler" with the fields:
 *
 * - `frame` (guint64): the source frame number.
 * - `timestamp` (guint64): the buffer's PTS.
 * - `stream-time` (guint64), `running-time` (guint64): of that PTS.
 * - `duration` (guint64): the buffer's duration.
 *
 * A stream that ends before its first frame is an error ("The video has no
 * frames"), not a silent success.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=clip.mp4 ! decodebin ! framesampler frame-capture-mode=1f-every-2s ! videoconvert ! jpegenc ! multifilesink location=frame-%05d.jpg
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstframesampler.h"

GST_DEBUG_CATEGORY_STATIC (gst_frame_sampler_debug);
#define GST_CAT_DEFAULT gst_frame_sampler_debug

#define DEFAULT_MODE MT_FRAME_CAPTURE_MODE_1FPS
#define DEFAULT_INTERVAL 0
#define DEFAULT_SEEK MT_FRAME_SAMPLER_SEEK_AUTO
#define DEFAULT_HASH_DISTANCE 10
#define DEFAULT_SHOT_THRESHOLD 0.5
/* dynamic mode: within a shot, a frame less sharp than this share of its
 * neighbour is a blurred view (defocus, motion blur) of the same scene.
 * Sharp views one second apart in a panning shot stayed within 1.4x of
 * each other on the photos of tests/framesampler/test_dynamic_figures.py;
 * a Gaussian blur of radius 1 pixel (at 256 pixels wide) divides the
 * variance of the Laplacian by 7 to 12 there. */
#define BLURRED_SHARPNESS_SHARE 0.33
#define DEFAULT_POST_MESSAGES FALSE

/* seek=auto seeks only when samples are at least this far apart: closer
 * samples usually share a GOP, and decoding on is cheaper than a seek. */
#define AUTO_SEEK_MIN_INTERVAL (5 * GST_SECOND)
/* Never seek for less than this: a flush and a restarted decoder cost about
 * as much as decoding a second of small video. */
#define MIN_SEEK_GAP GST_SECOND

enum
{
  PROP_0,
  PROP_FRAME_CAPTURE_MODE,
  PROP_INTERVAL,
  PROP_SEEK,
  PROP_HASH_DISTANCE,
  PROP_SHOT_THRESHOLD,
  PROP_POST_MESSAGES,
};

struct _GstFrameSampler
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties, under the object lock */
  MtFrameCaptureMode mode;
  GstClockTime interval;
  MtFrameSamplerSeek seek;
  guint hash_distance;
  gdouble shot_threshold;
  gboolean post_messages;

  /* configuration from the properties and the caps (streaming thread) */
  gboolean configured;
  GstVideoInfo info;
  MtFrameCaptureMode cur_mode;
  gint fps_n, fps_d;            /* 0/1: variable rate */
  gboolean active;              /* FALSE for mode none */
  guint index_step;             /* all/half without a rate: every n-th frame */
  MtFrameCaptureRate rate;
  GstClockTime sample_interval; /* for the sampling event; 0 if not constant */
  MtFrameSamplerSeek seek_wanted;
  MtFrameSamplerSeek seek_mode; /* effective: none, accurate or keyframe */
  gboolean seek_decided;
  guint hash_max;
  gdouble shot_max;
  gboolean post;

  /* sampling position (streaming thread) */
  GstSegment segment;
  GstSegment out_segment;       /* what downstream was told */
  guint64 next_k;
  guint64 frames_seen;
  guint64 last_frame;           /* G_MAXUINT64 before the first pass */
  GstClockTime last_time;
  gboolean got_frame;
  gboolean send_sampling_event;
  GstClockTime duration;
  GstClockTime max_back;        /* longest keyframe-to-sample distance seen */
  GstClockTime landing_target;

  /* dynamic mode (streaming thread) */
  MtFrameAnalyzer *analyzer;
  GstBuffer *held;
  guint64 held_frame;
  MtFrameFeatures held_features;
  guint64 anchor_hash;
  MtFrameFeatures prev_features;
  guint candidates, kept;
  /* the hash of the last candidate dropped as blurred, if the one before */
  gboolean blur_dropped;
  guint64 blur_hash;

  /* our own seeks, under the object lock: they run on another thread */
  gboolean seek_pending;        /* until the segment that follows its flush */
  gboolean landing;             /* the first frame after it is still to come */
  gboolean seek_flushed;
  guint32 seek_seqnum;
  gboolean shutting_down;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw(ANY)"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw(ANY)"));

GType
mt_frame_sampler_seek_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {MT_FRAME_SAMPLER_SEEK_AUTO,
        "accurate when upstream can seek and samples are 5 s or more apart, "
          "else none", "auto"},
    {MT_FRAME_SAMPLER_SEEK_NONE, "Decode every frame", "none"},
    {MT_FRAME_SAMPLER_SEEK_ACCURATE,
        "Seek to the key unit before each sample, then decode up to the exact "
          "frame", "accurate"},
    {MT_FRAME_SAMPLER_SEEK_KEYFRAME,
        "Seek to the key unit nearest each sample and take it", "keyframe"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("MtFrameSamplerSeek", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define gst_frame_sampler_parent_class parent_class
G_DEFINE_TYPE (GstFrameSampler, gst_frame_sampler, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (framesampler, "framesampler", GST_RANK_NONE,
    GST_TYPE_FRAME_SAMPLER);

/* ---- sample math ---- */

static gboolean
is_constant_rate (GstFrameSampler * self)
{
  return self->fps_n > 0;
}

/* Stream time of sample k: the time of its frame on a constant-rate source,
 * the nominal sample time otherwise. */
static GstClockTime
sample_time (GstFrameSampler * self, guint64 k)
{
  if (is_constant_rate (self))
    return mt_frame_capture_frame_time (mt_frame_capture_sample_frame
        (&self->rate, k, self->fps_n, self->fps_d), self->fps_n, self->fps_d);
  return gst_util_uint64_scale (k, self->rate.den * GST_SECOND, self->rate.num);
}

/* The first sample whose frame (constant rate) or time (variable rate) comes
 * after frame @frame at @time. Starts from an estimate, then steps. */
static guint64
first_sample_after (GstFrameSampler * self, guint64 frame, GstClockTime time)
{
  guint64 k;

  if (is_constant_rate (self)) {
    k = gst_util_uint64_scale (frame, (guint64) self->fps_d * self->rate.num,
        (guint64) self->fps_n * self->rate.den);
    k = k > 0 ? k - 1 : 0;
    while (mt_frame_capture_sample_frame (&self->rate, k, self->fps_n,
            self->fps_d) <= frame)
      k++;
    return k;
  }
  k = gst_util_uint64_scale (time, self->rate.num, self->rate.den * GST_SECOND);
  k = k > 0 ? k - 1 : 0;
  while (sample_time (self, k) <= time)
    k++;
  return k;
}

/* The first sample at or after stream time @time (after a segment). */
static guint64
first_sample_from (GstFrameSampler * self, GstClockTime time)
{
  guint64 frame;

  if (time == 0 || !GST_CLOCK_TIME_IS_VALID (time))
    return 0;
  if (!is_constant_rate (self))
    return first_sample_after (self, 0, time - 1);
  frame = mt_frame_capture_frame_at_time (time, self->fps_n, self->fps_d);
  if (mt_frame_capture_frame_time (frame, self->fps_n, self->fps_d) < time)
    frame++;
  return frame > 0 ? first_sample_after (self, frame - 1, 0) : 0;
}

/* ---- configuration ---- */

static void
reset_dynamic (GstFrameSampler * self)
{
  gst_clear_buffer (&self->held);
  self->candidates = self->kept = 0;
  self->blur_dropped = FALSE;
}

static void
reset_position (GstFrameSampler * self)
{
  self->next_k = 0;
  self->frames_seen = 0;
  self->last_frame = G_MAXUINT64;
  self->last_time = GST_CLOCK_TIME_NONE;
  reset_dynamic (self);
}

static void
reset_state (GstFrameSampler * self)
{
  self->configured = FALSE;
  self->seek_decided = FALSE;
  self->got_frame = FALSE;
  self->duration = GST_CLOCK_TIME_NONE;
  self->max_back = 0;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  gst_segment_init (&self->out_segment, GST_FORMAT_TIME);
  reset_position (self);
  g_clear_pointer (&self->analyzer, mt_frame_analyzer_free);
  GST_OBJECT_LOCK (self);
  self->seek_pending = FALSE;
  self->landing = FALSE;
  GST_OBJECT_UNLOCK (self);
}

static void
configure_rate (GstFrameSampler * self, GstClockTime interval)
{
  self->index_step = 0;
  self->sample_interval = 0;
  self->active = self->cur_mode != MT_FRAME_CAPTURE_MODE_NONE || interval > 0;
  if (!self->active)
    return;
  if (interval > 0) {
    self->rate.num = GST_SECOND;
    self->rate.den = (gint64) interval;
    self->sample_interval = interval;
  } else if (mt_frame_capture_mode_get_rate (self->cur_mode, self->fps_n,
          self->fps_d, &self->rate)) {
    self->sample_interval = self->cur_mode == MT_FRAME_CAPTURE_MODE_DYNAMIC ?
        0 : mt_frame_capture_rate_interval (&self->rate);
  } else {
    /* all and half on a variable-rate source: by frame count */
    self->index_step = self->cur_mode == MT_FRAME_CAPTURE_MODE_HALF ? 2 : 1;
  }
}

static gboolean
configure (GstFrameSampler * self, GstCaps * caps)
{
  GstVideoInfo info;
  GstClockTime interval;
  gboolean had_config = self->configured;

  if (!gst_video_info_from_caps (&info, caps))
    return FALSE;

  GST_OBJECT_LOCK (self);
  self->cur_mode = self->mode;
  interval = self->interval;
  self->seek_wanted = self->seek;
  self->hash_max = self->hash_distance;
  self->shot_max = self->shot_threshold;
  self->post = self->post_messages;
  GST_OBJECT_UNLOCK (self);

  self->info = info;
  self->fps_n = info.fps_n > 0 && info.fps_d > 0 ? info.fps_n : 0;
  self->fps_d = self->fps_n > 0 ? info.fps_d : 1;
  configure_rate (self, interval);

  g_clear_pointer (&self->analyzer, mt_frame_analyzer_free);
  if (self->cur_mode == MT_FRAME_CAPTURE_MODE_DYNAMIC && interval == 0) {
    self->analyzer = mt_frame_analyzer_new (&info);
    if (!self->analyzer)
      return FALSE;
  }
  /* A new rate renumbers the samples: carry on after the last one passed. */
  if (had_config && GST_CLOCK_TIME_IS_VALID (self->last_time))
    self->next_k = first_sample_from (self, self->last_time + 1);
  self->configured = TRUE;
  self->seek_decided = FALSE;
  self->send_sampling_event = TRUE;
  GST_INFO_OBJECT (self, "mode %d, rate %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
      ", source %d/%d fps, interval %" GST_TIME_FORMAT, self->cur_mode,
      self->rate.num, self->rate.den, self->fps_n, self->fps_d,
      GST_TIME_ARGS (self->sample_interval));
  return TRUE;
}

static void
query_upstream (GstFrameSampler * self, gboolean * seekable)
{
  g_autoptr (GstQuery) query = gst_query_new_seeking (GST_FORMAT_TIME);
  gint64 duration = -1;

  *seekable = FALSE;
  if (gst_pad_peer_query (self->sinkpad, query))
    gst_query_parse_seeking (query, NULL, seekable, NULL, NULL);
  if (gst_pad_peer_query_duration (self->sinkpad, GST_FORMAT_TIME, &duration)
      && duration > 0)
    self->duration = duration;
}

/* Decided at the first frame, when upstream is linked and can answer. */
static void
decide_seek_mode (GstFrameSampler * self)
{
  gboolean seekable = FALSE;
  MtFrameSamplerSeek wanted = self->seek_wanted;
  gboolean sparse = self->active && self->index_step == 0 &&
      self->analyzer == NULL && is_constant_rate (self);

  self->seek_decided = TRUE;
  self->seek_mode = MT_FRAME_SAMPLER_SEEK_NONE;
  if (wanted == MT_FRAME_SAMPLER_SEEK_NONE)
    return;
  if (wanted == MT_FRAME_SAMPLER_SEEK_AUTO
      && self->sample_interval < AUTO_SEEK_MIN_INTERVAL)
    return;
  if (sparse)
    query_upstream (self, &seekable);
  if (sparse && seekable && self->segment.rate == 1.0) {
    self->seek_mode = wanted == MT_FRAME_SAMPLER_SEEK_AUTO ?
        MT_FRAME_SAMPLER_SEEK_ACCURATE : wanted;
    GST_INFO_OBJECT (self, "skipping ahead by seeking (%d), duration %"
        GST_TIME_FORMAT, self->seek_mode, GST_TIME_ARGS (self->duration));
    return;
  }
  if (wanted != MT_FRAME_SAMPLER_SEEK_AUTO)
    GST_ELEMENT_WARNING (self, STREAM, NOT_IMPLEMENTED,
        ("Cannot skip ahead by seeking here: every frame is decoded."),
        ("seekable %d, constant rate %d, dynamic %d, rate %f", seekable,
            is_constant_rate (self), self->analyzer != NULL,
            self->segment.rate));
}

/* ---- output ---- */

static void
push_sampling_event (GstFrameSampler * self)
{
  GstStructure *s;

  if (!self->send_sampling_event)
    return;
  self->send_sampling_event = FALSE;
  s = gst_structure_new (MT_SAMPLING_EVENT_NAME,
      MT_SAMPLING_FIELD_MODE, G_TYPE_INT, (gint) self->cur_mode,
      MT_SAMPLING_FIELD_INTERVAL, G_TYPE_UINT64,
      (guint64) self->sample_interval, NULL);
  gst_pad_push_event (self->srcpad,
      gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s));
}

static void
post_sample_message (GstFrameSampler * self, GstBuffer * buf, guint64 frame)
{
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GstStructure *s;

  s = gst_structure_new ("framesampler",
      "frame", G_TYPE_UINT64, frame,
      "timestamp", G_TYPE_UINT64, pts,
      "stream-time", G_TYPE_UINT64,
      gst_segment_to_stream_time (&self->out_segment, GST_FORMAT_TIME, pts),
      "running-time", G_TYPE_UINT64,
      gst_segment_to_running_time (&self->out_segment, GST_FORMAT_TIME, pts),
      "duration", G_TYPE_UINT64, GST_BUFFER_DURATION (buf), NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static GstFlowReturn
emit (GstFrameSampler * self, GstBuffer * buf, guint64 frame)
{
  push_sampling_event (self);
  if (self->post)
    post_sample_message (self, buf, frame);
  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_OFFSET (buf) = frame;
  GST_BUFFER_OFFSET_END (buf) = frame + 1;
  GST_LOG_OBJECT (self, "passing frame %" G_GUINT64_FORMAT " at %"
      GST_TIME_FORMAT, frame, GST_TIME_ARGS (GST_BUFFER_PTS (buf)));
  return gst_pad_push (self->srcpad, buf);
}

static GstFlowReturn
push_held (GstFrameSampler * self)
{
  GstBuffer *held = g_steal_pointer (&self->held);

  if (!held)
    return GST_FLOW_OK;
  self->kept++;
  return emit (self, held, self->held_frame);
}

static void
hold (GstFrameSampler * self, GstBuffer * buf, guint64 frame,
    const MtFrameFeatures * f)
{
  gst_clear_buffer (&self->held);
  /* A deep copy: holding a decoder's buffer for seconds could starve a
   * small (hardware) buffer pool. */
  self->held = gst_buffer_copy_deep (buf);
  self->held_frame = frame;
  self->held_features = *f;
}

/* A is a blurred view next to B: far less sharp. */
static gboolean
blurred_next_to (const MtFrameFeatures * a, const MtFrameFeatures * b)
{
  return a->sharpness < BLURRED_SHARPNESS_SHARE * b->sharpness;
}

/* One 1 fps candidate of the dynamic mode. */
static GstFlowReturn
dynamic_candidate (GstFrameSampler * self, GstBuffer * buf, guint64 frame)
{
  MtFrameFeatures f;
  gboolean shot, similar, was_blur_dropped = self->blur_dropped;
  GstFlowReturn ret = GST_FLOW_OK;

  self->candidates++;
  self->blur_dropped = FALSE;
  if (!mt_frame_analyzer_compute (self->analyzer, buf, &f)) {
    GST_WARNING_OBJECT (self, "could not map frame %" G_GUINT64_FORMAT, frame);
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  shot = self->held && mt_frame_features_hist_distance (&f,
      &self->prev_features) > self->shot_max;
  similar = self->held && (guint) __builtin_popcountll (f.phash ^
      self->anchor_hash) <= self->hash_max;
  self->prev_features = f;

  if (self->held && similar && !shot) {
    if (f.sharpness > self->held_features.sharpness)
      hold (self, buf, frame, &f);
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  /* In a moving shot the hash changes every second, so a blurred view is
   * no near-duplicate of the sharp one before it and would start (and be
   * kept as) a selection of its own. A blurred candidate is dropped, unless
   * the one before was dropped for the same look (the scene itself is soft
   * now, not a passing blur). */
  if (self->held && !shot && blurred_next_to (&f, &self->held_features)
      && !(was_blur_dropped && (guint) __builtin_popcountll (f.phash ^
              self->blur_hash) <= self->hash_max)) {
    GST_DEBUG_OBJECT (self, "frame %" G_GUINT64_FORMAT " dropped: blurred "
        "(sharpness %.0f, held %.0f)", frame, f.sharpness,
        self->held_features.sharpness);
    self->blur_dropped = TRUE;
    self->blur_hash = f.phash;
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  /* Likewise a selection seen only blurred gives way to the sharp view of
   * the same shot that follows it. */
  if (self->held && !shot && blurred_next_to (&self->held_features, &f)) {
    GST_DEBUG_OBJECT (self, "frame %" G_GUINT64_FORMAT " dropped: blurred "
        "next to frame %" G_GUINT64_FORMAT, self->held_frame, frame);
    gst_clear_buffer (&self->held);
  }
  GST_DEBUG_OBJECT (self, "frame %" G_GUINT64_FORMAT " starts a selection "
      "(shot change %d)", frame, shot);
  ret = push_held (self);
  hold (self, buf, frame, &f);
  self->anchor_hash = f.phash;
  gst_buffer_unref (buf);
  return ret;
}

/* ---- skipping ahead ---- */

static void
do_seek (GstElement * element, gpointer user_data)
{
  GstFrameSampler *self = GST_FRAME_SAMPLER (element);
  GstEvent *seek = user_data;
  gboolean ok, flushed, shutting_down;

  GST_OBJECT_LOCK (self);
  shutting_down = self->shutting_down;
  GST_OBJECT_UNLOCK (self);
  if (shutting_down)
    return;

  ok = gst_pad_push_event (self->sinkpad, gst_event_ref (seek));

  GST_OBJECT_LOCK (self);
  flushed = self->seek_flushed || !self->seek_pending
      || self->seek_seqnum != gst_event_get_seqnum (seek);
  if (!ok || !flushed)
    self->seek_pending = FALSE;
  shutting_down = self->shutting_down;
  GST_OBJECT_UNLOCK (self);

  /* The streaming thread stopped upstream to wait for this seek: without it
   * nothing would ever flow again, so this has to be an error. */
  if ((!ok || !flushed) && !shutting_down)
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not skip ahead to the next sample: upstream did not seek. "
            "Set seek=none to decode every frame instead."),
        ("seek accepted %d, flushed %d", ok, flushed));
}

/* Where the video ends, in stream time: the segment's stop when the demuxer
 * set one (qtdemux sets the track's own end, which the file's duration, made
 * longer by audio, is not), else the duration. */
static GstClockTime
stream_end (GstFrameSampler * self)
{
  GstClockTime stop = GST_CLOCK_TIME_NONE;

  if (GST_CLOCK_TIME_IS_VALID (self->segment.stop))
    stop = gst_segment_to_stream_time (&self->segment, GST_FORMAT_TIME,
        self->segment.stop);
  return GST_CLOCK_TIME_IS_VALID (stop) ? stop : self->duration;
}

static GstFlowReturn
schedule_seek (GstFrameSampler * self, GstClockTime target)
{
  GstClockTime frame_dur = gst_util_uint64_scale (GST_SECOND, self->fps_d,
      self->fps_n);
  GstSeekFlags flags = GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT;
  GstClockTime position = target;
  GstEvent *seek;

  if (self->seek_mode == MT_FRAME_SAMPLER_SEEK_ACCURATE) {
    /* Half a frame on, so that a target that is itself a key unit is found
     * even when the container rounded its time down. */
    flags |= GST_SEEK_FLAG_SNAP_BEFORE;
    position += frame_dur / 2;
  } else {
    flags |= GST_SEEK_FLAG_SNAP_NEAREST;
  }
  position = gst_segment_position_from_stream_time (&self->segment,
      GST_FORMAT_TIME, MIN (position, stream_end (self)));
  if (!GST_CLOCK_TIME_IS_VALID (position))
    return GST_FLOW_OK;

  seek = gst_event_new_seek (1.0, GST_FORMAT_TIME, flags,
      GST_SEEK_TYPE_SET, position, GST_SEEK_TYPE_NONE, -1);
  GST_DEBUG_OBJECT (self, "seeking to %" GST_TIME_FORMAT " for sample %"
      G_GUINT64_FORMAT, GST_TIME_ARGS (position), self->next_k);

  GST_OBJECT_LOCK (self);
  self->seek_pending = TRUE;
  self->seek_flushed = FALSE;
  self->seek_seqnum = gst_event_get_seqnum (seek);
  GST_OBJECT_UNLOCK (self);
  self->landing_target = target;

  /* A flushing seek cannot be sent from the streaming thread (the flush
   * waits for this very thread), so another thread sends it... */
  gst_element_call_async (GST_ELEMENT (self), do_seek, seek,
      (GDestroyNotify) gst_event_unref);
  /* ...and upstream stops here instead of decoding frames the seek will
   * throw away. FLUSHING is not an error anywhere upstream. */
  return GST_FLOW_FLUSHING;
}

/* After a pass: seek to the next sample when it is far enough ahead that
 * the key unit before it is probably past the current position. */
static GstFlowReturn
maybe_skip_ahead (GstFrameSampler * self, GstClockTime now)
{
  GstClockTime target, threshold;

  if (!self->seek_decided)
    decide_seek_mode (self);
  if (self->seek_mode == MT_FRAME_SAMPLER_SEEK_NONE
      || !GST_CLOCK_TIME_IS_VALID (now))
    return GST_FLOW_OK;

  target = sample_time (self, self->next_k);
  if (target >= stream_end (self)) {
    GST_DEBUG_OBJECT (self, "no sample before the end, stopping upstream");
    return GST_FLOW_EOS;
  }
  threshold = MIN_SEEK_GAP;
  if (self->seek_mode == MT_FRAME_SAMPLER_SEEK_ACCURATE)
    threshold = MAX (threshold, self->max_back + GST_SECOND / 2);
  if (target <= now || target - now < threshold)
    return GST_FLOW_OK;
  return schedule_seek (self, target);
}

/* ---- streaming ---- */

static gboolean
take_landing (GstFrameSampler * self, gboolean * pending)
{
  gboolean landing;

  GST_OBJECT_LOCK (self);
  *pending = self->seek_pending;
  landing = self->landing;
  self->landing = FALSE;
  GST_OBJECT_UNLOCK (self);
  return landing;
}

static void
note_landing (GstFrameSampler * self, GstClockTime now)
{
  if (!GST_CLOCK_TIME_IS_VALID (now) || now >= self->landing_target)
    return;
  self->max_back = MAX (self->max_back, self->landing_target - now);
  GST_DEBUG_OBJECT (self, "landed %" GST_TIME_FORMAT " before the sample",
      GST_TIME_ARGS (self->landing_target - now));
}

static gboolean
is_selected (GstFrameSampler * self, guint64 frame, GstClockTime now,
    gboolean landing)
{
  if (!self->active)
    return FALSE;
  if (self->index_step > 0)
    return frame % self->index_step == 0;
  /* seek=keyframe takes the key unit it landed on, if it is new */
  if (landing && self->seek_mode == MT_FRAME_SAMPLER_SEEK_KEYFRAME
      && (self->last_frame == G_MAXUINT64 || frame > self->last_frame))
    return TRUE;
  if (is_constant_rate (self))
    return frame >= mt_frame_capture_sample_frame (&self->rate, self->next_k,
        self->fps_n, self->fps_d);
  return GST_CLOCK_TIME_IS_VALID (now)
      && now >= sample_time (self, self->next_k);
}

/* A decoder clips the frame that straddles the segment start: its PTS
 * becomes the start and its duration shrinks. After a key unit seek that
 * qtdemux aligned on another stream's key unit, that frame is one from
 * before the seek position wearing the start's timestamp: never a sample. */
static gboolean
is_clipped (GstFrameSampler * self, GstBuffer * buf)
{
  GstClockTime dur = GST_BUFFER_DURATION (buf), nominal;

  if (!is_constant_rate (self) || !GST_CLOCK_TIME_IS_VALID (dur)
      || GST_BUFFER_PTS (buf) != self->segment.start)
    return FALSE;
  nominal = gst_util_uint64_scale (GST_SECOND, self->fps_d, self->fps_n);
  return dur + nominal / 4 < nominal;
}

static GstFlowReturn
gst_frame_sampler_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstFrameSampler *self = GST_FRAME_SAMPLER (parent);
  GstClockTime now;
  guint64 frame;
  gboolean pending, landing;
  GstFlowReturn ret;

  if (!self->configured) {
    gst_buffer_unref (buf);
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Video arrived before its format was known: the element before "
            "framesampler must send raw video caps first."),
        ("a buffer arrived before the caps"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  landing = take_landing (self, &pending);
  if (pending) {
    /* decoded before our seek's flush reached us: already behind us */
    gst_buffer_unref (buf);
    return GST_FLOW_FLUSHING;
  }
  if (is_clipped (self, buf)) {
    GST_DEBUG_OBJECT (self, "dropping the clipped frame at the segment start");
    gst_buffer_unref (buf);
    GST_OBJECT_LOCK (self);
    self->landing = landing;
    GST_OBJECT_UNLOCK (self);
    return GST_FLOW_OK;
  }
  self->got_frame = TRUE;
  now = gst_segment_to_stream_time (&self->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  frame = is_constant_rate (self) && GST_CLOCK_TIME_IS_VALID (now) ?
      mt_frame_capture_frame_at_time (now, self->fps_n, self->fps_d) :
      self->frames_seen;
  self->frames_seen++;
  if (landing)
    note_landing (self, now);

  if (!is_selected (self, frame, now, landing)) {
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  if (self->index_step == 0) {
    guint64 k = first_sample_after (self, frame, now);

    /* a key unit taken for sample k stands for it, even if it came early */
    if (landing && self->seek_mode == MT_FRAME_SAMPLER_SEEK_KEYFRAME)
      k = MAX (k, self->next_k + 1);
    self->next_k = k;
  }
  self->last_frame = frame;
  self->last_time = now;

  if (self->analyzer)
    return dynamic_candidate (self, buf, frame);
  ret = emit (self, buf, frame);
  if (ret != GST_FLOW_OK)
    return ret;
  return maybe_skip_ahead (self, now);
}

/* ---- events ---- */

/* Is this flush the one our own seek caused? Then downstream never sees it:
 * a flush would throw away frames still queued for analysis. */
static gboolean
is_our_flush (GstFrameSampler * self, GstEvent * event, gboolean start)
{
  gboolean ours;

  GST_OBJECT_LOCK (self);
  ours = self->seek_pending
      && gst_event_get_seqnum (event) == self->seek_seqnum;
  if (ours && start)
    self->seek_flushed = TRUE;
  if (ours && !start)
    self->landing = TRUE;
  GST_OBJECT_UNLOCK (self);
  return ours;
}

static gboolean
handle_segment (GstFrameSampler * self, GstEvent * event)
{
  gboolean ours;

  gst_event_copy_segment (event, &self->segment);
  GST_OBJECT_LOCK (self);
  ours = self->seek_pending && self->seek_flushed;
  if (ours)
    self->seek_pending = FALSE;
  GST_OBJECT_UNLOCK (self);

  if (ours) {
    GST_DEBUG_OBJECT (self, "keeping our seek's segment to ourselves");
    gst_event_unref (event);
    return TRUE;
  }
  self->out_segment = self->segment;
  if (self->configured && self->segment.format == GST_FORMAT_TIME) {
    guint64 k = first_sample_from (self,
        gst_segment_to_stream_time (&self->segment, GST_FORMAT_TIME,
            self->segment.start));

    /* an update of the segment must not pass a frame twice */
    self->next_k = self->last_frame == G_MAXUINT64 ? k : MAX (k, self->next_k);
  }
  return gst_pad_push_event (self->srcpad, event);
}

static gboolean
handle_eos (GstFrameSampler * self, GstEvent * event)
{
  gboolean before_flush;

  /* An EOS queued before our seek's flush: that flush takes it back. One
   * after the flush is the end, even when no segment came first: a seek
   * past the end of a truncated file gives qtdemux nothing to read, and the
   * decoder drops the segment of a stream without frames, so waiting for it
   * here hung the pipeline for ever (issue 11 case 3). */
  GST_OBJECT_LOCK (self);
  before_flush = self->seek_pending && !self->seek_flushed;
  if (!before_flush)
    self->seek_pending = FALSE;
  GST_OBJECT_UNLOCK (self);
  if (before_flush) {
    gst_event_unref (event);
    return TRUE;
  }
  push_held (self);
  if (self->analyzer)
    GST_INFO_OBJECT (self, "dynamic: kept %u of %u candidates", self->kept,
        self->candidates);
  if (!self->got_frame)
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("The video has no frames: there is nothing to sample."),
        ("end of stream before the first frame"));
  push_sampling_event (self);
  return gst_pad_push_event (self->srcpad, event);
}

static gboolean
gst_frame_sampler_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstFrameSampler *self = GST_FRAME_SAMPLER (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      /* a frame held by the dynamic mode belongs to the old caps */
      push_held (self);
      if (!configure (self, caps)) {
        gst_event_unref (event);
        return FALSE;
      }
      break;
    }
    case GST_EVENT_SEGMENT:
      return handle_segment (self, event);
    case GST_EVENT_FLUSH_START:
      if (is_our_flush (self, event, TRUE)) {
        gst_event_unref (event);
        return TRUE;
      }
      break;
    case GST_EVENT_FLUSH_STOP:
      if (is_our_flush (self, event, FALSE)) {
        gst_event_unref (event);
        return TRUE;
      }
      /* someone else's flushing seek overtook ours: theirs decides */
      GST_OBJECT_LOCK (self);
      self->seek_pending = FALSE;
      self->landing = FALSE;
      GST_OBJECT_UNLOCK (self);
      reset_position (self);
      break;
    case GST_EVENT_EOS:
      return handle_eos (self, event);
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

/* ---- GObject / GstElement ---- */

static GstStateChangeReturn
gst_frame_sampler_change_state (GstElement * element, GstStateChange transition)
{
  GstFrameSampler *self = GST_FRAME_SAMPLER (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      reset_state (self);
      GST_OBJECT_LOCK (self);
      self->shutting_down = FALSE;
      GST_OBJECT_UNLOCK (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      GST_OBJECT_LOCK (self);
      self->shutting_down = TRUE;
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      break;
  }
  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    reset_state (self);
  return ret;
}

static void
gst_frame_sampler_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstFrameSampler *self = GST_FRAME_SAMPLER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FRAME_CAPTURE_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_INTERVAL:
      self->interval = g_value_get_uint64 (value);
      break;
    case PROP_SEEK:
      self->seek = g_value_get_enum (value);
      break;
    case PROP_HASH_DISTANCE:
      self->hash_distance = g_value_get_uint (value);
      break;
    case PROP_SHOT_THRESHOLD:
      self->shot_threshold = g_value_get_double (value);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_frame_sampler_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstFrameSampler *self = GST_FRAME_SAMPLER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_FRAME_CAPTURE_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_INTERVAL:
      g_value_set_uint64 (value, self->interval);
      break;
    case PROP_SEEK:
      g_value_set_enum (value, self->seek);
      break;
    case PROP_HASH_DISTANCE:
      g_value_set_uint (value, self->hash_distance);
      break;
    case PROP_SHOT_THRESHOLD:
      g_value_set_double (value, self->shot_threshold);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_frame_sampler_finalize (GObject * object)
{
  GstFrameSampler *self = GST_FRAME_SAMPLER (object);

  gst_clear_buffer (&self->held);
  g_clear_pointer (&self->analyzer, mt_frame_analyzer_free);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_frame_sampler_class_init (GstFrameSamplerClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_frame_sampler_debug, "framesampler", 0,
      "frame capture mode sampler");

  gobject_class->set_property = gst_frame_sampler_set_property;
  gobject_class->get_property = gst_frame_sampler_get_property;
  gobject_class->finalize = gst_frame_sampler_finalize;

  /**
   * GstFrameSampler:frame-capture-mode:
   *
   * Which frames to pass, by Media2Cloud's frameCaptureMode code or nick:
   * `frame-capture-mode=1002` and `frame-capture-mode=1f-every-2s` are the
   * same. Read when the caps arrive.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FRAME_CAPTURE_MODE,
      g_param_spec_enum ("frame-capture-mode", "Frame capture mode",
          "Which frames to pass (Media2Cloud's frameCaptureMode code or nick)",
          MT_TYPE_FRAME_CAPTURE_MODE, DEFAULT_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstFrameSampler:interval:
   *
   * Time between samples, overriding frame-capture-mode for any other
   * period; 0 uses the mode. Sample k is then the frame nearest to
   * k * interval.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_uint64 ("interval", "Interval",
          "Time between samples in nanoseconds, overriding frame-capture-mode "
          "(0 = use the mode)", 0, G_MAXUINT64, DEFAULT_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstFrameSampler:seek:
   *
   * How to skip the frames between samples: decode them all (`none`), seek
   * to the key unit before each sample and decode up to the exact frame
   * (`accurate`), or take the key unit nearest each sample (`keyframe`).
   * `auto` is `accurate` when upstream can seek and samples are 5 s or more
   * apart, `none` otherwise.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SEEK,
      g_param_spec_enum ("seek", "Seek",
          "How to skip the frames between samples",
          MT_TYPE_FRAME_SAMPLER_SEEK, DEFAULT_SEEK,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstFrameSampler:hash-distance:
   *
   * frame-capture-mode=dynamic: candidates whose 64-bit perceptual hash is
   * at most this many bits from the current selection's first frame are
   * near-duplicates of it.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_HASH_DISTANCE,
      g_param_spec_uint ("hash-distance", "Hash distance",
          "dynamic mode: perceptual hash distance (bits of 64) up to which "
          "a candidate is a near-duplicate", 0, 64, DEFAULT_HASH_DISTANCE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstFrameSampler:shot-threshold:
   *
   * frame-capture-mode=dynamic: colour histogram distance (1 - intersection)
   * between consecutive candidates above which a shot changed.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SHOT_THRESHOLD,
      g_param_spec_double ("shot-threshold", "Shot threshold",
          "dynamic mode: histogram distance between candidates (0-1) above "
          "which a new shot starts", 0.0, 1.0, DEFAULT_SHOT_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstFrameSampler:post-messages:
   *
   * Post a "framesampler" element message for every passed frame (see the
   * element description), so an application can name or index what it
   * writes by frame number even after an encoder has dropped the offset.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post a framesampler element message for every passed frame",
          DEFAULT_POST_MESSAGES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Frame capture mode sampler", "Filter/Video",
      "Passes the frames a Media2Cloud frame capture mode selects, with their "
      "timestamps and source frame numbers",
      "mediatag developers <https://github.com/mediatag/mediatag>");
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_frame_sampler_change_state);

  gst_type_mark_as_plugin_api (MT_TYPE_FRAME_CAPTURE_MODE, 0);
  gst_type_mark_as_plugin_api (MT_TYPE_FRAME_SAMPLER_SEEK, 0);
}

static void
gst_frame_sampler_init (GstFrameSampler * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_frame_sampler_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_frame_sampler_sink_event));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->mode = DEFAULT_MODE;
  self->interval = DEFAULT_INTERVAL;
  self->seek = DEFAULT_SEEK;
  self->hash_distance = DEFAULT_HASH_DISTANCE;
  self->shot_threshold = DEFAULT_SHOT_THRESHOLD;
  self->post_messages = DEFAULT_POST_MESSAGES;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->last_frame = G_MAXUINT64;
}
