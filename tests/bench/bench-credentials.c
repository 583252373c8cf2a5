/* Benchmark helper (on demand, not a test): resolves credentials through
 * the whole chain N times, each time with a new provider (no cache), and
 * prints the mean time per resolution in microseconds. Built and driven by
 * bench_credentials.py, which sets the environment for each source. */
#include <gst/gst.h>
#include <stdlib.h>

#include "core.h"
#include "credentials.h"

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint) atoi (argv[1]) : 100;
  MtAwsSettings s;
  gint64 start;
  guint i;

  gst_init (&argc, &argv);
  mt_core_init ();
  mt_aws_settings_init (&s);
  start = g_get_monotonic_time ();
  for (i = 0; i < n; i++) {
    g_autoptr (MtCredentialsProvider) p = mt_credentials_provider_new (&s);
    g_autoptr (GError) error = NULL;
    g_autoptr (MtCredentials) c = mt_credentials_provider_get (p, NULL,
        &error);

    if (c == NULL) {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  }
  g_print ("%.1f\n", (gdouble) (g_get_monotonic_time () - start) / n);
  mt_aws_settings_clear (&s);
  return 0;
}
