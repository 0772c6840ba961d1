/* console_rate.c - token bucket for console output (console_rate.h). */
#include "console_rate.h"

void console_rate_init(struct console_rate *c, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
	c->rate = rate;
	c->burst = burst ? burst : 1;
	c->tokens = c->burst;
	c->last_ns = now_ns;
}

uint64_t console_rate_take(struct console_rate *c, uint64_t len, uint64_t now_ns)
{
	if (c->rate == 0)
		return 0;
	if (now_ns > c->last_ns) {
		/* Refill; the division keeps the product from overflowing for
		 * any elapsed time (rate <= 2^32, elapsed capped). */
		uint64_t elapsed = now_ns - c->last_ns;
		if (elapsed > 1000000000ull * 1000)
			elapsed = 1000000000ull * 1000;
		uint64_t add = elapsed / 1000 * c->rate / 1000000;
		c->tokens = c->tokens + add > c->burst ? c->burst : c->tokens + add;
		c->last_ns = now_ns;
	}
	if (len <= c->tokens) {
		c->tokens -= len;
		return 0;
	}
	uint64_t owed = len - c->tokens;
	c->tokens = 0;
	uint64_t wait = owed * 1000000000ull / c->rate;
	/* The wait is paid now: the bucket's clock moves past it. */
	c->last_ns = now_ns + wait;
	return wait;
}
