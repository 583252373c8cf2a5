/* AWS Signature Version 4: see sigv4.h.
 *
 * Hashing is OpenSSL's libcrypto (EVP), which uses the CPU's SHA
 * extensions: several times faster than a portable SHA-256 on the large
 * bodies S3 uploads send.
 *
 * Secrets: the secret key, the keys derived from it and the session token
 * never reach a log. The canonical request is logged for debugging a
 * SignatureDoesNotMatch, with the token cut out of it. Buffers that held a
 * key are wiped before they are freed. */
#include "sigv4.h"
#include "credentials.h"
#include "awserror.h"
#include "eventstream.h"

#include <gst/gst.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (mt_sigv4_debug);
#define GST_CAT_DEFAULT mt_sigv4_debug

#define ALGORITHM "AWS4-HMAC-SHA256"
#define MAX_PRESIGN_EXPIRES (7 * 24 * 3600)
/* 9999-12-31T23:59:59Z: the last time an X-Amz-Date can write. */
#define MAX_SIGNING_TIME G_GINT64_CONSTANT (253402300799)
#define EMPTY_SHA256 \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void
ensure_debug_category (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (mt_sigv4_debug, "mtsigv4", 0,
        "mediatag SigV4 signing (never logs secrets)");
    g_once_init_leave (&done, 1);
  }
}

/* --- SHA-256 and HMAC --- */

struct _MtSha256
{
  EVP_MD_CTX *ctx;
};

MtSha256 *
mt_sha256_new (void)
{
  MtSha256 *sha = g_new0 (MtSha256, 1);

  sha->ctx = EVP_MD_CTX_new ();
  if (sha->ctx == NULL || !EVP_DigestInit_ex (sha->ctx, EVP_sha256 (), NULL))
    g_error ("OpenSSL cannot set up SHA-256 (out of memory?)");
  return sha;
}

void
mt_sha256_update (MtSha256 * sha, const guint8 * data, gsize len)
{
  if (len > 0)
    EVP_DigestUpdate (sha->ctx, data, len);
}

void
mt_sha256_finish (MtSha256 * sha, guint8 digest[32])
{
  guint len = 32;

  EVP_DigestFinal_ex (sha->ctx, digest, &len);
}

static gchar *
hex_encode (const guint8 * data, gsize len)
{
  static const gchar digits[] = "0123456789abcdef";
  gchar *out = g_malloc (len * 2 + 1);

  for (gsize i = 0; i < len; i++) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xf];
  }
  out[len * 2] = 0;
  return out;
}

gchar *
mt_sha256_finish_hex (MtSha256 * sha)
{
  guint8 digest[32];

  mt_sha256_finish (sha, digest);
  return hex_encode (digest, sizeof (digest));
}

void
mt_sha256_free (MtSha256 * sha)
{
  if (sha == NULL)
    return;
  EVP_MD_CTX_free (sha->ctx);
  g_free (sha);
}

gchar *
mt_sha256_hex (const guint8 * data, gsize len)
{
  guint8 digest[32];

  if (!EVP_Digest (data, len, digest, NULL, EVP_sha256 (), NULL))
    g_error ("OpenSSL SHA-256 failed");
  return hex_encode (digest, sizeof (digest));
}

gchar *
mt_sha256_hex_bytes (GBytes * bytes)
{
  gsize len = 0;
  const guint8 *data = bytes ? g_bytes_get_data (bytes, &len) : NULL;

  return mt_sha256_hex (data ? data : (const guint8 *) "", len);
}

static void
hmac_sha256 (const guint8 * key, gsize key_len, const gchar * msg,
    gsize msg_len, guint8 out[32])
{
  guint len = 32;

  if (HMAC (EVP_sha256 (), key, key_len, (const guint8 *) msg, msg_len, out,
          &len) == NULL)
    g_error ("OpenSSL HMAC-SHA256 failed");
}

/* The signing key of one day, region and service: HMAC chain from
 * "AWS4" + secret. */
static void
derive_signing_key (const gchar * secret, const gchar * date8,
    const gchar * region, const gchar * service, guint8 key[32])
{
  gsize seed_len = 4 + strlen (secret);
  gchar *seed = g_strconcat ("AWS4", secret, NULL);
  guint8 k[32];

  hmac_sha256 ((const guint8 *) seed, seed_len, date8, strlen (date8), k);
  OPENSSL_cleanse (seed, seed_len);
  g_free (seed);
  hmac_sha256 (k, 32, region, strlen (region), k);
  hmac_sha256 (k, 32, service, strlen (service), k);
  hmac_sha256 (k, 32, "aws4_request", 12, key);
  OPENSSL_cleanse (k, sizeof (k));
}

/* Hex HMAC of `string_to_sign` under the day's key; the key is wiped. */
static gchar *
sign_string (const MtCredentials * creds, const gchar * date8,
    const MtSigV4Params * params, const gchar * string_to_sign)
{
  guint8 key[32], sig[32];

  derive_signing_key (creds->secret_access_key, date8, params->region,
      params->service, key);
  hmac_sha256 (key, 32, string_to_sign, strlen (string_to_sign), sig);
  OPENSSL_cleanse (key, sizeof (key));
  return hex_encode (sig, sizeof (sig));
}

/* --- percent-encoding --- */

static gboolean
is_unreserved (guchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_' || c == '.' || c == '~';
}

/* Appends s[0..len) with every byte but the unreserved ones and those in
 * `keep` percent-encoded (uppercase hex, as AWS wants). */
static void
append_encoded (GString * out, const gchar * s, gsize len, const gchar * keep)
{
  for (gsize i = 0; i < len; i++) {
    guchar c = s[i];

    if (is_unreserved (c) || (c != 0 && strchr (keep, c) != NULL))
      g_string_append_c (out, c);
    else
      g_string_append_printf (out, "%%%02X", c);
  }
}

static gchar *
encode (const gchar * s, gsize len, const gchar * keep)
{
  GString *out = g_string_sized_new (len + 8);

  append_encoded (out, s, len, keep);
  return g_string_free (out, FALSE);
}

/* Decodes %XX escapes; anything else, a malformed escape included, is kept
 * as it is. May hold NUL bytes: the GString's length counts. */
static GString *
percent_decode (const gchar * s, gsize len)
{
  GString *out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++) {
    if (s[i] == '%' && i + 2 < len && g_ascii_isxdigit (s[i + 1])
        && g_ascii_isxdigit (s[i + 2])) {
      g_string_append_c (out, (g_ascii_xdigit_value (s[i + 1]) << 4) |
          g_ascii_xdigit_value (s[i + 2]));
      i += 2;
    } else {
      g_string_append_c (out, s[i]);
    }
  }
  return out;
}

/* --- URL parts --- */

typedef struct
{
  gchar *host;                  /* the Host header value: lowercase, port if not the default */
  gchar *path;                  /* wire form, "/" when empty */
  gchar *query;                 /* wire form, without '?'; NULL: none */
  gchar *base;                  /* the URL without its query and fragment */
} UrlParts;

static void
url_parts_clear (UrlParts * u)
{
  g_free (u->host);
  g_free (u->path);
  g_free (u->query);
  g_free (u->base);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (UrlParts, url_parts_clear)

static gboolean
is_default_port (const gchar * scheme, gsize scheme_len, const gchar * port)
{
  gboolean secure = (scheme_len == 5 && g_ascii_strncasecmp (scheme, "https",
          5) == 0) || (scheme_len == 3 && g_ascii_strncasecmp (scheme,
          "wss", 3) == 0);

  return strcmp (port, secure ? "443" : "80") == 0;
}

static gchar *
host_header (const gchar * scheme, gsize scheme_len, const gchar * authority,
    gsize len)
{
  const gchar *at = g_strrstr_len (authority, len, "@");
  const gchar *end = authority + len, *colon;
  g_autofree gchar *host = NULL;

  if (at)
    authority = at + 1;
  /* An IPv6 literal has colons of its own: the port follows the ']'. */
  if (authority < end && authority[0] == '[') {
    const gchar *close = memchr (authority, ']', end - authority);
    colon = close ? memchr (close, ':', end - close) : NULL;
  } else {
    colon = memchr (authority, ':', end - authority);
  }
  host = g_ascii_strdown (authority, (colon ? colon : end) - authority);
  if (colon && colon + 1 < end) {
    g_autofree gchar *port = g_strndup (colon + 1, end - colon - 1);

    if (!is_default_port (scheme, scheme_len, port))
      return g_strconcat (host, ":", port, NULL);
  }
  return g_steal_pointer (&host);
}

static gboolean
split_url (const gchar * url, UrlParts * u, GError ** error)
{
  const gchar *sep = url ? strstr (url, "://") : NULL;
  const gchar *auth, *path, *query, *end;

  if (sep == NULL || sep == url || sep[3] == 0) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Cannot sign a request for \"%s\": not an absolute URL",
        url ? url : "(null)");
    return FALSE;
  }
  auth = sep + 3;
  end = auth + strcspn (auth, "#");
  path = auth + strcspn (auth, "/?#");
  query = memchr (path, '?', end - path);
  if (path == auth) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Cannot sign a request for \"%s\": the URL has no host", url);
    return FALSE;
  }
  u->host = host_header (url, sep - url, auth, path - auth);
  if ((query ? query : end) == path)
    u->path = g_strdup ("/");
  else
    u->path = g_strndup (path, (query ? query : end) - path);
  u->query = query ? g_strndup (query + 1, end - query - 1) : NULL;
  u->base = g_strndup (url, (query ? query : end) - url);
  return TRUE;
}

/* --- canonical request --- */

/* RFC 3986 dot-segment removal, and doubled slashes collapsed, as the
 * services (and botocore) do: "/a//b/../c/" -> "/a/c/". */
static gchar *
normalize_path (const gchar * path)
{
  g_auto (GStrv) segs = g_strsplit (path, "/", -1);
  g_autoptr (GPtrArray) out = g_ptr_array_new ();
  gsize len = strlen (path);
  GString *res;

  for (guint i = 0; segs[i]; i++) {
    if (segs[i][0] == 0 || strcmp (segs[i], ".") == 0)
      continue;
    if (strcmp (segs[i], "..") == 0) {
      if (out->len > 0)
        g_ptr_array_remove_index (out, out->len - 1);
      continue;
    }
    g_ptr_array_add (out, segs[i]);
  }
  res = g_string_new (path[0] == '/' ? "/" : "");
  for (guint i = 0; i < out->len; i++) {
    if (i > 0)
      g_string_append_c (res, '/');
    g_string_append (res, g_ptr_array_index (out, i));
  }
  if (len > 0 && path[len - 1] == '/' && out->len > 0)
    g_string_append_c (res, '/');
  return g_string_free (res, FALSE);
}

static gchar *
canonical_uri (const gchar * path, gboolean normalize)
{
  g_autofree gchar *norm = NULL;

  if (!normalize)
    return encode (path, strlen (path), "/%");
  norm = normalize_path (path);
  if (norm[0] == 0)
    return g_strdup ("/");
  return encode (norm, strlen (norm), "/");
}

typedef struct
{
  gchar *key;                   /* encoded */
  gchar *value;                 /* encoded */
} QueryPair;

static void
query_pair_clear (gpointer data)
{
  QueryPair *p = data;

  g_free (p->key);
  g_free (p->value);
}

static gint
query_pair_cmp (gconstpointer a, gconstpointer b)
{
  const QueryPair *pa = a, *pb = b;
  gint c = strcmp (pa->key, pb->key);

  return c != 0 ? c : strcmp (pa->value, pb->value);
}

static GArray *
query_pairs_new (void)
{
  GArray *pairs = g_array_new (FALSE, FALSE, sizeof (QueryPair));

  g_array_set_clear_func (pairs, query_pair_clear);
  return pairs;
}

/* Adds a pair given in plain (decoded) form. */
static void
query_pairs_add (GArray * pairs, const gchar * key, gsize key_len,
    const gchar * value, gsize value_len)
{
  QueryPair p = { encode (key, key_len, ""), encode (value, value_len, "") };

  g_array_append_val (pairs, p);
}

/* Adds the pairs of a wire query: each key and value decoded, to be encoded
 * again the AWS way whatever encoding the wire used. */
static void
query_pairs_add_wire (GArray * pairs, const gchar * query)
{
  g_auto (GStrv) parts = NULL;

  if (query == NULL || query[0] == 0)
    return;
  parts = g_strsplit (query, "&", -1);
  for (guint i = 0; parts[i]; i++) {
    const gchar *eq = strchr (parts[i], '=');
    gsize klen = eq ? (gsize) (eq - parts[i]) : strlen (parts[i]);
    g_autoptr (GString) key = NULL;
    g_autoptr (GString) value = NULL;

    if (parts[i][0] == 0)
      continue;
    key = percent_decode (parts[i], klen);
    value = eq ? percent_decode (eq + 1, strlen (eq + 1)) : g_string_new ("");
    query_pairs_add (pairs, key->str, key->len, value->str, value->len);
  }
}

static gchar *
query_pairs_join (GArray * pairs)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < pairs->len; i++) {
    QueryPair *p = &g_array_index (pairs, QueryPair, i);

    g_string_append_printf (out, "%s%s=%s", i ? "&" : "", p->key, p->value);
  }
  return g_string_free (out, FALSE);
}

/* Headers never signed: hop-by-hop, or changed on the way by proxies and
 * by the HTTP layer after signing (botocore's list). */
static gboolean
is_unsigned_header (const gchar * lname)
{
  static const gchar *const skip[] = {
    "authorization", "connection", "expect", "keep-alive",
    "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id", NULL
  };

  return g_strv_contains (skip, lname);
}

typedef struct
{
  gchar *name;                  /* lowercase */
  gchar *value;                 /* trimmed, inner runs of blanks as one space */
  guint order;
} CanonHeader;

static void
canon_header_clear (gpointer data)
{
  CanonHeader *h = data;

  g_free (h->name);
  g_free (h->value);
}

static gint
canon_header_cmp (gconstpointer a, gconstpointer b)
{
  const CanonHeader *ha = a, *hb = b;
  gint c = strcmp (ha->name, hb->name);

  /* Equal names keep their request order: their values join in it. */
  return c != 0 ? c : (ha->order > hb->order) - (ha->order < hb->order);
}

static gchar *
trim_all (const gchar * value)
{
  GString *out = g_string_sized_new (strlen (value));
  gboolean blank = FALSE;

  for (const gchar * p = value; *p; p++) {
    if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
      blank = TRUE;
      continue;
    }
    if (blank && out->len > 0)
      g_string_append_c (out, ' ');
    blank = FALSE;
    g_string_append_c (out, *p);
  }
  return g_string_free (out, FALSE);
}

/* The headers to sign, sorted; `host` is added when the request has none. */
static GArray *
collect_headers (const GArray * headers, const gchar * host)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (CanonHeader));
  gboolean have_host = FALSE;

  g_array_set_clear_func (out, canon_header_clear);
  for (guint i = 0; headers && i < headers->len; i++) {
    const MtHeader *h = &g_array_index (headers, MtHeader, i);
    CanonHeader c = { g_ascii_strdown (h->name, -1), NULL, i };

    g_strstrip (c.name);
    if (is_unsigned_header (c.name)) {
      g_free (c.name);
      continue;
    }
    have_host |= strcmp (c.name, "host") == 0;
    c.value = trim_all (h->value);
    g_array_append_val (out, c);
  }
  if (!have_host) {
    CanonHeader c = { g_strdup ("host"), g_strdup (host), G_MAXUINT };

    g_array_append_val (out, c);
  }
  g_array_sort (out, canon_header_cmp);
  return out;
}

/* "name:v1,v2\n" lines, and "a;b;c" in signed_out. */
static gchar *
canonical_headers (GArray * sorted, gchar ** signed_out)
{
  GString *lines = g_string_new (NULL), *names = g_string_new (NULL);

  for (guint i = 0; i < sorted->len; i++) {
    CanonHeader *h = &g_array_index (sorted, CanonHeader, i);

    if (i > 0 && strcmp (h->name, g_array_index (sorted, CanonHeader,
                i - 1).name) == 0) {
      g_string_append_printf (lines, ",%s", h->value);
      continue;
    }
    g_string_append_printf (lines, "%s%s:%s", i ? "\n" : "", h->name, h->value);
    g_string_append_printf (names, "%s%s", i ? ";" : "", h->name);
  }
  g_string_append_c (lines, '\n');
  *signed_out = g_string_free (names, FALSE);
  return g_string_free (lines, FALSE);
}

static gchar *
payload_hash (const MtHttpRequest * req, const MtSigV4Params * params)
{
  const gchar *given = mt_http_request_get_header (req,
      "x-amz-content-sha256");

  if (given != NULL)
    return g_strdup (given);
  if (params->payload == MT_SIGV4_PAYLOAD_UNSIGNED)
    return g_strdup ("UNSIGNED-PAYLOAD");
  return mt_sha256_hex_bytes (req->body);
}

/* --- the signing steps shared by headers and query --- */

typedef struct
{
  gchar amz_date[17];           /* 20150830T123600Z */
  gchar date8[9];               /* 20150830 */
  gchar *scope;                 /* 20150830/us-east-1/service/aws4_request */
} SigningTime;

static void
signing_time_clear (SigningTime * t)
{
  g_free (t->scope);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SigningTime, signing_time_clear)

static void
signing_time_init (SigningTime * t, gint64 time, const MtSigV4Params * params)
{
  g_autoptr (GDateTime) dt = NULL;
  g_autofree gchar *s = NULL;

  if (time == 0)
    time = g_get_real_time () / G_USEC_PER_SEC;
  dt = g_date_time_new_from_unix_utc (time);
  s = g_date_time_format (dt, "%Y%m%dT%H%M%SZ");
  g_strlcpy (t->amz_date, s, sizeof (t->amz_date));
  g_strlcpy (t->date8, s, sizeof (t->date8));
  t->scope = g_strdup_printf ("%s/%s/%s/aws4_request", t->date8,
      params->region, params->service);
}

static gboolean
check_inputs (const MtCredentials * creds, const MtSigV4Params * params,
    GError ** error)
{
  if (creds == NULL || creds->access_key_id == NULL
      || creds->access_key_id[0] == 0 || creds->secret_access_key == NULL
      || creds->secret_access_key[0] == 0) {
    g_set_error_literal (error, MT_AWS_ERROR, MT_AWS_ERROR_NO_CREDENTIALS,
        "Cannot sign the request: no AWS access key id and secret key");
    return FALSE;
  }
  if (params->region == NULL || params->region[0] == 0
      || params->service == NULL || params->service[0] == 0) {
    g_set_error_literal (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
        "Cannot sign the request: the region or the service name is not "
        "set");
    return FALSE;
  }
  if (params->time < 0 || params->time > MAX_SIGNING_TIME) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_INVALID,
        "Cannot sign the request: time %" G_GINT64_FORMAT " is out of the "
        "range an X-Amz-Date can write", params->time);
    return FALSE;
  }
  return TRUE;
}

/* The canonical request with the session token cut out, for the log. */
static void
log_canonical_request (const gchar * cr, const MtCredentials * creds)
{
  g_autoptr (GString) redacted = NULL;
  g_autofree gchar *encoded = NULL;

  if (gst_debug_category_get_threshold (mt_sigv4_debug) < GST_LEVEL_LOG)
    return;
  redacted = g_string_new (cr);
  if (creds->session_token && creds->session_token[0]) {
    encoded = encode (creds->session_token, strlen (creds->session_token), "");
    g_string_replace (redacted, encoded, "<session token>", 0);
    g_string_replace (redacted, creds->session_token, "<session token>", 0);
  }
  GST_LOG ("canonical request:\n%s", redacted->str);
}

/* Fills string_to_sign and signature from a canonical request. */
static void
finish_signature (const gchar * cr, const SigningTime * t,
    const MtCredentials * creds, const MtSigV4Params * params,
    MtSigV4Trace * trace, gchar ** signature_out)
{
  g_autofree gchar *cr_hash = mt_sha256_hex ((const guint8 *) cr,
      strlen (cr));
  g_autofree gchar *sts = g_strdup_printf (ALGORITHM "\n%s\n%s\n%s",
      t->amz_date, t->scope, cr_hash);

  log_canonical_request (cr, creds);
  GST_DEBUG ("string to sign:\n%s", sts);
  *signature_out = sign_string (creds, t->date8, params, sts);
  if (trace) {
    mt_sigv4_trace_clear (trace);
    trace->canonical_request = g_strdup (cr);
    trace->string_to_sign = g_strdup (sts);
    trace->signature = g_strdup (*signature_out);
  }
}

static gchar *
build_canonical_request (const gchar * method, const gchar * uri,
    const gchar * query, const gchar * headers, const gchar * signed_headers,
    const gchar * hash)
{
  g_autofree gchar *upper = g_ascii_strup (method, -1);

  return g_strdup_printf ("%s\n%s\n%s\n%s\n%s\n%s", upper, uri, query,
      headers, signed_headers, hash);
}

static gboolean
has_token (const MtCredentials * creds)
{
  return creds->session_token != NULL && creds->session_token[0] != 0;
}

/* --- header signing --- */

/* The headers signing adds, set before the canonical request is made. */
static void
prepare_headers (MtHttpRequest * req, const MtCredentials * creds,
    const MtSigV4Params * params, const SigningTime * t, const UrlParts * u)
{
  mt_http_request_remove_header (req, "Authorization");
  mt_http_request_set_header (req, "X-Amz-Date", t->amz_date);
  if (mt_http_request_get_header (req, "Host") == NULL)
    mt_http_request_set_header (req, "Host", u->host);
  /* A retry with new credentials must not send the old token. */
  mt_http_request_remove_header (req, "X-Amz-Security-Token");
  if (has_token (creds) && !params->omit_session_token)
    mt_http_request_set_header (req, "X-Amz-Security-Token",
        creds->session_token);
  if (params->add_content_sha256
      && mt_http_request_get_header (req, "x-amz-content-sha256") == NULL) {
    g_autofree gchar *hash = payload_hash (req, params);

    mt_http_request_set_header (req, "X-Amz-Content-SHA256", hash);
  }
}

gboolean
mt_sigv4_sign (MtHttpRequest * req, const MtCredentials * creds,
    const MtSigV4Params * params, MtSigV4Trace * trace, GError ** error)
{
  g_auto (UrlParts) u = { 0 };
  g_auto (SigningTime) t = { 0 };
  g_autoptr (GArray) headers = NULL;
  g_autoptr (GArray) pairs = query_pairs_new ();
  g_autofree gchar *uri = NULL, *query = NULL, *hash = NULL, *hlines = NULL;
  g_autofree gchar *signed_headers = NULL, *cr = NULL, *sig = NULL;
  g_autofree gchar *auth = NULL;

  ensure_debug_category ();
  if (!check_inputs (creds, params, error) || !split_url (req->url, &u, error))
    return FALSE;
  signing_time_init (&t, params->time, params);
  prepare_headers (req, creds, params, &t, &u);

  uri = canonical_uri (u.path, params->normalize_path);
  query_pairs_add_wire (pairs, u.query);
  g_array_sort (pairs, query_pair_cmp);
  query = query_pairs_join (pairs);
  headers = collect_headers (req->headers, u.host);
  hlines = canonical_headers (headers, &signed_headers);
  hash = payload_hash (req, params);
  cr = build_canonical_request (req->method, uri, query, hlines,
      signed_headers, hash);
  finish_signature (cr, &t, creds, params, trace, &sig);

  auth = g_strdup_printf (ALGORITHM " Credential=%s/%s, SignedHeaders=%s, "
      "Signature=%s", creds->access_key_id, t.scope, signed_headers, sig);
  mt_http_request_set_header (req, "Authorization", auth);
  if (has_token (creds) && params->omit_session_token)
    mt_http_request_set_header (req, "X-Amz-Security-Token",
        creds->session_token);
  return TRUE;
}

/* --- query signing (presigned URLs) --- */

/* The X-Amz-* parameters in the order botocore writes them; the token is
 * left out when it is to be added unsigned. */
static GArray *
presign_params (const MtCredentials * creds, const MtSigV4Params * params,
    const SigningTime * t, const gchar * signed_headers, guint expires)
{
  GArray *pairs = query_pairs_new ();
  g_autofree gchar *credential = g_strdup_printf ("%s/%s",
      creds->access_key_id, t->scope);
  g_autofree gchar *exp = g_strdup_printf ("%u", expires);
  const gchar *kv[] = {
    "X-Amz-Algorithm", ALGORITHM, "X-Amz-Credential", credential,
    "X-Amz-Date", t->amz_date, "X-Amz-Expires", exp,
    "X-Amz-SignedHeaders", signed_headers,
    "X-Amz-Security-Token", has_token (creds)
        && !params->omit_session_token ? creds->session_token : NULL,
  };

  for (guint i = 0; i < G_N_ELEMENTS (kv) && kv[i + 1]; i += 2)
    query_pairs_add (pairs, kv[i], strlen (kv[i]), kv[i + 1],
        strlen (kv[i + 1]));
  return pairs;
}

static gchar *
presigned_url (const UrlParts * u, GArray * auth, const MtCredentials * creds,
    const MtSigV4Params * params, const gchar * sig)
{
  GString *url = g_string_new (u->base);
  g_autofree gchar *auth_query = query_pairs_join (auth);

  g_string_append_c (url, '?');
  if (u->query && u->query[0])
    g_string_append_printf (url, "%s&", u->query);
  g_string_append (url, auth_query);
  if (has_token (creds) && params->omit_session_token) {
    g_string_append (url, "&X-Amz-Security-Token=");
    append_encoded (url, creds->session_token, strlen (creds->session_token),
        "");
  }
  g_string_append_printf (url, "&X-Amz-Signature=%s", sig);
  return g_string_free (url, FALSE);
}

gchar *
mt_sigv4_presign (const MtHttpRequest * req, const MtCredentials * creds,
    const MtSigV4Params * params, guint expires_seconds,
    MtSigV4Trace * trace, GError ** error)
{
  g_auto (UrlParts) u = { 0 };
  g_auto (SigningTime) t = { 0 };
  g_autoptr (GArray) headers = NULL, auth = NULL;
  g_autoptr (GArray) pairs = query_pairs_new ();
  g_autofree gchar *uri = NULL, *query = NULL, *hash = NULL, *hlines = NULL;
  g_autofree gchar *signed_headers = NULL, *cr = NULL, *sig = NULL;

  ensure_debug_category ();
  if (!check_inputs (creds, params, error) || !split_url (req->url, &u, error))
    return NULL;
  if (expires_seconds == 0 || expires_seconds > MAX_PRESIGN_EXPIRES) {
    g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_INVALID,
        "A presigned URL lasts 1 to %d seconds, not %u", MAX_PRESIGN_EXPIRES,
        expires_seconds);
    return NULL;
  }
  signing_time_init (&t, params->time, params);

  uri = canonical_uri (u.path, params->normalize_path);
  headers = collect_headers (req->headers, u.host);
  hlines = canonical_headers (headers, &signed_headers);
  auth = presign_params (creds, params, &t, signed_headers, expires_seconds);
  query_pairs_add_wire (pairs, u.query);
  g_array_append_vals (pairs, auth->data, auth->len);
  g_array_set_clear_func (auth, NULL);  /* pairs owns the strings now */
  g_array_sort (pairs, query_pair_cmp);
  query = query_pairs_join (pairs);
  hash = payload_hash (req, params);
  cr = build_canonical_request (req->method, uri, query, hlines,
      signed_headers, hash);
  finish_signature (cr, &t, creds, params, trace, &sig);
  return presigned_url (&u, auth, creds, params, sig);
}

void
mt_sigv4_trace_clear (MtSigV4Trace * trace)
{
  g_clear_pointer (&trace->canonical_request, g_free);
  g_clear_pointer (&trace->string_to_sign, g_free);
  g_clear_pointer (&trace->signature, g_free);
}

/* --- event-stream chained signatures --- */

struct _MtSigV4EventSigner
{
  gchar *secret;                /* wiped on free */
  gchar *region;
  gchar *service;
  gchar prior[65];              /* hex signature the next one chains on */
  gchar key_date[9];            /* the day `key` is for */
  guint8 key[32];
};

MtSigV4EventSigner *
mt_sigv4_event_signer_new (const MtCredentials * creds, const gchar * region,
    const gchar * service, const gchar * seed_signature)
{
  MtSigV4EventSigner *signer;

  g_return_val_if_fail (creds && creds->secret_access_key, NULL);
  g_return_val_if_fail (region && service && seed_signature, NULL);

  ensure_debug_category ();
  signer = g_new0 (MtSigV4EventSigner, 1);
  signer->secret = g_strdup (creds->secret_access_key);
  signer->region = g_strdup (region);
  signer->service = g_strdup (service);
  g_strlcpy (signer->prior, seed_signature, sizeof (signer->prior));
  return signer;
}

void
mt_sigv4_event_signer_free (MtSigV4EventSigner * signer)
{
  if (signer == NULL)
    return;
  OPENSSL_cleanse (signer->secret, strlen (signer->secret));
  OPENSSL_cleanse (signer->key, sizeof (signer->key));
  g_free (signer->secret);
  g_free (signer->region);
  g_free (signer->service);
  g_free (signer);
}

const gchar *
mt_sigv4_event_signer_get_signature (MtSigV4EventSigner * signer)
{
  return signer->prior;
}

/* The :date header as it is encoded in the message: name length, name,
 * type 8 (timestamp), milliseconds big-endian. */
static void
encode_date_header (gint64 time, guint8 out[15])
{
  guint64 ms = (guint64) time * 1000;

  out[0] = 5;
  memcpy (out + 1, ":date", 5);
  out[6] = MT_EVENT_HEADER_TIMESTAMP;
  for (gint i = 0; i < 8; i++)
    out[7 + i] = ms >> (56 - 8 * i);
}

GBytes *
mt_sigv4_event_signer_sign (MtSigV4EventSigner * signer, GBytes * payload,
    gint64 time)
{
  MtSigV4Params params = { signer->region, signer->service, time };
  g_auto (SigningTime) t = { 0 };
  g_autofree gchar *date_hash = NULL, *payload_hash = NULL, *sts = NULL;
  guint8 date_header[15], sig[32];
  gchar *hex;

  g_return_val_if_fail (time >= 0 && time <= MAX_SIGNING_TIME, NULL);
  signing_time_init (&t, time, &params);
  if (strcmp (t.date8, signer->key_date) != 0) {
    derive_signing_key (signer->secret, t.date8, signer->region,
        signer->service, signer->key);
    g_strlcpy (signer->key_date, t.date8, sizeof (signer->key_date));
  }
  encode_date_header (time, date_header);
  date_hash = mt_sha256_hex (date_header, sizeof (date_header));
  payload_hash = mt_sha256_hex_bytes (payload);
  sts = g_strdup_printf (ALGORITHM "-PAYLOAD\n%s\n%s\n%s\n%s\n%s",
      t.amz_date, t.scope, signer->prior, date_hash, payload_hash);
  GST_TRACE ("event string to sign:\n%s", sts);

  hmac_sha256 (signer->key, 32, sts, strlen (sts), sig);
  hex = hex_encode (sig, sizeof (sig));
  g_strlcpy (signer->prior, hex, sizeof (signer->prior));
  g_free (hex);
  return g_bytes_new (sig, sizeof (sig));
}

GBytes *
mt_sigv4_event_signer_sign_message (MtSigV4EventSigner * signer,
    GBytes * message, gint64 time, GError ** error)
{
  g_autoptr (MtEventMessage) envelope = mt_event_message_new ();
  g_autoptr (GBytes) sig = NULL;

  if (time == 0)
    time = g_get_real_time () / G_USEC_PER_SEC;
  sig = mt_sigv4_event_signer_sign (signer, message, time);
  mt_event_message_add_timestamp (envelope, ":date", time * 1000);
  mt_event_message_add_bytes (envelope, ":chunk-signature", sig);
  mt_event_message_set_payload (envelope, message);
  return mt_event_message_encode (envelope, error);
}
