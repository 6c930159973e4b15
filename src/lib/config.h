/* config.h: readers for the configuration files of the ecosystems dbx2sf talks to. Each call
 * streams over the file once and keeps no state between calls.
 *
 * INI, as the AWS CLI/SDKs (~/.aws/credentials "[name]", ~/.aws/config "[profile name]",
 * "[default]") and the Databricks CLI/SDKs (~/.databrickscfg "[PROFILE]", "[DEFAULT]") read it
 * (both through Python's configparser):
 *   - "[section]" headers; the name between the brackets is trimmed and compared exactly
 *     (section names are case-sensitive);
 *   - "key = value" or "key: value"; key and value trimmed of blanks; keys compared
 *     case-insensitively (configparser lower-cases them); quotes are not removed and there are
 *     no inline comments (a '#' after a value is part of the value);
 *   - lines starting with '#' or ';' (after blanks) are comments;
 *   - an indented line after a key continues that key's value (joined with '\n'), as in the
 *     AWS config's nested "s3 =\n  max_concurrent_requests = 10"; such lines are never keys;
 *   - keys before the first header and lines that are none of the above are ignored;
 *   - when a section or key occurs twice, the first occurrence wins.
 *
 * TOML, the subset that Snowflake CLI's connections.toml and config.toml use:
 *   - tables "[a]", "[a.b]", "[connections.\"quoted name\"]", "['literal']"; keys bare
 *     (A-Za-z0-9_-), "basic" or 'literal' quoted, dotted ("a.b = 1");
 *   - values: "basic strings" with the escapes \b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX,
 *     'literal strings', integers ([+-] digits, '_' between digits, 0x/0o/0b), true/false;
 *   - '#' comments, whole-line or after a value; blank lines; a UTF-8 BOM; CRLF line ends.
 *   Anything else (multi-line strings, floats, dates, arrays, inline tables, [[arrays of
 *   tables]]) is an error naming file:line, as is malformed syntax. Because the file is
 *   streamed, errors after the key that was found are not reported.
 *   A table is named by its parts joined with '.', unquoted: [connections."my conn"] is
 *   "connections.my conn"; "" is the top level (before any header). Keys are case-sensitive.
 */
#ifndef DBX2SF_CONFIG_H
#define DBX2SF_CONFIG_H

#include <stddef.h>

/* The value of key in [section] of the INI file path, malloc'd; NULL when the file, the section
 * or the key is absent (or the file cannot be read). */
char *ini_get(const char *path, const char *section, const char *key);

/* 1 if the INI file path has a [section] header, else 0 (also when it cannot be read). */
int ini_has_section(const char *path, const char *section);

/* Look key up in table of the TOML file path. 0: found, *out is the value as text (strings
 * unescaped, integers and booleans as written), malloc'd. 1: not found (or no such file; *out
 * untouched). -1: error, err holds one line "path:line: reason" (or "path: reason"). */
int toml_get(const char *path, const char *table, const char *key, char **out,
    char *err, size_t errlen);

/* 1 if path has no group or other permission bits (what Snowflake CLI demands of key and
 * config files), 0 if it has some, -1 if it cannot be stat'ed. */
int file_private(const char *path);

#endif
