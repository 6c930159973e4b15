/* s3_test.c: which answers name the bucket's region, and what following one changes. */
#include <stdlib.h>
#include <string.h>

#include "s3.h"
#include "t.h"

static char *
region_of(long status, const char *header, const char *body)
{
	struct http_resp r = {0};
	char *region;

	r.status = status;
	r.amz_bucket_region = header ? estrdup(header) : NULL;
	if (body)
		buf_addstr(&r.body, body);
	region = s3_redirect_region_dup(&r);
	http_resp_free(&r);
	return region;
}

int
main(void)
{
	struct s3 s = {0};
	char *g;

	T_STREQ(g = region_of(301, "eu-west-1", "<Error><Code>PermanentRedirect</Code></Error>"), "eu-west-1");
	free(g);
	T_STREQ(g = region_of(301, "ap-south-2", NULL), "ap-south-2");		/* HEAD: no body */
	free(g);
	T_STREQ(g = region_of(400, NULL, "<Error><Code>AuthorizationHeaderMalformed</Code><Message>m"
	    "</Message><Region>eu-central-1</Region></Error>"), "eu-central-1");
	free(g);
	T_STREQ(g = region_of(400, "me-south-1", "<Error><Code>IllegalLocationConstraintException</Code>"
	    "</Error>"), "me-south-1");
	free(g);
	/* No region named, or not a redirect, or not a plausible region: not followed. */
	T_CHECK(!(g = region_of(301, NULL, "<Error><Code>PermanentRedirect</Code></Error>")), "%s", g);
	T_CHECK(!(g = region_of(403, "eu-west-1", "<Error><Code>AccessDenied</Code></Error>")), "%s", g);
	T_CHECK(!(g = region_of(400, NULL, "<Error><Code>AuthorizationHeaderMalformed</Code></Error>")), "%s", g);
	T_CHECK(!(g = region_of(301, "evil.example/x", NULL)), "%s", g);
	T_CHECK(!(g = region_of(301, "", NULL)), "%s", g);

	/* AWS's own endpoint moves with the region; a custom one stays. */
	s.creds.region = estrdup("us-east-1");
	s.endpoint = estrdup("https://s3.us-east-1.amazonaws.com");
	s3_region_set(&s, "eu-west-1");
	T_STREQ(s.creds.region, "eu-west-1");
	T_STREQ(s.endpoint, "https://s3.eu-west-1.amazonaws.com");
	g = s3_request_url(&s, "b", "k/a+b.parquet", NULL);
	T_STREQ(g, "https://b.s3.eu-west-1.amazonaws.com/k/a%2Bb.parquet");
	free(g);
	free(s.endpoint);
	s.endpoint = estrdup("http://127.0.0.1:9000");
	s.path_style = s.endpoint_custom = 1;
	s3_region_set(&s, "ap-south-2");
	T_STREQ(s.creds.region, "ap-south-2");
	T_STREQ(s.endpoint, "http://127.0.0.1:9000");
	s3_close(&s);
	T_DONE();
}
