/* Shared by the credential and config tests: puts the process environment
 * in a known state before each test, so that what the developer's shell
 * or a previous test set cannot leak in. Variables are set to "" rather
 * than unset, which the AWS SDKs (and so the code under test) treat as
 * unset: every test then also checks that rule. */
#pragma once

#include <glib.h>

static const gchar *const mt_test_aws_vars[] = {
  "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
  "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
  "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS",
  "AWS_ENDPOINT_URL_ELASTIC_BEANSTALK", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
  "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
  "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
  "AWS_EC2_METADATA_V1_DISABLED",
  "MT_TEST_PROCESS_MODE", "MT_TEST_PROCESS_COUNTER",
  NULL
};

static inline void
mt_test_aws_env_reset (void)
{
  guint i;

  for (i = 0; mt_test_aws_vars[i] != NULL; i++)
    g_setenv (mt_test_aws_vars[i], "", TRUE);
  g_setenv ("AWS_CONFIG_FILE", TEST_DATA_DIR "/aws/config", TRUE);
  g_setenv ("AWS_SHARED_CREDENTIALS_FILE", TEST_DATA_DIR "/aws/credentials",
      TRUE);
  g_setenv ("AWS_EC2_METADATA_DISABLED", "true", TRUE);
}

/* The fixture's credential_process helper is found on PATH, as a user's
 * would be. */
static inline void
mt_test_aws_env_init (void)
{
  g_autofree gchar *path = g_strconcat (TEST_DATA_DIR "/aws:",
      g_getenv ("PATH") ? g_getenv ("PATH") : "/usr/bin:/bin", NULL);

  g_setenv ("PATH", path, TRUE);
  mt_test_aws_env_reset ();
}
