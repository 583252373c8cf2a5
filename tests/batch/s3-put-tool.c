/* A small driver of the core S3 client's whole-object calls for the batch
 * tests (plugins/core/s3.h): each verb is one call, errors on stderr with
 * exit status 1.
 *
 *   s3-put-tool put-file s3://bucket/key PATH PART_SIZE
 *   s3-put-tool get s3://bucket/key MAX_SIZE      (the body on stdout)
 *
 * Credentials, region and endpoint come from the environment. */
#include <stdio.h>
#include <stdlib.h>
#include <gst/gst.h>
#include "s3.h"

static MtS3Client *
client_for (const gchar * uri, gchar ** bucket, gchar ** key, GError ** error)
{
  MtAwsSettings settings;
  MtS3Client *c;

  if (!mt_s3_uri_parse (uri, FALSE, bucket, key, error))
    return NULL;
  mt_aws_settings_init (&settings);
  c = mt_s3_client_new (&settings, FALSE, FALSE, error);
  mt_aws_settings_clear (&settings);
  return c;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MtS3Client) c = NULL;
  g_autofree gchar *bucket = NULL;
  g_autofree gchar *key = NULL;
  g_autoptr (GBytes) body = NULL;
  gboolean ok = FALSE;

  gst_init (NULL, NULL);
  if (argc < 4 || !(c = client_for (argv[2], &bucket, &key, &error))) {
    fprintf (stderr, "%s\n", error ? error->message : "usage: see the source");
    return 1;
  }
  if (!g_strcmp0 (argv[1], "put-file") && argc == 5)
    ok = mt_s3_client_put_file (c, bucket, key, argv[3], NULL,
        g_ascii_strtoull (argv[4], NULL, 10), NULL, &error);
  else if (!g_strcmp0 (argv[1], "get")
      && (body = mt_s3_client_get_object (c, bucket, key,
              g_ascii_strtoull (argv[3], NULL, 10), NULL, NULL, &error)))
    ok = fwrite (g_bytes_get_data (body, NULL), 1, g_bytes_get_size (body),
        stdout) == g_bytes_get_size (body);
  if (!ok)
    fprintf (stderr, "%s\n", error ? error->message : "bad arguments");
  return ok ? 0 : 1;
}
