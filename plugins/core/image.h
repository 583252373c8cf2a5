/* Images for services with a size limit: the one place that decodes an
 * encoded image, encodes raw pixels and scales a picture down until its
 * JPEG fits a byte limit (Rekognition's 5 MB and 4 MB, Textract's 10 MB).
 * Decoding, scaling and encoding use GStreamer's own elements, so every
 * format a sink pad accepts works; nothing here is tied to one service. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* A copy of a buffer's bytes (an encoded image as it is); NULL if it
 * cannot be mapped. */
GBytes *mt_image_buffer_bytes (GstBuffer * buffer);

/* `in` (raw video) converted to `media` ("image/jpeg", "image/png", or
 * "video/x-raw" for RGB), at width x height with square pixels when both
 * are > 0, else at its own size. */
GstSample *mt_image_convert (GstSample * in, const gchar * media, gint width,
    gint height, GstClockTime timeout, GError ** error);

/* An encoded image (image/jpeg, image/png, ... as `caps` say) decoded to
 * raw RGB. The error carries the decoder's own words. */
GstSample *mt_image_decode (GstBuffer * buffer, GstCaps * caps,
    GstClockTime timeout, GError ** error);

/* Raw video `raw` as JPEG of at most `limit` bytes: at its own size when
 * that fits, else scaled down (keeping its aspect) until it does. */
GBytes *mt_image_jpeg_within (GstSample * raw, gsize limit,
    GstClockTime timeout, GError ** error);

G_END_DECLS
