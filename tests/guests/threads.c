/* threads: POSIX threads on the VM's vCPUs.  argv[1] threads each sum a
 * slice of an array and bump a mutex-protected counter; a condition
 * variable releases them together; each checks its thread-local storage;
 * results come back through pthread_join; all of it twice, so the second
 * round runs on vCPUs the first round's threads left; then a timed
 * condition wait must time out.  Prints "threads ok N" or, when
 * the VM has too few vCPUs, "pthread_create: <error>" (exit 3).
 * argv[2] "spin": the threads spin forever (for --timeout);
 * argv[2] "exit42": one thread calls exit(42) while the others wait on a
 * condition variable that is never signalled. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX 16
#define N (1 << 20)
#define BUMPS 20000

static uint32_t data[N];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER;
static int go, ready, counter;
static __thread uintptr_t tls_id;

struct job {
	int id, n;
	uint64_t sum;
};

static void *spin(void *arg)
{
	(void)arg;
	for (volatile unsigned long i = 0;; i++)
		;
	return NULL;
}

static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *wait_forever(void *arg)
{
	pthread_mutex_lock(&mu);
	if (arg)
		exit(42); /* exit_group from a thread while the others block */
	for (;;)
		pthread_cond_wait(&never, &mu);
	return NULL;
}

static int special(int n, const char *mode)
{
	pthread_t t;
	for (int i = 0; i < n; i++) {
		void *(*fn)(void *) = strcmp(mode, "spin") == 0 ? spin : wait_forever;
		int e = pthread_create(&t, NULL, fn, NULL);
		if (e) {
			printf("pthread_create: %s\n", strerror(e));
			return 3;
		}
	}
	printf("%s: %d threads started\n", mode, n);
	fflush(stdout);
	if (strcmp(mode, "exit42") == 0) {
		usleep(20000); /* let them block in futex waits */
		int e = pthread_create(&t, NULL, wait_forever, &mu);
		if (e) {
			printf("pthread_create: %s\n", strerror(e));
			return 3;
		}
	}
	pthread_join(t, NULL);
	return 1;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	tls_id = (uintptr_t)j->id;
	pthread_mutex_lock(&mu);
	ready++;
	while (!go)
		pthread_cond_wait(&go_cond, &mu);
	pthread_mutex_unlock(&mu);
	for (size_t i = (size_t)j->id; i < N; i += (size_t)j->n)
		j->sum += data[i];
	for (int i = 0; i < BUMPS; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
		if (i % 1000 == 0)
			sched_yield();
	}
	return tls_id == (uintptr_t)j->id ? j : NULL;
}

/* One round: n workers, released together, joined; 0 when all is right. */
static int run_round(int n, uint64_t want)
{
	pthread_t t[MAX];
	struct job jobs[MAX];
	go = ready = counter = 0;
	for (int i = 0; i < n; i++) {
		jobs[i] = (struct job){ .id = i, .n = n };
		int e = pthread_create(&t[i], NULL, worker, &jobs[i]);
		if (e) {
			printf("pthread_create: %s\n", strerror(e));
			return 3;
		}
	}
	for (;;) { /* all waiting on the condition variable, then broadcast */
		pthread_mutex_lock(&mu);
		int r = ready;
		if (r == n) {
			go = 1;
			pthread_cond_broadcast(&go_cond);
		}
		pthread_mutex_unlock(&mu);
		if (r == n)
			break;
		usleep(1000);
	}
	uint64_t got = 0;
	for (int i = 0; i < n; i++) {
		void *res;
		pthread_join(t[i], &res);
		if (res != &jobs[i]) {
			printf("thread %d: wrong thread-local storage\n", i);
			return 1;
		}
		got += jobs[i].sum;
	}
	if (got != want || counter != n * BUMPS) {
		printf("threads WRONG: sum %llu want %llu, counter %d want %d\n", (unsigned long long)got,
		       (unsigned long long)want, counter, n * BUMPS);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	if (n < 1 || n > MAX)
		return 2;
	if (argc > 2)
		return special(n, argv[2]);
	uint64_t want = 0;
	for (size_t i = 0; i < N; i++)
		want += data[i] = (uint32_t)(i * 2654435761u >> 7);
	/* Two rounds: the second runs on vCPUs the first round's threads left. */
	for (int round = 0; round < 2; round++) {
		int r = run_round(n, want);
		if (r)
			return r;
	}
	/* A timed futex wait that nobody wakes: ETIMEDOUT after ~30 ms. */
	struct timespec t0, dl, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += 30000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&mu);
	int e = pthread_cond_timedwait(&never, &mu, &dl);
	pthread_mutex_unlock(&mu);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (e != ETIMEDOUT || ms < 29 || ms > 2000) {
		printf("timed wait WRONG: %s after %ld ms\n", strerror(e), ms);
		return 1;
	}
	printf("threads ok %d\n", n);
	return 0;
}
