/* mediatag aws: shows what the AWS elements would use here, before a
 * pipeline runs: the profile, the region, each service's endpoint and the
 * source of the credentials (the access key id's last four characters at
 * most: never a secret). The peer is `aws configure list`.
 *
 *   mediatag aws [--profile NAME] [--region NAME] [--json]
 *
 * Exits 0 when credentials were found, 1 when not (with the reason). */
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "mediatag.h"
#include "awsclient.h"
#include "awsconfig.h"
#include "credentials.h"

static const MtAwsService *const services[] = {
  &mt_aws_service_s3, &mt_aws_service_rekognition,
  &mt_aws_service_textract, &mt_aws_service_transcribe,
  &mt_aws_service_comprehend, &mt_aws_service_sts, NULL
};

typedef struct
{
  gchar *profile;
  gchar *region;
  GError *region_error;
  MtCredentials *creds;
  GError *creds_error;
  GPtrArray *endpoints;         /* one per services[], NULL-terminated */
} MtAwsReport;

static void
report_clear (MtAwsReport * r)
{
  g_free (r->profile);
  g_free (r->region);
  g_clear_error (&r->region_error);
  g_clear_pointer (&r->creds, mt_credentials_unref);
  g_clear_error (&r->creds_error);
  g_clear_pointer (&r->endpoints, g_ptr_array_unref);
}

/* NULL when only a region would tell: without one, the resolver falls
 * back to the global host, which only STS (and S3) really have. */
static gchar *
service_endpoint (const MtAwsSettings * s, const MtAwsService * service,
    const gchar * region)
{
  g_autofree gchar *global = NULL;
  gchar *url = mt_aws_resolve_endpoint (s, service->service_id,
      service->endpoint_prefix, region);

  if (region != NULL || service == &mt_aws_service_sts)
    return url;
  global = g_strdup_printf ("https://%s.amazonaws.com",
      service->endpoint_prefix);
  if (!g_str_equal (url, global))
    return url;
  g_free (url);
  return NULL;
}

static void
report_fill (MtAwsReport * r, const MtAwsSettings * s)
{
  g_autoptr (MtCredentialsProvider) p = mt_credentials_provider_new (s);
  guint i;

  r->profile = mt_aws_profile_name (s);
  r->region = mt_aws_resolve_region (s, &r->region_error);
  r->creds = mt_credentials_provider_get (p, NULL, &r->creds_error);
  r->endpoints = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; services[i] != NULL; i++)
    g_ptr_array_add (r->endpoints, service_endpoint (s, services[i],
            r->region));
}

static gchar *
expiration_text (const MtCredentials * c)
{
  g_autoptr (GDateTime) dt = NULL;

  if (c->expiration == 0)
    return NULL;
  dt = g_date_time_new_from_unix_utc (c->expiration);
  return g_date_time_format_iso8601 (dt);
}

static void
print_text (const MtAwsReport * r)
{
  guint i;

  printf ("profile      %s\n", r->profile);
  printf ("region       %s\n",
      r->region ? r->region : r->region_error->message);
  if (r->creds != NULL) {
    g_autofree gchar *key = mt_credentials_key_id_hint (r->creds);
    g_autofree gchar *expires = expiration_text (r->creds);

    /* A session token makes them temporary, even when nothing says when
     * they expire (AWS_SESSION_TOKEN in the environment). */
    printf ("credentials  %s, access key id %s, %s%s\n", r->creds->source, key,
        expires ? "expiring " : r->creds->session_token ?
        "temporary (session token)" : "long-term", expires ? expires : "");
  } else {
    printf ("credentials  none: %s\n", r->creds_error->message);
  }
  printf ("endpoints\n");
  for (i = 0; services[i] != NULL; i++) {
    const gchar *url = g_ptr_array_index (r->endpoints, i);

    printf ("  %-12s %s\n", services[i]->service_id,
        url ? url : "(needs a region)");
  }
}

static void
add_credentials_json (JsonBuilder * b, const MtAwsReport * r)
{
  g_autofree gchar *key = NULL;
  g_autofree gchar *expires = NULL;

  json_builder_set_member_name (b, "credentials");
  if (r->creds == NULL) {
    json_builder_add_null_value (b);
    json_builder_set_member_name (b, "credentials_error");
    json_builder_add_string_value (b, r->creds_error->message);
    return;
  }
  key = mt_credentials_key_id_hint (r->creds);
  expires = expiration_text (r->creds);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, r->creds->source);
  json_builder_set_member_name (b, "access_key_id");
  json_builder_add_string_value (b, key);
  json_builder_set_member_name (b, "temporary");
  json_builder_add_boolean_value (b, r->creds->session_token != NULL);
  json_builder_set_member_name (b, "expiration");
  if (expires != NULL)
    json_builder_add_string_value (b, expires);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
}

static void
print_json (const MtAwsReport * r)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *text = NULL;
  guint i;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "profile");
  json_builder_add_string_value (b, r->profile);
  json_builder_set_member_name (b, "region");
  if (r->region != NULL)
    json_builder_add_string_value (b, r->region);
  else
    json_builder_add_null_value (b);
  add_credentials_json (b, r);
  json_builder_set_member_name (b, "endpoints");
  json_builder_begin_object (b);
  for (i = 0; services[i] != NULL; i++) {
    const gchar *url = g_ptr_array_index (r->endpoints, i);

    json_builder_set_member_name (b, services[i]->service_id);
    if (url != NULL)
      json_builder_add_string_value (b, url);
    else
      json_builder_add_null_value (b);
  }
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

static int
run_aws (int argc, char **argv)
{
  g_autofree gchar *profile = NULL;
  g_autofree gchar *region = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    {"profile", 0, 0, G_OPTION_ARG_STRING, &profile,
          "Profile of the shared AWS files (as the elements' profile property)",
        "NAME"},
    {"region", 0, 0, G_OPTION_ARG_STRING, &region,
        "Region (as the elements' region property)", "NAME"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx =
      g_option_context_new ("- show the AWS profile, region, endpoints and "
      "credential source mediatag would use");
  g_autoptr (GError) error = NULL;
  MtAwsSettings s;
  MtAwsReport r = { 0, };
  int status;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    fprintf (stderr, "mediatag aws: %s\n", error->message);
    return 2;
  }
  mt_aws_settings_init (&s);
  s.profile = g_steal_pointer (&profile);
  s.region = g_steal_pointer (&region);
  report_fill (&r, &s);
  if (json)
    print_json (&r);
  else
    print_text (&r);
  status = r.creds != NULL ? 0 : 1;
  report_clear (&r);
  mt_aws_settings_clear (&s);
  return status;
}

const MtVerb mt_verb_aws = {
  "aws",
  "show the AWS profile, region, endpoints and credential source in use",
  run_aws,
};
