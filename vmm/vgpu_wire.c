/*
 * vgpu_wire.c - window, doorbell and server process for a microVM's vGPU.
 *
 * Why a private server is a child process rather than threads of the VMM:
 * the server links OpenBLAS, whose load-time thread pool alone adds ~2 ms
 * and megabytes to every VMM start, vGPU or not; a separate process keeps
 * cold start and memory small and gives the server its own address space.
 * It is the same server code (aivisor-vgpud), found next to aivisor-vmm.
 */
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vgpu_wire.h"

#define MIB (1ULL << 20)
#define HUGE (2 * MIB)
#define GIB (1ULL << 30)
#define GUEST_PHYS_LIMIT (64 * GIB) /* what boot_x86_64.c's tables map */
#define SERVER_START_TIMEOUT_MS 5000

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg);
	return -1;
}

/* Starts aivisor-vgpud --socket DIR/vgpu.sock and waits until it answers. */
static int start_server(struct vgpu_wire *v, const struct vgpu_wire_opts *o, char *sock, size_t socklen,
			char *err, size_t errlen)
{
	char self[PATH_MAX], server[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return fail(err, errlen, "vGPU: cannot find own path: %s", strerror(errno));
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(server, sizeof(server), "%s/aivisor-vgpud", self);
	if (access(server, X_OK) < 0)
		return fail(err, errlen, "vGPU: no --vgpu-socket and no server to start at %s", server);
	strcpy(v->dir, "/tmp/aivisor-vmm.XXXXXX");
	if (!mkdtemp(v->dir)) {
		v->dir[0] = '\0';
		return fail(err, errlen, "vGPU: cannot create a socket directory: %s", strerror(errno));
	}
	snprintf(sock, socklen, "%s/vgpu.sock", v->dir);
	if (o->server_uid >= 0 && chown(v->dir, (uid_t)o->server_uid, (gid_t)o->server_gid) < 0)
		return fail(err, errlen, "vGPU: cannot hand the socket directory to the server's user: %s",
			    strerror(errno));
	bool quiet = o->quiet_server;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return fail(err, errlen, "vGPU: fork: %s", strerror(errno));
	if (pid == 0) {
		/* The server lives exactly as long as this VMM. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		if (o->server_uid >= 0 &&
		    (setgroups(0, NULL) || setresgid((gid_t)o->server_gid, (gid_t)o->server_gid, (gid_t)o->server_gid) ||
		     setresuid((uid_t)o->server_uid, (uid_t)o->server_uid, (uid_t)o->server_uid)))
			_exit(126);
		/* The uid switch cleared the death signal: set it again. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		int null = quiet ? open("/dev/null", O_WRONLY) : -1;
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execl(server, "aivisor-vgpud", "--socket", sock, (char *)NULL);
		_exit(127);
	}
	v->server_pid = pid;
	for (int waited = 0; waited < SERVER_START_TIMEOUT_MS; waited += 5) {
		if (vgpu_server_alive(sock))
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			v->server_pid = 0;
			return fail(err, errlen, "vGPU: %s exited during start-up (see --debug)", server);
		}
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
	return fail(err, errlen, "vGPU: %s did not answer within 5 s", server);
}

static void remove_socket_dir(struct vgpu_wire *v)
{
	if (!v->dir[0])
		return;
	char sock[128];
	snprintf(sock, sizeof(sock), "%s/vgpu.sock", v->dir);
	unlink(sock);
	rmdir(v->dir);
	v->dir[0] = '\0';
}

int vgpu_wire_attach(struct vgpu_wire *v, const struct vgpu_wire_opts *o, uint64_t ram_size,
		     char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	v->win.fd = v->att.sock = v->att.doorbell_fd = v->att.complete_fd = -1;
	/* Window at the first GiB boundary above RAM, 2 MiB granular so the
	 * page tables map it with huge pages; the doorbell in the 2 MiB page
	 * right after it, which has no memory behind it. */
	v->win_size = (o->memory_mib * MIB + HUGE - 1) & ~(HUGE - 1);
	v->win_gpa = (ram_size + GIB - 1) & ~(GIB - 1);
	v->doorbell_gpa = v->win_gpa + v->win_size;
	if (v->doorbell_gpa + HUGE > GUEST_PHYS_LIMIT)
		return fail(err, errlen, "%s", "vGPU window does not fit below 64 GiB of guest-physical space");

	char e[256];
	int r = vgpu_window_create(v->win_size, 0, &v->win, e, sizeof(e));
	if (r < 0) {
		v->win.fd = -1;
		return fail(err, errlen, "vGPU window: %s", e);
	}
	char sock[128];
	const char *path = o->socket;
	if (!path) {
		if (start_server(v, o, sock, sizeof(sock), err, errlen)) {
			vgpu_wire_close(v);
			return -1;
		}
		path = sock;
	}
	struct vgpu_tenant_opts to = { .name = o->name, .prio = o->prio, .weight = o->weight };
	r = vgpu_attach(path, &v->win, &to, &v->att, e, sizeof(e));
	if (r < 0) {
		v->att.sock = -1;
		vgpu_wire_close(v);
		return fail(err, errlen, "vGPU attach: %s", e);
	}
	/* Attached: the private server's socket has served its purpose.
	 * Removing it now leaves nothing behind even if the VMM is killed,
	 * and the run phase needs no file-system calls to clean up. */
	remove_socket_dir(v);
	snprintf(v->env, sizeof(v->env), "AIVISOR_VGPU=mvm:0x%llx:0x%llx:0x%llx",
		 (unsigned long long)v->win_gpa, (unsigned long long)v->win_size,
		 (unsigned long long)v->doorbell_gpa);
	return 0;
}

int vgpu_wire_map(struct vgpu_wire *v, struct kvm_vm *vm, uint32_t slot, struct guest_mem *m,
		  char *err, size_t errlen)
{
	if (kvm_vm_add_memory(vm, slot, v->win_gpa, v->win_size, v->win.base, err, errlen) ||
	    kvm_vm_ioeventfd(vm, v->doorbell_gpa, v->att.doorbell_fd, err, errlen))
		return -1;
	m->window = (struct guest_region){ .start = v->win_gpa, .size = v->win_size, .host = v->win.base };
	return 0;
}

void vgpu_wire_close(struct vgpu_wire *v)
{
	if (v->att.sock >= 0)
		vgpu_detach(&v->att);
	v->att.sock = -1;
	if (v->server_pid > 0) {
		/* After the sandbox's uid switch the root-started server may not
		 * be ours to signal; its PR_SET_PDEATHSIG then ends it when we
		 * exit, so only wait for it when the signal went out. */
		if (kill(v->server_pid, SIGTERM) == 0)
			waitpid(v->server_pid, NULL, 0);
		v->server_pid = 0;
	}
	remove_socket_dir(v);
	if (v->win.fd >= 0)
		vgpu_window_destroy(&v->win);
	v->win.fd = -1;
}
