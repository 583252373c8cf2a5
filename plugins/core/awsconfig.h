/* Region and endpoint resolution, and the shared config/credentials files.
 *
 * Region: the `region` setting, AWS_REGION, AWS_DEFAULT_REGION, the
 * profile's `region` in AWS_CONFIG_FILE (~/.aws/config).
 * Endpoint: the `endpoint` setting, AWS_ENDPOINT_URL_<SERVICE_ID>,
 * AWS_ENDPOINT_URL, the profile's endpoint_url / services section, then the
 * service's public endpoint for the region. */
#pragma once

#include <glib.h>
#include "awssettings.h"

G_BEGIN_DECLS

/* The profile in force: settings->profile, AWS_PROFILE, "default". */
gchar *mt_aws_profile_name (const MtAwsSettings * s);

/* NULL with an error naming every place looked at when no region is set. */
gchar *mt_aws_resolve_region (const MtAwsSettings * s, GError ** error);

/* service_id: the SDK service id used for AWS_ENDPOINT_URL_<ID>
 * ("S3", "Rekognition", "Textract", "Transcribe", "Comprehend", "STS",
 * "OpenSearch"); endpoint_prefix: the host prefix of the public endpoint
 * ("s3", "rekognition", ...). Returns a base URL without a trailing slash. */
gchar *mt_aws_resolve_endpoint (const MtAwsSettings * s,
    const gchar * service_id, const gchar * endpoint_prefix,
    const gchar * region);

/* Reads `key` of the named profile from the config file (section
 * "[profile NAME]" or "[default]") or, with from_credentials, from the
 * credentials file (section "[NAME]"). NULL when absent. */
gchar *mt_aws_profile_get (const gchar * profile, const gchar * key,
    gboolean from_credentials);

/* Reads `key` of the config file's "[KIND NAME]" section, KIND being
 * "services" or "sso-session". NULL when absent. */
gchar *mt_aws_config_get (const gchar * kind, const gchar * name,
    const gchar * key);

/* Does either file have a section for this profile? */
gboolean mt_aws_profile_exists (const gchar * profile);

/* AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, or ~/.aws/config and
 * ~/.aws/credentials; a leading "~/" is the home directory. */
gchar *mt_aws_config_file_path (void);
gchar *mt_aws_credentials_file_path (void);
gchar *mt_aws_expand_home (const gchar * path);

/* The environment as the SDKs read it: an empty variable is unset (NULL). */
const gchar *mt_aws_getenv (const gchar * name);
/* TRUE when the variable is "true", case-insensitive. */
gboolean mt_aws_env_is_true (const gchar * name);

/* Parses the text of a config (is_config) or credentials file into a table
 * of section -> (key -> value). Sections are named "profile NAME",
 * "services NAME" and "sso-session NAME"; keys are lower case, and an
 * indented sub-property is "parent.key". `source` names the text in
 * warnings. For tests and tools; lookups above read the files themselves. */
GHashTable *mt_aws_ini_parse (const gchar * text, gboolean is_config,
    const gchar * source);

G_END_DECLS
