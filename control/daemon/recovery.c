/*
 * recovery.c - a starting daemon finds the VMs the previous one left
 * running: re-attaches to those its state files name (same pid, same start
 * time, same boot), records how the others ended, and adopts VMs spawned
 * too late to be recorded (found by the tenant uuid in their environment).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "registry_internal.h"

/* At daemon start: a record says the tenant was running as (pid, start
 * time) in boot boot_id. Re-attach if that very process still lives;
 * otherwise record that it ended while no daemon watched. Locked. */
void lifecycle__recover(struct registry *r, struct tenant *t, pid_t pid, uint64_t start_ticks, const char *boot_id)
{
	struct vm_proc p;
	if (t->def.kind == TENANT_KIND_QEMU) {
		qemu_tenant__recover(r, t, pid, start_ticks, boot_id);
		return;
	}
	if (!strcmp(boot_id, r->boot_id) && !vm_process_reattach(pid, start_ticks, &p)) {
		t->proc = p;
		t->our_child = false;
		t->state = TENANT_STATE_RUNNING;
		if (lifecycle__watch(r, t)) {
			log_error("tenant '%s': cannot watch pid %d: %s", t->def.name, (int)pid, strerror(errno));
			close(p.pidfd);
			t->proc.pidfd = -1;
			t->state = TENANT_STATE_SHUTOFF;
			return;
		}
		tenant_cgroup_attach(r, t);
		tenant_admit(r, t, true, NULL, 0);
		log_info("tenant '%s': re-attached to running VM pid %d", t->def.name, (int)pid);
		return;
	}
	log_warn("tenant '%s': VM pid %d ended while the daemon was not running", t->def.name, (int)pid);
	t->proc.pidfd = -1;
	t->stop_requested = false;
	/* An unknown end is not counted as a failure; 'always' still restarts. */
	lifecycle__record_end(r, t, TENANT_EXIT_UNKNOWN, 0, 0);
}

/* At daemon start, after every record is loaded: a VM spawned just before
 * the previous daemon died may not be in its record yet. Such a VM carries
 * its tenant's uuid in its environment; adopt it if the tenant has no
 * process, else it is a stray duplicate and is killed. Locked. */
void lifecycle__adopt_orphans(struct registry *r)
{
	DIR *d = opendir("/proc");
	if (!d) {
		log_warn("cannot scan /proc for orphaned VMs: %s", strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		char uuid[TENANT_UUID_LEN + 2];
		if (*end || pid <= 0 || pid == getpid() || vm_process_tenant_uuid((pid_t)pid, uuid, sizeof(uuid)))
			continue;
		struct tenant *t = NULL;
		for (size_t i = 0; i < r->n && !t; i++)
			if (!strcmp(r->t[i]->def.uuid, uuid))
				t = r->t[i];
		if (!t || (t->proc.pidfd >= 0 && t->proc.pid == (pid_t)pid))
			continue; /* another daemon's VM, or one already re-attached */
		uint64_t ticks;
		struct vm_proc p;
		if (vm_process_start_ticks((pid_t)pid, &ticks) || vm_process_reattach((pid_t)pid, ticks, &p))
			continue; /* ended meanwhile */
		if (t->proc.pidfd >= 0) {
			log_warn("tenant '%s': stray second VM pid %ld killed", t->def.name, pid);
			vm_process_signal(&p, SIGKILL);
			close(p.pidfd);
			continue;
		}
		t->proc = p;
		t->our_child = false;
		t->state = TENANT_STATE_RUNNING;
		t->restart_due_ms = 0;
		if (lifecycle__watch(r, t)) {
			log_error("tenant '%s': cannot watch adopted pid %ld", t->def.name, pid);
			close(p.pidfd);
			t->proc.pidfd = -1;
			t->state = TENANT_STATE_SHUTOFF;
			continue;
		}
		char err[300];
		if (registry__persist(r, t, err, sizeof(err)))
			log_error("tenant '%s': %s", t->def.name, err);
		tenant_cgroup_attach(r, t);
		tenant_admit(r, t, true, NULL, 0);
		log_info("tenant '%s': adopted VM pid %ld started just before the previous daemon ended", t->def.name,
			 pid);
	}
	closedir(d);
}
