/* Benchmark of the local vision engines on 1280x720 frames, run on
 * demand (not a test): per-engine median time per frame, and the text
 * engine against the tesseract command on the same images.
 *
 *   build/tests/vision/bench-vision [RUNS]
 *
 * Frames: a face-api group photo and a darknet photo scaled to 1280x720, a
 * sign and a text page rendered with ImageMagick. Timings depend on the
 * machine's load: say so when quoting them. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
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

/* Median ms of @runs calls after one warm-up. */
static gdouble
time_engine (MtVisionContext * ctx, const MtImage * img, Run run, guint runs)
{
  g_autofree gdouble *ms = g_new (gdouble, runs);
  guint i;

  if (!run (ctx, img))
    g_error ("engine failed");
  for (i = 0; i < runs; i++) {
    gint64 t0 = g_get_monotonic_time ();

    run (ctx, img);
    ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
  }
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

  ctx = mt_vision_context_new (NULL, MT_VISION_FACE_DESCRIPTORS
      | MT_VISION_LABELS | MT_VISION_TEXT, &error);
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
    printf ("  faces (BlazeFace), group photo      %8.1f\n",
        time_engine (ctx, g, run_faces, runs));
    printf ("  faces + FaceRes (5 faces)           %8.1f\n",
        time_engine (ctx, g, run_faces_described, runs));
    printf ("  labels (CenterNet), darknet dog     %8.1f\n",
        time_engine (ctx, s, run_labels, runs));
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
