/* A table's rows fetched from SQLite itself, as sqlite3's cursor fetches
 * them (`TableFetcher`), for `formats/sqlite_generic.batches`.
 *
 * Why: `perf` on a whole read of the 1M-row table of
 * `bench/bench_sqlite.py` (`cli.load`, 2026-12-05) put a quarter of its
 * time in locks around each row and cell: sqlite3 gives the GIL back and
 * takes it again around each row's step, and its connections are
 * serialized, so SQLite takes its own mutex around each cell read. Here
 * the rows are stepped on a connection opened without SQLite's mutexes
 * (`SQLITE_OPEN_NOMUTEX`; one thread at a time uses it, and the GIL is
 * held throughout), and the GIL is kept for a whole batch.
 *
 * The rows are the tuples sqlite3 makes, cell for cell: INTEGER an int,
 * REAL a float, TEXT a str (strict UTF-8: a cell that is not raises
 * UnicodeDecodeError, as sqlite3 does, and `batches` reads on in Python),
 * BLOB bytes, NULL None.
 *
 * SQLite is the library the process has (the one Python's sqlite3 loaded,
 * where it is shared), found by name at run time: its header is not
 * needed to build, and where it cannot be found, opened or asked the
 * query, the constructor or `execute` raise and Python fetches as before.
 * Included by `_fastindex.c`. */

#ifndef _WIN32
#include <dlfcn.h>
#endif

/* SQLite's own declarations (sqlite3.h), those used here: a stable ABI. */
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
enum { SQL_OK = 0, SQL_ROW = 100, SQL_DONE = 101 };
enum { SQL_INTEGER = 1, SQL_FLOAT = 2, SQL_TEXT = 3, SQL_BLOB = 4, SQL_NULL = 5 };
enum { SQL_OPEN_READONLY = 0x1, SQL_OPEN_URI = 0x40, SQL_OPEN_NOMUTEX = 0x8000 };
#define SQL_TRANSIENT ((void (*)(void *))-1)

static struct {
    int looked, found;
    int (*open_v2)(const char *, sqlite3 **, int, const char *);
    int (*close_v2)(sqlite3 *);
    int (*busy_timeout)(sqlite3 *, int);
    const char *(*errmsg)(sqlite3 *);
    int (*prepare_v2)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
    int (*finalize)(sqlite3_stmt *);
    int (*reset)(sqlite3_stmt *);
    int (*clear_bindings)(sqlite3_stmt *);
    int (*bind_int64)(sqlite3_stmt *, int, long long);
    int (*bind_double)(sqlite3_stmt *, int, double);
    int (*bind_null)(sqlite3_stmt *, int);
    int (*bind_text)(sqlite3_stmt *, int, const char *, int, void (*)(void *));
    int (*bind_blob)(sqlite3_stmt *, int, const void *, int, void (*)(void *));
    int (*bind_parameter_count)(sqlite3_stmt *);
    int (*step)(sqlite3_stmt *);
    int (*column_count)(sqlite3_stmt *);
    int (*column_type)(sqlite3_stmt *, int);
    long long (*column_int64)(sqlite3_stmt *, int);
    double (*column_double)(sqlite3_stmt *, int);
    const unsigned char *(*column_text)(sqlite3_stmt *, int);
    const void *(*column_blob)(sqlite3_stmt *, int);
    int (*column_bytes)(sqlite3_stmt *, int);
} SQL;

/* SQLite's calls looked up in the library the process has: 1 if found. */
static int sql_found(void) {
#ifndef _WIN32
    static const char *const names[] = {"libsqlite3.so.0", "libsqlite3.so", "libsqlite3.dylib",
                                        "/usr/lib/libsqlite3.dylib", NULL};
    void *lib = NULL;
    if (SQL.looked) return SQL.found;
    SQL.looked = 1;
    /* (the one already loaded by Python's sqlite3 first, where it is shared) */
    for (int i = 0; lib == NULL && names[i] != NULL; i++) lib = dlopen(names[i], RTLD_NOW | RTLD_NOLOAD);
    for (int i = 0; lib == NULL && names[i] != NULL; i++) lib = dlopen(names[i], RTLD_NOW);
    if (lib == NULL) return 0;
#define SQL_LOOK(field, name) if ((*(void **)&SQL.field = dlsym(lib, name)) == NULL) return 0;
    SQL_LOOK(open_v2, "sqlite3_open_v2") SQL_LOOK(close_v2, "sqlite3_close_v2")
    SQL_LOOK(busy_timeout, "sqlite3_busy_timeout") SQL_LOOK(errmsg, "sqlite3_errmsg")
    SQL_LOOK(prepare_v2, "sqlite3_prepare_v2") SQL_LOOK(finalize, "sqlite3_finalize")
    SQL_LOOK(reset, "sqlite3_reset") SQL_LOOK(clear_bindings, "sqlite3_clear_bindings")
    SQL_LOOK(bind_int64, "sqlite3_bind_int64") SQL_LOOK(bind_double, "sqlite3_bind_double")
    SQL_LOOK(bind_null, "sqlite3_bind_null") SQL_LOOK(bind_text, "sqlite3_bind_text")
    SQL_LOOK(bind_blob, "sqlite3_bind_blob") SQL_LOOK(bind_parameter_count, "sqlite3_bind_parameter_count")
    SQL_LOOK(step, "sqlite3_step") SQL_LOOK(column_count, "sqlite3_column_count")
    SQL_LOOK(column_type, "sqlite3_column_type") SQL_LOOK(column_int64, "sqlite3_column_int64")
    SQL_LOOK(column_double, "sqlite3_column_double") SQL_LOOK(column_text, "sqlite3_column_text")
    SQL_LOOK(column_blob, "sqlite3_column_blob") SQL_LOOK(column_bytes, "sqlite3_column_bytes")
#undef SQL_LOOK
    SQL.found = 1;
#endif
    return SQL.found;
}

typedef struct {
    PyObject_HEAD
    sqlite3 *db;
    sqlite3_stmt *stmt; /* the last query asked, kept to be asked again */
    PyObject *sql;      /* its text */
    int done;           /* it has given its last row */
} TableFetcher;

static PyTypeObject TableFetcherType;

static PyObject *fetch_error(TableFetcher *f) {
    PyErr_Format(PyExc_RuntimeError, "SQLite: %s", f->db ? SQL.errmsg(f->db) : "closed");
    return NULL;
}

static int TableFetcher_init(TableFetcher *self, PyObject *args, PyObject *kwds) {
    const char *uri;
    int timeout_ms = 1000;
    static char *keywords[] = {"uri", "timeout_ms", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "s|i", keywords, &uri, &timeout_ms)) return -1;
    if (self->db != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "already open");
        return -1;
    }
    if (!sql_found()) {
        PyErr_SetString(PyExc_OSError, "SQLite's library was not found");
        return -1;
    }
    if (SQL.open_v2(uri, &self->db, SQL_OPEN_READONLY | SQL_OPEN_URI | SQL_OPEN_NOMUTEX, NULL) != SQL_OK) {
        PyErr_Format(PyExc_OSError, "SQLite cannot open %s: %s", uri, self->db ? SQL.errmsg(self->db) : "no memory");
        if (self->db != NULL) SQL.close_v2(self->db);
        self->db = NULL;
        return -1;
    }
    SQL.busy_timeout(self->db, timeout_ms);
    return 0;
}

static void fetcher_close(TableFetcher *self) {
    if (self->stmt != NULL) SQL.finalize(self->stmt);
    self->stmt = NULL;
    Py_CLEAR(self->sql);
    if (self->db != NULL) SQL.close_v2(self->db);
    self->db = NULL;
}

static void TableFetcher_dealloc(TableFetcher *self) {
    fetcher_close(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* One parameter bound: 0; -1 with an error. */
static int fetch_bind(TableFetcher *f, int i, PyObject *value) {
    int rc;
    if (value == Py_None) {
        rc = SQL.bind_null(f->stmt, i);
    } else if (PyLong_Check(value)) { /* (a bool too, as sqlite3 binds it) */
        long long v = PyLong_AsLongLong(value);
        if (v == -1 && PyErr_Occurred()) return -1;
        rc = SQL.bind_int64(f->stmt, i, v);
    } else if (PyFloat_Check(value)) {
        rc = SQL.bind_double(f->stmt, i, PyFloat_AS_DOUBLE(value));
    } else if (PyUnicode_Check(value)) {
        Py_ssize_t n;
        const char *text = PyUnicode_AsUTF8AndSize(value, &n);
        if (text == NULL) return -1;
        if (n > INT_MAX) {
            PyErr_SetString(PyExc_OverflowError, "a parameter too long");
            return -1;
        }
        rc = SQL.bind_text(f->stmt, i, text, (int)n, SQL_TRANSIENT);
    } else if (PyBytes_Check(value)) {
        if (PyBytes_GET_SIZE(value) > INT_MAX) {
            PyErr_SetString(PyExc_OverflowError, "a parameter too long");
            return -1;
        }
        rc = SQL.bind_blob(f->stmt, i, PyBytes_AS_STRING(value), (int)PyBytes_GET_SIZE(value), SQL_TRANSIENT);
    } else {
        PyErr_Format(PyExc_TypeError, "a parameter of type %.100s", Py_TYPE(value)->tp_name);
        return -1;
    }
    if (rc != SQL_OK) {
        fetch_error(f);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(TableFetcher_execute_doc, "execute(sql, params)\n\nAsk the query (its rows then given by fetchmany).");

static PyObject *TableFetcher_execute(TableFetcher *self, PyObject *args) {
    PyObject *sql, *params;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "UO!", &sql, &PyTuple_Type, &params)) return NULL;
    if (self->db == NULL) return fetch_error(self);
    if (self->stmt != NULL && self->sql != NULL && PyUnicode_Compare(sql, self->sql) == 0) {
        SQL.reset(self->stmt); /* the same query again: prepared already */
        SQL.clear_bindings(self->stmt);
    } else {
        Py_ssize_t size;
        const char *text = PyUnicode_AsUTF8AndSize(sql, &size);
        if (text == NULL) return NULL;
        if (self->stmt != NULL) SQL.finalize(self->stmt);
        self->stmt = NULL;
        Py_CLEAR(self->sql);
        if (size > INT_MAX || SQL.prepare_v2(self->db, text, (int)size, &self->stmt, NULL) != SQL_OK ||
            self->stmt == NULL) {
            if (self->stmt != NULL) SQL.finalize(self->stmt);
            self->stmt = NULL;
            return fetch_error(self);
        }
        self->sql = Py_NewRef(sql);
    }
    self->done = 0;
    n = PyTuple_GET_SIZE(params);
    if (n != SQL.bind_parameter_count(self->stmt)) {
        PyErr_Format(PyExc_ValueError, "the query has %d parameters, not %zd", SQL.bind_parameter_count(self->stmt), n);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (fetch_bind(self, (int)i + 1, PyTuple_GET_ITEM(params, i)) < 0) return NULL;
    Py_RETURN_NONE;
}

/* The current row's cell `i` as sqlite3 makes it (a new reference). */
static PyObject *fetch_cell(sqlite3_stmt *stmt, int i) {
    switch (SQL.column_type(stmt, i)) {
    case SQL_INTEGER:
        return PyLong_FromLongLong(SQL.column_int64(stmt, i));
    case SQL_FLOAT:
        return PyFloat_FromDouble(SQL.column_double(stmt, i));
    case SQL_TEXT: {
        const char *text = (const char *)SQL.column_text(stmt, i);
        int n = SQL.column_bytes(stmt, i);
        if (text == NULL) return n == 0 ? PyUnicode_New(0, 0) : PyErr_NoMemory();
        return PyUnicode_DecodeUTF8(text, n, NULL);
    }
    case SQL_BLOB: {
        const void *blob = SQL.column_blob(stmt, i);
        int n = SQL.column_bytes(stmt, i);
        return PyBytes_FromStringAndSize(blob ? blob : "", n);
    }
    default:
        Py_RETURN_NONE;
    }
}

PyDoc_STRVAR(TableFetcher_fetchmany_doc,
"fetchmany(size) -> list\n\nThe query's next rows, up to size, as tuples (none left: an empty list).");

static PyObject *TableFetcher_fetchmany(TableFetcher *self, PyObject *arg) {
    Py_ssize_t size = PyLong_AsSsize_t(arg), width;
    PyObject *rows;
    if (size == -1 && PyErr_Occurred()) return NULL;
    if (self->stmt == NULL) return fetch_error(self);
    if ((rows = PyList_New(0)) == NULL) return NULL;
    width = SQL.column_count(self->stmt);
    while (!self->done && PyList_GET_SIZE(rows) < size) {
        PyObject *row;
        int rc = SQL.step(self->stmt);
        if (rc == SQL_DONE) {
            self->done = 1;
            SQL.reset(self->stmt); /* (its read ends here, not at the next query) */
            break;
        }
        if (rc != SQL_ROW) {
            Py_DECREF(rows);
            return fetch_error(self);
        }
        if ((row = PyTuple_New(width)) == NULL) goto failed;
        for (Py_ssize_t i = 0; i < width; i++) {
            PyObject *cell = fetch_cell(self->stmt, (int)i);
            if (cell == NULL) {
                Py_DECREF(row);
                goto failed;
            }
            PyTuple_SET_ITEM(row, i, cell);
        }
        if (PyList_Append(rows, row) < 0) {
            Py_DECREF(row);
            goto failed;
        }
        Py_DECREF(row);
    }
    return rows;
failed:
    Py_DECREF(rows);
    return NULL;
}

PyDoc_STRVAR(TableFetcher_reset_doc, "reset()\n\nEnd the query asked (its read of the database with it).");

static PyObject *TableFetcher_reset(TableFetcher *self, PyObject *Py_UNUSED(ignored)) {
    if (self->stmt != NULL) SQL.reset(self->stmt);
    self->done = 1;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(TableFetcher_close_doc, "close()\n\nClose the connection.");

static PyObject *TableFetcher_close(TableFetcher *self, PyObject *Py_UNUSED(ignored)) {
    fetcher_close(self);
    Py_RETURN_NONE;
}

static PyMethodDef TableFetcher_methods[] = {
    {"execute", (PyCFunction)TableFetcher_execute, METH_VARARGS, TableFetcher_execute_doc},
    {"fetchmany", (PyCFunction)TableFetcher_fetchmany, METH_O, TableFetcher_fetchmany_doc},
    {"reset", (PyCFunction)TableFetcher_reset, METH_NOARGS, TableFetcher_reset_doc},
    {"close", (PyCFunction)TableFetcher_close, METH_NOARGS, TableFetcher_close_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TableFetcherType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracetui._fastindex.TableFetcher",
    .tp_basicsize = sizeof(TableFetcher),
    .tp_dealloc = (destructor)TableFetcher_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("TableFetcher(uri, timeout_ms=1000): a read-only connection of SQLite's own, "
                        "fetching a query's rows as sqlite3 does (see _tablefetch.h)."),
    .tp_methods = TableFetcher_methods,
    .tp_init = (initproc)TableFetcher_init,
    .tp_new = PyType_GenericNew,
};
