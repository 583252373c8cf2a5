/* The object location of s3src and s3sink: see gsts3location.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gsts3location.h"

#include "s3.h"

void
gst_s3_location_clear (GstS3Location * location)
{
  g_clear_pointer (&location->bucket, g_free);
  g_clear_pointer (&location->key, g_free);
  g_clear_pointer (&location->uri_error, g_free);
}

void
gst_s3_location_copy (GstS3Location * dest, const GstS3Location * src)
{
  gst_s3_location_clear (dest);
  dest->bucket = g_strdup (src->bucket);
  dest->key = g_strdup (src->key);
  dest->uri_error = g_strdup (src->uri_error);
  dest->force_path_style = src->force_path_style;
}

gboolean
gst_s3_location_set_uri (GstObject * owner, GstS3Location * location,
    const gchar * uri, GError ** error)
{
  gchar *bucket = NULL, *key = NULL;
  g_autoptr (GError) err = NULL;

  if (!mt_s3_uri_parse (uri, FALSE, &bucket, &key, &err)) {
    /* Kept for start(): gst-launch only warns about a refused property. */
    GST_OBJECT_LOCK (owner);
    g_free (location->uri_error);
    location->uri_error = g_strdup (err->message);
    GST_OBJECT_UNLOCK (owner);
    g_set_error_literal (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        err->message);
    return FALSE;
  }
  GST_OBJECT_LOCK (owner);
  g_clear_pointer (&location->uri_error, g_free);
  g_free (location->bucket);
  g_free (location->key);
  location->bucket = bucket;
  location->key = key;
  GST_OBJECT_UNLOCK (owner);
  return TRUE;
}

static gchar *
build_uri_locked (const GstS3Location * location)
{
  if (location->bucket == NULL || location->key == NULL)
    return NULL;
  return mt_s3_uri_build (location->bucket, location->key);
}

static gboolean
is_location_property (guint prop_id)
{
  return prop_id >= GST_S3_PROP_URI && prop_id <= GST_S3_PROP_LOCATION_LAST;
}

static void
set_property_locked (GstS3Location * location, guint prop_id,
    const GValue * value)
{
  switch (prop_id) {
    case GST_S3_PROP_BUCKET:
      /* A bucket or key set by hand replaces a refused uri. */
      g_clear_pointer (&location->uri_error, g_free);
      g_free (location->bucket);
      location->bucket = g_value_dup_string (value);
      break;
    case GST_S3_PROP_KEY:
      g_clear_pointer (&location->uri_error, g_free);
      g_free (location->key);
      location->key = g_value_dup_string (value);
      break;
    case GST_S3_PROP_FORCE_PATH_STYLE:
      location->force_path_style = g_value_get_boolean (value);
      break;
  }
}

gboolean
gst_s3_location_set_property (GstObject * owner, GstS3Location * location,
    guint prop_id, const GValue * value, GError ** error)
{
  if (!is_location_property (prop_id))
    return FALSE;
  if (prop_id == GST_S3_PROP_URI) {
    gst_s3_location_set_uri (owner, location, g_value_get_string (value),
        error);
    return TRUE;
  }
  GST_OBJECT_LOCK (owner);
  set_property_locked (location, prop_id, value);
  GST_OBJECT_UNLOCK (owner);
  return TRUE;
}

static void
get_property_locked (const GstS3Location * location, guint prop_id,
    GValue * value)
{
  switch (prop_id) {
    case GST_S3_PROP_URI:
      g_value_take_string (value, build_uri_locked (location));
      break;
    case GST_S3_PROP_BUCKET:
      g_value_set_string (value, location->bucket);
      break;
    case GST_S3_PROP_KEY:
      g_value_set_string (value, location->key);
      break;
    case GST_S3_PROP_FORCE_PATH_STYLE:
      g_value_set_boolean (value, location->force_path_style);
      break;
  }
}

gboolean
gst_s3_location_get_property (GstObject * owner,
    const GstS3Location * location, guint prop_id, GValue * value)
{
  if (!is_location_property (prop_id))
    return FALSE;
  GST_OBJECT_LOCK (owner);
  get_property_locked (location, prop_id, value);
  GST_OBJECT_UNLOCK (owner);
  return TRUE;
}

gboolean
gst_s3_location_check (const GstS3Location * location, GstElement * element,
    const gchar * verb)
{
  if (location->uri_error) {
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
        ("The uri is not a valid S3 URI (s3://bucket/key): %s.",
            location->uri_error), ("uri property refused: %s",
            location->uri_error));
    return FALSE;
  }
  if (location->bucket == NULL || *location->bucket == '\0'
      || location->key == NULL || *location->key == '\0') {
    GST_ELEMENT_ERROR (element, RESOURCE, NOT_FOUND,
        ("No S3 object to %s: set uri=s3://bucket/key, or bucket and key.",
            verb), ("bucket '%s', key '%s'", GST_STR_NULL (location->bucket),
            GST_STR_NULL (location->key)));
    return FALSE;
  }
  return TRUE;
}

const gchar *const *
gst_s3_uri_handler_get_protocols (GType type)
{
  static const gchar *protocols[] = { "s3", NULL };

  return protocols;
}

gchar *
gst_s3_uri_handler_get_uri (GstURIHandler * handler)
{
  gchar *uri = NULL;

  g_object_get (handler, "uri", &uri, NULL);
  return uri;
}
