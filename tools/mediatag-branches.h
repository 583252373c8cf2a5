/* mediatag analyze: the audio (transcribesink), document (textractsink) and
 * comprehend branches of an asset's graph, their options, and the files and
 * summary lines made from their results. mediatag-analyze.c builds the
 * vision branch and runs the graph; this file adds the other branches to
 * the same launch line, so one pipeline analyses all of an asset. */
#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

/* What the command line and aiOptions ask of the branches. */
typedef struct {
  /* aiOptions transcribe / textract (TRUE unless turned off). */
  gboolean transcribe;
  gboolean textract;
  /* comprehend features, '+'-joined; NULL: the default (all three); "":
   * no comprehend. */
  gchar *comprehend_features;
  /* textractsink features named by --features (tables, forms...), NULL if
   * none: then documents get text+tables+forms and images no textract. */
  gchar *document_features;
  /* --features named only document or comprehend features: no vision
   * branch. */
  gboolean no_vision;
  gchar *language_code;         /* transcribesink language-code */
  gchar *vocabulary_name;
  gchar *language_model_name;
  gchar *vocabulary;            /* local engine's word list */
  gchar *queries;
  gchar *pages;
  gchar *bucket;                /* AWS batch transcription */
  gdouble max_tps;              /* --max-tps: 0, no limit */
  gchar *opensearch_sigv4;      /* NULL, "es" or "aoss" */
} MtBranchOptions;

void mt_branch_options_init (MtBranchOptions * bo);
void mt_branch_options_clear (MtBranchOptions * bo);

/* The command-line options of the branches, as a group for analyze's
 * option context. */
GOptionGroup *mt_branch_options_group (MtBranchOptions * bo);

/* Reads the aiOptions the branches honour: transcribe, languageCode,
 * customVocabulary, customLanguageModel, textract, keyphrase, entity,
 * sentiment. Command-line options already given win. */
gboolean mt_branch_options_load_ai (MtBranchOptions * bo, const gchar * path,
    GError ** error);

/* Takes the document and comprehend feature names out of the '+'-joined
 * `features` (which keeps the vision ones, or `vision_default` when none is
 * left), remembering them in `bo`. */
gboolean mt_branch_options_take_features (MtBranchOptions * bo,
    gchar ** features, const gchar * vision_default, GError ** error);

/* Which branches one asset gets, and where each writes its results. */
typedef struct {
  gboolean vision;
  gboolean audio;
  gboolean document;
  gboolean comprehend;
  gchar *document_features;
  gchar *audio_location;        /* NULL: the branch writes the asset's part */
  gchar *document_location;
  /* The document's caps when the probe knew its format (a PDF whose text
   * typefind would take for text/plain); NULL: typefind decides. */
  const gchar *document_caps;
  gchar *comprehend_location;
} MtBranchPlan;

void mt_branch_plan_clear (MtBranchPlan * p);

/* Chooses the branches for an asset of this kind ("video", "image",
 * "audio", "document"); fails when nothing asked for applies to it. */
gboolean mt_branch_plan_make (MtBranchPlan * p, const MtBranchOptions * bo,
    const gchar * kind, gboolean has_audio, const gchar * part,
    GError ** error);

/* Adds the planned branches to `launch`, which holds the vision branch
 * (vision planned) or is empty. */
void mt_branch_plan_append (const MtBranchPlan * p, GString * launch,
    const MtBranchOptions * bo, const gchar * source, const gchar * backend,
    gdouble min_confidence, const gchar * part, const gchar * opensearch);

/* "tables, forms, ... (documents); keyphrases, entities, sentiment (text)":
 * the --features names of these branches, for messages. */
gchar *mt_branch_feature_names (void);

/* `value` in double quotes for a launch line, '"' and '\\' escaped. */
gchar *mt_launch_quote (const gchar * value);
/* " prop=\"value\"" (nothing when value is NULL). */
void mt_launch_append_prop (GString * s, const gchar * prop,
    const gchar * value);

/* " ! opensearchsink url=URL", signing its requests with SigV4 for
 * `sigv4` (es: OpenSearch Service domains, aoss: Serverless; NULL: no
 * signing) with the credentials of the AWS credential chain. */
void mt_branch_append_index (GString * s, const gchar * url,
    const gchar * sigv4);

/* " rate-group=ELEMENT" and, when max_tps > 0, " max-tps=N" for an analysis
 * element: the elements of a run (every job of a batch) share their
 * service's quota, and what one learns of throttling slows all. */
void mt_branch_append_rate (GString * s, const gchar * element,
    gdouble max_tps);

/* "labels+faces+text, speech, then comprehend", for messages. */
gchar *mt_branch_plan_describe (const MtBranchPlan * p, const gchar * vision);

/* Appends what each branch wrote (whole lines only) to the asset's results,
 * `written` (NULL: none yet: then `part` is made); returns the results file
 * or NULL with `error`. */
gchar *mt_branch_plan_merge (const MtBranchPlan * p, const gchar * written,
    const gchar * part, GError ** error);

/* From the asset's results: <name>.transcript.vtt and .srt, a CSV file per
 * table, <name>.p<page>.t<n>.csv ("incomplete." before the extension when
 * the run was), and the branches' summary lines on `table` (NULL: none). */
gboolean mt_branch_write_outputs (const MtBranchPlan * p, const gchar * jsonl,
    const gchar * out_dir, const gchar * name, gboolean incomplete,
    FILE * table, GError ** error);

/* Removes those files of an earlier run. */
void mt_branch_remove_outputs (const gchar * out_dir, const gchar * name,
    gboolean incomplete);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MtBranchPlan, mt_branch_plan_clear)

G_END_DECLS
