/* s3.h: the few S3 calls dbx2sf makes, over http.c and SigV4 from aws.c. */
#ifndef DBX2SF_S3_H
#define DBX2SF_S3_H

#include "aws.h"
#include "http.h"

struct s3 {
	struct aws_creds creds;
	char *endpoint;		/* scheme://host[:port], no trailing slash */
	int path_style;		/* bucket in the path, not in the host name */
	int endpoint_custom;	/* AWS_ENDPOINT_URL[_S3]: kept when the region changes */
};

struct s3_object {
	char *key;
	char *etag;		/* without the quotes */
	char *last_modified;
	long long size;
};

struct s3_page {
	struct s3_object *obj;
	size_t n;
	char *next_token;	/* NULL on the last page */
};

/* Credentials, region and endpoint from the usual AWS sources. 0, or a sysexits code with err set. */
int s3_open(struct s3 *, char *err, size_t errlen);
void s3_close(struct s3 *);

/* Splits "s3://bucket/prefix" into malloc'd parts; -1 if it is not such a URL. */
int s3_url_parse(const char *url, char **bucket, char **prefix);

/* The request URL of an object (key percent-encoded, '/' kept) or of a bucket (key NULL). */
char *s3_request_url(const struct s3 *, const char *bucket, const char *key, const char *query);

/* Signed headers for a request; extra may be NULL and is not freed. */
struct curl_slist *s3_sign(const struct s3 *, const char *method, const char *url,
    struct curl_slist *extra, const void *body, size_t bodylen);

/* One ListObjectsV2 page (up to 1000 keys), fetched through pool (ahead of the requests
 * waiting there), keys exactly as stored: decoded only when the response says
 * <EncodingType>url</EncodingType>. A bucket in another region is followed once, as the AWS CLI
 * does: the connection is switched to that region (s3_region_set) and the page asked again,
 * said on stderr with -v. done runs from the pool with 0 and the page, which it owns (frees
 * with s3_page_free), or a sysexits code and a one-line err (EX_CONFIG for a wrong region that
 * cannot be followed). */
typedef void (*s3_list_fn)(int rc, struct s3_page *, const char *err, void *arg);
void s3_list_page_add(struct s3 *, struct http_pool *, const char *bucket, const char *prefix,
    const char *token, s3_list_fn done, void *arg);
void s3_page_free(struct s3_page *);

/* The region S3 names in an answer to a request signed for the wrong one, as botocore's
 * S3RegionRedirectorv2 reads it: a 301/307, PermanentRedirect, AuthorizationHeaderMalformed or
 * IllegalLocationConstraintException, with the region in x-amz-bucket-region or else in the
 * body's <Region>. Malloc'd; NULL when the answer is not such, or names no plausible region. */
char *s3_redirect_region_dup(const struct http_resp *);

/* Sign for region from now on; AWS's own endpoint moves to that region, a custom one stays. */
void s3_region_set(struct s3 *, const char *region);

/* For a response that is not a success: "Code: Message" from S3's XML error body and the exit
 * code it deserves (66 no such bucket/key, 77 refused, 76 anything unexpected). */
int s3_error(const struct http_resp *, const char *what, char *err, size_t errlen);

/* The inner text of the first <tag>…</tag> in [p, end), entities decoded; NULL if absent.
 * *next, if given, is set past the closing tag. */
char *xml_text(const char *p, const char *end, const char *tag, const char **next);

#endif
