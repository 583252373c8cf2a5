/* Tests of SigV4 signing (sigv4.h): the official AWS signing suite (38
 * cases, header and query signing, canonical request, string to sign and
 * signature of each), the event-stream chained signer against a published
 * vector and an independent HMAC, the SHA-256 helpers, the Host header,
 * input errors, and that no secret ever reaches the debug log. */
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "sigv4.h"
#include "credentials.h"
#include "awserror.h"
#include "eventstream.h"

#define SUITE_DIR TEST_DATA_DIR "/sigv4"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

/* --- one case of the official suite --- */

typedef struct
{
  gchar *name;
  MtCredentials creds;
  MtSigV4Params params;
  gchar *region;
  gchar *service;
  guint expires;
  gchar *request_txt;
} SuiteCase;

static void
suite_case_free (gpointer data)
{
  SuiteCase *c = data;

  g_free (c->name);
  g_free (c->creds.access_key_id);
  g_free (c->creds.secret_access_key);
  g_free (c->creds.session_token);
  g_free (c->region);
  g_free (c->service);
  g_free (c->request_txt);
  g_free (c);
}

static gchar *
read_case_file (const gchar * name, const gchar * file)
{
  g_autofree gchar *path = g_build_filename (SUITE_DIR, name, file, NULL);
  g_autoptr (GError) error = NULL;
  gchar *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static SuiteCase *
suite_case_load (const gchar * name)
{
  SuiteCase *c = g_new0 (SuiteCase, 1);
  g_autofree gchar *ctx_text = read_case_file (name, "context.json");
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDateTime) ts = NULL;
  JsonObject *ctx, *creds;

  root = json_from_string (ctx_text, &error);
  g_assert_no_error (error);
  ctx = json_node_get_object (root);
  creds = json_object_get_object_member (ctx, "credentials");

  c->name = g_strdup (name);
  c->creds.access_key_id =
      g_strdup (json_object_get_string_member (creds, "access_key_id"));
  c->creds.secret_access_key =
      g_strdup (json_object_get_string_member (creds, "secret_access_key"));
  c->creds.session_token =
      g_strdup (json_object_get_string_member_with_default (creds, "token",
          NULL));
  c->region = g_strdup (json_object_get_string_member (ctx, "region"));
  c->service = g_strdup (json_object_get_string_member (ctx, "service"));
  c->expires = json_object_get_int_member (ctx, "expiration_in_seconds");
  ts = g_date_time_new_from_iso8601 (json_object_get_string_member (ctx,
          "timestamp"), NULL);
  g_assert_nonnull (ts);

  c->params.region = c->region;
  c->params.service = c->service;
  c->params.time = g_date_time_to_unix (ts);
  c->params.normalize_path = json_object_get_boolean_member (ctx, "normalize");
  c->params.payload = MT_SIGV4_PAYLOAD_SIGNED;
  /* The suite's sign_body is "send x-amz-content-sha256"; the payload is
   * hashed into the canonical request either way. */
  c->params.add_content_sha256 =
      json_object_get_boolean_member (ctx, "sign_body");
  c->params.omit_session_token =
      json_object_get_boolean_member_with_default (ctx, "omit_session_token",
      FALSE);
  c->request_txt = read_case_file (name, "request.txt");
  return c;
}

/* request.txt as a request: "METHOD PATH HTTP/1.1" (the path may hold
 * spaces and raw UTF-8: that is what the signer gets on the wire), headers,
 * folded continuation lines joined with a space, a blank line, the body. */
static MtHttpRequest *
parse_request_txt (const gchar * text)
{
  const gchar *body = strstr (text, "\n\n");
  g_autofree gchar *head = body ? g_strndup (text, body - text) :
      g_strdup (text);
  g_auto (GStrv) lines = g_strsplit (head, "\n", -1);
  const gchar *sp = strchr (lines[0], ' ');
  const gchar *proto = g_strrstr (lines[0], " HTTP/");
  g_autofree gchar *method = g_strndup (lines[0], sp - lines[0]);
  g_autofree gchar *path = g_strndup (sp + 1, proto - sp - 1);
  g_autofree gchar *url = NULL;
  MtHttpRequest *req;

  url = g_strconcat ("https://example.amazonaws.com", path, NULL);
  req = mt_http_request_new (method, url);
  for (guint i = 1; lines[i] && lines[i][0]; i++) {
    MtHeader h;

    if (lines[i][0] == ' ' || lines[i][0] == '\t') {
      MtHeader *last = &g_array_index (req->headers, MtHeader,
          req->headers->len - 1);
      gchar *joined = g_strconcat (last->value, " ", lines[i], NULL);

      g_free (last->value);
      last->value = joined;
      continue;
    }
    /* Appended, not set: repeated names are part of the suite. */
    h.name = g_strndup (lines[i], strchr (lines[i], ':') - lines[i]);
    h.value = g_strdup (strchr (lines[i], ':') + 1);
    g_array_append_val (req->headers, h);
  }
  if (body && body[2]) {
    g_autoptr (GBytes) b = g_bytes_new (body + 2, strlen (body + 2));

    mt_http_request_set_body (req, b);
  }
  return req;
}

static void
assert_case_file (const SuiteCase * c, const gchar * file, const gchar * actual)
{
  g_autofree gchar *expected = read_case_file (c->name, file);

  if (g_strcmp0 (expected, actual) != 0)
    g_test_message ("%s/%s differs:\nexpected:\n%s\nactual:\n%s", c->name,
        file, expected, actual);
  g_assert_cmpstr (actual, ==, expected);
}

/* The value of `name` in the signed request file's header lines. */
static gchar *
signed_request_header (const gchar * text, const gchar * name)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 1; lines[i] && lines[i][0]; i++) {
    const gchar *colon = strchr (lines[i], ':');

    if (colon && (gsize) (colon - lines[i]) == strlen (name)
        && g_ascii_strncasecmp (lines[i], name, strlen (name)) == 0)
      return g_strdup (colon + 1);
  }
  return NULL;
}

static void
test_suite_header (gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_auto (MtSigV4Trace) trace = { 0 };
  SuiteCase *c = suite_case_load (data);
  MtHttpRequest *req = parse_request_txt (c->request_txt);
  g_autofree gchar *signed_txt = read_case_file (c->name,
      "header-signed-request.txt");
  g_autofree gchar *want_auth = signed_request_header (signed_txt,
      "Authorization");
  g_autofree gchar *want_token = signed_request_header (signed_txt,
      "X-Amz-Security-Token");

  g_assert_true (mt_sigv4_sign (req, &c->creds, &c->params, &trace, &error));
  g_assert_no_error (error);
  assert_case_file (c, "header-canonical-request.txt", trace.canonical_request);
  assert_case_file (c, "header-string-to-sign.txt", trace.string_to_sign);
  assert_case_file (c, "header-signature.txt", trace.signature);

  /* What goes on the wire, as the suite's signed request has it. */
  g_assert_cmpstr (mt_http_request_get_header (req, "Authorization"), ==,
      want_auth);
  g_assert_cmpstr (mt_http_request_get_header (req, "X-Amz-Date"), ==,
      "20150830T123600Z");
  g_assert_cmpstr (mt_http_request_get_header (req, "X-Amz-Security-Token"),
      ==, want_token);
  mt_http_request_free (req);
  suite_case_free (c);
}

static gint
cmp_strv_item (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return strcmp (*(gchar * const *) a, *(gchar * const *) b);
}

/* The query of a URL as a sorted list of "k=v", order on the wire aside. */
static gchar *
sorted_query (const gchar * url)
{
  const gchar *q = strchr (url, '?');
  g_auto (GStrv) parts = g_strsplit (q ? q + 1 : "", "&", -1);
  guint n = g_strv_length (parts);

  g_qsort_with_data (parts, n, sizeof (gchar *), cmp_strv_item, NULL);
  return g_strjoinv ("&", parts);
}

static void
test_suite_query (gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_auto (MtSigV4Trace) trace = { 0 };
  SuiteCase *c = suite_case_load (data);
  MtHttpRequest *req = parse_request_txt (c->request_txt);
  g_autofree gchar *signed_txt = read_case_file (c->name,
      "query-signed-request.txt");
  g_autofree gchar *url = NULL;
  g_autofree gchar *got = NULL, *want = NULL, *want_target = NULL;
  const gchar *sp = strchr (signed_txt, ' ');

  url = mt_sigv4_presign (req, &c->creds, &c->params, c->expires, &trace,
      &error);
  g_assert_no_error (error);
  g_assert_nonnull (url);
  assert_case_file (c, "query-canonical-request.txt", trace.canonical_request);
  assert_case_file (c, "query-string-to-sign.txt", trace.string_to_sign);
  assert_case_file (c, "query-signature.txt", trace.signature);

  /* Same parameters as the suite's presigned request line. */
  want_target = g_strndup (sp + 1, g_strrstr (signed_txt, " HTTP/") - sp - 1);
  want = sorted_query (want_target);
  got = sorted_query (url);
  g_assert_cmpstr (got, ==, want);
  g_assert_true (g_str_has_prefix (url, "https://example.amazonaws.com/"));
  mt_http_request_free (req);
  suite_case_free (c);
}

static void
add_suite_tests (void)
{
  g_autoptr (GDir) dir = g_dir_open (SUITE_DIR, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir))) {
    g_autofree gchar *ctx = g_build_filename (SUITE_DIR, name,
        "context.json", NULL);

    if (g_file_test (ctx, G_FILE_TEST_EXISTS))
      g_ptr_array_add (names, g_strdup (name));
  }
  /* All 38 cases, or the suite was not copied whole. */
  g_assert_cmpuint (names->len, ==, 38);
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++) {
    const gchar *n = g_ptr_array_index (names, i);
    g_autofree gchar *hp = g_strdup_printf ("/sigv4/suite/header/%s", n);
    g_autofree gchar *qp = g_strdup_printf ("/sigv4/suite/query/%s", n);

    g_test_add_data_func_full (hp, g_strdup (n), test_suite_header, g_free);
    g_test_add_data_func_full (qp, g_strdup (n), test_suite_query, g_free);
  }
}

/* --- helpers computed independently, with GLib's own SHA-256 --- */

static void
glib_hmac (const guint8 * key, gsize key_len, const gchar * msg, guint8 out[32])
{
  g_autoptr (GHmac) h = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  gsize len = 32;

  g_hmac_update (h, (const guchar *) msg, strlen (msg));
  g_hmac_get_digest (h, out, &len);
}

static void
glib_signing_key (const gchar * secret, const gchar * date8,
    const gchar * region, const gchar * service, guint8 key[32])
{
  g_autofree gchar *seed = g_strconcat ("AWS4", secret, NULL);

  glib_hmac ((const guint8 *) seed, strlen (seed), date8, key);
  glib_hmac (key, 32, region, key);
  glib_hmac (key, 32, service, key);
  glib_hmac (key, 32, "aws4_request", key);
}

static gchar *
hex (const guint8 * data, gsize len)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (out, "%02x", data[i]);
  return g_string_free (out, FALSE);
}

static gchar *
glib_sha256_hex (const guint8 * data, gsize len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
}

/* --- event-stream signer --- */

/* The string to sign of aws-sdk-rust's aws-sigv4 event_stream.rs test
 * `string_to_sign` (Apache-2.0): a message with header some-header="value"
 * and payload "test payload", signed at 123456789 in us-east-1 for
 * "testservice", chained on sha256("last message sts"). */
static const gchar rust_sts[] =
    "AWS4-HMAC-SHA256-PAYLOAD\n"
    "19731129T213309Z\n"
    "19731129/us-east-1/testservice/aws4_request\n"
    "be1f8c7d79ef8e1abc5254a2c70e4da3bfaf4f07328f527444e1fc6ea67273e2\n"
    "0c0e3b3bf66b59b976181bd7d401927bbd624107303c713fd1e5f3d3c8dd1b1e\n"
    "f2eba0f2e95967ee9fbc6db5e678d2fd599229c0d04b11e4fc8e0f2a02a806c6";

static void
test_event_signer_published (void)
{
  MtCredentials creds = { 1, (gchar *) "fake access key",
    (gchar *) "fake secret key", NULL, 0, NULL
  };
  g_autoptr (MtEventMessage) msg = mt_event_message_new ();
  g_autoptr (GBytes) payload = g_bytes_new_static ("test payload", 12);
  g_autoptr (GBytes) encoded = NULL, sig = NULL;
  g_autoptr (MtSigV4EventSigner) signer = NULL;
  g_autofree gchar *last = glib_sha256_hex ((const guint8 *)
      "last message sts", 16);
  g_autofree gchar *want_hex = NULL, *payload_hash = NULL;
  guint8 key[32], want[32];

  mt_event_message_add_string (msg, "some-header", "value");
  mt_event_message_set_payload (msg, payload);
  encoded = mt_event_message_encode (msg, NULL);
  /* Our encoding of their message hashes as theirs did. */
  payload_hash = mt_sha256_hex_bytes (encoded);
  g_assert_cmpstr (payload_hash, ==,
      "f2eba0f2e95967ee9fbc6db5e678d2fd599229c0d04b11e4fc8e0f2a02a806c6");

  glib_signing_key ("fake secret key", "19731129", "us-east-1",
      "testservice", key);
  glib_hmac (key, 32, rust_sts, want);
  want_hex = g_compute_hmac_for_string (G_CHECKSUM_SHA256, key, 32,
      rust_sts, -1);

  signer = mt_sigv4_event_signer_new (&creds, "us-east-1", "testservice", last);
  g_assert_cmpstr (mt_sigv4_event_signer_get_signature (signer), ==, last);
  sig = mt_sigv4_event_signer_sign (signer, encoded, 123456789);
  g_assert_cmpmem (g_bytes_get_data (sig, NULL), g_bytes_get_size (sig),
      want, 32);
  /* The chain moves on to this signature. */
  g_assert_cmpstr (mt_sigv4_event_signer_get_signature (signer), ==, want_hex);
}

/* sign_message: the envelope decodes to :date, :chunk-signature and the
 * inner message, and each signature chains on the one before. */
static void
test_event_signer_envelope (void)
{
  MtCredentials creds = { 1, (gchar *) "AKID", (gchar *) SECRET, NULL, 0,
    NULL
  };
  g_autoptr (MtSigV4EventSigner) signer = NULL;
  g_autoptr (GBytes) inner = g_bytes_new_static ("audio bytes", 11);
  gchar prior[65];
  guint8 key[32];

  glib_signing_key (SECRET, "20240102", "eu-west-1", "transcribe", key);
  signer = mt_sigv4_event_signer_new (&creds, "eu-west-1", "transcribe",
      "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  for (guint i = 0; i < 3; i++) {
    gint64 time = 1704153600 + i;       /* 2024-01-02T00:00:0iZ */
    /* The last frame is the empty one that ends the stream. */
    GBytes *payload = i < 2 ? inner : NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (GBytes) frame = NULL;
    g_autoptr (MtEventMessage) msg = NULL;
    g_autofree gchar *sts = NULL, *date_hash = NULL, *payload_hash = NULL;
    g_autofree gchar *want = NULL, *got = NULL;
    const MtEventHeader *date, *csig;
    guint8 date_header[15] = { 5, ':', 'd', 'a', 't', 'e', 8 };

    g_strlcpy (prior, mt_sigv4_event_signer_get_signature (signer), 65);
    frame = mt_sigv4_event_signer_sign_message (signer, payload, time, &error);
    g_assert_no_error (error);
    msg = mt_event_message_decode (g_bytes_get_data (frame, NULL),
        g_bytes_get_size (frame), &error);
    g_assert_no_error (error);

    date = mt_event_message_get_header (msg, ":date");
    csig = mt_event_message_get_header (msg, ":chunk-signature");
    g_assert_nonnull (date);
    g_assert_nonnull (csig);
    g_assert_cmpint (date->type, ==, MT_EVENT_HEADER_TIMESTAMP);
    g_assert_cmpint (date->integer, ==, time * 1000);
    g_assert_cmpint (csig->type, ==, MT_EVENT_HEADER_BYTES);
    g_assert_cmpuint (g_bytes_get_size (msg->payload), ==, payload ? 11 : 0);

    for (guint b = 0; b < 8; b++)
      date_header[7 + b] = (guint64) (time * 1000) >> (56 - 8 * b);
    date_hash = glib_sha256_hex (date_header, 15);
    payload_hash = glib_sha256_hex (payload ? (const guint8 *)
        "audio bytes" : NULL, payload ? 11 : 0);
    sts = g_strdup_printf ("AWS4-HMAC-SHA256-PAYLOAD\n20240102T00000%uZ\n"
        "20240102/eu-west-1/transcribe/aws4_request\n%s\n%s\n%s", i, prior,
        date_hash, payload_hash);
    want = g_compute_hmac_for_string (G_CHECKSUM_SHA256, key, 32, sts, -1);
    g_assert_cmpuint (g_bytes_get_size (csig->data), ==, 32);
    got = hex (g_bytes_get_data (csig->data, NULL), 32);
    g_assert_cmpstr (got, ==, want);
    g_assert_cmpstr (mt_sigv4_event_signer_get_signature (signer), ==, want);
  }
}

/* --- SHA-256 helpers --- */

static void
test_sha256 (void)
{
  g_autoptr (MtSha256) sha = mt_sha256_new ();
  g_autofree guint8 *big = g_malloc (1 << 20);
  g_autofree gchar *one = NULL, *inc = NULL, *ref = NULL, *abc = NULL;
  g_autofree gchar *empty = mt_sha256_hex_bytes (NULL);
  gsize off = 0, step = 1;

  abc = mt_sha256_hex ((const guint8 *) "abc", 3);
  g_assert_cmpstr (abc, ==,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  g_assert_cmpstr (empty, ==,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  for (gsize i = 0; i < (1 << 20); i++)
    big[i] = (i * 2654435761u) >> 13;
  /* Uneven chunks, as a stream delivers them. */
  while (off < (1 << 20)) {
    gsize n = MIN (step, (1 << 20) - off);

    mt_sha256_update (sha, big + off, n);
    off += n;
    step = step * 3 + 1;
  }
  inc = mt_sha256_finish_hex (sha);
  one = mt_sha256_hex (big, 1 << 20);
  ref = glib_sha256_hex (big, 1 << 20);
  g_assert_cmpstr (one, ==, ref);
  g_assert_cmpstr (inc, ==, ref);
}

/* --- Host, retries, errors --- */

static const MtCredentials test_creds = { 1, (gchar *) "AKIDEXAMPLE",
  (gchar *) SECRET, NULL, 0, NULL
};

static MtSigV4Params
test_params (void)
{
  MtSigV4Params p = { "us-east-1", "service", 1440938160, TRUE,
    MT_SIGV4_PAYLOAD_SIGNED, FALSE, FALSE
  };

  return p;
}

static void
test_host_header (void)
{
  const gchar *cases[][2] = {
    {"https://Example.COM:443/x", "example.com"},
    {"http://example.com:80", "example.com"},
    {"http://127.0.0.1:8080/a?b=c", "127.0.0.1:8080"},
    {"https://user:pw@s3.example.com:8443/b/k", "s3.example.com:8443"},
    {"http://[::1]:9000/", "[::1]:9000"},
    {"https://[::1]/", "[::1]"},
    {"wss://transcribestreaming.us-east-1.amazonaws.com:8443/stream",
        "transcribestreaming.us-east-1.amazonaws.com:8443"},
  };
  MtSigV4Params params = test_params ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", cases[i][0]);
    g_autoptr (GError) error = NULL;

    g_assert_true (mt_sigv4_sign (req, &test_creds, &params, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (mt_http_request_get_header (req, "Host"), ==, cases[i][1]);
  }
}

/* Signing again (a retry, new credentials) replaces what signing added
 * instead of piling it up, and drops a token the new credentials lack. */
static void
test_resign (void)
{
  MtCredentials temp = { 1, (gchar *) "ASIAEXAMPLE", (gchar *) SECRET,
    (gchar *) "TOKEN1", 0, NULL
  };
  MtSigV4Params params = test_params ();
  g_autoptr (MtHttpRequest) req =
      mt_http_request_new ("POST", "https://example.amazonaws.com/");
  g_autofree gchar *first = NULL;
  guint n_auth = 0;

  g_assert_true (mt_sigv4_sign (req, &temp, &params, NULL, NULL));
  first = g_strdup (mt_http_request_get_header (req, "Authorization"));
  g_assert_cmpstr (mt_http_request_get_header (req, "X-Amz-Security-Token"),
      ==, "TOKEN1");
  params.time += 60;
  g_assert_true (mt_sigv4_sign (req, &test_creds, &params, NULL, NULL));
  for (guint i = 0; i < req->headers->len; i++)
    n_auth += g_ascii_strcasecmp (g_array_index (req->headers, MtHeader,
            i).name, "authorization") == 0;
  g_assert_cmpuint (n_auth, ==, 1);
  g_assert_null (mt_http_request_get_header (req, "X-Amz-Security-Token"));
  g_assert_cmpstr (mt_http_request_get_header (req, "X-Amz-Date"), ==,
      "20150830T123700Z");
  g_assert_cmpstr (mt_http_request_get_header (req, "Authorization"), !=,
      first);
  g_assert_nonnull (strstr (mt_http_request_get_header (req,
              "Authorization"), "SignedHeaders=host;x-amz-date,"));
}

/* A hash the caller computed while streaming the body is used as it is. */
static void
test_given_content_sha256 (void)
{
  MtSigV4Params params = test_params ();
  g_autoptr (MtHttpRequest) req =
      mt_http_request_new ("PUT", "https://b.s3.amazonaws.com/k");
  g_auto (MtSigV4Trace) trace = { 0 };
  g_autofree gchar *hash = mt_sha256_hex ((const guint8 *) "streamed", 8);

  params.normalize_path = FALSE;
  params.add_content_sha256 = TRUE;
  mt_http_request_set_header (req, "x-amz-content-sha256", hash);
  g_assert_true (mt_sigv4_sign (req, &test_creds, &params, &trace, NULL));
  g_assert_true (g_str_has_suffix (trace.canonical_request, hash));
  g_assert_nonnull (strstr (trace.canonical_request,
          "\nx-amz-content-sha256:"));

  params.payload = MT_SIGV4_PAYLOAD_UNSIGNED;
  mt_http_request_remove_header (req, "x-amz-content-sha256");
  g_assert_true (mt_sigv4_sign (req, &test_creds, &params, &trace, NULL));
  g_assert_cmpstr (mt_http_request_get_header (req, "x-amz-content-sha256"),
      ==, "UNSIGNED-PAYLOAD");
  g_assert_true (g_str_has_suffix (trace.canonical_request,
          "\nUNSIGNED-PAYLOAD"));
}

static void
test_errors (void)
{
  MtSigV4Params params = test_params ();
  MtCredentials none = { 1, (gchar *) "", (gchar *) "", NULL, 0, NULL };
  g_autoptr (MtHttpRequest) req = mt_http_request_new ("GET", "/relative");
  g_autoptr (MtHttpRequest) ok =
      mt_http_request_new ("GET", "https://example.com/");
  g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL;
  gchar *url;

  g_assert_false (mt_sigv4_sign (req, &test_creds, &params, NULL, &e1));
  g_assert_error (e1, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG);
  g_assert_nonnull (strstr (e1->message, "/relative"));

  g_assert_false (mt_sigv4_sign (ok, &none, &params, NULL, &e2));
  g_assert_error (e2, MT_AWS_ERROR, MT_AWS_ERROR_NO_CREDENTIALS);
  g_assert_nonnull (strstr (e2->message, "access key"));
  g_assert_null (mt_http_request_get_header (ok, "Authorization"));

  url = mt_sigv4_presign (ok, &test_creds, &params, 604801, NULL, &e3);
  g_assert_null (url);
  g_assert_error (e3, MT_AWS_ERROR, MT_AWS_ERROR_INVALID);
  g_assert_nonnull (strstr (e3->message, "604801"));

  params.time = G_GINT64_CONSTANT (253402300800);       /* year 10000 */
  g_assert_false (mt_sigv4_sign (ok, &test_creds, &params, NULL, &e5));
  g_assert_error (e5, MT_AWS_ERROR, MT_AWS_ERROR_INVALID);

  params.region = NULL;
  g_assert_false (mt_sigv4_sign (ok, &test_creds, &params, NULL, &e4));
  g_assert_error (e4, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG);
  g_assert_nonnull (strstr (e4->message, "region"));
}

/* --- secrets stay out of the log --- */

static GString *captured_log;

static void
capture_log (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  g_string_append_printf (captured_log, "%s\n",
      gst_debug_message_get (message));
}

static void
test_no_secret_in_log (void)
{
  const gchar *token = "FwoGZXIvYXdzEXAMPLE+token/with=chars";
  MtCredentials temp = { 1, (gchar *) "ASIAEXAMPLE", (gchar *) SECRET,
    (gchar *) token, 0, NULL
  };
  MtSigV4Params params = test_params ();
  g_autoptr (MtHttpRequest) req =
      mt_http_request_new ("POST", "https://example.amazonaws.com/?a=b");
  g_autoptr (MtSigV4EventSigner) signer = NULL;
  g_autoptr (GBytes) frame = NULL;
  g_autofree gchar *url = NULL, *key_hex = NULL, *enc_token = NULL;
  guint8 key[32];

  captured_log = g_string_new (NULL);
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (capture_log, NULL, NULL);
  gst_debug_set_active (TRUE);
  gst_debug_set_default_threshold (GST_LEVEL_MEMDUMP);
  gst_debug_set_threshold_for_name ("mtsigv4", GST_LEVEL_MEMDUMP);

  g_assert_true (mt_sigv4_sign (req, &temp, &params, NULL, NULL));
  url = mt_sigv4_presign (req, &temp, &params, 60, NULL, NULL);
  g_assert_nonnull (url);
  signer = mt_sigv4_event_signer_new (&temp, "us-east-1", "service", "00");
  frame = mt_sigv4_event_signer_sign_message (signer, NULL, 1440938160, NULL);
  g_assert_nonnull (frame);

  gst_debug_set_default_threshold (GST_LEVEL_NONE);
  gst_debug_remove_log_function (capture_log);

  /* The log is there (so this test can fail) ... */
  g_assert_nonnull (strstr (captured_log->str, "canonical request"));
  g_assert_nonnull (strstr (captured_log->str, "<session token>"));
  /* ... and holds none of the secrets. */
  glib_signing_key (SECRET, "20150830", "us-east-1", "service", key);
  key_hex = hex (key, 32);
  enc_token = g_uri_escape_string (token, NULL, FALSE);
  g_assert_null (strstr (captured_log->str, SECRET));
  g_assert_null (strstr (captured_log->str, token));
  g_assert_null (strstr (captured_log->str, enc_token));
  g_assert_null (strstr (captured_log->str, "FwoGZXIvYXdzEXAMPLE"));
  g_assert_null (strstr (captured_log->str, key_hex));
  g_string_free (captured_log, TRUE);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  add_suite_tests ();
  g_test_add_func ("/sigv4/event-signer/published-vector",
      test_event_signer_published);
  g_test_add_func ("/sigv4/event-signer/envelope-chain",
      test_event_signer_envelope);
  g_test_add_func ("/sigv4/sha256", test_sha256);
  g_test_add_func ("/sigv4/host-header", test_host_header);
  g_test_add_func ("/sigv4/resign", test_resign);
  g_test_add_func ("/sigv4/given-content-sha256", test_given_content_sha256);
  g_test_add_func ("/sigv4/errors", test_errors);
  g_test_add_func ("/sigv4/no-secret-in-log", test_no_secret_in_log);
  return g_test_run ();
}
