/*
 * sched_params.c - parameter defaults, range checks and class names for the
 * slicing policy (shared by the policy, the CLI flags and the daemon).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sched.h"
#include "sched_internal.h"

static const char *const class_names[SCHED_CLASS_COUNT] = {
	[SCHED_CLASS_HIGH] = "high",
	[SCHED_CLASS_NORMAL] = "normal",
	[SCHED_CLASS_LOW] = "low",
};

void sched_why(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (!why || why_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

void sched_params_default(struct sched_params *p)
{
	p->cls = SCHED_CLASS_NORMAL;
	p->weight = SCHED_WEIGHT_DEFAULT;
	p->min_permille = 0;
	p->cap_permille = 0;
}

int sched_params_check(const struct sched_params *p, char *why, size_t why_len)
{
	if ((unsigned)p->cls >= SCHED_CLASS_COUNT) {
		sched_why(why, why_len, "priority class %u is not high, normal or low",
			  (unsigned)p->cls);
		return -EINVAL;
	}
	if (p->weight < SCHED_WEIGHT_MIN || p->weight > SCHED_WEIGHT_MAX) {
		sched_why(why, why_len, "weight %u is outside %u..%u", p->weight,
			  SCHED_WEIGHT_MIN, SCHED_WEIGHT_MAX);
		return -EINVAL;
	}
	if (p->min_permille > 1000) {
		sched_why(why, why_len, "guaranteed minimum %u permille is above 1000",
			  p->min_permille);
		return -EINVAL;
	}
	if (p->cap_permille > 1000) {
		sched_why(why, why_len, "cap %u permille is above 1000", p->cap_permille);
		return -EINVAL;
	}
	if (p->cap_permille && p->min_permille > p->cap_permille) {
		sched_why(why, why_len, "guaranteed minimum %u permille is above the cap %u permille",
			  p->min_permille, p->cap_permille);
		return -EINVAL;
	}
	return 0;
}

int sched_config_check(const struct sched_config *cfg, char *why, size_t why_len)
{
	if (!cfg)
		return 0;
	if (cfg->slice_ns &&
	    (cfg->slice_ns < SCHED_SLICE_NS_MIN || cfg->slice_ns > SCHED_SLICE_NS_MAX)) {
		sched_why(why, why_len, "slice %llu ns is outside %llu..%llu ns (0.5-30 ms)",
			  (unsigned long long)cfg->slice_ns, SCHED_SLICE_NS_MIN,
			  SCHED_SLICE_NS_MAX);
		return -EINVAL;
	}
	if (cfg->latency_chunk_ns &&
	    (cfg->latency_chunk_ns < SCHED_LATENCY_CHUNK_NS_MIN ||
	     cfg->latency_chunk_ns > (cfg->slice_ns ? cfg->slice_ns : SCHED_SLICE_NS_DEFAULT))) {
		sched_why(why, why_len, "latency chunk %llu ns is outside %llu ns..the slice",
			  (unsigned long long)cfg->latency_chunk_ns, SCHED_LATENCY_CHUNK_NS_MIN);
		return -EINVAL;
	}
	/* A lag beyond a few seconds would let an idle tenant monopolise the
	 * device for that long after waking: refuse it rather than surprise. */
	if (cfg->max_lag_ns > SCHED_MAX_LAG_LIMIT_NS) {
		sched_why(why, why_len, "max lag %llu ns is above %llu ns",
			  (unsigned long long)cfg->max_lag_ns, SCHED_MAX_LAG_LIMIT_NS);
		return -EINVAL;
	}
	return 0;
}

int sched_class_parse(const char *s, enum sched_class *cls)
{
	for (unsigned i = 0; i < SCHED_CLASS_COUNT; i++) {
		if (strcmp(s, class_names[i]) == 0) {
			*cls = (enum sched_class)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sched_class_name(enum sched_class cls)
{
	if ((unsigned)cls >= SCHED_CLASS_COUNT)
		return "invalid";
	return class_names[cls];
}
