/* Tables as CSV (RFC 4180: CRLF line ends, fields with a comma, quote or
 * line break quoted, quotes doubled). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* `rows`: an array of arrays of strings (textractsink's detail.rows). */
gchar *mt_csv_from_rows (JsonArray * rows);

G_END_DECLS
