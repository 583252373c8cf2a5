/* The one retry policy of mediatag: what is retryable, how long to wait,
 * how many attempts and how much time a call may take, a wait that a
 * GCancellable interrupts, and the adaptive client-side rate limiter.
 *
 * It follows the AWS SDKs' standard retry mode (botocore
 * retries/standard.py): throttling, transient 5xx and network errors are
 * retried, permanent errors never; before retry n the caller waits a random
 * time in [0, min(base * 2^(n-1), max)] (full jitter, base 1 s, max 20 s),
 * stretched to what the server asks with x-amz-retry-after (ms) or
 * Retry-After (seconds or an HTTP date), but never more than 5 s beyond
 * the drawn time, so a bad header cannot stall a pipeline.
 *
 * Throttling is counted apart: it has its own, larger attempt budget, and
 * the rate limiter (the SDKs' adaptive mode, botocore retries/adaptive.py,
 * bucket.py and throttling.py: a token bucket whose rate follows CUBIC,
 * cut to 0.7 of the measured rate at each throttle and recovering along a
 * cubic curve after it) slows every request of the client down, so a
 * throttled service gets fewer requests instead of failed work.
 *
 * Every caller that retries (awsclient, opensearchsink, s3src's resume,
 * credential fetches, the Custom Labels model poller) goes through here;
 * mt_retry_classify() is the only place that decides what is retryable. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* botocore's ExponentialBackoff. */
#define MT_RETRY_BACKOFF_BASE_MS 1000
#define MT_RETRY_BACKOFF_MAX_MS 20000
#define MT_RETRY_AFTER_MAX_EXTRA_MS 5000
/* Throttled attempts allowed per attempt of the ordinary budget. */
#define MT_RETRY_THROTTLE_FACTOR 4

typedef enum {
  MT_RETRY_NEVER,               /* permanent (4xx, auth, bad input), cancelled */
  MT_RETRY_TRANSIENT,           /* 5xx, transient codes, network errors */
  MT_RETRY_THROTTLED,           /* 429, ThrottlingException, SlowDown, ... */
} MtRetryClass;

/* THE decision. G_IO_ERROR transport errors: timeouts, refused, closed,
 * unreachable and unresolved hosts are TRANSIENT; CANCELLED and the rest
 * (TLS, bad URLs) NEVER. MT_AWS_ERROR errors with decoded details: by
 * their service code and HTTP status (mt_retry_classify_answer); without
 * details: by their MtAwsErrorCode (THROTTLED, SERVER, NETWORK). Any other
 * domain: NEVER. */
MtRetryClass mt_retry_classify (const GError * error);
/* The same decision for an answer: a service code (may be NULL) and an
 * HTTP status (0: none). 429 and botocore's throttling codes are
 * THROTTLED; 500, 502, 503, 504 and botocore's transient codes TRANSIENT. */
MtRetryClass mt_retry_classify_answer (guint http_status, const gchar * code);

/* The server's wish in ms from the headers' values (either may be NULL):
 * x-amz-retry-after (ms) wins over Retry-After (seconds, or an HTTP date,
 * as RFC 9110 allows); -1 when neither says anything usable. */
gint64 mt_retry_after_ms (const gchar * x_amz_retry_after,
    const gchar * retry_after);

/* Budgets of one call. */
typedef struct {
  guint max_attempts;           /* attempts counting non-throttle failures (>= 1) */
  guint max_throttled_attempts; /* attempts counting throttles (>= 1) */
  guint base_ms;                /* backoff base */
  guint max_ms;                 /* backoff cap */
  guint64 budget_ms;            /* no retry that would start after this
                                 * much time since the first attempt; 0: none */
} MtRetryPolicy;

/* `retries` retries after the first attempt for transient errors and
 * MT_RETRY_THROTTLE_FACTOR times as many attempts for throttling (none of
 * either when retries is 0: the user asked for no retries), botocore's
 * backoff, no time budget. */
void mt_retry_policy_init (MtRetryPolicy * policy, guint retries);

/* Where one call stands: initialise before the first attempt. */
typedef struct {
  const MtRetryPolicy *policy;
  guint attempts;               /* attempts made (counted by next_delay) */
  guint transient_failures;
  guint throttled_failures;
  gint64 started_us;            /* monotonic */
} MtRetryState;

void mt_retry_state_init (MtRetryState * state, const MtRetryPolicy * policy);

/* After a failed attempt (`cls` from mt_retry_classify): counts it, and
 * returns the ms to wait before the next attempt, or -1 when the call
 * must give up (a permanent error, an attempt budget spent, or the time
 * budget passed). `retry_after_ms` is the server's wish (-1: none). */
gint64 mt_retry_next_delay (MtRetryState * state, MtRetryClass cls,
    gint64 retry_after_ms);

/* Waits `ms`, returning at once (FALSE, G_IO_ERROR_CANCELLED) when
 * `cancellable` is or gets cancelled. */
gboolean mt_retry_wait (guint64 ms, GCancellable * cancellable,
    GError ** error);

/* The adaptive client-side rate limiter (shared, thread-safe,
 * reference-counted). Until the first throttle it lets everything
 * through; from then on, requests take tokens from a bucket filled at the
 * learned rate (at least 0.5 per second). */
typedef struct _MtRateLimiter MtRateLimiter;

MtRateLimiter *mt_rate_limiter_new (void);
/* For tests: a clock in seconds instead of the monotonic one. */
MtRateLimiter *mt_rate_limiter_new_with_clock (gdouble (*now) (gpointer),
    gpointer user_data);
MtRateLimiter *mt_rate_limiter_ref (MtRateLimiter * limiter);
void mt_rate_limiter_unref (MtRateLimiter * limiter);

/* Before each request (each attempt): takes a token, waiting for one if
 * the limiter is enabled. FALSE with G_IO_ERROR_CANCELLED when cancelled. */
gboolean mt_rate_limiter_acquire (MtRateLimiter * limiter,
    GCancellable * cancellable, GError ** error);
/* Waits until a token is there without taking it: for a caller that
 * prepares a request which its client then sends (the analysis base holds
 * back an engine before it encodes an image the client cannot send yet). */
gboolean mt_rate_limiter_wait_ready (MtRateLimiter * limiter,
    GCancellable * cancellable, GError ** error);
/* The limiter's clock, for mt_rate_limiter_update()'s `sent_at`. */
gdouble mt_rate_limiter_now (MtRateLimiter * limiter);
/* After each answer (or transport failure): whether it was a throttle, and
 * when its request was sent (mt_rate_limiter_now() before sending; < 0:
 * unknown). As TCP's CUBIC cuts once per window, a throttle of a request
 * sent before the last cut tells of the old rate and does not cut again:
 * with several requests in flight, one burst of throttles is one cut. */
void mt_rate_limiter_update (MtRateLimiter * limiter, gboolean throttled,
    gdouble sent_at);
/* The send rate it allows, requests per second; 0 while not enabled. */
gdouble mt_rate_limiter_get_rate (MtRateLimiter * limiter);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtRateLimiter, mt_rate_limiter_unref)

/* Evenly spaced request slots for a requests-per-second ceiling (the
 * analysis elements' max-tps): shared, thread-safe, reference-counted.
 * Slots rather than a bucket with bursts: a service quota is per second,
 * and a burst at each second's start is what throttles. */
typedef struct _MtPacer MtPacer;

MtPacer *mt_pacer_new (void);
MtPacer *mt_pacer_ref (MtPacer * pacer);
void mt_pacer_unref (MtPacer * pacer);
/* Takes the next slot at `tps` requests per second (<= 0: none, returns at
 * once) and sleeps until it. FALSE with G_IO_ERROR_CANCELLED when
 * cancelled; the slot is then given back only if nobody took a later one. */
gboolean mt_pacer_wait (MtPacer * pacer, gdouble tps,
    GCancellable * cancellable, GError ** error);

/* Rate groups: the elements of one process that name the same group share
 * one pacer and one adaptive limiter, so that their requests together
 * stay under a max-tps and what one learns of throttling slows all (the
 * AWS quotas are per account and region, not per element). Returns new
 * references to the group's pacer and limiter, made on first use; a
 * group lives as long as the process. */
void mt_rate_group_get (const gchar * name, MtPacer ** pacer,
    MtRateLimiter ** limiter);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MtPacer, mt_pacer_unref)

G_END_DECLS
