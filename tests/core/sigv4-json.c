/* A test helper (not installed): signs requests described as JSON on stdin
 * with sigv4.c and prints what it produced as JSON on stdout, so that
 * test_sigv4_botocore.py can compare it with botocore's signers.
 *
 * Input: an array. Each item is either a request
 *   {"method", "url", "headers": [[name, value], ...], "body_b64",
 *    "access_key", "secret_key", "token", "region", "service", "time",
 *    "normalize_path", "unsigned_payload", "add_content_sha256",
 *    "omit_session_token", "presign_expires" (0: sign headers)}
 * or an event-stream chain
 *   {"event": {"secret", "region", "service", "seed",
 *              "messages": [{"payload_b64", "time"}, ...]}}.
 * A request item with "repeat": N is also signed N more times (fresh copies)
 * and its output has "elapsed_us" for those N signings alone: the figure
 * tests/bench/bench_sigv4.py compares with botocore.
 * Output: an array, one item per input item:
 *   {"headers": [[name, value], ...], "url", "canonical_request",
 *    "string_to_sign", "signature"} or {"error": message}, and for chains
 *   {"signatures": [hex, ...], "frames_b64": [envelope, ...]}. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "sigv4.h"
#include "credentials.h"

static const gchar *
member_string (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n && !JSON_NODE_HOLDS_NULL (n) ? json_node_get_string (n) : NULL;
}

static gboolean
member_bool (JsonObject * o, const gchar * name)
{
  return json_object_get_boolean_member_with_default (o, name, FALSE);
}

static GBytes *
member_base64 (JsonObject * o, const gchar * name)
{
  const gchar *b64 = member_string (o, name);
  gsize len = 0;
  guchar *data;

  if (b64 == NULL)
    return NULL;
  data = g_base64_decode (b64, &len);
  return g_bytes_new_take (data, len);
}

static MtHttpRequest *
request_from_json (JsonObject * o)
{
  MtHttpRequest *req = mt_http_request_new (member_string (o, "method"),
      member_string (o, "url"));
  JsonArray *headers = json_object_get_array_member (o, "headers");
  g_autoptr (GBytes) body = member_base64 (o, "body_b64");

  for (guint i = 0; headers && i < json_array_get_length (headers); i++) {
    JsonArray *pair = json_array_get_array_element (headers, i);
    MtHeader h = { g_strdup (json_array_get_string_element (pair, 0)),
      g_strdup (json_array_get_string_element (pair, 1))
    };

    g_array_append_val (req->headers, h);
  }
  if (body)
    mt_http_request_set_body (req, body);
  return req;
}

static void
add_trace (JsonBuilder * b, const MtSigV4Trace * trace)
{
  json_builder_set_member_name (b, "canonical_request");
  json_builder_add_string_value (b, trace->canonical_request);
  json_builder_set_member_name (b, "string_to_sign");
  json_builder_add_string_value (b, trace->string_to_sign);
  json_builder_set_member_name (b, "signature");
  json_builder_add_string_value (b, trace->signature);
}

static void
add_headers (JsonBuilder * b, const MtHttpRequest * req)
{
  json_builder_set_member_name (b, "headers");
  json_builder_begin_array (b);
  for (guint i = 0; i < req->headers->len; i++) {
    const MtHeader *h = &g_array_index (req->headers, MtHeader, i);

    json_builder_begin_array (b);
    json_builder_add_string_value (b, h->name);
    json_builder_add_string_value (b, h->value);
    json_builder_end_array (b);
  }
  json_builder_end_array (b);
}

static MtHttpRequest *
request_copy (const MtHttpRequest * req)
{
  MtHttpRequest *copy = mt_http_request_new (req->method, req->url);

  for (guint i = 0; i < req->headers->len; i++) {
    const MtHeader *h = &g_array_index (req->headers, MtHeader, i);
    MtHeader c = { g_strdup (h->name), g_strdup (h->value) };

    g_array_append_val (copy->headers, c);
  }
  mt_http_request_set_body (copy, req->body);
  return copy;
}

/* Microseconds to sign `n` fresh copies of `req`. */
static gint64
time_signing (const MtHttpRequest * req, const MtCredentials * creds,
    const MtSigV4Params * params, guint n)
{
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < n; i++) {
    g_autoptr (MtHttpRequest) copy = request_copy (req);

    if (!mt_sigv4_sign (copy, creds, params, NULL, NULL))
      g_error ("sigv4-json: a request that signed once failed to sign again");
  }
  return g_get_monotonic_time () - start;
}

static void
sign_request (JsonBuilder * b, JsonObject * o)
{
  g_autoptr (MtHttpRequest) req = request_from_json (o);
  g_auto (MtSigV4Trace) trace = { 0 };
  g_autoptr (GError) error = NULL;
  MtCredentials creds = { 1, (gchar *) member_string (o, "access_key"),
    (gchar *) member_string (o, "secret_key"),
    (gchar *) member_string (o, "token"), 0, NULL
  };
  MtSigV4Params params = { member_string (o, "region"),
    member_string (o, "service"), json_object_get_int_member (o, "time"),
    member_bool (o, "normalize_path"),
    member_bool (o, "unsigned_payload") ? MT_SIGV4_PAYLOAD_UNSIGNED :
        MT_SIGV4_PAYLOAD_SIGNED,
    member_bool (o, "add_content_sha256"),
    member_bool (o, "omit_session_token"),
  };
  guint expires = json_object_get_int_member_with_default (o,
      "presign_expires", 0);
  guint repeat = json_object_get_int_member_with_default (o, "repeat", 0);
  g_autoptr (MtHttpRequest) original = request_copy (req);
  g_autofree gchar *url = NULL;

  if (expires > 0)
    url = mt_sigv4_presign (req, &creds, &params, expires, &trace, &error);
  else if (mt_sigv4_sign (req, &creds, &params, &trace, &error))
    url = g_strdup (req->url);

  json_builder_begin_object (b);
  if (url == NULL) {
    json_builder_set_member_name (b, "error");
    json_builder_add_string_value (b, error->message);
  } else {
    json_builder_set_member_name (b, "url");
    json_builder_add_string_value (b, url);
    add_headers (b, req);
    add_trace (b, &trace);
  }
  if (url && repeat > 0) {
    json_builder_set_member_name (b, "elapsed_us");
    json_builder_add_int_value (b, time_signing (original, &creds, &params,
            repeat));
  }
  json_builder_end_object (b);
}

static void
sign_events (JsonBuilder * b, JsonObject * ev)
{
  MtCredentials creds = { 1, (gchar *) "AKID",
    (gchar *) member_string (ev, "secret"), NULL, 0, NULL
  };
  g_autoptr (MtSigV4EventSigner) signer = mt_sigv4_event_signer_new (&creds,
      member_string (ev, "region"), member_string (ev, "service"),
      member_string (ev, "seed"));
  JsonArray *msgs = json_object_get_array_member (ev, "messages");
  g_autoptr (GPtrArray) sigs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) frames = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < json_array_get_length (msgs); i++) {
    JsonObject *m = json_array_get_object_element (msgs, i);
    g_autoptr (GBytes) payload = member_base64 (m, "payload_b64");
    g_autoptr (GBytes) frame = NULL;
    g_autoptr (GError) error = NULL;

    frame = mt_sigv4_event_signer_sign_message (signer, payload,
        json_object_get_int_member (m, "time"), &error);
    g_assert_no_error (error);
    g_ptr_array_add (sigs,
        g_strdup (mt_sigv4_event_signer_get_signature (signer)));
    g_ptr_array_add (frames, g_base64_encode (g_bytes_get_data (frame, NULL),
            g_bytes_get_size (frame)));
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "signatures");
  json_builder_begin_array (b);
  for (guint i = 0; i < sigs->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (sigs, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "frames_b64");
  json_builder_begin_array (b);
  for (guint i = 0; i < frames->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (frames, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
}

int
main (int argc, char **argv)
{
  g_autoptr (GString) input = g_string_new (NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) out = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  JsonArray *items;
  gchar chunk[65536];
  gsize n;

  while ((n = fread (chunk, 1, sizeof (chunk), stdin)) > 0)
    g_string_append_len (input, chunk, n);
  if (!json_parser_load_from_data (parser, input->str, input->len, &error)) {
    g_printerr ("sigv4-json: cannot read the input: %s\n", error->message);
    return 2;
  }
  items = json_node_get_array (json_parser_get_root (parser));
  json_builder_begin_array (b);
  for (guint i = 0; i < json_array_get_length (items); i++) {
    JsonObject *o = json_array_get_object_element (items, i);

    if (json_object_has_member (o, "event"))
      sign_events (b, json_object_get_object_member (o, "event"));
    else
      sign_request (b, o);
  }
  json_builder_end_array (b);
  out = json_builder_get_root (b);
  json_generator_set_root (gen, out);
  text = json_generator_to_data (gen, NULL);
  fputs (text, stdout);
  return 0;
}
