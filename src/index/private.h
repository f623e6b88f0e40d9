/*
 * index: declarations shared by the files of src/index and its unit tests.
 * Nothing outside src/index (tests aside) includes this header.
 */
#ifndef QUAIL_INDEX_PRIVATE_H
#define QUAIL_INDEX_PRIVATE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

/* PRAGMA application_id of a quail index ("quai"), and PRAGMA user_version:
 * the schema version. A file with other values is not trusted. */
#define INDEX_APPLICATION_ID 0x71756169
#define INDEX_SCHEMA_VERSION 1

/* Opens (creating when missing) the index database at path: registers the
 * "quail" FTS5 tokenizer, sets WAL and busy_timeout, and applies the schema
 * (schema.c). A file that is not a quail index, has another schema
 * version, or fails to open or PRAGMA quick_check is renamed aside to
 * "PATH.bad" (with its -wal and -shm files) and a new one is created.
 * On success *db is an open connection owned by the caller
 * (sqlite3_close). Returns 0, or -1 with QU_E_IOERR (the file cannot be
 * created, or even a fresh one cannot be opened). */
int index_db_open_path(const char *path, sqlite3 **db, struct qu_err *err);

/* Like index_db_open_path; quick_check false skips PRAGMA quick_check
 * (it reads the whole file, too slow for every run); *rebuilt is set true
 * when an existing file was moved aside (may be NULL). */
int index_db_open_opts(const char *path, bool quick_check, sqlite3 **db, bool *rebuilt,
	struct qu_err *err);

/* Runs sql (one or more statements without results). Returns 0, or -1 with
 * QU_E_IOERR and SQLite's message. */
int index_db_exec(sqlite3 *db, const char *sql, struct qu_err *err);

/* Sets err from db's last error: QU_E_IOERR "what: sqlite message".
 * Returns -1. */
int index_db_err(sqlite3 *db, struct qu_err *err, const char *what);

/* ---- tokenizer (tokenize.c) ------------------------------------------ */

/* Registers the FTS5 tokenizer "quail" on db (see tokenize.c). Returns 0,
 * or -1 with QU_E_SOFTWARE when SQLite has no FTS5. */
int index_tokenizer_register(sqlite3 *db, struct qu_err *err);

/* True for the code points tokenized as CJK bigrams: Han, Hiragana,
 * Katakana, Hangul. */
bool index_is_cjk(uint32_t c);

#endif
