/* jsonl.h: JSON lines in and out, one object a line. */
#ifndef DBX2SF_JSONL_H
#define DBX2SF_JSONL_H

#include <stdio.h>
#include <jansson.h>

#include "util.h"

/* Writes v compactly, keys in insertion order, and a newline to stdout; on a write error
 * stdout_fail() (a closed pipe downstream ends the tool quietly). Does not take the reference. */
void jsonl_print(const json_t *v);

/* Reads the next non-blank line of f as one JSON object. NULL at end of input; dies with
 * "name:line: reason" (EX_DATAERR) on a line that is not a JSON object. */
json_t *jsonl_read(FILE *f, const char *name, size_t *lineno);

/* The string value of o[key], or NULL when absent or not a string. */
const char *json_str(const json_t *o, const char *key);

/* The one rule for integers in our output: jq 1.6 reads numbers as doubles, so an integer is
 * written as a JSON number only when a double holds it exactly (|v| <= 2^53), else as a decimal
 * string. jsonl_int_exact and jsonl_text_exact say whether v (integer text [-+]digits, leading
 * zeros allowed) is within the bound. */
int jsonl_int_exact(long long v);
int jsonl_text_exact(const char *s, size_t n);

/* v as a JSON integer or, beyond 2^53, a decimal string. */
json_t *jsonl_int(long long v);

/* Appends integer text [-+]digits by the rule: a JSON number (written canonically: no '+', no
 * leading zeros) or, beyond 2^53, the text as a JSON string. -1 (nothing appended) if s[0..n)
 * is not integer text. */
int jsonl_int_append(struct buf *, const char *s, size_t n);

/* Appends s[0..n) (UTF-8, may hold NULs) as a JSON string. The one escaper: " and \ escaped,
 * \n \r \t by their short forms, every other control byte (below 0x20, and DEL) as \u00XX,
 * as jq and Python write them; the rest is copied. */
void jsonl_str_append(struct buf *, const char *s, size_t n);

#endif
