/* S3 helpers shared by s3src, s3sink and the batch tooling: `s3://` URIs as
 * the AWS CLI writes them, request URLs (path-style or virtual-hosted),
 * an S3 client that follows a bucket's region, HEAD, ListObjectsV2 with
 * pagination, and the small XML documents S3 answers with.
 *
 * Keys are kept as the user wrote them (UTF-8, spaces and '+' included) and
 * percent-encoded only when they go on the wire. */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>
#include "awsclient.h"

G_BEGIN_DECLS

/* Parses "s3://bucket/key" the way the AWS CLI reads it: the key is
 * everything after the first '/' following the bucket, verbatim (no
 * percent-decoding, so "a%20b" is a key with a '%' in it). With
 * allow_empty_key, "s3://bucket" and "s3://bucket/prefix/" are accepted
 * (listing); otherwise a key is required. Errors are G_IO_ERROR_INVALID_ARGUMENT
 * with a message saying what is wrong with the URI. */
gboolean mt_s3_uri_parse (const gchar * uri, gboolean allow_empty_key,
    gchar ** bucket, gchar ** key, GError ** error);
/* "s3://bucket/key", the inverse of mt_s3_uri_parse(). */
gchar *mt_s3_uri_build (const gchar * bucket, const gchar * key);

/* Whether `bucket` can be addressed as a host name (virtual-hosted style):
 * lowercase letters, digits, '-' and, unless `tls`, '.' (a dotted name does
 * not match S3's wildcard certificate). */
gboolean mt_s3_bucket_is_dns_compatible (const gchar * bucket, gboolean tls);

/* The URL of `key` in `bucket` (key NULL or "": the bucket itself) under
 * `endpoint` (a base URL without trailing slash). Path style puts the
 * bucket in the path; otherwise it goes in front of the host name when
 * the bucket allows it. `query` (already encoded, without '?') may be NULL. */
gchar *mt_s3_build_url (const gchar * endpoint, const gchar * bucket,
    const gchar * key, gboolean path_style, const gchar * query);

/* Formats a key template holding one %d (optionally with flags/width such
 * as %05d; "%%" is a literal '%') with `index`, as multifilesink does with
 * its location. Returns NULL when the template has no or several
 * conversions, or any other conversion. */
gchar *mt_s3_format_key (const gchar * key_template, guint index);
gboolean mt_s3_key_is_template (const gchar * key);

/* What S3 says of one object (HEAD, or one entry of a listing). */
typedef struct {
  gchar *key;
  guint64 size;
  gchar *etag;                  /* as S3 sends it, quotes included */
  gchar *last_modified;         /* as S3 sends it */
  gchar *content_type;          /* HEAD only */
  gchar *version_id;            /* HEAD only, when versioned */
} MtS3Object;

void mt_s3_object_free (MtS3Object * obj);

/* An S3 client: an MtAwsClient for the S3 service plus the addressing
 * style. path_style: always address buckets in the path; otherwise path
 * style is still used with a custom endpoint (S3-compatible stores and
 * emulators rarely resolve bucket host names) and for buckets that are
 * not DNS-compatible. The HEAD calls below may move the client to the
 * bucket's region: make them before threads share the client; everything
 * else is thread-safe (requests go through MtAwsClient). */
typedef struct _MtS3Client MtS3Client;

MtS3Client *mt_s3_client_new (const MtAwsSettings * settings,
    gboolean anonymous, gboolean path_style, GError ** error);
void mt_s3_client_free (MtS3Client * client);

/* A second client for the same bucket location (region, endpoint,
 * addressing) that does not retry and has no whole-request timeout: for
 * long streaming transfers whose caller resumes by itself from where the
 * data stopped (a retry of the same request would start over). */
MtS3Client *mt_s3_client_new_for_streaming (MtS3Client * client,
    GError ** error);

MtAwsClient *mt_s3_client_get_aws (MtS3Client * client);
const MtAwsSettings *mt_s3_client_get_settings (MtS3Client * client);
const gchar *mt_s3_client_get_region (MtS3Client * client);
/* The URL of an object or bucket (see mt_s3_build_url()). */
gchar *mt_s3_client_url (MtS3Client * client, const gchar * bucket,
    const gchar * key, const gchar * query);

/* HeadBucket. When S3 says the bucket lives in another region (a 301 with
 * x-amz-bucket-region, or AuthorizationHeaderMalformed naming the region)
 * and no endpoint was configured, the client moves to that region and the
 * call succeeds; with a configured endpoint, the error names the region.
 * A 403/404 HEAD has no body, so the service's code is fetched with a
 * ListObjectsV2 of one key to give NoSuchBucket / AccessDenied /
 * SignatureDoesNotMatch / InvalidAccessKeyId by name. */
gboolean mt_s3_client_locate_bucket (MtS3Client * client,
    const gchar * bucket, GCancellable * cancellable, GError ** error);

/* The object a HEAD or GET response describes: size from Content-Length
 * (a ranged GET's caller sets the whole size itself), ETag,
 * Last-Modified, Content-Type, version id. */
MtS3Object *mt_s3_object_from_response (const gchar * key,
    const MtHttpResponse * resp);

/* HeadObject (version_id may be NULL), with the same error naming as
 * above (NoSuchKey, NoSuchBucket, ...). */
MtS3Object *mt_s3_client_head_object (MtS3Client * client,
    const gchar * bucket, const gchar * key, const gchar * version_id,
    GCancellable * cancellable, GError ** error);

/* ListObjectsV2 of every key under `prefix` (NULL or "": the whole
 * bucket), following continuation tokens. page_size: keys asked per
 * request (0: S3's default of 1000). Returns a GPtrArray of MtS3Object,
 * in S3's order (UTF-8 binary order of keys). */
GPtrArray *mt_s3_client_list_objects (MtS3Client * client,
    const gchar * bucket, const gchar * prefix, guint page_size,
    GCancellable * cancellable, GError ** error);

/* ListObjectsV2 page by page: `on_page` gets each page's MtS3Object array
 * (it may steal from it; the array is freed after the call) as soon as it
 * is parsed, so a listing of any length holds one page in memory. A FALSE
 * return from on_page (with its error set) stops the listing and is
 * returned. */
typedef gboolean (*MtS3ListPageFunc) (GPtrArray * objects, gpointer user_data,
    GError ** error);
gboolean mt_s3_client_list_pages (MtS3Client * client, const gchar * bucket,
    const gchar * prefix, guint page_size, MtS3ListPageFunc on_page,
    gpointer user_data, GCancellable * cancellable, GError ** error);

/* GetObject of a small object whole (ledgers, lock objects): refused with
 * MT_AWS_ERROR_INVALID when it is larger than max_size. *etag (may be NULL)
 * gets its ETag. Errors are named as HeadObject's (NoSuchKey, ...). */
GBytes *mt_s3_client_get_object (MtS3Client * client, const gchar * bucket,
    const gchar * key, gsize max_size, gchar ** etag,
    GCancellable * cancellable, GError ** error);

/* The whole size of the object an answer to GET describes: the total of
 * a 206's Content-Range ("bytes 0-1023/4096"), or the Content-Length of a
 * 200 that sent it all. FALSE when the answer does not say. */
gboolean mt_s3_response_size (const MtHttpResponse * resp, guint64 * size);

/* The last tail_size bytes of an object (all of it when it is shorter) and
 * *size, its whole size, from one GetObject of the suffix range
 * "bytes=-tail_size" (its Content-Range names the size): what a reader
 * checking that a file ends as its format says needs, without reading the
 * rest. A server that ignores Range sends everything: only the end is kept.
 * An empty object gives an empty GBytes and a size of 0. A bucket in
 * another region is followed as by HeadObject; errors are named as
 * GetObject's (NoSuchKey, ...). */
GBytes *mt_s3_client_get_tail (MtS3Client * client, const gchar * bucket,
    const gchar * key, gsize tail_size, guint64 * size,
    GCancellable * cancellable, GError ** error);

/* PutObject conditions and headers; every field may be NULL. */
typedef struct {
  const gchar *content_type;
  const gchar *if_none_match;   /* "*": only when the key does not exist */
  const gchar *if_match;        /* only when the object has this ETag */
} MtS3PutOptions;

/* One PutObject of `body`: the object appears whole or not at all. A
 * condition that does not hold is an MT_AWS_ERROR whose details' code is
 * "PreconditionFailed" (or "ConditionalRequestConflict" in a race).
 * *etag (may be NULL) gets the new object's ETag. */
gboolean mt_s3_client_put_object (MtS3Client * client, const gchar * bucket,
    const gchar * key, GBytes * body, const MtS3PutOptions * options,
    gchar ** etag, GCancellable * cancellable, GError ** error);

/* Uploads the local file `path`: one PutObject up to part_size bytes
 * (0: 8 MiB; at least 5 MiB, S3's smallest part), a multipart upload of
 * part_size parts above it, completed only once every part is stored and
 * aborted on any failure, so the key never holds part of the file. */
gboolean mt_s3_client_put_file (MtS3Client * client, const gchar * bucket,
    const gchar * key, const gchar * path, const gchar * content_type,
    gsize part_size, GCancellable * cancellable, GError ** error);

/* DeleteObject (deleting a missing key succeeds, as in S3). */
gboolean mt_s3_client_delete_object (MtS3Client * client,
    const gchar * bucket, const gchar * key, GCancellable * cancellable,
    GError ** error);

/* A sentence a user can act on for an error from an S3 call on
 * s3://bucket/key (no such bucket, no such key, access denied, rejected
 * credentials, wrong region, object changed while read, endpoint not
 * reachable), ending with the error's own message (the service's code);
 * *resource_error gets the GstResourceError it best matches. */
gchar *mt_s3_error_describe (const GError * error, const gchar * bucket,
    const gchar * key, gint * resource_error);

/* Posts `error` as a GST_RESOURCE_ERROR message from `element`: the
 * sentence of mt_s3_error_describe() as the message, the error's own text
 * (service code, HTTP status, request id) as the debug part. */
void mt_s3_element_error (GstElement * element, const GError * error,
    const gchar * bucket, const gchar * key);

/* The text of the first element named `name` anywhere in an S3 XML
 * document (UploadId, ETag, Code, ...), or NULL. */
gchar *mt_s3_xml_find (GBytes * xml, const gchar * name);
/* A 200 response to CompleteMultipartUpload or CopyObject can still carry
 * an <Error> document: returns it as an MT_AWS_ERROR, else NULL. */
GError *mt_s3_xml_error (GBytes * xml);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtS3Object, mt_s3_object_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtS3Client, mt_s3_client_free)

G_END_DECLS
