/*
 * lv_hostinfo.h - this host's facts for NODE_GET_INFO, hostname and
 * capabilities, read from the kernel.  A backend's host_info can simply
 * call this.
 */
#ifndef AIVISOR_LV_HOSTINFO_H
#define AIVISOR_LV_HOSTINFO_H

#include <stddef.h>

#include "lv_backend.h"

int lv_hostinfo_read(struct lv_host_info *out, char *err, size_t errlen);

#endif
