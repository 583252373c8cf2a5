/* Rekognition Custom Labels model lifecycle. See models.h. */
#include "models.h"
#include "retry.h"

#include <glib/gstdio.h>
#include <string.h>
#include <utime.h>

#define POLL_FIRST_MS 1000
#define POLL_MAX_MS 30000

/* Statuses a model passes through on its way somewhere else. */
static const gchar *const transitional[] = {
  "TRAINING_IN_PROGRESS", "STARTING", "STOPPING", "COPYING_IN_PROGRESS",
  "DELETING", NULL
};

gboolean
mt_model_parse_arn (const gchar * arn, gchar ** project, gchar ** version,
    GError ** error)
{
  g_auto (GStrv) fields = NULL;
  g_auto (GStrv) parts = NULL;

  fields = arn ? g_strsplit (arn, ":", 6) : NULL;
  if (fields && g_strv_length (fields) == 6
      && !g_strcmp0 (fields[2], "rekognition"))
    parts = g_strsplit (fields[5], "/", -1);
  if (!parts || g_strv_length (parts) < 4 || g_strcmp0 (parts[0], "project")
      || g_strcmp0 (parts[2], "version") || !*parts[1] || !*parts[3]) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "\"%s\" is not a Custom Labels model ARN (arn:aws:rekognition:"
        "REGION:ACCOUNT:project/PROJECT/version/VERSION/TIMESTAMP)",
        arn ? arn : "");
    return FALSE;
  }
  *project = g_strdup (parts[1]);
  *version = g_strdup (parts[3]);
  return TRUE;
}

static JsonObject *
call (MtAwsClient * client, const gchar * op, JsonObject * req,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *target = g_strconcat ("RekognitionService.", op, NULL);

  return mt_aws_client_json_call (client, target, req, cancellable, error);
}

static JsonArray *
string_array (const gchar * s)
{
  JsonArray *a = json_array_new ();

  json_array_add_string_element (a, s);
  return a;
}

static JsonObject *
first_object (JsonObject * resp, const gchar * member)
{
  JsonArray *a = json_object_has_member (resp, member) ?
      json_object_get_array_member (resp, member) : NULL;

  if (!a || json_array_get_length (a) == 0)
    return NULL;
  return json_array_get_object_element (a, 0);
}

gchar *
mt_model_project_arn (MtAwsClient * client, const gchar * project,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (JsonObject) req = json_object_new ();
  g_autoptr (JsonObject) resp = NULL;
  JsonObject *desc;

  json_object_set_array_member (req, "ProjectNames", string_array (project));
  resp = call (client, "DescribeProjects", req, cancellable, error);
  if (!resp)
    return NULL;
  desc = first_object (resp, "ProjectDescriptions");
  if (!desc || !json_object_has_member (desc, "ProjectArn")) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "There is no Custom Labels project named \"%s\" in this region",
        project);
    return NULL;
  }
  return g_strdup (json_object_get_string_member (desc, "ProjectArn"));
}

JsonObject *
mt_model_describe (MtAwsClient * client, const gchar * arn,
    GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *project = NULL, *version = NULL, *project_arn = NULL;
  g_autoptr (JsonObject) req = json_object_new ();
  g_autoptr (JsonObject) resp = NULL;
  JsonObject *desc;

  if (!mt_model_parse_arn (arn, &project, &version, error))
    return NULL;
  /* The project ARN carries its own timestamp, not the version's: ask. */
  project_arn = mt_model_project_arn (client, project, cancellable, error);
  if (!project_arn)
    return NULL;
  json_object_set_string_member (req, "ProjectArn", project_arn);
  json_object_set_array_member (req, "VersionNames", string_array (version));
  resp = call (client, "DescribeProjectVersions", req, cancellable, error);
  if (!resp)
    return NULL;
  desc = first_object (resp, "ProjectVersionDescriptions");
  if (!desc) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "Project %s has no model version \"%s\"", project, version);
    return NULL;
  }
  return json_object_ref (desc);
}

gboolean
mt_model_start (MtAwsClient * client, const gchar * arn,
    guint min_inference_units, GCancellable * cancellable, GError ** error)
{
  g_autoptr (JsonObject) req = json_object_new ();
  g_autoptr (JsonObject) resp = NULL;

  json_object_set_string_member (req, "ProjectVersionArn", arn);
  json_object_set_int_member (req, "MinInferenceUnits",
      MAX (min_inference_units, 1));
  resp = call (client, "StartProjectVersion", req, cancellable, error);
  return resp != NULL;
}

gboolean
mt_model_stop (MtAwsClient * client, const gchar * arn,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (JsonObject) req = json_object_new ();
  g_autoptr (JsonObject) resp = NULL;

  json_object_set_string_member (req, "ProjectVersionArn", arn);
  resp = call (client, "StopProjectVersion", req, cancellable, error);
  return resp != NULL;
}

gboolean
mt_model_wait (MtAwsClient * client, const gchar * arn,
    const gchar * const *wanted, guint timeout_s, gchar ** status,
    GCancellable * cancellable, GError ** error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s *
      G_USEC_PER_SEC;
  guint poll_ms = POLL_FIRST_MS;

  for (;;) {
    g_autoptr (JsonObject) desc = mt_model_describe (client, arn,
        cancellable, error);
    const gchar *s;

    if (!desc)
      return FALSE;
    s = json_object_get_string_member_with_default (desc, "Status", "");
    if (status) {
      g_free (*status);
      *status = g_strdup (s);
    }
    if (g_strv_contains (wanted, s))
      return TRUE;
    if (!g_strv_contains (transitional, s)) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
          "Model %s is %s%s%s", arn, s,
          json_object_has_member (desc, "StatusMessage") ? ": " : "",
          json_object_get_string_member_with_default (desc, "StatusMessage",
              ""));
      return FALSE;
    }
    if (g_get_monotonic_time () >= deadline) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
          "Model %s is still %s after %u s", arn, s, timeout_s);
      return FALSE;
    }
    if (!mt_retry_wait (poll_ms, cancellable, error))
      return FALSE;
    poll_ms = MIN (poll_ms * 2, POLL_MAX_MS);
  }
}

static gchar *
usage_path (const gchar * arn)
{
  g_autofree gchar *name = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
      arn, -1);

  return g_build_filename (g_get_user_cache_dir (), "mediatag", "model-usage",
      name, NULL);
}

void
mt_model_touch (const gchar * arn)
{
  g_autofree gchar *path = usage_path (arn);
  g_autofree gchar *dir = g_path_get_dirname (path);

  /* Best effort: a missing marker only means an idle watcher may stop the
   * model a little early, never that analysis fails. */
  if (g_mkdir_with_parents (dir, 0700) != 0)
    return;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    g_file_set_contents (path, arn, -1, NULL);
  else
    g_utime (path, NULL);
}

gint64
mt_model_last_used (const gchar * arn)
{
  g_autofree gchar *path = usage_path (arn);
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return 0;
  return st.st_mtime;
}
