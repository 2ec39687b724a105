// SPDX-License-Identifier: MIT
/*
 * The read-only policy (i2c_readonly.h) message by message: reads and a
 * zero-length read pass, a write only as a pointer of exactly ptr_len bytes
 * directly followed by a read of the same device; every other write —
 * longer, shorter, zero-length, alone, followed by a write or by a read of
 * another device — is refused. The example [W 0x10 0xaa][R 1] first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "i2c_readonly.h"

struct step {
	bool read;
	uint16_t len;
	uint8_t addr;
};

struct policy_case {
	const char *shape;
	unsigned ptr_len;
	unsigned n;
	struct step m[4];
	const char *allowed; /* per message: 'y' allowed, 'n' refused */
};

#define W(l)                                                                                       \
	{                                                                                          \
		false, l, 0x50                                                                     \
	}
#define R(l)                                                                                       \
	{                                                                                          \
		true, l, 0x50                                                                      \
	}
#define W_AT(l)                                                                                    \
	{                                                                                          \
		false, l, 0x51                                                                     \
	}
#define R_AT(l)                                                                                    \
	{                                                                                          \
		true, l, 0x51                                                                      \
	}

static const struct policy_case cases[] = {
	{"[W 2][R 1], the review's register write", 1, 2, {W(2), R(1)}, "ny"},
	{"[R 1]", 1, 1, {R(1)}, "y"},
	{"[R 8192]", 1, 1, {R(8192)}, "y"},
	{"[R 0], quick read", 1, 1, {R(0)}, "y"},
	{"[W 1][R 1]", 1, 2, {W(1), R(1)}, "yy"},
	{"[W 1][R 0]", 1, 2, {W(1), R(0)}, "yy"},
	{"[W 1][R 1][W 1][R 4]", 1, 4, {W(1), R(1), W(1), R(4)}, "yyyy"},
	{"[W 0], quick write", 1, 1, {W(0)}, "n"},
	{"[W 1], send byte", 1, 1, {W(1)}, "n"},
	{"[W 2]", 1, 1, {W(2)}, "n"},
	{"[W 0][R 1]", 1, 2, {W(0), R(1)}, "ny"},
	{"[W 3][R 2], process call", 1, 2, {W(3), R(2)}, "ny"},
	{"[W 1][W 1]", 1, 2, {W(1), W(1)}, "nn"},
	{"[W 1][W 1][R 1]", 1, 3, {W(1), W(1), R(1)}, "nyy"},
	{"[W 1][R 1 at another device]", 1, 2, {W(1), R_AT(1)}, "ny"},
	{"[W 1 at another device][R 1]", 1, 2, {W_AT(1), R(1)}, "ny"},
	{"[R 1][W 1] (pointer last)", 1, 2, {R(1), W(1)}, "yn"},
	{"[W 2][R 1]", 2, 2, {W(2), R(1)}, "yy"},
	{"[W 2][R 0]", 2, 2, {W(2), R(0)}, "yy"},
	{"[R 0]", 2, 1, {R(0)}, "y"},
	{"[W 1][R 1] on /ro16", 2, 2, {W(1), R(1)}, "ny"},
	{"[W 3][R 1], a 24c32 byte write", 2, 2, {W(3), R(1)}, "ny"},
	{"[W 2] alone", 2, 1, {W(2)}, "n"},
	{"[W 0] on /ro16", 2, 1, {W(0)}, "n"},
	{"[W 2][W 1][R 1]", 2, 3, {W(2), W(1), R(1)}, "nny"},
	{"[W 1][R 1], no pointer width", 0, 2, {W(1), R(1)}, "ny"},
	{"[W 0][R 1], no pointer width", 0, 2, {W(0), R(1)}, "ny"},
	{"[W 3][R 1], pointer width 3", 3, 2, {W(3), R(1)}, "ny"},
};

static void test_policy_table(void **state)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct policy_case *pc = &cases[c];
		struct i2c_msg_buf m[4];
		static uint8_t buf[8192];

		assert_int_equal(strlen(pc->allowed), pc->n);
		for (unsigned i = 0; i < pc->n; i++)
			m[i] = (struct i2c_msg_buf){.addr = pc->m[i].addr,
						    .read = pc->m[i].read,
						    .len = pc->m[i].len,
						    .buf = buf};
		for (unsigned i = 0; i < pc->n; i++) {
			bool got = i2c_readonly_allows(m, pc->n, i, pc->ptr_len);

			if (got != (pc->allowed[i] == 'y'))
				fail_msg("%s, pointer of %u: message %u %s, expected %s", pc->shape,
					 pc->ptr_len, i, got ? "allowed" : "refused",
					 got ? "refused" : "allowed");
		}
	}
}

/* The bytes of a write do not matter, only its length and what follows it. */
static void test_content_does_not_matter(void **state)
{
	uint8_t w[2] = {0x10, 0xaa};
	struct i2c_msg_buf m[2] = {{.addr = 0x50, .read = false, .len = 1, .buf = w},
				   {.addr = 0x50, .read = true, .len = 1, .buf = w}};

	for (unsigned v = 0; v < 256; v++) {
		w[0] = (uint8_t)v;
		assert_true(i2c_readonly_allows(m, 2, 0, 1));
		assert_false(i2c_readonly_allows(m, 1, 0, 1));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test(test_content_does_not_matter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
