/*
 * console_rate.h - a token bucket for the guest's console output.
 *
 * A guest printing in a loop must not fill the host's disk or starve the
 * daemon reading its log: like a slow serial line, console writes beyond
 * the rate make the writing vCPU wait.  Pure arithmetic on a clock the
 * caller passes, so it is unit-tested without sleeping.
 */
#ifndef AIVISOR_CONSOLE_RATE_H
#define AIVISOR_CONSOLE_RATE_H

#include <stdint.h>

#define CONSOLE_RATE_DEFAULT (4u << 20)  /* bytes per second */
#define CONSOLE_BURST_DEFAULT (1u << 20) /* bytes written at once without waiting */

struct console_rate {
	uint64_t rate;        /* bytes per second; 0 = unlimited */
	uint64_t burst;       /* bucket size in bytes */
	uint64_t tokens;      /* bytes that may go now */
	uint64_t last_ns;     /* time of the last refill */
};

void console_rate_init(struct console_rate *c, uint64_t rate, uint64_t burst, uint64_t now_ns);

/* Takes len bytes from the bucket; returns how long the writer must wait
 * (ns) so that the output keeps to the rate. */
uint64_t console_rate_take(struct console_rate *c, uint64_t len, uint64_t now_ns);

#endif
