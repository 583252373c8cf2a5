/* Identity documents for the offline Textract engine: the machine
 * readable zone (ICAO Doc 9303: TD1 ID cards, 3 lines of 30; TD2, 2 of 36;
 * TD3 passports, 2 of 44) found on the page, parsed, and corrected with
 * its check digits: OCR confuses O/0, I/1, B/8, S/5, Z/2, G/6, and the
 * zone says which fields are digits, which letters, and checks the rest.
 * Fields come out as AnalyzeID's IdentityDocumentFields. */
#include "engine-local-private.h"

#include <stdio.h>
#include <string.h>

static const gchar letter_to_digit[][2] = {
  {'O', '0'}, {'Q', '0'}, {'D', '0'}, {'U', '0'}, {'I', '1'}, {'L', '1'},
  {'T', '1'}, {'Z', '2'}, {'S', '5'}, {'G', '6'}, {'B', '8'}, {'A', '4'},
};

/* The confusions tried in alphanumeric fields, both ways. */
static const gchar confusable[][2] = {
  {'O', '0'}, {'I', '1'}, {'B', '8'}, {'S', '5'}, {'Z', '2'}, {'G', '6'},
  {'D', '0'}, {'Q', '0'},
};

void
local_mrz_clear (LocalMrz * mrz)
{
  guint i;

  for (i = 0; i < 3; i++)
    g_free (mrz->lines[i]);
  g_free (mrz->document_number);
  g_free (mrz->last_name);
  g_free (mrz->first_name);
  memset (mrz, 0, sizeof *mrz);
}

static gint
char_value (gchar c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  return 0;                     /* '<' */
}

gint
local_mrz_check_digit (const gchar * s, gsize len)
{
  static const gint weights[3] = { 7, 3, 1 };
  gint sum = 0;
  gsize i;

  for (i = 0; i < len; i++)
    sum += char_value (s[i]) * weights[i % 3];
  return sum % 10;
}

/* ---- cleaning what OCR read ------------------------------------------- */

/* Upper case, no spaces, anything outside [A-Z0-9<] read as a filler
 * ('«' and friends are how OCR reads runs of '<'). */
static gchar *
clean_line (const gchar * raw)
{
  GString *s = g_string_new (NULL);
  const gchar *p;

  for (p = raw; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_unichar_toupper (g_utf8_get_char (p));

    if (g_unichar_isspace (c))
      continue;
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
      g_string_append_c (s, (gchar) c);
    else
      g_string_append_c (s, '<');
  }
  return g_string_free (s, FALSE);
}

static gchar *
fit_length (gchar * line, gsize len)
{
  gsize n = strlen (line);

  if (n > len) {
    line[len] = '\0';
    return line;
  }
  line = g_realloc (line, len + 1);
  memset (line + n, '<', len - n);
  line[len] = '\0';
  return line;
}

static void
to_digits (gchar * s, gsize len)
{
  gsize i, k;

  for (i = 0; i < len; i++)
    for (k = 0; k < G_N_ELEMENTS (letter_to_digit); k++)
      if (s[i] == letter_to_digit[k][0])
        s[i] = letter_to_digit[k][1];
}

static void
to_letters (gchar * s, gsize len)
{
  gsize i, k;

  for (i = 0; i < len; i++)
    for (k = 0; k < G_N_ELEMENTS (confusable); k++)
      if (s[i] == confusable[k][1]) {
        s[i] = confusable[k][0];
        break;
      }
}

static gchar
swap_of (gchar c)
{
  gsize k;

  for (k = 0; k < G_N_ELEMENTS (confusable); k++) {
    if (c == confusable[k][0])
      return confusable[k][1];
    if (c == confusable[k][1] && k < 6)
      return confusable[k][0];
  }
  return 0;
}

static gboolean
check_holds (const gchar * field, gsize len, gchar check)
{
  return g_ascii_isdigit (check)
      && local_mrz_check_digit (field, len) == check - '0';
}

/* Swaps of @field's confusable characters (bits of @mask over @pos), and
 * their cost: fewest swaps first, then fewest digits made letters
 * (document numbers are mostly digits). */
static gint
apply_swaps (gchar * work, const gint * pos, gint n, guint mask)
{
  gint i, cost = 0;

  for (i = 0; i < n; i++)
    if (mask & (1u << i)) {
      cost += 10 + g_ascii_isdigit (work[pos[i]]);
      work[pos[i]] = swap_of (work[pos[i]]);
    }
  return cost;
}

/* An alphanumeric field with its check digit: tries swapping confusable
 * characters, cheapest first, until the check digit holds. */
static gboolean
fix_alnum (gchar * field, gsize len, gchar check)
{
  gint pos[12], n = 0, best_cost = G_MAXINT;
  guint mask, best = 0, i;
  g_autofree gchar *work = g_strndup (field, len);

  if (check_holds (field, len, check))
    return TRUE;
  for (i = 0; i < len && n < 12; i++)
    if (swap_of (field[i]))
      pos[n++] = i;
  for (mask = 1; mask < (1u << n); mask++) {
    gint cost;

    memcpy (work, field, len);
    cost = apply_swaps (work, pos, n, mask);
    if (cost < best_cost && check_holds (work, len, check)) {
      best = mask;
      best_cost = cost;
    }
  }
  if (!best)
    return FALSE;
  apply_swaps (field, pos, n, best);
  return TRUE;
}

/* A digits field (a date) with its check digit. */
static gboolean
fix_digits (gchar * field, gsize len, gchar * check)
{
  to_digits (field, len);
  to_digits (check, 1);
  return check_holds (field, len, *check);
}

/* ---- fields ----------------------------------------------------------- */

static gboolean
set_date (gchar out[11], const gchar * yymmdd, gboolean birth)
{
  gint yy, mm, dd, year;
  GDateTime *now;

  if (sscanf (yymmdd, "%2d%2d%2d", &yy, &mm, &dd) != 3 || mm < 1 || mm > 12
      || dd < 1 || dd > 31)
    return FALSE;
  now = g_date_time_new_now_utc ();
  /* Births are in the past; expiry dates within this century. */
  year = 2000 + yy;
  if (birth && year > g_date_time_get_year (now))
    year -= 100;
  g_date_time_unref (now);
  g_snprintf (out, 11, "%04d-%02d-%02d", year, mm, dd);
  return TRUE;
}

static gchar *
name_part (const gchar * s)
{
  g_autofree gchar *copy = g_strdup (s);

  g_strdelimit (copy, "<", ' ');
  return g_strstrip (g_strdup (copy));
}

static void
set_names (LocalMrz * mrz, gchar * names, gsize len)
{
  g_autofree gchar *field = g_strndup (names, len);
  gchar *sep;

  to_letters (field, len);
  sep = strstr (field, "<<");
  if (sep)
    *sep = '\0';
  mrz->last_name = name_part (field);
  mrz->first_name = sep ? name_part (sep + 2) : g_strdup ("");
}

static gchar *
trim_fillers (const gchar * s, gsize len)
{
  g_autofree gchar *copy = g_strndup (s, len);

  g_strdelimit (copy, "<", ' ');
  return g_strstrip (g_strdup (copy));
}

static void
count (LocalMrz * mrz, gboolean ok)
{
  mrz->checks_total++;
  mrz->checks_passed += ok;
}

/* Document number, birth and expiry, each followed by its check digit. */
static void
read_core (LocalMrz * mrz, gchar * doc, gchar * birth, gchar * expiry)
{
  to_digits (doc + 9, 1);
  count (mrz, fix_alnum (doc, 9, doc[9]));
  mrz->document_number = trim_fillers (doc, 9);
  count (mrz, fix_digits (birth, 6, birth + 6) && set_date (mrz->birth,
          birth, TRUE));
  count (mrz, fix_digits (expiry, 6, expiry + 6) && set_date (mrz->expiry,
          expiry, FALSE));
}

static void
read_header (LocalMrz * mrz, gchar * l)
{
  to_letters (l, 5);
  memcpy (mrz->document_type, l, 2);
  mrz->document_type[1] = mrz->document_type[1] == '<' ? '\0' : l[1];
  memcpy (mrz->issuer, l + 2, 3);
}

static gboolean
composite (const gchar * parts, gchar check)
{
  return check_holds (parts, strlen (parts), check);
}

static void
parse_td3 (LocalMrz * mrz)
{
  gchar *a = mrz->lines[0], *b = mrz->lines[1];
  g_autofree gchar *all = NULL;

  read_header (mrz, a);
  set_names (mrz, a + 5, 39);
  to_letters (b + 10, 3);
  memcpy (mrz->nationality, b + 10, 3);
  read_core (mrz, b, b + 13, b + 21);
  mrz->sex = b[20];
  all = g_strdup_printf ("%.10s%.7s%.22s", b, b + 13, b + 21);
  to_digits (b + 43, 1);
  count (mrz, composite (all, b[43]));
}

static void
parse_td2 (LocalMrz * mrz)
{
  gchar *a = mrz->lines[0], *b = mrz->lines[1];
  g_autofree gchar *all = NULL;

  read_header (mrz, a);
  set_names (mrz, a + 5, 31);
  to_letters (b + 10, 3);
  memcpy (mrz->nationality, b + 10, 3);
  read_core (mrz, b, b + 13, b + 21);
  mrz->sex = b[20];
  all = g_strdup_printf ("%.10s%.7s%.14s", b, b + 13, b + 21);
  to_digits (b + 35, 1);
  count (mrz, composite (all, b[35]));
}

static void
parse_td1 (LocalMrz * mrz)
{
  gchar *a = mrz->lines[0], *b = mrz->lines[1], *c = mrz->lines[2];
  g_autofree gchar *all = NULL;

  read_header (mrz, a);
  to_letters (b + 15, 3);
  memcpy (mrz->nationality, b + 15, 3);
  read_core (mrz, a + 5, b, b + 8);
  mrz->sex = b[7];
  set_names (mrz, c, 30);
  all = g_strdup_printf ("%.25s%.7s%.7s%.11s", a + 5, b, b + 8, b + 18);
  to_digits (b + 29, 1);
  count (mrz, composite (all, b[29]));
}

static LocalMrzFormat
guess_format (gchar ** lines, guint n)
{
  gsize len = 0;
  guint i;

  for (i = 0; i < n; i++)
    len += strlen (lines[i]);
  len /= MAX (n, 1);
  if (n == 3 && len >= 26 && len <= 33)
    return LOCAL_MRZ_TD1;
  if (n == 2 && len >= 32 && len <= 39)
    return LOCAL_MRZ_TD2;
  if (n == 2 && len >= 40 && len <= 47)
    return LOCAL_MRZ_TD3;
  return 0;
}

gboolean
local_mrz_parse (const gchar * const *lines, guint n_lines, LocalMrz * mrz)
{
  static const gsize widths[] = { 0, 30, 36, 44 };
  guint i;

  memset (mrz, 0, sizeof *mrz);
  if (n_lines < 2 || n_lines > 3)
    return FALSE;
  for (i = 0; i < n_lines; i++)
    mrz->lines[i] = clean_line (lines[i]);
  mrz->format = guess_format (mrz->lines, n_lines);
  if (!mrz->format) {
    local_mrz_clear (mrz);
    return FALSE;
  }
  for (i = 0; i < n_lines; i++)
    mrz->lines[i] = fit_length (mrz->lines[i], widths[mrz->format]);
  if (mrz->format == LOCAL_MRZ_TD1)
    parse_td1 (mrz);
  else if (mrz->format == LOCAL_MRZ_TD2)
    parse_td2 (mrz);
  else
    parse_td3 (mrz);
  mrz->all_checks = mrz->checks_passed == mrz->checks_total;
  /* Mostly wrong checks: this was no MRZ, or unreadable. */
  if (mrz->checks_passed * 2 < mrz->checks_total) {
    local_mrz_clear (mrz);
    return FALSE;
  }
  return TRUE;
}

/* ---- finding the zone on the page ------------------------------------- */

/* Long lines of capitals, digits and fillers. */
static gboolean
mrz_like (const gchar * text)
{
  g_autofree gchar *clean = clean_line (text);
  gsize n = strlen (clean), good = 0, fillers = 0;
  const gchar *p;

  if (n < 25 || n > 50)
    return FALSE;
  for (p = text; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    good += (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '<';
    fillers += c == '<' || c == 0xab /* « */ ;
  }
  return good >= n * 0.8 && fillers >= 2;
}

GArray *
local_mrz_find_lines (const LocalPage * page)
{
  GArray *found = g_array_new (FALSE, FALSE, sizeof (guint));
  guint i;

  for (i = 0; i < page->lines->len; i++) {
    g_autofree gchar *text = local_line_text (page, i);

    if (!mrz_like (text))
      continue;
    /* The zone is the last run of such lines. */
    if (found->len && g_array_index (found, guint, found->len - 1) + 1 != i)
      g_array_set_size (found, 0);
    g_array_append_val (found, i);
  }
  if (found->len > 3)
    g_array_remove_range (found, 0, found->len - 3);
  if (found->len < 2) {
    g_array_unref (found);
    return NULL;
  }
  return found;
}

/* ---- AnalyzeID's shape ------------------------------------------------ */

static void
add_field (JsonArray * fields, const gchar * type, const gchar * text,
    const gchar * date, gdouble confidence)
{
  JsonObject *f = json_object_new ();
  JsonObject *t = json_object_new ();
  JsonObject *v = json_object_new ();

  if (!text || !*text)
    text = "";
  json_object_set_string_member (t, "Text", type);
  json_object_set_double_member (t, "Confidence", confidence);
  json_object_set_string_member (v, "Text", date && *date ? date : text);
  json_object_set_double_member (v, "Confidence", confidence);
  if (date && *date) {
    JsonObject *nv = json_object_new ();
    g_autofree gchar *iso = g_strconcat (date, "T00:00:00", NULL);

    json_object_set_string_member (nv, "Value", iso);
    /* As the service sends it (its model's enum says "DATE"). */
    json_object_set_string_member (nv, "ValueType", "Date");
    json_object_set_object_member (v, "NormalizedValue", nv);
  }
  json_object_set_object_member (f, "Type", t);
  json_object_set_object_member (f, "ValueDetection", v);
  json_array_add_object_element (fields, f);
}

JsonArray *
local_mrz_compose (const LocalMrz * mrz, const LocalPage * page, GArray * lines)
{
  JsonArray *docs = json_array_new ();
  JsonObject *doc = json_object_new ();
  JsonArray *fields = json_array_new ();
  gdouble conf = mrz->all_checks ? 99.0
      : 90.0 * mrz->checks_passed / MAX (mrz->checks_total, 1);
  g_autofree gchar *code = g_strjoin ("\n", mrz->lines[0], mrz->lines[1],
      mrz->lines[2], NULL);

  add_field (fields, "FIRST_NAME", mrz->first_name, NULL, conf);
  add_field (fields, "LAST_NAME", mrz->last_name, NULL, conf);
  add_field (fields, "DOCUMENT_NUMBER", mrz->document_number, NULL, conf);
  add_field (fields, "EXPIRATION_DATE", NULL, mrz->expiry, conf);
  add_field (fields, "DATE_OF_BIRTH", NULL, mrz->birth, conf);
  add_field (fields, "ID_TYPE", mrz->document_type[0] == 'P' ? "PASSPORT"
      : "OTHER", NULL, conf);
  add_field (fields, "MRZ_CODE", code, NULL, conf);
  json_object_set_int_member (doc, "DocumentIndex", 1);
  json_object_set_array_member (doc, "IdentityDocumentFields", fields);
  json_array_add_object_element (docs, doc);
  return docs;
}
