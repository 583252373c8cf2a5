/* Benchmark of the local vision engines on 1280x720 frames, run on
 * demand (not a test): per-engine median time per frame (with the added
 * cost per face of age, gender and emotions, and per frame of
 * moderation), and the text engine against the tesseract command on the
 * same images.
 *
 *   build/tests/vision/bench-vision [RUNS]
 *
 * Frames: a face-api group photo and a darknet photo scaled to 1280x720, a
 * sign and a text page rendered with ImageMagick. Timings depend on the
 * machine's load: say so when quoting them. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "vision.h"

typedef gboolean (*Run) (MtVisionContext * ctx, const MtImage * img);

static gboolean
run_faces (MtVisionContext * ctx, const MtImage * img)
{
  g_autoptr (GPtrArray) r = mt_vision_detect_faces (ctx, img, 60, FALSE, NULL);
  return r != NULL;
}

static gboolean
run_faces_described (MtVisionContext * ctx, const MtImage * img)
{
  g_autoptr (GPtrArray) r = mt_vision_detect_faces (ctx, img, 60, TRUE, NULL);
  return r != NULL;
}

/* What rekognitionsink's faces feature runs: detection, FaceRes (age,
 * gender) and the emotion network on every face. */
static gboolean
run_faces_attributes (MtVisionContext * ctx, const MtImage * img)
{
  g_autoptr (GPtrArray) r = mt_vision_detect_faces (ctx, img, 60, TRUE, NULL);
  guint i;

  for (i = 0; r && i < r->len; i++)
    if (!mt_vision_face_emotions (ctx, img, g_ptr_array_index (r, i), NULL))
      return FALSE;
  return r != NULL;
}

/* The emotion network alone, on faces found once beforehand. */
static GPtrArray *found_faces;

static gboolean
run_emotions (MtVisionContext * ctx, const MtImage * img)
{
  guint i;

  for (i = 0; i < found_faces->len; i++)
    if (!mt_vision_face_emotions (ctx, img, g_ptr_array_index (found_faces,
                i), NULL))
      return FALSE;
  return TRUE;
}

static gboolean
run_moderation (MtVisionContext * ctx, const MtImage * img)
{
  g_autoptr (GArray) r = mt_vision_detect_moderation (ctx, img, 0, NULL,
      NULL);
  return r != NULL;
}


static gboolean
run_labels (MtVisionContext * ctx, const MtImage * img)
{
  g_autoptr (GPtrArray) r = mt_vision_detect_labels (ctx, img, 40, NULL);
  return r != NULL;
}

static gboolean
run_text (MtVisionContext * ctx, const MtImage * img)
{
  g_autoptr (GPtrArray) r = mt_vision_detect_text (ctx, img,
      MT_TEXT_MODE_AUTO, MT_TEXT_ROI_ALL, 0, NULL);
  return r != NULL;
}

static gint
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
median (gdouble * v, guint n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return v[n / 2];
}

/* CPU time of the process in ms (every thread: OpenCV's too). On a
 * machine shared with other work this is the fairer measure. */
static gdouble
cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Median CPU ms of the last time_engine() call. */
static gdouble last_cpu;

/* Median wall ms of @runs calls after one warm-up (last_cpu: CPU ms). */
static gdouble
time_engine (MtVisionContext * ctx, const MtImage * img, Run run, guint runs)
{
  g_autofree gdouble *ms = g_new (gdouble, runs);
  g_autofree gdouble *cpu = g_new (gdouble, runs);
  guint i;

  if (!run (ctx, img))
    g_error ("engine failed");
  for (i = 0; i < runs; i++) {
    gint64 t0 = g_get_monotonic_time ();
    gdouble c0 = cpu_ms ();

    run (ctx, img);
    ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
    cpu[i] = cpu_ms () - c0;
  }
  last_cpu = median (cpu, runs);
  return median (ms, runs);
}

static gdouble
time_command (const gchar * const *argv, guint runs)
{
  g_autofree gdouble *ms = g_new (gdouble, runs);
  guint i;

  for (i = 0; i < runs; i++) {
    gint64 t0 = g_get_monotonic_time ();
    gint status;

    if (!g_spawn_sync (NULL, (gchar **) argv, NULL,
            G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
            NULL, NULL, NULL, &status, NULL) || status != 0)
      g_error ("%s failed", argv[0]);
    ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
  }
  return median (ms, runs);
}

static void
run_or_die (const gchar * const *argv)
{
  gint status;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
          NULL, NULL, NULL, NULL, &status, NULL) || status != 0)
    g_error ("%s failed", argv[0]);
}

static MtImage *
load (const gchar * path)
{
  g_autoptr (GError) error = NULL;
  MtImage *img = mt_image_load (path, &error);

  if (!img)
    g_error ("%s", error->message);
  return img;
}

static gchar *
scaled (const gchar * dir, const gchar * src, const gchar * name)
{
  gchar *out = g_build_filename (dir, name, NULL);
  const gchar *const argv[] = { "/usr/bin/convert", src, "-resize",
    "1280x720!", out, NULL
  };

  run_or_die (argv);
  return out;
}

int
main (int argc, char **argv)
{
  guint runs = argc > 1 ? (guint) atoi (argv[1]) : 5;
  g_autoptr (GError) error = NULL;
  g_autoptr (MtVisionContext) ctx = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("bench-vision-XXXXXX", NULL);
  g_autofree gchar *group = NULL, *street = NULL;
  g_autofree gchar *sign = g_build_filename (dir, "sign.png", NULL);
  g_autofree gchar *page = g_build_filename (dir, "page.png", NULL);
  g_autofree gchar *photo = g_build_filename (g_getenv ("MEDIATAG_SOURCE_ROOT")
      ? g_getenv ("MEDIATAG_SOURCE_ROOT") : ".", "data", "models", "npm",
      "face-api-1.7.15", "package", "demo", "sample5.jpg", NULL);
  const gchar *const sign_argv[] = { "/usr/bin/convert", "-size", "1280x720",
    "xc:#3a5f3a", "-fill", "white", "-draw", "rectangle 300,200 980,420",
    "-fill", "black", "-font", "DejaVu-Sans-Bold", "-pointsize", "72",
    "-draw", "text 360,290 'MAIN STREET'", "-pointsize", "48", "-draw",
    "text 420,380 'Exit 42 Downtown'", sign, NULL
  };
  const gchar *const page_argv[] = { "/usr/bin/convert", "-size", "1280x720",
    "xc:white", "-fill", "black", "-font", "DejaVu-Serif", "-pointsize", "22",
    "-annotate", "+60+80", "Quarterly report: revenue grew by twelve percent "
        "in the third quarter,\ndriven by demand for cloud services and new "
        "customers in Europe\nand Asia. Operating costs fell slightly while "
        "headcount remained\nstable. The board approved a dividend of forty "
        "cents per share\nand a new buyback programme worth two hundred "
        "million. Outlook\nfor the next year remains positive overall, the "
        "report says,\nwith risks from currency moves and supply chains "
        "noted.\nQuestions go to the investor relations team by email.",
    page, NULL
  };
  gdouble t_sign, t_page, cli_sign, cli_page;
  gdouble t_faces, t_described, t_attributes, t_emotions, t_mod, t_labels;
  gdouble c_faces, c_described, c_attributes, c_emotions, c_mod;
  guint n_faces;

  ctx = mt_vision_context_new (NULL, MT_VISION_FACE_DESCRIPTORS
      | MT_VISION_FACE_EMOTIONS | MT_VISION_MODERATION | MT_VISION_LABELS
      | MT_VISION_TEXT, &error);
  if (!ctx)
    g_error ("%s", error->message);
  group = scaled (dir, photo, "group.png");
  street = scaled (dir, "/usr/share/darknet/data/dog.jpg", "street.png");
  run_or_die (sign_argv);
  run_or_die (page_argv);

  {
    g_autoptr (MtImage) g = load (group), s = load (street), sg = load (sign),
        pg = load (page);

    printf ("local vision engines, 1280x720 frames, median of %u runs "
        "(ms per frame; machine shared with other work, figures vary):\n",
        runs);
    found_faces = mt_vision_detect_faces (ctx, g, 60, FALSE, NULL);
    n_faces = MAX (found_faces->len, 1);
    t_faces = time_engine (ctx, g, run_faces, runs);
    c_faces = last_cpu;
    t_described = time_engine (ctx, g, run_faces_described, runs);
    c_described = last_cpu;
    t_attributes = time_engine (ctx, g, run_faces_attributes, runs);
    c_attributes = last_cpu;
    t_emotions = time_engine (ctx, g, run_emotions, runs);
    c_emotions = last_cpu;
    printf ("%-44s %8s %8s\n", "", "wall", "CPU");
    printf ("  %-42s %8.1f %8.1f\n", "faces (BlazeFace), group photo", t_faces,
        c_faces);
    printf ("  %-42s %8.1f %8.1f\n", "faces + FaceRes (search: descriptors)",
        t_described, c_described);
    printf ("  %-42s %8.1f %8.1f\n", "faces feature: + age, gender, emotions",
        t_attributes, c_attributes);
    printf ("    added per face over detection (%u faces) %8.1f %8.1f\n",
        n_faces, (t_attributes - t_faces) / n_faces,
        (c_attributes - c_faces) / n_faces);
    printf ("    emotion network alone, per face          %8.1f %8.1f\n",
        t_emotions / n_faces, c_emotions / n_faces);
    t_mod = time_engine (ctx, g, run_moderation, runs);
    c_mod = last_cpu;
    printf ("  %-42s %8.1f %8.1f\n", "moderation (nsfwjs, image + mirror)",
        t_mod, c_mod);
    t_labels = time_engine (ctx, s, run_labels, runs);
    printf ("  %-42s %8.1f %8.1f\n", "labels (CenterNet), darknet dog",
        t_labels, last_cpu);
    printf ("  moderation per frame against labels: %.2f of CenterNet's CPU "
        "time\n", c_mod / last_cpu);
    g_clear_pointer (&found_faces, g_ptr_array_unref);
    t_sign = time_engine (ctx, sg, run_text, runs);
    t_page = time_engine (ctx, pg, run_text, runs);
  }
  {
    const gchar *const cli1[] =
        { "/usr/bin/tesseract", sign, "-", "--dpi", "300",
      NULL
    };
    const gchar *const cli2[] =
        { "/usr/bin/tesseract", page, "-", "--dpi", "300",
      NULL
    };

    cli_sign = time_command (cli1, runs);
    cli_page = time_command (cli2, runs);
  }
  printf ("  text, sign (PP-OCR det + crops)     %8.1f   tesseract CLI %8.1f"
      "   ratio %.2f\n", t_sign, cli_sign, t_sign / cli_sign);
  printf ("  text, page (det + whole frame)      %8.1f   tesseract CLI %8.1f"
      "   ratio %.2f\n", t_page, cli_page, t_page / cli_page);
  printf ("(the CLI times include process start and model load, ~0.1 s; "
      "the CLI reads the whole frame only, which misses scene text)\n");

  g_remove (group);
  g_remove (street);
  g_remove (sign);
  g_remove (page);
  g_rmdir (dir);
  return 0;
}
