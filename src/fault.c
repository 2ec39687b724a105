// SPDX-License-Identifier: MIT
#include "fault.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

static const char *const kind_names[FAULT_KINDS] = {
	[FAULT_NACK] = "nack",
	[FAULT_DELAY] = "delay",
	[FAULT_CORRUPT] = "corrupt",
};

const char *fault_kind_name(enum fault_kind kind)
{
	return (unsigned)kind < FAULT_KINDS ? kind_names[kind] : NULL;
}

int fault_kind_parse(const char *name, enum fault_kind *kind)
{
	for (unsigned k = 0; k < FAULT_KINDS; k++) {
		if (!strcmp(name, kind_names[k])) {
			*kind = (enum fault_kind)k;
			return 0;
		}
	}
	return -EINVAL;
}

int fault_arm(struct fault_set *set, enum fault_kind kind, const struct fault *f)
{
	struct fault n = *f;

	if ((unsigned)kind >= FAULT_KINDS || n.remaining > FAULT_COUNT_MAX)
		return -EINVAL;
	if (kind == FAULT_DELAY && (n.ms < 1 || n.ms > FAULT_DELAY_MAX_MS))
		return -EINVAL;
	if (kind == FAULT_CORRUPT && !n.xor_mask)
		return -EINVAL;
	if (kind != FAULT_DELAY)
		n.ms = 0;
	if (kind != FAULT_CORRUPT)
		n.xor_mask = 0;
	n.armed = true;
	set->f[kind] = n;
	return 0;
}

unsigned fault_clear(struct fault_set *set)
{
	unsigned n = fault_count(set);

	memset(set, 0, sizeof(*set));
	return n;
}

unsigned fault_count(const struct fault_set *set)
{
	unsigned n = 0;

	for (unsigned k = 0; k < FAULT_KINDS; k++)
		n += set->f[k].armed;
	return n;
}

unsigned fault_take(struct fault_set *set, struct fault_effect *eff)
{
	unsigned disarmed = 0;

	memset(eff, 0, sizeof(*eff));
	for (unsigned k = 0; k < FAULT_KINDS; k++) {
		struct fault *f = &set->f[k];

		if (!f->armed)
			continue;
		if (k == FAULT_NACK)
			eff->nack = true;
		else if (k == FAULT_DELAY)
			eff->delay_ms = f->ms;
		else
			eff->xor_mask = f->xor_mask;
		if (f->remaining && !--f->remaining) {
			memset(f, 0, sizeof(*f));
			disarmed++;
		}
	}
	return disarmed;
}
