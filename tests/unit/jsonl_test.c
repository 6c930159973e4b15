/* jsonl_test.c: the one JSON string escaper and the one 2^53 rule. */
#include <stdlib.h>

#include "jsonl.h"
#include "t.h"

static const char *
str(struct buf *b, const char *s, size_t n)
{
	buf_reset(b);
	jsonl_str_append(b, s, n);
	return b->p;
}

static const char *
num(struct buf *b, const char *s)
{
	buf_reset(b);
	if (jsonl_int_append(b, s, strlen(s)) != 0)
		buf_addstr(b, "REFUSED");
	return b->p;
}

int
main(void)
{
	struct buf b = {0};
	json_t *v;
	char *t;

	T_STREQ(str(&b, "plain", 5), "\"plain\"");
	T_STREQ(str(&b, "", 0), "\"\"");
	T_STREQ(str(&b, "q\"b\\s/", 6), "\"q\\\"b\\\\s/\"");
	T_STREQ(str(&b, "\n\r\t\b\f", 5), "\"\\n\\r\\t\\u0008\\u000c\"");
	T_STREQ(str(&b, "a\0b", 3), "\"a\\u0000b\"");
	T_STREQ(str(&b, "\x01\x1f", 2), "\"\\u0001\\u001f\"");
	T_STREQ(str(&b, "del\x7f.", 5), "\"del\\u007f.\"");
	T_STREQ(str(&b, "caf\xc3\xa9 \xe2\x82\xac", 9), "\"caf\xc3\xa9 \xe2\x82\xac\"");
	T_STREQ(str(&b, "~ ", 2), "\"~ \"");
	/* Whatever it writes, a JSON reader reads back the same bytes. */
	str(&b, "x\x7f\x01\"\\\xc3\xa9", 7);
	v = json_loads(b.p, JSON_DECODE_ANY, NULL);
	T_CHECK(v && json_string_length(v) == 7 && memcmp(json_string_value(v), "x\x7f\x01\"\\\xc3\xa9", 7) == 0,
	    "round trip through jansson");
	json_decref(v);

	T_CHECK(jsonl_int_exact(9007199254740992LL), "2^53 exact");
	T_CHECK(jsonl_int_exact(-9007199254740992LL), "-2^53 exact");
	T_CHECK(!jsonl_int_exact(9007199254740993LL), "2^53+1 not");
	T_CHECK(!jsonl_int_exact(-9007199254740993LL), "-2^53-1 not");
	T_CHECK(!jsonl_int_exact(-9223372036854775807LL - 1), "LLONG_MIN not");
	T_CHECK(jsonl_int_exact(0), "0 exact");
	T_CHECK(jsonl_text_exact("00009007199254740992", 20), "leading zeros do not count");
	T_CHECK(!jsonl_text_exact("+9007199254740993", 17), "sign then past the bound");
	T_CHECK(!jsonl_text_exact("123456789012345678901234567890", 30), "long text");

	T_STREQ(num(&b, "42"), "42");
	T_STREQ(num(&b, "-42"), "-42");
	T_STREQ(num(&b, "+42"), "42");
	T_STREQ(num(&b, "007"), "7");
	T_STREQ(num(&b, "-0"), "0");
	T_STREQ(num(&b, "0"), "0");
	T_STREQ(num(&b, "9007199254740992"), "9007199254740992");
	T_STREQ(num(&b, "9007199254740993"), "\"9007199254740993\"");
	T_STREQ(num(&b, "-9007199254740993"), "\"-9007199254740993\"");
	T_STREQ(num(&b, "99999999999999999999999999"), "\"99999999999999999999999999\"");
	T_STREQ(num(&b, ""), "REFUSED");
	T_STREQ(num(&b, "-"), "REFUSED");
	T_STREQ(num(&b, "1.5"), "REFUSED");
	T_STREQ(num(&b, "1e3"), "REFUSED");
	T_STREQ(num(&b, " 1"), "REFUSED");

	v = jsonl_int(9007199254740993LL);
	T_CHECK(json_is_string(v) && strcmp(json_string_value(v), "9007199254740993") == 0, "jsonl_int past 2^53");
	json_decref(v);
	v = jsonl_int(-9007199254740992LL);
	t = json_dumps(v, JSON_ENCODE_ANY);
	T_STREQ(t, "-9007199254740992");
	free(t);
	json_decref(v);
	buf_free(&b);
	T_DONE();
}
