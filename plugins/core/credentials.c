/* The AWS credential provider chain (see credentials.h): each source is one
 * fetch function; the provider walks them in the SDKs' order, remembers
 * which one answered, and asks that one again when the credentials come
 * within MT_CREDENTIALS_REFRESH_MARGIN_S of expiring.
 *
 * A fetch function returns credentials, or NULL without an error when its
 * source is not configured here (the chain goes on), or NULL with an error
 * when it is configured but failed (the chain stops: a broken
 * credential_process must not silently fall through to other identities).
 *
 * Secrets are never logged and never put in error messages: not the secret
 * key, the session token, the web identity token, the IMDS token, the ECS
 * authorization token, nor what a credential_process prints on stdout. */
#include "credentials.h"
#include "retry.h"
#include "awsconfig.h"
#include "awserror.h"
#include "core.h"
#include "http.h"
#include "sigv4.h"

#include <string.h>
#include <json-glib/json-glib.h>

#define GST_CAT_DEFAULT mt_core_debug

/* Credentials this close to expiring are refreshed (the SDKs use 5 to 15
 * minutes): a request signed now must still be valid when it arrives. */
#define MT_CREDENTIALS_REFRESH_MARGIN_S (5 * 60)

/* IMDS is only there on EC2: elsewhere its address does not answer, and a
 * user without credentials must not wait long to learn it. */
#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_IPV6_ENDPOINT "http://[fd00:ec2::254]"
#define IMDS_TOKEN_TTL_S "21600"
#define IMDS_CONNECT_TIMEOUT_MS 1000
#define IMDS_REQUEST_TIMEOUT_MS 3000

#define ECS_RELATIVE_HOST "http://169.254.170.2"
#define ECS_CONNECT_TIMEOUT_MS 2000
#define ECS_REQUEST_TIMEOUT_MS 5000
/* The container agent may not answer yet when the task starts: botocore
 * tries three times, a second apart; so do we (with retry.h's jitter). */
#define ECS_ATTEMPTS 3
#define ECS_RETRY_DELAY_MS 1000
/* IMDS role credentials, once IMDS answered for its token: botocore's
 * instance-metadata fetcher retries a few times, briefly. */
#define IMDS_ATTEMPTS 3
#define IMDS_RETRY_DELAY_MS 200
/* No credential fetch may hold a pipeline's start for longer. */
#define FETCH_BUDGET_MS 30000

#define STS_API_VERSION "2011-06-15"

/* The chars of an access key id a log may show. */
#define KEY_ID_SHOWN 4

/* How many source_profile hops a role may take: beyond, it is a loop. */
#define MAX_SOURCE_PROFILE_DEPTH 5

struct _MtCredentialsProvider
{
  MtAwsSettings settings;
  GMutex lock;
  GCond refreshed;
  gboolean refreshing;          /* one refresh at a time, made unlocked */
  MtCredentials *cached;
  gint source;                  /* index in chain[] of cached; -1: none;
                                 * only the refreshing thread touches it */
};

typedef MtCredentials *(*MtFetchFunc) (MtCredentialsProvider * p,
    GCancellable * cancellable, GError ** error);

/* --- MtCredentials --- */

static void
secret_free (gchar * secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

MtCredentials *
mt_credentials_new (const gchar * access_key_id,
    const gchar * secret_access_key, const gchar * session_token,
    gint64 expiration, const gchar * source)
{
  MtCredentials *c = g_new0 (MtCredentials, 1);

  c->ref_count = 1;
  c->access_key_id = g_strdup (access_key_id);
  c->secret_access_key = g_strdup (secret_access_key);
  c->session_token = (session_token != NULL && *session_token != '\0') ?
      g_strdup (session_token) : NULL;
  c->expiration = expiration;
  c->source = g_strdup (source);
  return c;
}

MtCredentials *
mt_credentials_ref (MtCredentials * creds)
{
  g_atomic_int_inc (&creds->ref_count);
  return creds;
}

void
mt_credentials_unref (MtCredentials * creds)
{
  if (creds == NULL || !g_atomic_int_dec_and_test (&creds->ref_count))
    return;
  g_free (creds->access_key_id);
  secret_free (creds->secret_access_key);
  secret_free (creds->session_token);
  g_free (creds->source);
  g_free (creds);
}

/* "...WXYZ": enough to tell keys apart in a log, no more. */
gchar *
mt_credentials_key_id_hint (const MtCredentials * creds)
{
  const gchar *key_id = creds->access_key_id;
  gsize n = strlen (key_id);

  if (n < 3 * KEY_ID_SHOWN)
    return g_strdup ("(short key id)");
  return g_strconcat ("...", key_id + n - KEY_ID_SHOWN, NULL);
}

static gchar *
trimmed_file_contents (const gchar * path, const gchar * what, GError ** error)
{
  g_autofree gchar *expanded = mt_aws_expand_home (path);
  g_autoptr (GError) err = NULL;
  gchar *text = NULL;

  if (!g_file_get_contents (expanded, &text, NULL, &err)) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Cannot read the %s: %s", what, err->message);
    return NULL;
  }
  return g_strstrip (text);
}

/* --- ISO 8601 times (Expiration fields) --- */

static gboolean
parse_expiration (const gchar * text, gint64 * out)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) dt = NULL;

  if (text == NULL)
    return FALSE;
  dt = g_date_time_new_from_iso8601 (text, utc);
  if (dt == NULL)
    return FALSE;
  *out = g_date_time_to_unix (dt);
  return TRUE;
}

/* --- credentials in JSON: ECS, IMDS, credential_process --- */

static const gchar *
json_member_string (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

/* `token_member` is "Token" for ECS and IMDS, "SessionToken" for
 * credential_process. `what` names the source in errors. */
static MtCredentials *
credentials_from_json (JsonObject * o, const gchar * token_member,
    const gchar * source, const gchar * what, GError ** error)
{
  const gchar *key_id = json_member_string (o, "AccessKeyId");
  const gchar *secret = json_member_string (o, "SecretAccessKey");
  const gchar *expiration = json_member_string (o, "Expiration");
  gint64 expires = 0;

  if (key_id == NULL || *key_id == '\0' || secret == NULL || *secret == '\0') {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "%s gave no AccessKeyId or SecretAccessKey", what);
    return NULL;
  }
  if (expiration != NULL && !parse_expiration (expiration, &expires)) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "%s gave an Expiration that is not an ISO 8601 time: '%s'", what,
        expiration);
    return NULL;
  }
  return mt_credentials_new (key_id, secret,
      json_member_string (o, token_member), expires, source);
}

static JsonObject *
parse_json_object (const gchar * data, gssize len, const gchar * what,
    GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  /* The parser's own message could quote the text, i.e. a secret. */
  if (!json_parser_load_from_data (parser, data, len, NULL)
      || (root = json_parser_get_root (parser)) == NULL
      || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "%s did not answer with a JSON object", what);
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

/* --- HTTP for the metadata endpoints and STS --- */

static MtHttpResponse *
http_call (const MtAwsSettings * s, MtHttpRequest * req, guint connect_ms,
    guint total_ms, GCancellable * cancellable, GError ** error)
{
  MtHttpOptions opts = { 0, };
  g_autoptr (MtHttpClient) client = NULL;
  MtHttpResponse *resp = NULL;

  opts.connect_timeout_ms = connect_ms;
  opts.request_timeout_ms = total_ms;
  opts.tls_verify = s->tls_verify;
  opts.ca_file = s->ca_file;
  client = mt_http_client_new (&opts);
  if (!mt_http_client_send (client, req, NULL, NULL, &resp, cancellable, error))
    return NULL;
  return resp;
}

static gchar *
response_text (const MtHttpResponse * resp)
{
  gsize len = 0;
  const gchar *data;

  if (resp->body == NULL)
    return g_strdup ("");
  data = g_bytes_get_data (resp->body, &len);
  return g_strndup (data, len);
}

/* GBytes are read-only by contract; these (a response body, a process's
 * stdout) are ours alone and hold secrets, so they are cleared in place
 * before they are freed. */
static void
wipe_bytes (GBytes * bytes)
{
  gsize len = 0;
  gpointer data;

  if (bytes == NULL)
    return;
  data = (gpointer) g_bytes_get_data (bytes, &len);
  if (data != NULL)
    explicit_bzero (data, len);
}

static void
wipe_response (MtHttpResponse * resp)
{
  if (resp != NULL)
    wipe_bytes (resp->body);
}

static void
wipe_and_free_response (MtHttpResponse * resp)
{
  wipe_response (resp);
  mt_http_response_free (resp);
}

typedef MtHttpResponse MtSecretResponse;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtSecretResponse, wipe_and_free_response);

/* --- properties and environment --- */

static MtCredentials *
fetch_properties (MtCredentialsProvider * p, GCancellable * cancellable,
    GError ** error)
{
  const MtAwsSettings *s = &p->settings;

  if (s->access_key == NULL && s->secret_key == NULL)
    return NULL;
  if (s->access_key == NULL || s->secret_key == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Only one of the access-key and secret-key properties is set: "
        "set both, or neither to use the environment or a profile");
    return NULL;
  }
  return mt_credentials_new (s->access_key, s->secret_key, s->session_token,
      0, "properties");
}

static MtCredentials *
fetch_environment (MtCredentialsProvider * p, GCancellable * cancellable,
    GError ** error)
{
  const gchar *key_id = mt_aws_getenv ("AWS_ACCESS_KEY_ID");
  const gchar *secret = mt_aws_getenv ("AWS_SECRET_ACCESS_KEY");

  if (key_id == NULL && secret == NULL)
    return NULL;
  if (key_id == NULL || secret == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set in "
        "the environment: set both, or unset both");
    return NULL;
  }
  return mt_credentials_new (key_id, secret,
      mt_aws_getenv ("AWS_SESSION_TOKEN"), 0, "environment");
}

/* --- web identity: STS AssumeRoleWithWebIdentity --- */

/* Collects the text of the few STS response elements we read. */
typedef struct
{
  GHashTable *fields;
  GString *text;
} MtStsXml;

static const gchar *const sts_fields[] = {
  "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration",
  "Code", "Message", NULL
};

static void
sts_start (GMarkupParseContext * ctx, const gchar * name,
    const gchar ** attr_names, const gchar ** attr_values, gpointer data,
    GError ** error)
{
  MtStsXml *x = data;

  g_string_truncate (x->text, 0);
}

static void
sts_end (GMarkupParseContext * ctx, const gchar * name, gpointer data,
    GError ** error)
{
  MtStsXml *x = data;

  if (g_strv_contains (sts_fields, name))
    g_hash_table_replace (x->fields, g_strdup (name),
        g_strstrip (g_strdup (x->text->str)));
  explicit_bzero (x->text->str, x->text->len);
  g_string_truncate (x->text, 0);
}

static void
sts_text (GMarkupParseContext * ctx, const gchar * text, gsize len,
    gpointer data, GError ** error)
{
  MtStsXml *x = data;

  g_string_append_len (x->text, text, len);
}

static void
value_free (gpointer v)
{
  secret_free (v);
}

/* element name -> text, or NULL when the body is not XML. */
static GHashTable *
sts_parse (const MtHttpResponse * resp)
{
  static const GMarkupParser parser = { sts_start, sts_end, sts_text, NULL,
    NULL
  };
  MtStsXml x;
  GMarkupParseContext *ctx;
  gsize len = 0;
  const gchar *data;
  gboolean ok;

  if (resp->body == NULL)
    return NULL;
  data = g_bytes_get_data (resp->body, &len);
  x.fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      value_free);
  x.text = g_string_new (NULL);
  ctx = g_markup_parse_context_new (&parser, 0, &x, NULL);
  ok = g_markup_parse_context_parse (ctx, data, len, NULL)
      && g_markup_parse_context_end_parse (ctx, NULL);
  g_markup_parse_context_free (ctx);
  explicit_bzero (x.text->str, x.text->allocated_len);
  g_string_free (x.text, TRUE);
  if (!ok)
    g_clear_pointer (&x.fields, g_hash_table_unref);
  return x.fields;
}

static void
set_sts_error (const MtHttpResponse * resp, GHashTable * fields,
    const gchar * what, const gchar * endpoint, GError ** error)
{
  const gchar *code = fields ? g_hash_table_lookup (fields, "Code") : NULL;
  const gchar *message = fields ?
      g_hash_table_lookup (fields, "Message") : NULL;
  MtAwsErrorCode kind = MT_AWS_ERROR_AUTH;
  MtRetryClass retry = mt_retry_classify_answer (resp->status, code);

  if (retry == MT_RETRY_THROTTLED)
    kind = MT_AWS_ERROR_THROTTLED;
  else if (retry == MT_RETRY_TRANSIENT)
    kind = MT_AWS_ERROR_SERVER;
  else if (g_strcmp0 (code, "AccessDenied") == 0)
    kind = MT_AWS_ERROR_ACCESS_DENIED;
  g_set_error (error, MT_AWS_ERROR, kind, "%s at %s failed: %s: %s (HTTP %u)",
      what, endpoint, code ? code : "no error code",
      message ? message : "no message", resp->status);
}

static MtCredentials *
sts_credentials (GHashTable * fields, const gchar * what,
    const gchar * source, const gchar * endpoint, GError ** error)
{
  const gchar *key_id = g_hash_table_lookup (fields, "AccessKeyId");
  const gchar *secret = g_hash_table_lookup (fields, "SecretAccessKey");
  gint64 expires = 0;

  if (key_id == NULL || secret == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "%s: the answer of %s holds no credentials", what, endpoint);
    return NULL;
  }
  parse_expiration (g_hash_table_lookup (fields, "Expiration"), &expires);
  return mt_credentials_new (key_id, secret,
      g_hash_table_lookup (fields, "SessionToken"), expires, source);
}

/* --- STS query-protocol calls (AssumeRoleWithWebIdentity, AssumeRole) --- */

static void
form_append (GString * form, const gchar * key, const gchar * value)
{
  g_autofree gchar *encoded = NULL;

  if (value == NULL)
    return;
  encoded = mt_uri_encode (value, FALSE);
  g_string_append_printf (form, "%s%s=%s", form->len ? "&" : "", key, encoded);
  explicit_bzero (encoded, strlen (encoded));
}

/* The form may hold a token: its bytes are wiped when released. Sized up
 * front so that growing it leaves no copy behind. */
static GString *
form_new (const gchar * action, const gchar * role_arn,
    const gchar * session_name, gsize room)
{
  GString *form = g_string_sized_new (1024 + 3 * room);
  g_autofree gchar *session = NULL;

  /* The SDKs name unnamed sessions after themselves and the time. */
  if (session_name == NULL)
    session = g_strdup_printf ("mediatag-%" G_GINT64_FORMAT,
        g_get_real_time () / G_USEC_PER_SEC);
  form_append (form, "Action", action);
  form_append (form, "Version", STS_API_VERSION);
  form_append (form, "RoleArn", role_arn);
  form_append (form, "RoleSessionName", session_name ? session_name : session);
  return form;
}

static GBytes *
form_to_bytes (GString * form)
{
  gsize len = form->len;
  gchar *data = g_string_free (form, FALSE);

  return g_bytes_new_with_free_func (data, len,
      (GDestroyNotify) secret_free, data);
}

/* One attempt at a credential fetch. */
typedef MtCredentials *(*FetchAttempt) (gpointer data,
    GCancellable * cancellable, GError ** error);

/* A credential fetch under the retry policy of retry.h: throttling, 5xx
 * and network errors are tried again after a jittered backoff from
 * `base_ms`, within `attempts` and FETCH_BUDGET_MS. */
static MtCredentials *
fetch_with_retries (const gchar * what, guint attempts, guint base_ms,
    FetchAttempt attempt, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  MtRetryPolicy policy;
  MtRetryState state;

  mt_retry_policy_init (&policy, attempts - 1);
  policy.base_ms = base_ms;
  policy.budget_ms = FETCH_BUDGET_MS;
  mt_retry_state_init (&state, &policy);
  for (;;) {
    GError *local = NULL;
    MtCredentials *creds = attempt (data, cancellable, &local);
    gint64 delay;

    if (creds != NULL)
      return creds;
    delay = mt_retry_next_delay (&state, mt_retry_classify (local), -1);
    if (delay < 0) {
      g_propagate_error (error, local);
      return NULL;
    }
    GST_DEBUG ("%s, attempt %u of %u: %s", what, state.attempts,
        policy.max_attempts, local->message);
    g_error_free (local);
    if (!mt_retry_wait (delay, cancellable, error))
      return NULL;
  }
}

/* One STS call, signed with `signer` or, without, unsigned. `what` starts
 * the error messages, `source` names the credentials it returns. */
static MtCredentials *
sts_call_once (const MtAwsSettings * s, GBytes * body,
    const MtCredentials * signer, const gchar * what, const gchar * source,
    GCancellable * cancellable, GError ** error)
{
  /* The element's endpoint property is its own service's, never STS's. */
  MtAwsSettings sts = *s;
  g_autofree gchar *region = mt_aws_resolve_region (s, NULL);
  g_autofree gchar *endpoint = NULL;
  g_autofree gchar *url = NULL;
  g_autoptr (MtHttpRequest) req = NULL;
  g_autoptr (MtSecretResponse) resp = NULL;
  g_autoptr (GHashTable) fields = NULL;

  sts.endpoint = NULL;
  endpoint = mt_aws_resolve_endpoint (&sts, "STS", "sts", region);
  url = g_strconcat (endpoint, "/", NULL);
  req = mt_http_request_new ("POST", url);
  mt_http_request_set_header (req, "Content-Type",
      "application/x-www-form-urlencoded; charset=utf-8");
  mt_http_request_set_body (req, body);
  if (signer != NULL) {
    /* The global endpoint signs for us-east-1. */
    MtSigV4Params params = { region ? region : "us-east-1", "sts", 0, TRUE,
      MT_SIGV4_PAYLOAD_SIGNED, FALSE, FALSE
    };

    if (!mt_sigv4_sign (req, signer, &params, NULL, error)) {
      g_prefix_error (error, "%s: ", what);
      return NULL;
    }
  }
  resp = http_call (s, req, ECS_CONNECT_TIMEOUT_MS, s->request_timeout_ms,
      cancellable, error);
  if (resp == NULL) {
    g_prefix_error (error, "%s: ", what);
    return NULL;
  }
  fields = sts_parse (resp);
  if (resp->status != 200) {
    set_sts_error (resp, fields, what, endpoint, error);
    return NULL;
  }
  if (fields == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "%s: %s did not answer with XML", what, endpoint);
    return NULL;
  }
  return sts_credentials (fields, what, source, endpoint, error);
}

typedef struct
{
  const MtAwsSettings *s;
  GBytes *body;
  const MtCredentials *signer;
  const gchar *what, *source;
} StsCall;

static MtCredentials *
sts_attempt (gpointer data, GCancellable * cancellable, GError ** error)
{
  StsCall *c = data;

  return sts_call_once (c->s, c->body, c->signer, c->what, c->source,
      cancellable, error);
}

/* An STS call, signed afresh at each attempt, retried as any AWS call is
 * (the element's `retries`). */
static MtCredentials *
sts_call (const MtAwsSettings * s, GBytes * body, const MtCredentials * signer,
    const gchar * what, const gchar * source, GCancellable * cancellable,
    GError ** error)
{
  StsCall c = { s, body, signer, what, source };

  return fetch_with_retries (what, s->retries + 1, MT_RETRY_BACKOFF_BASE_MS,
      sts_attempt, &c, cancellable, error);
}

/* --- web identity --- */

typedef struct
{
  gchar *token_file;
  gchar *role_arn;
  gchar *session_name;
  const gchar *origin;          /* "environment" or "profile NAME" */
} MtWebIdentity;

static void
web_identity_clear (MtWebIdentity * w)
{
  g_free (w->token_file);
  g_free (w->role_arn);
  g_free (w->session_name);
}

/* AWS_WEB_IDENTITY_TOKEN_FILE first, else the profile's
 * web_identity_token_file; FALSE when neither is set. */
static gboolean
web_identity_config (const MtAwsSettings * s, gchar * profile,
    MtWebIdentity * w)
{
  const gchar *file = mt_aws_getenv ("AWS_WEB_IDENTITY_TOKEN_FILE");

  if (file != NULL) {
    w->token_file = g_strdup (file);
    w->role_arn = g_strdup (mt_aws_getenv ("AWS_ROLE_ARN"));
    w->session_name = g_strdup (mt_aws_getenv ("AWS_ROLE_SESSION_NAME"));
    w->origin = "environment";
    return TRUE;
  }
  w->token_file = mt_aws_profile_get (profile, "web_identity_token_file",
      FALSE);
  if (w->token_file == NULL)
    return FALSE;
  w->role_arn = mt_aws_profile_get (profile, "role_arn", FALSE);
  w->session_name = mt_aws_profile_get (profile, "role_session_name", FALSE);
  w->origin = "profile";
  return TRUE;
}

static MtCredentials *
assume_role_with_web_identity (const MtAwsSettings * s,
    const MtWebIdentity * w, GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *token = NULL;
  g_autoptr (GBytes) body = NULL;
  GString *form;

  token = trimmed_file_contents (w->token_file, "web identity token file",
      error);
  if (token == NULL)
    return NULL;
  form = form_new ("AssumeRoleWithWebIdentity", w->role_arn, w->session_name,
      strlen (token));
  form_append (form, "WebIdentityToken", token);
  explicit_bzero (token, strlen (token));
  body = form_to_bytes (form);
  /* Unsigned: the token is the proof of identity. */
  return sts_call (s, body, NULL, "Web identity: STS AssumeRoleWithWebIdentity",
      "web identity", cancellable, error);
}

static MtCredentials *
fetch_web_identity (MtCredentialsProvider * p, GCancellable * cancellable,
    GError ** error)
{
  g_autofree gchar *profile = mt_aws_profile_name (&p->settings);
  MtWebIdentity w = { 0, };
  MtCredentials *creds = NULL;

  if (!web_identity_config (&p->settings, profile, &w))
    return NULL;
  if (w.role_arn == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Web identity: a token file is set in the %s but no role ARN: set %s",
        w.origin, g_str_equal (w.origin, "environment") ? "AWS_ROLE_ARN" :
        "role_arn in the profile");
  } else {
    creds = assume_role_with_web_identity (&p->settings, &w, cancellable,
        error);
  }
  web_identity_clear (&w);
  return creds;
}

/* --- shared files: static keys and credential_process --- */

static MtCredentials *
profile_static_keys (const gchar * profile, gboolean from_credentials,
    GError ** error)
{
  g_autofree gchar *key_id = mt_aws_profile_get (profile, "aws_access_key_id",
      from_credentials);
  gchar *secret = mt_aws_profile_get (profile, "aws_secret_access_key",
      from_credentials);
  gchar *token = mt_aws_profile_get (profile, "aws_session_token",
      from_credentials);
  g_autofree gchar *source = g_strconcat ("profile ", profile, NULL);
  g_autofree gchar *path = from_credentials ?
      mt_aws_credentials_file_path () : mt_aws_config_file_path ();
  MtCredentials *creds = NULL;

  if (key_id != NULL && secret != NULL)
    creds = mt_credentials_new (key_id, secret, token, 0, source);
  else if (key_id != NULL || secret != NULL)
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Profile '%s' in %s has only one of aws_access_key_id and "
        "aws_secret_access_key: set both", profile, path);
  secret_free (secret);
  secret_free (token);
  return creds;
}

/* stderr of a failed process, short enough for an error message. */
static gchar *
stderr_excerpt (GBytes * err_bytes)
{
  gsize len = 0;
  const gchar *data = err_bytes ? g_bytes_get_data (err_bytes, &len) : NULL;
  gchar *text;

  if (len == 0)
    return g_strdup ("(nothing on stderr)");
  text = g_utf8_make_valid (data, MIN (len, 1024));
  return g_strstrip (text);
}

static gboolean
check_process_exit (GSubprocess * proc, GBytes * err_bytes,
    const gchar * profile, GError ** error)
{
  g_autofree gchar *excerpt = NULL;

  if (g_subprocess_get_if_exited (proc)
      && g_subprocess_get_exit_status (proc) == 0)
    return TRUE;
  excerpt = stderr_excerpt (err_bytes);
  if (g_subprocess_get_if_exited (proc))
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "The credential_process of profile '%s' exited with status %d: %s",
        profile, g_subprocess_get_exit_status (proc), excerpt);
  else
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "The credential_process of profile '%s' was killed by signal %d: %s",
        profile, g_subprocess_get_term_sig (proc), excerpt);
  return FALSE;
}

static MtCredentials *
process_output_credentials (GBytes * out, const gchar * profile,
    GError ** error)
{
  g_autofree gchar *what =
      g_strdup_printf ("The credential_process of profile '%s'", profile);
  g_autofree gchar *source =
      g_strdup_printf ("credential_process (profile %s)", profile);
  g_autoptr (JsonObject) o = NULL;
  gsize len = 0;
  const gchar *data = g_bytes_get_data (out, &len);
  JsonNode *version;

  o = parse_json_object (data, len, what, error);
  if (o == NULL)
    return NULL;
  version = json_object_get_member (o, "Version");
  if (version == NULL || json_node_get_value_type (version) != G_TYPE_INT64
      || json_node_get_int (version) != 1) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "%s printed JSON without \"Version\": 1", what);
    return NULL;
  }
  return credentials_from_json (o, "SessionToken", source, what, error);
}

/* The command line is split as a POSIX shell would (quotes, backslashes)
 * but run directly, never by a shell: botocore does the same, and nothing
 * in the profile or the environment can then inject shell syntax. */
static MtCredentials *
run_credential_process (const gchar * command, const gchar * profile,
    GCancellable * cancellable, GError ** error)
{
  g_auto (GStrv) argv = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GBytes) out = NULL;
  g_autoptr (GBytes) err = NULL;
  g_autoptr (GError) local = NULL;
  MtCredentials *creds;

  if (!g_shell_parse_argv (command, NULL, &argv, &local)) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "The credential_process of profile '%s' is not a valid command "
        "line: %s", profile, local->message);
    return NULL;
  }
  proc = g_subprocess_newv ((const gchar * const *) argv,
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &local);
  if (proc == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "The credential_process of profile '%s' cannot be started: %s",
        profile, local->message);
    return NULL;
  }
  GST_DEBUG ("running the credential_process of profile '%s'", profile);
  if (!g_subprocess_communicate (proc, NULL, cancellable, &out, &err, error)) {
    g_prefix_error (error, "The credential_process of profile '%s': ", profile);
    g_subprocess_force_exit (proc);
    return NULL;
  }
  if (!check_process_exit (proc, err, profile, error))
    creds = NULL;
  else
    creds = process_output_credentials (out, profile, error);
  wipe_bytes (out);
  return creds;
}

static MtCredentials *
profile_credential_process (const gchar * profile, GCancellable * cancellable,
    GError ** error)
{
  g_autofree gchar *command = mt_aws_profile_get (profile,
      "credential_process", TRUE);

  if (command == NULL)
    command = mt_aws_profile_get (profile, "credential_process", FALSE);
  if (command == NULL)
    return NULL;
  return run_credential_process (command, profile, cancellable, error);
}

/* A profile asked for by name must exist; "default" may be absent. */
static gboolean
check_profile_exists (const MtAwsSettings * s, const gchar * profile,
    GError ** error)
{
  g_autofree gchar *config = NULL;
  g_autofree gchar *credentials = NULL;

  if (mt_aws_profile_exists (profile))
    return TRUE;
  if ((s->profile == NULL && mt_aws_getenv ("AWS_PROFILE") == NULL)
      || g_str_equal (profile, "default"))
    return FALSE;
  config = mt_aws_config_file_path ();
  credentials = mt_aws_credentials_file_path ();
  g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
      "AWS profile '%s' is in neither %s nor %s", profile, credentials, config);
  return FALSE;
}

/* --- IAM Identity Center (SSO): the token `aws sso login` caches --- */

typedef struct
{
  gchar *start_url;
  gchar *region;
  gchar *account_id;
  gchar *role_name;
  gchar *cache_key;             /* sso_session name, or the legacy start URL */
} MtSsoConfig;

static void
sso_config_clear (MtSsoConfig * c)
{
  g_free (c->start_url);
  g_free (c->region);
  g_free (c->account_id);
  g_free (c->role_name);
  g_free (c->cache_key);
}

/* FALSE without an error when the profile does not use SSO. */
static gboolean
sso_config (const gchar * profile, MtSsoConfig * c, GError ** error)
{
  g_autofree gchar *session = mt_aws_profile_get (profile, "sso_session",
      FALSE);
  const gchar *missing = NULL;

  if (session != NULL) {
    c->start_url = mt_aws_config_get ("sso-session", session, "sso_start_url");
    c->region = mt_aws_config_get ("sso-session", session, "sso_region");
    c->cache_key = g_steal_pointer (&session);
  } else {
    c->start_url = mt_aws_profile_get (profile, "sso_start_url", FALSE);
    if (c->start_url == NULL)
      return FALSE;
    c->region = mt_aws_profile_get (profile, "sso_region", FALSE);
    c->cache_key = g_strdup (c->start_url);
  }
  c->account_id = mt_aws_profile_get (profile, "sso_account_id", FALSE);
  c->role_name = mt_aws_profile_get (profile, "sso_role_name", FALSE);
  if (c->start_url == NULL)
    missing = "sso_start_url";
  else if (c->region == NULL)
    missing = "sso_region";
  else if (c->account_id == NULL)
    missing = "sso_account_id";
  else if (c->role_name == NULL)
    missing = "sso_role_name";
  if (missing != NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Profile '%s' uses IAM Identity Center but has no %s", profile,
        missing);
    return FALSE;
  }
  return TRUE;
}

/* The access token of ~/.aws/sso/cache/<sha1 of the cache key>.json. This
 * does not refresh it (sso-oidc CreateToken): `aws sso login` does. */
static gchar *
sso_cached_token (const MtSsoConfig * c, const gchar * profile, GError ** error)
{
  g_autofree gchar *hash =
      g_compute_checksum_for_string (G_CHECKSUM_SHA1, c->cache_key, -1);
  g_autofree gchar *name = g_strconcat (hash, ".json", NULL);
  g_autofree gchar *path = g_build_filename (g_get_home_dir (), ".aws", "sso",
      "cache", name, NULL);
  g_autofree gchar *text = NULL;
  g_autoptr (JsonObject) o = NULL;
  gsize len = 0;
  gint64 expires = 0;
  const gchar *token;

  if (!g_file_get_contents (path, &text, &len, NULL)) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_AUTH,
        "Profile '%s': no IAM Identity Center token in %s: run "
        "`aws sso login --profile %s`", profile, path, profile);
    return NULL;
  }
  o = parse_json_object (text, len, "The IAM Identity Center token cache",
      error);
  explicit_bzero (text, len);
  if (o == NULL)
    return NULL;
  token = json_member_string (o, "accessToken");
  if (token == NULL
      || !parse_expiration (json_member_string (o, "expiresAt"), &expires)
      || expires <= g_get_real_time () / G_USEC_PER_SEC) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_AUTH,
        "Profile '%s': the IAM Identity Center token in %s has expired: run "
        "`aws sso login --profile %s`", profile, path, profile);
    return NULL;
  }
  return g_strdup (token);
}

static MtCredentials *
sso_credentials_from_json (JsonObject * o, const gchar * profile,
    GError ** error)
{
  JsonNode *node = json_object_get_member (o, "roleCredentials");
  g_autofree gchar *source = g_strdup_printf ("sso (profile %s)", profile);
  JsonObject *rc;
  const gchar *key_id, *secret;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "Profile '%s': IAM Identity Center answered without roleCredentials",
        profile);
    return NULL;
  }
  rc = json_node_get_object (node);
  key_id = json_member_string (rc, "accessKeyId");
  secret = json_member_string (rc, "secretAccessKey");
  if (key_id == NULL || secret == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "Profile '%s': IAM Identity Center gave no accessKeyId or "
        "secretAccessKey", profile);
    return NULL;
  }
  /* Unlike the other sources, a number: milliseconds since the epoch. */
  return mt_credentials_new (key_id, secret,
      json_member_string (rc, "sessionToken"),
      json_object_get_int_member_with_default (rc, "expiration", 0) / 1000,
      source);
}

/* SSO GetRoleCredentials: GET /federation/credentials on the portal. */
static MtCredentials *
sso_role_credentials (const MtAwsSettings * s, const MtSsoConfig * c,
    const gchar * token, const gchar * profile, GCancellable * cancellable,
    GError ** error)
{
  MtAwsSettings portal = *s;
  g_autofree gchar *endpoint = NULL;
  g_autofree gchar *account = mt_uri_encode (c->account_id, FALSE);
  g_autofree gchar *role = mt_uri_encode (c->role_name, FALSE);
  g_autofree gchar *url = NULL;
  g_autofree gchar *text = NULL;
  g_autoptr (MtHttpRequest) req = NULL;
  g_autoptr (MtSecretResponse) resp = NULL;
  g_autoptr (JsonObject) o = NULL;

  portal.endpoint = NULL;
  endpoint = mt_aws_resolve_endpoint (&portal, "SSO", "portal.sso", c->region);
  url = g_strdup_printf ("%s/federation/credentials?account_id=%s&"
      "role_name=%s", endpoint, account, role);
  req = mt_http_request_new ("GET", url);
  mt_http_request_set_header (req, "x-amz-sso_bearer_token", token);
  resp = http_call (s, req, ECS_CONNECT_TIMEOUT_MS, s->request_timeout_ms,
      cancellable, error);
  if (resp == NULL) {
    g_prefix_error (error, "Profile '%s': IAM Identity Center: ", profile);
    return NULL;
  }
  if (resp->status != 200) {
    g_set_error (error, MT_AWS_ERROR, resp->status >= 500 ?
        MT_AWS_ERROR_SERVER : MT_AWS_ERROR_AUTH,
        "Profile '%s': IAM Identity Center at %s refused the role "
        "credentials (HTTP %u): run `aws sso login --profile %s`", profile,
        endpoint, resp->status, profile);
    return NULL;
  }
  text = response_text (resp);
  o = parse_json_object (text, -1, "IAM Identity Center", error);
  explicit_bzero (text, strlen (text));
  if (o == NULL)
    return NULL;
  return sso_credentials_from_json (o, profile, error);
}

static MtCredentials *
profile_sso (MtCredentialsProvider * p, const gchar * profile,
    GCancellable * cancellable, GError ** error)
{
  MtSsoConfig c = { 0, };
  gchar *token = NULL;
  MtCredentials *creds = NULL;

  if (sso_config (profile, &c, error))
    token = sso_cached_token (&c, profile, error);
  if (token != NULL)
    creds = sso_role_credentials (&p->settings, &c, token, profile,
        cancellable, error);
  secret_free (token);
  sso_config_clear (&c);
  return creds;
}

/* credential_source names one of the chain's own sources. */
static MtFetchFunc credential_source_fetch (const gchar * name);

static MtCredentials *profile_credentials (MtCredentialsProvider * p,
    const gchar * profile, guint depth, GCancellable * cancellable,
    GError ** error);

static MtCredentials *
credential_source_credentials (MtCredentialsProvider * p,
    const gchar * profile, const gchar * name, GCancellable * cancellable,
    GError ** error)
{
  MtFetchFunc fetch = credential_source_fetch (name);
  GError *local = NULL;
  MtCredentials *creds;

  if (fetch == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Profile '%s': credential_source '%s' is none of Environment, "
        "Ec2InstanceMetadata and EcsContainer", profile, name);
    return NULL;
  }
  creds = fetch (p, cancellable, &local);
  if (creds == NULL && local == NULL)
    g_set_error (&local, MT_AWS_ERROR, MT_AWS_ERROR_NO_CREDENTIALS,
        "Profile '%s': its credential_source %s gave no credentials",
        profile, name);
  if (local != NULL)
    g_propagate_error (error, local);
  return creds;
}

static MtCredentials *
own_static_keys (const gchar * profile, GError ** error)
{
  GError *local = NULL;
  MtCredentials *creds = profile_static_keys (profile, TRUE, &local);

  if (creds == NULL && local == NULL)
    creds = profile_static_keys (profile, FALSE, &local);
  if (creds == NULL && local == NULL)
    g_set_error (&local, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Profile '%s' is its own source_profile but has no "
        "aws_access_key_id and aws_secret_access_key", profile);
  if (local != NULL)
    g_propagate_error (error, local);
  return creds;
}

/* The credentials a role is assumed with: those of source_profile (which
 * may assume a role itself) or of credential_source. */
static MtCredentials *
role_source_credentials (MtCredentialsProvider * p, const gchar * profile,
    guint depth, GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *source = mt_aws_profile_get (profile, "source_profile",
      FALSE);
  g_autofree gchar *named = mt_aws_profile_get (profile, "credential_source",
      FALSE);
  GError *local = NULL;
  MtCredentials *creds;

  if (source != NULL && named != NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Profile '%s' has both source_profile and credential_source: keep "
        "one", profile);
    return NULL;
  }
  if (named != NULL)
    return credential_source_credentials (p, profile, named, cancellable,
        error);
  if (g_str_equal (source, profile))
    return own_static_keys (profile, error);
  if (depth >= MAX_SOURCE_PROFILE_DEPTH) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Profile '%s': its source_profile chain is longer than %d profiles; "
        "is it a loop?", profile, MAX_SOURCE_PROFILE_DEPTH);
    return NULL;
  }
  creds = profile_credentials (p, source, depth + 1, cancellable, &local);
  if (creds == NULL && local == NULL)
    g_set_error (&local, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Profile '%s': its source_profile '%s' has no credentials", profile,
        source);
  if (local != NULL)
    g_propagate_error (error, local);
  return creds;
}

/* STS AssumeRole, signed with the source credentials. */
static MtCredentials *
assume_role (MtCredentialsProvider * p, const gchar * profile,
    const gchar * role_arn, guint depth, GCancellable * cancellable,
    GError ** error)
{
  g_autofree gchar *mfa = mt_aws_profile_get (profile, "mfa_serial", FALSE);
  g_autofree gchar *session = NULL;
  g_autofree gchar *external_id = NULL;
  g_autofree gchar *duration = NULL;
  g_autofree gchar *what = NULL;
  g_autofree gchar *source = NULL;
  g_autoptr (MtCredentials) signer = NULL;
  g_autoptr (GBytes) body = NULL;
  GString *form;

  if (mfa != NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Profile '%s' needs an MFA code (mfa_serial), which a pipeline "
        "cannot ask for: use a profile without mfa_serial", profile);
    return NULL;
  }
  signer = role_source_credentials (p, profile, depth, cancellable, error);
  if (signer == NULL)
    return NULL;
  session = mt_aws_profile_get (profile, "role_session_name", FALSE);
  external_id = mt_aws_profile_get (profile, "external_id", FALSE);
  duration = mt_aws_profile_get (profile, "duration_seconds", FALSE);
  form = form_new ("AssumeRole", role_arn, session, 0);
  form_append (form, "ExternalId", external_id);
  form_append (form, "DurationSeconds", duration);
  body = form_to_bytes (form);
  what = g_strdup_printf ("Profile '%s': STS AssumeRole", profile);
  source = g_strdup_printf ("assume role (profile %s)", profile);
  return sts_call (&p->settings, body, signer, what, source, cancellable,
      error);
}

/* A source profile may get its credentials from web identity (role_arn
 * with web_identity_token_file), as EKS roles chain. */
static MtCredentials *
profile_web_identity (MtCredentialsProvider * p, const gchar * profile,
    const gchar * role_arn, GCancellable * cancellable, GError ** error)
{
  MtWebIdentity w = { 0, };
  MtCredentials *creds;

  w.token_file = mt_aws_profile_get (profile, "web_identity_token_file", FALSE);
  if (w.token_file == NULL)
    return NULL;
  w.role_arn = g_strdup (role_arn);
  w.session_name = mt_aws_profile_get (profile, "role_session_name", FALSE);
  w.origin = "profile";
  creds = assume_role_with_web_identity (&p->settings, &w, cancellable, error);
  web_identity_clear (&w);
  return creds;
}

/* As in botocore: a role to assume, then SSO, then static keys (the
 * credentials file winning over the config file), then a process. */
static MtCredentials *
profile_credentials (MtCredentialsProvider * p, const gchar * profile,
    guint depth, GCancellable * cancellable, GError ** error)
{
  g_autofree gchar *role_arn = mt_aws_profile_get (profile, "role_arn",
      FALSE);
  GError *local = NULL;
  MtCredentials *creds = NULL;

  if (role_arn != NULL) {
    g_autofree gchar *source = mt_aws_profile_get (profile, "source_profile",
        FALSE);
    g_autofree gchar *named = mt_aws_profile_get (profile,
        "credential_source", FALSE);

    if (source != NULL || named != NULL)
      return assume_role (p, profile, role_arn, depth, cancellable, error);
    /* At the top, the web identity step of the chain did this already. */
    if (depth > 0)
      creds = profile_web_identity (p, profile, role_arn, cancellable, &local);
  }
  if (creds == NULL && local == NULL)
    creds = profile_sso (p, profile, cancellable, &local);
  if (creds == NULL && local == NULL)
    creds = profile_static_keys (profile, TRUE, &local);
  if (creds == NULL && local == NULL)
    creds = profile_static_keys (profile, FALSE, &local);
  if (creds == NULL && local == NULL)
    creds = profile_credential_process (profile, cancellable, &local);
  if (local != NULL)
    g_propagate_error (error, local);
  return creds;
}

static MtCredentials *
fetch_profile (MtCredentialsProvider * p, GCancellable * cancellable,
    GError ** error)
{
  g_autofree gchar *profile = mt_aws_profile_name (&p->settings);

  if (!check_profile_exists (&p->settings, profile, error))
    return NULL;
  return profile_credentials (p, profile, 0, cancellable, error);
}

/* --- ECS container credentials --- */

/* FULL_URI over plain HTTP may only point at this machine or at the
 * container agents' link-local addresses, as the SDKs require. */
static gboolean
ecs_host_allowed (const gchar * host)
{
  static const gchar *const agents[] = {
    "169.254.170.2", "169.254.170.23", "fd00:ec2::23", NULL
  };
  g_autoptr (GInetAddress) addr = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  if (g_strv_contains (agents, host))
    return TRUE;
  addr = g_inet_address_new_from_string (host);
  return addr != NULL && g_inet_address_get_is_loopback (addr);
}

static gchar *
ecs_full_uri (const gchar * full, GError ** error)
{
  g_autoptr (GUri) uri = g_uri_parse (full, G_URI_FLAGS_NONE, NULL);
  const gchar *scheme;

  if (uri == NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL: '%s'", full);
    return NULL;
  }
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return g_strdup (full);
  if (g_ascii_strcasecmp (scheme, "http") == 0
      && ecs_host_allowed (g_uri_get_host (uri)))
    return g_strdup (full);
  g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
      "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a "
      "loopback or container agent address; '%s' is neither", full);
  return NULL;
}

/* The token file wins over the token variable: it is how EKS Pod Identity
 * rotates it. */
static gboolean
ecs_authorization (gchar ** token, GError ** error)
{
  const gchar *file = mt_aws_getenv ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  const gchar *value = mt_aws_getenv ("AWS_CONTAINER_AUTHORIZATION_TOKEN");

  *token = NULL;
  if (file != NULL) {
    *token = trimmed_file_contents (file,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", error);
    if (*token == NULL)
      return FALSE;
  } else if (value != NULL) {
    *token = g_strdup (value);
  }
  if (*token != NULL && strpbrk (*token, "\r\n") != NULL) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "The container authorization token holds a line break");
    g_clear_pointer (token, secret_free);
    return FALSE;
  }
  return TRUE;
}

static MtCredentials *
ecs_request (const MtAwsSettings * s, const gchar * url, const gchar * token,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", url);
  g_autoptr (MtSecretResponse) resp = NULL;
  g_autoptr (JsonObject) o = NULL;
  g_autofree gchar *text = NULL;
  const gchar *what = "The ECS container credentials endpoint";

  mt_http_request_set_header (req, "Accept", "application/json");
  if (token != NULL)
    mt_http_request_set_header (req, "Authorization", token);
  resp = http_call (s, req, ECS_CONNECT_TIMEOUT_MS, ECS_REQUEST_TIMEOUT_MS,
      cancellable, error);
  if (resp == NULL) {
    g_prefix_error (error, "ECS container credentials: ");
    return NULL;
  }
  if (resp->status != 200) {
    g_set_error (error, MT_AWS_ERROR, resp->status >= 500 ?
        MT_AWS_ERROR_SERVER : MT_AWS_ERROR_AUTH,
        "%s answered HTTP %u", what, resp->status);
    return NULL;
  }
  text = response_text (resp);
  o = parse_json_object (text, -1, what, error);
  explicit_bzero (text, strlen (text));
  if (o == NULL)
    return NULL;
  return credentials_from_json (o, "Token", "ecs", what, error);
}

typedef struct
{
  const MtAwsSettings *s;
  const gchar *url, *token;
} EcsCall;

static MtCredentials *
ecs_attempt (gpointer data, GCancellable * cancellable, GError ** error)
{
  EcsCall *c = data;

  return ecs_request (c->s, c->url, c->token, cancellable, error);
}

static MtCredentials *
fetch_ecs (MtCredentialsProvider * p, GCancellable * cancellable,
    GError ** error)
{
  const gchar *relative =
      mt_aws_getenv ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const gchar *full = mt_aws_getenv ("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  g_autofree gchar *url = NULL;
  gchar *token = NULL;
  MtCredentials *creds;

  if (relative != NULL)
    url = g_strconcat (ECS_RELATIVE_HOST, relative[0] == '/' ? "" : "/",
        relative, NULL);
  else if (full != NULL && (url = ecs_full_uri (full, error)) == NULL)
    return NULL;
  if (url == NULL)
    return NULL;
  if (!ecs_authorization (&token, error))
    return NULL;
  {
    EcsCall c = { &p->settings, url, token };

    creds = fetch_with_retries ("ECS container credentials", ECS_ATTEMPTS,
        ECS_RETRY_DELAY_MS, ecs_attempt, &c, cancellable, error);
  }
  secret_free (token);
  return creds;
}

/* --- EC2 instance metadata (IMDSv2) --- */

static gchar *
imds_endpoint (const MtAwsSettings * s)
{
  g_autofree gchar *profile = mt_aws_profile_name (s);
  const gchar *env = mt_aws_getenv ("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  g_autofree gchar *conf = NULL;
  const gchar *mode;
  gchar *url;

  if (env != NULL)
    url = g_strdup (env);
  else if ((conf = mt_aws_profile_get (profile,
              "ec2_metadata_service_endpoint", FALSE)) != NULL)
    url = g_steal_pointer (&conf);
  else if ((mode = mt_aws_getenv ("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"))
      != NULL && g_ascii_strcasecmp (mode, "IPv6") == 0)
    url = g_strdup (IMDS_IPV6_ENDPOINT);
  else
    url = g_strdup (IMDS_DEFAULT_ENDPOINT);
  g_strchomp (url);
  while (g_str_has_suffix (url, "/"))
    url[strlen (url) - 1] = '\0';
  return url;
}

/* One IMDS request; NULL with an error on a transport failure. */
static MtHttpResponse *
imds_send (const MtAwsSettings * s, const gchar * method, const gchar * base,
    const gchar * path, const gchar * token, GCancellable * cancellable,
    GError ** error)
{
  g_autofree gchar *url = g_strconcat (base, path, NULL);
  g_autoptr (MtHttpRequest) req = mt_http_request_new (method, url);

  if (g_str_equal (method, "PUT"))
    mt_http_request_set_header (req, "X-aws-ec2-metadata-token-ttl-seconds",
        IMDS_TOKEN_TTL_S);
  else if (token != NULL)
    mt_http_request_set_header (req, "X-aws-ec2-metadata-token", token);
  return http_call (s, req, IMDS_CONNECT_TIMEOUT_MS, IMDS_REQUEST_TIMEOUT_MS,
      cancellable, error);
}

/* The session token; NULL without an error when IMDS is not there (the
 * chain ends with "no credentials"), or when it only speaks IMDSv1
 * (*v1 set). */
static gchar *
imds_token (const MtAwsSettings * s, const gchar * base, gboolean * v1,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (MtSecretResponse) resp = NULL;
  g_autoptr (GError) local = NULL;

  *v1 = FALSE;
  resp = imds_send (s, "PUT", base, "/latest/api/token", NULL, cancellable,
      &local);
  if (resp == NULL) {
    if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      g_propagate_error (error, g_steal_pointer (&local));
    else
      GST_DEBUG ("no EC2 instance metadata service: %s", local->message);
    return NULL;
  }
  if (resp->status == 200)
    return response_text (resp);
  /* 404/405: an IMDSv1-only service or proxy; 403: IMDS turned off. */
  if (resp->status == 404 || resp->status == 405)
    *v1 = !mt_aws_env_is_true ("AWS_EC2_METADATA_V1_DISABLED");
  else
    GST_DEBUG ("EC2 instance metadata token: HTTP %u", resp->status);
  return NULL;
}

static gchar *
imds_role (const MtAwsSettings * s, const gchar * base, const gchar * token,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (MtHttpResponse) resp = NULL;
  g_autofree gchar *text = NULL;
  gchar *nl;

  resp = imds_send (s, "GET", base,
      "/latest/meta-data/iam/security-credentials/", token, cancellable, error);
  if (resp == NULL)
    return NULL;
  if (resp->status == 404) {
    GST_DEBUG ("this EC2 instance has no IAM role");
    return NULL;
  }
  if (resp->status != 200) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_SERVER,
        "EC2 instance metadata: listing the IAM role answered HTTP %u",
        resp->status);
    return NULL;
  }
  text = g_strstrip (response_text (resp));
  if ((nl = strchr (text, '\n')) != NULL)
    *nl = '\0';
  return *text != '\0' ? g_steal_pointer (&text) : NULL;
}

static MtCredentials *
imds_role_credentials (const MtAwsSettings * s, const gchar * base,
    const gchar * token, const gchar * role, GCancellable * cancellable,
    GError ** error)
{
  const gchar *what = "EC2 instance metadata";
  g_autofree gchar *escaped = mt_uri_encode (role, FALSE);
  g_autofree gchar *path =
      g_strconcat ("/latest/meta-data/iam/security-credentials/", escaped,
      NULL);
  g_autoptr (MtSecretResponse) resp = NULL;
  g_autoptr (JsonObject) o = NULL;
  g_autofree gchar *text = NULL;
  const gchar *code;

  resp = imds_send (s, "GET", base, path, token, cancellable, error);
  if (resp == NULL)
    return NULL;
  if (resp->status != 200) {
    /* Only what may pass later is retried: a missing role will not. */
    g_set_error (error, MT_AWS_ERROR, mt_retry_classify_answer (resp->status,
            NULL) == MT_RETRY_NEVER ? MT_AWS_ERROR_FAILED :
        MT_AWS_ERROR_SERVER, "%s: the credentials of role '%s' answered "
        "HTTP %u", what, role, resp->status);
    return NULL;
  }
  text = response_text (resp);
  o = parse_json_object (text, -1, what, error);
  explicit_bzero (text, strlen (text));
  if (o == NULL)
    return NULL;
  code = json_member_string (o, "Code");
  if (code != NULL && !g_str_equal (code, "Success")) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_FAILED,
        "%s: the credentials of role '%s' are not available: %s", what, role,
        code);
    return NULL;
  }
  return credentials_from_json (o, "Token", "imds", what, error);
}

typedef struct
{
  const MtAwsSettings *s;
  const gchar *base, *token, *role;
} ImdsCall;

static MtCredentials *
imds_attempt (gpointer data, GCancellable * cancellable, GError ** error)
{
  ImdsCall *c = data;

  return imds_role_credentials (c->s, c->base, c->token, c->role,
      cancellable, error);
}

static MtCredentials *
fetch_imds (MtCredentialsProvider * p, GCancellable * cancellable,
    GError ** error)
{
  const MtAwsSettings *s = &p->settings;
  g_autofree gchar *base = NULL;
  g_autofree gchar *role = NULL;
  gchar *token;
  gboolean v1;
  MtCredentials *creds = NULL;
  GError *local = NULL;

  if (mt_aws_env_is_true ("AWS_EC2_METADATA_DISABLED"))
    return NULL;
  base = imds_endpoint (s);
  token = imds_token (s, base, &v1, cancellable, error);
  if (token == NULL && !v1)
    return NULL;
  role = imds_role (s, base, token, cancellable, &local);
  if (role != NULL) {
    ImdsCall c = { s, base, token, role };

    creds = fetch_with_retries ("EC2 instance metadata", IMDS_ATTEMPTS,
        IMDS_RETRY_DELAY_MS, imds_attempt, &c, cancellable, &local);
  }
  secret_free (token);
  if (local != NULL)
    g_propagate_error (error, local);
  return creds;
}

static MtFetchFunc
credential_source_fetch (const gchar * name)
{
  if (g_strcmp0 (name, "Environment") == 0)
    return fetch_environment;
  if (g_strcmp0 (name, "Ec2InstanceMetadata") == 0)
    return fetch_imds;
  if (g_strcmp0 (name, "EcsContainer") == 0)
    return fetch_ecs;
  return NULL;
}

/* --- the chain --- */

static const struct
{
  const gchar *name;
  MtFetchFunc fetch;
} chain[] = {
  {"properties", fetch_properties},
  {"environment", fetch_environment},
  {"web identity", fetch_web_identity},
  {"profile", fetch_profile},
  {"ecs", fetch_ecs},
  {"imds", fetch_imds},
};

MtCredentialsProvider *
mt_credentials_provider_new (const MtAwsSettings * s)
{
  MtCredentialsProvider *p = g_new0 (MtCredentialsProvider, 1);

  mt_aws_settings_init (&p->settings);
  if (s != NULL)
    mt_aws_settings_copy (&p->settings, s);
  g_mutex_init (&p->lock);
  g_cond_init (&p->refreshed);
  p->source = -1;
  return p;
}

void
mt_credentials_provider_free (MtCredentialsProvider * p)
{
  if (p == NULL)
    return;
  g_clear_pointer (&p->cached, mt_credentials_unref);
  mt_aws_settings_clear (&p->settings);
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->refreshed);
  g_free (p);
}

static void
set_no_credentials_error (MtCredentialsProvider * p, GError ** error)
{
  g_autofree gchar *profile = mt_aws_profile_name (&p->settings);
  g_autofree gchar *config = mt_aws_config_file_path ();
  g_autofree gchar *credentials = mt_aws_credentials_file_path ();

  g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_NO_CREDENTIALS,
      "No AWS credentials found: set the access-key and secret-key "
      "properties, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, web identity "
      "(AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN), profile '%s' in %s or "
      "%s, or run where ECS or EC2 instance metadata provides them",
      profile, credentials, config);
}

/* Walks the chain from the start; sets p->source to the one that answered. */
static MtCredentials *
walk_chain (MtCredentialsProvider * p, GCancellable * cancellable,
    GError ** error)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (chain); i++) {
    GError *local = NULL;
    MtCredentials *creds = chain[i].fetch (p, cancellable, &local);

    if (creds != NULL) {
      p->source = i;
      return creds;
    }
    if (local != NULL) {
      GST_DEBUG ("credential source '%s' failed: %s", chain[i].name,
          local->message);
      g_propagate_error (error, local);
      return NULL;
    }
    GST_LOG ("credential source '%s' is not configured", chain[i].name);
  }
  set_no_credentials_error (p, error);
  return NULL;
}

/* The source that gave the cached credentials first; the whole chain when
 * it has nothing any more (its configuration went away). */
static MtCredentials *
fetch (MtCredentialsProvider * p, GCancellable * cancellable, GError ** error)
{
  GError *local = NULL;
  MtCredentials *creds;

  if (p->source < 0)
    return walk_chain (p, cancellable, error);
  creds = chain[p->source].fetch (p, cancellable, &local);
  if (creds != NULL || local != NULL) {
    if (local != NULL)
      g_propagate_error (error, local);
    return creds;
  }
  return walk_chain (p, cancellable, error);
}

static void
log_credentials (const MtCredentials * c)
{
  g_autofree gchar *key = mt_credentials_key_id_hint (c);

  if (c->expiration == 0) {
    GST_INFO ("AWS credentials from %s (access key id %s)", c->source, key);
    return;
  }
  GST_INFO ("AWS credentials from %s (access key id %s), expiring in "
      "%" G_GINT64_FORMAT " s", c->source, key,
      c->expiration - g_get_real_time () / G_USEC_PER_SEC);
}

static gboolean
needs_refresh (const MtCredentials * c, gint64 now)
{
  return c->expiration != 0
      && now >= c->expiration - MT_CREDENTIALS_REFRESH_MARGIN_S;
}

static gboolean
still_valid (const MtCredentials * c, gint64 now)
{
  return c->expiration == 0 || now < c->expiration;
}

/* What a finished refresh leaves in the cache and returns. Called locked. */
static MtCredentials *
settle_refresh (MtCredentialsProvider * p, MtCredentials * fresh,
    GError * local, gint64 now, GError ** error)
{
  if (fresh != NULL && !still_valid (fresh, now)) {
    g_set_error (&local, MT_AWS_ERROR, MT_AWS_ERROR_AUTH,
        "The AWS credentials from %s expired %" G_GINT64_FORMAT " s ago, "
        "as soon as they were fetched: check the clock, or the source",
        fresh->source, now - fresh->expiration);
    g_clear_pointer (&fresh, mt_credentials_unref);
  }
  if (fresh != NULL) {
    g_clear_pointer (&p->cached, mt_credentials_unref);
    p->cached = fresh;
    log_credentials (fresh);
    return mt_credentials_ref (fresh);
  }
  if (p->cached != NULL && still_valid (p->cached, now)) {
    GST_WARNING ("refreshing AWS credentials from %s failed (%s); using the "
        "current ones, valid for %" G_GINT64_FORMAT " s more",
        p->cached->source, local->message, p->cached->expiration - now);
    g_error_free (local);
    return mt_credentials_ref (p->cached);
  }
  g_propagate_error (error, local);
  return NULL;
}

/* The lock is not held while fetching, so threads that still have valid
 * credentials (inside the margin) never wait for a slow source; threads
 * with none wait for the one refresh in progress rather than start their
 * own. */
MtCredentials *
mt_credentials_provider_get (MtCredentialsProvider * p,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&p->lock);
  GError *local = NULL;
  MtCredentials *fresh;
  gint64 now;

  for (;;) {
    now = g_get_real_time () / G_USEC_PER_SEC;
    if (p->cached != NULL && !needs_refresh (p->cached, now))
      return mt_credentials_ref (p->cached);
    if (!p->refreshing)
      break;
    if (p->cached != NULL && still_valid (p->cached, now))
      return mt_credentials_ref (p->cached);
    g_cond_wait (&p->refreshed, &p->lock);
  }

  p->refreshing = TRUE;
  g_mutex_unlock (&p->lock);
  fresh = fetch (p, cancellable, &local);
  g_mutex_lock (&p->lock);
  p->refreshing = FALSE;
  g_cond_broadcast (&p->refreshed);
  return settle_refresh (p, fresh, local, now, error);
}

gboolean
mt_credentials_available (const MtAwsSettings * s)
{
  g_autoptr (MtCredentialsProvider) p = mt_credentials_provider_new (s);
  g_autoptr (MtCredentials) creds = NULL;
  g_autoptr (GError) error = NULL;

  creds = mt_credentials_provider_get (p, NULL, &error);
  if (creds == NULL)
    GST_DEBUG ("no AWS credentials: %s", error->message);
  return creds != NULL;
}
