/* SPDX-License-Identifier: MIT */
/*
 * Just enough JSON for vi2c-bench: a writer that pretty-prints to a FILE and
 * a strict reader (RFC 8259 grammar, depth-limited) into a tree, used to load
 * the wrapper's footprint file and by the smoke test to check the report.
 */
#ifndef VI2C_BENCH_JSON_H
#define VI2C_BENCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* ---- writer ---- */

#define JW_MAX_DEPTH 16

struct jw {
	FILE *f;
	unsigned depth;
	bool first[JW_MAX_DEPTH]; /* nothing written yet at this level */
};

void jw_init(struct jw *w, FILE *f);
/* key is NULL inside arrays (and for the top-level value). */
void jw_obj(struct jw *w, const char *key);
void jw_arr(struct jw *w, const char *key);
void jw_end_obj(struct jw *w);
void jw_end_arr(struct jw *w);
void jw_num(struct jw *w, const char *key, double v); /* non-finite -> null */
void jw_int(struct jw *w, const char *key, long long v);
void jw_str(struct jw *w, const char *key, const char *s); /* NULL -> null */
void jw_bool(struct jw *w, const char *key, bool v);
void jw_null(struct jw *w, const char *key);

/* ---- reader ---- */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json {
	enum json_type type;
	bool b;
	double num;
	char *str; /* JSON_STR value, owned */
	char *key; /* member name inside an object, owned */
	size_t n;  /* children of an array/object */
	struct json *child, *next;
};

/* Parses all of text (trailing garbage is an error). NULL + errno (EINVAL) with err filled. */
struct json *json_parse(const char *text, char *err, size_t errlen);
void json_free(struct json *j); /* NULL allowed */

/* Member of an object, NULL if absent or j is not an object. */
const struct json *json_get(const struct json *j, const char *key);
/* Element i of an array, NULL if out of range. */
const struct json *json_at(const struct json *j, size_t i);
/* Number member: *out filled, true if present and a number. */
bool json_get_num(const struct json *j, const char *key, double *out);

#endif
