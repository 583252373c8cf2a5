/* Tables for the offline Textract engine.
 *
 * Ruled tables: the thin ink of the page image (solid areas, such as the
 * dark parts of a photo, taken out) is opened with long horizontal and
 * vertical structuring elements (Leptonica morphology), which keeps the
 * ruling lines and drops the text; the lines' connected regions are the
 * tables, their lines the grid, and a missing stretch of line between two
 * cells makes them one merged cell. A grid is a table only when words
 * fill enough of its cells: lines alone are a drawing, a fence or a
 * window.
 *
 * Borderless tables: three or more consecutive rows of words whose gaps
 * split them into two or more segments that fall in the same columns. */
#include "engine-local-private.h"

#include <string.h>

/* Dark pixels (grey below this) are ink. */
#define INK_THRESHOLD 160
/* A line counts as a table rule when it covers this share of the table. */
#define RULE_COVER 0.3
/* ... and as a cell border when it covers this share of the cell side. */
#define BORDER_COVER 0.5
#define MIN_TABLE_ROWS 3
/* Ink thicker than this (in inches, about 3 points) is a solid area, not
 * a rule. */
#define MAX_RULE_INCH 0.04
/* A ruled table has words in at least this many of its cells (a merged
 * cell counting once) and in at least this share of them. */
#define MIN_FILLED_CELLS 2
#define MIN_FILLED_SHARE 0.5
#define MAX_WORDS_PER_CELL 4.0

void
local_table_free (LocalTable * table)
{
  if (!table)
    return;
  g_array_unref (table->cells);
  g_array_unref (table->merges);
  g_free (table);
}

static void
cell_clear (LocalCell * c)
{
  g_array_unref (c->words);
}

static LocalTable *
table_new (guint n_rows, guint n_cols, gboolean ruled)
{
  LocalTable *t = g_new0 (LocalTable, 1);
  guint i;

  t->n_rows = n_rows;
  t->n_cols = n_cols;
  t->ruled = ruled;
  t->cells = g_array_sized_new (FALSE, TRUE, sizeof (LocalCell),
      n_rows * n_cols);
  g_array_set_clear_func (t->cells, (GDestroyNotify) cell_clear);
  t->merges = g_array_new (FALSE, FALSE, sizeof (LocalMerge));
  for (i = 0; i < n_rows * n_cols; i++) {
    LocalCell c = { i / n_cols, i % n_cols, {0},
    g_array_new (FALSE, FALSE, sizeof (guint))
    };

    g_array_append_val (t->cells, c);
  }
  return t;
}

static LocalCell *
cell_at (const LocalTable * t, guint row, guint col)
{
  return &g_array_index (t->cells, LocalCell, row * t->n_cols + col);
}

gchar *
local_cell_text (const LocalPage * page, const LocalTable * table, guint row,
    guint col)
{
  const LocalCell *c = cell_at (table, row, col);
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < c->words->len; i++) {
    guint w = g_array_index (c->words, guint, i);

    if (s->len)
      g_string_append_c (s, ' ');
    g_string_append (s, g_array_index (page->words, LocalWord, w).text);
  }
  return g_string_free (s, FALSE);
}

/* ---- ruled tables ----------------------------------------------------- */

typedef struct
{
  PIX *hor;                     /* horizontal rules only */
  PIX *ver;
  gint width;
  gint height;
} Rules;

/* Centres of the runs of positions whose count reaches @min. */
static GArray *
line_positions (NUMA * counts, gdouble min, gint offset)
{
  GArray *pos = g_array_new (FALSE, FALSE, sizeof (gint));
  gint i, n = numaGetCount (counts), start = -1;

  for (i = 0; i <= n; i++) {
    l_int32 v = 0;

    if (i < n)
      numaGetIValue (counts, i, &v);
    if (i < n && v >= min) {
      if (start < 0)
        start = i;
    } else if (start >= 0) {
      gint centre = offset + (start + i - 1) / 2;

      g_array_append_val (pos, centre);
      start = -1;
    }
  }
  return pos;
}

static GArray *
rules_in (PIX * rules, BOX * region, gboolean rows)
{
  PIX *clip = pixClipRectangle (rules, region, NULL);
  l_int32 x, y, w, h;
  NUMA *counts;
  GArray *pos;

  boxGetGeometry (region, &x, &y, &w, &h);
  counts = rows ? pixCountPixelsByRow (clip, NULL)
      : pixCountPixelsByColumn (clip);
  pos = line_positions (counts, (rows ? w : h) * RULE_COVER, rows ? y : x);
  numaDestroy (&counts);
  pixDestroy (&clip);
  return pos;
}

/* Share of the segment (x1,y1)-(x2,y2), thickened, covered by rules. */
static gdouble
coverage (PIX * rules, gint x1, gint y1, gint x2, gint y2)
{
  gboolean vertical = x1 == x2;
  gint pad = 3, len = vertical ? y2 - y1 : x2 - x1;
  BOX *b = vertical ? boxCreate (x1 - pad, y1, 2 * pad + 1, MAX (len, 1))
      : boxCreate (x1, y1 - pad, MAX (len, 1), 2 * pad + 1);
  PIX *clip = pixClipRectangle (rules, b, NULL);
  NUMA *counts;
  gint i, n, covered = 0;

  boxDestroy (&b);
  if (!clip)
    return 0;
  counts = vertical ? pixCountPixelsByRow (clip, NULL)
      : pixCountPixelsByColumn (clip);
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

/* Union-find over cells: cells with no border between them are one. */
static guint
find_root (guint * parent, guint i)
{
  while (parent[i] != i)
    i = parent[i] = parent[parent[i]];
  return i;
}

static void
join (guint * parent, guint a, guint b)
{
  parent[find_root (parent, a)] = find_root (parent, b);
}

static void
add_merges (LocalTable * t, guint * parent)
{
  guint i, j;

  for (i = 0; i < t->n_rows * t->n_cols; i++) {
    guint r1 = G_MAXUINT, c1 = G_MAXUINT, r2 = 0, c2 = 0, n = 0;
    LocalMerge m;

    if (find_root (parent, i) != i)
      continue;
    for (j = 0; j < t->n_rows * t->n_cols; j++) {
      if (find_root (parent, j) != i)
        continue;
      r1 = MIN (r1, j / t->n_cols);
      c1 = MIN (c1, j % t->n_cols);
      r2 = MAX (r2, j / t->n_cols);
      c2 = MAX (c2, j % t->n_cols);
      n++;
    }
    /* Only rectangles are merged cells; anything else is noise. */
    if (n < 2 || n != (r2 - r1 + 1) * (c2 - c1 + 1))
      continue;
    m.row = r1;
    m.col = c1;
    m.row_span = r2 - r1 + 1;
    m.col_span = c2 - c1 + 1;
    g_array_append_val (t->merges, m);
  }
}

static void
find_merges (LocalTable * t, const Rules * rl, GArray * ys, GArray * xs)
{
  g_autofree guint *parent = g_new (guint, t->n_rows * t->n_cols);
  guint r, c;

  for (r = 0; r < t->n_rows * t->n_cols; r++)
    parent[r] = r;
  for (r = 0; r < t->n_rows; r++)
    for (c = 0; c < t->n_cols; c++) {
      gint x1 = g_array_index (xs, gint, c), x2 = g_array_index (xs, gint,
          c + 1);
      gint y1 = g_array_index (ys, gint, r), y2 = g_array_index (ys, gint,
          r + 1);

      if (c + 1 < t->n_cols
          && coverage (rl->ver, x2, y1 + 4, x2, y2 - 4) < BORDER_COVER)
        join (parent, r * t->n_cols + c, r * t->n_cols + c + 1);
      if (r + 1 < t->n_rows
          && coverage (rl->hor, x1 + 4, y2, x2 - 4, y2) < BORDER_COVER)
        join (parent, r * t->n_cols + c, (r + 1) * t->n_cols + c);
    }
  add_merges (t, parent);
}

static LocalBox
px_box (const Rules * rl, gint x1, gint y1, gint x2, gint y2)
{
  LocalBox b = { (gdouble) x1 / rl->width, (gdouble) y1 / rl->height,
    (gdouble) (x2 - x1) / rl->width, (gdouble) (y2 - y1) / rl->height
  };

  return b;
}

static gboolean
inside (const LocalBox * b, const LocalBox * w)
{
  gdouble cx = w->left + w->width / 2, cy = w->top + w->height / 2;

  return cx >= b->left && cx < b->left + b->width && cy >= b->top
      && cy < b->top + b->height;
}

static void
fill_cells (const LocalPage * page, LocalTable * t, gboolean * taken)
{
  guint i, w;

  for (i = 0; i < t->cells->len; i++) {
    LocalCell *c = &g_array_index (t->cells, LocalCell, i);

    for (w = 0; w < page->words->len; w++) {
      if (taken[w]
          || !inside (&c->box, &g_array_index (page->words, LocalWord, w).box))
        continue;
      g_array_append_val (c->words, w);
      taken[w] = TRUE;
    }
  }
}

/* TRUE when words fill enough of @t's cells, a merged cell counting as
 * one: a grid of mostly empty cells is texture or a drawing. */
static gboolean
filled_enough (const LocalTable * t)
{
  guint n = t->cells->len;
  g_autofree guint *owner = g_new (guint, n);
  g_autofree gboolean *filled = g_new0 (gboolean, n);
  guint i, r, c, cells = 0, with_words = 0;

  for (i = 0; i < n; i++)
    owner[i] = i;
  for (i = 0; i < t->merges->len; i++) {
    const LocalMerge *m = &g_array_index (t->merges, LocalMerge, i);

    for (r = m->row; r < m->row + m->row_span; r++)
      for (c = m->col; c < m->col + m->col_span; c++)
        owner[r * t->n_cols + c] = m->row * t->n_cols + m->col;
  }
  for (i = 0; i < n; i++)
    if (g_array_index (t->cells, LocalCell, i).words->len)
      filled[owner[i]] = TRUE;
  for (i = 0; i < n; i++) {
    if (owner[i] != i)
      continue;
    cells++;
    with_words += filled[i];
  }
  return with_words >= MIN_FILLED_CELLS
      && with_words >= cells * MIN_FILLED_SHARE;
}

/* Gives back the words of a grid that is no table. */
static void
release_cells (const LocalTable * t, gboolean * taken)
{
  guint i, k;

  for (i = 0; i < t->cells->len; i++) {
    GArray *words = g_array_index (t->cells, LocalCell, i).words;

    for (k = 0; k < words->len; k++)
      taken[g_array_index (words, guint, k)] = FALSE;
  }
}

static LocalTable *
grid_table (const Rules * rl, GArray * ys, GArray * xs)
{
  LocalTable *t = table_new (ys->len - 1, xs->len - 1, TRUE);
  guint r, c;

  for (r = 0; r < t->n_rows; r++)
    for (c = 0; c < t->n_cols; c++)
      cell_at (t, r, c)->box = px_box (rl, g_array_index (xs, gint, c),
          g_array_index (ys, gint, r), g_array_index (xs, gint, c + 1),
          g_array_index (ys, gint, r + 1));
  t->box = px_box (rl, g_array_index (xs, gint, 0), g_array_index (ys, gint,
          0), g_array_index (xs, gint, xs->len - 1), g_array_index (ys, gint,
          ys->len - 1));
  find_merges (t, rl, ys, xs);
  return t;
}

static LocalTable *
table_in_region (const Rules * rl, BOX * region)
{
  g_autoptr (GArray) ys = rules_in (rl->hor, region, TRUE);
  g_autoptr (GArray) xs = rules_in (rl->ver, region, FALSE);

  if (ys->len < 2 || xs->len < 2 || (ys->len - 1) * (xs->len - 1) < 2)
    return NULL;
  return grid_table (rl, ys, xs);
}

static gboolean
rules_init (Rules * rl, PIX * gray, guint dpi)
{
  PIX *bin = pixConvertTo1 (gray, INK_THRESHOLD);
  gint solid = MAX ((gint) (dpi * MAX_RULE_INCH), 3);
  PIX *areas;

  if (!bin)
    return FALSE;
  rl->width = pixGetWidth (gray);
  rl->height = pixGetHeight (gray);
  /* Without the areas of ink wider and taller than a rule is thick, which
   * long openings would keep whole, as slabs of "rules". */
  areas = pixOpenBrick (NULL, bin, solid, solid);
  if (areas)
    pixSubtract (bin, bin, areas);
  pixDestroy (&areas);
  /* Longer than the strokes of letters up to 30 points, shorter than the
   * side of a table of two rows. */
  rl->hor = pixOpenBrick (NULL, bin, MAX (dpi / 2, 20), 1);
  rl->ver = pixOpenBrick (NULL, bin, 1, MAX (dpi * 35 / 100, 15));
  pixDestroy (&bin);
  return rl->hor && rl->ver;
}

static void
rules_clear (Rules * rl)
{
  if (rl->hor)
    pixDestroy (&rl->hor);
  if (rl->ver)
    pixDestroy (&rl->ver);
}

PIX *
local_rules_mask (PIX * gray, guint dpi)
{
  Rules rl = { 0 };
  PIX *mask = NULL;

  if (rules_init (&rl, gray, dpi)) {
    mask = pixOr (NULL, rl.hor, rl.ver);
    /* The anti-aliased edges of the rules too. */
    pixDilateBrick (mask, mask, 3, 3);
  }
  rules_clear (&rl);
  return mask;
}

static void
ruled_tables (const LocalPage * page, GPtrArray * out, gboolean * taken)
{
  Rules rl = { 0 };
  PIX *grid;
  BOXA *regions;
  gint i;

  if (!page->gray || !rules_init (&rl, page->gray, page->dpi)) {
    rules_clear (&rl);
    return;
  }
  grid = pixOr (NULL, rl.hor, rl.ver);
  /* Rules that nearly meet are one grid. */
  pixDilateBrick (grid, grid, 5, 5);
  regions = pixConnCompBB (grid, 8);
  for (i = 0; regions && i < boxaGetCount (regions); i++) {
    BOX *b = boxaGetBox (regions, i, L_CLONE);
    l_int32 x, y, w, h;
    LocalTable *t = NULL;

    boxGetGeometry (b, &x, &y, &w, &h);
    if (w > rl.width / 10 && h > rl.height / 60)
      t = table_in_region (&rl, b);
    boxDestroy (&b);
    if (!t)
      continue;
    fill_cells (page, t, taken);
    if (!filled_enough (t)) {
      release_cells (t, taken);
      local_table_free (t);
      continue;
    }
    g_ptr_array_add (out, t);
  }
  boxaDestroy (&regions);
  pixDestroy (&grid);
  rules_clear (&rl);
}

/* ---- borderless tables ------------------------------------------------ */

typedef struct
{
  gdouble left;
  gdouble right;
} Column;

static gint
column_of (GArray * cols, const LocalSegment * s)
{
  gint found = -1;
  guint c;

  for (c = 0; c < cols->len; c++) {
    const Column *col = &g_array_index (cols, Column, c);

    if (s->box.left < col->right && s->box.left + s->box.width > col->left) {
      if (found >= 0)
        return -2;              /* spans two columns */
      found = c;
    }
  }
  return found;
}

/* TRUE when every segment of @row falls in its own column of @cols, which
 * then widen to take them in. */
static gboolean
row_fits (GArray * cols, const LocalRow * row)
{
  g_autofree gint *which = g_new (gint, row->segments->len);
  guint i, j;

  if (row->segments->len < 2)
    return FALSE;
  for (i = 0; i < row->segments->len; i++) {
    which[i] = column_of (cols, &g_array_index (row->segments,
            LocalSegment, i));
    if (which[i] < 0)
      return FALSE;
    for (j = 0; j < i; j++)
      if (which[j] == which[i])
        return FALSE;
  }
  for (i = 0; i < row->segments->len; i++) {
    const LocalSegment *s = &g_array_index (row->segments, LocalSegment, i);
    Column *col = &g_array_index (cols, Column, which[i]);

    col->left = MIN (col->left, s->box.left);
    col->right = MAX (col->right, s->box.left + s->box.width);
  }
  return TRUE;
}

static gboolean
near_below (const LocalRow * above, const LocalRow * row)
{
  gdouble gap = row->box.top - (above->box.top + above->box.height);

  return gap < 2.5 * MAX (above->box.height, row->box.height);
}

static gboolean
is_key (const LocalPage * page, const LocalRows * rows, const LocalSegment * s)
{
  guint w = g_array_index (rows->order, guint, s->first + s->n - 1);
  const gchar *t = g_array_index (page->words, LocalWord, w).text;

  return g_str_has_suffix (t, ":");
}

/* Runs of text in columns that are no table: a two-column article (long
 * segments) or a form ("Key:" then value). */
static gboolean
looks_like_table (const LocalPage * page, const LocalRows * rows, guint first,
    guint n)
{
  guint i, j, segs = 0, words = 0, keys = 0;

  for (i = first; i < first + n; i++) {
    const LocalRow *row = &g_array_index (rows->rows, LocalRow, i);

    for (j = 0; j < row->segments->len; j++) {
      const LocalSegment *s = &g_array_index (row->segments, LocalSegment, j);

      segs++;
      words += s->n;
      keys += j == 0 && is_key (page, rows, s);
    }
  }
  return (gdouble) words / segs <= MAX_WORDS_PER_CELL && keys * 2 < n;
}

static LocalTable *
aligned_table (const LocalPage * page, const LocalRows * rows, guint first,
    guint n, GArray * cols)
{
  LocalTable *t = table_new (n, cols->len, FALSE);
  guint r, s, k;

  for (r = 0; r < n; r++) {
    const LocalRow *row = &g_array_index (rows->rows, LocalRow, first + r);

    for (s = 0; s < cols->len; s++) {
      const Column *col = &g_array_index (cols, Column, s);
      LocalBox b = { col->left, row->box.top, col->right - col->left,
        row->box.height
      };

      cell_at (t, r, s)->box = b;
    }
    for (s = 0; s < row->segments->len; s++) {
      const LocalSegment *seg = &g_array_index (row->segments, LocalSegment,
          s);
      LocalCell *c = cell_at (t, r, column_of (cols, seg));

      for (k = 0; k < seg->n; k++)
        g_array_append_val (c->words, g_array_index (rows->order, guint,
                seg->first + k));
    }
    t->box = r ? local_box_union (&t->box, &row->box) : row->box;
  }
  for (s = 0; s < t->cells->len; s++) {
    const LocalBox *b = &g_array_index (t->cells, LocalCell, s).box;

    t->box = local_box_union (&t->box, b);
  }
  return t;
}

/* The table starting at row @first, or NULL; *n gets its rows. */
static LocalTable *
grow_table (const LocalPage * page, const LocalRows * rows, guint first,
    guint * n)
{
  const LocalRow *head = &g_array_index (rows->rows, LocalRow, first);
  g_autoptr (GArray) cols = g_array_new (FALSE, FALSE, sizeof (Column));
  guint i, full = 1;

  *n = 1;
  if (head->segments->len < 2)
    return NULL;
  for (i = 0; i < head->segments->len; i++) {
    const LocalSegment *s = &g_array_index (head->segments, LocalSegment, i);
    Column c = { s->box.left, s->box.left + s->box.width };

    g_array_append_val (cols, c);
  }
  for (i = first + 1; i < rows->rows->len; i++) {
    const LocalRow *row = &g_array_index (rows->rows, LocalRow, i);

    if (!near_below (&g_array_index (rows->rows, LocalRow, i - 1), row)
        || !row_fits (cols, row))
      break;
    full += row->segments->len == cols->len;
  }
  *n = i - first;
  if (*n < MIN_TABLE_ROWS || full < 2
      || !looks_like_table (page, rows, first, *n))
    return NULL;
  return aligned_table (page, rows, first, *n, cols);
}

static void
borderless_tables (const LocalPage * page, GPtrArray * out,
    const gboolean * taken)
{
  g_autoptr (LocalRows) rows = local_rows_new (page, taken);
  guint i = 0, n;

  while (i < rows->rows->len) {
    LocalTable *t = grow_table (page, rows, i, &n);

    if (t) {
      g_ptr_array_add (out, t);
      i += n;
    } else {
      i++;
    }
  }
}

static gint
by_top (gconstpointer a, gconstpointer b)
{
  const LocalTable *ta = *(LocalTable **) a, *tb = *(LocalTable **) b;

  return ta->box.top < tb->box.top ? -1 : ta->box.top > tb->box.top;
}

GPtrArray *
local_tables_find (const LocalPage * page)
{
  GPtrArray *tables =
      g_ptr_array_new_with_free_func ((GDestroyNotify) local_table_free);
  g_autofree gboolean *taken = g_new0 (gboolean, page->words->len + 1);

  ruled_tables (page, tables, taken);
  borderless_tables (page, tables, taken);
  g_ptr_array_sort (tables, by_top);
  return tables;
}

gboolean *
local_tables_mask (const LocalPage * page, GPtrArray * tables)
{
  gboolean *mask = g_new0 (gboolean, page->words->len + 1);
  guint t, c, k;

  for (t = 0; tables && t < tables->len; t++) {
    const LocalTable *table = g_ptr_array_index (tables, t);

    for (c = 0; c < table->cells->len; c++) {
      GArray *words = g_array_index (table->cells, LocalCell, c).words;

      for (k = 0; k < words->len; k++)
        mask[g_array_index (words, guint, k)] = TRUE;
    }
  }
  return mask;
}
