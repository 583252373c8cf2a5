/* The page model of the offline Textract engine: words and lines with
 * their boxes, and the rows and segments of words as they sit on the page,
 * which tables, forms and expense fields are found in. */
#include "engine-local-private.h"


static void
word_clear (LocalWord * w)
{
  g_free (w->text);
}

LocalPage *
local_page_new (void)
{
  LocalPage *page = g_new0 (LocalPage, 1);

  page->words = g_array_new (FALSE, TRUE, sizeof (LocalWord));
  g_array_set_clear_func (page->words, (GDestroyNotify) word_clear);
  page->lines = g_array_new (FALSE, TRUE, sizeof (LocalLine));
  page->marks = g_array_new (FALSE, TRUE, sizeof (LocalMark));
  return page;
}

void
local_page_free (LocalPage * page)
{
  if (!page)
    return;
  g_array_unref (page->words);
  g_array_unref (page->lines);
  g_array_unref (page->marks);
  if (page->gray)
    pixDestroy (&page->gray);
  g_free (page);
}

LocalBox
local_box_union (const LocalBox * a, const LocalBox * b)
{
  gdouble l = MIN (a->left, b->left), t = MIN (a->top, b->top);
  gdouble r = MAX (a->left + a->width, b->left + b->width);
  gdouble bot = MAX (a->top + a->height, b->top + b->height);
  LocalBox u = { l, t, r - l, bot - t };

  return u;
}

void
local_page_add_line (LocalPage * page, GPtrArray * texts,
    const LocalBox * boxes, const gdouble * confidences)
{
  LocalLine line = { {0}, 0, page->words->len, 0 };
  gdouble sum = 0;
  guint i;

  for (i = 0; i < texts->len; i++) {
    const gchar *t = g_ptr_array_index (texts, i);
    LocalWord w = { g_strdup (t), boxes[i], confidences[i] };

    if (!t || !*t) {
      g_free (w.text);
      continue;
    }
    line.box = line.n ? local_box_union (&line.box, &w.box) : w.box;
    sum += w.confidence;
    line.n++;
    g_array_append_val (page->words, w);
  }
  if (!line.n)
    return;
  line.confidence = sum / line.n;
  g_array_append_val (page->lines, line);
}

gchar *
local_line_text (const LocalPage * page, guint line)
{
  const LocalLine *l = &g_array_index (page->lines, LocalLine, line);
  GString *s = g_string_new (NULL);
  guint i;

  for (i = l->first; i < l->first + l->n; i++) {
    if (s->len)
      g_string_append_c (s, ' ');
    g_string_append (s, g_array_index (page->words, LocalWord, i).text);
  }
  return g_string_free (s, FALSE);
}

/* ---- rows and segments ------------------------------------------------ */

static gint
by_centre_y (gconstpointer a, gconstpointer b, gpointer data)
{
  const LocalPage *page = data;
  const LocalWord *wa = &g_array_index (page->words, LocalWord,
      *(const guint *) a);
  const LocalWord *wb = &g_array_index (page->words, LocalWord,
      *(const guint *) b);
  gdouble ya = wa->box.top + wa->box.height / 2;
  gdouble yb = wb->box.top + wb->box.height / 2;

  return ya < yb ? -1 : ya > yb;
}

static gint
by_left (gconstpointer a, gconstpointer b, gpointer data)
{
  const LocalPage *page = data;
  gdouble xa = g_array_index (page->words, LocalWord,
      *(const guint *) a).box.left;
  gdouble xb = g_array_index (page->words, LocalWord,
      *(const guint *) b).box.left;

  return xa < xb ? -1 : xa > xb;
}

static void
row_clear (LocalRow * row)
{
  g_array_unref (row->segments);
}

void
local_rows_free (LocalRows * rows)
{
  if (!rows)
    return;
  g_array_unref (rows->order);
  g_array_unref (rows->rows);
  g_free (rows);
}

static gdouble
median_height (const LocalPage * page, const guint * idx, guint n)
{
  g_autofree gdouble *h = g_new (gdouble, MAX (n, 1));
  guint i, j;

  for (i = 0; i < n; i++) {
    gdouble v = g_array_index (page->words, LocalWord, idx[i]).box.height;

    for (j = i; j > 0 && h[j - 1] > v; j--)
      h[j] = h[j - 1];
    h[j] = v;
  }
  return n ? h[n / 2] : 0;
}

/* Splits the row's words (sorted by x) at gaps wider than the text
 * height: word spaces are about a third of it, column gaps far more. */
static void
split_segments (const LocalPage * page, LocalRows * rows, LocalRow * row,
    guint first, guint n)
{
  const guint *idx = &g_array_index (rows->order, guint, first);
  gdouble height = median_height (page, idx, n);
  gdouble aspect = page->aspect > 0 ? page->aspect : 11.0 / 8.5;
  /* Heights are relative to the page height, gaps to its width. */
  gdouble max_gap = 1.1 * height * aspect;
  LocalSegment seg = { first, 0, {0} };
  guint i;

  for (i = 0; i < n; i++) {
    const LocalWord *w = &g_array_index (page->words, LocalWord, idx[i]);

    if (seg.n && w->box.left - (seg.box.left + seg.box.width) > max_gap) {
      g_array_append_val (row->segments, seg);
      seg.first = first + i;
      seg.n = 0;
    }
    seg.box = seg.n ? local_box_union (&seg.box, &w->box) : w->box;
    seg.n++;
  }
  if (seg.n)
    g_array_append_val (row->segments, seg);
}

static void
close_row (const LocalPage * page, LocalRows * rows, guint first, guint n)
{
  LocalRow row = { {0}, g_array_new (FALSE, FALSE, sizeof (LocalSegment)) };
  guint i;

  g_qsort_with_data (&g_array_index (rows->order, guint, first), n,
      sizeof (guint), by_left, (gpointer) page);
  split_segments (page, rows, &row, first, n);
  for (i = 0; i < row.segments->len; i++) {
    const LocalSegment *s = &g_array_index (row.segments, LocalSegment, i);

    row.box = i ? local_box_union (&row.box, &s->box) : s->box;
  }
  g_array_append_val (rows->rows, row);
}

LocalRows *
local_rows_new (const LocalPage * page, const gboolean * skip)
{
  LocalRows *rows = g_new0 (LocalRows, 1);
  gdouble band_top = 0, band_bottom = -1;
  guint i, first = 0;

  rows->order = g_array_new (FALSE, FALSE, sizeof (guint));
  rows->rows = g_array_new (FALSE, FALSE, sizeof (LocalRow));
  g_array_set_clear_func (rows->rows, (GDestroyNotify) row_clear);
  for (i = 0; i < page->words->len; i++)
    if (!skip || !skip[i])
      g_array_append_val (rows->order, i);
  g_qsort_with_data (rows->order->data, rows->order->len, sizeof (guint),
      by_centre_y, (gpointer) page);
  for (i = 0; i < rows->order->len; i++) {
    const LocalWord *w = &g_array_index (page->words, LocalWord,
        g_array_index (rows->order, guint, i));
    gdouble cy = w->box.top + w->box.height / 2;

    /* A word joins the row when its centre lies within the row's band. */
    if (i > first && (cy > band_bottom || cy < band_top)) {
      close_row (page, rows, first, i - first);
      first = i;
    }
    if (i == first) {
      band_top = w->box.top;
      band_bottom = w->box.top + w->box.height;
    }
  }
  if (rows->order->len > first)
    close_row (page, rows, first, rows->order->len - first);
  return rows;
}

gchar *
local_segment_text (const LocalPage * page, const LocalRows * rows,
    const LocalSegment * seg, guint from)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = from; i < seg->n; i++) {
    guint w = g_array_index (rows->order, guint, seg->first + i);

    if (s->len)
      g_string_append_c (s, ' ');
    g_string_append (s, g_array_index (page->words, LocalWord, w).text);
  }
  return g_string_free (s, FALSE);
}
