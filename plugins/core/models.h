/* Rekognition Custom Labels model lifecycle, in the core library because
 * two users share it, rekognitionsink (the start-time check and
 * auto-start-model) and `mediatag models`: describe,
 * start, stop, wait for a status, train from a Ground Truth manifest, and
 * the usage marker behind `--stop-after-idle`.
 *
 * Models are named by their project version ARN:
 * arn:aws:rekognition:REGION:ACCOUNT:project/PROJECT/version/VERSION/TS */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "awsclient.h"

G_BEGIN_DECLS

/* Splits a project version ARN into its project and version names. */
gboolean mt_model_parse_arn (const gchar * arn, gchar ** project,
    gchar ** version, GError ** error);

/* The ProjectArn of a project by name (DescribeProjects). */
gchar *mt_model_project_arn (MtAwsClient * client, const gchar * project,
    GCancellable * cancellable, GError ** error);

/* The service's ProjectVersionDescription of one model, verbatim. */
JsonObject *mt_model_describe (MtAwsClient * client, const gchar * arn,
    GCancellable * cancellable, GError ** error);

/* StartProjectVersion / StopProjectVersion; they return at once. */
gboolean mt_model_start (MtAwsClient * client, const gchar * arn,
    guint min_inference_units, GCancellable * cancellable, GError ** error);
gboolean mt_model_stop (MtAwsClient * client, const gchar * arn,
    GCancellable * cancellable, GError ** error);

/* Polls the model's Status (1 s, then backing off to 30 s; each
 * DescribeProjectVersions retried as every call is, and the wait between
 * polls cancellable, retry.h) until it is one
 * of `wanted` (returns TRUE), or a status that cannot lead there (FAILED
 * ones, or a stable status not wanted: returns FALSE with an error quoting
 * StatusMessage), or `timeout_s` passes. *status gets the last status. */
gboolean mt_model_wait (MtAwsClient * client, const gchar * arn,
    const gchar * const *wanted, guint timeout_s, gchar ** status,
    GCancellable * cancellable, GError ** error);

/* Records that analysis used the model now (a file's mtime under the user
 * cache dir), so `mediatag models start --stop-after-idle` can tell. */
void mt_model_touch (const gchar * arn);
/* When analysis last used the model (unix seconds), 0 if never. */
gint64 mt_model_last_used (const gchar * arn);

G_END_DECLS
