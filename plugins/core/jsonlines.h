/* JSON Lines input: the one line assembler behind every element that takes
 * `application/x-json` (opensearchsink, comprehend, the analysis-sink base).
 *
 * Buffers may split lines anywhere (even inside a UTF-8 sequence or between
 * \r and \n). The assembler hands out whole lines, without their "\n" or
 * "\r\n", numbered from 1 in input order; a last line without a final
 * newline comes out at mt_line_assembler_finish(). Empty lines (and lines
 * of only spaces) are skipped but counted. A line longer than `max_line`
 * bytes is not buffered past the limit: it is reported once, as a
 * MT_LINE_ERROR_TOO_LONG error naming its line number, and skipped up to
 * its newline, so memory stays bounded whatever the input.
 *
 * Not thread-safe: one assembler per stream, fed from one thread. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define MT_LINE_ERROR (mt_line_error_quark ())
GQuark mt_line_error_quark (void);

typedef enum {
  MT_LINE_ERROR_TOO_LONG,       /* "line 12 is longer than 16777216 bytes" */
  MT_LINE_ERROR_NOT_JSON,       /* "line 12 is not JSON: <parser's words>" */
  MT_LINE_ERROR_NOT_OBJECT,     /* "line 12 is a JSON array, not an object" */
} MtLineError;

/* 16 MiB: far above any result document, far below a memory problem. */
#define MT_LINE_DEFAULT_MAX (16u * 1024 * 1024)

typedef struct _MtLineAssembler MtLineAssembler;

/* Called for each line. Exactly one of `line` and `error` is set: `line`
 * (`len` bytes, followed by a NUL) for a whole line, `error` for one that
 * was too long.
 * Return FALSE to stop: push()/finish() then return FALSE without setting
 * their error (the callback keeps its own). */
typedef gboolean (*MtLineFunc) (const gchar * line, gsize len,
    guint64 line_no, const GError * error, gpointer user_data);

MtLineAssembler *mt_line_assembler_new (gsize max_line);
void mt_line_assembler_free (MtLineAssembler * la);
/* Forgets any partial line and restarts numbering at 1 (a flush). */
void mt_line_assembler_reset (MtLineAssembler * la);

gboolean mt_line_assembler_push (MtLineAssembler * la, const guint8 * data,
    gsize len, MtLineFunc func, gpointer user_data);
/* At EOS: hands out a last line that had no newline. */
gboolean mt_line_assembler_finish (MtLineAssembler * la, MtLineFunc func,
    gpointer user_data);

/* Lines handed out (or reported too long) so far. */
guint64 mt_line_assembler_get_line_count (MtLineAssembler * la);

/* Parses one line as a JSON object: a new reference, or NULL with an
 * MT_LINE_ERROR naming line_no (NOT_JSON, NOT_OBJECT). Invalid UTF-8 is
 * NOT_JSON. */
JsonObject *mt_json_line_parse (const gchar * line, gsize len,
    guint64 line_no, GError ** error);

/* A dead letter: one JSON object on one line for an input line that could
 * not be used, so a dead-letter file is itself valid JSON Lines whatever
 * the input held: {"line": N, "reason": "...", "text": "<the line, if valid
 * UTF-8>"} or "base64": "<the bytes>" when it is not. Without the
 * newline. */
gchar *mt_dead_letter_line (const gchar * line, gsize len, guint64 line_no,
    const gchar * reason);

/* One compact line of strict JSON for `node`, without the newline. Use it
 * rather than json_to_string(): json-glib 1.6 leaves the byte 0x1F raw
 * inside strings, which strict readers (Python's json, jq) refuse. */
gchar *mt_json_to_line (JsonNode * node);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtLineAssembler, mt_line_assembler_free)

G_END_DECLS
