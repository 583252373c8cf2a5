/* Tests of the AWS credential chain (credentials.c): which source wins,
 * what each source yields, the errors a user sees, and refresh.
 *
 * The /net/ tests talk to tests/core/aws_metadata_server.py (IMDSv2, ECS,
 * STS on 127.0.0.1), whose URL comes in MT_TEST_METADATA_URL: the Python
 * driver test_credentials_net.py starts it, runs this program with
 * GST_DEBUG=*:9 and checks the log for secrets. Run alone, the /net/ tests
 * are skipped. */
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "awsconfig.h"
#include "awserror.h"
#include "credentials.h"
#include "core.h"
#include "http.h"
#include "aws-test-env.h"

/* --- helpers --- */

static MtCredentials *
get_creds (const MtAwsSettings * s, GError ** error)
{
  g_autoptr (MtCredentialsProvider) p = mt_credentials_provider_new (s);

  return mt_credentials_provider_get (p, NULL, error);
}

static MtCredentials *
get_ok (const MtAwsSettings * s)
{
  g_autoptr (GError) error = NULL;
  MtCredentials *c = get_creds (s, &error);

  g_assert_no_error (error);
  g_assert_nonnull (c);
  return c;
}

static GError *
get_error (const MtAwsSettings * s)
{
  GError *error = NULL;
  MtCredentials *c = get_creds (s, &error);

  g_assert_null (c);
  g_assert_nonnull (error);
  return error;
}

static MtAwsSettings *
settings_new (void)
{
  MtAwsSettings *s = g_new0 (MtAwsSettings, 1);

  mt_aws_settings_init (s);
  return s;
}

static void
settings_free (MtAwsSettings * s)
{
  mt_aws_settings_clear (s);
  g_free (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtAwsSettings, settings_free);

static void
assert_contains (const gchar * haystack, const gchar * needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("'%s' not found in: %s", needle, haystack);
}

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static guint
count_lines (const gchar * path)
{
  g_autofree gchar *text = NULL;
  guint n = 0;
  const gchar *p;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  for (p = text; *p; p++)
    n += *p == '\n';
  return n;
}

/* --- properties, environment, shared files --- */

static void
test_properties_win (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;

  mt_test_aws_env_reset ();
  g_setenv ("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00001", TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", "env-secret-SECRET-0015", TRUE);
  s->access_key = g_strdup ("AKIAPROPERTYEXAMPLE1");
  s->secret_key = g_strdup ("property-secret-SECRET-0013");
  s->session_token = g_strdup ("property-token-SECRET-0013");
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "properties");
  g_assert_cmpstr (c->access_key_id, ==, "AKIAPROPERTYEXAMPLE1");
  g_assert_cmpstr (c->secret_access_key, ==, "property-secret-SECRET-0013");
  g_assert_cmpstr (c->session_token, ==, "property-token-SECRET-0013");
  g_assert_cmpint (c->expiration, ==, 0);
}

static void
test_properties_partial (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (GError) error = NULL;

  mt_test_aws_env_reset ();
  s->access_key = g_strdup ("AKIAPROPERTYEXAMPLE1");
  error = get_error (s);
  g_assert_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG);
  assert_contains (error->message, "secret-key");
}

static void
test_environment (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;
  g_autoptr (MtCredentials) c2 = NULL;

  mt_test_aws_env_reset ();
  g_setenv ("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00001", TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", "env-secret-SECRET-0015", TRUE);
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "environment");
  g_assert_cmpstr (c->access_key_id, ==, "AKIAENVIRONMENT00001");
  g_assert_cmpstr (c->secret_access_key, ==, "env-secret-SECRET-0015");
  /* AWS_SESSION_TOKEN="" is no token. */
  g_assert_null (c->session_token);

  g_setenv ("AWS_SESSION_TOKEN", "env-token-SECRET-0015", TRUE);
  c2 = get_ok (s);
  g_assert_cmpstr (c2->session_token, ==, "env-token-SECRET-0015");
}

static void
test_environment_partial (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (GError) error = NULL;

  mt_test_aws_env_reset ();
  g_setenv ("AWS_SECRET_ACCESS_KEY", "env-secret-SECRET-0015", TRUE);
  error = get_error (s);
  g_assert_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG);
  assert_contains (error->message, "AWS_ACCESS_KEY_ID");
}

static void
test_profile_default (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;

  mt_test_aws_env_reset ();
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "profile default");
  g_assert_cmpstr (c->access_key_id, ==, "AKIADEFAULTEXAMPLE01");
  g_assert_cmpstr (c->secret_access_key, ==, "default-secret-SECRET-0007");
  g_assert_null (c->session_token);
}

static void
test_profile_named (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;
  g_autoptr (MtCredentials) c2 = NULL;

  mt_test_aws_env_reset ();
  g_setenv ("AWS_PROFILE", "named", TRUE);
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "profile named");
  g_assert_cmpstr (c->access_key_id, ==, "AKIANAMEDEXAMPLE0001");
  g_assert_cmpstr (c->session_token, ==, "named-token-SECRET-0008");

  /* The profile property wins over AWS_PROFILE. */
  s->profile = g_strdup ("config-keys");
  c2 = get_ok (s);
  g_assert_cmpstr (c2->source, ==, "profile config-keys");
  g_assert_cmpstr (c2->access_key_id, ==, "AKIACONFIGKEYS000001");
}

static void
test_profile_credentials_file_wins (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;

  mt_test_aws_env_reset ();
  s->profile = g_strdup ("both-files");
  c = get_ok (s);
  g_assert_cmpstr (c->access_key_id, ==, "AKIAFROMCREDENTIALS1");
}

static void
test_profile_errors (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (GError) missing = NULL;
  g_autoptr (GError) half = NULL;

  mt_test_aws_env_reset ();
  s->profile = g_strdup ("no-such-profile");
  missing = get_error (s);
  g_assert_error (missing, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG);
  assert_contains (missing->message, "'no-such-profile'");
  assert_contains (missing->message, TEST_DATA_DIR "/aws/credentials");

  g_free (s->profile);
  s->profile = g_strdup ("half");
  half = get_error (s);
  g_assert_error (half, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG);
  assert_contains (half->message, "'half'");
  assert_contains (half->message, "aws_secret_access_key");
}

/* Role profiles that are wrong fail clearly, before any call to STS. */
static void
test_assume_role_config_errors (void)
{
  static const struct
  {
    const gchar *profile;
    const gchar *message;
  } cases[] = {
    {"assume-mfa", "mfa_serial"},
    {"loop-a", "is it a loop?"},
    {"bad-source", "credential_source 'Laptop' is none of"},
    {"two-sources", "both source_profile and credential_source"},
  };
  guint i;

  mt_test_aws_env_reset ();
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (MtAwsSettings) s = settings_new ();
    g_autoptr (GError) error = NULL;

    s->profile = g_strdup (cases[i].profile);
    error = get_error (s);
    g_assert_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG);
    assert_contains (error->message, cases[i].message);
  }
}

/* A loopback port nothing listens on, for "IMDS is not there"; it stays
 * reserved (bound, not listening) while *sock lives. */
static guint
closed_port (GSocket ** keep)
{
  GSocket *sock = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) lo =
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (sock, any, FALSE, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  *keep = sock;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_no_credentials (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) error2 = NULL;
  g_autoptr (GSocket) keep = NULL;
  g_autofree gchar *imds = NULL;

  mt_test_aws_env_reset ();
  g_setenv ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/mediatag/creds", TRUE);
  g_setenv ("AWS_CONFIG_FILE", "/nonexistent/mediatag/config", TRUE);
  error = get_error (s);
  g_assert_error (error, MT_AWS_ERROR, MT_AWS_ERROR_NO_CREDENTIALS);
  assert_contains (error->message, "AWS_ACCESS_KEY_ID");
  assert_contains (error->message, "/nonexistent/mediatag/creds");
  g_assert_false (mt_credentials_available (s));

  /* With IMDS on but not there, the answer is still "none", not an error
   * about IMDS: most machines are not EC2 instances. */
  g_setenv ("AWS_EC2_METADATA_DISABLED", "false", TRUE);
  imds = g_strdup_printf ("http://127.0.0.1:%u", closed_port (&keep));
  g_setenv ("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds, TRUE);
  error2 = get_error (s);
  g_assert_error (error2, MT_AWS_ERROR, MT_AWS_ERROR_NO_CREDENTIALS);
  g_assert_false (mt_credentials_available (s));

  g_setenv ("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00001", TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", "env-secret-SECRET-0015", TRUE);
  g_assert_true (mt_credentials_available (s));
}

static void
test_sso_config_errors (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (GError) incomplete = NULL;
  g_autoptr (GError) no_token = NULL;

  mt_test_aws_env_reset ();
  s->profile = g_strdup ("sso-incomplete");
  incomplete = get_error (s);
  g_assert_error (incomplete, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG);
  assert_contains (incomplete->message, "sso_role_name");

  g_free (s->profile);
  s->profile = g_strdup ("sso-no-token");
  no_token = get_error (s);
  g_assert_error (no_token, MT_AWS_ERROR, MT_AWS_ERROR_AUTH);
  assert_contains (no_token->message, "aws sso login --profile sso-no-token");
}

/* --- credential_process --- */

static void
test_process_ok (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;
  gint64 now = now_s ();

  mt_test_aws_env_reset ();
  g_setenv ("AWS_PROFILE", "process", TRUE);
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "credential_process (profile process)");
  g_assert_cmpstr (c->access_key_id, ==, "AKIAPROCESSEXAMPLE01");
  g_assert_cmpstr (c->secret_access_key, ==, "process-secret-SECRET-0006");
  g_assert_cmpstr (c->session_token, ==, "process-token-SECRET-0006");
  g_assert_cmpint (c->expiration, >=, now + 3600 - 5);
  g_assert_cmpint (c->expiration, <=, now + 3600 + 5);
}

/* Quotes group words, and ';' stays a character: no shell runs. */
static void
test_process_quoting (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;

  mt_test_aws_env_reset ();
  s->profile = g_strdup ("process-quoted");
  c = get_ok (s);
  g_assert_cmpstr (c->session_token, ==, "a b; echo injected > /dev/null");
  g_assert_cmpint (c->expiration, ==, 0);
}

static void
test_process_fails (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (GError) error = NULL;

  mt_test_aws_env_reset ();
  s->profile = g_strdup ("process-fail");
  error = get_error (s);
  g_assert_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED);
  assert_contains (error->message, "'process-fail'");
  assert_contains (error->message, "status 3");
  assert_contains (error->message, "the vault said no (test failure)");
}

static void
test_process_bad_output (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (GError) bad = NULL;
  g_autoptr (GError) nover = NULL;
  g_autoptr (GError) missing = NULL;

  mt_test_aws_env_reset ();
  s->profile = g_strdup ("process-badjson");
  bad = get_error (s);
  assert_contains (bad->message, "'process-badjson'");
  assert_contains (bad->message, "JSON");
  /* What the process printed may be a secret: it is not quoted. */
  g_assert_null (strstr (bad->message, "SECRET"));

  g_free (s->profile);
  s->profile = g_strdup ("process-noversion");
  nover = get_error (s);
  assert_contains (nover->message, "\"Version\": 1");

  g_free (s->profile);
  s->profile = g_strdup ("process-missing");
  missing = get_error (s);
  assert_contains (missing->message, "'process-missing'");
  assert_contains (missing->message, "cannot be started");
}

/* The process's Expiration drives the cache: reused until five minutes
 * before it, fetched again inside those five minutes, and kept (with a
 * warning) when a refresh fails while it is still valid. */
static void
test_process_refresh (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autofree gchar *dir = g_dir_make_tmp ("mt-creds-XXXXXX", NULL);
  g_autofree gchar *counter = g_build_filename (dir, "runs", NULL);
  g_autoptr (MtCredentialsProvider) p = NULL;
  g_autoptr (MtCredentials) c1 = NULL, c2 = NULL, c3 = NULL, c4 = NULL;
  g_autoptr (MtCredentials) c5 = NULL, c6 = NULL;
  g_autoptr (GError) error = NULL;

  mt_test_aws_env_reset ();
  g_setenv ("MT_TEST_PROCESS_COUNTER", counter, TRUE);
  s->profile = g_strdup ("process-env");

  /* An hour left: one run serves every request. */
  g_setenv ("MT_TEST_PROCESS_MODE", "ok 3600", TRUE);
  p = mt_credentials_provider_new (s);
  c1 = mt_credentials_provider_get (p, NULL, &error);
  c2 = mt_credentials_provider_get (p, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (c1 == c2);
  g_assert_cmpuint (count_lines (counter), ==, 1);
  mt_credentials_provider_free (g_steal_pointer (&p));

  /* Four minutes left, inside the margin: every request refreshes. */
  g_setenv ("MT_TEST_PROCESS_MODE", "ok 240", TRUE);
  p = mt_credentials_provider_new (s);
  c3 = mt_credentials_provider_get (p, NULL, &error);
  c4 = mt_credentials_provider_get (p, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_lines (counter), ==, 3);
  g_assert_true (c3 != c4);

  /* The refresh fails; the current ones are still valid for 4 min. */
  g_setenv ("MT_TEST_PROCESS_MODE", "fail", TRUE);
  c5 = mt_credentials_provider_get (p, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (c5 == c4);
  g_assert_cmpuint (count_lines (counter), ==, 4);
  mt_credentials_provider_free (g_steal_pointer (&p));

  /* Credentials that expire in ten seconds are used until then; not after
   * when the refresh fails. */
  g_setenv ("MT_TEST_PROCESS_MODE", "ok 10", TRUE);
  p = mt_credentials_provider_new (s);
  c6 = mt_credentials_provider_get (p, NULL, &error);
  g_assert_no_error (error);
  c6->expiration = now_s () - 1;
  g_setenv ("MT_TEST_PROCESS_MODE", "fail", TRUE);
  g_assert_null (mt_credentials_provider_get (p, NULL, &error));
  g_assert_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED);
  assert_contains (error->message, "the vault said no");
  g_clear_error (&error);

  /* A source that hands out expired credentials is an error, not a loop
   * of requests AWS refuses. */
  g_setenv ("MT_TEST_PROCESS_MODE", "ok -10", TRUE);
  g_assert_null (mt_credentials_provider_get (p, NULL, &error));
  g_assert_error (error, MT_AWS_ERROR, MT_AWS_ERROR_AUTH);
  assert_contains (error->message, "expired");

  g_unlink (counter);
  g_rmdir (dir);
}

typedef struct
{
  MtCredentialsProvider *p;
  MtCredentials *creds;
} MtThreadCall;

static gpointer
thread_get (gpointer data)
{
  MtThreadCall *call = data;

  call->creds = mt_credentials_provider_get (call->p, NULL, NULL);
  return NULL;
}

static void
wait_for_lines (const gchar * path, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (count_lines (path) < n) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (10 * 1000);
  }
}

/* While one thread waits on a slow refresh, the others go on with the
 * current credentials (still valid, inside the margin): a pipeline's
 * workers never stall on a credential source. */
static void
test_process_refresh_does_not_block (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autofree gchar *dir = g_dir_make_tmp ("mt-creds-XXXXXX", NULL);
  g_autofree gchar *counter = g_build_filename (dir, "runs", NULL);
  g_autofree gchar *gate = g_build_filename (dir, "gate", NULL);
  g_autofree gchar *mode = g_strdup_printf ("wait-for %s 3600", gate);
  g_autoptr (MtCredentialsProvider) p = NULL;
  g_autoptr (MtCredentials) c1 = NULL, c2 = NULL, c3 = NULL;
  MtThreadCall call = { 0, };
  GThread *thread;

  mt_test_aws_env_reset ();
  g_setenv ("MT_TEST_PROCESS_COUNTER", counter, TRUE);
  s->profile = g_strdup ("process-env");
  g_setenv ("MT_TEST_PROCESS_MODE", "ok 240", TRUE);
  p = mt_credentials_provider_new (s);
  c1 = mt_credentials_provider_get (p, NULL, NULL);
  g_assert_nonnull (c1);

  g_setenv ("MT_TEST_PROCESS_MODE", mode, TRUE);
  call.p = p;
  thread = g_thread_new ("refresh", thread_get, &call);
  wait_for_lines (counter, 2);  /* the slow refresh has begun */
  c2 = mt_credentials_provider_get (p, NULL, NULL);
  g_assert_true (c2 == c1);
  g_assert_cmpuint (count_lines (counter), ==, 2);

  g_assert_true (g_file_set_contents (gate, "", 0, NULL));
  g_thread_join (thread);
  g_assert_nonnull (call.creds);
  g_assert_true (call.creds != c1);
  g_assert_cmpint (call.creds->expiration, >, now_s () + 3000);
  c3 = mt_credentials_provider_get (p, NULL, NULL);
  g_assert_true (c3 == call.creds);
  g_assert_cmpuint (count_lines (counter), ==, 2);
  mt_credentials_unref (call.creds);
  g_unlink (gate);
  g_unlink (counter);
  g_rmdir (dir);
}

/* --- ECS configuration checks that need no server --- */

static void
test_ecs_full_uri_rules (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (GError) error = NULL;

  mt_test_aws_env_reset ();
  g_setenv ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/mediatag/creds", TRUE);
  /* Plain HTTP to another machine would hand credentials to anyone on the
   * path: refused before any connection. */
  g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.1.2.3/creds",
      TRUE);
  error = get_error (s);
  g_assert_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG);
  assert_contains (error->message, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

/* --- the loopback server: IMDSv2, ECS, STS --- */

static const gchar *
server_url (void)
{
  const gchar *url = g_getenv ("MT_TEST_METADATA_URL");

  return (url != NULL && *url != '\0') ? url : NULL;
}

static JsonObject *
server_call (const gchar * method, const gchar * path, const gchar * body)
{
  MtHttpOptions opts = { 2000, 10000, TRUE, NULL };
  g_autoptr (MtHttpClient) client = mt_http_client_new (&opts);
  g_autofree gchar *url = g_strconcat (server_url (), path, NULL);
  g_autoptr (MtHttpRequest) req = mt_http_request_new (method, url);
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  const gchar *data;

  if (body != NULL)
    mt_http_request_set_body (req, g_bytes_new_static (body, strlen (body)));
  g_assert_true (mt_http_client_send (client, req, NULL, NULL, &resp, NULL,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (resp->status, ==, 200);
  data = g_bytes_get_data (resp->body, &len);
  g_assert_true (json_parser_load_from_data (parser, data, len, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
server_control (const gchar * json)
{
  g_autoptr (JsonObject) o = server_call ("POST", "/_control", json);
}

static gint64
server_stat (const gchar * name)
{
  g_autoptr (JsonObject) o = server_call ("GET", "/_stats", NULL);

  return json_object_get_int_member (o, name);
}

static gboolean
net_setup (void)
{
  g_autoptr (JsonObject) o = NULL;

  mt_test_aws_env_reset ();
  if (server_url () == NULL) {
    g_test_skip ("MT_TEST_METADATA_URL is not set: run through "
        "test_credentials_net.py");
    return FALSE;
  }
  o = server_call ("POST", "/_reset", "");
  /* No profile credentials, so the chain reaches ECS and IMDS. */
  g_setenv ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/mediatag/creds", TRUE);
  return TRUE;
}

static void
enable_imds (void)
{
  g_setenv ("AWS_EC2_METADATA_DISABLED", "", TRUE);
  g_setenv ("AWS_EC2_METADATA_SERVICE_ENDPOINT", server_url (), TRUE);
}

static void
test_net_imds (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;
  gint64 now = now_s ();

  if (!net_setup ())
    return;
  enable_imds ();
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "imds");
  g_assert_cmpstr (c->access_key_id, ==, "ASIAIMDSEXAMPLE00001");
  g_assert_cmpstr (c->secret_access_key, ==, "imds-secret-SECRET-0001");
  g_assert_cmpstr (c->session_token, ==, "imds-session-token-SECRET-0001");
  g_assert_cmpint (c->expiration, >=, now + 3600 - 5);
  /* The server refuses requests without the session token (401), so
   * credentials prove the header went out; and none went without it. */
  g_assert_cmpint (server_stat ("imds_token_puts"), ==, 1);
  g_assert_cmpint (server_stat ("imds_rejected"), ==, 0);
}

static void
test_net_imds_disabled (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (GError) error = NULL;

  if (!net_setup ())
    return;
  enable_imds ();
  g_setenv ("AWS_EC2_METADATA_DISABLED", "TRUE", TRUE);
  error = get_error (s);
  g_assert_error (error, MT_AWS_ERROR, MT_AWS_ERROR_NO_CREDENTIALS);
  g_assert_cmpint (server_stat ("imds_token_puts"), ==, 0);
}

static void
test_net_imds_v1_fallback (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;
  g_autoptr (GError) error = NULL;

  if (!net_setup ())
    return;
  enable_imds ();
  server_control ("{\"imds_v1_only\": true}");
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "imds");
  g_setenv ("AWS_EC2_METADATA_V1_DISABLED", "true", TRUE);
  error = get_error (s);
  g_assert_error (error, MT_AWS_ERROR, MT_AWS_ERROR_NO_CREDENTIALS);
}

static void
test_net_imds_refresh (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentialsProvider) p = NULL;
  g_autoptr (MtCredentials) c1 = NULL, c2 = NULL, c3 = NULL, c4 = NULL;
  g_autoptr (MtCredentials) c5 = NULL;
  g_autoptr (GError) error = NULL;

  if (!net_setup ())
    return;
  enable_imds ();
  /* Six minutes left: outside the five-minute margin, so cached. */
  server_control ("{\"imds_expires_in\": 360}");
  p = mt_credentials_provider_new (s);
  c1 = mt_credentials_provider_get (p, NULL, &error);
  c2 = mt_credentials_provider_get (p, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (c1 == c2);
  g_assert_cmpint (server_stat ("imds_creds_gets"), ==, 1);
  mt_credentials_provider_free (g_steal_pointer (&p));

  /* Four minutes left: inside the margin, so the next request refreshes. */
  server_control ("{\"imds_expires_in\": 240}");
  p = mt_credentials_provider_new (s);
  c3 = mt_credentials_provider_get (p, NULL, &error);
  g_assert_cmpint (server_stat ("imds_creds_gets"), ==, 2);
  c4 = mt_credentials_provider_get (p, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (server_stat ("imds_creds_gets"), ==, 3);
  g_assert_cmpstr (c3->access_key_id, ==, "ASIAIMDSEXAMPLE00002");
  g_assert_cmpstr (c4->access_key_id, ==, "ASIAIMDSEXAMPLE00003");

  /* IMDS fails now: tried three times (a 5xx may pass, retry.h), then
   * the current credentials stay in use while valid. */
  server_control ("{\"imds_status\": 500}");
  c5 = mt_credentials_provider_get (p, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c5->access_key_id, ==, "ASIAIMDSEXAMPLE00003");
  g_assert_cmpint (server_stat ("imds_creds_gets"), ==, 6);
}

/* Threads asking at once share one fetch. */
static void
test_net_threads (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentialsProvider) p = NULL;
  MtThreadCall calls[6];
  GThread *threads[6];
  guint i;

  if (!net_setup ())
    return;
  enable_imds ();
  p = mt_credentials_provider_new (s);
  for (i = 0; i < G_N_ELEMENTS (threads); i++) {
    calls[i].p = p;
    calls[i].creds = NULL;
    threads[i] = g_thread_new ("get", thread_get, &calls[i]);
  }
  for (i = 0; i < G_N_ELEMENTS (threads); i++) {
    g_thread_join (threads[i]);
    g_assert_nonnull (calls[i].creds);
    g_assert_true (calls[i].creds == calls[0].creds);
  }
  for (i = 0; i < G_N_ELEMENTS (threads); i++)
    mt_credentials_unref (calls[i].creds);
  g_assert_cmpint (server_stat ("imds_creds_gets"), ==, 1);
}

static void
enable_ecs (void)
{
  g_autofree gchar *url = g_strconcat (server_url (), "/ecs/creds", NULL);

  g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, TRUE);
  g_setenv ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-auth-token-SECRET-0004",
      TRUE);
}

static void
test_net_ecs (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;
  g_autoptr (GError) error = NULL;

  if (!net_setup ())
    return;
  enable_ecs ();
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "ecs");
  g_assert_cmpstr (c->access_key_id, ==, "ASIAECSEXAMPLE000001");
  g_assert_cmpstr (c->secret_access_key, ==, "ecs-secret-SECRET-0002");
  g_assert_cmpstr (c->session_token, ==, "ecs-session-token-SECRET-0002");
  g_assert_cmpint (c->expiration, >, now_s () + 3000);

  g_setenv ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-token", TRUE);
  error = get_error (s);
  g_assert_error (error, MT_AWS_ERROR, MT_AWS_ERROR_AUTH);
  assert_contains (error->message, "HTTP 403");
  g_assert_cmpint (server_stat ("ecs_rejected"), ==, 1);
}

/* A container agent that is not ready yet (503) is asked again, three
 * times in all; one that stays down gives a clear error. */
static void
test_net_ecs_retries (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;
  g_autoptr (GError) error = NULL;

  if (!net_setup ())
    return;
  enable_ecs ();
  server_control ("{\"ecs_fail_times\": 2}");
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "ecs");
  g_assert_cmpint (server_stat ("ecs_gets"), ==, 3);

  server_control ("{\"ecs_fail_times\": 3}");
  error = get_error (s);
  g_assert_error (error, MT_AWS_ERROR, MT_AWS_ERROR_SERVER);
  assert_contains (error->message, "HTTP 503");
  g_assert_cmpint (server_stat ("ecs_gets"), ==, 6);
}

/* The token file wins over the variable (EKS Pod Identity rotates it). */
static void
test_net_ecs_token_file (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *file = NULL;
  gint fd;

  if (!net_setup ())
    return;
  enable_ecs ();
  g_setenv ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-token", TRUE);
  fd = g_file_open_tmp ("mt-ecs-token-XXXXXX", &file, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (file, "ecs-auth-token-SECRET-0004\n",
          -1, NULL));
  g_setenv ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", file, TRUE);
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "ecs");
  g_assert_cmpint (server_stat ("ecs_rejected"), ==, 0);
  g_unlink (file);
}

static gchar *
write_temp (const gchar * name_tmpl, const gchar * text)
{
  g_autoptr (GError) error = NULL;
  gchar *file = NULL;
  gint fd = g_file_open_tmp (name_tmpl, &file, &error);

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (file, text, -1, NULL));
  return file;
}

static gchar *
enable_web_identity (void)
{
  gchar *token = write_temp ("mt-webid-XXXXXX",
      "web-identity-token-SECRET-0005\n");

  g_setenv ("AWS_WEB_IDENTITY_TOKEN_FILE", token, TRUE);
  g_setenv ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/mt-web", TRUE);
  g_setenv ("AWS_ROLE_SESSION_NAME", "mediatag-test", TRUE);
  g_setenv ("AWS_ENDPOINT_URL_STS", server_url (), TRUE);
  return token;
}

static void
test_net_web_identity (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;
  g_autoptr (GError) denied = NULL;
  g_autoptr (GError) bad_token = NULL;
  g_autoptr (JsonObject) stats = NULL;
  g_autofree gchar *token = NULL;

  if (!net_setup ())
    return;
  token = enable_web_identity ();
  /* The element's own endpoint (say an S3-compatible store) is not STS's. */
  s->endpoint = g_strdup ("http://127.0.0.1:9/not-sts");
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "web identity");
  g_assert_cmpstr (c->access_key_id, ==, "ASIASTSEXAMPLE000001");
  g_assert_cmpstr (c->secret_access_key, ==, "sts-secret-SECRET-0003");
  g_assert_cmpstr (c->session_token, ==, "sts-session-token-SECRET-0003");
  g_assert_cmpint (c->expiration, >, now_s () + 3000);
  stats = server_call ("GET", "/_stats", NULL);
  g_assert_cmpstr (json_object_get_string_member (stats, "sts_session_name"),
      ==, "mediatag-test");

  g_setenv ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/other", TRUE);
  denied = get_error (s);
  g_assert_error (denied, MT_AWS_ERROR, MT_AWS_ERROR_ACCESS_DENIED);
  assert_contains (denied->message, "AccessDenied");

  g_setenv ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/mt-web", TRUE);
  g_assert_true (g_file_set_contents (token, "expired-token", -1, NULL));
  bad_token = get_error (s);
  g_assert_error (bad_token, MT_AWS_ERROR, MT_AWS_ERROR_AUTH);
  assert_contains (bad_token->message, "InvalidIdentityToken");
  g_unlink (token);
}

/* web_identity_token_file and role_arn in the profile, STS endpoint from
 * the profile's services section. */
static void
test_net_web_identity_profile (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;
  g_autofree gchar *token = write_temp ("mt-webid-XXXXXX",
      "web-identity-token-SECRET-0005");
  g_autofree gchar *config_text = NULL;
  g_autofree gchar *config = NULL;

  if (!net_setup ())
    return;
  config_text = g_strdup_printf ("[profile web]\n"
      "web_identity_token_file = %s\n"
      "role_arn = arn:aws:iam::123456789012:role/mt-web\n"
      "services = loop\n"
      "[services loop]\n" "sts =\n" "  endpoint_url = %s\n", token,
      server_url ());
  config = write_temp ("mt-config-XXXXXX", config_text);
  g_setenv ("AWS_CONFIG_FILE", config, TRUE);
  s->profile = g_strdup ("web");
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "web identity");
  g_assert_cmpint (server_stat ("sts_calls"), ==, 1);
  g_unlink (config);
  g_unlink (token);
}

static gchar *
role_config (void)
{
  g_autofree gchar *text = g_strdup_printf ("[profile chained]\n"
      "role_arn = arn:aws:iam::123456789012:role/mt-assumed\n"
      "source_profile = named\n"
      "external_id = ext-1234\n"
      "region = eu-west-3\n"
      "services = loop\n"
      "[profile twice]\n"
      "role_arn = arn:aws:iam::123456789012:role/mt-twice\n"
      "source_profile = chained\n"
      "services = loop\n"
      "[profile from-ecs]\n"
      "role_arn = arn:aws:iam::123456789012:role/mt-from-ecs\n"
      "credential_source = EcsContainer\n"
      "services = loop\n"
      "[services loop]\n" "sts =\n" "  endpoint_url = %s\n", server_url ());

  return write_temp ("mt-config-XXXXXX", text);
}

/* role_arn + source_profile: AssumeRole signed with the source profile's
 * keys (the server checks the signature with botocore). */
static void
test_net_assume_role (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;
  g_autoptr (MtCredentials) c2 = NULL;
  g_autoptr (JsonObject) stats = NULL;
  g_autoptr (JsonObject) stats2 = NULL;
  g_autofree gchar *config = NULL;

  if (!net_setup ())
    return;
  config = role_config ();
  g_setenv ("AWS_CONFIG_FILE", config, TRUE);
  g_setenv ("AWS_SHARED_CREDENTIALS_FILE", TEST_DATA_DIR "/aws/credentials",
      TRUE);
  s->profile = g_strdup ("chained");
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "assume role (profile chained)");
  g_assert_cmpstr (c->access_key_id, ==, "ASIAASSUMEDEXAMPLE01");
  g_assert_cmpstr (c->secret_access_key, ==, "assumed-secret-SECRET-0016");
  g_assert_cmpstr (c->session_token, ==, "assumed-session-token-SECRET-0016");
  g_assert_cmpint (c->expiration, >, now_s () + 3000);
  stats = server_call ("GET", "/_stats", NULL);
  g_assert_cmpstr (json_object_get_string_member (stats, "assume_signed_by"),
      ==, "AKIANAMEDEXAMPLE0001");
  g_assert_cmpstr (json_object_get_string_member (stats, "assume_region"), ==,
      "eu-west-3");
  g_assert_cmpstr (json_object_get_string_member (stats, "assume_role_arn"),
      ==, "arn:aws:iam::123456789012:role/mt-assumed");
  g_assert_cmpstr (json_object_get_string_member (stats,
          "assume_external_id"), ==, "ext-1234");

  /* A role whose source assumes a role: two calls, the second signed with
   * the first one's temporary credentials (and their session token). */
  g_free (s->profile);
  s->profile = g_strdup ("twice");
  s->region = g_strdup ("us-east-2");
  c2 = get_ok (s);
  g_assert_cmpstr (c2->source, ==, "assume role (profile twice)");
  stats2 = server_call ("GET", "/_stats", NULL);
  g_assert_cmpint (json_object_get_int_member (stats2, "assume_calls"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (stats2, "assume_role_arn"),
      ==, "arn:aws:iam::123456789012:role/mt-twice");
  g_unlink (config);
}

static void
test_net_assume_role_credential_source (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;
  g_autoptr (JsonObject) stats = NULL;
  g_autofree gchar *config = NULL;

  if (!net_setup ())
    return;
  config = role_config ();
  g_setenv ("AWS_CONFIG_FILE", config, TRUE);
  enable_ecs ();
  s->profile = g_strdup ("from-ecs");
  s->region = g_strdup ("ap-northeast-1");
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "assume role (profile from-ecs)");
  stats = server_call ("GET", "/_stats", NULL);
  g_assert_cmpstr (json_object_get_string_member (stats, "assume_signed_by"),
      ==, "ASIAECSEXAMPLE000001");
  g_assert_cmpstr (json_object_get_string_member (stats, "assume_region"), ==,
      "ap-northeast-1");
  g_unlink (config);
}

/* The token cache lives under the home directory: only written when the
 * driver made HOME a directory of its own. */
static gboolean
test_home_is_private (void)
{
  const gchar *home = g_getenv ("MT_TEST_HOME");

  if (home == NULL || g_strcmp0 (home, g_get_home_dir ()) != 0) {
    g_test_skip ("MT_TEST_HOME is not this run's HOME");
    return FALSE;
  }
  return TRUE;
}

static void
write_sso_token (const gchar * session, gint64 expires_in)
{
  g_autofree gchar *hash =
      g_compute_checksum_for_string (G_CHECKSUM_SHA1, session, -1);
  g_autofree gchar *name = g_strconcat (hash, ".json", NULL);
  g_autofree gchar *dir = g_build_filename (g_get_home_dir (), ".aws", "sso",
      "cache", NULL);
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) at = g_date_time_add_seconds (now, expires_in);
  g_autofree gchar *iso = g_date_time_format (at, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree gchar *json = g_strdup_printf ("{\"startUrl\": "
      "\"https://example.awsapps.com/start\", \"region\": \"eu-west-1\", "
      "\"accessToken\": \"sso-access-token-SECRET-0017\", "
      "\"expiresAt\": \"%s\"}", iso);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
}

static void
test_net_sso (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autoptr (MtCredentials) c = NULL;
  g_autoptr (GError) expired = NULL;
  g_autoptr (JsonObject) stats = NULL;
  g_autofree gchar *config = NULL;
  g_autofree gchar *text = NULL;

  if (!net_setup () || !test_home_is_private ())
    return;
  text = g_strdup_printf ("[profile sso]\n"
      "sso_session = corp-test\n"
      "sso_account_id = 111122223333\n"
      "sso_role_name = MediaReader\n"
      "services = loop\n"
      "[sso-session corp-test]\n"
      "sso_start_url = https://example.awsapps.com/start\n"
      "sso_region = eu-west-1\n"
      "[services loop]\n" "sso =\n" "  endpoint_url = %s\n", server_url ());
  config = write_temp ("mt-config-XXXXXX", text);
  g_setenv ("AWS_CONFIG_FILE", config, TRUE);
  s->profile = g_strdup ("sso");

  write_sso_token ("corp-test", 3600);
  c = get_ok (s);
  g_assert_cmpstr (c->source, ==, "sso (profile sso)");
  g_assert_cmpstr (c->access_key_id, ==, "ASIASSOEXAMPLE000001");
  g_assert_cmpstr (c->secret_access_key, ==, "sso-secret-SECRET-0018");
  g_assert_cmpstr (c->session_token, ==, "sso-session-token-SECRET-0018");
  g_assert_cmpint (c->expiration, >, now_s () + 3000);
  g_assert_cmpint (c->expiration, <, now_s () + 3700);
  stats = server_call ("GET", "/_stats", NULL);
  g_assert_cmpstr (json_object_get_string_member (stats, "sso_account"), ==,
      "111122223333");
  g_assert_cmpstr (json_object_get_string_member (stats, "sso_role"), ==,
      "MediaReader");
  g_assert_cmpint (json_object_get_int_member (stats, "sso_rejected"), ==, 0);

  write_sso_token ("corp-test", -60);
  expired = get_error (s);
  g_assert_error (expired, MT_AWS_ERROR, MT_AWS_ERROR_AUTH);
  assert_contains (expired->message, "has expired");
  g_unlink (config);
}

/* properties > environment > web identity > profile > ECS > IMDS: with all
 * six configured, take away the winner one at a time. */
static void
test_net_precedence (void)
{
  g_autoptr (MtAwsSettings) s = settings_new ();
  g_autofree gchar *token = NULL;
  static const gchar *const expected[] = {
    "properties", "environment", "web identity", "profile default", "ecs",
    "imds"
  };
  guint i;

  if (!net_setup ())
    return;
  s->access_key = g_strdup ("AKIAPROPERTYEXAMPLE1");
  s->secret_key = g_strdup ("property-secret-SECRET-0013");
  g_setenv ("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00001", TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", "env-secret-SECRET-0015", TRUE);
  token = enable_web_identity ();
  g_setenv ("AWS_SHARED_CREDENTIALS_FILE", TEST_DATA_DIR "/aws/credentials",
      TRUE);
  enable_ecs ();
  enable_imds ();

  for (i = 0; i < G_N_ELEMENTS (expected); i++) {
    g_autoptr (MtCredentials) c = get_ok (s);

    g_assert_cmpstr (c->source, ==, expected[i]);
    switch (i) {
      case 0:
        g_clear_pointer (&s->access_key, g_free);
        g_clear_pointer (&s->secret_key, g_free);
        break;
      case 1:
        g_setenv ("AWS_ACCESS_KEY_ID", "", TRUE);
        g_setenv ("AWS_SECRET_ACCESS_KEY", "", TRUE);
        break;
      case 2:
        g_setenv ("AWS_WEB_IDENTITY_TOKEN_FILE", "", TRUE);
        break;
      case 3:
        g_setenv ("AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/mediatag/creds", TRUE);
        break;
      case 4:
        g_setenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "", TRUE);
        break;
    }
  }
  g_unlink (token);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  mt_core_init ();
  mt_test_aws_env_init ();

  g_test_add_func ("/chain/properties-win", test_properties_win);
  g_test_add_func ("/chain/properties-partial", test_properties_partial);
  g_test_add_func ("/chain/environment", test_environment);
  g_test_add_func ("/chain/environment-partial", test_environment_partial);
  g_test_add_func ("/chain/profile-default", test_profile_default);
  g_test_add_func ("/chain/profile-named", test_profile_named);
  g_test_add_func ("/chain/profile-credentials-file-wins",
      test_profile_credentials_file_wins);
  g_test_add_func ("/chain/profile-errors", test_profile_errors);
  g_test_add_func ("/chain/assume-role-config-errors",
      test_assume_role_config_errors);
  g_test_add_func ("/chain/no-credentials", test_no_credentials);
  g_test_add_func ("/chain/sso-config-errors", test_sso_config_errors);
  g_test_add_func ("/process/ok", test_process_ok);
  g_test_add_func ("/process/quoting", test_process_quoting);
  g_test_add_func ("/process/fails", test_process_fails);
  g_test_add_func ("/process/bad-output", test_process_bad_output);
  g_test_add_func ("/process/refresh", test_process_refresh);
  g_test_add_func ("/process/refresh-does-not-block",
      test_process_refresh_does_not_block);
  g_test_add_func ("/ecs/full-uri-rules", test_ecs_full_uri_rules);
  g_test_add_func ("/net/imds", test_net_imds);
  g_test_add_func ("/net/imds-disabled", test_net_imds_disabled);
  g_test_add_func ("/net/imds-v1-fallback", test_net_imds_v1_fallback);
  g_test_add_func ("/net/imds-refresh", test_net_imds_refresh);
  g_test_add_func ("/net/threads", test_net_threads);
  g_test_add_func ("/net/ecs", test_net_ecs);
  g_test_add_func ("/net/ecs-retries", test_net_ecs_retries);
  g_test_add_func ("/net/ecs-token-file", test_net_ecs_token_file);
  g_test_add_func ("/net/web-identity", test_net_web_identity);
  g_test_add_func ("/net/web-identity-profile", test_net_web_identity_profile);
  g_test_add_func ("/net/assume-role", test_net_assume_role);
  g_test_add_func ("/net/assume-role-credential-source",
      test_net_assume_role_credential_source);
  g_test_add_func ("/net/sso", test_net_sso);
  g_test_add_func ("/net/precedence", test_net_precedence);
  return g_test_run ();
}
