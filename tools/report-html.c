/* The HTML page of `mediatag report`: one self-contained file (inline CSS,
 * inline SVG charts drawn here from the data, a few lines of inline JS
 * allowed by a Content-Security-Policy hash, thumbnails as data: URIs), so
 * it opens from disk and makes no network request.
 *
 * Everything that comes from the media (names, text, table cells, asset
 * URIs) goes through esc(). Large results are aggregated so the page stays
 * fast: bars are merged, listed sightings, frames and boxes are capped, and
 * the per-minute chart is at most TOP_NAMES x MAX_COLUMNS cells. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "mediatag-report.h"

#define TOP_NAMES 10            /* rows of the per-minute chart */
#define MAX_COLUMNS 60          /* its columns: minutes, or wider bins */
#define MAX_ROWS 25             /* names per timeline */
#define MAX_BARS_PER_ROW 60     /* more tracks than this are merged */
#define MAX_LISTED 200          /* sightings listed per name */
#define MAX_FRAMES 24           /* frames with boxes shown */
#define MAX_BOXES 40            /* boxes drawn per frame */
#define MAX_ERRORS 100          /* error documents listed */
#define THUMB_SLACK_MS 40       /* a thumbnail this near a frame's time is its */

/* Kinds drawn as boxes over frames, with their colours. */
static const struct {
  const gchar *kind;
  const gchar *colour;
} box_kinds[] = {
  {"label", "#2563eb"}, {"face", "#ea580c"}, {"facematch", "#c2410c"},
  {"celebrity", "#dc2626"}, {"text", "#16a34a"}, {"customlabel", "#0d9488"},
  {"ppe", "#9333ea"},
};

static const gchar *timeline_kinds[] = { "label", "face", "facematch",
  "celebrity", "text", "moderation", "customlabel", "ppe", "transcript",
};

static const gchar *JS =
    "(function(){\n"
    "function show(bar){var p=document.getElementById(bar.getAttribute('data-p'));\n"
    "if(!p)return;var b=+bar.getAttribute('data-b'),e=+bar.getAttribute('data-e');\n"
    "var n=0;p.querySelectorAll('tr[data-t]').forEach(function(r){var t=+r.getAttribute('data-t');\n"
    "var on=t>=b-1&&t<=e+1;r.hidden=!on;if(on)n++;});\n"
    "var c=p.querySelector('.range');if(c)c.textContent=bar.getAttribute('aria-label')+': '+n+' listed';\n"
    "var box=p.parentNode;box.querySelectorAll('.panel').forEach(function(q){q.hidden=q!==p;});\n"
    "p.hidden=false;p.focus();}\n"
    "document.querySelectorAll('.bar').forEach(function(bar){\n"
    "bar.addEventListener('click',function(){show(bar);});\n"
    "bar.addEventListener('keydown',function(ev){if(ev.key==='Enter'||ev.key===' '){ev.preventDefault();show(bar);}});});\n"
    "var f=document.getElementById('filter');if(f)f.addEventListener('input',function(){\n"
    "var q=f.value.toLowerCase();document.querySelectorAll('[data-f]').forEach(function(el){\n"
    "el.hidden=q!==''&&el.getAttribute('data-f').indexOf(q)<0;});\n"
    "var s=document.getElementById('shown');if(s)s.textContent=document.querySelectorAll('tr[data-f]:not([hidden])').length;});\n"
    "})();\n";

static const gchar *CSS =
    ":root{--fg:#1f2937;--mute:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;--acc:#2563eb}\n"
    "*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg)}\n"
    "header.top{background:#0f172a;color:#f8fafc;padding:18px 28px}header.top h1{margin:0;font-size:22px}header.top p{margin:4px 0 0;color:#cbd5e1}\n"
    "main{max-width:1200px;margin:0 auto;padding:20px 28px}a{color:var(--acc)}\n"
    ".skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:6px;z-index:9}\n"
    "section.asset,section.index{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:0 0 22px;box-shadow:0 1px 2px rgba(0,0,0,.04)}\n"
    "h2{margin:0 0 6px;font-size:20px;word-break:break-all}h3{margin:22px 0 8px;font-size:16px;border-bottom:1px solid var(--line);padding-bottom:4px}h4{margin:14px 0 6px;font-size:14px}\n"
    "dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0;font-size:14px}dl.meta dt{color:var(--mute)}dl.meta dd{margin:0;word-break:break-all}\n"
    "ul.chips{list-style:none;padding:0}.chips{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0}.chip{background:#eef2ff;border-radius:999px;padding:2px 10px;font-size:13px}.chip b{font-weight:600}.chip.err{background:#fee2e2;color:#991b1b}\n"
    "table{border-collapse:collapse;font-size:13px;margin:6px 0 12px}th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}th{background:#f1f5f9}caption{text-align:left;font-weight:600;padding:4px 0}\n"
    "svg text{font:11px system-ui,sans-serif;fill:var(--fg)}.bar{cursor:pointer}.bar:hover,.bar:focus{opacity:.75;outline:2px solid #111}\n"
    ".panel{border:1px solid var(--line);border-radius:8px;padding:6px 12px;margin:6px 0;max-height:320px;overflow:auto;background:#fcfcfd}.panel:focus{outline:2px solid var(--acc)}\n"
    ".frames{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:14px}figure{margin:0}figure svg{width:100%;height:auto;border-radius:6px;background:#e2e8f0;display:block}\n"
    "figcaption{font-size:12px;color:var(--mute);margin-top:3px}.box rect{fill:none;stroke-width:2.5;vector-effect:non-scaling-stroke}.box text{opacity:0;font-size:14px;paint-order:stroke;stroke:#fff;stroke-width:3px}\n"
    ".box:hover rect,.box:focus rect{stroke-width:4;fill:rgba(255,255,255,.18)}.box:hover text,.box:focus text{opacity:1}\n"
    ".legend{display:flex;gap:12px;flex-wrap:wrap;font-size:12px;color:var(--mute)}.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}\n"
    ".transcript p{margin:4px 0}.transcript time{color:var(--mute);font-variant-numeric:tabular-nums;margin-right:8px}mark{background:#fef08a;border-radius:3px;padding:0 2px}mark.ent{background:#bbf7d0}\n"
    ".errors li{color:#991b1b}.incomplete{background:#fef3c7;border-left:4px solid #d97706;padding:8px 12px}.note{color:var(--mute);font-size:13px}input[type=search]{font:inherit;padding:6px 10px;border:1px solid #cbd5e1;border-radius:6px;width:320px;max-width:100%}\n"
    ".scroll{overflow-x:auto}\n";

/* ---- small helpers ---------------------------------------------------- */

static void
esc (GString * s, const gchar * text)
{
  const gchar *p;

  if (!text)
    return;
  for (p = text; *p; p++) {
    switch (*p) {
      case '&':
        g_string_append (s, "&amp;");
        break;
      case '<':
        g_string_append (s, "&lt;");
        break;
      case '>':
        g_string_append (s, "&gt;");
        break;
      case '"':
        g_string_append (s, "&quot;");
        break;
      case '\'':
        g_string_append (s, "&#39;");
        break;
      default:
        g_string_append_c (s, *p);
    }
  }
}

static void
esc_len (GString * s, const gchar * text, gsize len)
{
  g_autofree gchar *part = g_strndup (text, len);

  esc (s, part);
}

static const gchar *
str (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (!n || !JSON_NODE_HOLDS_VALUE (n)
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gdouble
num (JsonObject * o, const gchar * name, gdouble def)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (!n || !JSON_NODE_HOLDS_VALUE (n))
    return def;
  switch (json_node_get_value_type (n)) {
    case G_TYPE_INT64:
      return json_node_get_int (n);
    case G_TYPE_DOUBLE:
      return json_node_get_double (n);
    default:
      return def;
  }
}

static JsonObject *
obj (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static JsonArray *
arr (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

/* Element i of `a` when it is an object, else NULL. */
static JsonObject *
obj_at (JsonArray * a, guint i)
{
  JsonNode *n = json_array_get_element (a, i);

  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

/* A JSON scalar as text (numbers as written), or NULL. */
static gchar *
scalar_text (JsonNode * n)
{
  if (!n || !JSON_NODE_HOLDS_VALUE (n))
    return NULL;
  switch (json_node_get_value_type (n)) {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (n));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (n));
    case G_TYPE_DOUBLE:
      return g_strdup_printf ("%g", json_node_get_double (n));
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (n) ? "true" : "false");
    default:
      return NULL;
  }
}

static const gchar *
analysis (JsonObject * d)
{
  const gchar *a = str (d, "analysis");

  return a ? a : "";
}

static gboolean
is_vision (const gchar * kind)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (box_kinds); i++)
    if (!strcmp (kind, box_kinds[i].kind))
      return TRUE;
  return !strcmp (kind, "moderation");
}

static const gchar *
colour_of (const gchar * kind)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (box_kinds); i++)
    if (!strcmp (kind, box_kinds[i].kind))
      return box_kinds[i].colour;
  if (!strcmp (kind, "transcript"))
    return "#0891b2";
  return "#be185d";
}

/* Media time: m:ss.d, or h:mm:ss past an hour. */
static void
append_time (GString * s, gdouble ms)
{
  gint64 t = (gint64) MAX (ms, 0);
  gint64 h = t / 3600000, m = t / 60000 % 60;
  gdouble sec = fmod (t / 1000.0, 60.0);

  if (h)
    g_string_append_printf (s, "%" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT
        ":%02d", h, m, (gint) sec);
  else
    g_string_append_printf (s, "%" G_GINT64_FORMAT ":%04.1f", m, sec);
}

/* A name safe in an id attribute. */
static gchar *
id_of (const gchar * prefix, guint a, guint b)
{
  return g_strdup_printf ("%s-%u-%u", prefix, a, b);
}

/* ---- what one asset holds --------------------------------------------- */

typedef struct {
  gdouble begin, end, confidence;
  guint count;
} Span;

typedef struct {
  gchar *kind, *name;
  GArray *spans;                /* of Span: tracks, or sightings merged */
  GArray *sightings;            /* of Span (begin = time) */
  gdouble covered;              /* ms covered by its spans, to rank */
} Row;

typedef struct {
  MtReportAsset *a;
  guint index;
  const gchar *kind;            /* video, image, audio, document */
  gdouble duration;             /* ms: the last time seen */
  gint pages;
  GHashTable *engines;          /* set */
  GHashTable *counts;           /* analysis -> count (no tracks) */
  GHashTable *rows;             /* "kind\x1fname" -> Row */
  GHashTable *names;            /* label/customlabel name -> count */
  GHashTable *frames;           /* gint64 ms -> GPtrArray of box docs */
  GPtrArray *errors, *transcript, *phrases, *paged;
  gdouble interval;             /* smallest gap between frame times */
  GArray *thumbs;               /* gint64 ms of thumbnails, sorted */
} Facts;

static void
row_free (Row * r)
{
  g_free (r->kind);
  g_free (r->name);
  g_array_unref (r->spans);
  g_array_unref (r->sightings);
  g_free (r);
}

static Row *
row_for (Facts * f, const gchar * kind, const gchar * name)
{
  g_autofree gchar *key = g_strdup_printf ("%s\x1f%s", kind, name);
  Row *r = g_hash_table_lookup (f->rows, key);

  if (r)
    return r;
  r = g_new0 (Row, 1);
  r->kind = g_strdup (kind);
  r->name = g_strdup (name);
  r->spans = g_array_new (FALSE, FALSE, sizeof (Span));
  r->sightings = g_array_new (FALSE, FALSE, sizeof (Span));
  g_hash_table_insert (f->rows, g_steal_pointer (&key), r);
  return r;
}

static void
count (GHashTable * t, const gchar * key)
{
  gpointer v = g_hash_table_lookup (t, key);

  g_hash_table_insert (t, g_strdup (key),
      GUINT_TO_POINTER (GPOINTER_TO_UINT (v) + 1));
}

static void
note_track (Facts * f, JsonObject * d)
{
  JsonObject *t = obj (d, "track");
  const gchar *kind = str (d, "kind");
  const gchar *name = str (t, "name") ? str (t, "name") : str (d, "name");
  Span s;

  if (!kind || !name)
    return;
  s.begin = num (t, "begin", num (d, "timestamp", 0));
  s.end = num (t, "end", num (d, "end", s.begin));
  s.count = num (t, "count", 1);
  s.confidence = num (t, "confidence", num (d, "confidence", 0));
  g_array_append_val (row_for (f, kind, name)->spans, s);
  f->duration = MAX (f->duration, s.end);
}

static void
note_frame (Facts * f, JsonObject * d, gdouble t)
{
  gint64 key = (gint64) llround (t);
  GPtrArray *docs = g_hash_table_lookup (f->frames, &key);

  if (!docs) {
    gint64 *k = g_new (gint64, 1);

    *k = key;
    docs = g_ptr_array_new ();
    g_hash_table_insert (f->frames, k, docs);
  }
  g_ptr_array_add (docs, d);
}

static void
note_sighting (Facts * f, JsonObject * d, const gchar * kind)
{
  const gchar *name = str (d, "name");
  Span s = { 0 };

  s.begin = s.end = num (d, "timestamp", 0);
  s.confidence = num (d, "confidence", 0);
  s.count = 1;
  if (name)
    g_array_append_val (row_for (f, kind, name)->sightings, s);
  if (name && (!strcmp (kind, "label") || !strcmp (kind, "customlabel")))
    count (f->names, name);
  if (obj (d, "box") && str (d, "page") == NULL && num (d, "page", -1) < 0)
    note_frame (f, d, s.begin);
}

static void
note_doc (Facts * f, JsonObject * d)
{
  const gchar *a = analysis (d);
  const gchar *engine = str (d, "engine");
  gdouble t = num (d, "timestamp", -1), e = num (d, "end", t);
  gint page = (gint) num (d, "page", -1);

  if (engine)
    g_hash_table_add (f->engines, g_strdup (engine));
  f->duration = MAX (f->duration, MAX (t, e));
  f->pages = MAX (f->pages, page);
  if (!strcmp (a, "track")) {
    note_track (f, d);
    return;
  }
  count (f->counts, a);
  if (!strcmp (a, "transcript") && t >= 0) {
    const gchar *who = str (d, "speaker");
    Row *r = row_for (f, a, who ? who : "speech");
    Span s = { t, e, num (d, "confidence", 0), 1 };

    g_array_append_val (r->spans, s);
    g_array_append_val (r->sightings, s);
  }
  if (!strcmp (a, "error"))
    g_ptr_array_add (f->errors, d);
  else if (!strcmp (a, "transcript"))
    g_ptr_array_add (f->transcript, d);
  else if (!strcmp (a, "keyphrase") || !strcmp (a, "entity")
      || !strcmp (a, "sentiment"))
    g_ptr_array_add (f->phrases, d);
  if (page > 0 && strcmp (a, "error") && !g_ptr_array_find (f->phrases, d,
          NULL))
    g_ptr_array_add (f->paged, d);
  else if (is_vision (a))
    note_sighting (f, d, a);
}

static gint
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gint
cmp_int64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* The smallest gap between sighting times: the sampling interval, for
 * merging sightings into spans of a kind that came without tracks. */
static gdouble
sampling_interval (Facts * f)
{
  g_autoptr (GArray) t = g_array_new (FALSE, FALSE, sizeof (gdouble));
  GHashTableIter it;
  gdouble best = 0;
  Row *r;
  guint i;

  g_hash_table_iter_init (&it, f->rows);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r))
    for (i = 0; strcmp (r->kind, "transcript") && i < r->sightings->len; i++)
      g_array_append_val (t, g_array_index (r->sightings, Span, i).begin);
  g_array_sort (t, cmp_double);
  for (i = 1; i < t->len; i++) {
    gdouble gap = g_array_index (t, gdouble, i) - g_array_index (t,
        gdouble, i - 1);

    if (gap > 0 && (best == 0 || gap < best))
      best = gap;
  }
  return best ? best : 1000;
}

/* Media2Cloud's timeline rule (DESIGN.md): sightings closer than 1.2
 * sampling intervals are one span. */
static void
spans_from_sightings (Row * r, gdouble interval)
{
  Span cur = { 0 };
  guint i;

  g_array_sort (r->sightings, cmp_double);
  for (i = 0; i < r->sightings->len; i++) {
    Span *s = &g_array_index (r->sightings, Span, i);

    if (cur.count && s->begin - cur.end < 1.2 * interval) {
      cur.end = s->begin;
      cur.confidence += s->confidence;
      cur.count++;
      continue;
    }
    if (cur.count) {
      cur.confidence /= cur.count;
      g_array_append_val (r->spans, cur);
    }
    cur = *s;
  }
  if (cur.count) {
    cur.confidence /= cur.count;
    g_array_append_val (r->spans, cur);
  }
}

static void
finish_rows (Facts * f)
{
  gdouble interval = sampling_interval (f);
  GHashTableIter it;
  Row *r;
  guint i;

  f->interval = interval;
  g_hash_table_iter_init (&it, f->rows);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r)) {
    if (!r->spans->len)
      spans_from_sightings (r, interval);
    g_array_sort (r->spans, cmp_double);
    g_array_sort (r->sightings, cmp_double);
    for (i = 0; i < r->spans->len; i++) {
      Span *s = &g_array_index (r->spans, Span, i);

      r->covered += MAX (s->end - s->begin, interval);
    }
  }
}

static void
load_thumbs (Facts * f)
{
  g_autoptr (GDir) d = NULL;
  const gchar *name;

  f->thumbs = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (!f->a->thumbs_dir || !(d = g_dir_open (f->a->thumbs_dir, 0, NULL)))
    return;
  while ((name = g_dir_read_name (d))) {
    gchar *end = NULL;
    gint64 ms = g_ascii_strtoll (name, &end, 10);

    if (end != name && !g_strcmp0 (end, ".jpg"))
      g_array_append_val (f->thumbs, ms);
  }
  g_array_sort (f->thumbs, cmp_int64);
}

static const gchar *
guess_kind (Facts * f)
{
  GHashTableIter it;
  Row *r;

  if (f->pages > 0)
    return "document";
  g_hash_table_iter_init (&it, f->rows);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r))
    if (strcmp (r->kind, "transcript") && g_hash_table_size (f->frames) > 1)
      return "video";
  if (f->transcript->len)
    return "audio";
  return g_hash_table_size (f->frames) > 1 || f->duration > 0 ? "video" :
      "image";
}

static void
facts_init (Facts * f, MtReportAsset * a, guint index)
{
  guint i;

  memset (f, 0, sizeof *f);
  f->a = a;
  f->index = index;
  f->engines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  f->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  f->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  f->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) row_free);
  f->frames = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      (GDestroyNotify) g_ptr_array_unref);
  f->errors = g_ptr_array_new ();
  f->transcript = g_ptr_array_new ();
  f->phrases = g_ptr_array_new ();
  f->paged = g_ptr_array_new ();
  for (i = 0; i < a->docs->len; i++)
    note_doc (f, g_ptr_array_index (a->docs, i));
  finish_rows (f);
  load_thumbs (f);
  f->kind = guess_kind (f);
}

static void
facts_clear (Facts * f)
{
  g_hash_table_unref (f->engines);
  g_hash_table_unref (f->counts);
  g_hash_table_unref (f->names);
  g_hash_table_unref (f->rows);
  g_hash_table_unref (f->frames);
  g_ptr_array_unref (f->errors);
  g_ptr_array_unref (f->transcript);
  g_ptr_array_unref (f->phrases);
  g_ptr_array_unref (f->paged);
  g_array_unref (f->thumbs);
}

static guint
count_of (Facts * f, const gchar * kind)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (f->counts, kind));
}

/* ---- header and counts ------------------------------------------------ */

static gchar *
display_name (const gchar * uri)
{
  const gchar *slash = strrchr (uri, '/');

  return g_uri_unescape_string (slash && slash[1] ? slash + 1 : uri, NULL);
}

static void
render_header (GString * s, Facts * f)
{
  g_autofree gchar *name = display_name (f->a->asset);
  g_autoptr (GList) engines = g_hash_table_get_keys (f->engines);
  GList *l;

  g_string_append (s, "<h2>");
  esc (s, name ? name : f->a->asset);
  g_string_append (s, "</h2>\n<dl class=\"meta\"><dt>Asset</dt><dd>");
  esc (s, f->a->asset);
  g_string_append_printf (s, "</dd><dt>Kind</dt><dd>%s</dd>", f->kind);
  if (f->pages > 0)
    g_string_append_printf (s, "<dt>Pages</dt><dd>%d</dd>", f->pages);
  else if (f->duration > 0) {
    g_string_append (s, "<dt>Duration</dt><dd>");
    append_time (s, f->duration);
    g_string_append (s, " (last result)</dd>");
  }
  engines = g_list_sort (engines, (GCompareFunc) strcmp);
  g_string_append (s, "<dt>Engines</dt><dd>");
  for (l = engines; l; l = l->next) {
    esc (s, l->data);
    g_string_append (s, l->next ? ", " : "");
  }
  g_string_append (s, engines ? "</dd>" : "none named</dd>");
  if (f->a->analysed) {
    g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (f->a->analysed);
    g_autofree gchar *when = g_date_time_format (dt, "%Y-%m-%d %H:%M UTC");

    g_string_append_printf (s, "<dt>Analysed</dt><dd>%s</dd>", when);
  }
  g_string_append (s, "<dt>Results</dt><dd>");
  esc (s, f->a->results);
  g_string_append (s, "</dd></dl>\n");
  if (f->a->incomplete)
    g_string_append (s, "<p class=\"incomplete\" role=\"note\"><strong>"
        "Incomplete:</strong> the media could not be analysed whole (cut "
        "short, a decoder error, or the run was stopped). What is shown is "
        "what was found before that; the rest of the media is not in these "
        "results.</p>\n");
}

static void
render_counts (GString * s, Facts * f)
{
  g_autoptr (GList) kinds = g_hash_table_get_keys (f->counts);
  GList *l;

  kinds = g_list_sort (kinds, (GCompareFunc) strcmp);
  g_string_append (s, "<ul class=\"chips\" aria-label=\"Result counts\">");
  for (l = kinds; l; l = l->next) {
    gboolean err = !strcmp (l->data, "error");

    g_string_append_printf (s, "<li class=\"chip%s\"><b>%u</b> ",
        err ? " err" : "", count_of (f, l->data));
    esc (s, l->data);
    g_string_append (s, err ? " (failed units)</li>" : "</li>");
  }
  g_string_append (s, "</ul>\n");
}

/* ---- timelines -------------------------------------------------------- */

#define TL_LEFT 190.0
#define TL_WIDTH 780.0
#define TL_ROW 20.0

static gint
by_covered (gconstpointer a, gconstpointer b)
{
  const Row *x = *(Row * const *) a, *y = *(Row * const *) b;

  if (x->covered != y->covered)
    return x->covered < y->covered ? 1 : -1;
  return strcmp (x->name, y->name);
}

static GPtrArray *
rows_of (Facts * f, const gchar * kind)
{
  GPtrArray *rows = g_ptr_array_new ();
  GHashTableIter it;
  Row *r;

  g_hash_table_iter_init (&it, f->rows);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r))
    if (!strcmp (r->kind, kind))
      g_ptr_array_add (rows, r);
  g_ptr_array_sort (rows, by_covered);
  return rows;
}

/* A round step for about six ticks over `span` ms. */
static gdouble
tick_step (gdouble span)
{
  static const gdouble steps[] = { 1000, 2000, 5000, 10000, 15000, 30000,
    60000, 120000, 300000, 600000, 900000, 1800000, 3600000
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (steps); i++)
    if (span / steps[i] <= 8)
      return steps[i];
  return ceil (span / 8 / 3600000) * 3600000;
}

static void
render_axis (GString * s, gdouble span, gdouble y, gdouble height)
{
  gdouble step = tick_step (span), t;

  for (t = 0; t <= span + 1; t += step) {
    gdouble x = TL_LEFT + t / span * TL_WIDTH;

    g_string_append_printf (s, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"0\" "
        "y2=\"%.1f\" stroke=\"#e5e7eb\"/><text x=\"%.1f\" y=\"%.1f\" "
        "text-anchor=\"middle\">", x, x, y, x, y + 13);
    append_time (s, t);
    g_string_append (s, "</text>");
  }
  (void) height;
}

static void
span_label (GString * s, const Row * r, const Span * sp)
{
  esc (s, r->name);
  g_string_append (s, " ");
  append_time (s, sp->begin);
  g_string_append (s, " to ");
  append_time (s, sp->end);
  g_string_append_printf (s, ", %u sighting%s, %.1f%%", sp->count,
      sp->count == 1 ? "" : "s", sp->confidence);
}

/* Bars of one row: spans closer than span/MAX_BARS_PER_ROW are drawn as
 * one, so a row has at most about MAX_BARS_PER_ROW elements. */
static void
render_bars (GString * s, Facts * f, Row * r, guint row, const gchar * panel,
    gdouble span)
{
  gdouble join = span / MAX_BARS_PER_ROW, min_w = MAX (f->interval, span
      / 400);
  guint i = 0;

  while (i < r->spans->len) {
    Span m = g_array_index (r->spans, Span, i);
    gdouble conf = m.confidence * m.count;
    gdouble x, w;

    for (i++; i < r->spans->len; i++) {
      Span *n = &g_array_index (r->spans, Span, i);

      if (n->begin - m.end >= join)
        break;
      m.end = MAX (m.end, n->end);
      m.count += n->count;
      conf += n->confidence * n->count;
    }
    m.confidence = m.count ? conf / m.count : 0;
    x = TL_LEFT + m.begin / span * TL_WIDTH;
    w = MAX (MAX (m.end - m.begin, min_w) / span * TL_WIDTH, 2);
    g_string_append_printf (s, "<rect class=\"bar\" tabindex=\"0\" "
        "role=\"button\" data-p=\"%s\" data-b=\"%.0f\" data-e=\"%.0f\" "
        "x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"2\" "
        "fill=\"%s\" aria-label=\"", panel, m.begin, m.end, x,
        row * TL_ROW + 3, w, TL_ROW - 6, colour_of (r->kind));
    span_label (s, r, &m);
    g_string_append (s, "\"><title>");
    span_label (s, r, &m);
    g_string_append (s, "</title></rect>");
  }
}

/* What a click on a bar shows: the row's sightings (evenly thinned past
 * MAX_LISTED), filtered to the bar's span by the script. */
static void
render_panel (GString * s, Row * r, const gchar * panel)
{
  GArray *list = r->sightings->len ? r->sightings : r->spans;
  guint step = (list->len + MAX_LISTED - 1) / MAX_LISTED, i;

  g_string_append_printf (s, "<div class=\"panel\" id=\"%s\" tabindex=\"-1\""
      " hidden><p class=\"range\"></p><table><caption>Sightings of ", panel);
  esc (s, r->name);
  g_string_append_printf (s, " (%u%s)</caption><tr><th scope=\"col\">time"
      "</th><th scope=\"col\">confidence</th></tr>", list->len,
      step > 1 ? ", thinned" : "");
  for (i = 0; i < list->len; i += MAX (step, 1)) {
    Span *sp = &g_array_index (list, Span, i);

    g_string_append_printf (s, "<tr data-t=\"%.0f\"><td>", sp->begin);
    append_time (s, sp->begin);
    if (sp->end > sp->begin) {
      g_string_append (s, " to ");
      append_time (s, sp->end);
    }
    g_string_append_printf (s, "</td><td>%.1f</td></tr>", sp->confidence);
  }
  g_string_append (s, "</table></div>");
}

static void
render_track_table (GString * s, GPtrArray * rows, guint shown)
{
  guint i;

  g_string_append (s, "<details><summary>Tracks as a table</summary><table>"
      "<tr><th scope=\"col\">name</th><th scope=\"col\">tracks</th>"
      "<th scope=\"col\">first</th><th scope=\"col\">last</th></tr>");
  for (i = 0; i < shown; i++) {
    Row *r = g_ptr_array_index (rows, i);
    Span *a = &g_array_index (r->spans, Span, 0);
    Span *b = &g_array_index (r->spans, Span, r->spans->len - 1);

    g_string_append (s, "<tr class=\"track\"><td>");
    esc (s, r->name);
    g_string_append_printf (s, "</td><td>%u</td><td>", r->spans->len);
    append_time (s, a->begin);
    g_string_append (s, "</td><td>");
    append_time (s, b->end);
    g_string_append (s, "</td></tr>");
  }
  g_string_append (s, "</table></details>");
}

static void
render_timeline (GString * s, Facts * f, const gchar * kind, guint k)
{
  g_autoptr (GPtrArray) rows = rows_of (f, kind);
  guint shown = MIN (rows->len, MAX_ROWS), i;
  gdouble span = MAX (f->duration, 1000), h = shown * TL_ROW;
  GString *panels = g_string_new (NULL);

  if (!rows->len)
    return;
  g_string_append_printf (s, "<h4>%s</h4>\n<div class=\"scroll\"><svg "
      "viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" role=\"group\" aria-label=\""
      "Timeline of %s: %u names; each bar is a track, press Enter on it to "
      "list its sightings\">", kind, TL_LEFT + TL_WIDTH + 30, h + 20,
      TL_LEFT + TL_WIDTH + 30, kind, rows->len);
  render_axis (s, span, h, h);
  for (i = 0; i < shown; i++) {
    Row *r = g_ptr_array_index (rows, i);
    g_autofree gchar *panel = id_of ("p", f->index, k * 1000 + i);
    g_autofree gchar *label = g_utf8_substring (r->name, 0,
        MIN (g_utf8_strlen (r->name, -1), 28));

    g_string_append_printf (s, "<text x=\"%.0f\" y=\"%.1f\" "
        "text-anchor=\"end\">", TL_LEFT - 8, i * TL_ROW + 14);
    esc (s, label);
    g_string_append (s, "</text>");
    render_bars (s, f, r, i, panel, span);
    render_panel (panels, r, panel);
  }
  g_string_append (s, "</svg></div>");
  if (rows->len > shown)
    g_string_append_printf (s, "<p class=\"note\">%u more names with "
        "less time on screen are not drawn.</p>", rows->len - shown);
  g_string_append_printf (s, "<div class=\"panels\">%s</div>", panels->str);
  g_string_free (panels, TRUE);
  render_track_table (s, rows, shown);
}

static void
render_timelines (GString * s, Facts * f)
{
  GString *body = g_string_new (NULL);
  guint k;

  if (f->duration <= 0)
    return;
  for (k = 0; k < G_N_ELEMENTS (timeline_kinds); k++)
    render_timeline (body, f, timeline_kinds[k], k);
  if (body->len)
    g_string_append_printf (s, "<h3>Timelines</h3>\n%s", body->str);
  g_string_free (body, TRUE);
}

/* ---- per-minute distribution ------------------------------------------ */

typedef struct {
  const gchar *name;
  guint count;
} Named;

static gint
by_count (gconstpointer a, gconstpointer b)
{
  const Named *x = a, *y = b;

  if (x->count != y->count)
    return x->count < y->count ? 1 : -1;
  return strcmp (x->name, y->name);
}

static GArray *
top_names (Facts * f)
{
  GArray *top = g_array_new (FALSE, FALSE, sizeof (Named));
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, f->names);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    Named n = { k, GPOINTER_TO_UINT (v) };

    g_array_append_val (top, n);
  }
  g_array_sort (top, by_count);
  return top;
}

/* Counts of `name` (label and custom label sightings) per bin. */
static void
bin_counts (Facts * f, const gchar * name, gdouble bin, guint bins,
    guint * out)
{
  const gchar *kinds[] = { "label", "customlabel" };
  guint k, i;

  memset (out, 0, bins * sizeof (guint));
  for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
    g_autofree gchar *key = g_strdup_printf ("%s\x1f%s", kinds[k], name);
    Row *r = g_hash_table_lookup (f->rows, key);

    for (i = 0; r && i < r->sightings->len; i++) {
      guint b = MAX (g_array_index (r->sightings, Span, i).begin, 0) / bin;

      out[MIN (b, bins - 1)]++;
    }
  }
}

#define HEAT_WIDTH (TL_WIDTH - 130)

/* One cell of the chart: its colour says how often, its title the count. */
static void
heat_cell (GString * s, const gchar * name, guint b, gdouble bin, guint n,
    guint max, guint row, guint bins)
{
  gdouble level = max ? (gdouble) n / max : 0;
  gdouble w = MIN (HEAT_WIDTH / bins, 90);

  g_string_append_printf (s, "<rect x=\"%.1f\" y=\"%u\" width=\"%.1f\" "
      "height=\"18\" fill=\"%s\" fill-opacity=\"%.2f\"><title>",
      TL_LEFT + b * w, row * 22 + 16, w - 1, n ? "#2563eb" : "#e5e7eb",
      n ? 0.15 + 0.85 * level : 1.0);
  esc (s, name);
  g_string_append (s, ", ");
  append_time (s, b * bin);
  g_string_append_printf (s, ": %u sighting%s</title></rect>", n,
      n == 1 ? "" : "s");
}

static void
render_distribution (GString * s, Facts * f)
{
  g_autoptr (GArray) top = top_names (f);
  guint rows = MIN (top->len, TOP_NAMES), bins, i, b, max = 0, most;
  g_autofree guint *c = NULL;
  gdouble bin = 60000;
  GString *table = g_string_new (NULL);

  if (!rows || f->duration <= 0)
    return;
  while (f->duration / bin >= MAX_COLUMNS)
    bin *= 2;
  bins = (guint) (f->duration / bin) + 1;
  c = g_new0 (guint, bins);
  for (i = 0; i < rows; i++) {
    bin_counts (f, g_array_index (top, Named, i).name, bin, bins, c);
    for (b = 0; b < bins; b++)
      max = MAX (max, c[b]);
  }
  most = g_array_index (top, Named, 0).count;
  g_string_append_printf (s, "<h3>Top labels per %s</h3>\n<div class=\""
      "scroll\"><svg viewBox=\"0 0 %.0f %u\" width=\"%.0f\" role=\"img\" "
      "aria-label=\"How often the %u most seen labels appear in each %s "
      "and in total; the table below holds the same numbers\">",
      bin == 60000 ? "minute" : "time bin", TL_LEFT + TL_WIDTH + 10,
      rows * 22 + 24, TL_LEFT + TL_WIDTH + 10, rows,
      bin == 60000 ? "minute" : "bin");
  g_string_append (table, "<details><summary>Per-minute counts as a table"
      "</summary><table><tr><th scope=\"col\">label</th>");
  for (b = 0; b < bins; b++) {
    g_string_append (table, "<th scope=\"col\">");
    append_time (table, b * bin);
    g_string_append (table, "</th>");
  }
  g_string_append (table, "<th scope=\"col\">total</th></tr>");
  for (i = 0; i < rows; i++) {
    Named *n = &g_array_index (top, Named, i);
    gdouble tx = TL_LEFT + TL_WIDTH - 110;

    bin_counts (f, n->name, bin, bins, c);
    g_string_append_printf (s, "<text x=\"%.0f\" y=\"%u\" text-anchor=\"end\""
        ">", TL_LEFT - 8, i * 22 + 29);
    esc (s, n->name);
    g_string_append (s, "</text>");
    g_string_append (table, "<tr class=\"dist\"><th scope=\"row\">");
    esc (table, n->name);
    g_string_append (table, "</th>");
    for (b = 0; b < bins; b++) {
      heat_cell (s, n->name, b, bin, c[b], max, i, bins);
      g_string_append_printf (table, "<td>%u</td>", c[b]);
    }
    g_string_append_printf (s, "<rect x=\"%.1f\" y=\"%u\" width=\"%.1f\" "
        "height=\"18\" fill=\"#0f766e\"/><text x=\"%.1f\" y=\"%u\">%u</text>",
        tx, i * 22 + 16, MAX (80.0 * n->count / most, 1), tx + 84,
        i * 22 + 29,
        n->count);
    g_string_append_printf (table, "<td>%u</td></tr>", n->count);
  }
  g_string_append_printf (s, "<text x=\"%.0f\" y=\"11\">total</text>",
      TL_LEFT + TL_WIDTH - 110);
  for (b = 0; b < bins; b += (bins + 7) / 8) {
    g_string_append_printf (s, "<text x=\"%.1f\" y=\"11\">",
        TL_LEFT + b * MIN (HEAT_WIDTH / bins, 90));
    append_time (s, b * bin);
    g_string_append (s, "</text>");
  }
  g_string_append (table, "</table></details>");
  g_string_append_printf (s, "</svg></div>%s", table->str);
  if (top->len > rows)
    g_string_append_printf (s, "<p class=\"note\">%u labels in all; the %u "
        "most seen are charted.</p>", top->len, rows);
  g_string_free (table, TRUE);
}

/* ---- frames with boxes ------------------------------------------------ */

/* Width and height from a JPEG's start-of-frame segment. */
static gboolean
jpeg_size (const guchar * d, gsize len, guint * w, guint * h)
{
  gsize i = 2;

  if (len < 4 || d[0] != 0xFF || d[1] != 0xD8)
    return FALSE;
  while (i + 9 < len) {
    guint marker, seg;

    if (d[i] != 0xFF)
      return FALSE;
    marker = d[i + 1];
    seg = d[i + 2] << 8 | d[i + 3];
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8
        && marker != 0xCC) {
      *h = d[i + 5] << 8 | d[i + 6];
      *w = d[i + 7] << 8 | d[i + 8];
      return *w && *h;
    }
    i += 2 + seg;
  }
  return FALSE;
}

/* The thumbnail taken at `ms` (within THUMB_SLACK_MS), read whole. */
static gchar *
thumb_at (Facts * f, gint64 ms, gsize * len)
{
  guint i;

  for (i = 0; i < f->thumbs->len; i++) {
    gint64 t = g_array_index (f->thumbs, gint64, i);

    if (ABS (t - ms) <= THUMB_SLACK_MS) {
      g_autofree gchar *name = g_strdup_printf ("%" G_GINT64_FORMAT ".jpg",
          t);
      g_autofree gchar *path = g_build_filename (f->a->thumbs_dir, name,
          NULL);
      gchar *data = NULL;

      if (g_file_get_contents (path, &data, len, NULL))
        return data;
    }
  }
  return NULL;
}

static void
box_label (GString * s, JsonObject * d)
{
  const gchar *name = str (d, "name");

  esc (s, name ? name : str (d, "text"));
  g_string_append_printf (s, " (%s, %.1f%%)", analysis (d),
      num (d, "confidence", 0));
}

static void
render_box (GString * s, JsonObject * d, guint w, guint h)
{
  JsonObject *b = obj (d, "box");
  gdouble x = num (b, "left", 0) * w, y = num (b, "top", 0) * h;

  g_string_append_printf (s, "<g class=\"box\"><rect x=\"%.1f\" y=\"%.1f\" "
      "width=\"%.1f\" height=\"%.1f\" stroke=\"%s\"/><text x=\"%.1f\" "
      "y=\"%.1f\">", x, y, num (b, "width", 0) * w, num (b, "height", 0) * h,
      colour_of (analysis (d)), x + 3, MAX (y - 4, 14));
  esc (s, str (d, "name") ? str (d, "name") : str (d, "text"));
  g_string_append (s, "</text><title>");
  box_label (s, d);
  g_string_append (s, "</title></g>");
}

static void
render_frame (GString * s, Facts * f, gint64 ms, GPtrArray * docs)
{
  gsize len = 0;
  g_autofree gchar *jpeg = thumb_at (f, ms, &len);
  guint w = 320, h = 180, i;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GString *names = g_string_new (NULL);

  if (jpeg && !jpeg_size ((const guchar *) jpeg, len, &w, &h))
    g_clear_pointer (&jpeg, g_free);
  g_string_append_printf (s, "<figure><svg viewBox=\"0 0 %u %u\" role=\"img\""
      " aria-labelledby=\"fc-%u-%" G_GINT64_FORMAT "\">", w, h, f->index, ms);
  if (jpeg) {
    g_autofree gchar *b64 = g_base64_encode ((const guchar *) jpeg, len);

    g_string_append_printf (s, "<image width=\"%u\" height=\"%u\" href=\""
        "data:image/jpeg;base64,%s\"/>", w, h, b64);
  } else
    g_string_append_printf (s, "<rect width=\"%u\" height=\"%u\" fill=\""
        "#cbd5e1\"/><text x=\"%u\" y=\"%u\" text-anchor=\"middle\" fill=\""
        "#475569\">no thumbnail</text>", w, h, w / 2, h / 2);
  for (i = 0; i < docs->len && i < MAX_BOXES; i++) {
    JsonObject *d = g_ptr_array_index (docs, i);
    const gchar *n = str (d, "name") ? str (d, "name") : str (d, "text");

    render_box (s, d, w, h);
    if (n && g_hash_table_add (seen, (gpointer) n)) {
      g_string_append (names, names->len ? ", " : "");
      esc (names, n);
    }
  }
  g_string_append_printf (s, "</svg><figcaption id=\"fc-%u-%" G_GINT64_FORMAT
      "\"><b>", f->index, ms);
  append_time (s, ms);
  g_string_append_printf (s, "</b> %u box%s%s: %s</figcaption></figure>\n",
      docs->len, docs->len == 1 ? "" : "es", docs->len > MAX_BOXES ?
      " (first 40 drawn)" : "", names->str);
  g_string_free (names, TRUE);
}

static void
render_frames (GString * s, Facts * f)
{
  g_autoptr (GList) keys = g_hash_table_get_keys (f->frames);
  g_autoptr (GArray) t = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint n, i, k;
  GList *l;

  if (!keys)
    return;
  for (l = keys; l; l = l->next)
    g_array_append_val (t, *(gint64 *) l->data);
  g_array_sort (t, cmp_int64);
  n = MIN (t->len, MAX_FRAMES);
  g_string_append (s, "<h3>Frames</h3>\n<p class=\"legend\">");
  for (k = 0; k < G_N_ELEMENTS (box_kinds); k++)
    g_string_append_printf (s, "<span><i style=\"background:%s\"></i>%s"
        "</span>", box_kinds[k].colour, box_kinds[k].kind);
  g_string_append (s, "</p>\n");
  if (t->len > n)
    g_string_append_printf (s, "<p class=\"note\">%u of %u frames with "
        "boxes, evenly spaced.</p>", n, t->len);
  if (!f->thumbs->len)
    g_string_append (s, "<p class=\"note\">No thumbnails were kept with "
        "these results: boxes are drawn over placeholders.</p>");
  g_string_append (s, "<div class=\"frames\">\n");
  for (i = 0; i < n; i++) {
    gint64 ms = g_array_index (t, gint64, (gsize) i * t->len / n);

    render_frame (s, f, ms, g_hash_table_lookup (f->frames, &ms));
  }
  g_string_append (s, "</div>\n");
}

/* ---- transcript and key phrases --------------------------------------- */

/* Whether comprehend document `p` was found in transcript segment `seg`:
 * by its source id, else by time. */
static gboolean
phrase_in (JsonObject * p, JsonObject * seg)
{
  const gchar *src = str (p, "source"), *id = str (seg, "id");
  gdouble t = num (p, "timestamp", -1);

  if (src && id)
    return !strcmp (src, id);
  return t >= num (seg, "timestamp", 0) && t <= num (seg, "end", 0);
}

static gint
longer_first (gconstpointer a, gconstpointer b)
{
  const gchar *x = str (*(JsonObject * const *) a, "name");
  const gchar *y = str (*(JsonObject * const *) b, "name");

  return (gint) strlen (y ? y : "") - (gint) strlen (x ? x : "");
}

/* Marks each phrase's first free occurrences in `lower` (ASCII case
 * folded, so byte offsets match the text's). */
static void
mark_phrases (const gchar * lower, GPtrArray * found, JsonObject ** marks)
{
  gsize n = strlen (lower), i;

  g_ptr_array_sort (found, longer_first);
  for (i = 0; i < found->len; i++) {
    JsonObject *p = g_ptr_array_index (found, i);
    g_autofree gchar *needle = g_ascii_strdown (str (p, "name"), -1);
    gsize len = strlen (needle), j;
    const gchar *at = lower;

    while (len && (at = strstr (at, needle))) {
      gsize o = at - lower;
      gboolean free_run = TRUE;

      for (j = o; j < o + len && j < n; j++)
        free_run = free_run && !marks[j];
      for (j = o; free_run && j < o + len; j++)
        marks[j] = p;
      at += len;
    }
  }
}

static void
render_marked (GString * s, const gchar * text, GPtrArray * found)
{
  g_autofree gchar *lower = g_ascii_strdown (text, -1);
  gsize n = strlen (text), i = 0;
  g_autofree JsonObject **marks = g_new0 (JsonObject *, n + 1);

  mark_phrases (lower, found, marks);
  while (i < n) {
    JsonObject *m = marks[i];
    gsize j = i;

    while (j < n && marks[j] == m)
      j++;
    if (m) {
      gboolean ent = !strcmp (analysis (m), "entity");

      g_string_append_printf (s, "<mark class=\"%s\" title=\"", ent ? "ent" :
          "kp");
      esc (s, ent ? (str (m, "type") ? str (m, "type") : "entity") :
          "key phrase");
      g_string_append (s, "\">");
      esc_len (s, text + i, j - i);
      g_string_append (s, "</mark>");
    } else
      esc_len (s, text + i, j - i);
    i = j;
  }
}

static gint
by_time (gconstpointer a, gconstpointer b)
{
  gdouble x = num (*(JsonObject * const *) a, "timestamp", 0);
  gdouble y = num (*(JsonObject * const *) b, "timestamp", 0);

  return x < y ? -1 : x > y;
}

static void
render_transcript (GString * s, Facts * f)
{
  guint i, j;

  if (!f->transcript->len)
    return;
  g_ptr_array_sort (f->transcript, by_time);
  g_string_append (s, "<h3>Transcript</h3>\n<p class=\"legend\"><span><mark>"
      "key phrase</mark></span><span><mark class=\"ent\">entity</mark>"
      "</span></p><div class=\"transcript\">\n");
  for (i = 0; i < f->transcript->len; i++) {
    JsonObject *seg = g_ptr_array_index (f->transcript, i);
    g_autoptr (GPtrArray) found = g_ptr_array_new ();
    const gchar *text = str (seg, "text") ? str (seg, "text") : str (seg,
        "name");

    for (j = 0; j < f->phrases->len; j++) {
      JsonObject *p = g_ptr_array_index (f->phrases, j);

      if (str (p, "name") && strcmp (analysis (p), "sentiment")
          && phrase_in (p, seg))
        g_ptr_array_add (found, p);
    }
    g_string_append (s, "<p><time>");
    append_time (s, num (seg, "timestamp", 0));
    g_string_append (s, "</time>");
    if (str (seg, "speaker")) {
      g_string_append (s, "<b>");
      esc (s, str (seg, "speaker"));
      g_string_append (s, ":</b> ");
    }
    render_marked (s, text ? text : "", found);
    g_string_append (s, "</p>\n");
  }
  g_string_append (s, "</div>\n");
}

/* Key phrases, entities and sentiment as chips, counted by name. */
static void
render_phrases (GString * s, Facts * f)
{
  g_autoptr (GHashTable) n = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  guint i;

  if (!f->phrases->len)
    return;
  for (i = 0; i < f->phrases->len; i++) {
    JsonObject *p = g_ptr_array_index (f->phrases, i);
    g_autofree gchar *key = g_strdup_printf ("%s\x1f%s", analysis (p),
        str (p, "name") ? str (p, "name") : "");

    if (!g_hash_table_contains (n, key))
      g_ptr_array_add (order, p);
    count (n, key);
  }
  g_string_append (s, "<h3>Key phrases, entities, sentiment</h3>\n"
      "<ul class=\"chips\">");
  for (i = 0; i < order->len && i < 300; i++) {
    JsonObject *p = g_ptr_array_index (order, i);
    g_autofree gchar *key = g_strdup_printf ("%s\x1f%s", analysis (p),
        str (p, "name") ? str (p, "name") : "");

    g_string_append (s, "<li class=\"chip\">");
    esc (s, str (p, "name"));
    g_string_append (s, " <small>");
    esc (s, str (p, "type") ? str (p, "type") : analysis (p));
    g_string_append_printf (s, " &times;%u</small></li>",
        GPOINTER_TO_UINT (g_hash_table_lookup (n, key)));
  }
  g_string_append (s, "</ul>\n");
}

/* ---- documents -------------------------------------------------------- */

static void
render_cells (GString * s, JsonArray * row, const gchar * cell)
{
  guint i;

  g_string_append (s, "<tr>");
  for (i = 0; row && i < json_array_get_length (row); i++) {
    g_autofree gchar *t = scalar_text (json_array_get_element (row, i));

    g_string_append_printf (s, "<%s>", cell);
    esc (s, t);
    g_string_append_printf (s, "</%s>", cell);
  }
  g_string_append (s, "</tr>");
}

static void
render_table (GString * s, JsonObject * d)
{
  JsonObject *detail = obj (d, "detail");
  JsonArray *rows = arr (detail, "rows");
  guint i;

  if (!rows)
    return;
  g_string_append (s, "<div class=\"scroll\"><table class=\"doc-table\">"
      "<caption>");
  esc (s, str (detail, "title") ? str (detail, "title") : str (d, "name"));
  g_string_append (s, "</caption>");
  for (i = 0; i < json_array_get_length (rows); i++) {
    JsonNode *n = json_array_get_element (rows, i);

    render_cells (s, JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) :
        NULL, i == 0 ? "th" : "td");
  }
  g_string_append (s, "</table></div>");
}

/* Expense line items: one row per item, the union of their columns. */
static void
render_line_items (GString * s, JsonArray * items)
{
  g_autoptr (GPtrArray) cols = g_ptr_array_new ();
  guint i, c;

  for (i = 0; i < json_array_get_length (items); i++) {
    JsonObject *it = obj_at (items, i);
    g_autoptr (GList) m = it ? json_object_get_members (it) : NULL;
    GList *l;

    for (l = m; l; l = l->next)
      if (!g_ptr_array_find_with_equal_func (cols, l->data, g_str_equal,
              NULL))
        g_ptr_array_add (cols, l->data);
  }
  g_string_append (s, "<table><caption>Line items</caption><tr>");
  for (c = 0; c < cols->len; c++) {
    g_string_append (s, "<th scope=\"col\">");
    esc (s, g_ptr_array_index (cols, c));
    g_string_append (s, "</th>");
  }
  g_string_append (s, "</tr>");
  for (i = 0; i < json_array_get_length (items); i++) {
    JsonObject *it = obj_at (items, i);

    g_string_append (s, "<tr>");
    for (c = 0; c < cols->len; c++) {
      g_autofree gchar *t = it ? scalar_text (json_object_get_member (it,
              g_ptr_array_index (cols, c))) : NULL;

      g_string_append (s, "<td>");
      esc (s, t);
      g_string_append (s, "</td>");
    }
    g_string_append (s, "</tr>");
  }
  g_string_append (s, "</table>");
}

/* Fields of one kind on one page (form fields, answers, expense or
 * identity fields) as a two-column table. */
static void
render_fields (GString * s, GPtrArray * docs, const gchar * kind,
    const gchar * caption)
{
  gboolean open = FALSE;
  guint i;

  for (i = 0; i < docs->len; i++) {
    JsonObject *d = g_ptr_array_index (docs, i);
    g_autofree gchar *value = scalar_text (json_object_get_member (d,
            "value"));
    JsonArray *items = arr (obj (d, "detail"), "LineItems");

    if (strcmp (analysis (d), kind))
      continue;
    if (items) {
      render_line_items (s, items);
      continue;
    }
    if (!open)
      g_string_append_printf (s, "<table class=\"fields\"><caption>%s"
          "</caption><tr><th scope=\"col\">name</th><th scope=\"col\">value"
          "</th></tr>", caption);
    open = TRUE;
    g_string_append (s, "<tr><th scope=\"row\">");
    esc (s, str (d, "name"));
    if (str (d, "label")) {
      g_string_append (s, " <small>(");
      esc (s, str (d, "label"));
      g_string_append (s, ")</small>");
    }
    g_string_append (s, "</th><td>");
    esc (s, value);
    if (str (d, "currency")) {
      g_string_append (s, " ");
      esc (s, str (d, "currency"));
    }
    g_string_append (s, "</td></tr>");
  }
  if (open)
    g_string_append (s, "</table>");
}

static void
render_lines (GString * s, GPtrArray * docs)
{
  guint i, n = 0;

  for (i = 0; i < docs->len; i++)
    n += !strcmp (analysis (g_ptr_array_index (docs, i)), "text");
  if (!n)
    return;
  g_string_append_printf (s, "<details><summary>%u lines of text</summary>"
      "<ol class=\"lines\">", n);
  for (i = 0; i < docs->len; i++) {
    JsonObject *d = g_ptr_array_index (docs, i);

    if (strcmp (analysis (d), "text"))
      continue;
    g_string_append (s, "<li>");
    esc (s, str (d, "text") ? str (d, "text") : str (d, "name"));
    g_string_append (s, "</li>");
  }
  g_string_append (s, "</ol></details>");
}

static void
render_documents (GString * s, Facts * f)
{
  gint page;
  guint i;

  if (!f->paged->len)
    return;
  g_string_append (s, "<h3>Pages</h3>\n");
  for (page = 1; page <= f->pages; page++) {
    g_autoptr (GPtrArray) docs = g_ptr_array_new ();

    for (i = 0; i < f->paged->len; i++)
      if ((gint) num (g_ptr_array_index (f->paged, i), "page", 0) == page)
        g_ptr_array_add (docs, g_ptr_array_index (f->paged, i));
    if (!docs->len)
      continue;
    g_string_append_printf (s, "<h4>Page %d</h4>\n", page);
    for (i = 0; i < docs->len; i++)
      if (!strcmp (analysis (g_ptr_array_index (docs, i)), "table"))
        render_table (s, g_ptr_array_index (docs, i));
    render_fields (s, docs, "field", "Form fields");
    render_fields (s, docs, "answer", "Answers to queries");
    render_fields (s, docs, "expense", "Expense fields");
    render_fields (s, docs, "identity", "Identity document fields");
    render_lines (s, docs);
  }
}

/* ---- errors ----------------------------------------------------------- */

static void
render_errors (GString * s, Facts * f)
{
  guint i;

  if (!f->errors->len)
    return;
  g_string_append_printf (s, "<h3>Errors</h3>\n<p>%u unit%s failed; what "
      "they hold is missing from the results above.</p><ul class=\"errors\">",
      f->errors->len, f->errors->len == 1 ? "" : "s");
  for (i = 0; i < f->errors->len && i < MAX_ERRORS; i++) {
    JsonObject *d = g_ptr_array_index (f->errors, i);
    const gchar *why = str (d, "error");

    g_string_append (s, "<li class=\"error\">");
    if (num (d, "page", -1) > 0)
      g_string_append_printf (s, "page %.0f: ", num (d, "page", 0));
    else if (num (d, "timestamp", -1) >= 0) {
      append_time (s, num (d, "timestamp", 0));
      g_string_append (s, ": ");
    }
    esc (s, why ? why : str (obj (d, "detail"), "message"));
    if (str (d, "engine")) {
      g_string_append (s, " <small>(");
      esc (s, str (d, "engine"));
      g_string_append (s, ")</small>");
    }
    g_string_append (s, "</li>");
  }
  g_string_append (s, "</ul>");
  if (f->errors->len > MAX_ERRORS)
    g_string_append_printf (s, "<p class=\"note\">%u more not listed.</p>",
        f->errors->len - MAX_ERRORS);
}

/* ---- the page --------------------------------------------------------- */

/* What the filter box matches an asset by: its name and what was found. */
static gchar *
filter_text (Facts * f)
{
  GString *s = g_string_new (f->a->asset);
  GHashTableIter it;
  Row *r;

  g_string_append_printf (s, " %s", f->kind);
  g_hash_table_iter_init (&it, f->rows);
  while (g_hash_table_iter_next (&it, NULL, (gpointer *) & r) && s->len < 4000)
    g_string_append_printf (s, " %s", r->name);
  {
    gchar *low = g_utf8_strdown (s->str, -1);

    g_string_free (s, TRUE);
    return low;
  }
}

static void
render_asset (GString * s, Facts * f)
{
  g_autofree gchar *filter = filter_text (f);

  g_string_append_printf (s, "<section class=\"asset\" id=\"asset-%u\" "
      "aria-labelledby=\"asset-%u-h\" data-f=\"", f->index, f->index);
  esc (s, filter);
  g_string_append_printf (s, "\"><span id=\"asset-%u-h\" hidden>", f->index);
  esc (s, f->a->asset);
  g_string_append (s, "</span>");
  render_header (s, f);
  render_counts (s, f);
  render_errors (s, f);
  render_timelines (s, f);
  render_distribution (s, f);
  render_frames (s, f);
  render_transcript (s, f);
  render_phrases (s, f);
  render_documents (s, f);
  g_string_append (s, "</section>\n");
}

static void
render_index (GString * s, Facts * facts, guint n)
{
  static const gchar *cols[] = { "label", "face", "text", "transcript",
    "table", "error"
  };
  guint i, c;

  g_string_append_printf (s, "<section class=\"index\" aria-labelledby=\""
      "index-h\"><h2 id=\"index-h\">%u assets</h2>\n<p><label for=\"filter\">"
      "Filter by name or by what was found: </label><input type=\"search\" "
      "id=\"filter\" autocomplete=\"off\"> <span class=\"note\"><span "
      "id=\"shown\">%u</span> shown</span></p>\n<div class=\"scroll\"><table>"
      "<tr><th scope=\"col\">asset</th><th scope=\"col\">kind</th>"
      "<th scope=\"col\">duration / pages</th>", n, n);
  for (c = 0; c < G_N_ELEMENTS (cols); c++)
    g_string_append_printf (s, "<th scope=\"col\">%s</th>", cols[c]);
  g_string_append (s, "</tr>\n");
  for (i = 0; i < n; i++) {
    Facts *f = &facts[i];
    g_autofree gchar *filter = filter_text (f);
    g_autofree gchar *name = display_name (f->a->asset);

    g_string_append (s, "<tr data-f=\"");
    esc (s, filter);
    g_string_append_printf (s, "\"><td><a href=\"#asset-%u\">", i);
    esc (s, name ? name : f->a->asset);
    g_string_append_printf (s, "</a></td><td>%s</td><td>", f->kind);
    if (f->pages > 0)
      g_string_append_printf (s, "%d pages", f->pages);
    else
      append_time (s, f->duration);
    g_string_append (s, "</td>");
    for (c = 0; c < G_N_ELEMENTS (cols); c++)
      g_string_append_printf (s, "<td>%u</td>", count_of (f, cols[c]));
    g_string_append (s, "</tr>\n");
  }
  g_string_append (s, "</table></div></section>\n");
}

/* The script runs under a Content-Security-Policy that names its hash:
 * no other script (say, one smuggled in through a label) could run even if
 * escaping failed, and the page may load nothing but its own data: URIs. */
static gchar *
script_hash (void)
{
  g_autoptr (GChecksum) c = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;

  g_checksum_update (c, (const guchar *) JS, strlen (JS));
  g_checksum_get_digest (c, digest, &len);
  return g_base64_encode (digest, len);
}

gchar *
mt_report_render (GPtrArray * assets)
{
  GString *s = g_string_new (NULL);
  g_autofree gchar *hash = script_hash ();
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree gchar *when = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");
  Facts *facts = g_new0 (Facts, assets->len);
  guint i, errors = 0;

  for (i = 0; i < assets->len; i++) {
    facts_init (&facts[i], g_ptr_array_index (assets, i), i);
    errors += facts[i].errors->len;
  }
  g_string_append_printf (s, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
      "<meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" "
      "content=\"default-src 'none'; img-src data:; style-src "
      "'unsafe-inline'; script-src 'sha256-%s'\"><meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\"><title>mediatag "
      "report</title><style>%s</style></head><body>\n<a class=\"skip\" "
      "href=\"#main\">Skip to the results</a><header class=\"top\"><h1>"
      "mediatag report</h1><p>%u asset%s, %u failed unit%s, made %s</p>"
      "</header><main id=\"main\">\n", hash, CSS, assets->len,
      assets->len == 1 ? "" : "s", errors, errors == 1 ? "" : "s", when);
  if (assets->len > 1)
    render_index (s, facts, assets->len);
  for (i = 0; i < assets->len; i++)
    render_asset (s, &facts[i]);
  g_string_append_printf (s, "</main><script>%s</script></body></html>\n",
      JS);
  for (i = 0; i < assets->len; i++)
    facts_clear (&facts[i]);
  g_free (facts);
  return g_string_free (s, FALSE);
}
