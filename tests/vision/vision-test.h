/* Helpers shared by the C tests of libmediatag-vision: where the test
 * photos are, skipping with the command that fetches what is missing, and
 * loading an image that must load. */
#pragma once

#include <glib.h>

#include "vision.h"

/* @vladmandic/face-api's demo photo sample<n>.jpg, fetched by
 * tools/fetch-models --test-media. */
static inline gchar *
face_photo (guint n)
{
  g_autofree gchar *name = g_strdup_printf ("sample%u.jpg", n);

  return g_build_filename (g_getenv ("MEDIATAG_SOURCE_ROOT"), "data",
      "models", "npm", "face-api-1.7.15", "package", "demo", name, NULL);
}

/* FALSE, with the test skipped, when the models did not load. */
static inline gboolean
have_models_in (MtVisionContext * ctx)
{
  if (ctx)
    return TRUE;
  g_test_skip ("the vision models are not installed: run tools/fetch-models");
  return FALSE;
}

/* FALSE, with the test skipped, without the models or the face photos. */
static inline gboolean
have_face_photos_in (MtVisionContext * ctx)
{
  g_autofree gchar *p = face_photo (1);

  if (!have_models_in (ctx))
    return FALSE;
  if (g_file_test (p, G_FILE_TEST_EXISTS))
    return TRUE;
  g_test_skip ("the face test photos are missing: run tools/fetch-models "
      "--test-media");
  return FALSE;
}

static inline MtImage *
load (const gchar * path)
{
  g_autoptr (GError) error = NULL;
  MtImage *img = mt_image_load (path, &error);

  g_assert_no_error (error);
  return img;
}
