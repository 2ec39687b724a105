// SPDX-License-Identifier: MIT
/* Minimal JSON writer and strict reader (see json.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JSON_MAX_DEPTH 64

/* ---------------- writer ---------------- */

void jw_init(struct jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->first[0] = true;
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Separator, indentation and key before a value. */
static void lead(struct jw *w, const char *key)
{
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
	if (w->depth)
		fprintf(w->f, "\n%*s", (int)w->depth * 2, "");
	if (key) {
		put_string(w->f, key);
		fputs(": ", w->f);
	}
}

static void open_level(struct jw *w, const char *key, char c)
{
	lead(w, key);
	fputc(c, w->f);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_level(struct jw *w, char c)
{
	bool empty = w->first[w->depth];

	if (w->depth)
		w->depth--;
	if (!empty)
		fprintf(w->f, "\n%*s", (int)w->depth * 2, "");
	fputc(c, w->f);
	if (!w->depth)
		fputc('\n', w->f);
}

void jw_obj(struct jw *w, const char *key)
{
	open_level(w, key, '{');
}

void jw_arr(struct jw *w, const char *key)
{
	open_level(w, key, '[');
}

void jw_end_obj(struct jw *w)
{
	close_level(w, '}');
}

void jw_end_arr(struct jw *w)
{
	close_level(w, ']');
}

void jw_num(struct jw *w, const char *key, double v)
{
	lead(w, key);
	if (isfinite(v))
		fprintf(w->f, "%.6g", v);
	else
		fputs("null", w->f);
}

void jw_int(struct jw *w, const char *key, long long v)
{
	lead(w, key);
	fprintf(w->f, "%lld", v);
}

void jw_str(struct jw *w, const char *key, const char *s)
{
	lead(w, key);
	if (s)
		put_string(w->f, s);
	else
		fputs("null", w->f);
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	lead(w, key);
	fputs(v ? "true" : "false", w->f);
}

void jw_null(struct jw *w, const char *key)
{
	lead(w, key);
	fputs("null", w->f);
}

/* ---------------- reader ---------------- */

struct parser {
	const char *p;
	const char *start;
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct parser *ps, const char *what)
{
	if (!ps->failed)
		snprintf(ps->err, ps->errlen, "offset %zu: %s", (size_t)(ps->p - ps->start), what);
	ps->failed = true;
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Appends code point cp as UTF-8 to out (room for 4 bytes guaranteed by the caller). */
static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | (cp >> 12));
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* Parses a string at ps->p (on the opening quote). Returns malloc'ed text or NULL. */
static char *parse_string(struct parser *ps)
{
	const char *q = ++ps->p;
	size_t cap = 16, n = 0;
	char *out = malloc(cap);

	if (!out) {
		fail(ps, "out of memory");
		return NULL;
	}
	for (;;) {
		unsigned char c = (unsigned char)*q;

		if (n + 4 >= cap) {
			char *bigger = realloc(out, cap * 2);

			if (!bigger) {
				fail(ps, "out of memory");
				goto err;
			}
			out = bigger;
			cap *= 2;
		}
		if (c == '"')
			break;
		if (c < 0x20) {
			ps->p = q;
			fail(ps, "unterminated string or control character in string");
			goto err;
		}
		if (c != '\\') {
			out[n++] = (char)c;
			q++;
			continue;
		}
		q++;
		switch (*q) {
		case '"':
		case '\\':
		case '/':
			out[n++] = *q;
			break;
		case 'b':
			out[n++] = '\b';
			break;
		case 'f':
			out[n++] = '\f';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'u': {
			unsigned cp = 0;
			int k;

			for (k = 1; k <= 4; k++) {
				int h = hexval(q[k]);

				if (h < 0) {
					ps->p = q;
					fail(ps, "bad \\u escape");
					goto err;
				}
				cp = cp * 16 + (unsigned)h;
			}
			q += 4;
			/* Surrogates are kept as-is (3-byte form): enough for checking. */
			n += put_utf8(out + n, cp);
			break;
		}
		default:
			ps->p = q;
			fail(ps, "bad escape");
			goto err;
		}
		q++;
	}
	out[n] = '\0';
	ps->p = q + 1;
	return out;
err:
	free(out);
	return NULL;
}

static bool parse_number(struct parser *ps, double *out)
{
	const char *q = ps->p;
	char *end;

	/* The JSON grammar, stricter than strtod: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
	if (*q == '-')
		q++;
	if (*q == '0')
		q++;
	else if (*q >= '1' && *q <= '9')
		while (*q >= '0' && *q <= '9')
			q++;
	else
		return false;
	if (*q == '.') {
		q++;
		if (!(*q >= '0' && *q <= '9'))
			return false;
		while (*q >= '0' && *q <= '9')
			q++;
	}
	if (*q == 'e' || *q == 'E') {
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (!(*q >= '0' && *q <= '9'))
			return false;
		while (*q >= '0' && *q <= '9')
			q++;
	}
	*out = strtod(ps->p, &end);
	if (end != q)
		return false;
	ps->p = q;
	return true;
}

static struct json *parse_value(struct parser *ps, unsigned depth);

static bool literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(ps->p, word, n))
		return false;
	ps->p += n;
	return true;
}

/* Arrays and objects: children linked in order. */
static struct json *parse_container(struct parser *ps, unsigned depth, bool object)
{
	struct json *j = calloc(1, sizeof(*j)), **tail;
	char close = object ? '}' : ']';

	if (!j) {
		fail(ps, "out of memory");
		return NULL;
	}
	j->type = object ? JSON_OBJ : JSON_ARR;
	tail = &j->child;
	ps->p++;
	skip_ws(ps);
	if (*ps->p == close) {
		ps->p++;
		return j;
	}
	for (;;) {
		char *key = NULL;
		struct json *c;

		skip_ws(ps);
		if (object) {
			if (*ps->p != '"') {
				fail(ps, "expected a member name");
				goto err;
			}
			key = parse_string(ps);
			if (!key)
				goto err;
			skip_ws(ps);
			if (*ps->p != ':') {
				free(key);
				fail(ps, "expected ':'");
				goto err;
			}
			ps->p++;
		}
		c = parse_value(ps, depth + 1);
		if (!c) {
			free(key);
			goto err;
		}
		c->key = key;
		*tail = c;
		tail = &c->next;
		j->n++;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close) {
			ps->p++;
			return j;
		}
		fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
		goto err;
	}
err:
	json_free(j);
	return NULL;
}

static struct json *parse_value(struct parser *ps, unsigned depth)
{
	struct json *j;

	if (depth > JSON_MAX_DEPTH) {
		fail(ps, "nested too deeply");
		return NULL;
	}
	skip_ws(ps);
	if (*ps->p == '{' || *ps->p == '[')
		return parse_container(ps, depth, *ps->p == '{');
	j = calloc(1, sizeof(*j));
	if (!j) {
		fail(ps, "out of memory");
		return NULL;
	}
	if (*ps->p == '"') {
		j->type = JSON_STR;
		j->str = parse_string(ps);
		if (!j->str)
			goto err;
	} else if (literal(ps, "true") || literal(ps, "false")) {
		j->type = JSON_BOOL;
		j->b = ps->p[-1] == 'e' && ps->p[-2] == 'u';
	} else if (literal(ps, "null")) {
		j->type = JSON_NULL;
	} else if (parse_number(ps, &j->num)) {
		j->type = JSON_NUM;
	} else {
		fail(ps, "expected a value");
		goto err;
	}
	return j;
err:
	free(j);
	return NULL;
}

struct json *json_parse(const char *text, char *err, size_t errlen)
{
	struct parser ps = {.p = text, .start = text, .err = err, .errlen = errlen};
	struct json *j = parse_value(&ps, 0);

	if (j) {
		skip_ws(&ps);
		if (*ps.p) {
			fail(&ps, "trailing characters after the value");
			json_free(j);
			j = NULL;
		}
	}
	if (!j)
		errno = EINVAL;
	return j;
}

void json_free(struct json *j)
{
	while (j) {
		struct json *next = j->next;

		json_free(j->child);
		free(j->str);
		free(j->key);
		free(j);
		j = next;
	}
}

const struct json *json_get(const struct json *j, const char *key)
{
	const struct json *c;

	if (!j || j->type != JSON_OBJ)
		return NULL;
	for (c = j->child; c; c = c->next) {
		if (!strcmp(c->key, key))
			return c;
	}
	return NULL;
}

const struct json *json_at(const struct json *j, size_t i)
{
	const struct json *c;

	if (!j || j->type != JSON_ARR)
		return NULL;
	for (c = j->child; c && i; c = c->next)
		i--;
	return c;
}

bool json_get_num(const struct json *j, const char *key, double *out)
{
	const struct json *c = json_get(j, key);

	if (!c || c->type != JSON_NUM)
		return false;
	*out = c->num;
	return true;
}
