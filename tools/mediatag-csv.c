/* Tables as CSV: the rows textractsink gives (detail.rows), written as
 * RFC 4180 says, so spreadsheets and csv readers take them as they are. */
#include <string.h>

#include "mediatag-csv.h"

static void
append_field (GString * s, const gchar * v)
{
  const gchar *p;

  if (!strpbrk (v, ",\"\r\n")) {
    g_string_append (s, v);
    return;
  }
  g_string_append_c (s, '"');
  for (p = v; *p; p++) {
    if (*p == '"')
      g_string_append_c (s, '"');
    g_string_append_c (s, *p);
  }
  g_string_append_c (s, '"');
}

static const gchar *
cell_text (JsonNode * n)
{
  if (n && JSON_NODE_HOLDS_VALUE (n)
      && json_node_get_value_type (n) == G_TYPE_STRING)
    return json_node_get_string (n);
  return "";
}

gchar *
mt_csv_from_rows (JsonArray * rows)
{
  GString *s = g_string_new (NULL);
  guint i, j;

  for (i = 0; i < json_array_get_length (rows); i++) {
    JsonNode *row = json_array_get_element (rows, i);
    JsonArray *cells;

    if (!JSON_NODE_HOLDS_ARRAY (row))
      continue;
    cells = json_node_get_array (row);
    for (j = 0; j < json_array_get_length (cells); j++) {
      if (j)
        g_string_append_c (s, ',');
      append_field (s, cell_text (json_array_get_element (cells, j)));
    }
    g_string_append (s, "\r\n");
  }
  return g_string_free (s, FALSE);
}
