/* The AWS properties every AWS-speaking element has, installed and handled
 * in one place: region, endpoint, profile, access-key, secret-key,
 * session-token (the three secrets write-only: never readable back),
 * retries, request-timeout, tls-verify, ca-file.
 *
 * An element embeds an MtAwsSettings, calls mt_aws_settings_install() in
 * class_init with the first free property id, and forwards set/get_property
 * to mt_aws_settings_set_property()/get_property(), which return TRUE when
 * the id was theirs. The element holds its object lock around them.
 *
 * The settings also carry the element's adaptive rate limiter (retry.h):
 * copies share it, so the clients an element makes from its start-time
 * snapshot, and the analysis base that runs its engine, all learn from and
 * wait on the same rate. */
#pragma once

#include <glib-object.h>
#include "retry.h"

G_BEGIN_DECLS

#define MT_AWS_DEFAULT_RETRIES 3           /* attempts after the first */
#define MT_AWS_DEFAULT_REQUEST_TIMEOUT_MS 30000

typedef struct {
  gchar *region;                /* NULL: resolved (awsconfig.h) */
  gchar *endpoint;              /* NULL: resolved */
  gchar *profile;               /* NULL: AWS_PROFILE or "default" */
  gchar *access_key;            /* secrets: write-only properties */
  gchar *secret_key;
  gchar *session_token;
  guint retries;
  guint request_timeout_ms;
  gboolean tls_verify;
  gchar *ca_file;
  MtRateLimiter *limiter;       /* shared by copies; NULL after clear */
} MtAwsSettings;

/* The number of properties mt_aws_settings_install() installs. */
#define MT_AWS_SETTINGS_N_PROPS 10

/* Defaults and a new rate limiter. */
void mt_aws_settings_init (MtAwsSettings * s);
/* Releases everything, the limiter reference too: defaults are back, with
 * no limiter until a copy brings one (or init again). */
void mt_aws_settings_clear (MtAwsSettings * s);
/* Copies the values and shares src's limiter. */
void mt_aws_settings_copy (MtAwsSettings * dest, const MtAwsSettings * src);

void mt_aws_settings_install (GObjectClass * klass, guint first_prop_id);
gboolean mt_aws_settings_set_property (MtAwsSettings * s, guint first_prop_id,
    guint prop_id, const GValue * value);
gboolean mt_aws_settings_get_property (const MtAwsSettings * s,
    guint first_prop_id, guint prop_id, GValue * value);

G_END_DECLS
