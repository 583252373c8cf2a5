/* Local face collection: Rekognition's IndexFaces / ListFaces /
 * SearchFacesByImage over FaceRes descriptors, in one SQLite file per
 * collection (DIR/NAME.sqlite), so indexing in one process and searching
 * in another share the same faces. Search is a linear scan: FaceRes
 * cosines are cheap, and collections here hold thousands, not millions. */
#include "vision-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

/* The descriptor kind stored; a collection made with another network
 * cannot be searched with this one. */
#define DESCRIPTOR_KIND "faceres-1024"

struct _MtFaceCollection
{
  GMutex lock;
  sqlite3 *db;
  gchar *path;
};

static const gchar schema[] =
    "PRAGMA busy_timeout = 5000;"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"
    "INSERT OR IGNORE INTO meta VALUES ('descriptor', '" DESCRIPTOR_KIND "');"
    "CREATE TABLE IF NOT EXISTS faces ("
    "  face_id TEXT PRIMARY KEY, external_id TEXT, image_id TEXT,"
    "  box_left REAL, box_top REAL, box_width REAL, box_height REAL,"
    "  confidence REAL, indexed_at INTEGER, descriptor BLOB NOT NULL);";

gchar *
mt_face_collection_default_dir (void)
{
  const gchar *env = g_getenv ("MEDIATAG_FACES_DIR");

  if (env && *env)
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "mediatag", "faces", NULL);
}

/* Rekognition's CollectionId pattern; it also keeps names inside DIR. */
static gboolean
valid_name (const gchar * name)
{
  const gchar *p;

  if (!name || !*name || strlen (name) > 255)
    return FALSE;
  for (p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("_.-", *p))
      return FALSE;
  return TRUE;
}

static gboolean
db_error (MtFaceCollection * coll, const gchar * what, GError ** error)
{
  g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_COLLECTION,
      "face collection %s: %s: %s", coll->path, what,
      sqlite3_errmsg (coll->db));
  return FALSE;
}

static gboolean
check_kind (MtFaceCollection * coll, GError ** error)
{
  sqlite3_stmt *st = NULL;
  gboolean ok = FALSE;

  if (sqlite3_prepare_v2 (coll->db,
          "SELECT value FROM meta WHERE key = 'descriptor'", -1, &st,
          NULL) != SQLITE_OK)
    return db_error (coll, "cannot read it", error);
  if (sqlite3_step (st) == SQLITE_ROW)
    ok = !g_strcmp0 ((const gchar *) sqlite3_column_text (st, 0),
        DESCRIPTOR_KIND);
  sqlite3_finalize (st);
  if (!ok)
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_COLLECTION,
        "face collection %s holds descriptors of another kind than %s",
        coll->path, DESCRIPTOR_KIND);
  return ok;
}

static gboolean
open_db (MtFaceCollection * coll, gboolean create, GError ** error)
{
  gint flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;
  gchar *msg = NULL;

  if (create)
    flags |= SQLITE_OPEN_CREATE;
  if (!create && !g_file_test (coll->path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_COLLECTION,
        "face collection %s does not exist: index faces into it first",
        coll->path);
    return FALSE;
  }
  if (sqlite3_open_v2 (coll->path, &coll->db, flags, NULL) != SQLITE_OK)
    return db_error (coll, "cannot open it", error);
  if (sqlite3_exec (coll->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_COLLECTION,
        "face collection %s: cannot set it up: %s", coll->path, msg);
    sqlite3_free (msg);
    return FALSE;
  }
  return check_kind (coll, error);
}

MtFaceCollection *
mt_face_collection_open (const gchar * dir, const gchar * name,
    gboolean create, GError ** error)
{
  g_autofree gchar *base = dir ? g_strdup (dir)
      : mt_face_collection_default_dir ();
  g_autofree gchar *file = NULL;
  MtFaceCollection *coll;

  if (!valid_name (name)) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_INVALID_ARGUMENT,
        "invalid collection name '%s': use 1 to 255 of a-z A-Z 0-9 _ . -",
        name ? name : "");
    return NULL;
  }
  if (create && g_mkdir_with_parents (base, 0700) != 0) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_COLLECTION,
        "cannot create the face collection directory %s: %s", base,
        g_strerror (errno));
    return NULL;
  }
  file = g_strconcat (name, ".sqlite", NULL);
  coll = g_new0 (MtFaceCollection, 1);
  g_mutex_init (&coll->lock);
  coll->path = g_build_filename (base, file, NULL);
  if (!open_db (coll, create, error)) {
    mt_face_collection_free (coll);
    return NULL;
  }
  return coll;
}

void
mt_face_collection_free (MtFaceCollection * coll)
{
  if (!coll)
    return;
  if (coll->db)
    sqlite3_close (coll->db);
  g_mutex_clear (&coll->lock);
  g_free (coll->path);
  g_free (coll);
}

const gchar *
mt_face_collection_path (MtFaceCollection * coll)
{
  return coll->path;
}

/* Descriptors are stored as little-endian float32, whatever the host. */
static void
pack (const gfloat * in, guint32 * out)
{
  guint i;

  for (i = 0; i < MT_FACE_DESCRIPTOR_SIZE; i++) {
    guint32 v;

    memcpy (&v, &in[i], sizeof v);
    out[i] = GUINT32_TO_LE (v);
  }
}

static void
unpack (const guint32 * in, gfloat * out)
{
  guint i;

  for (i = 0; i < MT_FACE_DESCRIPTOR_SIZE; i++) {
    guint32 v = GUINT32_FROM_LE (in[i]);

    memcpy (&out[i], &v, sizeof v);
  }
}

gchar *
mt_face_collection_index (MtFaceCollection * coll, const MtFace * face,
    const gchar * external_id, const gchar * image_id, GError ** error)
{
  g_autofree guint32 *blob = g_new (guint32, MT_FACE_DESCRIPTOR_SIZE);
  g_autofree gchar *face_id = g_uuid_string_random ();
  sqlite3_stmt *st = NULL;
  gboolean ok;

  if (!face->has_descriptor) {
    g_set_error (error, MT_VISION_ERROR, MT_VISION_ERROR_INVALID_ARGUMENT,
        "a face needs a descriptor to be indexed");
    return NULL;
  }
  pack (face->descriptor, blob);
  g_mutex_lock (&coll->lock);
  ok = sqlite3_prepare_v2 (coll->db, "INSERT INTO faces VALUES "
      "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) == SQLITE_OK;
  if (ok) {
    sqlite3_bind_text (st, 1, face_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, external_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 3, image_id, -1, SQLITE_STATIC);
    sqlite3_bind_double (st, 4, face->box.left);
    sqlite3_bind_double (st, 5, face->box.top);
    sqlite3_bind_double (st, 6, face->box.width);
    sqlite3_bind_double (st, 7, face->box.height);
    sqlite3_bind_double (st, 8, face->confidence);
    sqlite3_bind_int64 (st, 9, g_get_real_time () / G_USEC_PER_SEC);
    sqlite3_bind_blob (st, 10, blob, MT_FACE_DESCRIPTOR_SIZE * 4,
        SQLITE_STATIC);
    ok = sqlite3_step (st) == SQLITE_DONE;
  }
  if (!ok)
    db_error (coll, "cannot index the face", error);
  sqlite3_finalize (st);
  g_mutex_unlock (&coll->lock);
  return ok ? g_steal_pointer (&face_id) : NULL;
}

static void
indexed_face_clear (MtIndexedFace * f)
{
  g_free (f->face_id);
  g_free (f->external_id);
  g_free (f->image_id);
}

static void
indexed_face_free (MtIndexedFace * f)
{
  indexed_face_clear (f);
  g_free (f);
}

static void
face_match_free (MtFaceMatch * m)
{
  indexed_face_clear (&m->face);
  g_free (m);
}

static void
read_row (sqlite3_stmt * st, MtIndexedFace * f)
{
  f->face_id = g_strdup ((const gchar *) sqlite3_column_text (st, 0));
  f->external_id = g_strdup ((const gchar *) sqlite3_column_text (st, 1));
  f->image_id = g_strdup ((const gchar *) sqlite3_column_text (st, 2));
  f->box.left = sqlite3_column_double (st, 3);
  f->box.top = sqlite3_column_double (st, 4);
  f->box.width = sqlite3_column_double (st, 5);
  f->box.height = sqlite3_column_double (st, 6);
  f->confidence = sqlite3_column_double (st, 7);
  f->indexed_at = sqlite3_column_int64 (st, 8);
}

#define SELECT_FACES "SELECT face_id, external_id, image_id, box_left, " \
  "box_top, box_width, box_height, confidence, indexed_at, descriptor " \
  "FROM faces ORDER BY indexed_at, rowid"

GPtrArray *
mt_face_collection_list (MtFaceCollection * coll, GError ** error)
{
  g_autoptr (GPtrArray) faces =
      g_ptr_array_new_with_free_func ((GDestroyNotify) indexed_face_free);
  sqlite3_stmt *st = NULL;
  gint rc = SQLITE_ERROR;

  g_mutex_lock (&coll->lock);
  if (sqlite3_prepare_v2 (coll->db, SELECT_FACES, -1, &st, NULL) == SQLITE_OK)
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
      MtIndexedFace *f = g_new0 (MtIndexedFace, 1);

      read_row (st, f);
      g_ptr_array_add (faces, f);
    }
  if (rc != SQLITE_DONE)
    db_error (coll, "cannot list faces", error);
  sqlite3_finalize (st);
  g_mutex_unlock (&coll->lock);
  return rc == SQLITE_DONE ? g_steal_pointer (&faces) : NULL;
}

static gint
by_similarity (gconstpointer a, gconstpointer b)
{
  const MtFaceMatch *ma = *(MtFaceMatch * const *) a;
  const MtFaceMatch *mb = *(MtFaceMatch * const *) b;

  return ma->similarity < mb->similarity ? 1
      : ma->similarity > mb->similarity ? -1 : 0;
}

static void
match_row (sqlite3_stmt * st, const gfloat * descriptor, gdouble threshold,
    gfloat * scratch, GPtrArray * matches)
{
  gdouble similarity;
  MtFaceMatch *m;

  if (sqlite3_column_bytes (st, 9) != MT_FACE_DESCRIPTOR_SIZE * 4)
    return;
  unpack (sqlite3_column_blob (st, 9), scratch);
  similarity = mt_face_similarity (mt_face_cosine (descriptor, scratch));
  if (similarity < threshold)
    return;
  m = g_new0 (MtFaceMatch, 1);
  read_row (st, &m->face);
  m->similarity = similarity;
  g_ptr_array_add (matches, m);
}

GPtrArray *
mt_face_collection_search (MtFaceCollection * coll, const gfloat * descriptor,
    gdouble threshold, guint max_faces, GError ** error)
{
  g_autoptr (GPtrArray) matches =
      g_ptr_array_new_with_free_func ((GDestroyNotify) face_match_free);
  g_autofree gfloat *scratch = g_new (gfloat, MT_FACE_DESCRIPTOR_SIZE);
  sqlite3_stmt *st = NULL;
  gint rc = SQLITE_ERROR;

  g_mutex_lock (&coll->lock);
  if (sqlite3_prepare_v2 (coll->db, SELECT_FACES, -1, &st, NULL) == SQLITE_OK)
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
      match_row (st, descriptor, threshold, scratch, matches);
  if (rc != SQLITE_DONE)
    db_error (coll, "cannot search faces", error);
  sqlite3_finalize (st);
  g_mutex_unlock (&coll->lock);
  if (rc != SQLITE_DONE)
    return NULL;
  g_ptr_array_sort (matches, by_similarity);
  if (max_faces && matches->len > max_faces)
    g_ptr_array_set_size (matches, max_faces);
  return g_steal_pointer (&matches);
}

gboolean
mt_face_collection_delete (MtFaceCollection * coll, const gchar * face_id,
    GError ** error)
{
  sqlite3_stmt *st = NULL;
  gboolean ok;

  g_mutex_lock (&coll->lock);
  ok = sqlite3_prepare_v2 (coll->db, "DELETE FROM faces WHERE face_id = ?",
      -1, &st, NULL) == SQLITE_OK;
  if (ok) {
    sqlite3_bind_text (st, 1, face_id, -1, SQLITE_STATIC);
    ok = sqlite3_step (st) == SQLITE_DONE;
  }
  if (!ok)
    db_error (coll, "cannot delete the face", error);
  sqlite3_finalize (st);
  g_mutex_unlock (&coll->lock);
  return ok;
}
