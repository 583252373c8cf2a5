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

G_END_DECLS
