/* Region and endpoint resolution, and a reader of the shared AWS config and
 * credentials files, following the AWS SDKs and Tools reference guide
 * ("Shared config and credentials files", "Service-specific endpoints"):
 *
 * - config: "[default]", "[profile NAME]" ("[profile default]" wins over
 *   "[default]"), "[services NAME]", "[sso-session NAME]";
 *   credentials: "[NAME]";
 * - "key = value", whitespace trimmed, keys case-insensitive;
 * - full-line comments start with '#' or ';', and a '#' or ';' preceded by
 *   whitespace ends a value;
 * - an indented line continues the property above it: a sub-property
 *   ("key = value") when the parent's value is empty (e.g. "s3 =" in a
 *   services section), else a continuation of the value;
 * - a profile given twice is merged, later keys winning. */
#include "awsconfig.h"
#include "awserror.h"
#include "core.h"

#include <string.h>

#define GST_CAT_DEFAULT mt_core_debug

/* The config file's "[default]" section before "[profile default]" is
 * known to be absent: it is only used when that one is. */
#define LEGACY_DEFAULT_SECTION "legacy default"

const gchar *
mt_aws_getenv (const gchar * name)
{
  const gchar *v = g_getenv (name);

  return (v != NULL && *v != '\0') ? v : NULL;
}

gboolean
mt_aws_env_is_true (const gchar * name)
{
  const gchar *v = mt_aws_getenv (name);

  return v != NULL && g_ascii_strcasecmp (v, "true") == 0;
}

/* "~/x" and "~" are the user's home, as the SDKs expand them. */
gchar *
mt_aws_expand_home (const gchar * path)
{
  if (path[0] == '~' && (path[1] == '/' || path[1] == '\0'))
    return g_build_filename (g_get_home_dir (), path + 1, NULL);
  return g_strdup (path);
}

static gchar *
file_path (const gchar * env_name, const gchar * default_name)
{
  const gchar *v = mt_aws_getenv (env_name);

  if (v != NULL)
    return mt_aws_expand_home (v);
  return g_build_filename (g_get_home_dir (), ".aws", default_name, NULL);
}

gchar *
mt_aws_config_file_path (void)
{
  return file_path ("AWS_CONFIG_FILE", "config");
}

gchar *
mt_aws_credentials_file_path (void)
{
  return file_path ("AWS_SHARED_CREDENTIALS_FILE", "credentials");
}

/* --- parsing --- */

typedef struct
{
  gboolean is_config;
  GHashTable *sections;         /* "profile NAME" -> (key -> value) */
  GHashTable *current;          /* NULL: inside a section we ignore */
  gchar *parent_key;            /* last top-level key, for indented lines */
  gchar *source;                /* path, for warnings */
  guint lineno;
} MtIniParser;

/* Values may be secrets: wiped before their memory is reused. */
static void
value_free (gpointer data)
{
  gchar *v = data;

  explicit_bzero (v, strlen (v));
  g_free (v);
}

static GHashTable *
string_table_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, value_free);
}

/* Cuts the value at a '#' or ';' that follows whitespace, then trims it. */
static gchar *
strip_inline_comment (gchar * value)
{
  gchar *p;

  for (p = value; *p != '\0'; p++) {
    if ((*p == '#' || *p == ';') && p > value && g_ascii_isspace (p[-1])) {
      *p = '\0';
      break;
    }
  }
  return g_strstrip (value);
}

/* Section name as stored, or NULL for sections no lookup asks for. */
static gchar *
section_key (const gchar * raw, gboolean is_config)
{
  g_autofree gchar *name = g_strstrip (g_strdup (raw));
  static const gchar *const kinds[] = { "profile", "services", "sso-session" };
  guint i;

  if (!is_config) {
    /* Credentials files have bare names; "[profile x]" there is not x. */
    if (*name == '\0' || strpbrk (name, " \t") != NULL)
      return NULL;
    return g_strconcat ("profile ", name, NULL);
  }
  if (g_strcmp0 (name, "default") == 0)
    return g_strdup (LEGACY_DEFAULT_SECTION);
  for (i = 0; i < G_N_ELEMENTS (kinds); i++) {
    gsize n = strlen (kinds[i]);

    if (strncmp (name, kinds[i], n) == 0 && g_ascii_isspace (name[n])) {
      g_autofree gchar *rest = g_strstrip (g_strdup (name + n));

      if (*rest == '\0')
        return NULL;
      return g_strconcat (kinds[i], " ", rest, NULL);
    }
  }
  return NULL;
}

static void
parse_section_line (MtIniParser * p, gchar * line)
{
  gchar *end = strchr (line, ']');
  g_autofree gchar *key = NULL;

  g_clear_pointer (&p->parent_key, g_free);
  p->current = NULL;
  if (end == NULL) {
    GST_WARNING ("%s:%u: section header without ']', section ignored",
        p->source, p->lineno);
    return;
  }
  *end = '\0';
  key = section_key (line + 1, p->is_config);
  if (key == NULL)
    return;
  p->current = g_hash_table_lookup (p->sections, key);
  if (p->current == NULL) {
    p->current = string_table_new ();
    g_hash_table_insert (p->sections, g_strdup (key), p->current);
  }
}

/* Splits "key = value"; FALSE when there is no '=' or no key. The line's
 * content is never logged: it may be a secret. */
static gboolean
split_property (gchar * line, gchar ** key, gchar ** value)
{
  gchar *eq = strchr (line, '=');

  if (eq == NULL)
    return FALSE;
  *eq = '\0';
  *key = g_ascii_strdown (g_strstrip (line), -1);
  if (**key == '\0') {
    g_free (*key);
    return FALSE;
  }
  *value = strip_inline_comment (eq + 1);
  return TRUE;
}

static void
parse_indented_line (MtIniParser * p, gchar * line)
{
  const gchar *parent_value;
  gchar *key, *value;

  if (p->current == NULL || p->parent_key == NULL)
    return;
  parent_value = g_hash_table_lookup (p->current, p->parent_key);
  if (parent_value != NULL && *parent_value != '\0') {
    g_autofree gchar *joined = g_strconcat (parent_value, "\n",
        g_strstrip (line), NULL);

    g_hash_table_insert (p->current, g_strdup (p->parent_key),
        g_steal_pointer (&joined));
    return;
  }
  if (!split_property (line, &key, &value)) {
    GST_WARNING ("%s:%u: sub-property without '=', ignored", p->source,
        p->lineno);
    return;
  }
  g_hash_table_insert (p->current, g_strconcat (p->parent_key, ".", key,
          NULL), g_strdup (value));
  g_free (key);
}

static void
parse_property_line (MtIniParser * p, gchar * line)
{
  gchar *key, *value;

  if (p->current == NULL)
    return;
  if (!split_property (line, &key, &value)) {
    GST_WARNING ("%s:%u: line is neither a section nor 'key = value', "
        "ignored", p->source, p->lineno);
    g_clear_pointer (&p->parent_key, g_free);
    return;
  }
  g_free (p->parent_key);
  p->parent_key = g_strdup (key);
  g_hash_table_insert (p->current, key, g_strdup (value));
}

static void
parse_line (MtIniParser * p, gchar * line)
{
  gchar *first = line;

  while (*first == ' ' || *first == '\t')
    first++;
  if (*first == '\0' || *first == '\r' || *first == '#' || *first == ';')
    return;
  g_strchomp (line);
  if (first != line) {
    parse_indented_line (p, first);
    return;
  }
  if (*line == '[') {
    parse_section_line (p, line);
    return;
  }
  parse_property_line (p, line);
}

static void
resolve_default_section (GHashTable * sections)
{
  gpointer legacy, key;

  if (!g_hash_table_steal_extended (sections, LEGACY_DEFAULT_SECTION, &key,
          &legacy))
    return;
  g_free (key);
  if (g_hash_table_contains (sections, "profile default")) {
    GST_DEBUG ("both [default] and [profile default]: [default] ignored");
    g_hash_table_unref (legacy);
  } else {
    g_hash_table_insert (sections, g_strdup ("profile default"), legacy);
  }
}

/* Parses the text of a config (is_config) or credentials file into
 * section name -> (key -> value); nested keys are "parent.child". */
GHashTable *
mt_aws_ini_parse (const gchar * text, gboolean is_config, const gchar * source)
{
  MtIniParser p = { 0, };
  gsize len = strlen (text);
  gchar *buf = g_strndup (text, len);
  gchar *line = buf;

  p.is_config = is_config;
  p.source = (gchar *) source;
  p.sections = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_hash_table_unref);
  while (line != NULL) {
    gchar *next = strchr (line, '\n');

    if (next != NULL)
      *next++ = '\0';
    p.lineno++;
    parse_line (&p, line);
    line = next;
  }
  g_free (p.parent_key);
  if (is_config)
    resolve_default_section (p.sections);
  /* The copy may hold secrets: wipe it before it is freed. */
  explicit_bzero (buf, len);
  g_free (buf);
  return p.sections;
}

/* The file's sections, or NULL when it cannot be read (a missing file is
 * normal: most users have one of the two at most). */
static GHashTable *
load_file (gboolean from_credentials)
{
  g_autofree gchar *path = from_credentials ?
      mt_aws_credentials_file_path () : mt_aws_config_file_path ();
  g_autofree gchar *text = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  GHashTable *sections;

  if (!g_file_get_contents (path, &text, &len, &error)) {
    if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      GST_WARNING ("cannot read %s: %s", path, error->message);
    return NULL;
  }
  sections = mt_aws_ini_parse (text, !from_credentials, path);
  explicit_bzero (text, len);
  return sections;
}

static gchar *
section_get (const gchar * section, const gchar * key,
    gboolean from_credentials)
{
  g_autoptr (GHashTable) sections = load_file (from_credentials);
  GHashTable *values;
  const gchar *v;

  if (sections == NULL)
    return NULL;
  values = g_hash_table_lookup (sections, section);
  if (values == NULL)
    return NULL;
  v = g_hash_table_lookup (values, key);
  return (v != NULL && *v != '\0') ? g_strdup (v) : NULL;
}

gchar *
mt_aws_config_get (const gchar * kind, const gchar * name, const gchar * key)
{
  g_autofree gchar *section = g_strconcat (kind, " ", name, NULL);
  g_autofree gchar *lkey = g_ascii_strdown (key, -1);

  return section_get (section, lkey, FALSE);
}

gchar *
mt_aws_profile_get (const gchar * profile, const gchar * key,
    gboolean from_credentials)
{
  g_autofree gchar *section = g_strconcat ("profile ", profile, NULL);
  g_autofree gchar *lkey = g_ascii_strdown (key, -1);

  return section_get (section, lkey, from_credentials);
}

gboolean
mt_aws_profile_exists (const gchar * profile)
{
  g_autofree gchar *section = g_strconcat ("profile ", profile, NULL);
  guint i;

  for (i = 0; i < 2; i++) {
    g_autoptr (GHashTable) sections = load_file (i == 1);

    if (sections != NULL && g_hash_table_contains (sections, section))
      return TRUE;
  }
  return FALSE;
}

gchar *
mt_aws_profile_name (const MtAwsSettings * s)
{
  const gchar *env;

  if (s != NULL && s->profile != NULL && *s->profile != '\0')
    return g_strdup (s->profile);
  env = mt_aws_getenv ("AWS_PROFILE");
  return g_strdup (env != NULL ? env : "default");
}

/* --- region --- */

gchar *
mt_aws_resolve_region (const MtAwsSettings * s, GError ** error)
{
  g_autofree gchar *profile = mt_aws_profile_name (s);
  g_autofree gchar *config = NULL;
  const gchar *env;
  gchar *region;

  if (s != NULL && s->region != NULL && *s->region != '\0')
    return g_strdup (s->region);
  if ((env = mt_aws_getenv ("AWS_REGION")) != NULL)
    return g_strdup (env);
  if ((env = mt_aws_getenv ("AWS_DEFAULT_REGION")) != NULL)
    return g_strdup (env);
  region = mt_aws_profile_get (profile, "region", FALSE);
  if (region != NULL)
    return region;

  config = mt_aws_config_file_path ();
  g_set_error (error, MT_AWS_ERROR, MT_AWS_ERROR_CONFIG,
      "No AWS region configured: set the element's region property, "
      "AWS_REGION or AWS_DEFAULT_REGION, or 'region' in profile '%s' of %s",
      profile, config);
  return NULL;
}

/* --- endpoint --- */

static gchar *
strip_trailing_slashes (gchar * url)
{
  gsize n = strlen (url);

  while (n > 0 && url[n - 1] == '/')
    url[--n] = '\0';
  return url;
}

/* "Elastic Beanstalk" -> "ELASTIC_BEANSTALK" (env) or "elastic_beanstalk"
 * (services section key), as the SDK reference defines them. */
static gchar *
service_key (const gchar * service_id, gboolean upper)
{
  gchar *key = upper ? g_ascii_strup (service_id, -1) :
      g_ascii_strdown (service_id, -1);

  g_strdelimit (key, " -", '_');
  return key;
}

/* AWS_IGNORE_CONFIGURED_ENDPOINT_URLS wins over the profile's setting when
 * set, either way. */
static gboolean
ignore_configured_endpoints (const gchar * profile)
{
  const gchar *env = mt_aws_getenv ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  g_autofree gchar *v = NULL;

  if (env != NULL)
    return g_ascii_strcasecmp (env, "true") == 0;
  v = mt_aws_profile_get (profile, "ignore_configured_endpoint_urls", FALSE);
  return v != NULL && g_ascii_strcasecmp (v, "true") == 0;
}

static gchar *
services_section_endpoint (const gchar * profile, const gchar * service_id)
{
  g_autofree gchar *services = mt_aws_profile_get (profile, "services", FALSE);
  g_autofree gchar *section = NULL;
  g_autofree gchar *key = NULL;
  g_autofree gchar *skey = NULL;

  if (services == NULL)
    return NULL;
  section = g_strconcat ("services ", services, NULL);
  skey = service_key (service_id, FALSE);
  key = g_strconcat (skey, ".endpoint_url", NULL);
  return section_get (section, key, FALSE);
}

static gchar *
configured_endpoint (const gchar * profile, const gchar * service_id)
{
  g_autofree gchar *env_name = NULL;
  g_autofree gchar *skey = service_key (service_id, TRUE);
  const gchar *env;
  gchar *url;

  env_name = g_strconcat ("AWS_ENDPOINT_URL_", skey, NULL);
  if ((env = mt_aws_getenv (env_name)) != NULL)
    return g_strdup (env);
  if ((env = mt_aws_getenv ("AWS_ENDPOINT_URL")) != NULL)
    return g_strdup (env);
  if ((url = services_section_endpoint (profile, service_id)) != NULL)
    return url;
  return mt_aws_profile_get (profile, "endpoint_url", FALSE);
}

gchar *
mt_aws_resolve_endpoint (const MtAwsSettings * s, const gchar * service_id,
    const gchar * endpoint_prefix, const gchar * region)
{
  g_autofree gchar *profile = mt_aws_profile_name (s);
  gchar *url;

  if (s != NULL && s->endpoint != NULL && *s->endpoint != '\0')
    return strip_trailing_slashes (g_strdup (s->endpoint));
  if (!ignore_configured_endpoints (profile)) {
    url = configured_endpoint (profile, service_id);
    if (url != NULL)
      return strip_trailing_slashes (url);
  }
  /* Without a region only global endpoints make sense (STS has one). */
  if (region == NULL || *region == '\0')
    return g_strdup_printf ("https://%s.amazonaws.com", endpoint_prefix);
  return g_strdup_printf ("https://%s.%s.amazonaws.com%s", endpoint_prefix,
      region, g_str_has_prefix (region, "cn-") ? ".cn" : "");
}
