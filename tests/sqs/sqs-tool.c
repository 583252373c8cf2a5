/* A small driver of tools/batch-sqs.c for the tests: each verb is one
 * call of the client against the queue, its outcome printed as one JSON
 * line on stdout (receive) or an error on stderr with exit status 1.
 *
 *   sqs-tool URL check
 *   sqs-tool URL receive MAX WAIT VISIBILITY
 *   sqs-tool URL extend RECEIPT VISIBILITY
 *   sqs-tool URL delete RECEIPT
 *
 * Credentials, region and endpoint come from the environment, as for the
 * mediatag tool. */
#include <stdio.h>
#include <stdlib.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include "batch-sqs.h"

static JsonNode *
message_to_json (const MtSqsMessage * msg)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, msg->message_id);
  json_builder_set_member_name (b, "receipt");
  json_builder_add_string_value (b, msg->receipt_handle);
  json_builder_set_member_name (b, "uris");
  json_builder_begin_array (b);
  for (guint i = 0; i < msg->uris->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (msg->uris, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "etags");
  json_builder_begin_array (b);
  for (guint i = 0; i < msg->etags->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (msg->etags, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "sizes");
  json_builder_begin_array (b);
  for (guint i = 0; i < msg->sizes->len; i++)
    json_builder_add_int_value (b, g_array_index (msg->sizes, guint64, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
receive (MtSqsClient * client, gchar ** argv, GError ** error)
{
  g_autoptr (GPtrArray) msgs = mt_sqs_client_receive (client, atoi (argv[0]),
      atoi (argv[1]), atoi (argv[2]), NULL, error);

  if (msgs == NULL)
    return FALSE;
  for (guint i = 0; i < msgs->len; i++) {
    g_autoptr (JsonNode) node = message_to_json (g_ptr_array_index (msgs, i));
    g_autofree gchar *line = json_to_string (node, FALSE);
    /* UTF-8 as is: g_print would convert to the C locale's charset. */
    fputs (line, stdout);
    fputc ('\n', stdout);
  }
  return TRUE;
}

static gboolean
run (MtSqsClient * client, gint argc, gchar ** argv, GError ** error)
{
  MtSqsMessage msg = { 0, };

  msg.receipt_handle = argc > 1 ? argv[1] : NULL;
  if (g_str_equal (argv[0], "check") && argc == 1)
    return mt_sqs_client_check (client, NULL, error);
  if (g_str_equal (argv[0], "receive") && argc == 4)
    return receive (client, argv + 1, error);
  if (g_str_equal (argv[0], "extend") && argc == 3)
    return mt_sqs_client_extend (client, &msg, atoi (argv[2]), NULL, error);
  if (g_str_equal (argv[0], "delete") && argc == 2)
    return mt_sqs_client_delete (client, &msg, NULL, error);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad verb");
  return FALSE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MtSqsClient) client = NULL;
  MtAwsSettings settings;

  if (argc < 3) {
    g_printerr ("usage: sqs-tool QUEUE_URL VERB [ARGS...]\n");
    return 2;
  }
  gst_init (NULL, NULL);
  mt_aws_settings_init (&settings);
  client = mt_sqs_client_new (&settings, argv[1], &error);
  if (client != NULL)
    run (client, argc - 2, argv + 2, &error);
  mt_aws_settings_clear (&settings);
  if (error != NULL) {
    g_printerr ("error: %s\n", error->message);
    return 1;
  }
  return 0;
}
