/*
 * aivisord - the aivisor host daemon (docs/DAEMON.md).
 *
 * Runs in the foreground (a service manager or `aivisor daemon` starts
 * it). SIGTERM/SIGINT stop the daemon but leave tenant VMs running: a
 * daemon upgrade or crash must not take tenants down, and the next daemon
 * re-attaches to them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "log.h"
#include "lv_endpoint.h"
#include "lv_registry.h"
#include "metrics.h"
#include "qemu_domain.h"
#include "registry_daemon.h"
#include "vgpud.h"

#define DEFAULT_SOCKET    "/run/aivisor/aivisord.sock"
#define DEFAULT_STATE_DIR "/var/lib/aivisor"
#define DEFAULT_LOG_CAP   (4u << 20)
#define DEFAULT_RESERVE_MIB 512   /* host memory admission keeps for the host */

struct options {
	const char *socket, *state_dir, *vmm, *vgpud, *vgpu_socket, *metrics_socket, *log_file;
	const char *libvirt_socket, *libvirt_ro_socket;
	const char *qemu_uri, *qemu_dir, *ivshmem, *images_dir;
	int metrics_port;
	unsigned vgpu_threads;
	unsigned long long reserve_mib;
	bool no_vgpud, no_libvirt;
	enum log_level level;
	unsigned long long log_cap;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: aivisord [--socket PATH] [--state-dir DIR] [--vmm PATH] [--vgpud PATH | --no-vgpud]\n"
		"                [--vgpu-socket PATH] [--vgpu-threads N] [--metrics-port N | --metrics-socket PATH]\n"
		"                [--libvirt-socket PATH] [--libvirt-ro-socket PATH] [--no-libvirt]\n"
		"                [--log-level error|warn|info|debug] [--log-file PATH] [--console-log-cap BYTES]\n"
		"                [--reserve-mib MIB]\n"
		"                [--qemu-uri URI] [--qemu-dir DIR] [--ivshmem PATH] [--images-dir DIR]\n"
		"environment: AIVISOR_SOCKET, AIVISOR_STATE_DIR (flags win)\n"
		"defaults: --socket " DEFAULT_SOCKET ", --state-dir " DEFAULT_STATE_DIR
		", --vmm, --vgpud and --ivshmem next to aivisord,\n"
		"          --qemu-uri " QEMU_DEFAULT_URI ", --qemu-dir STATE_DIR/qemu, --images-dir ../images from aivisord\n");
}

static int parse_number(const char *flag, const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || !*s || *end || s[0] == '-' || v > max) {
		fprintf(stderr, "aivisord: %s: '%s' is not a number in 0..%llu\n", flag, s, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	o->socket = getenv("AIVISOR_SOCKET") ? getenv("AIVISOR_SOCKET") : DEFAULT_SOCKET;
	o->state_dir = getenv("AIVISOR_STATE_DIR") ? getenv("AIVISOR_STATE_DIR") : DEFAULT_STATE_DIR;
	o->level = LOG_INFO;
	o->log_cap = DEFAULT_LOG_CAP;
	o->reserve_mib = DEFAULT_RESERVE_MIB;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(a, "--no-vgpud")) {
			o->no_vgpud = true;
			continue;
		}
		if (!strcmp(a, "--no-libvirt")) {
			o->no_libvirt = true;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "aivisord: %s needs a value (or is unknown)\n", a);
			return -1;
		}
		const char *v = argv[++i];
		unsigned long long n;
		if (!strcmp(a, "--socket"))
			o->socket = v;
		else if (!strcmp(a, "--state-dir"))
			o->state_dir = v;
		else if (!strcmp(a, "--vmm"))
			o->vmm = v;
		else if (!strcmp(a, "--vgpud"))
			o->vgpud = v;
		else if (!strcmp(a, "--vgpu-socket"))
			o->vgpu_socket = v;
		else if (!strcmp(a, "--metrics-socket"))
			o->metrics_socket = v;
		else if (!strcmp(a, "--log-file"))
			o->log_file = v;
		else if (!strcmp(a, "--libvirt-socket"))
			o->libvirt_socket = v;
		else if (!strcmp(a, "--libvirt-ro-socket"))
			o->libvirt_ro_socket = v;
		else if (!strcmp(a, "--qemu-uri"))
			o->qemu_uri = v;
		else if (!strcmp(a, "--qemu-dir"))
			o->qemu_dir = v;
		else if (!strcmp(a, "--ivshmem"))
			o->ivshmem = v;
		else if (!strcmp(a, "--images-dir"))
			o->images_dir = v;
		else if (!strcmp(a, "--metrics-port")) {
			if (parse_number(a, v, 65535, &n) || n == 0) {
				fprintf(stderr, "aivisord: --metrics-port must be 1..65535\n");
				return -1;
			}
			o->metrics_port = (int)n;
		} else if (!strcmp(a, "--vgpu-threads")) {
			if (parse_number(a, v, 256, &n) || n == 0) {
				fprintf(stderr, "aivisord: --vgpu-threads must be 1..256\n");
				return -1;
			}
			o->vgpu_threads = (unsigned)n;
		} else if (!strcmp(a, "--reserve-mib")) {
			if (parse_number(a, v, 1ULL << 30, &n))
				return -1;
			o->reserve_mib = n;
		} else if (!strcmp(a, "--console-log-cap")) {
			if (parse_number(a, v, 1ULL << 40, &n) || n < 4096) {
				fprintf(stderr, "aivisord: --console-log-cap must be at least 4096 bytes\n");
				return -1;
			}
			o->log_cap = n;
		} else if (!strcmp(a, "--log-level")) {
			if (log_level_parse(v, &o->level)) {
				fprintf(stderr, "aivisord: --log-level must be error, warn, info or debug\n");
				return -1;
			}
		} else {
			fprintf(stderr, "aivisord: unknown option %s\n", a);
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

/* A sibling of this binary (build/bin/aivisor-vmm next to build/bin/aivisord). */
static int sibling(const char *name, char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -1;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return snprintf(out, size, "%s/%s", self, name) >= (int)size ? -1 : 0;
}

static int mkdir_parents(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -1;
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, mode) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, mode) && errno != EEXIST ? -1 : 0;
}

/* Where kind qemu tenants' pieces are. Relative paths become absolute:
 * they end up in domain XML that libvirtd, not we, resolves. */
static int qemu_paths(const struct options *o, struct registry_config *cfg)
{
	snprintf(cfg->qemu_uri, sizeof(cfg->qemu_uri), "%s", o->qemu_uri ? o->qemu_uri : QEMU_DEFAULT_URI);
	char tmp[PATH_MAX];
	if (o->qemu_dir) {
		if (o->qemu_dir[0] != '/') {
			log_error("--qemu-dir %s: must be an absolute path", o->qemu_dir);
			return -1;
		}
		snprintf(cfg->qemu_dir, sizeof(cfg->qemu_dir), "%s", o->qemu_dir);
	} else if (snprintf(cfg->qemu_dir, sizeof(cfg->qemu_dir), "%s/qemu", cfg->state_dir) >=
		   (int)sizeof(cfg->qemu_dir)) {
		log_error("state directory path too long");
		return -1;
	}
	if (o->ivshmem)
		snprintf(tmp, sizeof(tmp), "%s", o->ivshmem);
	else if (sibling("aivisor-ivshmem", tmp, sizeof(tmp)))
		snprintf(tmp, sizeof(tmp), "aivisor-ivshmem");
	if (!realpath(tmp, cfg->ivshmem_path))
		snprintf(cfg->ivshmem_path, sizeof(cfg->ivshmem_path), "%s", tmp); /* a start says it is missing */
	if (o->images_dir)
		snprintf(tmp, sizeof(tmp), "%s", o->images_dir);
	else if (sibling("../images", tmp, sizeof(tmp)))
		snprintf(tmp, sizeof(tmp), "images");
	if (!realpath(tmp, cfg->images_dir))
		snprintf(cfg->images_dir, sizeof(cfg->images_dir), "%s", tmp); /* a define names the missing file */
	return 0;
}

/* Undoes a start that failed once the registry was open; m, lvr and lve
 * may be NULL (not started yet). Returns main's exit status. */
static int start_failed(struct vgpud *v, struct registry *r, struct metrics_server *m, struct lv_registry *lvr,
			struct lv_endpoint *lve)
{
	lv_endpoint_stop(lve);
	lv_registry_free(lvr);
	if (m)
		metrics_stop(m);
	vgpud_on_death(v, NULL, NULL);
	registry_close(r);
	vgpud_stop(v, true);
	return 1;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	if (parse_args(argc, argv, &o))
		return 2;
	if (log_open(o.log_file, o.level)) {
		fprintf(stderr, "aivisord: cannot open log %s: %s\n", o.log_file, strerror(errno));
		return 1;
	}
	struct registry_config cfg = { .log_cap_bytes = o.log_cap, .reserve_mib = o.reserve_mib };
	if (mkdir_parents(o.state_dir, 0700) || !realpath(o.state_dir, cfg.state_dir)) {
		log_error("state directory %s: %s", o.state_dir, strerror(errno));
		return 1;
	}
	char vmm[PATH_MAX], vgpud_bin[PATH_MAX], vgpu_sock[PATH_MAX + 16], vgpud_log[PATH_MAX + 16];
	if (o.vmm)
		snprintf(vmm, sizeof(vmm), "%s", o.vmm);
	else if (sibling("aivisor-vmm", vmm, sizeof(vmm))) {
		log_error("cannot locate aivisor-vmm; pass --vmm");
		return 1;
	}
	if (!realpath(vmm, cfg.vmm_path))
		snprintf(cfg.vmm_path, sizeof(cfg.vmm_path), "%s", vmm); /* checked again at each start */
	if (qemu_paths(&o, &cfg))
		return 1;

	/* One daemon per state directory: two would both restart the same VMs. */
	char lock_path[PATH_MAX + 16];
	snprintf(lock_path, sizeof(lock_path), "%s/aivisord.lock", cfg.state_dir);
	int lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB)) {
		log_error("another aivisord is using %s (%s)", cfg.state_dir, strerror(errno));
		return 1;
	}

	char sock_dir[PATH_MAX];
	snprintf(sock_dir, sizeof(sock_dir), "%s", o.socket);
	char *slash = strrchr(sock_dir, '/');
	if (slash && slash != sock_dir) {
		*slash = '\0';
		if (mkdir_parents(sock_dir, 0755))
			log_warn("cannot create %s: %s", sock_dir, strerror(errno));
	}

	/* Signals are taken synchronously: the handler threads inherit the mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return 1;
	}

	char err[512] = "";
	snprintf(vgpu_sock, sizeof(vgpu_sock), "%s", o.vgpu_socket ? o.vgpu_socket : "");
	if (!vgpu_sock[0])
		snprintf(vgpu_sock, sizeof(vgpu_sock), "%s/vgpu.sock", cfg.state_dir);
	snprintf(vgpud_log, sizeof(vgpud_log), "%s/vgpud.log", cfg.state_dir);
	const char *vgpud_path = NULL;
	if (!o.no_vgpud) {
		if (o.vgpud)
			vgpud_path = o.vgpud;
		else if (!sibling("aivisor-vgpud", vgpud_bin, sizeof(vgpud_bin)))
			vgpud_path = vgpud_bin;
	}
	struct vgpud *v = vgpud_start(vgpud_path, vgpu_sock, vgpud_log, o.vgpu_threads, err, sizeof(err));
	if (!v) {
		log_error("vGPU server: %s", err);
		return 1;
	}
	if (vgpud_socket(v))
		snprintf(cfg.vgpu_socket, sizeof(cfg.vgpu_socket), "%s", vgpud_socket(v));

	struct registry *r = registry_open(&cfg, err, sizeof(err));
	if (!r) {
		log_error("%s", err);
		vgpud_stop(v, true);
		return 1;
	}
	vgpud_on_death(v, registry_vgpu_lost, r);
	struct metrics_server *m = NULL;
	if (o.metrics_port || o.metrics_socket) {
		m = metrics_start(o.metrics_port, o.metrics_socket, r, v, err, sizeof(err));
		if (!m) {
			log_error("%s", err);
			return start_failed(v, r, NULL, NULL, NULL);
		}
	}
	/* virsh sees the same registry through the libvirt endpoint. */
	struct lv_registry *lvr = NULL;
	struct lv_endpoint *lve = NULL;
	if (!o.no_libvirt) {
		struct lv_backend be;
		struct lv_endpoint_opts lo = { .rw_sock = o.libvirt_socket, .ro_sock = o.libvirt_ro_socket };
		lvr = lv_registry_new(r, 10); /* 10 s graceful shutdown before SIGKILL */
		if (lvr)
			lv_registry_backend(lvr, &be);
		if (!lvr || lv_endpoint_start(&lo, &be, &lve, err, sizeof(err))) {
			log_error("libvirt endpoint: %s (--no-libvirt to run without it)", lvr ? err : "out of memory");
			return start_failed(v, r, m, lvr, NULL);
		}
	}
	struct api_server *api = api_start(o.socket, r, v, err, sizeof(err));
	if (!api) {
		log_error("%s", err);
		return start_failed(v, r, m, lvr, lve);
	}
	log_info("aivisord ready: socket %s, state %s, vmm %s", o.socket, cfg.state_dir, cfg.vmm_path);

	struct signalfd_siginfo si;
	for (;;) {
		ssize_t n = read(sfd, &si, sizeof(si));
		if (n == (ssize_t)sizeof(si) && si.ssi_signo != SIGHUP)
			break;
		if (n < 0 && errno != EINTR) {
			log_error("signalfd read: %s", strerror(errno));
			break;
		}
	}
	log_info("signal %u: shutting down (tenant VMs keep running)", si.ssi_signo);
	lv_endpoint_stop(lve);
	lv_registry_free(lvr);
	bool drained = api_stop(api);
	if (m)
		metrics_stop(m);
	if (!drained) {
		/* A client thread still waits inside the registry: leave it
		 * allocated; exiting ends the thread. VMs keep running. */
		log_warn("requests still in flight at exit; not waiting for them");
		return 0;
	}
	struct tenant_info *running;
	size_t nrunning = 0;
	if (!registry_list(r, true, &running, &nrunning))
		free(running);
	vgpud_on_death(v, NULL, NULL);
	registry_close(r);
	vgpud_stop(v, nrunning == 0);
	close(sfd);
	close(lock_fd);
	return 0;
}
