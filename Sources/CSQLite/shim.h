#include <sqlite3.h>

/* sqlite3_config is variadic, which Swift does not import. Turns SQLite's memory statistics off: with them on
   (the default), every allocation SQLite makes takes a process-wide mutex. It must run before SQLite initializes
   (before the first connection opens); afterwards it returns SQLITE_MISUSE and changes nothing. */
static inline int farmiq_sqlite3_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
