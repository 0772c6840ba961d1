/*
 * qemu_domain.c - tenant lifecycle as a libvirt domain, through the
 * libvirt C API (see qemu_domain.h for why not virsh).
 */
#include "qemu_domain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "qemu_err.h"

/* libvirt prints every error on stderr by default; ours go to err. */
static void quiet(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

/* Formats "libvirt WHAT of 'NAME': MESSAGE".  libvirt's message is
 * copied first: any later libvirt call (even virDomainGetName) resets it. */
static int lv_fail(char *err, size_t errlen, int rc, const char *what, const char *name)
{
	const char *m = virGetLastErrorMessage();
	char msg[512];
	snprintf(msg, sizeof msg, "%s", m ? m : "unknown libvirt error");
	return qemu_err(err, errlen, rc, "libvirt %s of '%s': %s", what, name, msg);
}

static int conn_open(const char *uri, virConnectPtr *out, char *err, size_t errlen)
{
	virSetErrorFunc(NULL, quiet);
	if (!uri)
		uri = QEMU_DEFAULT_URI;
	*out = virConnectOpen(uri);
	if (!*out)
		return lv_fail(err, errlen, -ECONNREFUSED, "connection", uri);
	return 0;
}

static int lookup(virConnectPtr c, const char *name, virDomainPtr *out, char *err, size_t errlen)
{
	*out = virDomainLookupByName(c, name);
	if (*out)
		return 0;
	if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN)
		return qemu_err(err, errlen, -ENOENT, "no libvirt domain '%s'", name);
	return lv_fail(err, errlen, -EIO, "lookup", name);
}

int qemu_domain_define(const char *uri, const struct qemu_domain_spec *spec,
		       char *err, size_t errlen)
{
	char *xml;
	int rc = qemu_domain_xml(spec, &xml, err, errlen);
	if (rc)
		return rc;
	virConnectPtr c;
	rc = conn_open(uri, &c, err, errlen);
	if (!rc) {
		virDomainPtr d = virDomainDefineXML(c, xml);
		if (d)
			virDomainFree(d);
		else
			rc = lv_fail(err, errlen, -EIO, "define", spec->name);
		virConnectClose(c);
	}
	free(xml);
	return rc;
}

/* Runs op on the named domain with a fresh connection. */
static int with_domain(const char *uri, const char *name,
		       int (*op)(virDomainPtr d, const char *name, void *arg, char *err, size_t errlen), void *arg,
		       char *err, size_t errlen)
{
	if (!name || !name[0])
		return qemu_err(err, errlen, -EINVAL, "no domain name");
	virConnectPtr c;
	int rc = conn_open(uri, &c, err, errlen);
	if (rc)
		return rc;
	virDomainPtr d;
	rc = lookup(c, name, &d, err, errlen);
	if (!rc) {
		rc = op(d, name, arg, err, errlen);
		virDomainFree(d);
	}
	virConnectClose(c);
	return rc;
}

static int op_start(virDomainPtr d, const char *name, void *arg, char *err, size_t errlen)
{
	(void)arg;
	if (virDomainIsActive(d) == 1)
		return qemu_err(err, errlen, -EBUSY, "domain '%s' is already running", name);
	if (virDomainCreate(d) < 0)
		return lv_fail(err, errlen, -EIO, "start", name);
	return 0;
}

int qemu_domain_start(const char *uri, const char *name, char *err, size_t errlen)
{
	return with_domain(uri, name, op_start, NULL, err, errlen);
}

struct stop_args {
	bool force;
	unsigned timeout_s;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int op_stop(virDomainPtr d, const char *name, void *arg, char *err, size_t errlen)
{
	const struct stop_args *a = arg;
	if (virDomainIsActive(d) != 1)
		return 0;
	if (!a->force && virDomainShutdown(d) == 0) {
		/* ACPI power button: the guest may ignore it, hence the deadline. */
		double deadline = now_s() + a->timeout_s;
		while (now_s() < deadline) {
			if (virDomainIsActive(d) != 1)
				return 0;
			struct timespec ts = { 0, 100 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	if (virDomainDestroy(d) < 0 && virDomainIsActive(d) == 1)
		return lv_fail(err, errlen, -EIO, "destroy", name);
	return 0;
}

int qemu_domain_stop(const char *uri, const char *name, bool force, unsigned timeout_s,
		     char *err, size_t errlen)
{
	struct stop_args a = { force, timeout_s };
	return with_domain(uri, name, op_stop, &a, err, errlen);
}

static int op_undefine(virDomainPtr d, const char *name, void *arg, char *err, size_t errlen)
{
	(void)arg;
	struct stop_args a = { true, 0 };
	int rc = op_stop(d, name, &a, err, errlen);
	if (rc)
		return rc;
	if (virDomainUndefine(d) < 0)
		return lv_fail(err, errlen, -EIO, "undefine", name);
	return 0;
}

int qemu_domain_undefine(const char *uri, const char *name, char *err, size_t errlen)
{
	return with_domain(uri, name, op_undefine, NULL, err, errlen);
}

static int op_state(virDomainPtr d, const char *name, void *arg, char *err, size_t errlen)
{
	enum qemu_domain_state *out = arg;
	int state, reason;
	if (virDomainGetState(d, &state, &reason, 0) < 0)
		return lv_fail(err, errlen, -EIO, "state", name);
	switch (state) {
	case VIR_DOMAIN_SHUTOFF: *out = QEMU_DOMAIN_SHUTOFF; break;
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_SHUTDOWN: *out = QEMU_DOMAIN_RUNNING; break;
	case VIR_DOMAIN_CRASHED: *out = QEMU_DOMAIN_CRASHED; break;
	default: *out = QEMU_DOMAIN_OTHER; break;
	}
	return 0;
}

int qemu_domain_state(const char *uri, const char *name, enum qemu_domain_state *state,
		      char *err, size_t errlen)
{
	return with_domain(uri, name, op_state, state, err, errlen);
}

const char *qemu_domain_state_name(enum qemu_domain_state s)
{
	switch (s) {
	case QEMU_DOMAIN_SHUTOFF: return "shut off";
	case QEMU_DOMAIN_RUNNING: return "running";
	case QEMU_DOMAIN_CRASHED: return "crashed";
	case QEMU_DOMAIN_OTHER: break;
	}
	return "other";
}
