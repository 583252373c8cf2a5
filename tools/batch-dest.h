/* mediatag batch: DEST, the local folder or s3://bucket/prefix/ that takes
 * each asset's results, the ledger and the lock.
 *
 * Every write is whole or nothing under its final name: locally a
 * temporary file in the same folder renamed over it (fsynced first), on S3
 * one PutObject or a completed multipart upload. An asset is analysed into
 * a scratch folder and published from there, so a SIGKILL at any point
 * leaves at most a scratch folder (under DEST/.mediatag/tmp locally,
 * removed by the next run), never a half file under a final name.
 *
 * Thread-safe after mt_batch_dest_open(). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _MtBatchDest MtBatchDest;

/* The folder under DEST that holds the ledger parts, locks and scratch. */
#define MT_BATCH_STATE_DIR ".mediatag"

/* Opens DEST and proves it can be written (creates it locally; a lock or
 * probe object on S3 comes with the lock), so a DEST that cannot be
 * written fails here, before anything is analysed. */
MtBatchDest *mt_batch_dest_open (const gchar * dest, GError ** error);
void mt_batch_dest_free (MtBatchDest * dest);

gboolean mt_batch_dest_is_s3 (const MtBatchDest * dest);
/* The local folder of DEST (NULL on S3). */
const gchar *mt_batch_dest_local (const MtBatchDest * dest);
/* DEST as the user named it, for messages. */
const gchar *mt_batch_dest_name (const MtBatchDest * dest);

/* A new empty scratch folder for one asset's results. */
gchar *mt_batch_dest_scratch (MtBatchDest * dest, GError ** error);
/* Moves every file under `scratch` to DEST/<rel_dir>/ (rel_dir "" is DEST
 * itself), each whole, and removes the scratch folder. */
gboolean mt_batch_dest_publish (MtBatchDest * dest, const gchar * scratch,
    const gchar * rel_dir, GCancellable * cancellable, GError ** error);
/* Removes what an incomplete attempt of asset `name` published in
 * DEST/<rel_dir>/: <name>.incomplete.jsonl and <name>.<x>.incomplete.vtt,
 * .srt, .csv, as analyze replaces them with whole results. */
gboolean mt_batch_dest_remove_incomplete (MtBatchDest * dest,
    const gchar * rel_dir, const gchar * name, GCancellable * cancellable,
    GError ** error);
/* Removes a scratch folder and everything in it. */
void mt_batch_dest_discard (const gchar * scratch);

/* Small state objects under DEST/.mediatag/ (ledger parts). read returns
 * NULL with G_IO_ERROR_NOT_FOUND when there is none. */
GBytes *mt_batch_dest_read (MtBatchDest * dest, const gchar * name,
    GCancellable * cancellable, GError ** error);
gboolean mt_batch_dest_write (MtBatchDest * dest, const gchar * name,
    GBytes * data, GCancellable * cancellable, GError ** error);
/* Names under DEST/.mediatag/ beginning with `prefix`. */
GPtrArray *mt_batch_dest_list (MtBatchDest * dest, const gchar * prefix,
    GCancellable * cancellable, GError ** error);

/* The lock of one ledger part: a file held with flock locally (released
 * by the kernel however the process ends), an object created with
 * If-None-Match: * on S3, whose heartbeat mt_batch_dest_refresh_lock()
 * renews; an S3 lock not renewed for MT_BATCH_LOCK_STALE_S seconds is
 * taken over (its holder was killed), and at once when its holder ran on
 * this host in our pid namespace and its process is gone. Fails with G_IO_ERROR_BUSY naming the
 * holder when another batch holds it. */
#define MT_BATCH_LOCK_STALE_S 120
gboolean mt_batch_dest_lock (MtBatchDest * dest, const gchar * name,
    GError ** error);
gboolean mt_batch_dest_refresh_lock (MtBatchDest * dest, GError ** error);
void mt_batch_dest_unlock (MtBatchDest * dest);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtBatchDest, mt_batch_dest_free)

G_END_DECLS
