/* mediatag batch: SOURCE, listed as a stream of assets.
 *
 * SOURCE is a local folder (walked recursively; symbolic links to folders
 * are not followed, hidden names are left out), an s3://bucket/prefix/
 * (ListObjectsV2 page by page, so memory stays one page however many keys),
 * or a text file naming one path or URI a line (blank lines and lines
 * beginning with '#' left out; relative paths are relative to the file).
 *
 * Each asset has a path relative to SOURCE ('/'-separated): the key after
 * the prefix, the path under the folder, or for a list the URI without its
 * scheme ("bucket/key", "abs/path/x.jpg"). That path names its results in
 * DEST, picks its shard and matches --include / --exclude. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  gchar *path;                  /* relative to SOURCE */
  gchar *uri;                   /* what is analysed: file:// or s3:// */
  gchar *etag;                  /* S3's, or NULL */
  guint64 size;
  gchar *mtime;                 /* ISO 8601, UTC */
} MtBatchItem;

void mt_batch_item_free (MtBatchItem * item);

typedef struct {
  gchar **include;              /* globs (g_pattern_match_simple), NULL: all */
  gchar **exclude;
  guint shards;                 /* 0 or 1: no sharding */
  guint shard;
  guint page_size;              /* S3 keys per page; 0: S3's 1000 */
  const gchar *skip_dir;        /* a local folder not to walk (DEST) */
} MtBatchFilter;

/* Takes the item (transfer full). FALSE (error set) stops the listing. */
typedef gboolean (*MtBatchItemFunc) (MtBatchItem * item, gpointer user_data,
    GError ** error);

/* Whether SOURCE names something that can be listed (a folder, a list
 * file, an s3:// prefix); a usage error otherwise. */
gboolean mt_batch_source_check (const gchar * source, GError ** error);

/* Lists SOURCE, calling on_item for each asset that passes the filter. */
gboolean mt_batch_source_list (const gchar * source,
    const MtBatchFilter * filter, MtBatchItemFunc on_item,
    gpointer user_data, GCancellable * cancellable, GError ** error);

/* Whether `path` passes the filter's globs and is in its shard. */
gboolean mt_batch_filter_accepts (const MtBatchFilter * filter,
    const gchar * path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtBatchItem, mt_batch_item_free)

G_END_DECLS
