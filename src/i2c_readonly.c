// SPDX-License-Identifier: MIT
#include "i2c_readonly.h"

bool i2c_readonly_allows(const struct i2c_msg_buf *msgs, unsigned n, unsigned i, unsigned ptr_len)
{
	const struct i2c_msg_buf *m = &msgs[i];

	if (m->read)
		return true;
	/* The pointer, then the read it is for: nothing else is stored on the device. */
	return (ptr_len == 1 || ptr_len == 2) && m->len == ptr_len && i + 1 < n &&
	       msgs[i + 1].read && msgs[i + 1].addr == m->addr;
}
