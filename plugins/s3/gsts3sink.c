/* s3sink: writes a stream to S3 as one object (multipart upload, or one
 * PutObject when it is small) or as one object per buffer. */

/**
 * SECTION:element-s3sink
 * @title: s3sink
 *
 * Writes what it receives to S3.
 *
 * With a plain key, the stream becomes one object: bytes are gathered into
 * parts of #GstS3Sink:part-size and sent by multipart upload, each part
 * retried on its own and uploaded while the next is gathered; EOS
 * completes the upload. A stream shorter than one
 * part is sent with a single PutObject. When the element stops without EOS
 * (an error upstream, or the pipeline set to NULL mid-stream), the upload
 * is aborted by default (#GstS3Sink:on-error), so no broken object and no
 * pending upload are left behind.
 *
 * EOS means "the stream is whole": a pipeline stopped early with EOS
 * (`gst-launch-1.0 -e` and Ctrl-C, a source that ends short) stores the
 * bytes received so far under the final key, as any sink would. When a
 * short object must never appear there, set #GstS3Sink:min-size: an EOS
 * before that many bytes aborts the upload and posts an error instead.
 *
 * When the key holds `%d` (as multifilesink's location does, `%05d` and
 * the like too), each buffer becomes its own object, numbered from
 * #GstS3Sink:index.
 *
 * #GstS3Sink:content-type and #GstS3Sink:metadata (each field becomes an
 * `x-amz-meta-<name>` header) apply to every object written.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=clip.mp4 ! s3sink uri=s3://media/clip.mp4 content-type=video/mp4
 * gst-launch-1.0 videotestsrc num-buffers=10 ! jpegenc ! s3sink uri=s3://media/frames/%05d.jpg content-type=image/jpeg
 * ]|
 *
 * Since: 0.1
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gsts3sink.h"

#include <string.h>

#include "awserror.h"

GST_DEBUG_CATEGORY_STATIC (gst_s3_sink_debug);
#define GST_CAT_DEFAULT gst_s3_sink_debug

/* S3's limits: parts of 5 MiB to 5 GiB (the last may be shorter). */
#define MIN_PART_SIZE (5 * 1024 * 1024)
#define MAX_PART_SIZE (G_GUINT64_CONSTANT (5) * 1024 * 1024 * 1024)
#define MAX_PARTS 10000
#define DEFAULT_PART_SIZE (8 * 1024 * 1024)
#define DEFAULT_ON_ERROR GST_S3_SINK_ON_ERROR_ABORT

enum
{
  PROP_CONTENT_TYPE = GST_S3_PROP_LOCATION_LAST + 1,
  PROP_METADATA,
  PROP_PART_SIZE,
  PROP_ON_ERROR,
  PROP_MIN_SIZE,
  PROP_AWS_FIRST,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

GType
gst_s3_sink_on_error_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_S3_SINK_ON_ERROR_ABORT, "Abort the upload: leave nothing behind",
        "abort"},
    {GST_S3_SINK_ON_ERROR_COMPLETE,
        "Complete the upload with what was received", "complete"},
    {GST_S3_SINK_ON_ERROR_DO_NOTHING, "Leave the multipart upload pending",
        "do-nothing"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstS3SinkOnError",
            values));
  return type;
}

static void gst_s3_sink_uri_handler_init (gpointer g_iface,
    gpointer iface_data);

#define gst_s3_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstS3Sink, gst_s3_sink, GST_TYPE_BASE_SINK,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER, gst_s3_sink_uri_handler_init));
GST_ELEMENT_REGISTER_DEFINE (s3sink, "s3sink", GST_RANK_PRIMARY,
    GST_TYPE_S3_SINK);

/* ---- requests ---- */

static GCancellable *
get_cancellable (GstS3Sink * self)
{
  GCancellable *c;

  g_mutex_lock (&self->cancel_lock);
  c = self->cancellable ? g_object_ref (self->cancellable) : NULL;
  g_mutex_unlock (&self->cancel_lock);
  return c;
}

static gboolean
send (GstS3Sink * self, MtHttpRequest * req, MtHttpResponse ** resp,
    gboolean cancellable, GError ** error)
{
  g_autoptr (GCancellable) c = cancellable ? get_cancellable (self) : NULL;
  MtAwsSendOptions opts = { 0, };

  opts.payload = MT_SIGV4_PAYLOAD_SIGNED;
  opts.s3 = TRUE;
  return mt_aws_client_send (mt_s3_client_get_aws (self->client), req, &opts,
      resp, c, error);
}

static MtHttpRequest *
object_request (GstS3Sink * self, const gchar * method, const gchar * key,
    const gchar * query)
{
  g_autofree gchar *url = mt_s3_client_url (self->client, self->cur_bucket,
      key, query);

  return mt_http_request_new (method, url);
}

static gboolean
add_metadata_header (GQuark field, const GValue * value, gpointer user_data)
{
  MtHttpRequest *req = user_data;
  g_autofree gchar *name = NULL;
  g_autofree gchar *text = NULL;

  name = g_strdup_printf ("x-amz-meta-%s", g_quark_to_string (field));
  text = G_VALUE_HOLDS_STRING (value) ? g_value_dup_string (value) :
      gst_value_serialize (value);
  if (text)
    mt_http_request_set_header (req, name, text);
  return TRUE;
}

/* What every new object carries: content type and user metadata. */
static void
add_object_headers (GstS3Sink * self, MtHttpRequest * req)
{
  if (self->cur_content_type && *self->cur_content_type)
    mt_http_request_set_header (req, "Content-Type", self->cur_content_type);
  if (self->cur_metadata)
    gst_structure_foreach (self->cur_metadata, add_metadata_header, req);
}

static gboolean
put_object (GstS3Sink * self, const gchar * key, GBytes * body, GError ** error)
{
  g_autoptr (MtHttpRequest) req = object_request (self, "PUT", key, NULL);

  add_object_headers (self, req);
  mt_http_request_set_body (req, body);
  GST_DEBUG_OBJECT (self, "PutObject %s: %" G_GSIZE_FORMAT " bytes", key,
      g_bytes_get_size (body));
  return send (self, req, NULL, TRUE, error);
}

static gboolean
create_upload (GstS3Sink * self, GError ** error)
{
  g_autoptr (MtHttpRequest) req = object_request (self, "POST",
      self->cur_key, "uploads=");
  g_autoptr (MtHttpResponse) resp = NULL;

  add_object_headers (self, req);
  if (!send (self, req, &resp, TRUE, error))
    return FALSE;
  self->upload_id = mt_s3_xml_find (resp->body, "UploadId");
  if (self->upload_id == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "CreateMultipartUpload answered without an UploadId");
    return FALSE;
  }
  GST_INFO_OBJECT (self, "multipart upload %s of s3://%s/%s started",
      self->upload_id, self->cur_bucket, self->cur_key);
  return TRUE;
}

static gchar *
upload_query (GstS3Sink * self, guint part_number)
{
  g_autofree gchar *id = mt_uri_encode (self->upload_id, FALSE);

  if (part_number == 0)
    return g_strdup_printf ("uploadId=%s", id);
  return g_strdup_printf ("partNumber=%u&uploadId=%s", part_number, id);
}

/* Sends the gathered bytes as the next part. The client retries the part
 * alone (its body is kept), never the whole upload. */
static gboolean
upload_part (GstS3Sink * self, GBytes * body, GError ** error)
{
  guint number = self->etags->len + 1;
  g_autofree gchar *query = NULL;
  g_autoptr (MtHttpRequest) req = NULL;
  g_autoptr (MtHttpResponse) resp = NULL;
  const gchar *etag;

  if (self->upload_id == NULL && !create_upload (self, error))
    return FALSE;
  if (number > MAX_PARTS) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_INVALID,
        "The object needs more than %u parts: raise part-size", MAX_PARTS);
    return FALSE;
  }
  query = upload_query (self, number);
  req = object_request (self, "PUT", self->cur_key, query);
  mt_http_request_set_body (req, body);
  if (!send (self, req, &resp, TRUE, error))
    return FALSE;
  etag = mt_http_response_get_header (resp, "ETag");
  if (etag == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "UploadPart %u answered without an ETag", number);
    return FALSE;
  }
  g_ptr_array_add (self->etags, g_strdup (etag));
  GST_DEBUG_OBJECT (self, "part %u: %" G_GSIZE_FORMAT " bytes, ETag %s",
      number, g_bytes_get_size (body), etag);
  return TRUE;
}

/* Sends the first n pending bytes as the next part, and drops them only
 * once S3 has them: a part that failed or was cancelled stays pending, so
 * completing on stop still stores a prefix of the stream. */
static gboolean
send_pending_part (GstS3Sink * self, gsize n, GError ** error)
{
  g_autoptr (GBytes) part = g_bytes_new (self->pending->data, n);

  if (!upload_part (self, part, error))
    return FALSE;
  g_byte_array_remove_range (self->pending, 0, n);
  return TRUE;
}

static gpointer
part_upload_thread (gpointer data)
{
  GstS3Sink *self = data;

  self->part_ok = upload_part (self, self->part_body, &self->part_error);
  return NULL;
}

/* Waits for the part in flight. A part that did not make it goes back in
 * front of the pending bytes: nothing is lost or reordered, so completing
 * on stop still stores a prefix of the stream. */
static gboolean
join_part (GstS3Sink * self, GError ** error)
{
  gconstpointer data;
  gsize len;
  gboolean ok;

  if (self->part_thread == NULL)
    return TRUE;
  g_thread_join (g_steal_pointer (&self->part_thread));
  ok = self->part_ok;
  if (!ok) {
    data = g_bytes_get_data (self->part_body, &len);
    g_byte_array_prepend (self->pending, data, len);
    g_propagate_error (error, g_steal_pointer (&self->part_error));
  }
  g_clear_pointer (&self->part_body, g_bytes_unref);
  g_clear_error (&self->part_error);
  return ok;
}

/* Sends the next part in the background (after the one before it is
 * through), so gathering and uploading overlap: memory is two parts. */
static gboolean
start_part (GstS3Sink * self, GError ** error)
{
  if (!join_part (self, error))
    return FALSE;
  self->part_body = g_bytes_new (self->pending->data, self->cur_part_size);
  g_byte_array_remove_range (self->pending, 0, self->cur_part_size);
  self->part_ok = FALSE;
  self->part_thread = g_thread_new ("s3sink-part", part_upload_thread, self);
  return TRUE;
}

static gchar *
complete_body (GstS3Sink * self)
{
  GString *xml = g_string_new ("<CompleteMultipartUpload "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");

  for (guint i = 0; i < self->etags->len; i++) {
    g_autofree gchar *etag =
        g_markup_escape_text (g_ptr_array_index (self->etags, i), -1);

    g_string_append_printf (xml, "<Part><PartNumber>%u</PartNumber>"
        "<ETag>%s</ETag></Part>", i + 1, etag);
  }
  g_string_append (xml, "</CompleteMultipartUpload>");
  return g_string_free (xml, FALSE);
}

static gboolean
complete_upload (GstS3Sink * self, GError ** error)
{
  g_autofree gchar *query = upload_query (self, 0);
  g_autoptr (MtHttpRequest) req = NULL;
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autoptr (GBytes) body = NULL;
  gchar *xml;

  if (!join_part (self, error))
    return FALSE;
  if ((self->pending->len > 0 || self->etags->len == 0)
      && !send_pending_part (self, self->pending->len, error))
    return FALSE;
  xml = complete_body (self);
  body = g_bytes_new_take (xml, strlen (xml));
  req = object_request (self, "POST", self->cur_key, query);
  mt_http_request_set_header (req, "Content-Type", "application/xml");
  mt_http_request_set_body (req, body);
  if (!send (self, req, &resp, FALSE, error))
    return FALSE;
  /* S3 may answer 200 and still fail the completion in the body. */
  *error = mt_s3_xml_error (resp->body);
  if (*error)
    return FALSE;
  GST_INFO_OBJECT (self, "s3://%s/%s written: %" G_GUINT64_FORMAT " bytes "
      "in %u parts", self->cur_bucket, self->cur_key, self->bytes,
      self->etags->len);
  g_clear_pointer (&self->upload_id, g_free);
  return TRUE;
}

static void
abort_upload (GstS3Sink * self)
{
  g_autofree gchar *query = upload_query (self, 0);
  g_autoptr (MtHttpRequest) req = NULL;
  g_autoptr (GError) err = NULL;

  req = object_request (self, "DELETE", self->cur_key, query);
  if (send (self, req, NULL, FALSE, &err))
    GST_INFO_OBJECT (self, "multipart upload %s aborted", self->upload_id);
  else
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("Could not abort the unfinished multipart upload %s of s3://%s/%s: "
            "abort it by hand or with a lifecycle rule", self->upload_id,
            self->cur_bucket, self->cur_key), ("%s", err->message));
  g_clear_pointer (&self->upload_id, g_free);
}

/* A stop without EOS: the upload's fate is the user's on-error choice, but
 * never a completion short of min-size. */
static void
settle_unfinished_upload (GstS3Sink * self)
{
  g_autoptr (GError) err = NULL;

  if (self->upload_id == NULL)
    return;
  if (self->cur_on_error == GST_S3_SINK_ON_ERROR_COMPLETE
      && self->bytes < self->cur_min_size) {
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("Stopped after %" G_GUINT64_FORMAT " bytes, short of min-size %"
            G_GUINT64_FORMAT ": the upload to s3://%s/%s was aborted rather "
            "than completed", self->bytes, self->cur_min_size,
            self->cur_bucket, self->cur_key), (NULL));
    abort_upload (self);
    return;
  }
  switch (self->cur_on_error) {
    case GST_S3_SINK_ON_ERROR_ABORT:
      abort_upload (self);
      break;
    case GST_S3_SINK_ON_ERROR_COMPLETE:
      if (!complete_upload (self, &err)) {
        GST_WARNING_OBJECT (self, "completing on stop failed: %s",
            err->message);
        abort_upload (self);
      }
      break;
    case GST_S3_SINK_ON_ERROR_DO_NOTHING:
      GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
          ("The multipart upload %s of s3://%s/%s was left pending",
              self->upload_id, self->cur_bucket, self->cur_key), (NULL));
      g_clear_pointer (&self->upload_id, g_free);
      break;
  }
}

/* ---- GstBaseSink ---- */

static void
post_error (GstS3Sink * self, const GError * err, const gchar * key)
{
  mt_s3_element_error (GST_ELEMENT (self), err, self->cur_bucket, key);
}

static GstFlowReturn
render_per_buffer (GstS3Sink * self, GstBuffer * buffer)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree gchar *key = NULL;
  GstMapInfo map;

  key = mt_s3_format_key (self->cur_key, self->index);
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_FLOW_ERROR;
  body = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  if (!put_object (self, key, body, &err)) {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      return GST_FLOW_FLUSHING;
    post_error (self, err, key);
    return GST_FLOW_ERROR;
  }
  self->index++;
  self->bytes += map.size;
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_s3_sink_render (GstBaseSink * sink, GstBuffer * buffer)
{
  GstS3Sink *self = GST_S3_SINK (sink);
  g_autoptr (GError) err = NULL;
  GstMapInfo map;

  if (self->per_buffer)
    return render_per_buffer (self, buffer);

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_FLOW_ERROR;
  g_byte_array_append (self->pending, map.data, map.size);
  self->bytes += map.size;
  gst_buffer_unmap (buffer, &map);

  /* Strictly more than a part before sending one: a stream of exactly one
   * part still goes in a single PutObject. */
  while (self->pending->len > self->cur_part_size) {
    if (!start_part (self, &err)) {
      if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return GST_FLOW_FLUSHING;
      post_error (self, err, self->cur_key);
      return GST_FLOW_ERROR;
    }
  }
  return GST_FLOW_OK;
}

/* An EOS before min-size bytes is a stream cut short, not a whole one:
 * nothing is stored under the key. */
static gboolean
refuse_short (GstS3Sink * self)
{
  if (self->per_buffer || self->bytes >= self->cur_min_size)
    return FALSE;
  if (self->upload_id)
    abort_upload (self);
  GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
      ("The stream ended after %" G_GUINT64_FORMAT " bytes, short of "
          "min-size %" G_GUINT64_FORMAT ": nothing was stored at s3://%s/%s",
          self->bytes, self->cur_min_size, self->cur_bucket, self->cur_key),
      ("end of stream before min-size; %s", self->etags->len ?
          "multipart upload aborted" : "no object written"));
  return TRUE;
}

/* EOS: the object is whole. Small streams never started a multipart
 * upload and go in one PutObject. */
static gboolean
finish (GstS3Sink * self, GError ** error)
{
  g_autoptr (GBytes) body = NULL;

  if (self->per_buffer)
    return TRUE;
  if (!join_part (self, error))
    return FALSE;
  if (self->upload_id)
    return complete_upload (self, error);
  body = g_bytes_new (self->pending->data, self->pending->len);
  if (!put_object (self, self->cur_key, body, error))
    return FALSE;
  GST_INFO_OBJECT (self, "s3://%s/%s written: %" G_GUINT64_FORMAT " bytes",
      self->cur_bucket, self->cur_key, self->bytes);
  return TRUE;
}

static gboolean
gst_s3_sink_event (GstBaseSink * sink, GstEvent * event)
{
  GstS3Sink *self = GST_S3_SINK (sink);
  g_autoptr (GError) err = NULL;

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && !self->finished) {
    if (!join_part (self, &err) || refuse_short (self)) {
      if (err)
        post_error (self, err, self->cur_key);
      self->finished = TRUE;
      gst_event_unref (event);
      return FALSE;
    }
    if (!finish (self, &err)) {
      post_error (self, err, self->cur_key);
      gst_event_unref (event);
      return FALSE;
    }
    self->finished = TRUE;
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (sink, event);
}

static gboolean
start_fail (GstS3Sink * self, const GError * err)
{
  post_error (self, err, self->cur_key);
  g_clear_pointer (&self->client, mt_s3_client_free);
  return FALSE;
}

/* A write-only identity may not HEAD the bucket: only a definite answer
 * (no such bucket, rejected credentials, unreachable endpoint) stops. */
static gboolean
check_bucket (GstS3Sink * self, GError ** error)
{
  g_autoptr (GError) err = NULL;
  const MtAwsErrorDetails *d;

  if (mt_s3_client_locate_bucket (self->client, self->cur_bucket, NULL, &err))
    return TRUE;
  d = mt_aws_error_get_details (err);
  if (g_error_matches (err, MT_AWS_ERROR, MT_AWS_ERROR_ACCESS_DENIED)
      && d && g_strcmp0 (d->code, "AccessDenied") == 0) {
    GST_INFO_OBJECT (self, "cannot check bucket %s (%s): writing anyway",
        self->cur_bucket, err->message);
    return TRUE;
  }
  g_propagate_error (error, g_steal_pointer (&err));
  return FALSE;
}

static gboolean
gst_s3_sink_start (GstBaseSink * sink)
{
  GstS3Sink *self = GST_S3_SINK (sink);
  g_auto (GstS3Location) location = { 0, };
  g_autoptr (GError) err = NULL;
  MtAwsSettings settings;

  mt_aws_settings_init (&settings);
  GST_OBJECT_LOCK (self);
  gst_s3_location_copy (&location, &self->location);
  self->cur_content_type = g_strdup (self->content_type);
  self->cur_metadata = self->metadata ? gst_structure_copy (self->metadata) :
      NULL;
  self->cur_part_size = self->part_size;
  self->cur_on_error = self->on_error;
  self->cur_min_size = self->min_size;
  mt_aws_settings_copy (&settings, &self->settings);
  GST_OBJECT_UNLOCK (self);

  if (!gst_s3_location_check (&location, GST_ELEMENT (self), "write")) {
    mt_aws_settings_clear (&settings);
    return FALSE;
  }
  self->cur_bucket = g_strdup (location.bucket);
  self->cur_key = g_strdup (location.key);
  self->per_buffer = strchr (self->cur_key, '%') != NULL;
  if (self->per_buffer && !mt_s3_key_is_template (self->cur_key)) {
    mt_aws_settings_clear (&settings);
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The key '%s' holds a '%%' but not exactly one %%d: write one "
            "%%d (or %%05d) for one object per buffer, and %%%% for a "
            "literal '%%'", self->cur_key), (NULL));
    return FALSE;
  }

  self->client = mt_s3_client_new (&settings, FALSE,
      location.force_path_style, &err);
  mt_aws_settings_clear (&settings);
  if (self->client == NULL || !check_bucket (self, &err))
    return start_fail (self, err);

  /* stop() may have cancelled the last run's requests. */
  g_mutex_lock (&self->cancel_lock);
  g_object_unref (self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_mutex_unlock (&self->cancel_lock);
  self->pending = g_byte_array_new ();
  self->etags = g_ptr_array_new_with_free_func (g_free);
  self->bytes = 0;
  self->finished = FALSE;
  GST_INFO_OBJECT (self, "writing s3://%s/%s (region %s)%s",
      self->cur_bucket, self->cur_key,
      mt_s3_client_get_region (self->client),
      self->per_buffer ? ", one object per buffer" : "");
  return TRUE;
}

static gboolean
gst_s3_sink_stop (GstBaseSink * sink)
{
  GstS3Sink *self = GST_S3_SINK (sink);

  /* A part still in flight is worth waiting for only to complete. */
  if (self->part_thread && self->cur_on_error != GST_S3_SINK_ON_ERROR_COMPLETE) {
    g_mutex_lock (&self->cancel_lock);
    g_cancellable_cancel (self->cancellable);
    g_mutex_unlock (&self->cancel_lock);
  }
  join_part (self, NULL);
  if (self->client)
    settle_unfinished_upload (self);
  g_clear_pointer (&self->client, mt_s3_client_free);
  g_clear_pointer (&self->pending, g_byte_array_unref);
  g_clear_pointer (&self->etags, g_ptr_array_unref);
  g_clear_pointer (&self->cur_bucket, g_free);
  g_clear_pointer (&self->cur_key, g_free);
  g_clear_pointer (&self->cur_content_type, g_free);
  g_clear_pointer (&self->cur_metadata, gst_structure_free);
  return TRUE;
}

static gboolean
gst_s3_sink_unlock (GstBaseSink * sink)
{
  GstS3Sink *self = GST_S3_SINK (sink);

  g_mutex_lock (&self->cancel_lock);
  g_cancellable_cancel (self->cancellable);
  g_mutex_unlock (&self->cancel_lock);
  return TRUE;
}

static gboolean
gst_s3_sink_unlock_stop (GstBaseSink * sink)
{
  GstS3Sink *self = GST_S3_SINK (sink);

  g_mutex_lock (&self->cancel_lock);
  g_object_unref (self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_mutex_unlock (&self->cancel_lock);
  return TRUE;
}

/* ---- properties and URI ---- */

static void
gst_s3_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstS3Sink *self = GST_S3_SINK (object);
  g_autoptr (GError) err = NULL;

  if (gst_s3_location_set_property (GST_OBJECT (self), &self->location,
          prop_id, value, &err)) {
    if (err)
      GST_WARNING_OBJECT (self, "%s", err->message);
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CONTENT_TYPE:
      g_free (self->content_type);
      self->content_type = g_value_dup_string (value);
      break;
    case PROP_METADATA:
      g_clear_pointer (&self->metadata, gst_structure_free);
      self->metadata = g_value_dup_boxed (value);
      break;
    case PROP_PART_SIZE:
      self->part_size = g_value_get_uint64 (value);
      break;
    case PROP_ON_ERROR:
      self->on_error = g_value_get_enum (value);
      break;
    case PROP_MIN_SIZE:
      self->min_size = g_value_get_uint64 (value);
      break;
    default:
      if (!mt_aws_settings_set_property (&self->settings, PROP_AWS_FIRST,
              prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_s3_sink_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstS3Sink *self = GST_S3_SINK (object);

  if (gst_s3_location_get_property (GST_OBJECT (self), &self->location,
          prop_id, value))
    return;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CONTENT_TYPE:
      g_value_set_string (value, self->content_type);
      break;
    case PROP_METADATA:
      g_value_set_boxed (value, self->metadata);
      break;
    case PROP_PART_SIZE:
      g_value_set_uint64 (value, self->part_size);
      break;
    case PROP_ON_ERROR:
      g_value_set_enum (value, self->on_error);
      break;
    case PROP_MIN_SIZE:
      g_value_set_uint64 (value, self->min_size);
      break;
    default:
      if (!mt_aws_settings_get_property (&self->settings, PROP_AWS_FIRST,
              prop_id, value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstURIType
gst_s3_sink_uri_get_type (GType type)
{
  return GST_URI_SINK;
}

static gboolean
gst_s3_sink_uri_set_uri (GstURIHandler * handler, const gchar * uri,
    GError ** error)
{
  GstS3Sink *self = GST_S3_SINK (handler);

  return gst_s3_location_set_uri (GST_OBJECT (self), &self->location, uri,
      error);
}

static void
gst_s3_sink_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  GstURIHandlerInterface *iface = g_iface;

  iface->get_type = gst_s3_sink_uri_get_type;
  iface->get_protocols = gst_s3_uri_handler_get_protocols;
  iface->get_uri = gst_s3_uri_handler_get_uri;
  iface->set_uri = gst_s3_sink_uri_set_uri;
}

/* ---- GObject ---- */

static void
gst_s3_sink_finalize (GObject * object)
{
  GstS3Sink *self = GST_S3_SINK (object);

  gst_s3_location_clear (&self->location);
  g_free (self->content_type);
  g_clear_pointer (&self->metadata, gst_structure_free);
  mt_aws_settings_clear (&self->settings);
  g_clear_object (&self->cancellable);
  g_mutex_clear (&self->cancel_lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_s3_sink_init (GstS3Sink * self)
{
  mt_aws_settings_init (&self->settings);
  self->part_size = DEFAULT_PART_SIZE;
  self->on_error = DEFAULT_ON_ERROR;
  g_mutex_init (&self->cancel_lock);
  self->cancellable = g_cancellable_new ();
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}

static void
gst_s3_sink_class_init (GstS3SinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (gst_s3_sink_debug, "s3sink", 0, "S3 sink");

  gobject_class->set_property = gst_s3_sink_set_property;
  gobject_class->get_property = gst_s3_sink_get_property;
  gobject_class->finalize = gst_s3_sink_finalize;

  /**
   * GstS3Sink:uri:
   *
   * Where to write: `s3://bucket/key`, the key verbatim as the AWS CLI
   * writes it. A key holding `%d` writes one object per buffer.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, GST_S3_PROP_URI,
      g_param_spec_string ("uri", "URI",
          "Where to write: s3://bucket/key (a %d in the key: one object per "
          "buffer)", NULL, flags));
  /**
   * GstS3Sink:bucket:
   *
   * The bucket to write to (instead of #GstS3Sink:uri).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, GST_S3_PROP_BUCKET,
      g_param_spec_string ("bucket", "Bucket",
          "The bucket to write to (instead of uri)", NULL, flags));
  /**
   * GstS3Sink:key:
   *
   * The key to write (instead of #GstS3Sink:uri); with `%d`, one object
   * per buffer.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, GST_S3_PROP_KEY,
      g_param_spec_string ("key", "Key",
          "The key to write (a %d: one object per buffer)", NULL, flags));
  /**
   * GstS3Sink:content-type:
   *
   * The Content-Type stored with the object(s). NULL: S3's default,
   * binary/octet-stream.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CONTENT_TYPE,
      g_param_spec_string ("content-type", "Content type",
          "Content-Type of the object(s) written (unset: S3's default, "
          "binary/octet-stream)", NULL, flags));
  /**
   * GstS3Sink:metadata:
   *
   * User metadata stored with the object(s): each field becomes an
   * `x-amz-meta-<field>` header, e.g. `metadata="meta,camera=north,take=3"`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_METADATA,
      g_param_spec_boxed ("metadata", "Metadata",
          "User metadata (each field an x-amz-meta-<field> header)",
          GST_TYPE_STRUCTURE, flags));
  /**
   * GstS3Sink:part-size:
   *
   * The size of each part of a multipart upload (S3 wants at least 5 MiB
   * for all but the last). A stream shorter than one part is written by a
   * single PutObject. A part uploads while the next is gathered, so memory
   * use is about two parts.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_PART_SIZE,
      g_param_spec_uint64 ("part-size", "Part size",
          "Bytes per multipart upload part (5 MiB to 5 GiB)", MIN_PART_SIZE,
          MAX_PART_SIZE, DEFAULT_PART_SIZE, flags));
  /**
   * GstS3Sink:on-error:
   *
   * What to do with an unfinished multipart upload when the element stops
   * without EOS.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ON_ERROR,
      g_param_spec_enum ("on-error", "On error",
          "What to do with an unfinished upload on a stop without EOS",
          GST_TYPE_S3_SINK_ON_ERROR, DEFAULT_ON_ERROR, flags));
  /**
   * GstS3Sink:min-size:
   *
   * The fewest bytes a whole object has. An EOS before that many bytes
   * (a pipeline stopped with `-e`, a source cut short) aborts the upload
   * and posts an error, so no short object is stored under the key; on a
   * stop without EOS, on-error=complete then aborts too. 0 (the default)
   * stores whatever EOS ends. Not used with one object per buffer.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MIN_SIZE,
      g_param_spec_uint64 ("min-size", "Minimum size",
          "Refuse (abort, error) an object that ends at EOS shorter than "
          "this many bytes; 0: no check", 0, G_MAXUINT64, 0, flags));
  /**
   * GstS3Sink:force-path-style:
   *
   * Always put the bucket in the URL path rather than the host name (the
   * case anyway with a custom endpoint).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, GST_S3_PROP_FORCE_PATH_STYLE,
      g_param_spec_boolean ("force-path-style", "Force path style",
          "Always address the bucket in the URL path (already the case with "
          "a custom endpoint)", FALSE, flags));
  mt_aws_settings_install (gobject_class, PROP_AWS_FIRST);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class, "Amazon S3 sink",
      "Sink/Network", "Writes a stream to S3 (s3://bucket/key): multipart "
      "upload, or one object per buffer",
      "mediatag developers <https://github.com/mediatag/mediatag>");

  basesink_class->start = GST_DEBUG_FUNCPTR (gst_s3_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_s3_sink_stop);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_s3_sink_render);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_s3_sink_event);
  basesink_class->unlock = GST_DEBUG_FUNCPTR (gst_s3_sink_unlock);
  basesink_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_s3_sink_unlock_stop);

  gst_type_mark_as_plugin_api (GST_TYPE_S3_SINK_ON_ERROR, 0);
}
