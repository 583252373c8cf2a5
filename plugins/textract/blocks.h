/* Textract's answer shapes turned into result documents, in one place for
 * both engines: the AWS engine gets Blocks / ExpenseDocuments /
 * IdentityDocuments from the service, the local engine composes the same
 * shapes (so tools written for Textract output work on local results too),
 * and both hand them to these converters.
 *
 * Documents made (DESIGN.md, issue "textractsink"): `text` (one per LINE),
 * `document` (one per PAGE: `text` in reading order, `detail.Blocks` the
 * page's blocks), `table` (`detail.rows`: rows of cell strings, header row
 * first, merged cells repeated), `field` (KEY_VALUE_SET pairs: `name` the
 * key without a trailing colon, `value`), `answer` (QUERY/QUERY_RESULT),
 * `expense` (summary fields, `detail.LineItems`), `identity` (`value`
 * normalised as Textract's NormalizedValue). Every one has `page` (from 1),
 * `box` 0..1 where the source has a Geometry, `confidence`, `engine`. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* One page's Blocks (a JsonArray of Block objects, as AnalyzeDocument or
 * DetectDocumentText return them, or as the local engine composes them)
 * into documents appended to `results`. `features` (MtTextractFeatures)
 * says which kinds to make; `min_confidence` drops weaker findings;
 * `engine` is the documents' `engine` ("aws:textract:AnalyzeDocument",
 * "local:tesseract"). */
void mt_textract_blocks_to_results (JsonArray * blocks, guint page,
    guint64 features, gdouble min_confidence, const gchar * engine,
    GPtrArray * results);

/* AnalyzeExpense's ExpenseDocuments into `expense` documents. */
void mt_textract_expense_to_results (JsonArray * expense_documents,
    guint page, gdouble min_confidence, const gchar * engine,
    GPtrArray * results);

/* AnalyzeID's IdentityDocuments into `identity` documents. */
void mt_textract_identity_to_results (JsonArray * identity_documents,
    guint page, gdouble min_confidence, const gchar * engine,
    GPtrArray * results);

G_END_DECLS
