/* Tests of the AWS properties (awssettings.c) and of region, endpoint and
 * shared-file resolution (awsconfig.c): what a user sets in a property,
 * the environment or ~/.aws/config, and what the elements then use. */
#include <gst/gst.h>
#include <string.h>

#include "awsconfig.h"
#include "awserror.h"
#include "awssettings.h"
#include "core.h"
#include "aws-test-env.h"

/* --- a tiny element-like object that installs the AWS properties --- */

#define MT_TYPE_TEST_AWS (mt_test_aws_get_type ())
G_DECLARE_FINAL_TYPE (MtTestAws, mt_test_aws, MT, TEST_AWS, GObject);

struct _MtTestAws
{
  GObject parent;
  MtAwsSettings settings;
};

enum
{
  PROP_0,
  PROP_OWN,                     /* an element property before the AWS ones */
  PROP_AWS_FIRST,
};

G_DEFINE_TYPE (MtTestAws, mt_test_aws, G_TYPE_OBJECT);

static void
mt_test_aws_set_property (GObject * object, guint id, const GValue * value,
    GParamSpec * pspec)
{
  MtTestAws *self = MT_TEST_AWS (object);

  if (id == PROP_OWN)
    return;
  if (!mt_aws_settings_set_property (&self->settings, PROP_AWS_FIRST, id,
          value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
mt_test_aws_get_property (GObject * object, guint id, GValue * value,
    GParamSpec * pspec)
{
  MtTestAws *self = MT_TEST_AWS (object);

  if (id == PROP_OWN) {
    g_value_set_int (value, 7);
    return;
  }
  if (!mt_aws_settings_get_property (&self->settings, PROP_AWS_FIRST, id,
          value))
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
mt_test_aws_finalize (GObject * object)
{
  mt_aws_settings_clear (&MT_TEST_AWS (object)->settings);
  G_OBJECT_CLASS (mt_test_aws_parent_class)->finalize (object);
}

static void
mt_test_aws_class_init (MtTestAwsClass * klass)
{
  GObjectClass *oc = G_OBJECT_CLASS (klass);

  oc->set_property = mt_test_aws_set_property;
  oc->get_property = mt_test_aws_get_property;
  oc->finalize = mt_test_aws_finalize;
  g_object_class_install_property (oc, PROP_OWN,
      g_param_spec_int ("own", "Own", "Not an AWS property", 0, 10, 7,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  mt_aws_settings_install (oc, PROP_AWS_FIRST);
}

static void
mt_test_aws_init (MtTestAws * self)
{
  mt_aws_settings_init (&self->settings);
}

/* --- settings --- */

static void
test_settings_defaults (void)
{
  g_autoptr (MtTestAws) obj = g_object_new (MT_TYPE_TEST_AWS, NULL);
  g_autofree gchar *region = NULL;
  guint retries, timeout;
  gboolean verify;

  g_object_get (obj, "region", &region, "retries", &retries,
      "request-timeout", &timeout, "tls-verify", &verify, NULL);
  g_assert_null (region);
  g_assert_cmpuint (retries, ==, MT_AWS_DEFAULT_RETRIES);
  g_assert_cmpuint (timeout, ==, MT_AWS_DEFAULT_REQUEST_TIMEOUT_MS);
  g_assert_true (verify);
}

static void
test_settings_roundtrip (void)
{
  g_autoptr (MtTestAws) obj = g_object_new (MT_TYPE_TEST_AWS, NULL);
  g_autofree gchar *region = NULL, *endpoint = NULL, *profile = NULL;
  g_autofree gchar *ca = NULL;
  guint retries, timeout;
  gboolean verify;
  gint own;

  g_object_set (obj, "region", "eu-north-1", "endpoint",
      "http://127.0.0.1:9000", "profile", "dev", "access-key",
      "AKIAPROPERTYEXAMPLE1", "secret-key", "property-secret-SECRET-0013",
      "session-token", "property-token-SECRET-0013", "retries", 7,
      "request-timeout", 1500, "tls-verify", FALSE, "ca-file",
      "/etc/ssl/private-ca.pem", NULL);
  g_object_get (obj, "region", &region, "endpoint", &endpoint, "profile",
      &profile, "retries", &retries, "request-timeout", &timeout,
      "tls-verify", &verify, "ca-file", &ca, "own", &own, NULL);
  g_assert_cmpstr (region, ==, "eu-north-1");
  g_assert_cmpstr (endpoint, ==, "http://127.0.0.1:9000");
  g_assert_cmpstr (profile, ==, "dev");
  g_assert_cmpuint (retries, ==, 7);
  g_assert_cmpuint (timeout, ==, 1500);
  g_assert_false (verify);
  g_assert_cmpstr (ca, ==, "/etc/ssl/private-ca.pem");
  g_assert_cmpint (own, ==, 7);
  /* The secrets reached the settings the element uses... */
  g_assert_cmpstr (obj->settings.access_key, ==, "AKIAPROPERTYEXAMPLE1");
  g_assert_cmpstr (obj->settings.secret_key, ==, "property-secret-SECRET-0013");
  g_assert_cmpstr (obj->settings.session_token, ==,
      "property-token-SECRET-0013");

  /* ...and an empty string means "unset", as on a launch line. */
  g_object_set (obj, "region", "", "secret-key", "", NULL);
  g_assert_null (obj->settings.region);
  g_assert_null (obj->settings.secret_key);
}

static void
test_settings_pspecs (void)
{
  g_autoptr (GTypeClass) klass = g_type_class_ref (MT_TYPE_TEST_AWS);
  static const gchar *const names[] = { "region", "endpoint", "profile",
    "access-key", "secret-key", "session-token", "retries", "request-timeout",
    "tls-verify", "ca-file"
  };
  static const gchar *const secrets[] = { "access-key", "secret-key",
    "session-token", NULL
  };
  guint i, n = 0;
  g_autofree GParamSpec **all =
      g_object_class_list_properties (G_OBJECT_CLASS (klass), &n);

  g_assert_cmpuint (n, ==, MT_AWS_SETTINGS_N_PROPS + 1);
  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GParamSpec *ps = g_object_class_find_property (G_OBJECT_CLASS (klass),
        names[i]);
    gboolean secret = g_strv_contains (secrets, names[i]);

    g_assert_nonnull (ps);
    g_assert_cmpuint (ps->flags & G_PARAM_STATIC_STRINGS, ==,
        G_PARAM_STATIC_STRINGS);
    g_assert_true (ps->flags & GST_PARAM_MUTABLE_READY);
    g_assert_true (ps->flags & G_PARAM_WRITABLE);
    /* Secrets are write-only: gst-inspect and g_object_get never see them. */
    g_assert_cmpint (!!(ps->flags & G_PARAM_READABLE), ==, !secret);
    g_assert_cmpuint (strlen (g_param_spec_get_blurb (ps)), >, 20);
  }
}

static void
test_settings_copy_clear (void)
{
  MtAwsSettings a, b;

  mt_aws_settings_init (&a);
  mt_aws_settings_init (&b);
  a.region = g_strdup ("us-east-2");
  a.secret_key = g_strdup ("copy-secret-SECRET-0014");
  a.retries = 1;
  a.tls_verify = FALSE;
  b.profile = g_strdup ("replaced");
  mt_aws_settings_copy (&b, &a);
  g_assert_cmpstr (b.region, ==, "us-east-2");
  g_assert_cmpstr (b.secret_key, ==, "copy-secret-SECRET-0014");
  g_assert_true (b.secret_key != a.secret_key);
  g_assert_null (b.profile);
  g_assert_cmpuint (b.retries, ==, 1);
  g_assert_false (b.tls_verify);
  mt_aws_settings_clear (&a);
  g_assert_null (a.region);
  g_assert_null (a.secret_key);
  g_assert_cmpuint (a.retries, ==, MT_AWS_DEFAULT_RETRIES);
  g_assert_true (a.tls_verify);
  mt_aws_settings_clear (&b);
}

/* --- the file parser --- */

static const gchar *
lookup (GHashTable * sections, const gchar * section, const gchar * key)
{
  GHashTable *values = g_hash_table_lookup (sections, section);

  return values ? g_hash_table_lookup (values, key) : NULL;
}

static void
test_parse_config (void)
{
  const gchar *text =
      "  # comment with leading space\n"
      "; another comment\n"
      "[default]\n"
      "region = from-bare-default\n"
      "[profile default]   # comment after a section\n"
      "region = from-profile-default\n"
      "[profile  dev ]\r\n"
      "Region=us-west-1\r\n"
      "output = json ; inline\n"
      "url = http://h/a#fragment\n"
      "note = line one\n"
      "  line two\n"
      "s3 =\n"
      "  addressing_style = path\n"
      "\n"
      "  max_concurrent_requests = 4\n"
      "garbage line\n"
      "[services local]\n"
      "s3 =\n"
      "    endpoint_url = http://127.0.0.1:1\n"
      "[profile dev]\n"
      "output = text\n"
      "[unknown kind]\n" "region = nowhere\n" "[profile]\n" "region = x\n";
  g_autoptr (GHashTable) s = mt_aws_ini_parse (text, TRUE, "inline");

  /* "[profile default]" wins over "[default]" whole, not key by key. */
  g_assert_cmpstr (lookup (s, "profile default", "region"), ==,
      "from-profile-default");
  g_assert_cmpstr (lookup (s, "profile dev", "region"), ==, "us-west-1");
  g_assert_cmpstr (lookup (s, "profile dev", "output"), ==, "text");
  g_assert_cmpstr (lookup (s, "profile dev", "url"), ==, "http://h/a#fragment");
  g_assert_cmpstr (lookup (s, "profile dev", "note"), ==, "line one\nline two");
  g_assert_cmpstr (lookup (s, "profile dev", "s3"), ==, "");
  g_assert_cmpstr (lookup (s, "profile dev", "s3.addressing_style"), ==,
      "path");
  g_assert_cmpstr (lookup (s, "profile dev", "s3.max_concurrent_requests"),
      ==, "4");
  g_assert_cmpstr (lookup (s, "services local", "s3.endpoint_url"), ==,
      "http://127.0.0.1:1");
  g_assert_null (lookup (s, "profile unknown kind", "region"));
  g_assert_null (g_hash_table_lookup (s, "legacy default"));
  g_assert_cmpuint (g_hash_table_size (s), ==, 3);
}

static void
test_parse_bare_default (void)
{
  g_autoptr (GHashTable) s =
      mt_aws_ini_parse ("[default]\nregion = r1\n", TRUE, "inline");

  g_assert_cmpstr (lookup (s, "profile default", "region"), ==, "r1");
}

static void
test_parse_credentials (void)
{
  const gchar *text = "[default]\naws_access_key_id = A\n"
      "[profile ghost]\naws_access_key_id = G\n[ named ]\nkey=v\n";
  g_autoptr (GHashTable) s = mt_aws_ini_parse (text, FALSE, "inline");

  g_assert_cmpstr (lookup (s, "profile default", "aws_access_key_id"), ==, "A");
  g_assert_cmpstr (lookup (s, "profile named", "key"), ==, "v");
  g_assert_null (lookup (s, "profile ghost", "aws_access_key_id"));
  g_assert_null (lookup (s, "profile profile ghost", "aws_access_key_id"));
}

static void
test_profile_files (void)
{
  g_autofree gchar *r = NULL, *k = NULL, *g = NULL, *spaced = NULL;

  mt_test_aws_env_reset ();
  r = mt_aws_profile_get ("named", "region", FALSE);
  k = mt_aws_profile_get ("named", "aws_access_key_id", TRUE);
  g = mt_aws_profile_get ("ghost", "aws_access_key_id", TRUE);
  spaced = mt_aws_profile_get ("spaced", "REGION", FALSE);
  g_assert_cmpstr (r, ==, "us-west-2");
  g_assert_cmpstr (k, ==, "AKIANAMEDEXAMPLE0001");
  g_assert_null (g);
  g_assert_cmpstr (spaced, ==, "ap-south-1");
  g_assert_true (mt_aws_profile_exists ("named"));
  g_assert_true (mt_aws_profile_exists ("process"));
  g_assert_false (mt_aws_profile_exists ("ghost"));

  g_setenv ("AWS_CONFIG_FILE", "/nonexistent/mediatag/config", TRUE);
  g_assert_null (mt_aws_profile_get ("named", "region", FALSE));
}

static void
test_home_expansion (void)
{
  g_autofree gchar *expected = g_build_filename (g_get_home_dir (),
      ".aws", "config", NULL);
  g_autofree gchar *dflt = NULL, *tilde = NULL;
  g_autofree gchar *tilde_expected = g_build_filename (g_get_home_dir (),
      "cfg", NULL);

  mt_test_aws_env_reset ();
  g_setenv ("AWS_CONFIG_FILE", "", TRUE);
  dflt = mt_aws_config_file_path ();
  g_assert_cmpstr (dflt, ==, expected);
  g_setenv ("AWS_CONFIG_FILE", "~/cfg", TRUE);
  tilde = mt_aws_config_file_path ();
  g_assert_cmpstr (tilde, ==, tilde_expected);
}

/* --- profile and region --- */

static void
test_profile_name (void)
{
  MtAwsSettings s;
  g_autofree gchar *a = NULL, *b = NULL, *c = NULL;

  mt_test_aws_env_reset ();
  mt_aws_settings_init (&s);
  a = mt_aws_profile_name (&s);
  g_setenv ("AWS_PROFILE", "named", TRUE);
  b = mt_aws_profile_name (&s);
  s.profile = g_strdup ("from-property");
  c = mt_aws_profile_name (&s);
  g_assert_cmpstr (a, ==, "default");
  g_assert_cmpstr (b, ==, "named");
  g_assert_cmpstr (c, ==, "from-property");
  mt_aws_settings_clear (&s);
}

static gchar *
region_of (MtAwsSettings * s)
{
  g_autoptr (GError) error = NULL;
  gchar *r = mt_aws_resolve_region (s, &error);

  g_assert_no_error (error);
  return r;
}

static void
test_region_order (void)
{
  MtAwsSettings s;
  g_autofree gchar *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL;
  g_autofree gchar *r5 = NULL;

  mt_test_aws_env_reset ();
  mt_aws_settings_init (&s);
  r1 = region_of (&s);          /* [default] of the config file */
  g_setenv ("AWS_PROFILE", "named", TRUE);
  r2 = region_of (&s);
  g_setenv ("AWS_DEFAULT_REGION", "sa-east-1", TRUE);
  r3 = region_of (&s);
  g_setenv ("AWS_REGION", "af-south-1", TRUE);
  r4 = region_of (&s);
  s.region = g_strdup ("me-south-1");
  r5 = region_of (&s);
  g_assert_cmpstr (r1, ==, "eu-west-1");
  g_assert_cmpstr (r2, ==, "us-west-2");
  g_assert_cmpstr (r3, ==, "sa-east-1");
  g_assert_cmpstr (r4, ==, "af-south-1");
  g_assert_cmpstr (r5, ==, "me-south-1");
  mt_aws_settings_clear (&s);
}

static void
test_region_missing (void)
{
  MtAwsSettings s;
  g_autoptr (GError) error = NULL;
  gchar *r;

  mt_test_aws_env_reset ();
  mt_aws_settings_init (&s);
  s.profile = g_strdup ("process-fail");
  r = mt_aws_resolve_region (&s, &error);
  g_assert_null (r);
  g_assert_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG);
  /* The message names every place a user can set it. */
  g_assert_nonnull (strstr (error->message, "region property"));
  g_assert_nonnull (strstr (error->message, "AWS_REGION"));
  g_assert_nonnull (strstr (error->message, "AWS_DEFAULT_REGION"));
  g_assert_nonnull (strstr (error->message, "'process-fail'"));
  g_assert_nonnull (strstr (error->message, TEST_DATA_DIR "/aws/config"));
  mt_aws_settings_clear (&s);
}

/* --- endpoints --- */

static gchar *
endpoint (MtAwsSettings * s, const gchar * id, const gchar * prefix,
    const gchar * region)
{
  return mt_aws_resolve_endpoint (s, id, prefix, region);
}

static void
test_endpoint_public (void)
{
  MtAwsSettings s;
  g_autofree gchar *a = NULL, *b = NULL, *c = NULL;

  mt_test_aws_env_reset ();
  mt_aws_settings_init (&s);
  a = endpoint (&s, "Rekognition", "rekognition", "eu-west-1");
  b = endpoint (&s, "S3", "s3", "cn-north-1");
  c = endpoint (&s, "STS", "sts", NULL);
  g_assert_cmpstr (a, ==, "https://rekognition.eu-west-1.amazonaws.com");
  g_assert_cmpstr (b, ==, "https://s3.cn-north-1.amazonaws.com.cn");
  g_assert_cmpstr (c, ==, "https://sts.amazonaws.com");
  mt_aws_settings_clear (&s);
}

static void
test_endpoint_order (void)
{
  MtAwsSettings s;
  g_autofree gchar *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
  g_autofree gchar *e5 = NULL, *e6 = NULL, *e7 = NULL;

  mt_test_aws_env_reset ();
  mt_aws_settings_init (&s);
  g_setenv ("AWS_PROFILE", "endpoints", TRUE);
  /* Profile endpoint_url, for a service its services section lacks. */
  e1 = endpoint (&s, "Rekognition", "rekognition", "eu-central-1");
  /* The services section wins over the profile's endpoint_url. */
  e2 = endpoint (&s, "S3", "s3", "eu-central-1");
  e3 = endpoint (&s, "Elastic Beanstalk", "elasticbeanstalk", "eu-central-1");
  g_setenv ("AWS_ENDPOINT_URL", "http://127.0.0.1:9/all/", TRUE);
  e4 = endpoint (&s, "S3", "s3", "eu-central-1");
  g_setenv ("AWS_ENDPOINT_URL_ELASTIC_BEANSTALK", "http://127.0.0.1:9/eb",
      TRUE);
  e5 = endpoint (&s, "Elastic Beanstalk", "elasticbeanstalk", "eu-central-1");
  g_setenv ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9/s3", TRUE);
  e6 = endpoint (&s, "S3", "s3", "eu-central-1");
  s.endpoint = g_strdup ("http://127.0.0.1:9/property//");
  e7 = endpoint (&s, "S3", "s3", "eu-central-1");

  g_assert_cmpstr (e1, ==, "http://127.0.0.1:4566/global");
  g_assert_cmpstr (e2, ==, "http://127.0.0.1:4566/s3-from-services");
  g_assert_cmpstr (e3, ==, "http://127.0.0.1:4566/eb");
  g_assert_cmpstr (e4, ==, "http://127.0.0.1:9/all");
  g_assert_cmpstr (e5, ==, "http://127.0.0.1:9/eb");
  g_assert_cmpstr (e6, ==, "http://127.0.0.1:9/s3");
  g_assert_cmpstr (e7, ==, "http://127.0.0.1:9/property");
  mt_aws_settings_clear (&s);
}

static void
test_endpoint_ignore_configured (void)
{
  MtAwsSettings s;
  g_autofree gchar *a = NULL, *b = NULL, *c = NULL, *d = NULL;

  mt_test_aws_env_reset ();
  mt_aws_settings_init (&s);
  g_setenv ("AWS_PROFILE", "ignoring", TRUE);
  /* The profile says to ignore its own endpoint_url and the environment. */
  g_setenv ("AWS_ENDPOINT_URL", "http://127.0.0.1:9/all", TRUE);
  a = endpoint (&s, "S3", "s3", "us-east-1");
  /* The environment variable, when set, wins over the profile's flag. */
  g_setenv ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false", TRUE);
  b = endpoint (&s, "S3", "s3", "us-east-1");
  g_setenv ("AWS_PROFILE", "endpoints", TRUE);
  g_setenv ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", TRUE);
  c = endpoint (&s, "S3", "s3", "us-east-1");
  /* An explicit endpoint property is never ignored. */
  s.endpoint = g_strdup ("http://127.0.0.1:9/property");
  d = endpoint (&s, "S3", "s3", "us-east-1");

  g_assert_cmpstr (a, ==, "https://s3.us-east-1.amazonaws.com");
  g_assert_cmpstr (b, ==, "http://127.0.0.1:9/all");
  g_assert_cmpstr (c, ==, "https://s3.us-east-1.amazonaws.com");
  g_assert_cmpstr (d, ==, "http://127.0.0.1:9/property");
  mt_aws_settings_clear (&s);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  mt_core_init ();
  mt_test_aws_env_init ();

  g_test_add_func ("/settings/defaults", test_settings_defaults);
  g_test_add_func ("/settings/roundtrip", test_settings_roundtrip);
  g_test_add_func ("/settings/pspecs", test_settings_pspecs);
  g_test_add_func ("/settings/copy-clear", test_settings_copy_clear);
  g_test_add_func ("/config/parse", test_parse_config);
  g_test_add_func ("/config/parse-bare-default", test_parse_bare_default);
  g_test_add_func ("/config/parse-credentials", test_parse_credentials);
  g_test_add_func ("/config/profile-files", test_profile_files);
  g_test_add_func ("/config/home-expansion", test_home_expansion);
  g_test_add_func ("/config/profile-name", test_profile_name);
  g_test_add_func ("/region/order", test_region_order);
  g_test_add_func ("/region/missing", test_region_missing);
  g_test_add_func ("/endpoint/public", test_endpoint_public);
  g_test_add_func ("/endpoint/order", test_endpoint_order);
  g_test_add_func ("/endpoint/ignore-configured",
      test_endpoint_ignore_configured);
  return g_test_run ();
}
