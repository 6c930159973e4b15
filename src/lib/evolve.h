/* evolve.h: schema evolution — a date's files (their Snowflake types by the map of schema.h)
 * against the target table's columns (DESC TABLE), every difference classified, and the
 * ALTER TABLE statements that bring the table to the files where Snowflake can do so in place.
 * The rules are documented in sf-copy(1). */
#ifndef DBX2SF_EVOLVE_H
#define DBX2SF_EVOLVE_H

#include <stddef.h>

#include <jansson.h>

enum evolve_change {
	EVOLVE_SAME,		/* the same type, or the file's fits the table's: no difference */
	EVOLVE_ADDED,		/* in the files, not in the table */
	EVOLVE_DROPPED,		/* in the table, not in the files */
	EVOLVE_WIDENED,		/* ALTER COLUMN … SET DATA TYPE widens the table's in place */
	EVOLVE_RENAMED,		/* the same column but for the case of its name */
	EVOLVE_NARROWED,	/* the same family; the table cannot hold it, nor be widened to */
	EVOLVE_INCOMPATIBLE	/* different type families */
};

/* "same", "added", "dropped", "widened", "renamed", "narrowed", "incompatible". */
const char *evolve_change_name(enum evolve_change);

/* A file's Snowflake type (as schema_sf_type prints it) against a table's (as DESC TABLE prints
 * it, aliases understood): SAME, WIDENED (the file's type is the one to set), NARROWED or
 * INCOMPATIBLE. */
enum evolve_change evolve_type_change(const char *file_type, const char *table_type);

struct evolve_diff {
	enum evolve_change change;	/* never SAME */
	char *column;		/* the file's name; dropped: the table's */
	char *table_column;	/* the table's name; NULL when added */
	char *file_type;	/* NULL when dropped */
	char *table_type;	/* NULL when added */
};

struct evolve {
	struct evolve_diff *diff;
	size_t ndiff;
	int stops;		/* a narrowed or incompatible column: no setting loads it */
	int alters;		/* added or widened columns: -e add alters the table */
};

/*
 * Classifies the files' schema (s3-ls-parquet's schema[]) against the table's columns (DESC
 * TABLE rows: objects with "name" and "type"; rows whose "kind" is not COLUMN are skipped).
 * The partition column part_col (may be NULL) is never dropped. A column with a different
 * type under a case-only rename is classified by its type, its table_column naming the
 * table's. Fills e (zero it first); 0, or -1 with err set (a malformed row, an unmapped type).
 */
int evolve_compare(struct evolve *e, const json_t *schema, const json_t *table_cols, const char *part_col,
    char *err, size_t errlen);

/* The statements -e add runs before the load: ALTER TABLE … ADD COLUMN IF NOT EXISTS for each
 * added column, ALTER TABLE … ALTER COLUMN … SET DATA TYPE for each widened one; one a line,
 * each ending in ";\n". "" when there are none. NULL with err set. */
char *evolve_sql(const struct evolve *e, const char *table, char *err, size_t errlen);

/* The table's column each case-only renamed file column loads into ({"Fare": "fare"}), or
 * NULL when none is renamed. The caller releases it. */
json_t *evolve_renames(const struct evolve *e);

void evolve_free(struct evolve *);

#endif
