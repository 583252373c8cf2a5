/* mediatag report: one self-contained HTML page of result documents.
 * mediatag-report.c reads the results (files, folders, s3://) into assets
 * and runs the verb; report-html.c renders the page. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The results of one asset, as read. */
typedef struct {
  gchar *asset;                 /* the documents' `asset` URI */
  gchar *results;               /* where they were read (path or s3:// URI) */
  gchar *thumbs_dir;            /* local folder of <ms>.jpg thumbnails, or NULL */
  gint64 analysed;              /* unix time the results were written; 0 unknown */
  gboolean incomplete;          /* read from an <asset>.incomplete.jsonl */
  GPtrArray *docs;              /* of JsonObject, in file order */
} MtReportAsset;

void mt_report_asset_free (MtReportAsset * asset);

/* The page for `assets` (of MtReportAsset): an index when there are
 * several, then one section per asset. Everything from the media is
 * escaped; the page makes no network request. */
gchar *mt_report_render (GPtrArray * assets);

/* Reads `inputs` (JSON Lines result files, folders holding them, s3://
 * objects or prefixes) and writes the page to `out`. */
gboolean mt_report_write (const gchar * const *inputs, const gchar * out,
    GError ** error);

/* For analyze --report: the page of <base>.jsonl written to <base>.html
 * (removing an earlier <base>.incomplete.html), or, when the asset was not
 * analysed whole, of <base>.incomplete.jsonl to <base>.incomplete.html,
 * marked incomplete. */
gboolean mt_report_write_beside (const gchar * base, gboolean incomplete,
    GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtReportAsset, mt_report_asset_free)

G_END_DECLS
