/* The retry policy of retry.h: classification, backoff, budgets, the
 * cancellable wait, and the adaptive rate limiter (botocore's adaptive
 * mode: RateClocker, TokenBucket and CubicCalculator, same constants). */
#include "retry.h"
#include "awserror.h"
#include "core.h"

#include <curl/curl.h>
#include <math.h>

#define GST_CAT_DEFAULT mt_core_debug

/* botocore ThrottledRetryableChecker._THROTTLED_ERROR_CODES. */
static const gchar *const throttling_codes[] = {
  "Throttling", "ThrottlingException", "ThrottledException",
  "RequestThrottledException", "TooManyRequestsException",
  "ProvisionedThroughputExceededException", "TransactionInProgressException",
  "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException",
  "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
  "EC2ThrottledException", NULL
};

/* botocore TransientRetryableChecker._TRANSIENT_ERROR_CODES, plus the
 * server-side failures S3 and the JSON services name in 200/500 bodies,
 * and STS's IDPCommunicationError (botocore retries/special.py). */
static const gchar *const transient_codes[] = {
  "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
  "InternalError", "InternalFailure", "ServiceUnavailable",
  "IDPCommunicationError", NULL
};

MtRetryClass
mt_retry_classify_answer (guint http_status, const gchar * code)
{
  if (http_status == 429 || (code && g_strv_contains (throttling_codes, code)))
    return MT_RETRY_THROTTLED;
  if (http_status == 500 || http_status == 502 || http_status == 503
      || http_status == 504 || (code && g_strv_contains (transient_codes,
              code)))
    return MT_RETRY_TRANSIENT;
  return MT_RETRY_NEVER;
}

/* botocore retries every ConnectionError: resets, refusals, DNS failures
 * and timeouts all may pass. TLS verification failures and malformed URLs
 * will not heal, and a cancelled request must not be sent again. */
static MtRetryClass
classify_transport (const GError * error)
{
  switch (error->code) {
    case G_IO_ERROR_TIMED_OUT:
    case G_IO_ERROR_CONNECTION_REFUSED:
    case G_IO_ERROR_CONNECTION_CLOSED:
    case G_IO_ERROR_HOST_NOT_FOUND:
    case G_IO_ERROR_HOST_UNREACHABLE:
    case G_IO_ERROR_NETWORK_UNREACHABLE:
      return MT_RETRY_TRANSIENT;
    default:
      return MT_RETRY_NEVER;
  }
}

MtRetryClass
mt_retry_classify (const GError * error)
{
  const MtAwsErrorDetails *d;

  if (error == NULL)
    return MT_RETRY_NEVER;
  if (error->domain == G_IO_ERROR)
    return classify_transport (error);
  if (error->domain != MT_AWS_ERROR)
    return MT_RETRY_NEVER;
  d = mt_aws_error_get_details (error);
  if (d != NULL && d->http_status > 0)
    return mt_retry_classify_answer (d->http_status, d->code);
  switch (error->code) {
    case MT_AWS_ERROR_THROTTLED:
      return MT_RETRY_THROTTLED;
    case MT_AWS_ERROR_SERVER:
      return MT_RETRY_TRANSIENT;
    case MT_AWS_ERROR_NETWORK:
      /* A transport error wrapped by mt_aws_error_from_transport(). */
      return d != NULL && !d->retryable ? MT_RETRY_NEVER : MT_RETRY_TRANSIENT;
    default:
      return MT_RETRY_NEVER;
  }
}

gint64
mt_retry_after_ms (const gchar * x_amz_retry_after, const gchar * retry_after)
{
  guint64 n;
  time_t when;

  if (x_amz_retry_after != NULL && g_ascii_string_to_unsigned
      (x_amz_retry_after, 10, 0, G_MAXINT32, &n, NULL))
    return (gint64) n;
  if (retry_after == NULL)
    return -1;
  if (g_ascii_string_to_unsigned (retry_after, 10, 0, G_MAXUINT32, &n, NULL))
    return (gint64) MIN (n, 3600) * 1000;
  when = curl_getdate (retry_after, NULL);
  if (when == -1)
    return -1;
  return MAX (0, ((gint64) when - g_get_real_time () / G_USEC_PER_SEC) * 1000);
}

/* --- budgets and backoff --- */

void
mt_retry_policy_init (MtRetryPolicy * policy, guint retries)
{
  policy->max_attempts = retries + 1;
  policy->max_throttled_attempts = retries == 0 ? 1 :
      (retries + 1) * MT_RETRY_THROTTLE_FACTOR;
  policy->base_ms = MT_RETRY_BACKOFF_BASE_MS;
  policy->max_ms = MT_RETRY_BACKOFF_MAX_MS;
  policy->budget_ms = 0;
}

void
mt_retry_state_init (MtRetryState * state, const MtRetryPolicy * policy)
{
  state->policy = policy;
  state->attempts = 0;
  state->transient_failures = 0;
  state->throttled_failures = 0;
  state->started_us = g_get_monotonic_time ();
}

/* Full jitter over the exponential window of retry n (1-based). */
static guint64
backoff_ms (const MtRetryPolicy * p, guint n)
{
  gdouble window = MIN ((gdouble) p->base_ms * ldexp (1.0, MIN (n - 1, 30u)),
      (gdouble) p->max_ms);

  return (guint64) (g_random_double () * window);
}

gint64
mt_retry_next_delay (MtRetryState * state, MtRetryClass cls,
    gint64 retry_after_ms)
{
  const MtRetryPolicy *p = state->policy;
  guint64 delay;
  gint64 elapsed_ms;

  state->attempts++;
  if (cls == MT_RETRY_NEVER)
    return -1;
  if (cls == MT_RETRY_THROTTLED) {
    if (++state->throttled_failures >= p->max_throttled_attempts)
      return -1;
  } else if (++state->transient_failures >= p->max_attempts) {
    return -1;
  }
  delay = backoff_ms (p, state->attempts);
  /* Honour the server, within botocore's bound. */
  if (retry_after_ms >= 0)
    delay = MAX (delay, MIN ((guint64) retry_after_ms,
            delay + MT_RETRY_AFTER_MAX_EXTRA_MS));
  elapsed_ms = (g_get_monotonic_time () - state->started_us) / 1000;
  if (p->budget_ms > 0 && (guint64) elapsed_ms + delay > p->budget_ms)
    return -1;
  return (gint64) delay;
}

/* --- the cancellable wait --- */

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean cancelled;
} WaitState;

static void
wait_cancelled_cb (GCancellable * cancellable, WaitState * st)
{
  g_mutex_lock (&st->lock);
  st->cancelled = TRUE;
  g_cond_signal (&st->cond);
  g_mutex_unlock (&st->lock);
}

gboolean
mt_retry_wait (guint64 ms, GCancellable * cancellable, GError ** error)
{
  WaitState st = { 0, };
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;
  gulong id = 0;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  g_mutex_init (&st.lock);
  g_cond_init (&st.cond);
  /* Connected outside the lock: an already cancelled cancellable runs the
   * callback right here. */
  if (cancellable)
    id = g_cancellable_connect (cancellable, G_CALLBACK (wait_cancelled_cb),
        &st, NULL);
  g_mutex_lock (&st.lock);
  while (!st.cancelled && g_cond_wait_until (&st.cond, &st.lock, deadline));
  g_mutex_unlock (&st.lock);
  if (id)
    g_cancellable_disconnect (cancellable, id);
  g_cond_clear (&st.cond);
  g_mutex_clear (&st.lock);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* --- the adaptive rate limiter --- */

/* botocore: TokenBucket._MIN_RATE, CubicCalculator's constants,
 * RateClocker's smoothing and bucket, ClientRateLimiter's scale. */
#define MIN_RATE 0.5
#define CUBIC_SCALE 0.4
#define CUBIC_BETA 0.7
#define CLOCK_SMOOTHING 0.8
#define CLOCK_BUCKET_S 0.5
#define MAX_RATE_ADJUST_SCALE 2.0

struct _MtRateLimiter
{
  gint refcount;
  gdouble (*now) (gpointer);
  gpointer now_data;

  GMutex lock;                  /* guards everything below */
  GCond refilled;               /* the rate changed or a waiter gave up */
  gboolean enabled;             /* a throttle was seen */
  /* token bucket */
  gdouble fill_rate;
  gdouble max_capacity;
  gdouble capacity;
  gdouble last_refill;          /* < 0: never */
  /* measured send rate */
  gdouble measured_rate;
  gdouble last_bucket;
  guint count;
  /* CUBIC */
  gdouble w_max;
  gdouble k;
  gdouble last_fail;
};

static gdouble
monotonic_seconds (gpointer unused)
{
  return g_get_monotonic_time () / (gdouble) G_USEC_PER_SEC;
}

static void
bucket_refill (MtRateLimiter * l, gdouble t)
{
  if (l->last_refill < 0) {
    l->last_refill = t;
    return;
  }
  l->capacity = MIN (l->max_capacity, l->capacity +
      (t - l->last_refill) * l->fill_rate);
  l->last_refill = t;
}

static void
bucket_set_max_rate (MtRateLimiter * l, gdouble rate, gdouble t)
{
  bucket_refill (l, t);
  l->fill_rate = MAX (rate, MIN_RATE);
  l->max_capacity = MAX (rate, 1.0);
  l->capacity = MIN (l->capacity, l->max_capacity);
  g_cond_broadcast (&l->refilled);
}

static gdouble
cubic_zero_point (gdouble w_max)
{
  return cbrt (w_max * (1 - CUBIC_BETA) / CUBIC_SCALE);
}

MtRateLimiter *
mt_rate_limiter_new_with_clock (gdouble (*now) (gpointer), gpointer user_data)
{
  MtRateLimiter *l = g_new0 (MtRateLimiter, 1);

  l->refcount = 1;
  l->now = now;
  l->now_data = user_data;
  g_mutex_init (&l->lock);
  g_cond_init (&l->refilled);
  l->last_refill = -1;
  l->fill_rate = MAX (1.0, MIN_RATE);
  l->max_capacity = 1.0;
  l->last_bucket = floor (now (user_data));
  l->w_max = 0;
  l->k = cubic_zero_point (0);
  l->last_fail = now (user_data);
  return l;
}

MtRateLimiter *
mt_rate_limiter_new (void)
{
  return mt_rate_limiter_new_with_clock (monotonic_seconds, NULL);
}

MtRateLimiter *
mt_rate_limiter_ref (MtRateLimiter * limiter)
{
  g_atomic_int_inc (&limiter->refcount);
  return limiter;
}

void
mt_rate_limiter_unref (MtRateLimiter * limiter)
{
  if (limiter == NULL || !g_atomic_int_dec_and_test (&limiter->refcount))
    return;
  g_mutex_clear (&limiter->lock);
  g_cond_clear (&limiter->refilled);
  g_free (limiter);
}

static void
limiter_cancelled_cb (GCancellable * cancellable, MtRateLimiter * l)
{
  g_mutex_lock (&l->lock);
  g_cond_broadcast (&l->refilled);
  g_mutex_unlock (&l->lock);
}

/* Waits under the lock until a token is there; takes it when `take`. */
static gboolean
limiter_wait (MtRateLimiter * l, gboolean take, GCancellable * cancellable,
    GError ** error)
{
  gulong id = 0;
  gboolean cancelled = FALSE;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (cancellable)
    id = g_cancellable_connect (cancellable,
        G_CALLBACK (limiter_cancelled_cb), l, NULL);
  g_mutex_lock (&l->lock);
  while (l->enabled) {
    gdouble missing;

    bucket_refill (l, l->now (l->now_data));
    if (l->capacity >= 1.0 ||
        (cancelled = g_cancellable_is_cancelled (cancellable)))
      break;
    missing = (1.0 - l->capacity) / l->fill_rate;
    g_cond_wait_until (&l->refilled, &l->lock, g_get_monotonic_time () +
        (gint64) (missing * G_USEC_PER_SEC) + 1);
  }
  if (l->enabled && !cancelled && take)
    l->capacity -= 1.0;
  g_mutex_unlock (&l->lock);
  if (id)
    g_cancellable_disconnect (cancellable, id);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

gboolean
mt_rate_limiter_acquire (MtRateLimiter * limiter, GCancellable * cancellable,
    GError ** error)
{
  return limiter_wait (limiter, TRUE, cancellable, error);
}

gboolean
mt_rate_limiter_wait_ready (MtRateLimiter * limiter,
    GCancellable * cancellable, GError ** error)
{
  return limiter_wait (limiter, FALSE, cancellable, error);
}

/* RateClocker.record(): the smoothed rate of answers, per half second. */
static gdouble
measure (MtRateLimiter * l, gdouble t)
{
  gdouble bucket = floor (t / CLOCK_BUCKET_S) * CLOCK_BUCKET_S;

  l->count++;
  if (bucket > l->last_bucket) {
    gdouble current = l->count / (bucket - l->last_bucket);

    l->measured_rate = current * CLOCK_SMOOTHING +
        l->measured_rate * (1 - CLOCK_SMOOTHING);
    l->count = 0;
    l->last_bucket = bucket;
  }
  return l->measured_rate;
}

gdouble
mt_rate_limiter_now (MtRateLimiter * limiter)
{
  return limiter->now (limiter->now_data);
}

void
mt_rate_limiter_update (MtRateLimiter * limiter, gboolean throttled,
    gdouble sent_at)
{
  MtRateLimiter *l = limiter;
  gdouble t, measured, new_rate;

  g_mutex_lock (&l->lock);
  t = l->now (l->now_data);
  measured = measure (l, t);
  if (throttled && l->enabled && sent_at >= 0 && sent_at < l->last_fail)
    throttled = FALSE;
  if (!throttled) {
    new_rate = CUBIC_SCALE * pow (t - l->last_fail - l->k, 3) + l->w_max;
  } else {
    gdouble rate = l->enabled ? MIN (measured, l->fill_rate) : measured;

    l->w_max = rate;
    l->k = cubic_zero_point (rate);
    l->last_fail = t;
    new_rate = rate * CUBIC_BETA;
    l->enabled = TRUE;
    GST_DEBUG ("throttled: send rate %.2f/s (measured %.2f/s)", new_rate,
        measured);
  }
  if (l->enabled)
    bucket_set_max_rate (l, MIN (new_rate, MAX_RATE_ADJUST_SCALE * measured),
        t);
  g_mutex_unlock (&l->lock);
}

gdouble
mt_rate_limiter_get_rate (MtRateLimiter * limiter)
{
  gdouble rate;

  g_mutex_lock (&limiter->lock);
  rate = limiter->enabled ? limiter->fill_rate : 0;
  g_mutex_unlock (&limiter->lock);
  return rate;
}

/* --- the pacer and rate groups --- */

/* In a GAtomicRcBox. */
struct _MtPacer
{
  GMutex lock;
  gint64 next_slot_us;          /* monotonic: the earliest free slot */
};

MtPacer *
mt_pacer_new (void)
{
  MtPacer *p = g_atomic_rc_box_new0 (MtPacer);

  g_mutex_init (&p->lock);
  return p;
}

MtPacer *
mt_pacer_ref (MtPacer * pacer)
{
  return g_atomic_rc_box_acquire (pacer);
}

static void
pacer_clear (MtPacer * pacer)
{
  g_mutex_clear (&pacer->lock);
}

void
mt_pacer_unref (MtPacer * pacer)
{
  if (pacer)
    g_atomic_rc_box_release_full (pacer, (GDestroyNotify) pacer_clear);
}

gboolean
mt_pacer_wait (MtPacer * pacer, gdouble tps, GCancellable * cancellable,
    GError ** error)
{
  gint64 now, slot, step;

  if (tps <= 0)
    return !g_cancellable_set_error_if_cancelled (cancellable, error);
  step = (gint64) (G_USEC_PER_SEC / tps);
  g_mutex_lock (&pacer->lock);
  now = g_get_monotonic_time ();
  slot = MAX (now, pacer->next_slot_us);
  pacer->next_slot_us = slot + step;
  g_mutex_unlock (&pacer->lock);
  if (slot <= now)
    return !g_cancellable_set_error_if_cancelled (cancellable, error);
  if (mt_retry_wait ((guint64) (slot - now + 999) / 1000, cancellable, error))
    return TRUE;
  /* Cancelled: a slot nobody queued behind goes back. */
  g_mutex_lock (&pacer->lock);
  if (pacer->next_slot_us == slot + step)
    pacer->next_slot_us = slot;
  g_mutex_unlock (&pacer->lock);
  return FALSE;
}

typedef struct
{
  MtPacer *pacer;
  MtRateLimiter *limiter;
} RateGroup;

void
mt_rate_group_get (const gchar * name, MtPacer ** pacer,
    MtRateLimiter ** limiter)
{
  static GMutex lock;
  static GHashTable *groups;    /* name -> RateGroup, for the process */
  RateGroup *g;

  g_mutex_lock (&lock);
  if (groups == NULL)
    groups = g_hash_table_new (g_str_hash, g_str_equal);
  g = g_hash_table_lookup (groups, name);
  if (g == NULL) {
    g = g_new0 (RateGroup, 1);
    g->pacer = mt_pacer_new ();
    g->limiter = mt_rate_limiter_new ();
    g_hash_table_insert (groups, g_strdup (name), g);
  }
  if (pacer)
    *pacer = mt_pacer_ref (g->pacer);
  if (limiter)
    *limiter = mt_rate_limiter_ref (g->limiter);
  g_mutex_unlock (&lock);
}
