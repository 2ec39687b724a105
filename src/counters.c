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

/* The -l entry that shows a host device at guest address addr, for its label. */
static void host_label(const struct vi2c_config *set, unsigned addr,
		       const struct i2c_bus_dev_info *info, char *buf, size_t len)
{
	for (size_t i = 0; i < set->n_adapters; i++) {
		const struct cfg_adapter *a = &set->adapters[i];

		for (size_t k = 0; k < a->n_addrs; k++) {
			if (a->addrs[k].guest_addr != addr)
				continue;
			if (a->by_name)
				snprintf(buf, len, "'%.255s':0x%02x@0x%02x", a->name,
					 a->addrs[k].host_addr, addr);
			else
				snprintf(buf, len, "i2c-%u:0x%02x@0x%02x", a->number,
					 a->addrs[k].host_addr, addr);
			return;
		}
	}
	snprintf(buf, len, "i2c-%u:0x%02x@0x%02x", info->adapter_nr, info->host_addr, addr);
}

/* By address, whatever is on the bus now: devices hot-plugged through --control included. */
void counters_log(struct i2c_bus *bus, const struct vi2c_config *set, const char *label)
{
	char device[300];

	for (unsigned addr = 0; addr < I2C_BUS_ADDRS; addr++) {
		struct i2c_bus_dev_info info;

		if (!i2c_bus_info(bus, addr, &info))
			continue;
		if (info.host)
			host_label(set, addr, &info, device, sizeof(device));
		else
			snprintf(device, sizeof(device), "%s@0x%02x", config_model_name(info.model),
				 addr);
		log_device(bus, addr, device, label);
	}
}
