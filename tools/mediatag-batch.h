/* mediatag batch: a folder, an S3 prefix or a list of assets through
 * `mediatag analyze`'s code, with a ledger per asset in DEST, retries,
 * resume, shards and `mediatag batch status` (docs/batch.md). */
#pragma once

#include "mediatag.h"

G_BEGIN_DECLS

extern const MtVerb mt_verb_batch;

G_END_DECLS
