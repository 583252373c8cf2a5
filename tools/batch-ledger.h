/* mediatag batch: the ledger, what became of each asset (docs/batch.md).
 *
 * JSON Lines parts under DEST/.mediatag/, one per shard:
 * ledger-<shard>.jsonl, one record a line:
 *   {"path": "a/b.jpg", "source": "s3://in/a/b.jpg", "state": "done",
 *    "attempts": 1, "engine": "local:vision", "duration_ms": 840,
 *    "etag": "\"9b2cf535f27731c974343645a3985328\"", "size": 1234,
 *    "mtime": "2026-12-06T05:40:00.000000Z", "error": null,
 *    "time": 1796535600123456, "shard": 0}
 * state is pending (started, not finished: in progress or killed), done,
 * failed (error says why) or skipped (not media mediatag reads). An asset's
 * state is its record with the latest time over all parts; a line cut
 * short by a crash is ignored.
 *
 * A local part is appended and fsynced per record; an S3 part is rewritten
 * whole at each checkpoint (S3 has no append). A process writes only its
 * own part, under its lock, so no two writers touch one object.
 *
 * Thread-safe: workers record while the main thread checkpoints. */
#pragma once

#include <gio/gio.h>
#include "batch-dest.h"

G_BEGIN_DECLS

typedef enum {
  MT_LEDGER_PENDING,
  MT_LEDGER_DONE,
  MT_LEDGER_FAILED,
  MT_LEDGER_SKIPPED,
} MtLedgerState;

typedef struct {
  gchar *path;                  /* relative to SOURCE, '/'-separated */
  gchar *source;                /* the URI analysed */
  MtLedgerState state;
  guint attempts;
  gchar *engine;
  guint64 duration_ms;          /* the analysis and publishing */
  gchar *etag;                  /* the source's, NULL when unknown */
  guint64 size;
  gchar *mtime;
  gchar *error;
  gint64 time;                  /* when recorded, µs since the epoch */
  guint shard;
} MtLedgerEntry;

const gchar *mt_ledger_state_name (MtLedgerState state);
MtLedgerEntry *mt_ledger_entry_copy (const MtLedgerEntry * e);
void mt_ledger_entry_free (MtLedgerEntry * e);

typedef struct _MtBatchLedger MtBatchLedger;

/* Reads every part in DEST. With own_part (a name such as
 * "ledger-0.jsonl"), records go to that part; NULL opens it read-only
 * (status). The own part is compacted first (one record per asset), which
 * also drops a line a crash cut short. */
MtBatchLedger *mt_batch_ledger_open (MtBatchDest * dest,
    const gchar * own_part, GCancellable * cancellable, GError ** error);
void mt_batch_ledger_free (MtBatchLedger * ledger);

/* The latest record of `path`, a copy (free it), or NULL. */
MtLedgerEntry *mt_batch_ledger_lookup (MtBatchLedger * ledger,
    const gchar * path);
/* Records `e` (its time is set now). Local: durable when this returns. */
gboolean mt_batch_ledger_record (MtBatchLedger * ledger, MtLedgerEntry * e,
    GError ** error);
/* S3: writes the own part whole when it changed. Local: nothing to do. */
gboolean mt_batch_ledger_checkpoint (MtBatchLedger * ledger,
    GCancellable * cancellable, GError ** error);
/* Every asset's latest record, sorted by path (MtLedgerEntry, owned). */
GPtrArray *mt_batch_ledger_entries (MtBatchLedger * ledger);

/* FNV-1a 64-bit hash of the path's UTF-8 bytes, modulo shards: the shard
 * that does the asset (docs/batch.md). */
guint mt_batch_shard_of (const gchar * path, guint shards);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtLedgerEntry, mt_ledger_entry_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtBatchLedger, mt_batch_ledger_free)

G_END_DECLS
