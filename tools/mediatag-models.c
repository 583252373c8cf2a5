/* mediatag models: the Rekognition Custom Labels model lifecycle from the
 * command line. Running models bill by the hour, so starting waits until
 * the model runs, and `--stop-after-idle` keeps a model running only while
 * analysis uses it (rekognitionsink marks each use, see models.h).
 *
 *   mediatag models list [--project NAME]
 *   mediatag models status ARN
 *   mediatag models start ARN [--min-inference-units N] [--stop-after-idle D]
 *   mediatag models stop ARN
 *   mediatag models train --project NAME --version NAME --manifest S3URI
 *                         --output S3URI [--test-manifest S3URI]
 */
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "awsclient.h"
#include "awsconfig.h"
#include "mediatag.h"
#include "models.h"
#include "s3.h"

#define TRAIN_TIMEOUT_S (48 * 3600)
#define START_TIMEOUT_S 3600

typedef struct
{
  gchar *region;
  gchar *endpoint;
  gchar *profile;
  gint min_inference_units;
  gchar *stop_after_idle;
  gchar *project;
  gchar *version;
  gchar *manifest;
  gchar *test_manifest;
  gchar *output;
  gboolean no_wait;
} ModelsOptions;

static void
options_clear (ModelsOptions * o)
{
  g_free (o->region);
  g_free (o->endpoint);
  g_free (o->profile);
  g_free (o->stop_after_idle);
  g_free (o->project);
  g_free (o->version);
  g_free (o->manifest);
  g_free (o->test_manifest);
  g_free (o->output);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ModelsOptions, options_clear);

static MtAwsClient *
make_client (const ModelsOptions * o, GError ** error)
{
  MtAwsSettings s;
  MtAwsClient *client;

  mt_aws_settings_init (&s);
  s.region = g_strdup (o->region);
  s.endpoint = g_strdup (o->endpoint);
  s.profile = g_strdup (o->profile);
  client = mt_aws_client_new (&s, &mt_aws_service_rekognition, FALSE, error);
  mt_aws_settings_clear (&s);
  return client;
}

/* A failed call says which API action failed ("DescribeProjects:
 * InternalError (HTTP 500)"): an endpoint without the API, or a role
 * without the permission, is then found at once. Returns 1. */
static int
named (GError ** error, const gchar * action)
{
  if (error && *error && !g_str_has_prefix ((*error)->message, action))
    g_prefix_error (error, "%s: ", action);
  return 1;
}

static JsonObject *
call (MtAwsClient * client, const gchar * target, JsonObject * req,
    GError ** error)
{
  JsonObject *resp = mt_aws_client_json_call (client, target, req, NULL,
      error);

  if (!resp)
    named (error, strchr (target, '.') + 1);
  return resp;
}

/* "90", "90s", "15m", "2h" -> seconds. */
static gboolean
parse_duration (const gchar * s, guint64 * seconds)
{
  gchar *end = NULL;
  guint64 v = g_ascii_strtoull (s, &end, 10);

  if (end == s)
    return FALSE;
  if (!*end || !strcmp (end, "s"))
    *seconds = v;
  else if (!strcmp (end, "m"))
    *seconds = v * 60;
  else if (!strcmp (end, "h"))
    *seconds = v * 3600;
  else
    return FALSE;
  return *seconds > 0;
}

static void
print_version (JsonObject * v)
{
  printf ("%s\t%s\t%" G_GINT64_FORMAT "\n",
      json_object_get_string_member_with_default (v, "ProjectVersionArn", ""),
      json_object_get_string_member_with_default (v, "Status", ""),
      json_object_get_int_member_with_default (v, "MinInferenceUnits", 0));
}

/* Calls a Describe* operation page by page, handing each page to `each`. */
static gboolean
describe_all (MtAwsClient * client, const gchar * target, JsonObject * req,
    gboolean (*each) (MtAwsClient *, JsonObject *, GError **),
    GError ** error)
{
  g_autofree gchar *token = NULL;

  do {
    g_autoptr (JsonObject) resp = NULL;

    if (token)
      json_object_set_string_member (req, "NextToken", token);
    resp = call (client, target, req, error);
    if (!resp || !each (client, resp, error))
      return FALSE;
    g_free (token);
    token = g_strdup (json_object_get_string_member_with_default (resp,
            "NextToken", NULL));
  } while (token && *token);
  return TRUE;
}

static gboolean
print_versions (MtAwsClient * client, JsonObject * resp, GError ** error)
{
  JsonArray *versions;
  guint i;

  versions = json_object_has_member (resp, "ProjectVersionDescriptions") ?
      json_object_get_array_member (resp, "ProjectVersionDescriptions") : NULL;
  for (i = 0; versions && i < json_array_get_length (versions); i++)
    print_version (json_array_get_object_element (versions, i));
  return TRUE;
}

static gboolean
list_projects (MtAwsClient * client, JsonObject * resp, GError ** error)
{
  JsonArray *projects;
  guint i;

  projects = json_object_has_member (resp, "ProjectDescriptions") ?
      json_object_get_array_member (resp, "ProjectDescriptions") : NULL;
  for (i = 0; projects && i < json_array_get_length (projects); i++) {
    JsonObject *p = json_array_get_object_element (projects, i);
    g_autoptr (JsonObject) req = json_object_new ();

    json_object_set_string_member (req, "ProjectArn",
        json_object_get_string_member (p, "ProjectArn"));
    if (!describe_all (client, "RekognitionService.DescribeProjectVersions",
            req, print_versions, error))
      return FALSE;
  }
  return TRUE;
}

static int
cmd_list (MtAwsClient * client, const ModelsOptions * o, GError ** error)
{
  g_autoptr (JsonObject) req = json_object_new ();

  if (o->project) {
    JsonArray *names = json_array_new ();

    json_array_add_string_element (names, o->project);
    json_object_set_array_member (req, "ProjectNames", names);
  }
  return describe_all (client, "RekognitionService.DescribeProjects", req,
      list_projects, error) ? 0 : 1;
}

static int
cmd_status (MtAwsClient * client, const gchar * arn, GError ** error)
{
  g_autoptr (JsonObject) desc = mt_model_describe (client, arn, NULL, error);
  gint64 used;

  if (!desc)
    return named (error, "DescribeProjectVersions");
  print_version (desc);
  if (json_object_has_member (desc, "StatusMessage"))
    printf ("  %s\n", json_object_get_string_member (desc, "StatusMessage"));
  used = mt_model_last_used (arn);
  if (used > 0) {
    g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (used);
    g_autofree gchar *s = g_date_time_format_iso8601 (t);

    printf ("  last used by analysis on this machine: %s\n", s);
  }
  return 0;
}

typedef struct
{
  MtAwsClient *client;
  const gchar *arn;
  guint64 idle_s;
  gint64 since;                 /* unix seconds: when the model started */
  GMainLoop *loop;
  int status;
} IdleWatch;

static gboolean
stop_now (IdleWatch * w, const gchar * why)
{
  static const gchar *const stopped[] = { "STOPPED", NULL };
  g_autoptr (GError) error = NULL;

  printf ("%s: stopping %s\n", why, w->arn);
  fflush (stdout);
  if (!mt_model_stop (w->client, w->arn, NULL, &error)
      || !mt_model_wait (w->client, w->arn, stopped, START_TIMEOUT_S, NULL,
          NULL, &error)) {
    fprintf (stderr, "mediatag models: %s\n", error->message);
    w->status = 1;
  } else {
    printf ("stopped %s\n", w->arn);
  }
  g_main_loop_quit (w->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer data)
{
  return stop_now (data, "interrupted");
}

static gboolean
check_idle (gpointer data)
{
  IdleWatch *w = data;
  gint64 last = MAX (mt_model_last_used (w->arn), w->since);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if ((guint64) (now - last) < w->idle_s)
    return G_SOURCE_CONTINUE;
  stop_now (w, "idle");
  return G_SOURCE_REMOVE;
}

static int
watch_idle (MtAwsClient * client, const gchar * arn, guint64 idle_s)
{
  IdleWatch w = { client, arn, idle_s, g_get_real_time () / G_USEC_PER_SEC,
    g_main_loop_new (NULL, FALSE), 0
  };
  /* Check a few times per idle period, at most every 30 s. */
  guint period_ms = (guint) CLAMP (idle_s * 1000 / 4, 200, 30000);
  guint sigint = g_unix_signal_add (SIGINT, on_signal, &w);
  guint sigterm = g_unix_signal_add (SIGTERM, on_signal, &w);
  guint timer = g_timeout_add (period_ms, check_idle, &w);

  printf ("running; will stop after %" G_GUINT64_FORMAT " s without "
      "analysis (Ctrl-C stops it now)\n", idle_s);
  fflush (stdout);
  g_main_loop_run (w.loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  if (g_main_context_find_source_by_id (NULL, timer))
    g_source_remove (timer);
  g_main_loop_unref (w.loop);
  return w.status;
}

static int
cmd_start (MtAwsClient * client, const gchar * arn, const ModelsOptions * o,
    GError ** error)
{
  static const gchar *const running[] = { "RUNNING", NULL };
  g_autofree gchar *status = NULL;
  guint64 idle_s = 0;

  if (o->stop_after_idle && !parse_duration (o->stop_after_idle, &idle_s)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "--stop-after-idle takes a duration such as 300, 90s, 15m or 2h, "
        "not \"%s\"", o->stop_after_idle);
    return 2;
  }
  if (!mt_model_start (client, arn, MAX (o->min_inference_units, 1), NULL,
          error))
    return named (error, "StartProjectVersion");
  if (o->no_wait && !idle_s)
    return 0;
  if (!mt_model_wait (client, arn, running, START_TIMEOUT_S, &status, NULL,
          error))
    return 1;
  printf ("%s\t%s\n", arn, status);
  fflush (stdout);
  return idle_s ? watch_idle (client, arn, idle_s) : 0;
}

static int
cmd_stop (MtAwsClient * client, const gchar * arn, const ModelsOptions * o,
    GError ** error)
{
  static const gchar *const stopped[] = { "STOPPED", NULL };
  g_autofree gchar *status = NULL;

  if (!mt_model_stop (client, arn, NULL, error))
    return named (error, "StopProjectVersion");
  if (o->no_wait)
    return 0;
  if (!mt_model_wait (client, arn, stopped, START_TIMEOUT_S, &status, NULL,
          error))
    return 1;
  printf ("%s\t%s\n", arn, status);
  return 0;
}

static JsonObject *
manifest_asset (const gchar * uri, GError ** error)
{
  g_autofree gchar *bucket = NULL, *key = NULL;
  JsonObject *asset, *gt, *obj;

  if (!mt_s3_uri_parse (uri, FALSE, &bucket, &key, error))
    return NULL;
  obj = json_object_new ();
  json_object_set_string_member (obj, "Bucket", bucket);
  json_object_set_string_member (obj, "Name", key);
  gt = json_object_new ();
  json_object_set_object_member (gt, "S3Object", obj);
  asset = json_object_new ();
  json_object_set_object_member (asset, "GroundTruthManifest", gt);
  return asset;
}

static JsonObject *
data_member (const gchar * manifest, GError ** error)
{
  JsonObject *data = json_object_new ();
  JsonArray *assets = json_array_new ();
  JsonObject *asset;

  json_object_set_array_member (data, "Assets", assets);
  if (!manifest) {
    /* No test set: Rekognition splits one off the training set. */
    json_object_set_boolean_member (data, "AutoCreate", TRUE);
    return data;
  }
  if (!(asset = manifest_asset (manifest, error))) {
    json_object_unref (data);
    return NULL;
  }
  json_array_add_object_element (assets, asset);
  return data;
}

static gchar *
ensure_project (MtAwsClient * client, const gchar * name, GError ** error)
{
  g_autoptr (JsonObject) req = json_object_new ();
  g_autoptr (JsonObject) resp = NULL;
  g_autoptr (GError) err = NULL;
  gchar *arn;

  if ((arn = mt_model_project_arn (client, name, NULL, &err)))
    return arn;
  if (!g_error_matches (err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
    g_propagate_error (error, g_steal_pointer (&err));
    named (error, "DescribeProjects");
    return NULL;
  }
  json_object_set_string_member (req, "ProjectName", name);
  resp = call (client, "RekognitionService.CreateProject", req, error);
  if (!resp)
    return NULL;
  return g_strdup (json_object_get_string_member (resp, "ProjectArn"));
}

static JsonObject *
train_request (const ModelsOptions * o, const gchar * project_arn,
    GError ** error)
{
  g_autoptr (JsonObject) req = json_object_new ();
  g_autofree gchar *bucket = NULL, *prefix = NULL;
  JsonObject *out, *training, *testing;

  if (!mt_s3_uri_parse (o->output, TRUE, &bucket, &prefix, error)
      || !(training = data_member (o->manifest, error)))
    return NULL;
  json_object_set_object_member (req, "TrainingData", training);
  if (!(testing = data_member (o->test_manifest, error)))
    return NULL;
  json_object_set_object_member (req, "TestingData", testing);
  json_object_set_string_member (req, "ProjectArn", project_arn);
  json_object_set_string_member (req, "VersionName", o->version);
  out = json_object_new ();
  json_object_set_string_member (out, "S3Bucket", bucket);
  if (prefix && *prefix)
    json_object_set_string_member (out, "S3KeyPrefix", prefix);
  json_object_set_object_member (req, "OutputConfig", out);
  return g_steal_pointer (&req);
}

static int
cmd_train (MtAwsClient * client, const ModelsOptions * o, GError ** error)
{
  static const gchar *const trained[] = { "TRAINING_COMPLETED", NULL };
  g_autofree gchar *project_arn = NULL, *status = NULL;
  g_autoptr (JsonObject) req = NULL;
  g_autoptr (JsonObject) resp = NULL;
  const gchar *arn;

  if (!o->project || !o->version || !o->manifest || !o->output) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "train needs --project, --version, --manifest s3://bucket/"
        "output.manifest and --output s3://bucket/prefix/");
    return 2;
  }
  if (!(project_arn = ensure_project (client, o->project, error))
      || !(req = train_request (o, project_arn, error)))
    return 1;
  resp = call (client, "RekognitionService.CreateProjectVersion", req,
      error);
  if (!resp)
    return 1;
  arn = json_object_get_string_member (resp, "ProjectVersionArn");
  printf ("training %s\n", arn);
  fflush (stdout);
  if (o->no_wait)
    return 0;
  if (!mt_model_wait (client, arn, trained, TRAIN_TIMEOUT_S, &status, NULL,
          error))
    return 1;
  printf ("%s\t%s\n", arn, status);
  return 0;
}

static int
dispatch (const gchar * cmd, int argc, char **argv, const ModelsOptions * o,
    GError ** error)
{
  g_autoptr (MtAwsClient) client = NULL;
  gboolean needs_arn = !strcmp (cmd, "status") || !strcmp (cmd, "start")
      || !strcmp (cmd, "stop");

  if (needs_arn && argc < 3) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "%s needs a model's project version ARN", cmd);
    return 2;
  }
  if (!needs_arn && strcmp (cmd, "list") && strcmp (cmd, "train")) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "unknown command \"%s\": use list, status, start, stop or train", cmd);
    return 2;
  }
  if (!(client = make_client (o, error)))
    return 1;
  if (!strcmp (cmd, "list"))
    return cmd_list (client, o, error);
  if (!strcmp (cmd, "train"))
    return cmd_train (client, o, error);
  if (!strcmp (cmd, "status"))
    return cmd_status (client, argv[2], error);
  if (!strcmp (cmd, "start"))
    return cmd_start (client, argv[2], o, error);
  return cmd_stop (client, argv[2], o, error);
}

static int
models_run (int argc, char **argv)
{
  g_auto (ModelsOptions) o = { 0, };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  int status;
  GOptionEntry entries[] = {
    {"region", 0, 0, G_OPTION_ARG_STRING, &o.region,
        "AWS region (default: AWS_REGION, the profile)", "R"},
    {"endpoint", 0, 0, G_OPTION_ARG_STRING, &o.endpoint,
        "Rekognition endpoint URL (default: the region's)", "URL"},
    {"profile", 0, 0, G_OPTION_ARG_STRING, &o.profile,
        "AWS profile (default: AWS_PROFILE or default)", "P"},
    {"project", 0, 0, G_OPTION_ARG_STRING, &o.project,
          "list: only this project; train: the project (created if needed)",
        "NAME"},
    {"min-inference-units", 0, 0, G_OPTION_ARG_INT, &o.min_inference_units,
        "start: inference units (default 1)", "N"},
    {"stop-after-idle", 0, 0, G_OPTION_ARG_STRING, &o.stop_after_idle,
        "start: stay in the foreground and stop the model once analysis "
          "has not used it for this long (300, 90s, 15m, 2h)", "D"},
    {"no-wait", 0, 0, G_OPTION_ARG_NONE, &o.no_wait,
        "start, stop, train: return without waiting for the status", NULL},
    {"version", 0, 0, G_OPTION_ARG_STRING, &o.version,
        "train: the new version's name", "NAME"},
    {"manifest", 0, 0, G_OPTION_ARG_STRING, &o.manifest,
        "train: the SageMaker Ground Truth manifest (s3://bucket/key)", "URI"},
    {"test-manifest", 0, 0, G_OPTION_ARG_STRING, &o.test_manifest,
          "train: a test manifest (default: split from the training set)",
        "URI"},
    {"output", 0, 0, G_OPTION_ARG_STRING, &o.output,
          "train: where training writes its results (s3://bucket/prefix/)",
        "URI"},
    {NULL}
  };

  ctx = g_option_context_new ("list|status|start|stop|train [ARN] - "
      "manage Rekognition Custom Labels models");
  g_option_context_set_summary (ctx,
      "Running models bill by the hour. `start` waits until the model "
      "runs; with\n--stop-after-idle it stays to stop the model once "
      "analysis stops using it.\n`train` creates a model version from a "
      "SageMaker Ground Truth manifest and\nwaits for the training.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    fprintf (stderr, "mediatag models: %s\n", error->message);
    return 2;
  }
  if (argc < 2) {
    fprintf (stderr, "mediatag models: say list, status, start, stop or "
        "train; see `mediatag models --help`\n");
    return 2;
  }
  status = dispatch (argv[1], argc, argv, &o, &error);
  if (error)
    fprintf (stderr, "mediatag models: %s\n", error->message);
  return status;
}

const MtVerb mt_verb_models = {
  "models",
  "Custom Labels models: list, status, start, stop, train",
  models_run,
};
