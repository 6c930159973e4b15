/* jsonl.h: JSON lines in and out, one object a line. */
#ifndef DBX2SF_JSONL_H
#define DBX2SF_JSONL_H

#include <stdio.h>
#include <jansson.h>

/* Writes v compactly, keys in insertion order, and a newline to stdout; dies on a write error
 * (a closed pipe downstream ends the tool quietly). Does not take the reference. */
void jsonl_print(const json_t *v);

/* Reads the next non-blank line of f as one JSON object. NULL at end of input; dies with
 * "name:line: reason" (EX_DATAERR) on a line that is not a JSON object. */
json_t *jsonl_read(FILE *f, const char *name, size_t *lineno);

/* The string value of o[key], or NULL when absent or not a string. */
const char *json_str(const json_t *o, const char *key);

/* Number fields that may exceed 2^53 (jq 1.6 rounds them): a JSON integer when exact in a
 * double, else a decimal string. */
json_t *jsonl_int(long long v);

#endif
