/* s3src: reads an S3 object as a seekable byte stream. See gsts3src.c. */
#pragma once

#include <gst/gst.h>
#include <gst/base/gstbasesrc.h>
#include <gst/base/gstadapter.h>

#include "awssettings.h"
#include "gsts3location.h"
#include "s3.h"

G_BEGIN_DECLS

typedef struct _GstS3SrcBlockPool GstS3SrcBlockPool;

#define GST_TYPE_S3_SRC (gst_s3_src_get_type ())
G_DECLARE_FINAL_TYPE (GstS3Src, gst_s3_src, GST, S3_SRC, GstBaseSrc)

struct _GstS3Src
{
  GstBaseSrc parent;

  /* properties, under the object lock */
  GstS3Location location;
  gchar *version_id;
  gboolean anonymous;
  guint read_ahead;
  MtAwsSettings settings;

  /* set in start(), read-only until stop() */
  MtS3Client *client;           /* HEAD, with the user's retries */
  MtS3Client *stream_client;    /* ranged GETs; resumes are ours */
  MtS3Object *object;
  gchar *url;                   /* the object's GET URL, versionId included */
  guint retries;
  gint64 stall_timeout_us;

  /* the read-ahead buffer and its transfer, under `lock` */
  GMutex lock;
  GCond data_cond;              /* the reader waits for data */
  GCond space_cond;             /* the transfer waits for room */
  GstAdapter *adapter;          /* filled chunks, in order */
  GstS3SrcBlockPool *blocks;    /* recycled chunk memory */
  GstBuffer *chunk;             /* the chunk being filled */
  GstMapInfo chunk_map;
  gsize chunk_fill;
  gsize capacity;               /* read-ahead: bytes buffered at most */
  gsize want;                   /* bytes the reader waits for */
  gboolean writer_waiting;
  guint64 read_offset;          /* object offset of the ring's first byte */
  GThread *thread;
  GCancellable *cancellable;    /* of the request in flight */
  guint generation;             /* bumped to retire a transfer */
  guint thread_generation;      /* the generation `thread` serves */
  gboolean flushing;
  gboolean in_request;
  gboolean stalled;
  gboolean transfer_done;
  gint64 last_data_time;
  GError *transfer_error;
  guint requests;               /* GETs opened, for the debug log */
  GByteArray *small;            /* a small object's bytes, as the first GET
                                 * brings them */
  GstBuffer *whole;             /* ... once all there: every read and seek
                                 * is served from it */
};

GST_ELEMENT_REGISTER_DECLARE (s3src);

G_END_DECLS
