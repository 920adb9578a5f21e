/* `model.EventLog`'s storage where `_fastindex` is built: `EventLogCore`,
 * its base, included by `_fastindex.c`.
 *
 * Why: a 1M-line Inspect log has ~117k samples, each with a log of one to
 * three records (indices into its run's `LogColumns`). As a slotted
 * object (48 bytes, the GC header included) holding a `Column` of its
 * indices (48) and the column's buffer (16), a sample's log took 112
 * bytes: 27 a span. Here the log is one object of 48 bytes, which holds
 * up to two indices in itself and more in a buffer of its own, and is not
 * tracked by the cyclic GC: it holds only its run's `LogColumns`, which
 * holds no log.
 *
 * Python reads it through `EventLog`'s methods, which ask this type for
 * `len`, `_append_index(i)` and `_indices_of(key)` (an int index, a slice,
 * or None for all). `columns` is a plain member. An index is below 2**32,
 * as the array of 'I' it replaced took. */

#ifndef TRACETUI_EVENTLOG_H
#define TRACETUI_EVENTLOG_H

#include <Python.h>
#include <stdint.h>
#include <structmember.h>

/* How many indices a log holds in itself. */
#define LOG_INLINE 2

typedef struct {
    PyObject_HEAD
    PyObject *columns; /* its run's LogColumns */
    uint32_t length, allocated; /* allocated 0: the indices are in `small` */
    union {
        uint32_t small[LOG_INLINE];
        uint32_t *items;
    } at;
} EventLogCore;

static PyTypeObject EventLogCoreType;

static uint32_t *log_items(EventLogCore *log) { return log->allocated ? log->at.items : log->at.small; }

/* One more index; -1 with an error. */
static int log_append(EventLogCore *log, uint32_t index) {
    if (log->length == (log->allocated ? log->allocated : LOG_INLINE)) {
        uint32_t wanted = log->length + (log->length >> 3) + (log->length < 9 ? 3 : 6), *items;
        if (log->length >= UINT32_MAX - 16) {
            PyErr_SetString(PyExc_OverflowError, "a log holds at most 4,294,967,279 records");
            return -1;
        }
        if (log->allocated) {
            items = PyMem_Realloc(log->at.items, (size_t)wanted * sizeof(uint32_t));
        } else if ((items = PyMem_Malloc((size_t)wanted * sizeof(uint32_t))) != NULL) {
            memcpy(items, log->at.small, sizeof(log->at.small));
        }
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        log->at.items = items;
        log->allocated = wanted;
    }
    log_items(log)[log->length++] = index;
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
    Py_CLEAR(log->columns);
    if (log->allocated) PyMem_Free(log->at.items);
    Py_TYPE(log)->tp_free((PyObject *)log);
}

static PyObject *log_sizeof(EventLogCore *log, PyObject *unused) {
    return PyLong_FromSize_t(Py_TYPE(log)->tp_basicsize + (size_t)log->allocated * sizeof(uint32_t));
}

static PyMethodDef log_methods[] = {
    {"_append_index", (PyCFunction)log_append_method, METH_O, "One more record, by its index in the columns."},
    {"_indices_of", (PyCFunction)log_indices_of, METH_O,
     "Its records' indices in the columns: one (an int key), a list (a slice), or all (None)."},
    {"__sizeof__", (PyCFunction)log_sizeof, METH_NOARGS, NULL},
    {NULL},
};

static PyMemberDef log_members[] = {
    {"columns", T_OBJECT, offsetof(EventLogCore, columns), 0, "Its run's LogColumns."},
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
    .tp_members = log_members,
    .tp_as_sequence = &log_as_sequence,
};

#endif
