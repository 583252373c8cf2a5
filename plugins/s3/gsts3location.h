/* The object an S3 element reads or writes, as its uri, bucket, key and
 * force-path-style properties set it: held and handled once for s3src and
 * s3sink, which both embed a GstS3Location.
 *
 * The location's fields are guarded by the owning element's object lock.
 * Both elements give the location properties the first ids (GST_S3_PROP_*)
 * and forward set/get_property and their GstURIHandler to the functions
 * below, which take the object lock themselves. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  gchar *bucket;
  gchar *key;
  gchar *uri_error;             /* why the last uri set was refused */
  gboolean force_path_style;
} GstS3Location;

/* The location properties' ids; an element's own properties follow. */
enum
{
  GST_S3_PROP_URI = 1,
  GST_S3_PROP_BUCKET,
  GST_S3_PROP_KEY,
  GST_S3_PROP_FORCE_PATH_STYLE,
  GST_S3_PROP_LOCATION_LAST = GST_S3_PROP_FORCE_PATH_STYLE,
};

void gst_s3_location_clear (GstS3Location * location);
/* A copy, made under the object lock, for start() to work from. */
void gst_s3_location_copy (GstS3Location * dest, const GstS3Location * src);

/* Sets the object from an `s3://bucket/key` URI, taking owner's object
 * lock. A refused URI is kept for gst_s3_location_check() (gst-launch only
 * warns about a refused property) and fails with GST_URI_ERROR_BAD_URI. */
gboolean gst_s3_location_set_uri (GstObject * owner,
    GstS3Location * location, const gchar * uri, GError ** error);
/* Set/get the location properties: TRUE when prop_id was one of them (a
 * refused uri also sets `error`, for the element to log). Both take
 * owner's object lock: call them before taking it. */
gboolean gst_s3_location_set_property (GstObject * owner,
    GstS3Location * location, guint prop_id, const GValue * value,
    GError ** error);
gboolean gst_s3_location_get_property (GstObject * owner,
    const GstS3Location * location, guint prop_id, GValue * value);

/* For start(): posts an error from `element` and returns FALSE when the
 * location cannot be used: a refused uri, or no bucket or key. `verb` says
 * what the element does with the object ("read", "write"). */
gboolean gst_s3_location_check (const GstS3Location * location,
    GstElement * element, const gchar * verb);

/* The GstURIHandler functions both elements share: the "s3" protocol, and
 * the URI as their uri property reads it. */
const gchar *const *gst_s3_uri_handler_get_protocols (GType type);
gchar *gst_s3_uri_handler_get_uri (GstURIHandler * handler);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (GstS3Location, gst_s3_location_clear)

G_END_DECLS
