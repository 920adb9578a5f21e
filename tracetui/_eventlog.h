/* `model.EventLog`'s storage where `_fastindex` is built: `EventLogCore`,
 * its base, included by `_fastindex.c`.
 *
 * Why: a 1M-line Inspect log has ~117k samples, each with a log of one to
 * three records (indices into its run's `LogColumns`). As a slotted
 * object (48 bytes, the GC header included) holding a `Column` of its
 * indices (48) and the column's buffer (16), a sample's log took 112
 * bytes: 27 a span. Here the log is one object, which holds up to two
 * indices in itself and more in a buffer of its own. It holds its columns
 * by a number (`COLUMN_SETS`), 4 bytes where a pointer took 8, and its
 * buffer's size in the buffer: 32 bytes, 48 with the GC header every
 * instance of a Python class (`EventLog`) has, where it took 64 (pymalloc
 * rounds to 16; 3.8 B a span, 2026-12-05, the fourteenth session). And
 * `EventLog` is left out of the GC (`leave_out_of_gc`, `_span.h`): a log
 * holds no object, so it is in no cycle; 32 bytes.
 *
 * Python reads it through `EventLog`'s methods, which ask this type for
 * `len`, `_append_index(i)` and `_indices_of(key)` (an int index, a slice,
 * or None for all). `columns` reads and writes as a plain field. An index
 * is below 2**32, as the array of 'I' it replaced took. */

#ifndef TRACETUI_EVENTLOG_H
#define TRACETUI_EVENTLOG_H

#include <Python.h>
#include <stdint.h>
#include <structmember.h>

/* How many indices a log holds in itself. */
#define LOG_INLINE 2

typedef struct {
    PyObject_HEAD
    uint32_t length;
    uint32_t columns; /* its run's LogColumns: their number in COLUMN_SETS (0: none) */
    union {
        uint32_t small[LOG_INLINE]; /* up to LOG_INLINE indices */
        uint32_t *items;            /* past them: the buffer's size in items, then the indices */
    } at;
} EventLogCore;

static PyTypeObject EventLogCoreType;

/* -- the columns logs read, by number ------------------------------------------
 *
 * Each held once, with how many logs read it; let go when the last does. A
 * process reads a few runs' columns (one a log file): numbers are reused. */
static PyObject **COLUMN_SETS;      /* by number (0 unused); NULL where free */
static Py_ssize_t *COLUMN_READERS;  /* how many logs read each */
static uint32_t COLUMN_SETS_USED = 1, COLUMN_SETS_ROOM;
static PyObject *COLUMN_NUMBERS;    /* {the columns' address (an int): their number} */
static uint32_t COLUMN_SET_LAST;    /* the number found last (most logs read one run's) */

/* The number of `columns`, one more log reading them; 0 with an error. */
static uint32_t columns_take(PyObject *columns) {
    PyObject *key, *found;
    uint32_t number = 0;
    if (COLUMN_SET_LAST && COLUMN_SETS[COLUMN_SET_LAST] == columns) {
        COLUMN_READERS[COLUMN_SET_LAST]++;
        return COLUMN_SET_LAST;
    }
    if (COLUMN_NUMBERS == NULL && (COLUMN_NUMBERS = PyDict_New()) == NULL) return 0;
    if ((key = PyLong_FromVoidPtr(columns)) == NULL) return 0;
    if ((found = PyDict_GetItemWithError(COLUMN_NUMBERS, key)) != NULL) {
        number = (uint32_t)PyLong_AsUnsignedLong(found);
    } else if (!PyErr_Occurred()) {
        PyObject *value;
        for (number = 1; number < COLUMN_SETS_USED && COLUMN_SETS[number] != NULL; number++)
            ;
        if (number == COLUMN_SETS_USED) {
            if (COLUMN_SETS_USED >= COLUMN_SETS_ROOM) {
                uint32_t room = COLUMN_SETS_ROOM ? 2 * COLUMN_SETS_ROOM : 16;
                PyObject **sets = PyMem_Realloc(COLUMN_SETS, room * sizeof(PyObject *));
                Py_ssize_t *readers = sets == NULL ? NULL : PyMem_Realloc(COLUMN_READERS, room * sizeof(Py_ssize_t));
                if (sets != NULL) COLUMN_SETS = sets;
                if (readers == NULL) {
                    Py_DECREF(key);
                    PyErr_NoMemory();
                    return 0;
                }
                COLUMN_READERS = readers;
                COLUMN_SETS_ROOM = room;
            }
            COLUMN_SETS_USED++;
        }
        if ((value = PyLong_FromUnsignedLong(number)) == NULL || PyDict_SetItem(COLUMN_NUMBERS, key, value) < 0) {
            if (number == COLUMN_SETS_USED - 1) COLUMN_SETS_USED--;
            Py_XDECREF(value);
            Py_DECREF(key);
            return 0;
        }
        Py_DECREF(value);
        COLUMN_SETS[number] = Py_NewRef(columns);
        COLUMN_READERS[number] = 0;
    }
    Py_DECREF(key);
    if (number == 0) return 0;
    COLUMN_READERS[number]++;
    COLUMN_SET_LAST = number;
    return number;
}

/* One log less reads the columns of `number` (0: none): the last lets
 * them go. Never fails (an error from the dict is dropped: the entry then
 * stays, harmless, its number free). */
static void columns_let_go(uint32_t number) {
    PyObject *columns, *key;
    if (number == 0 || --COLUMN_READERS[number] > 0) return;
    columns = COLUMN_SETS[number];
    COLUMN_SETS[number] = NULL;
    if (COLUMN_SET_LAST == number) COLUMN_SET_LAST = 0;
    {
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        if ((key = PyLong_FromVoidPtr(columns)) == NULL || PyDict_DelItem(COLUMN_NUMBERS, key) < 0) PyErr_Clear();
        Py_XDECREF(key);
        PyErr_Restore(type, value, traceback);
    }
    Py_DECREF(columns);
}

/* Its columns, borrowed (NULL: none). */
static inline PyObject *log_columns(EventLogCore *log) { return log->columns ? COLUMN_SETS[log->columns] : NULL; }

/* -- its indices ----------------------------------------------------------------- */

static uint32_t *log_items(EventLogCore *log) { return log->length > LOG_INLINE ? log->at.items + 1 : log->at.small; }

/* One more index; -1 with an error. */
static int log_append(EventLogCore *log, uint32_t index) {
    uint32_t room = log->length > LOG_INLINE ? log->at.items[0] : LOG_INLINE;
    if (log->length == room) {
        uint32_t wanted = room + (room >> 3) + (room < 9 ? 3 : 6), *items;
        if (log->length >= UINT32_MAX - 16) {
            PyErr_SetString(PyExc_OverflowError, "a log holds at most 4,294,967,279 records");
            return -1;
        }
        if (log->length > LOG_INLINE) {
            items = PyMem_Realloc(log->at.items, ((size_t)wanted + 1) * sizeof(uint32_t));
        } else if ((items = PyMem_Malloc(((size_t)wanted + 1) * sizeof(uint32_t))) != NULL) {
            memcpy(items + 1, log->at.small, sizeof(log->at.small));
        }
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        items[0] = wanted;
        log->at.items = items;
    }
    /* (past LOG_INLINE the indices are in the buffer: the length counts
     * the new one before `log_items` is asked where it goes) */
    log->length++;
    log_items(log)[log->length - 1] = index;
    return 0;
}

static PyObject *log_append_method(EventLogCore *log, PyObject *value) {
    unsigned long index = PyLong_AsUnsignedLong(value);
    if (index == (unsigned long)-1 && PyErr_Occurred()) return NULL;
    if (index > UINT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "a log record's index is below 2**32");
        return NULL;
    }
    if (log_append(log, (uint32_t)index) < 0) return NULL;
    Py_RETURN_NONE;
}

/* Its indices: one (an int key, negative from the end), a list of those a
 * slice takes, or all (None). */
static PyObject *log_indices_of(EventLogCore *log, PyObject *key) {
    uint32_t *items = log_items(log);
    Py_ssize_t start, stop, step, count;
    PyObject *out;
    if (PyIndex_Check(key)) {
        Py_ssize_t k = PyNumber_AsSsize_t(key, PyExc_IndexError);
        if (k == -1 && PyErr_Occurred()) return NULL;
        if (k < 0) k += log->length;
        if (k < 0 || k >= (Py_ssize_t)log->length) {
            PyErr_SetString(PyExc_IndexError, "log index out of range");
            return NULL;
        }
        return PyLong_FromUnsignedLong(items[k]);
    }
    if (key == Py_None) {
        start = 0, step = 1, count = log->length;
    } else if (PySlice_Check(key)) {
        if (PySlice_Unpack(key, &start, &stop, &step) < 0) return NULL;
        count = PySlice_AdjustIndices(log->length, &start, &stop, step);
    } else {
        PyErr_Format(PyExc_TypeError, "log indices are ints or slices, not %.200s", Py_TYPE(key)->tp_name);
        return NULL;
    }
    if ((out = PyList_New(count)) == NULL) return NULL;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *index = PyLong_FromUnsignedLong(items[start + k * step]);
        if (index == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, k, index);
    }
    return out;
}

static Py_ssize_t log_length(EventLogCore *log) { return log->length; }

/* (a subclass's instance lets go of its type in `subtype_dealloc`, after this) */
static void log_dealloc(EventLogCore *log) {
    columns_let_go(log->columns);
    log->columns = 0;
    if (log->length > LOG_INLINE) PyMem_Free(log->at.items);
    Py_TYPE(log)->tp_free((PyObject *)log);
}

static PyObject *log_sizeof(EventLogCore *log, PyObject *unused) {
    size_t buffer = log->length > LOG_INLINE ? ((size_t)log->at.items[0] + 1) * sizeof(uint32_t) : 0;
    return PyLong_FromSize_t(Py_TYPE(log)->tp_basicsize + buffer);
}

static PyObject *log_leave_out_of_gc(PyObject *unused, PyObject *cls) {
    return leave_out_of_gc(&EventLogCoreType, cls);
}

static PyMethodDef log_methods[] = {
    {"leave_out_of_gc", log_leave_out_of_gc, METH_O | METH_STATIC,
     "leave_out_of_gc(cls)\n\nMake the instances of cls, made from EventLogCore (or a class it left out) adding no fields, no\n"
     "longer the cyclic GC's (16 bytes less each), before it has any."},
    {"_append_index", (PyCFunction)log_append_method, METH_O, "One more record, by its index in the columns."},
    {"_indices_of", (PyCFunction)log_indices_of, METH_O,
     "Its records' indices in the columns: one (an int key), a list (a slice), or all (None)."},
    {"__sizeof__", (PyCFunction)log_sizeof, METH_NOARGS, NULL},
    {NULL},
};

static PyObject *log_columns_get(EventLogCore *log, void *closure) {
    PyObject *columns = log_columns(log);
    if (columns == NULL) {
        PyErr_SetString(PyExc_AttributeError, "columns");
        return NULL;
    }
    return Py_NewRef(columns);
}

static int log_columns_set(EventLogCore *log, PyObject *value, void *closure) {
    uint32_t number = 0;
    if (value != NULL && (number = columns_take(value)) == 0) return -1;
    columns_let_go(log->columns);
    log->columns = number;
    return 0;
}

static PyGetSetDef log_getset[] = {
    {"columns", (getter)log_columns_get, (setter)log_columns_set, "Its run's LogColumns.", NULL},
    {NULL},
};

static PySequenceMethods log_as_sequence = {.sq_length = (lenfunc)log_length};

static PyTypeObject EventLogCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracetui._fastindex.EventLogCore",
    .tp_doc = "model.EventLog's storage: its records' indices, two of them held in itself (see _eventlog.h).",
    .tp_basicsize = sizeof(EventLogCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)log_dealloc,
    .tp_methods = log_methods,
    .tp_getset = log_getset,
    .tp_as_sequence = &log_as_sequence,
};

#endif
