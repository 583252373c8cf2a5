/* The AWS properties shared by every AWS-speaking element: their GParamSpecs
 * (with the blurbs gst-inspect-1.0 shows), their storage in MtAwsSettings,
 * and the care the three secrets need: write-only, wiped from memory when
 * replaced or freed. */
#include "awssettings.h"

#include <string.h>
#include <gst/gst.h>

/* Offsets from the element's first_prop_id, in installation order. */
enum
{
  SETTING_REGION,
  SETTING_ENDPOINT,
  SETTING_PROFILE,
  SETTING_ACCESS_KEY,
  SETTING_SECRET_KEY,
  SETTING_SESSION_TOKEN,
  SETTING_RETRIES,
  SETTING_REQUEST_TIMEOUT,
  SETTING_TLS_VERIFY,
  SETTING_CA_FILE,
  N_SETTINGS
};

G_STATIC_ASSERT (N_SETTINGS == MT_AWS_SETTINGS_N_PROPS);

#define MT_AWS_MAX_RETRIES 20

/* Overwrites a secret before its memory goes back to the allocator, so a
 * later heap dump or reuse does not reveal it. */
static void
secret_free (gchar * secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

/* Empty strings count as unset, as they do in the environment: a launch
 * line "region=" means "resolve it", not "the region named ''". */
static gchar *
dup_nonempty (const gchar * s)
{
  return (s != NULL && *s != '\0') ? g_strdup (s) : NULL;
}

static void
replace_string (gchar ** field, const gchar * value)
{
  g_free (*field);
  *field = dup_nonempty (value);
}

static void
replace_secret (gchar ** field, const gchar * value)
{
  secret_free (*field);
  *field = dup_nonempty (value);
}

static void
set_defaults (MtAwsSettings * s)
{
  memset (s, 0, sizeof (*s));
  s->retries = MT_AWS_DEFAULT_RETRIES;
  s->request_timeout_ms = MT_AWS_DEFAULT_REQUEST_TIMEOUT_MS;
  s->tls_verify = TRUE;
}

void
mt_aws_settings_init (MtAwsSettings * s)
{
  set_defaults (s);
  s->limiter = mt_rate_limiter_new ();
}

void
mt_aws_settings_clear (MtAwsSettings * s)
{
  g_clear_pointer (&s->region, g_free);
  g_clear_pointer (&s->endpoint, g_free);
  g_clear_pointer (&s->profile, g_free);
  g_clear_pointer (&s->ca_file, g_free);
  g_clear_pointer (&s->access_key, secret_free);
  g_clear_pointer (&s->secret_key, secret_free);
  g_clear_pointer (&s->session_token, secret_free);
  g_clear_pointer (&s->limiter, mt_rate_limiter_unref);
  set_defaults (s);
}

/* dest may hold values already (an element copying its settings again at
 * each start): they are released first. */
void
mt_aws_settings_copy (MtAwsSettings * dest, const MtAwsSettings * src)
{
  if (dest == src)
    return;
  replace_string (&dest->region, src->region);
  replace_string (&dest->endpoint, src->endpoint);
  replace_string (&dest->profile, src->profile);
  replace_string (&dest->ca_file, src->ca_file);
  replace_secret (&dest->access_key, src->access_key);
  replace_secret (&dest->secret_key, src->secret_key);
  replace_secret (&dest->session_token, src->session_token);
  dest->retries = src->retries;
  dest->request_timeout_ms = src->request_timeout_ms;
  dest->tls_verify = src->tls_verify;
  if (src->limiter && dest->limiter != src->limiter) {
    g_clear_pointer (&dest->limiter, mt_rate_limiter_unref);
    dest->limiter = mt_rate_limiter_ref (src->limiter);
  }
}

#define READWRITE_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | \
    GST_PARAM_MUTABLE_READY)
/* Secrets: no G_PARAM_READABLE, so g_object_get() and gst-inspect-1.0 can
 * never show them. */
#define SECRET_FLAGS (G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | \
    GST_PARAM_MUTABLE_READY)

static GParamSpec *
make_pspec (guint setting)
{
  switch (setting) {
    case SETTING_REGION:
      return g_param_spec_string ("region", "Region",
          "AWS region, e.g. eu-west-1 (unset: AWS_REGION, AWS_DEFAULT_REGION, "
          "then the profile's region in the AWS config file)", NULL,
          READWRITE_FLAGS);
    case SETTING_ENDPOINT:
      return g_param_spec_string ("endpoint", "Endpoint",
          "Service endpoint URL for S3-compatible stores and local emulators, "
          "e.g. http://127.0.0.1:9000 (unset: AWS_ENDPOINT_URL_<SERVICE>, "
          "AWS_ENDPOINT_URL, the profile's endpoint_url, then the public "
          "AWS endpoint of the region)", NULL, READWRITE_FLAGS);
    case SETTING_PROFILE:
      return g_param_spec_string ("profile", "Profile",
          "Profile of the shared AWS config and credentials files "
          "(unset: AWS_PROFILE, then \"default\")", NULL, READWRITE_FLAGS);
    case SETTING_ACCESS_KEY:
      return g_param_spec_string ("access-key", "Access key ID",
          "AWS access key ID; with secret-key, overrides every other source "
          "of credentials (write-only)", NULL, SECRET_FLAGS);
    case SETTING_SECRET_KEY:
      return g_param_spec_string ("secret-key", "Secret access key",
          "AWS secret access key that goes with access-key (write-only: "
          "never readable, never logged)", NULL, SECRET_FLAGS);
    case SETTING_SESSION_TOKEN:
      return g_param_spec_string ("session-token", "Session token",
          "Session token of temporary credentials given by access-key and "
          "secret-key (write-only: never readable, never logged)", NULL,
          SECRET_FLAGS);
    case SETTING_RETRIES:
      return g_param_spec_uint ("retries", "Retries",
          "Number of attempts after the first for throttled, 5xx and "
          "network-failed requests (exponential backoff with jitter)", 0,
          MT_AWS_MAX_RETRIES, MT_AWS_DEFAULT_RETRIES, READWRITE_FLAGS);
    case SETTING_REQUEST_TIMEOUT:
      return g_param_spec_uint ("request-timeout", "Request timeout",
          "Time limit of one HTTP request in milliseconds (0: no limit)", 0,
          G_MAXUINT, MT_AWS_DEFAULT_REQUEST_TIMEOUT_MS, READWRITE_FLAGS);
    case SETTING_TLS_VERIFY:
      return g_param_spec_boolean ("tls-verify", "TLS verify",
          "Verify the server's TLS certificate and host name; turn off only "
          "for a test endpoint with a self-signed certificate", TRUE,
          READWRITE_FLAGS);
    case SETTING_CA_FILE:
      return g_param_spec_string ("ca-file", "CA file",
          "PEM file of certificate authorities to trust instead of the "
          "system store (for a private endpoint)", NULL, READWRITE_FLAGS);
    default:
      g_assert_not_reached ();
  }
  return NULL;
}

void
mt_aws_settings_install (GObjectClass * klass, guint first_prop_id)
{
  guint i;

  for (i = 0; i < N_SETTINGS; i++)
    g_object_class_install_property (klass, first_prop_id + i, make_pspec (i));
}

gboolean
mt_aws_settings_set_property (MtAwsSettings * s, guint first_prop_id,
    guint prop_id, const GValue * value)
{
  if (prop_id < first_prop_id || prop_id - first_prop_id >= N_SETTINGS)
    return FALSE;

  switch (prop_id - first_prop_id) {
    case SETTING_REGION:
      replace_string (&s->region, g_value_get_string (value));
      break;
    case SETTING_ENDPOINT:
      replace_string (&s->endpoint, g_value_get_string (value));
      break;
    case SETTING_PROFILE:
      replace_string (&s->profile, g_value_get_string (value));
      break;
    case SETTING_ACCESS_KEY:
      replace_secret (&s->access_key, g_value_get_string (value));
      break;
    case SETTING_SECRET_KEY:
      replace_secret (&s->secret_key, g_value_get_string (value));
      break;
    case SETTING_SESSION_TOKEN:
      replace_secret (&s->session_token, g_value_get_string (value));
      break;
    case SETTING_RETRIES:
      s->retries = g_value_get_uint (value);
      break;
    case SETTING_REQUEST_TIMEOUT:
      s->request_timeout_ms = g_value_get_uint (value);
      break;
    case SETTING_TLS_VERIFY:
      s->tls_verify = g_value_get_boolean (value);
      break;
    case SETTING_CA_FILE:
      replace_string (&s->ca_file, g_value_get_string (value));
      break;
  }
  return TRUE;
}

/* GObject never asks for a property without G_PARAM_READABLE, so the
 * secrets have no case here: the id is still claimed, nothing is copied. */
gboolean
mt_aws_settings_get_property (const MtAwsSettings * s, guint first_prop_id,
    guint prop_id, GValue * value)
{
  if (prop_id < first_prop_id || prop_id - first_prop_id >= N_SETTINGS)
    return FALSE;

  switch (prop_id - first_prop_id) {
    case SETTING_REGION:
      g_value_set_string (value, s->region);
      break;
    case SETTING_ENDPOINT:
      g_value_set_string (value, s->endpoint);
      break;
    case SETTING_PROFILE:
      g_value_set_string (value, s->profile);
      break;
    case SETTING_RETRIES:
      g_value_set_uint (value, s->retries);
      break;
    case SETTING_REQUEST_TIMEOUT:
      g_value_set_uint (value, s->request_timeout_ms);
      break;
    case SETTING_TLS_VERIFY:
      g_value_set_boolean (value, s->tls_verify);
      break;
    case SETTING_CA_FILE:
      g_value_set_string (value, s->ca_file);
      break;
    default:
      break;
  }
  return TRUE;
}
