// SPDX-License-Identifier: MIT
#include "counters.h"

#include <inttypes.h>
#include <stdio.h>

#include "log.h"

char *counters_format(const char *device, const struct i2c_dev_counters *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s: %" PRIu64 " transfers, %" PRIu64 " bytes, %" PRIu64 " errors",
		 device, c->transfers, c->bytes, c->errors);
	return buf;
}

static void log_device(const struct i2c_bus *bus, unsigned addr, const char *device,
		       const char *label)
{
	struct i2c_dev_counters c;
	char line[400]; /* device name (< 300) and three 20-digit counters */

	if (!i2c_bus_counters(bus, addr, &c))
		return;
	log_force(LOG_LVL_INFO, "counters: %s: %s", label,
		  counters_format(device, &c, line, sizeof(line)));
}

void counters_log(const struct i2c_bus *bus, const struct vi2c_config *set, const char *label)
{
	char device[300];

	for (size_t i = 0; i < set->n_emuls; i++) {
		const struct cfg_emul *e = &set->emuls[i];

		snprintf(device, sizeof(device), "%s@0x%02x", config_model_name(e->model), e->addr);
		log_device(bus, e->addr, device, label);
	}
	for (size_t i = 0; i < set->n_adapters; i++) {
		const struct cfg_adapter *a = &set->adapters[i];

		for (size_t k = 0; k < a->n_addrs; k++) {
			const struct cfg_host_addr *h = &a->addrs[k];

			if (a->by_name)
				snprintf(device, sizeof(device), "'%.255s':0x%02x@0x%02x", a->name,
					 h->host_addr, h->guest_addr);
			else
				snprintf(device, sizeof(device), "i2c-%u:0x%02x@0x%02x", a->number,
					 h->host_addr, h->guest_addr);
			log_device(bus, h->guest_addr, device, label);
		}
	}
}
