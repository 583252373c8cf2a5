/* Forms for the offline Textract engine: key/value pairs written as
 * "Key: value" on one line (in one segment, or the value in the next
 * segment across a gap), and as "Key:" with its value on the line below,
 * left-aligned with it. Queries are answered from those pairs. */
#include "engine-local-private.h"

#include <string.h>

/* The colon that ends a key comes within this many words. */
#define MAX_KEY_WORDS 6
/* A value under its label is at most this long. */
#define MAX_VALUE_BELOW_WORDS 8
/* Checkboxes: sides of 0.07 to 0.35 inch inked along this share, and
 * marked when this share of the inside is ink. */
#define MARK_MIN_INCH 0.07
#define MARK_MAX_INCH 0.35
#define MARK_SIDE_COVER 0.9
#define MARK_FILLED 0.12
/* Bullets and dashes that start list items, not values. */
#define LIST_MARKS "\u2022\u00b7\u2023\u25e6-*"

void
local_field_free (LocalField * f)
{
  if (!f)
    return;
  g_array_unref (f->key_words);
  g_array_unref (f->value_words);
  g_free (f->key);
  g_free (f->value);
  g_free (f);
}

static const gchar *
word_text (const LocalPage * page, const LocalRows * rows, guint pos)
{
  return g_array_index (page->words, LocalWord,
      g_array_index (rows->order, guint, pos)).text;
}

/* "Total:" ends a key; "10:30" or a lone "12:" does not. */
static gboolean
ends_key (const gchar * t)
{
  gsize n = strlen (t);
  gboolean letter = FALSE;
  const gchar *p;

  if (n == 0 || t[n - 1] != ':')
    return FALSE;
  if (n == 1)
    return TRUE;
  for (p = t; *p; p++)
    letter |= g_ascii_isalpha (*p) || (guchar) * p >= 0x80;
  return letter;
}

/* The position in the segment of the word that ends its key, or -1. */
static gint
key_end (const LocalPage * page, const LocalRows * rows, const LocalSegment * s)
{
  guint i;

  for (i = 0; i < s->n && i < MAX_KEY_WORDS; i++)
    if (ends_key (word_text (page, rows, s->first + i)))
      return i == 0 && strlen (word_text (page, rows, s->first)) == 1
          ? -1 : (gint) i;
  return -1;
}

static void
add_words (GArray * to, const LocalRows * rows, guint first, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    g_array_append_val (to, g_array_index (rows->order, guint, first + i));
}

static gchar *
words_text (const LocalPage * page, GArray * words, LocalBox * box,
    gdouble * conf)
{
  GString *s = g_string_new (NULL);
  guint i;

  *conf = 100;
  for (i = 0; i < words->len; i++) {
    const LocalWord *w = &g_array_index (page->words, LocalWord,
        g_array_index (words, guint, i));

    if (s->len)
      g_string_append_c (s, ' ');
    g_string_append (s, w->text);
    *box = i ? local_box_union (box, &w->box) : w->box;
    *conf = MIN (*conf, w->confidence);
  }
  return g_string_free (s, FALSE);
}

static LocalField *
field_new (const LocalPage * page, GArray * key, GArray * value)
{
  LocalField *f = g_new0 (LocalField, 1);
  gdouble kc, vc;
  gsize n;

  f->key_words = key;
  f->value_words = value;
  f->key = g_strstrip (words_text (page, key, &f->key_box, &kc));
  n = strlen (f->key);
  while (n > 0 && (f->key[n - 1] == ':' || f->key[n - 1] == ' '))
    f->key[--n] = '\0';
  f->value = words_text (page, value, &f->value_box, &vc);
  f->confidence = MIN (kc, vc);
  f->mark = -1;
  return f;
}

/* A value written under its label: short, no list item, and on a row no
 * busier than the label's (under a lone label, a table row is no value). */
static gboolean
value_below (const LocalPage * page, const LocalRows * rows,
    const LocalRow * row, const LocalRow * below, const LocalSegment * v)
{
  const gchar *first = word_text (page, rows, v->first);

  return v->n <= MAX_VALUE_BELOW_WORDS
      && below->segments->len <= row->segments->len
      && !g_utf8_strchr (LIST_MARKS, -1, g_utf8_get_char (first))
      && key_end (page, rows, v) < 0;
}

/* The segment holding the value of a key that stands alone: the next one
 * on its row, else the one below it, starting near its left edge. A label
 * over its value starts with a capital, as labels do; prose ending in a
 * colon does not lead to a value. */
static const LocalSegment *
value_segment (const LocalPage * page, const LocalRows * rows, guint r, guint s)
{
  const LocalRow *row = &g_array_index (rows->rows, LocalRow, r);
  const LocalSegment *key = &g_array_index (row->segments, LocalSegment, s);
  const LocalRow *below;
  guint i;

  if (s + 1 < row->segments->len) {
    const LocalSegment *next = &g_array_index (row->segments, LocalSegment,
        s + 1);

    /* "Address:      Phone:" keys side by side: values are below. */
    if (key_end (page, rows, next) < 0)
      return next;
  }
  if (r + 1 >= rows->rows->len
      || !g_unichar_isupper (g_utf8_get_char (word_text (page, rows,
                  key->first))))
    return NULL;
  below = &g_array_index (rows->rows, LocalRow, r + 1);
  if (below->box.top - (key->box.top + key->box.height) > 1.5 * key->box.height)
    return NULL;
  for (i = 0; i < below->segments->len; i++) {
    const LocalSegment *v = &g_array_index (below->segments, LocalSegment, i);

    if (ABS (v->box.left - key->box.left) < 2 * key->box.height * page->aspect)
      return value_below (page, rows, row, below, v) ? v : NULL;
  }
  return NULL;
}

/* Keys are labels: they start with a letter or digit and hold no markup
 * or sentence end ("<match value=", "the future. Example:"). */
static gboolean
plausible_key (const LocalPage * page, const LocalRows * rows,
    const LocalSegment * seg, gint k)
{
  gint i;

  if (!g_unichar_isalnum (g_utf8_get_char (word_text (page, rows, seg->first))))
    return FALSE;
  for (i = 0; i <= k; i++) {
    const gchar *t = word_text (page, rows, seg->first + i);

    if (strpbrk (t, "<>=\"|{}[]") || (i < k && g_str_has_suffix (t, ".")))
      return FALSE;
  }
  return TRUE;
}

static LocalField *
field_at (const LocalPage * page, const LocalRows * rows, guint r, guint s,
    GHashTable * used)
{
  const LocalRow *row = &g_array_index (rows->rows, LocalRow, r);
  const LocalSegment *seg = &g_array_index (row->segments, LocalSegment, s);
  const LocalSegment *val = NULL;
  gint k = key_end (page, rows, seg);
  GArray *key, *value;

  if (k < 0 || g_hash_table_contains (used, seg)
      || !plausible_key (page, rows, seg, k))
    return NULL;
  if ((guint) k + 1 == seg->n) {
    val = value_segment (page, rows, r, s);
    if (!val || g_hash_table_contains (used, val)
        || key_end (page, rows, val) == 0)
      return NULL;
    g_hash_table_add (used, (gpointer) val);
  }
  key = g_array_new (FALSE, FALSE, sizeof (guint));
  value = g_array_new (FALSE, FALSE, sizeof (guint));
  add_words (key, rows, seg->first, k + 1);
  if (val)
    add_words (value, rows, val->first, val->n);
  else
    add_words (value, rows, seg->first + k + 1, seg->n - k - 1);
  return field_new (page, key, value);
}

/* ---- checkboxes ------------------------------------------------------- */

/* Share of positions along a side of the box (a strip of @t pixels inside
 * it) where the strip holds ink. */
static gdouble
side_cover (PIX * bin, l_int32 x, l_int32 y, l_int32 w, l_int32 h,
    gboolean along_x)
{
  BOX *b = boxCreate (x, y, MAX (w, 1), MAX (h, 1));
  PIX *clip = pixClipRectangle (bin, b, NULL);
  NUMA *counts;
  gint i, n, covered = 0;

  boxDestroy (&b);
  if (!clip)
    return 0;
  counts = along_x ? pixCountPixelsByColumn (clip)
      : pixCountPixelsByRow (clip, NULL);
  n = numaGetCount (counts);
  for (i = 0; i < n; i++) {
    l_int32 v;

    numaGetIValue (counts, i, &v);
    covered += v > 0;
  }
  numaDestroy (&counts);
  pixDestroy (&clip);
  return n ? (gdouble) covered / n : 0;
}

static gdouble
ink_share (PIX * bin, l_int32 x, l_int32 y, l_int32 w, l_int32 h)
{
  BOX *b;
  l_int32 count = 0;

  if (w <= 0 || h <= 0)
    return 0;
  b = boxCreate (x, y, w, h);
  pixCountPixelsInRect (bin, b, &count, NULL);
  boxDestroy (&b);
  return (gdouble) count / ((gdouble) w * h);
}

/* A square whose four sides are inked all along: letters such as O, D or
 * H leave corners or sides open. */
static gboolean
is_box (PIX * bin, l_int32 x, l_int32 y, l_int32 w, l_int32 h)
{
  l_int32 t = MAX (w / 8, 2);

  return side_cover (bin, x, y, w, t, TRUE) > MARK_SIDE_COVER
      && side_cover (bin, x, y + h - t, w, t, TRUE) > MARK_SIDE_COVER
      && side_cover (bin, x, y, t, h, FALSE) > MARK_SIDE_COVER
      && side_cover (bin, x + w - t, y, t, h, FALSE) > MARK_SIDE_COVER;
}

static void
add_mark (LocalPage * page, PIX * bin, l_int32 x, l_int32 y, l_int32 w,
    l_int32 h)
{
  l_int32 t = MAX (w / 8, 2) + 1;
  gdouble inside = ink_share (bin, x + t, y + t, w - 2 * t, h - 2 * t);
  gdouble W = pixGetWidth (bin), H = pixGetHeight (bin);
  LocalMark m = { {x / W, y / H, w / W, h / H}, inside > MARK_FILLED, 0 };

  /* Sure when clearly empty or clearly marked. */
  m.confidence = inside < MARK_FILLED / 3 || inside > 2 * MARK_FILLED
      ? 95.0 : 75.0;
  g_array_append_val (page->marks, m);
}

void
local_marks_find (LocalPage * page)
{
  PIX *bin;
  BOXA *boxes;
  gint i, min, max;

  g_array_set_size (page->marks, 0);
  if (!page->gray || !(bin = pixConvertTo1 (page->gray, 160)))
    return;
  min = (gint) (page->dpi * MARK_MIN_INCH);
  max = (gint) (page->dpi * MARK_MAX_INCH);
  boxes = pixConnCompBB (bin, 8);
  for (i = 0; boxes && i < boxaGetCount (boxes); i++) {
    l_int32 x, y, w, h;

    boxaGetBoxGeometry (boxes, i, &x, &y, &w, &h);
    if (w >= min && w <= max && h >= min && h <= max
        && ABS (w - h) * 5 <= MAX (w, h) && is_box (bin, x, y, w, h))
      add_mark (page, bin, x, y, w, h);
  }
  boxaDestroy (&boxes);
  pixDestroy (&bin);
}

static gboolean
overlaps (const LocalBox * a, const LocalBox * b)
{
  return a->left < b->left + b->width && b->left < a->left + a->width
      && a->top < b->top + b->height && b->top < a->top + a->height;
}

/* The row a mark sits in: the one its middle falls in. */
static const LocalRow *
row_of_mark (const LocalRows * rows, const LocalBox * m, guint * index)
{
  gdouble cy = m->top + m->height / 2;
  guint r;

  for (r = 0; r < rows->rows->len; r++) {
    const LocalRow *row = &g_array_index (rows->rows, LocalRow, r);

    if (cy >= row->box.top - m->height / 2
        && cy <= row->box.top + row->box.height + m->height / 2) {
      *index = r;
      return row;
    }
  }
  return NULL;
}

/* TRUE when one of @words has two letters or more: a checkbox's label is
 * words, a "|" or a "2" beside a square is a grid or a photo's texture. */
static gboolean
has_label_word (const LocalPage * page, GArray * words)
{
  guint i;

  for (i = 0; i < words->len; i++) {
    const gchar *p = g_array_index (page->words, LocalWord,
        g_array_index (words, guint, i)).text;
    guint letters = 0;

    for (; *p; p++)
      letters += g_ascii_isalpha (*p) || (guchar) * p >= 0xC0;
    if (letters >= 2)
      return TRUE;
  }
  return FALSE;
}

/* A checkbox's label: the words right after it on its row (up to the
 * next wide gap), else "Label:" just before it. Words drawn over the box
 * (OCR reading the box itself) are no label. */
static LocalField *
mark_field (const LocalPage * page, const LocalRows * rows, guint m,
    GHashTable * used)
{
  const LocalMark *mark = &g_array_index (page->marks, LocalMark, m);
  gdouble reach = 3 * mark->box.width;
  const LocalRow *row;
  GArray *key = NULL;
  LocalField *f;
  guint r, s, k;

  if (!(row = row_of_mark (rows, &mark->box, &r)))
    return NULL;
  for (s = 0; s < row->segments->len && !key; s++) {
    const LocalSegment *seg = &g_array_index (row->segments, LocalSegment, s);
    gdouble right = mark->box.left + mark->box.width;
    gboolean after = seg->box.left + seg->box.width > right
        && seg->box.left < right + reach;
    gboolean before = seg->box.left + seg->box.width <= mark->box.left
        && seg->box.left + seg->box.width > mark->box.left - reach
        && key_end (page, rows, seg) == (gint) seg->n - 1;

    if ((!after && !before) || g_hash_table_contains (used, seg))
      continue;
    key = g_array_new (FALSE, FALSE, sizeof (guint));
    for (k = 0; k < seg->n; k++) {
      guint w = g_array_index (rows->order, guint, seg->first + k);

      if (!overlaps (&g_array_index (page->words, LocalWord, w).box,
              &mark->box))
        g_array_append_val (key, w);
    }
    g_hash_table_add (used, (gpointer) seg);
  }
  if (!key || !has_label_word (page, key)) {
    g_clear_pointer (&key, g_array_unref);
    return NULL;
  }
  f = field_new (page, key, g_array_new (FALSE, FALSE, sizeof (guint)));
  g_free (f->value);
  f->value = g_strdup (mark->selected ? "SELECTED" : "NOT_SELECTED");
  f->value_box = mark->box;
  f->confidence = MIN (f->confidence, mark->confidence);
  f->mark = m;
  return f;
}

GPtrArray *
local_fields_find (const LocalPage * page, GPtrArray * tables)
{
  GPtrArray *fields =
      g_ptr_array_new_with_free_func ((GDestroyNotify) local_field_free);
  g_autofree gboolean *mask = local_tables_mask (page, tables);
  g_autoptr (LocalRows) rows = local_rows_new (page, mask);
  g_autoptr (GHashTable) used = g_hash_table_new (NULL, NULL);
  guint r, s;

  for (r = 0; r < page->marks->len; r++) {
    LocalField *f = mark_field (page, rows, r, used);

    if (f)
      g_ptr_array_add (fields, f);
  }
  for (r = 0; r < rows->rows->len; r++) {
    const LocalRow *row = &g_array_index (rows->rows, LocalRow, r);

    for (s = 0; s < row->segments->len; s++) {
      LocalField *f = field_at (page, rows, r, s, used);

      if (f)
        g_ptr_array_add (fields, f);
    }
  }
  return fields;
}

/* ---- queries ---------------------------------------------------------- */

static const gchar *const stopwords[] = {
  "a", "an", "the", "what", "whats", "which", "who", "whom", "whose", "when",
  "where", "how", "is", "are", "was", "were", "be", "of", "on", "in", "for",
  "to", "this", "that", "does", "do", "did", "it", "its", "my", "your",
  "much", "many", "please", "give", "me", "tell", "from", NULL
};

/* Lower-case content words, plurals folded. */
static GPtrArray *
content_words (const gchar * text)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *lower = g_utf8_strdown (text, -1);
  g_auto (GStrv) parts = NULL;
  guint i;

  for (i = 0; lower[i]; i++)
    if (!g_ascii_isalnum (lower[i]) && (guchar) lower[i] < 0x80)
      lower[i] = ' ';
  parts = g_strsplit (lower, " ", -1);
  for (i = 0; parts[i]; i++) {
    gsize n = strlen (parts[i]);

    if (!n || g_strv_contains (stopwords, parts[i]))
      continue;
    if (n > 3 && parts[i][n - 1] == 's')
      parts[i][n - 1] = '\0';
    g_ptr_array_add (out, g_strdup (parts[i]));
  }
  return out;
}

static gboolean
has_word (GPtrArray * words, const gchar * w)
{
  return g_ptr_array_find_with_equal_func (words, w, g_str_equal, NULL);
}

/* Share of the key's words found in the question; of two keys matched
 * alike, the one matching more words ("Invoice Date" over "Date"). */
static gdouble
match_score (GPtrArray * question, const gchar * key)
{
  g_autoptr (GPtrArray) kw = content_words (key);
  guint i, hits = 0;

  for (i = 0; i < kw->len; i++)
    hits += has_word (question, g_ptr_array_index (kw, i));
  return kw->len ? (gdouble) hits / kw->len + 0.01 * hits : 0;
}

const LocalField *
local_query_answer (GPtrArray * fields, const gchar * question)
{
  g_autoptr (GPtrArray) qw = content_words (question);
  const LocalField *best = NULL;
  gdouble best_score = 0;
  guint i;

  for (i = 0; fields && i < fields->len; i++) {
    const LocalField *f = g_ptr_array_index (fields, i);
    gdouble score = match_score (qw, f->key);

    if (score >= 0.5 && score > best_score) {
      best = f;
      best_score = score;
    }
  }
  return best;
}
