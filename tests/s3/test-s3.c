/* Unit tests of the core's S3 helpers (plugins/core/s3.c): URIs as the AWS
 * CLI writes them, request URLs, %d key templates, S3's XML answers, and
 * (when a moto endpoint is given, by test_s3list.py) paginated listing,
 * and (by test_s3tail.py) an object's last bytes and size. */
#include <gst/gst.h>
#include <string.h>

#include "awserror.h"
#include "core.h"
#include "s3.h"

static void
test_uri_parse (void)
{
  struct
  {
    const gchar *uri, *bucket, *key;
  } ok[] = {
    {"s3://media/clip.mp4", "media", "clip.mp4"},
    {"s3://media/a dir/my clip.mp4", "media", "a dir/my clip.mp4"},
    {"s3://media/vidéo 東京+1.mp4", "media", "vidéo 東京+1.mp4"},
    {"s3://media/a%20b", "media", "a%20b"},
    {"S3://media/k", "media", "k"},
    {"s3://media//lead", "media", "/lead"},
  };
  const gchar *bad[] = { "http://media/k", "s3://", "s3:///k", "s3://media",
    "s3://media/", "media/k", NULL
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (ok); i++) {
    g_autofree gchar *bucket = NULL;
    g_autofree gchar *key = NULL;
    g_autoptr (GError) err = NULL;

    g_assert_true (mt_s3_uri_parse (ok[i].uri, FALSE, &bucket, &key, &err));
    g_assert_no_error (err);
    g_assert_cmpstr (bucket, ==, ok[i].bucket);
    g_assert_cmpstr (key, ==, ok[i].key);
  }
  for (i = 0; bad[i]; i++) {
    g_autoptr (GError) err = NULL;

    g_assert_false (mt_s3_uri_parse (bad[i], FALSE, NULL, NULL, &err));
    g_assert_error (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (err->message, "s3://bucket/key"));
  }
}

static void
test_uri_prefix (void)
{
  g_autofree gchar *bucket = NULL;
  g_autofree gchar *key = NULL;
  g_autofree gchar *built = NULL;

  g_assert_true (mt_s3_uri_parse ("s3://media", TRUE, &bucket, &key, NULL));
  g_assert_cmpstr (bucket, ==, "media");
  g_assert_cmpstr (key, ==, "");
  g_clear_pointer (&key, g_free);
  g_assert_true (mt_s3_uri_parse ("s3://media/in/", TRUE, NULL, &key, NULL));
  g_assert_cmpstr (key, ==, "in/");
  built = mt_s3_uri_build ("media", "a b+c");
  g_assert_cmpstr (built, ==, "s3://media/a b+c");
}

static void
test_build_url (void)
{
  struct
  {
    const gchar *endpoint, *bucket, *key, *query;
    gboolean path_style;
    const gchar *url;
  } cases[] = {
    {"https://s3.us-east-1.amazonaws.com", "media", "a b/c+d.mp4", NULL,
        FALSE, "https://media.s3.us-east-1.amazonaws.com/a%20b/c%2Bd.mp4"},
    {"https://s3.us-east-1.amazonaws.com", "media", "k", NULL, TRUE,
        "https://s3.us-east-1.amazonaws.com/media/k"},
    /* A dotted bucket does not match S3's wildcard certificate. */
    {"https://s3.eu-west-1.amazonaws.com", "my.media", "k", NULL, FALSE,
        "https://s3.eu-west-1.amazonaws.com/my.media/k"},
    {"http://127.0.0.1:5000", "media", "vidéo.mp4", "versionId=v1", TRUE,
        "http://127.0.0.1:5000/media/vid%C3%A9o.mp4?versionId=v1"},
    {"http://127.0.0.1:5000/", "media", NULL, "list-type=2", TRUE,
        "http://127.0.0.1:5000/media?list-type=2"},
    {"http://minio.local:9000/s3", "media", "k", NULL, TRUE,
        "http://minio.local:9000/s3/media/k"},
    {"https://s3.us-east-1.amazonaws.com", "Upper_Case", "k", NULL, FALSE,
        "https://s3.us-east-1.amazonaws.com/Upper_Case/k"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *url = mt_s3_build_url (cases[i].endpoint,
        cases[i].bucket, cases[i].key, cases[i].path_style, cases[i].query);

    g_assert_cmpstr (url, ==, cases[i].url);
  }
  g_assert_null (mt_s3_build_url ("not a url", "b", "k", TRUE, NULL));
}

static void
test_format_key (void)
{
  struct
  {
    const gchar *tpl;
    guint index;
    const gchar *key;
  } ok[] = {
    {"frames/%d.jpg", 7, "frames/7.jpg"},
    {"frames/%05d.jpg", 42, "frames/00042.jpg"},
    {"100%%/%d", 3, "100%/3"},
    {"a b+%d", 0, "a b+0"},
  };
  const gchar *bad[] = { "plain", "%d-%d", "%s", "%x", "50%", "%ld", NULL };

  for (guint i = 0; i < G_N_ELEMENTS (ok); i++) {
    g_autofree gchar *key = mt_s3_format_key (ok[i].tpl, ok[i].index);

    g_assert_true (mt_s3_key_is_template (ok[i].tpl));
    g_assert_cmpstr (key, ==, ok[i].key);
  }
  for (guint i = 0; bad[i]; i++) {
    g_assert_false (mt_s3_key_is_template (bad[i]));
    g_assert_null (mt_s3_format_key (bad[i], 1));
  }
}

static void
test_dns_compatible (void)
{
  g_assert_true (mt_s3_bucket_is_dns_compatible ("media-01", TRUE));
  g_assert_true (mt_s3_bucket_is_dns_compatible ("my.media", FALSE));
  g_assert_false (mt_s3_bucket_is_dns_compatible ("my.media", TRUE));
  g_assert_false (mt_s3_bucket_is_dns_compatible ("ab", TRUE));
  g_assert_false (mt_s3_bucket_is_dns_compatible ("-media", TRUE));
  g_assert_false (mt_s3_bucket_is_dns_compatible ("Media", TRUE));
}

static GBytes *
bytes (const gchar * s)
{
  return g_bytes_new (s, strlen (s));
}

static void
test_xml (void)
{
  g_autoptr (GBytes) init = bytes ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/"
      "2006-03-01/\"><Bucket>b</Bucket><Key>a &amp; b</Key>"
      "<UploadId>VXBsb2Fk&#x2B;SUQ</UploadId></InitiateMultipartUploadResult>");
  g_autoptr (GBytes) failed = bytes ("<?xml version=\"1.0\"?>\n<Error>"
      "<Code>InternalError</Code><Message>We encountered an internal error."
      "</Message><RequestId>R1</RequestId></Error>");
  g_autoptr (GBytes) broken = bytes ("<Error><Code>x</Cod");
  g_autofree gchar *id = mt_s3_xml_find (init, "UploadId");
  g_autofree gchar *key = mt_s3_xml_find (init, "Key");
  g_autoptr (GError) err = mt_s3_xml_error (failed);

  g_assert_cmpstr (id, ==, "VXBsb2Fk+SUQ");
  g_assert_cmpstr (key, ==, "a & b");
  g_assert_null (mt_s3_xml_find (init, "Nothing"));
  g_assert_null (mt_s3_xml_error (init));
  g_assert_error (err, MT_AWS_ERROR, MT_AWS_ERROR_SERVER);
  g_assert_nonnull (strstr (err->message, "InternalError"));
  g_assert_nonnull (strstr (err->message, "R1"));
  g_assert_null (mt_s3_xml_find (broken, "Code"));
  g_assert_null (mt_s3_xml_find (NULL, "Code"));
}

static void
test_error_describe (void)
{
  g_autoptr (GError) bad = g_error_new (G_IO_ERROR,
      G_IO_ERROR_INVALID_ARGUMENT, "'x' is not an S3 URI");
  g_autofree gchar *text = NULL;
  gint res = -1;

  text = mt_s3_error_describe (bad, "b", "k", &res);
  g_assert_cmpint (res, ==, GST_RESOURCE_ERROR_SETTINGS);
  g_assert_nonnull (strstr (text, "'x' is not an S3 URI"));
}

/* A client set up from the environment, as a user's would be. */
static MtS3Client *
env_client (void)
{
  g_autoptr (GError) err = NULL;
  MtAwsSettings settings;
  MtS3Client *client;

  mt_aws_settings_init (&settings);
  client = mt_s3_client_new (&settings, FALSE, FALSE, &err);
  mt_aws_settings_clear (&settings);
  g_assert_no_error (err);
  return client;
}

/* Listing against moto: test_s3list.py creates the keys and passes the
 * bucket here; credentials, region and endpoint come from the environment,
 * as a user's would. */
static void
test_list (void)
{
  const gchar *bucket = g_getenv ("MT_TEST_S3_BUCKET");
  const gchar *expect_all = g_getenv ("MT_TEST_S3_KEYS");
  g_autoptr (MtS3Client) client = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) some = NULL;
  g_autoptr (GPtrArray) none = NULL;
  g_autoptr (GError) err = NULL;
  g_auto (GStrv) expected = NULL;

  if (bucket == NULL) {
    g_test_skip ("needs moto: run through test_s3list.py");
    return;
  }
  client = env_client ();

  /* Seven keys a page forces many continuation tokens. */
  all = mt_s3_client_list_objects (client, bucket, NULL, 7, NULL, &err);
  g_assert_no_error (err);
  expected = g_strsplit (expect_all, "\n", -1);
  g_assert_cmpuint (all->len, ==, g_strv_length (expected));
  for (guint i = 0; i < all->len; i++) {
    MtS3Object *o = g_ptr_array_index (all, i);

    g_assert_cmpstr (o->key, ==, expected[i]);
    g_assert_cmpuint (o->size, ==, strlen (o->key));    /* each body is its key */
    g_assert_nonnull (o->etag);
    g_assert_nonnull (o->last_modified);
  }

  some = mt_s3_client_list_objects (client, bucket, "dir/", 0, NULL, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (some->len, ==, 3);
  for (guint i = 0; i < some->len; i++)
    g_assert_true (g_str_has_prefix (((MtS3Object *)
                g_ptr_array_index (some, i))->key, "dir/"));

  none = mt_s3_client_list_objects (client, bucket, "nothing-here/", 0, NULL,
      &err);
  g_assert_no_error (err);
  g_assert_cmpuint (none->len, ==, 0);
}

static void
test_list_no_bucket (void)
{
  const gchar *bucket = g_getenv ("MT_TEST_S3_BUCKET");
  g_autoptr (MtS3Client) client = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) err = NULL;

  if (bucket == NULL) {
    g_test_skip ("needs moto: run through test_s3list.py");
    return;
  }
  client = env_client ();
  list = mt_s3_client_list_objects (client, "no-such-bucket-here", NULL, 0,
      NULL, &err);
  g_assert_null (list);
  g_assert_error (err, MT_AWS_ERROR, MT_AWS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (err->message, "NoSuchBucket"));
  g_clear_error (&err);
  g_assert_false (mt_s3_client_locate_bucket (client, "no-such-bucket-here",
          NULL, &err));
  g_assert_nonnull (strstr (err->message, "NoSuchBucket"));
}

/* The last bytes and the size of objects test_s3tail.py made: "tail-<n>"
 * holds n bytes, byte i being i % 251, for each n of MT_TEST_S3_TAIL_SIZES
 * (against moto, or a server that ignores Range and sends all). */
static void
test_tail (void)
{
  const gchar *bucket = g_getenv ("MT_TEST_S3_BUCKET");
  const gchar *sizes = g_getenv ("MT_TEST_S3_TAIL_SIZES");
  g_autoptr (MtS3Client) client = NULL;
  g_autoptr (GError) err = NULL;
  g_auto (GStrv) each = NULL;

  if (bucket == NULL || sizes == NULL) {
    g_test_skip ("needs a server: run through test_s3tail.py");
    return;
  }
  client = env_client ();

  each = g_strsplit (sizes, ",", -1);
  for (guint n = 0; each[n]; n++) {
    guint64 want = g_ascii_strtoull (each[n], NULL, 10);
    g_autofree gchar *key = g_strdup_printf ("tail-%s", each[n]);
    guint64 size = G_MAXUINT64;
    g_autoptr (GBytes) tail = mt_s3_client_get_tail (client, bucket, key, 64,
        &size, NULL, &err);
    const guint8 *d;
    gsize len;

    g_assert_no_error (err);
    g_assert_cmpuint (size, ==, want);
    d = g_bytes_get_data (tail, &len);
    g_assert_cmpuint (len, ==, MIN (want, 64));
    for (gsize i = 0; i < len; i++)
      g_assert_cmpuint (d[i], ==, (want - len + i) % 251);
  }
}

static void
test_tail_no_key (void)
{
  const gchar *bucket = g_getenv ("MT_TEST_S3_BUCKET");
  g_autoptr (MtS3Client) client = NULL;
  g_autoptr (GBytes) tail = NULL;
  g_autoptr (GError) err = NULL;
  guint64 size = 7;

  if (bucket == NULL) {
    g_test_skip ("needs moto: run through test_s3tail.py");
    return;
  }
  client = env_client ();
  tail = mt_s3_client_get_tail (client, bucket, "no-such-key", 64, &size,
      NULL, &err);
  g_assert_null (tail);
  g_assert_cmpuint (size, ==, 7);
  g_assert_error (err, MT_AWS_ERROR, MT_AWS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (err->message, "NoSuchKey"));
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  mt_core_init ();

  g_test_add_func ("/s3/uri/parse", test_uri_parse);
  g_test_add_func ("/s3/uri/prefix", test_uri_prefix);
  g_test_add_func ("/s3/url", test_build_url);
  g_test_add_func ("/s3/format-key", test_format_key);
  g_test_add_func ("/s3/dns-compatible", test_dns_compatible);
  g_test_add_func ("/s3/xml", test_xml);
  g_test_add_func ("/s3/error-describe", test_error_describe);
  g_test_add_func ("/s3/list/pages", test_list);
  g_test_add_func ("/s3/list/no-bucket", test_list_no_bucket);
  g_test_add_func ("/s3/tail/sizes", test_tail);
  g_test_add_func ("/s3/tail/no-key", test_tail_no_key);
  return g_test_run ();
}
