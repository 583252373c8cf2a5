/* `mediatag faces`: local face collections, as Rekognition's IndexFaces,
 * ListFaces and SearchFacesByImage, offline (libmediatag-vision). Prints
 * the service's JSON shapes so scripts written for Rekognition read it.
 *
 *   mediatag faces index COLLECTION IMAGE... --external-id NAME [--largest-face]
 *   mediatag faces list COLLECTION
 *   mediatag faces search COLLECTION IMAGE [--threshold 80]
 *   mediatag faces delete COLLECTION FACE_ID... */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "mediatag.h"
#include "vision.h"

static gchar *opt_external_id;
static gchar *opt_dir;
static gchar *opt_models;
static gdouble opt_threshold = 80.0;
static gdouble opt_min_confidence = 60.0;
static gint opt_max_faces;
static gboolean opt_largest_face;

static const GOptionEntry entries[] = {
  {"external-id", 'e', 0, G_OPTION_ARG_STRING, &opt_external_id,
      "Name stored with indexed faces (Rekognition's ExternalImageId)", "NAME"},
  {"threshold", 't', 0, G_OPTION_ARG_DOUBLE, &opt_threshold,
      "search: lowest similarity to report, 0-100 (default 80)", "N"},
  {"max-faces", 'm', 0, G_OPTION_ARG_INT, &opt_max_faces,
      "index: the N largest faces per image; search: at most N matches "
        "(default: all)", "N"},
  {"largest-face", 0, 0, G_OPTION_ARG_NONE, &opt_largest_face,
        "index: only the largest face of each image (without it or "
        "--max-faces, an image with more than one face is refused: they "
        "would all get the one external id)", NULL},
  {"min-confidence", 0, 0, G_OPTION_ARG_DOUBLE, &opt_min_confidence,
      "Lowest face detection confidence, 0-100 (default 60)", "N"},
  {"collections-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_dir,
      "Where collections live (default $MEDIATAG_FACES_DIR or "
        "$XDG_DATA_HOME/mediatag/faces)", "DIR"},
  {"models-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_models,
        "Where the models are (default $MEDIATAG_MODELS_DIR or data/models)",
      "DIR"},
  {NULL}
};

static void
add_box (JsonBuilder * b, const gchar * member, const MtBox * box)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Width");
  json_builder_add_double_value (b, box->width);
  json_builder_set_member_name (b, "Height");
  json_builder_add_double_value (b, box->height);
  json_builder_set_member_name (b, "Left");
  json_builder_add_double_value (b, box->left);
  json_builder_set_member_name (b, "Top");
  json_builder_add_double_value (b, box->top);
  json_builder_end_object (b);
}

static void
add_indexed_face (JsonBuilder * b, const MtIndexedFace * f)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "FaceId");
  json_builder_add_string_value (b, f->face_id);
  add_box (b, "BoundingBox", &f->box);
  json_builder_set_member_name (b, "ImageId");
  json_builder_add_string_value (b, f->image_id);
  if (f->external_id) {
    json_builder_set_member_name (b, "ExternalImageId");
    json_builder_add_string_value (b, f->external_id);
  }
  json_builder_set_member_name (b, "Confidence");
  json_builder_add_double_value (b, f->confidence);
  json_builder_end_object (b);
}

static void
print_json (JsonBuilder * b)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree gchar *text = NULL;

  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

static int
fail (const gchar * what, const GError * error)
{
  fprintf (stderr, "mediatag faces: %s%s%s\n", what, error ? ": " : "",
      error ? error->message : "");
  return 1;
}

/* Rekognition's ImageId is a UUID; ours is derived from the image bytes,
 * so indexing the same file twice names the same image. */
static gchar *
image_id_for (const gchar * path, GError ** error)
{
  g_autofree gchar *data = NULL;
  g_autofree gchar *hex = NULL;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) data, len);
  return g_strdup_printf ("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
      hex + 16, hex + 20);
}

static gint
by_size (gconstpointer a, gconstpointer b)
{
  const MtFace *fa = *(MtFace * const *) a, *fb = *(MtFace * const *) b;
  gdouble sa = fa->box.width * fa->box.height;
  gdouble sb = fb->box.width * fb->box.height;

  return sa < sb ? 1 : sa > sb ? -1 : 0;
}

/* Faces of @path with descriptors, largest first. */
static GPtrArray *
faces_of (MtVisionContext * ctx, const gchar * path, GError ** error)
{
  g_autoptr (MtImage) img = mt_image_load (path, error);
  GPtrArray *faces;

  if (!img)
    return NULL;
  faces = mt_vision_detect_faces (ctx, img, opt_min_confidence, TRUE, error);
  if (faces)
    g_ptr_array_sort (faces, by_size);
  return faces;
}

/* How many faces of an image get indexed under the one external id. */
static guint
faces_to_index (GPtrArray * faces)
{
  guint n = faces->len;

  if (opt_largest_face)
    n = MIN (n, 1);
  if (opt_max_faces > 0)
    n = MIN (n, (guint) opt_max_faces);
  return n;
}

/* An external id usually names one person: an image whose faces would all
 * be stored under it is refused, before anything of the call is indexed,
 * unless --max-faces says how many faces per image are wanted. */
static gboolean
check_one_person (const gchar * path, GPtrArray * faces, GError ** error)
{
  guint n = faces_to_index (faces);

  if (n <= 1 || opt_max_faces > 0)
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
      "%s holds %u faces; all of them would be indexed as \"%s\". Pass "
      "--largest-face to index only the largest, or --max-faces %u to index "
      "them all under that id", path, n, opt_external_id, n);
  return FALSE;
}

static gboolean
index_faces (MtFaceCollection * coll, const gchar * path, GPtrArray * faces,
    JsonBuilder * b, GError ** error)
{
  g_autofree gchar *image_id = image_id_for (path, error);
  guint i, n = faces_to_index (faces);

  if (!image_id)
    return FALSE;
  for (i = 0; i < n; i++) {
    MtFace *face = g_ptr_array_index (faces, i);
    MtIndexedFace rec = { NULL, opt_external_id, image_id, face->box,
      face->confidence, 0
    };

    rec.face_id = mt_face_collection_index (coll, face, opt_external_id,
        image_id, error);
    if (!rec.face_id)
      return FALSE;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "Face");
    add_indexed_face (b, &rec);
    json_builder_end_object (b);
    g_free (rec.face_id);
  }
  return TRUE;
}

/* Every image is looked at before any face is indexed, so a refused or
 * unreadable image leaves the collection as it was. An image without a
 * face is named, and the exit status says not everything was indexed. */
static int
run_index (MtVisionContext * ctx, MtFaceCollection * coll, int argc,
    char **argv)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_ptr_array_unref);
  int i, empty = 0;

  for (i = 0; i < argc; i++) {
    GPtrArray *faces = faces_of (ctx, argv[i], &error);

    if (!faces)
      return fail (argv[i], error);
    g_ptr_array_add (all, faces);
    if (!check_one_person (argv[i], faces, &error)) {
      fprintf (stderr, "mediatag faces: %s\n", error->message);
      return MT_EXIT_USAGE;
    }
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "FaceRecords");
  json_builder_begin_array (b);
  for (i = 0; i < argc; i++) {
    GPtrArray *faces = g_ptr_array_index (all, i);

    if (!index_faces (coll, argv[i], faces, b, &error))
      return fail (argv[i], error);
    if (faces->len == 0) {
      fprintf (stderr, "mediatag faces: no face found in %s; nothing "
          "indexed from it\n", argv[i]);
      empty++;
    }
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  print_json (b);
  return !empty ? MT_EXIT_OK : empty < argc ? MT_EXIT_PARTIAL : MT_EXIT_ERROR;
}

static int
run_list (MtFaceCollection * coll)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) faces = mt_face_collection_list (coll, &error);
  guint i;

  if (!faces)
    return fail ("cannot list the collection", error);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Faces");
  json_builder_begin_array (b);
  for (i = 0; i < faces->len; i++)
    add_indexed_face (b, g_ptr_array_index (faces, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  print_json (b);
  return 0;
}

static void
add_matches (JsonBuilder * b, GPtrArray * matches)
{
  guint i;

  json_builder_set_member_name (b, "FaceMatches");
  json_builder_begin_array (b);
  for (i = 0; i < matches->len; i++) {
    MtFaceMatch *m = g_ptr_array_index (matches, i);

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "Similarity");
    json_builder_add_double_value (b, m->similarity);
    json_builder_set_member_name (b, "Face");
    add_indexed_face (b, &m->face);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

/* As SearchFacesByImage: the largest face of the image is searched. */
static int
run_search (MtVisionContext * ctx, MtFaceCollection * coll, const gchar * path)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) faces = faces_of (ctx, path, &error);
  g_autoptr (GPtrArray) matches = NULL;
  MtFace *face;

  if (!faces)
    return fail (path, error);
  if (faces->len == 0)
    return fail ("no face found in the image to search with", NULL);
  face = g_ptr_array_index (faces, 0);
  matches = mt_face_collection_search (coll, face->descriptor, opt_threshold,
      MAX (opt_max_faces, 0), &error);
  if (!matches)
    return fail ("cannot search the collection", error);
  json_builder_begin_object (b);
  add_box (b, "SearchedFaceBoundingBox", &face->box);
  json_builder_set_member_name (b, "SearchedFaceConfidence");
  json_builder_add_double_value (b, face->confidence);
  add_matches (b, matches);
  json_builder_end_object (b);
  print_json (b);
  return 0;
}

/* As DeleteFaces: prints the ids that were there and are gone. */
static int
run_delete (MtFaceCollection * coll, int argc, char **argv)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) faces = mt_face_collection_list (coll, &error);
  g_autoptr (GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  guint i, missing = 0;

  if (!faces)
    return fail ("cannot read the collection", error);
  for (i = 0; i < faces->len; i++)
    g_hash_table_add (known,
        ((MtIndexedFace *) g_ptr_array_index (faces, i))->face_id);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "DeletedFaces");
  json_builder_begin_array (b);
  for (i = 0; i < (guint) argc; i++) {
    if (!g_hash_table_contains (known, argv[i])) {
      fprintf (stderr, "mediatag faces: %s: no such face in the collection; "
          "nothing deleted for it\n", argv[i]);
      missing++;
      continue;
    }
    if (!mt_face_collection_delete (coll, argv[i], &error))
      return fail ("cannot delete a face", error);
    json_builder_add_string_value (b, argv[i]);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  print_json (b);
  return !missing ? MT_EXIT_OK : missing < (guint) argc ? MT_EXIT_PARTIAL
      : MT_EXIT_ERROR;
}

static int
usage (GOptionContext * oc)
{
  g_autofree gchar *help = g_option_context_get_help (oc, TRUE, NULL);

  fprintf (stderr, "%s", help);
  return 2;
}

static int
dispatch (const gchar * action, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MtVisionContext) ctx = NULL;
  g_autoptr (MtFaceCollection) coll = NULL;
  gboolean indexing = !strcmp (action, "index");

  coll = mt_face_collection_open (opt_dir, argv[0], indexing, &error);
  if (!coll)
    return fail ("cannot open the collection", error);
  if (!strcmp (action, "list"))
    return run_list (coll);
  if (!strcmp (action, "delete"))
    return run_delete (coll, argc - 1, argv + 1);
  ctx = mt_vision_context_new (opt_models, MT_VISION_FACE_DESCRIPTORS, &error);
  if (!ctx)
    return fail ("cannot load the face models", error);
  if (indexing)
    return run_index (ctx, coll, argc - 1, argv + 1);
  return run_search (ctx, coll, argv[1]);
}

static int
run_faces (int argc, char **argv)
{
  g_autoptr (GOptionContext) oc = g_option_context_new ("index COLLECTION "
      "IMAGE... | list COLLECTION | search COLLECTION IMAGE | delete "
      "COLLECTION FACE_ID...");
  g_autoptr (GError) error = NULL;
  const gchar *action;

  g_option_context_set_summary (oc, "Local face collections (offline "
      "IndexFaces, ListFaces, SearchFacesByImage, DeleteFaces); prints "
      "Rekognition's JSON.");
  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error)) {
    fprintf (stderr, "mediatag faces: %s\n", error->message);
    return 2;
  }
  if (argc < 3)
    return usage (oc);
  action = argv[1];
  if (!strcmp (action, "index") && argc >= 4 && opt_external_id)
    return dispatch (action, argc - 2, argv + 2);
  if (!strcmp (action, "list") && argc == 3)
    return dispatch (action, 1, argv + 2);
  if (!strcmp (action, "search") && argc == 4)
    return dispatch (action, 2, argv + 2);
  if (!strcmp (action, "delete") && argc >= 4)
    return dispatch (action, argc - 2, argv + 2);
  return usage (oc);
}

const MtVerb mt_verb_faces = {
  "faces", "index faces into local collections and search them", run_faces
};
