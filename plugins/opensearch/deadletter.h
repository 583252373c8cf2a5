/* opensearchsink's dead letters: each document or input line that was
 * not indexed, written as one JSON line with the reason to the
 * dead-letter file (when there is one), counted, and the warnings about
 * them rationed. Thread-safe: the streaming thread and the senders both
 * write. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "bulk.h"

G_BEGIN_DECLS

typedef struct _OsDeadLetters OsDeadLetters;

/* Replaces the file at `location` (NULL: letters are only counted). NULL
 * with `error` set when it cannot be opened. */
OsDeadLetters *os_dead_letters_open (const gchar * location, GError ** error);
/* Closes the file. */
void os_dead_letters_free (OsDeadLetters * letters);

/* The file's path, or NULL when there is none. */
const gchar *os_dead_letters_location (OsDeadLetters * letters);

/* A line that never became a document: {"line", "reason", "text" or
 * "base64"} (NULL line: too long to keep, no text). FALSE with `error`
 * when the file could not be written; the letter is counted anyway. */
gboolean os_dead_letters_add_line (OsDeadLetters * letters,
    const gchar * line, gsize len, guint64 line_no, const gchar * reason,
    GError ** error);

/* A document OpenSearch did not take: {"reason", "status", "index", "id",
 * "error" (OpenSearch's own object, verbatim), "document"}. */
gboolean os_dead_letters_add_doc (OsDeadLetters * letters,
    OpenSearchDoc * doc, gint64 status, JsonObject * error_obj,
    const gchar * reason, GError ** error);

/* Whether a warning about one more letter may be posted: the first
 * OS_DEAD_LETTERS_MAX_WARNINGS are, the rest are counted (see
 * os_dead_letters_get_counts()). */
#define OS_DEAD_LETTERS_MAX_WARNINGS 10
gboolean os_dead_letters_may_warn (OsDeadLetters * letters);

/* Letters added since open, and warnings about them not posted. */
void os_dead_letters_get_counts (OsDeadLetters * letters, guint64 * count,
    guint64 * suppressed);

void os_dead_letters_flush (OsDeadLetters * letters);

G_END_DECLS
