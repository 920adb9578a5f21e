/* The plain rows of a generic SQLite spans table, made spans in C.
 *
 * `formats/sqlite_generic.py` reads a table a row at a time in Python
 * (`GenericSpansDecoder._row`): 2.2 µs a row above sqlite3's own fetch,
 * 3.3 s for the 1M-row table of `bench/bench_sqlite.py`, which sqlite3
 * fetches in 1 s; with this, 1.45 s (2026-12-05). Nearly every row of such
 * a table is plain: a new span of the run the row before was of (or of the
 * table's one run, without a run column), its cells of the types tables
 * hold (text ids and names, REAL epoch seconds, a number for a duration),
 * ended ok, under a parent already read or at the root, its attributes
 * (if the table has them) none or a JSON object. `plain_rows` makes
 * those spans as `_row` does, and stops at the first row that is anything
 * else, which Python reads (and then calls again). Included by
 * `_fastindex.c`, whose span making (`attached_span`) and times
 * (`see_time`) it shares. */

/* The context's members (`GenericSpansDecoder._plain_context`). */
enum {
    PLAIN_CELLS,     /* a row's cell of each role (`sqlite_generic.PLAIN_CELLS`' order), -1 none */
    PLAIN_RUN_ID,    /* the run's id, a str: the run cell of each row taken */
    PLAIN_RUN,       /* the Run */
    PLAIN_ROOTS,     /* run.roots, a list */
    PLAIN_NAMES,     /* the decoder's SharedStrings */
    PLAIN_NAMES_MAX, /* sqlite_generic.SHARED_STRINGS_MAX */
    PLAIN_WORDS,     /* sqlite_generic._STATUS_OF_WORD */
    PLAIN_KIND,      /* the kind of a table with no kind column ("span") */
    PLAIN_SECONDS,   /* sqlite_generic.EPOCH_SECONDS_MAX, a float */
    PLAIN_AWAITED,   /* the decoder's Linker.awaited: (run id, span id) → spans awaiting it */
    PLAIN_DIVISOR,   /* what the duration cells are divided by to be seconds (`duration_divisor`), a float */
    PLAIN_LOADS,     /* orjson.loads: an attributes cell's JSON object (what it cannot read, Python's `json_cell` does) */
    PLAIN_VALUES,    /* the decoder's SharedStrings of attribute values (`share_values`) */
    PLAIN_TEXTS,     /* the decoder's AttributeTexts (`_attrtext.h`), or None: attributes held as dicts */
    PLAIN_CONTEXT
};

enum { CELL_OF_ID, CELL_OF_PARENT, CELL_OF_RUN, CELL_OF_NAME, CELL_OF_START, CELL_OF_END, CELL_OF_STATUS,
       CELL_OF_KIND, CELL_OF_DURATION, CELL_OF_ATTRIBUTES, CELLS_READ };

/* sqlite_generic.SHARED_VALUE_LENGTH: the longest attribute value shared. */
#define SHARED_VALUE_LENGTH 255

/* `share_values`: the str values of a row's attributes, up to
 * SHARED_VALUE_LENGTH characters, each the one copy `shared` holds (up to
 * `most` of them); -1 with an error. (A value set for a key the dict has
 * already leaves its keys as they are, as `PyDict_Next` asks.) */
static int share_values(PyObject *attributes, PyObject *shared, Py_ssize_t most) {
    Py_ssize_t pos = 0;
    PyObject *key, *value, *held;
    while (PyDict_Next(attributes, &pos, &key, &value)) {
        if (!PyUnicode_CheckExact(value) || PyUnicode_GET_LENGTH(value) > SHARED_VALUE_LENGTH) continue;
        if ((held = PyDict_GetItemWithError(shared, value)) == NULL) {
            if (PyErr_Occurred()) return -1;
            if (PyDict_GET_SIZE(shared) < most && PyDict_SetItem(shared, value, value) < 0) return -1;
        } else if (held != value && PyDict_SetItem(attributes, key, held) < 0) {
            return -1;
        }
    }
    return 0;
}

/* A row's attributes cell as `_row` reads it, into *out (a new reference,
 * or NULL for none): 1, or 2 where they are to be held as the text `cell`
 * rather than as *out (`text_pays`; `texts`, the decoder's AttributeTexts,
 * None for never); 0 if Python is to read it (anything but NULL or the
 * text of a JSON object); -1 with an error. */
static int plain_attributes(PyObject *cell, PyObject *loads, PyObject *shared, Py_ssize_t most, PyObject *texts,
                            PyObject **out) {
    PyObject *made;
    int pays;
    *out = NULL;
    if (cell == NULL || cell == Py_None) return 1;
    if (!PyUnicode_CheckExact(cell) || PyUnicode_GET_LENGTH(cell) == 0 || PyUnicode_READ_CHAR(cell, 0) != '{')
        return 0;
    if ((made = PyObject_CallOneArg(loads, cell)) == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_ValueError)) return -1;
        PyErr_Clear(); /* not JSON (Python keeps the text), or JSON only Python's json reads (NaN) */
        return 0;
    }
    if (!PyDict_CheckExact(made)) {
        Py_DECREF(made);
        return 0;
    }
    if (share_values(made, shared, most) < 0) {
        Py_DECREF(made);
        return -1;
    }
    if (texts != Py_None && TEXTS_HELD && (pays = text_pays(made, cell, shared)) != 0) {
        if (pays < 0) {
            Py_DECREF(made);
            return -1;
        }
        *out = made;
        return 2;
    }
    *out = made;
    return 1;
}

/* A duration cell in seconds as `duration_seconds` reads it, into *out: 1;
 * 0 if Python is to read it (text, a bool, NaN, an int past 2^53, whose
 * division Python rounds once where C would twice). */
static int plain_duration(PyObject *cell, double divisor, double *out) {
    double v;
    if (PyFloat_CheckExact(cell)) {
        v = PyFloat_AS_DOUBLE(cell);
        if (v != v) return 0;
    } else if (PyLong_CheckExact(cell)) {
        int overflow;
        long long i = PyLong_AsLongLongAndOverflow(cell, &overflow);
        if (overflow || i > (1LL << 53) || i < -(1LL << 53)) return 0;
        v = (double)i;
    } else {
        return 0;
    }
    *out = divisor == 1.0 ? v : v / divisor;
    return 1;
}

/* A row's cell (borrowed), or NULL for a role with no column. */
static inline PyObject *row_cell(PyObject *row, const Py_ssize_t *cells, int role) {
    return cells[role] < 0 ? NULL : PyTuple_GET_ITEM(row, cells[role]);
}

/* An epoch time in seconds as `_row` reads it without `to_seconds`. */
static inline int plain_seconds(PyObject *cell, double most) {
    double v;
    if (cell == NULL || !PyFloat_CheckExact(cell)) return 0;
    v = PyFloat_AS_DOUBLE(cell);
    return -most <= v && v <= most;
}

/* The name a row gives its span (borrowed): its name cell as the decoder
 * shares it, or its id; NULL, no error, if Python is to read the row. */
static PyObject *plain_name(PyObject *cell, PyObject *id, PyObject *names, Py_ssize_t most) {
    PyObject *shared;
    if (cell == NULL || cell == Py_None) return id;
    if (!PyUnicode_CheckExact(cell)) return NULL;
    if (PyUnicode_GET_LENGTH(cell) == 0) return id;
    if ((shared = PyDict_GetItemWithError(names, cell)) != NULL) return shared;
    if (PyErr_Occurred()) return NULL;
    if (PyDict_GET_SIZE(names) >= most) return cell; /* (past the most kept: its own, as Python's `share`) */
    return PyDict_SetItem(names, cell, cell) < 0 ? NULL : cell;
}

/* The span filed under `key` in `spans` (borrowed); NULL, no error, if none. */
static PyObject *plain_lookup(PyObject *spans, PyObject *key) {
    if (SpanIndex_CheckExact(spans)) {
        Py_hash_t hash = id_hash(key);
        return hash == -1 && PyErr_Occurred() ? NULL : index_get((SpanIndex *)spans, key, hash);
    }
    return PyDict_GetItemWithError(spans, key);
}

/* The span of a plain row, attached (a new reference), with its name,
 * origin and `attributes` (NULL: none), or its attributes cell held as
 * text instead (`as_text`, where the store takes it); NULL, no error, if
 * Python is to read the row; NULL with an error. */
static PyObject *plain_span(PyObject *const *ctx, const Py_ssize_t *cells, Py_ssize_t most_names, PyObject *row,
                            PyObject *run, PyObject *spans, PyObject *id, PyObject *parent, PyObject *children,
                            PyObject *kind, PyObject *attributes, int as_text) {
    PyObject *name, *origin, *span;
    if ((name = plain_name(row_cell(row, cells, CELL_OF_NAME), id, ctx[PLAIN_NAMES], most_names)) == NULL)
        return NULL;
    origin = PyTuple_GET_ITEM(row, 0); /* its rowid: as itself where `model.origin_of` holds it so */
    if (PyLong_CheckExact(origin)) {
        long long rowid = PyLong_AsLongLong(origin);
        if (rowid == -1 && PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return NULL;
            PyErr_Clear();
            rowid = -1;
        }
        origin = 0 <= rowid && rowid < OFFSET_MASK ? Py_NewRef(origin) : PyTuple_Pack(1, origin);
    } else {
        origin = PyTuple_Pack(1, origin);
    }
    if (origin == NULL) return NULL;
    span = attached_span(spans, id, 1, run, parent, children, name, kind, EMPTY_STR, OK,
                         row_cell(row, cells, CELL_OF_START), Py_None, origin, Py_False);
    Py_DECREF(origin);
    if (span != NULL && as_text) {
        void *packed = texts_add((AttributeTexts *)ctx[PLAIN_TEXTS], row_cell(row, cells, CELL_OF_ATTRIBUTES));
        if (packed != NULL) {
            if (span_hold_text(span, packed) < 0) {
                text_store_let_go(TEXT_STORE(packed));
                Py_CLEAR(span);
            }
            return span;
        }
        if (PyErr_Occurred()) Py_CLEAR(span); /* (else not taken after all: held as the dict) */
    }
    if (span != NULL && attributes != NULL && span_attributes_set(span, attributes, NULL) < 0) Py_CLEAR(span);
    return span;
}

PyDoc_STRVAR(plain_rows_doc,
"plain_rows(context, rows, i) -> int\n\n"
"Make spans of rows[i:] as GenericSpansDecoder._row does, up to the first row that is not plain: how many.");

/* One row (a tuple, wide enough) taken: 1; 0 if Python is to read it
 * (nothing changed); -1 with an error. */
static int plain_row(PyObject *const *ctx, const Py_ssize_t *cells, Py_ssize_t most_names, double most_seconds,
                     double divisor, PyObject *row) {
    PyObject *run = ctx[PLAIN_RUN], *spans, *id, *cell, *kind, *parent = Py_None, *children = NULL;
    PyObject *span, *end_time, *attributes = NULL;
    double start, end, duration;
    int as_text;
    id = row_cell(row, cells, CELL_OF_ID);
    if (id == NULL || !PyUnicode_CheckExact(id)) return 0;
    cell = row_cell(row, cells, CELL_OF_RUN); /* (none: every row is of the one run) */
    if (cell != NULL && (!PyUnicode_CheckExact(cell) ||
                         (cell != ctx[PLAIN_RUN_ID] && PyUnicode_Compare(cell, ctx[PLAIN_RUN_ID]) != 0)))
        return PyErr_Occurred() ? -1 : 0;
    /* Ended, as most rows: both times REAL epoch seconds. */
    cell = row_cell(row, cells, CELL_OF_START);
    if (!plain_seconds(cell, most_seconds)) return 0;
    start = PyFloat_AS_DOUBLE(cell);
    cell = row_cell(row, cells, CELL_OF_END);
    if (!plain_seconds(cell, most_seconds)) return 0;
    end = PyFloat_AS_DOUBLE(cell);
    /* Its duration: its cell's, or (none) from its times. */
    cell = row_cell(row, cells, CELL_OF_DURATION);
    if (cell == NULL || cell == Py_None) {
        duration = end - start;
    } else if (!plain_duration(cell, divisor, &duration)) {
        return 0;
    }
    /* Ok: no status, or a word for ok (a table of statuses but for an
     * error column, which sends no row here). */
    cell = row_cell(row, cells, CELL_OF_STATUS);
    if (cell != NULL && cell != Py_None) {
        PyObject *status;
        if (!PyUnicode_CheckExact(cell)) return 0;
        status = PyDict_GetItemWithError(ctx[PLAIN_WORDS], cell);
        if (status != OK) return PyErr_Occurred() ? -1 : 0;
    }
    cell = row_cell(row, cells, CELL_OF_KIND);
    if (cell == NULL) {
        kind = ctx[PLAIN_KIND];
    } else if (PyUnicode_CheckExact(cell) && PyUnicode_GET_LENGTH(cell) > 0) {
        kind = cell;
    } else {
        return 0;
    }
    spans = SLOT(run, RUN.spans);
    if (plain_lookup(spans, id) != NULL) return 0; /* not new */
    if (PyErr_Occurred()) return -1;
    if (PyDict_GET_SIZE(ctx[PLAIN_AWAITED]) > 0) { /* spans awaiting it, to adopt: Python's `Linker` */
        PyObject *key = PyTuple_Pack(2, ctx[PLAIN_RUN_ID], id);
        int awaited = key == NULL ? -1 : PyDict_Contains(ctx[PLAIN_AWAITED], key);
        Py_XDECREF(key);
        if (awaited) return awaited < 0 ? -1 : 0;
    }
    /* Under a parent read already, or at the root; else (a parent not
     * read yet, or its own) Python's `Linker` files it. */
    cell = row_cell(row, cells, CELL_OF_PARENT);
    if (cell != NULL && cell != Py_None) {
        if (!PyUnicode_CheckExact(cell)) return 0;
        if (PyUnicode_GET_LENGTH(cell) > 0) {
            if ((parent = plain_lookup(spans, cell)) == NULL) return PyErr_Occurred() ? -1 : 0;
            if (!is_span_core(parent)) return 0;
            if ((children = SLOT(parent, SPAN.children)) == NULL) return 0;
            if (!children_kept(children)) return 0;
        }
    }
    switch (as_text = plain_attributes(row_cell(row, cells, CELL_OF_ATTRIBUTES), ctx[PLAIN_LOADS],
                                       ctx[PLAIN_VALUES], most_names, ctx[PLAIN_TEXTS], &attributes)) {
    case 0:
        return 0;
    case -1:
        return -1;
    }
    span = plain_span(ctx, cells, most_names, row, run, spans, id, parent, children, kind, attributes, as_text == 2);
    Py_XDECREF(attributes);
    if (span == NULL) return PyErr_Occurred() ? -1 : 0;
    if (duration >= 0) { /* (a negative one is held as None, as `_row` holds it) */
        ((SpanCore *)span)->cell[CELL_DURATION].d = duration;
        SET_HOLDS((SpanCore *)span, CELL_DURATION, HOLDS_NATIVE);
    }
    if (parent == Py_None && PyList_Append(ctx[PLAIN_ROOTS], span) < 0) {
        Py_DECREF(span);
        return -1;
    }
    Py_DECREF(span);
    if (see_time(run, row_cell(row, cells, CELL_OF_START)) < 0) return -1;
    if (duration >= 0) {
        if ((end_time = PyFloat_FromDouble(start + duration)) == NULL) return -1;
        if (see_time(run, end_time) < 0) {
            Py_DECREF(end_time);
            return -1;
        }
        Py_DECREF(end_time);
    }
    return 1;
}

static PyObject *plain_rows(PyObject *self, PyObject *args) {
    PyObject *context, *rows, *cells_tuple;
    PyObject *const *ctx;
    Py_ssize_t i, n, taken = 0, cells[CELLS_READ], most_names, width = 0;
    double most_seconds, divisor;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!O!n", &PyTuple_Type, &context, &PyList_Type, &rows, &i)) return NULL;
    if (!READY) {
        PyErr_SetString(PyExc_RuntimeError, "_fastindex.setup() was not called");
        return NULL;
    }
    if (PyTuple_GET_SIZE(context) != PLAIN_CONTEXT) {
        PyErr_Format(PyExc_ValueError, "context has %d members", PLAIN_CONTEXT);
        return NULL;
    }
    ctx = &PyTuple_GET_ITEM(context, 0);
    cells_tuple = ctx[PLAIN_CELLS];
    if (!PyTuple_CheckExact(cells_tuple) || PyTuple_GET_SIZE(cells_tuple) != CELLS_READ ||
        !PyUnicode_CheckExact(ctx[PLAIN_RUN_ID]) || !PyObject_TypeCheck(ctx[PLAIN_RUN], RUN_TYPE) ||
        !PyList_CheckExact(ctx[PLAIN_ROOTS]) || !PyDict_Check(ctx[PLAIN_NAMES]) ||
        !PyDict_Check(ctx[PLAIN_WORDS]) || !PyUnicode_CheckExact(ctx[PLAIN_KIND]) ||
        !PyFloat_CheckExact(ctx[PLAIN_SECONDS]) || !PyDict_CheckExact(ctx[PLAIN_AWAITED]) ||
        !PyFloat_CheckExact(ctx[PLAIN_DIVISOR]) || !PyCallable_Check(ctx[PLAIN_LOADS]) ||
        !PyDict_Check(ctx[PLAIN_VALUES]) ||
        (ctx[PLAIN_TEXTS] != Py_None && !PyObject_TypeCheck(ctx[PLAIN_TEXTS], &AttributeTextsType))) {
        PyErr_SetString(PyExc_TypeError, "context: (cells, run id, Run, roots, names, most names, words, kind, "
                                         "most seconds, awaited, divisor, loads, values, AttributeTexts or None)");
        return NULL;
    }
    if (SLOT(ctx[PLAIN_RUN], RUN.spans) == NULL) {
        PyErr_SetString(PyExc_AttributeError, "the run has no spans");
        return NULL;
    }
    for (int k = 0; k < CELLS_READ; k++) {
        cells[k] = PyLong_AsSsize_t(PyTuple_GET_ITEM(cells_tuple, k));
        if (cells[k] == -1 && PyErr_Occurred()) return NULL;
        if (cells[k] >= width) width = cells[k] + 1;
    }
    if (cells[CELL_OF_ID] < 0 || cells[CELL_OF_START] < 0 || cells[CELL_OF_END] < 0) {
        PyErr_SetString(PyExc_ValueError, "a table without id, start and end cells has no plain rows");
        return NULL;
    }
    if ((most_names = PyLong_AsSsize_t(ctx[PLAIN_NAMES_MAX])) == -1 && PyErr_Occurred()) return NULL;
    most_seconds = PyFloat_AS_DOUBLE(ctx[PLAIN_SECONDS]);
    divisor = PyFloat_AS_DOUBLE(ctx[PLAIN_DIVISOR]);
    n = PyList_GET_SIZE(rows);
    for (; i >= 0 && i < n; i++) {
        PyObject *row = PyList_GET_ITEM(rows, i);
        int took;
        if (!PyTuple_CheckExact(row) || PyTuple_GET_SIZE(row) < width) break;
        Py_INCREF(row); /* (held while C works on it: the list is the caller's) */
        took = plain_row(ctx, cells, most_names, most_seconds, divisor, row);
        Py_DECREF(row);
        if (took < 0) return NULL;
        if (!took) break;
        taken++;
    }
    return PyLong_FromSsize_t(taken);
}
