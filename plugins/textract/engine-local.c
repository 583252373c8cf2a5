/* textractsink's offline engine (backend=local): Poppler for born-digital
 * PDF pages (the text layer with its glyph boxes, no OCR), Tesseract for
 * scanned pages and images, and Textract's analyses done on what was
 * read: tables (ruling lines, column alignment), forms, queries, expense
 * fields and line items, identity documents from their MRZ.
 *
 * The engine composes Textract's own shapes (Blocks, ExpenseDocuments,
 * IdentityDocuments; see engine-local-private.h for the stages) and hands
 * them to the converters the AWS engine uses too (blocks.h), so local and
 * AWS results have one shape, down to `detail.Blocks`.
 *
 * Tesseract's model loads once, at start; worker threads each take a
 * Tesseract handle from a pool, and Poppler calls on one document are
 * serialised by that document's lock. */
#include "engine-local-private.h"
#include "blocks.h"
#include "gsttextractsink.h"

#define LOCAL_FEATURES (MT_TEXTRACT_TEXT | MT_TEXTRACT_TABLES \
    | MT_TEXTRACT_FORMS | MT_TEXTRACT_QUERIES | MT_TEXTRACT_EXPENSE \
    | MT_TEXTRACT_IDENTITY)

typedef struct
{
  LocalEngine *engine;
  GstElement *element;
} LocalState;

static gboolean
local_start (const MtEngineContext * ctx, gpointer * state, GError ** error)
{
  LocalState *st;
  LocalEngine *engine = local_engine_new (error);

  if (!engine)
    return FALSE;
  st = g_new0 (LocalState, 1);
  st->engine = engine;
  st->element = ctx->element;
  GST_INFO_OBJECT (ctx->element, "offline engine ready (Poppler, Tesseract)");
  *state = st;
  return TRUE;
}

static void
local_stop (gpointer state)
{
  LocalState *st = state;

  if (!st)
    return;
  local_engine_free (st->engine);
  g_free (st);
}

static gboolean
local_analyze (gpointer state, const MtEngineContext * ctx,
    const MtUnit * unit, GPtrArray * results, GCancellable * cancellable,
    GError ** error)
{
  LocalState *st = state;
  const MtTextractConfig *cfg = ctx->config;
  guint page = MAX (unit->page, 1);
  LocalShapes shapes;

  if (!local_engine_read (st->engine, unit, ctx->features, cfg->queries,
          unit->dpi ? unit->dpi : cfg->dpi, cfg->password, &shapes,
          cancellable, error))
    return FALSE;
  if (!shapes.blocks) {
    GST_DEBUG_OBJECT (st->element, "page %u is blank", page);
    return TRUE;
  }
  mt_textract_blocks_to_results (shapes.blocks, page, ctx->features,
      cfg->min_confidence, shapes.engine, results);
  if (shapes.expense_documents)
    mt_textract_expense_to_results (shapes.expense_documents, page,
        cfg->min_confidence, shapes.engine, results);
  if (shapes.identity_documents)
    mt_textract_identity_to_results (shapes.identity_documents, page,
        cfg->min_confidence, shapes.engine, results);
  local_shapes_clear (&shapes);
  return TRUE;
}

const MtEngine mt_textract_engine_local = {
  .backend = "local",
  .name = "local:textract",
  .features = LOCAL_FEATURES,
  .start = local_start,
  .analyze = local_analyze,
  .stop = local_stop,
};
