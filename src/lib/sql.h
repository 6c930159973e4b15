/* sql.h: the SQL text dbx2sf writes: identifiers and literals quoted for Snowflake and Spark,
 * and the checks applied to every value that goes into SQL text. */
#ifndef DBX2SF_SQL_H
#define DBX2SF_SQL_H

#include "util.h"

enum sql_dialect { SQL_SNOWFLAKE, SQL_SPARK };

/* 1 if s is a plain identifier: a letter or '_', then letters, digits, '_' or '$' (Snowflake)
 * / letters, digits, '_' (Spark), at most 255 bytes. */
int sql_ident_plain(const char *s, enum sql_dialect);

/* 1 if s is a dotted name of 1 to 3 plain identifiers (db.schema.table, catalog.schema.table). */
int sql_name_valid(const char *s, enum sql_dialect);

/* Appends s as a quoted identifier: "s" with "" doubled (Snowflake, case kept exactly), `s` with
 * `` doubled (Spark). Refuses (returns -1, appends nothing) NUL-free strings with control bytes. */
int sql_quote_ident(struct buf *, const char *s, enum sql_dialect);

/* sql_quote_ident for a name the caller has already checked with sql_has_control: a name with
 * control bytes after all (a caller's bug) is written as the identifier "?", which no query
 * resolves, rather than spliced in. */
void sql_ident(struct buf *, const char *s, enum sql_dialect);

/* Appends a dotted name after checking it with sql_name_valid (-1, nothing appended, if not).
 * The parts are plain identifiers, written unquoted so that the engine's own case rules apply
 * (Snowflake reads trips as TRIPS, as its users expect). */
int sql_quote_name(struct buf *, const char *s, enum sql_dialect);

/* Appends s as a string literal: '…' with ' doubled and \ doubled (both engines read backslash
 * escapes in literals). -1 (nothing appended) for control bytes. */
int sql_quote_string(struct buf *, const char *s);

/* 1 if s holds a control byte (below 0x20, or DEL): never spliced into SQL text. */
int sql_has_control(const char *s);

/* 1 if s is a real calendar date YYYY-MM-DD (leap years checked). */
int sql_date_valid(const char *s);

#endif
