/* Invoices and receipts for the offline Textract engine, as AnalyzeExpense
 * gives them: summary fields (TOTAL, SUBTOTAL, TAX, dates, invoice and
 * order numbers, vendor and receiver) found next to their keywords, in
 * key/value pairs and on rows that end with an amount; line items from
 * table rows whose columns hold descriptions, quantities and prices. */
#include "engine-local-private.h"

#include <stdlib.h>
#include <string.h>

typedef enum
{
  VALUE_AMOUNT,
  VALUE_DATE,
  VALUE_ID,
  VALUE_TEXT,
} ValueKind;

typedef struct
{
  const gchar *type;            /* Textract's ExpenseType */
  ValueKind kind;
  const gchar *labels[9];       /* normalised label starts */
} Summary;

/* The longest label that starts a key wins: "total due" over "total",
 * "invoice date" over "invoice". */
static const Summary summaries[] = {
  {"SUBTOTAL", VALUE_AMOUNT, {"subtotal", "sub total", "net amount", NULL}},
  {"TAX", VALUE_AMOUNT, {"tax", "vat", "gst", "sales tax", NULL}},
  {"AMOUNT_DUE", VALUE_AMOUNT, {"amount due", "balance due", "total due",
          NULL}},
  {"TOTAL", VALUE_AMOUNT, {"total", "grand total", "total amount",
          "amount total", NULL}},
  {"DISCOUNT", VALUE_AMOUNT, {"discount", NULL}},
  {"SHIPPING_HANDLING_CHARGE", VALUE_AMOUNT, {"shipping", "delivery",
          "freight", NULL}},
  {"GRATUITY", VALUE_AMOUNT, {"tip", "gratuity", NULL}},
  {"DUE_DATE", VALUE_DATE, {"due date", "payment due", "due", NULL}},
  {"INVOICE_RECEIPT_DATE", VALUE_DATE, {"date", "invoice date",
              "receipt date", "issue date", "date of issue", "order date",
          NULL}},
  {"INVOICE_RECEIPT_ID", VALUE_ID, {"invoice", "invoice no",
              "invoice number", "invoice #", "invoice id", "receipt",
          "receipt no", "receipt number", "receipt #"}},
  {"PO_NUMBER", VALUE_ID, {"po", "po number", "po #", "purchase order",
          NULL}},
  {"RECEIVER_NAME", VALUE_TEXT, {"bill to", "billed to", "sold to",
          "customer", NULL}},
  {"VENDOR_PHONE", VALUE_ID, {"phone", "tel", "telephone", NULL}},
};

/* Lower case, punctuation but '#' as spaces, single spaces. */
static gchar *
normalise (const gchar * text)
{
  g_autofree gchar *lower = g_utf8_strdown (text, -1);
  GString *s = g_string_new (NULL);
  const gchar *p;

  for (p = lower; *p; p++) {
    gboolean keep = g_ascii_isalnum (*p) || *p == '#' || (guchar) * p >= 0x80;

    if (keep)
      g_string_append_c (s, *p);
    else if (s->len && s->str[s->len - 1] != ' ')
      g_string_append_c (s, ' ');
  }
  if (s->len && s->str[s->len - 1] == ' ')
    g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}

static const Summary *
summary_for (const gchar * label)
{
  g_autofree gchar *n = normalise (label);
  const Summary *best = NULL;
  gsize best_len = 0, i, k;

  for (i = 0; i < G_N_ELEMENTS (summaries); i++)
    for (k = 0; k < G_N_ELEMENTS (summaries[i].labels)
        && summaries[i].labels[k]; k++) {
      const gchar *l = summaries[i].labels[k];
      gsize len = strlen (l);

      if (g_str_has_prefix (n, l) && (n[len] == '\0' || n[len] == ' ')
          && len > best_len) {
        best = &summaries[i];
        best_len = len;
      }
    }
  return best;
}

/* ---- amounts, dates, ids ---------------------------------------------- */

static gboolean
currency_char (gunichar c)
{
  return c == '$' || c == 0x20ac || c == 0xa3 || c == 0xa5;
}

gboolean
local_parse_amount (const gchar * text, gdouble * amount)
{
  GString *num = g_string_new (NULL);
  const gchar *p, *last_sep = NULL;
  gboolean neg = FALSE, ok;
  guint digits = 0, after = 0;
  gchar *end;

  for (p = text; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (g_ascii_isdigit (c)) {
      g_string_append_c (num, (gchar) c);
      digits++;
      after++;
    } else if (c == '.' || c == ',') {
      last_sep = p;
      after = 0;
      g_string_append_c (num, (gchar) c);
    } else if (c == '-' || c == '(' || c == ')') {
      neg = TRUE;
    } else if (!currency_char (c) && !g_unichar_isspace (c)) {
      g_string_free (num, TRUE);
      return FALSE;
    }
  }
  /* The last separator is the decimal one when two digits follow it. */
  ok = digits > 0;
  if (ok) {
    GString *clean = g_string_new (NULL);
    const gchar *q;

    for (q = num->str; *q; q++)
      if (g_ascii_isdigit (*q))
        g_string_append_c (clean, *q);
      else if (last_sep && after == 2 && q == num->str + num->len - 3)
        g_string_append_c (clean, '.');
    *amount = g_ascii_strtod (clean->str, &end) * (neg ? -1 : 1);
    g_string_free (clean, TRUE);
  }
  g_string_free (num, TRUE);
  return ok;
}

/* Has a money amount's shape: a decimal part or a currency sign. */
static gboolean
is_money (const gchar * text)
{
  gdouble v;
  const gchar *dot = strrchr (text, '.');
  const gchar *comma = strrchr (text, ',');
  const gchar *sep = MAX (dot, comma);

  if (!local_parse_amount (text, &v))
    return FALSE;
  return (sep && strlen (sep) == 3 && g_ascii_isdigit (sep[1]))
      || strchr (text, '$') || g_utf8_strchr (text, -1, 0x20ac)
      || g_utf8_strchr (text, -1, 0xa3);
}

static const gchar *const months[] = {
  "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
  "nov", "dec", NULL
};

static gboolean
is_date (const gchar * text)
{
  g_autofree gchar *n = g_utf8_strdown (text, -1);
  guint digits = 0, i;
  const gchar *p;

  for (p = n; *p; p++)
    digits += g_ascii_isdigit (*p);
  if (digits >= 6 && (strchr (n, '/') || strchr (n, '-') || strchr (n, '.')))
    return TRUE;
  for (i = 0; months[i]; i++)
    if (strstr (n, months[i]) && digits >= 1)
      return TRUE;
  return FALSE;
}

static gboolean
value_fits (ValueKind kind, const gchar * text)
{
  switch (kind) {
    case VALUE_AMOUNT:
      return is_money (text);
    case VALUE_DATE:
      return is_date (text);
    case VALUE_ID:
      return strpbrk (text, "0123456789") != NULL;
    default:
      return *text != '\0';
  }
}

/* ---- ExpenseField objects --------------------------------------------- */

static JsonObject *
detection (const LocalPage * page, const gchar * text, const LocalBox * box,
    gdouble confidence)
{
  JsonObject *d = json_object_new ();

  json_object_set_string_member (d, "Text", text);
  if (box)
    json_object_set_object_member (d, "Geometry", local_geometry (page, box));
  json_object_set_double_member (d, "Confidence", confidence);
  return d;
}

static JsonObject *
expense_field (const LocalPage * page, const gchar * type, const gchar * label,
    const LocalBox * label_box, const gchar * value, const LocalBox * value_box,
    gdouble confidence, guint page_number)
{
  JsonObject *f = json_object_new ();
  JsonObject *t = json_object_new ();

  json_object_set_string_member (t, "Text", type);
  json_object_set_double_member (t, "Confidence", confidence);
  json_object_set_object_member (f, "Type", t);
  if (label)
    json_object_set_object_member (f, "LabelDetection", detection (page,
            label, label_box, confidence));
  json_object_set_object_member (f, "ValueDetection", detection (page, value,
          value_box, confidence));
  json_object_set_int_member (f, "PageNumber", page_number);
  if (value && strchr (value, '$')) {
    JsonObject *c = json_object_new ();

    json_object_set_string_member (c, "Code", "USD");
    json_object_set_object_member (f, "Currency", c);
  }
  return f;
}

/* ---- summary fields --------------------------------------------------- */

typedef struct
{
  const LocalPage *page;
  guint page_number;
  JsonArray *fields;
  GHashTable *seen;             /* types already given */
} Summaries;

static void
add_summary (Summaries * s, const gchar * label, const LocalBox * lbox,
    const gchar * value, const LocalBox * vbox, gdouble conf)
{
  const Summary *sum = summary_for (label);
  g_autofree gchar *clean_label = g_strdup (label);
  gsize n = strlen (clean_label);

  if (!sum || g_hash_table_contains (s->seen, sum->type)
      || !value_fits (sum->kind, value))
    return;
  while (n && (clean_label[n - 1] == ':' || clean_label[n - 1] == ' '))
    clean_label[--n] = '\0';
  g_hash_table_add (s->seen, (gpointer) sum->type);
  json_array_add_object_element (s->fields, expense_field (s->page,
          sum->type, clean_label, lbox, value, vbox, conf, s->page_number));
}

/* A row ending with an amount: "Subtotal 87.50", "Tax (8%) $7.00". */
static void
row_summary (Summaries * s, const LocalRows * rows, const LocalRow * row)
{
  const LocalPage *page = s->page;
  const LocalSegment *first = &g_array_index (row->segments, LocalSegment, 0);
  const LocalSegment *last = &g_array_index (row->segments, LocalSegment,
      row->segments->len - 1);
  guint lw = g_array_index (rows->order, guint, last->first + last->n - 1);
  const LocalWord *w = &g_array_index (page->words, LocalWord, lw);
  g_autofree gchar *label = NULL;
  LocalBox lbox = first->box;
  guint i;

  if (!is_money (w->text) || (row->segments->len == 1 && first->n < 2))
    return;
  if (row->segments->len == 1) {
    g_autofree gchar *all = local_segment_text (page, rows, first, 0);

    label = g_strndup (all, strlen (all) - strlen (w->text));
  } else {
    GString *l = g_string_new (NULL);

    for (i = 0; i + 1 < row->segments->len; i++) {
      g_autofree gchar *t = local_segment_text (page, rows,
          &g_array_index (row->segments, LocalSegment, i), 0);

      g_string_append_printf (l, "%s%s", l->len ? " " : "", t);
      lbox = local_box_union (&lbox, &g_array_index (row->segments,
              LocalSegment, i).box);
    }
    label = g_string_free (l, FALSE);
  }
  add_summary (s, g_strstrip (label), &lbox, w->text, &w->box, w->confidence);
}

static gboolean
is_keyword_line (const gchar * text)
{
  g_autofree gchar *n = normalise (text);

  return summary_for (text) || g_str_has_prefix (n, "invoice")
      || g_str_has_prefix (n, "receipt") || g_str_has_prefix (n, "tax invoice")
      || g_str_has_prefix (n, "bill") || g_str_has_prefix (n, "page");
}

/* The vendor is named first, at the top: the first line there that is no
 * keyword, amount or date. */
static void
vendor_name (Summaries * s)
{
  guint i;

  for (i = 0; i < s->page->lines->len; i++) {
    const LocalLine *l = &g_array_index (s->page->lines, LocalLine, i);
    g_autofree gchar *text = local_line_text (s->page, i);
    guint letters = 0;
    const gchar *p;

    if (l->box.top > 0.3)
      continue;
    for (p = text; *p; p++)
      letters += g_ascii_isalpha (*p);
    if (letters < 2 || strchr (text, ':') || is_keyword_line (text)
        || is_money (text) || is_date (text))
      continue;
    json_array_add_object_element (s->fields, expense_field (s->page,
            "VENDOR_NAME", NULL, NULL, text, &l->box, l->confidence,
            s->page_number));
    return;
  }
}

static void
find_summaries (Summaries * s, GPtrArray * fields)
{
  g_autoptr (LocalRows) rows = local_rows_new (s->page, NULL);
  guint i;

  for (i = 0; fields && i < fields->len; i++) {
    const LocalField *f = g_ptr_array_index (fields, i);

    add_summary (s, f->key, &f->key_box, f->value, &f->value_box,
        f->confidence);
  }
  for (i = 0; i < rows->rows->len; i++)
    row_summary (s, rows, &g_array_index (rows->rows, LocalRow, i));
  vendor_name (s);
}

/* ---- line items ------------------------------------------------------- */

typedef enum
{
  COL_OTHER,
  COL_ITEM,
  COL_QUANTITY,
  COL_UNIT_PRICE,
  COL_PRICE,
} ColumnRole;

static const gchar *const role_names[] = {
  "OTHER", "ITEM", "QUANTITY", "UNIT_PRICE", "PRICE"
};

static ColumnRole
role_of_header (const gchar * header)
{
  g_autofree gchar *n = normalise (header);

  if (g_regex_match_simple ("^(description|item|items|product|service|"
          "details|particulars|article)", n, 0, 0))
    return COL_ITEM;
  if (g_regex_match_simple ("^(qty|quantity|units|hours|hrs|qte)\\b", n, 0, 0))
    return COL_QUANTITY;
  if (g_regex_match_simple ("^(unit price|unit cost|rate|each|price each|"
          "unit)\\b", n, 0, 0))
    return COL_UNIT_PRICE;
  if (g_regex_match_simple ("^(amount|total|line total|price|cost|sum)\\b", n,
          0, 0))
    return COL_PRICE;
  return COL_OTHER;
}

/* Column roles from the header row; FALSE when it names no item and no
 * price. */
static gboolean
header_roles (const LocalPage * page, const LocalTable * t, ColumnRole * roles)
{
  gboolean item = FALSE, price = FALSE;
  guint c;

  for (c = 0; c < t->n_cols; c++) {
    g_autofree gchar *h = local_cell_text (page, t, 0, c);

    roles[c] = role_of_header (h);
    item |= roles[c] == COL_ITEM;
    price |= roles[c] == COL_PRICE || roles[c] == COL_UNIT_PRICE;
  }
  return item && price;
}

static gboolean
summary_row (const LocalPage * page, const LocalTable * t, guint r)
{
  guint c;

  for (c = 0; c < t->n_cols; c++) {
    g_autofree gchar *text = local_cell_text (page, t, r, c);

    if (*text)
      return summary_for (text) != NULL;
  }
  return TRUE;
}

static JsonObject *
line_item (const LocalPage * page, const LocalTable * t, guint r,
    const ColumnRole * roles, guint page_number)
{
  JsonObject *item = json_object_new ();
  JsonArray *fields = json_array_new ();
  GString *row_text = g_string_new (NULL);
  LocalBox row_box = g_array_index (t->cells, LocalCell, r * t->n_cols).box;
  guint c;

  for (c = 0; c < t->n_cols; c++) {
    g_autofree gchar *label = local_cell_text (page, t, 0, c);
    g_autofree gchar *value = local_cell_text (page, t, r, c);
    const LocalCell *cell = &g_array_index (t->cells, LocalCell,
        r * t->n_cols + c);

    row_box = local_box_union (&row_box, &cell->box);
    if (!*value)
      continue;
    g_string_append_printf (row_text, "%s%s", row_text->len ? " " : "", value);
    json_array_add_object_element (fields, expense_field (page,
            role_names[roles[c]], label, &g_array_index (t->cells, LocalCell,
                c).box, value, &cell->box, 95.0, page_number));
  }
  json_array_add_object_element (fields, expense_field (page, "EXPENSE_ROW",
          NULL, NULL, row_text->str, &row_box, 95.0, page_number));
  g_string_free (row_text, TRUE);
  json_object_set_array_member (item, "LineItemExpenseFields", fields);
  return item;
}

static JsonObject *
line_item_group (const LocalPage * page, const LocalTable * t, guint index,
    guint page_number)
{
  g_autofree ColumnRole *roles = g_new0 (ColumnRole, t->n_cols);
  JsonObject *group;
  JsonArray *items;
  guint r;

  if (t->n_rows < 2 || !header_roles (page, t, roles))
    return NULL;
  items = json_array_new ();
  for (r = 1; r < t->n_rows; r++)
    if (!summary_row (page, t, r))
      json_array_add_object_element (items, line_item (page, t, r, roles,
              page_number));
  group = json_object_new ();
  json_object_set_int_member (group, "LineItemGroupIndex", index);
  json_object_set_array_member (group, "LineItems", items);
  return group;
}

JsonArray *
local_expense_compose (const LocalPage * page, GPtrArray * tables,
    GPtrArray * fields, guint page_number)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  Summaries s = { page, page_number, json_array_new (), seen };
  JsonArray *groups = json_array_new ();
  JsonArray *docs;
  JsonObject *doc;
  guint i;

  find_summaries (&s, fields);
  for (i = 0; tables && i < tables->len; i++) {
    JsonObject *g = line_item_group (page, g_ptr_array_index (tables, i),
        json_array_get_length (groups) + 1, page_number);

    if (g)
      json_array_add_object_element (groups, g);
  }
  if (!g_hash_table_size (seen) && !json_array_get_length (groups)) {
    json_array_unref (s.fields);
    json_array_unref (groups);
    return NULL;
  }
  doc = json_object_new ();
  json_object_set_int_member (doc, "ExpenseIndex", 1);
  json_object_set_array_member (doc, "SummaryFields", s.fields);
  json_object_set_array_member (doc, "LineItemGroups", groups);
  docs = json_array_new ();
  json_array_add_object_element (docs, doc);
  return docs;
}
