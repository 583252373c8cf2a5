/* AWS credentials and the provider chain, in the order the AWS SDKs use:
 * element properties; environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN); web identity (AWS_WEB_IDENTITY_TOKEN_FILE,
 * AWS_ROLE_ARN via STS AssumeRoleWithWebIdentity); shared files (AWS_PROFILE,
 * AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE: role_arn with
 * source_profile or credential_source via STS AssumeRole, IAM Identity
 * Center from the token `aws sso login` cached, static keys,
 * credential_process); ECS
 * container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / FULL_URI,
 * authorization token and token file); EC2 IMDSv2.
 *
 * Temporary credentials are refreshed before they expire. Secrets never go
 * to a log: only the access key id's last four characters and the source. */
#pragma once

#include <gio/gio.h>
#include "awssettings.h"

G_BEGIN_DECLS

/* Tagged so that sigv4.h can name it without including this header:
 * credentials.c signs STS calls with sigv4, and the headers must not
 * include each other. */
typedef struct _MtCredentials {
  gint ref_count;
  gchar *access_key_id;
  gchar *secret_access_key;
  gchar *session_token;         /* NULL: long-term credentials */
  gint64 expiration;            /* unix seconds; 0: does not expire */
  gchar *source;                /* "properties", "environment", "profile default", "imds", ... */
} MtCredentials;

MtCredentials *mt_credentials_new (const gchar * access_key_id,
    const gchar * secret_access_key, const gchar * session_token,
    gint64 expiration, const gchar * source);
MtCredentials *mt_credentials_ref (MtCredentials * creds);
void mt_credentials_unref (MtCredentials * creds);
/* The access key id as logs and tools may show it: "...WXYZ". */
gchar *mt_credentials_key_id_hint (const MtCredentials * creds);

typedef struct _MtCredentialsProvider MtCredentialsProvider;

/* The full chain, configured from the element's settings (properties first,
 * then the environment and files as above). */
MtCredentialsProvider *mt_credentials_provider_new (const MtAwsSettings * s);
void mt_credentials_provider_free (MtCredentialsProvider * p);

/* Thread-safe. Returns cached credentials until they come within five
 * minutes of expiring, then fetches new ones. On failure the error is
 * MT_AWS_ERROR_NO_CREDENTIALS (nothing in the chain) or says which
 * source failed and why (a credential_process that exited non-zero, an
 * ECS endpoint that answered 500, ...). */
MtCredentials *mt_credentials_provider_get (MtCredentialsProvider * p,
    GCancellable * cancellable, GError ** error);

/* For backend=auto: does the chain yield credentials? Quick: IMDS is tried
 * with a short timeout and only when nothing before it answered. */
gboolean mt_credentials_available (const MtAwsSettings * s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtCredentials, mt_credentials_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtCredentialsProvider, mt_credentials_provider_free)

G_END_DECLS
