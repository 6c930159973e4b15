/* util.h: the small shared helpers every dbx2sf tool uses. */
#ifndef DBX2SF_UTIL_H
#define DBX2SF_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <sysexits.h>

/* Exit status 1: a check failed (parity difference, file not loaded). */
#define EX_CHECK 1

extern char *argv0;	/* the tool's name, set by setprogname() from main */
extern int verbose;	/* -v: progress lines on stderr */

/* Names the tool for diagnostics, and sets the one SIGPIPE policy of every tool: SIGPIPE is
 * ignored (libcurl needs that too), so a reader that went away shows up as EPIPE on a write to
 * standard output, which stdout_fail() turns into a quiet exit 74. */
void setprogname(const char *);

/* Standard output. stdout_fail() is for a write to it that failed: EPIPE (the reader is gone,
 * as with "| head -1") exits 74 quietly; any other error prints "tool: <stdout>: reason" and
 * exits 74 (EX_IOERR). stdout_close() ends every tool: flush, check ferror, fclose, and
 * stdout_fail() on any error, so a write error is never a success (sbase's fshut). */
void stdout_fail(void) __attribute__((noreturn));
void stdout_close(void);

/* Diagnostics: "tool: message\n" on stderr. die() exits with the given sysexits code. */
void die(int, const char *, ...) __attribute__((noreturn, format(printf, 2, 3)));
void warnmsg(const char *, ...) __attribute__((format(printf, 1, 2)));
void progress(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Allocation that dies cleanly (exit 71, EX_OSERR) instead of returning NULL. */
void *emalloc(size_t);
void *ecalloc(size_t, size_t);
void *erealloc(void *, size_t);
char *estrdup(const char *);
char *estrndup(const char *, size_t);
char *esprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Writes a one-line reason into err (for library calls that report rather than die); returns -1. */
int errf(char *err, size_t errlen, const char *, ...) __attribute__((format(printf, 3, 4)));

/* Sizes in bytes: decimal digits with an optional K, M or G (powers of 1024) and an optional
 * B: "52428800", "200M", "1GB", "0". Stores the value in *v and returns 0, or returns -1 with
 * *why set to a reason ("empty", "not a size", "too large"); nothing else is stored then. With
 * end NULL the whole string must be the size; else parsing stops after it and *end points at
 * what follows (for ranges such as 100M-250M). A sign, blanks or junk are not a size. */
int size_parse(const char *s, long long *v, const char **end, const char **why);
/* The same, dying "flag s: not a size[: reason] (bytes, or with K, M, G)" with EX_USAGE (for
 * main's option parsing). */
long long esize_parse(const char *s, const char *flag);

/* The whole of a file ("-": standard input), NUL-terminated; *len (if given) its length. Dies
 * naming the file: EX_NOINPUT when it cannot be opened, EX_IOERR on a read error. */
char *slurp(const char *path, size_t *len);

/* Percent-encoding as RFC 3986 (and SigV4) wants it: A-Z a-z 0-9 - _ . ~ kept, every other
 * byte %XX in upper-case hex; '/' kept unless encode_slash. Malloc'd. */
char *urlencode(const char *s, int encode_slash);
char *decimal_plain_dup(const char *s);

/* A growable byte buffer; p is always NUL-terminated so text can be used as a string. */
struct buf {
	char *p;
	size_t len, cap;
};
void buf_add(struct buf *, const void *, size_t);
void buf_addstr(struct buf *, const char *);
void buf_printf(struct buf *, const char *, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *, const char *, va_list) __attribute__((format(printf, 2, 0)));
void buf_reset(struct buf *);
void buf_free(struct buf *);

/* ---- the stop flag ----
 * stop_signals_catch() makes SIGINT and SIGTERM set stop_requested to the signal's number (no
 * SA_RESTART: a sleep ends at once); a second signal exits 128 + signal at once. Library code
 * that waits on a service checks the flag, cancels what it started there and returns
 * STOP_INTERRUPTED; main then exits 128 + stop_requested. */
#include <signal.h>
#define STOP_INTERRUPTED (-1)
extern volatile sig_atomic_t stop_requested;
void stop_signals_catch(void);
/* The exit status for a library's return code: 128 + signal for STOP_INTERRUPTED, else rc. */
int stop_status(int rc);

#endif
