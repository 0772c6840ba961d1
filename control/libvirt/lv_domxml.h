/*
 * lv_domxml.h - libvirt domain XML <-> aivisor tenant definition (tenant.h).
 *
 *   <domain type='aivisor'>
 *     <name>trainer-1</name>
 *     <uuid>8f0c...</uuid>                      optional on define
 *     <memory unit='MiB'>256</memory>           rounded up to whole MiB
 *     <vcpu cpuset='0-1'>2</vcpu>               cpuset: optional pinning
 *     <cputune>
 *       <shares>100</shares>                    cpu_weight 1..10000
 *       <period>100000</period><quota>50000</quota>   optional hard cap (50%)
 *     </cputune>
 *     <os>
 *       <type arch='x86_64'>hvm</type>
 *       <kernel>/path/to/static-elf</kernel>    the program the microVM runs
 *       <cmdline>--epochs 20 'a b'</cmdline>    its arguments, sh-style quoting
 *     </os>
 *     <metadata>
 *       <aivisor:vgpu xmlns:aivisor="https://aivisor.dev/xmlns/1"
 *                     class="normal" weight="100" memory="64" unit="MiB"/>
 *       <aivisor:restart xmlns:aivisor="..." policy="on-failure" max="3"/>
 *       <aivisor:share xmlns:aivisor="..." host="/data" guest="/data" mode="ro"/>
 *       <aivisor:console xmlns:aivisor="..." log="/var/log/t.log"/>
 *     </metadata>
 *   </domain>
 *
 * Every tenant_def field has a place, so dumpxml -> edit -> define keeps
 * what the aivisor CLI set.  Parsing is hostile-input safe: size cap, no
 * network, no DTD (so no entities at all), every number range-checked,
 * unknown elements refused rather than silently dropped (a <devices> the
 * tenant would not get is an error, not a surprise), and the result passes
 * tenant_def_validate().
 */
#ifndef AIVISOR_LV_DOMXML_H
#define AIVISOR_LV_DOMXML_H

#include <stddef.h>
#include <stdint.h>

#include "lv_backend.h"
#include "lv_uuid.h"
#include "tenant.h"

#define LV_DOMXML_MAX (1024u * 1024)
#define LV_XMLNS_AIVISOR "https://aivisor.dev/xmlns/1"
#define LV_CFS_PERIOD_US 100000	/* cputune period written, and assumed when a quota comes alone */

/* Initialises libxml2 once, from the thread that starts the others (its
 * lazy initialisation is not thread-safe). */
void lv_domxml_init(void);
/* Returns 0, or LV_ERR_XML_ERROR / LV_ERR_INVALID_ARG with a message;
 * *out is only written on success. */
int lv_domxml_parse(const char *xml, size_t len, struct tenant_def *out, char *err, size_t errlen);
/* Formats def (id >= 0 for a running domain) into a malloc'd NUL-terminated
 * string; returns 0 or an LV_ERR_* with a message. */
int lv_domxml_format(const struct tenant_def *def, int32_t id, char **out, char *err, size_t errlen);


#endif
