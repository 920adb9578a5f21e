/* `model.Span`'s storage where `_fastindex` is built: `SpanCore`, its base.
 *
 * Why: a span's start, duration and origin were each a Python object of
 * their own (a float, a float, an int: 32 bytes each as pymalloc rounds
 * them), about 85 bytes a span of an Inspect log beside the 160 of the span
 * itself. Here they are held in the span, as a double or an int of up to
 * 96 bits, and made an object only when Python reads one. The span is no
 * bigger: three 8-byte cells and four bytes of tags where three pointers
 * were (the high bits of an origin sit in the padding after them).
 *
 * Exact, whatever is stored: a cell holds a float (exactly `float`) as a
 * double, an origin that is an int (exactly `int`, 0 to 2**96 - 1: two
 * byte offsets packed, `model.pack_offset`, take up to 84 bits) as its low
 * 64 bits and its high 32, None as its tag alone, and anything else (a
 * float subclass, a tuple of locators, a negative int) as that object.
 * Reading gives back an equal object of the same type: `-0.0`, NaN and
 * infinities as they were. Only its identity is new (nothing here
 * compares times by `is`).
 *
 * An Inspect sample's node may hold its attributes as the decoder's key
 * of the sample, the tuple (task, sample_id, epoch) it files the sample
 * under (`attributes_of_key`), read as a new dict {"task": …, "sample_id":
 * …, "epoch": …} each time: 117k samples of a 1M-line log each held a
 * dict of those three (about 200 bytes; 48 a span). Nothing changes a
 * span's attributes in place; a setter replaces them.
 *
 * The other fields are plain members, as `__slots__` would make them, so
 * the decoder finds them by offset as before (`offset_of`). */

#ifndef TRACETUI_SPAN_H
#define TRACETUI_SPAN_H

#include <Python.h>
#include <structmember.h>

enum { CELL_START, CELL_DURATION, CELL_ORIGIN, CELLS };
/* What a cell holds: None (nothing), a double or long long, an object. */
enum { HOLDS_NONE, HOLDS_NATIVE, HOLDS_OBJECT };

typedef union {
    double d;             /* start, duration */
    unsigned long long i; /* origin: its low 64 bits (`origin_high` the rest) */
    PyObject *o;          /* HOLDS_OBJECT: a strong reference */
} Cell;

typedef struct {
    PyObject_HEAD
    PyObject *id, *run, *parent, *name, *kind, *detail, *status, *attributes, *children, *events, *synthetic,
        *extra;
    Cell cell[CELLS];
    unsigned char holds[CELLS];
    unsigned char keyed; /* `attributes` holds a sample's key (see above) */
    unsigned int origin_high; /* in the padding the tags leave */
} SpanCore;

static PyObject *TASK_NAME, *SAMPLE_ID_NAME, *EPOCH_NAME; /* the keyed attributes' names */

static PyObject *SIXTY_FOUR; /* 64, to shift an origin by */

static PyTypeObject SpanCoreType;

/* The value of a cell (a new reference). */
static PyObject *cell_get(PyObject *span, int which) {
    SpanCore *s = (SpanCore *)span;
    switch (s->holds[which]) {
    case HOLDS_NATIVE:
        if (which != CELL_ORIGIN) return PyFloat_FromDouble(s->cell[which].d);
        if (s->origin_high == 0) return PyLong_FromUnsignedLongLong(s->cell[which].i);
        {
            PyObject *high = PyLong_FromUnsignedLong(s->origin_high), *low, *shifted, *value;
            if (high == NULL) return NULL;
            shifted = PyNumber_Lshift(high, SIXTY_FOUR);
            Py_DECREF(high);
            if (shifted == NULL || (low = PyLong_FromUnsignedLongLong(s->cell[which].i)) == NULL) {
                Py_XDECREF(shifted);
                return NULL;
            }
            value = PyNumber_Or(shifted, low);
            Py_DECREF(shifted);
            Py_DECREF(low);
            return value;
        }
    case HOLDS_OBJECT:
        return Py_NewRef(s->cell[which].o);
    default:
        Py_RETURN_NONE;
    }
}

/* An int from 0 to 2**96 - 1 as its low 64 bits and high 32: 1 if it is
 * one, 0 if not (or not an int), -1 with an error. */
static int origin_split(PyObject *value, unsigned long long *low, unsigned int *high) {
    PyObject *above;
    unsigned long long v;
    if (!PyLong_CheckExact(value)) return 0;
    v = PyLong_AsUnsignedLongLong(value);
    if (!(v == (unsigned long long)-1 && PyErr_Occurred())) {
        *low = v;
        *high = 0;
        return 1;
    }
    if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return -1;
    PyErr_Clear(); /* negative, or 64 bits or more */
    if ((above = PyNumber_Rshift(value, SIXTY_FOUR)) == NULL) return -1;
    v = PyLong_AsUnsignedLongLong(above);
    Py_DECREF(above);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return -1;
        PyErr_Clear(); /* negative */
        return 0;
    }
    if (v > 0xFFFFFFFFu) return 0;
    *low = PyLong_AsUnsignedLongLongMask(value);
    if (*low == (unsigned long long)-1 && PyErr_Occurred()) return -1;
    *high = (unsigned int)v;
    return 1;
}

/* A cell set to `value`; -1 with an error if it cannot be (NULL: deleted). */
static int cell_set(PyObject *span, int which, PyObject *value) {
    SpanCore *s = (SpanCore *)span;
    PyObject *old = s->holds[which] == HOLDS_OBJECT ? s->cell[which].o : NULL;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a span's start, duration and origin cannot be deleted");
        return -1;
    }
    if (value == Py_None) {
        s->holds[which] = HOLDS_NONE;
    } else if (which != CELL_ORIGIN && PyFloat_CheckExact(value)) {
        s->cell[which].d = PyFloat_AS_DOUBLE(value);
        s->holds[which] = HOLDS_NATIVE;
    } else {
        unsigned long long low;
        unsigned int high;
        int native = which == CELL_ORIGIN ? origin_split(value, &low, &high) : 0;
        if (native < 0) return -1;
        if (native) {
            s->cell[which].i = low;
            s->origin_high = high;
            s->holds[which] = HOLDS_NATIVE;
        } else {
            s->cell[which].o = Py_NewRef(value);
            s->holds[which] = HOLDS_OBJECT;
        }
    }
    Py_XDECREF(old);
    return 0;
}

/* A time cell as a double: 1 if it holds one (in *out), 0 if None, -1 if
 * an object of another type (then read it with `cell_get`). */
static inline int cell_double(PyObject *span, int which, double *out) {
    SpanCore *s = (SpanCore *)span;
    if (s->holds[which] == HOLDS_NATIVE) {
        *out = s->cell[which].d;
        return 1;
    }
    return s->holds[which] == HOLDS_NONE ? 0 : -1;
}

static PyObject *span_cell_get(PyObject *span, void *which) {
    return cell_get(span, (int)(Py_intptr_t)which);
}

static int span_cell_set(PyObject *span, PyObject *value, void *which) {
    return cell_set(span, (int)(Py_intptr_t)which, value);
}

static PyObject *span_attributes_get(PyObject *span, void *closure) {
    SpanCore *s = (SpanCore *)span;
    PyObject *key = s->attributes, *made;
    if (key == NULL) {
        PyErr_SetString(PyExc_AttributeError, "attributes");
        return NULL;
    }
    if (!s->keyed) return Py_NewRef(key);
    if ((made = PyDict_New()) == NULL) return NULL;
    if (PyDict_SetItem(made, TASK_NAME, PyTuple_GET_ITEM(key, 0)) < 0 ||
        PyDict_SetItem(made, SAMPLE_ID_NAME, PyTuple_GET_ITEM(key, 1)) < 0 ||
        PyDict_SetItem(made, EPOCH_NAME, PyTuple_GET_ITEM(key, 2)) < 0) {
        Py_DECREF(made);
        return NULL;
    }
    return made;
}

static int span_attributes_set(PyObject *span, PyObject *value, void *closure) {
    SpanCore *s = (SpanCore *)span;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a span's attributes cannot be deleted");
        return -1;
    }
    Py_XSETREF(s->attributes, Py_NewRef(value));
    s->keyed = 0;
    return 0;
}

/* Its attributes read from a sample's key, (task, sample_id, epoch). */
static inline int attributes_from_key(PyObject *span, PyObject *key) {
    SpanCore *s = (SpanCore *)span;
    if (!PyTuple_CheckExact(key) || PyTuple_GET_SIZE(key) != 3) {
        PyErr_SetString(PyExc_TypeError, "a sample's key is a tuple (task, sample_id, epoch)");
        return -1;
    }
    Py_XSETREF(s->attributes, Py_NewRef(key));
    s->keyed = 1;
    return 0;
}

static PyObject *span_attributes_of_key(PyObject *span, PyObject *key) {
    if (attributes_from_key(span, key) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef span_methods[] = {
    {"attributes_of_key", span_attributes_of_key, METH_O,
     "attributes_of_key(key)\n\nHold a sample's key, the tuple (task, sample_id, epoch), as its\n"
     "attributes: read as a new dict of the three each time."},
    {NULL, NULL, 0, NULL},
};

static int span_traverse(SpanCore *s, visitproc visit, void *arg) {
    Py_VISIT(s->id);
    Py_VISIT(s->run);
    Py_VISIT(s->parent);
    Py_VISIT(s->name);
    Py_VISIT(s->kind);
    Py_VISIT(s->detail);
    Py_VISIT(s->status);
    Py_VISIT(s->attributes);
    Py_VISIT(s->children);
    Py_VISIT(s->events);
    Py_VISIT(s->synthetic);
    Py_VISIT(s->extra);
    for (int k = 0; k < CELLS; k++)
        if (s->holds[k] == HOLDS_OBJECT) Py_VISIT(s->cell[k].o);
    return 0;
}

static int span_clear(SpanCore *s) {
    Py_CLEAR(s->id);
    Py_CLEAR(s->run);
    Py_CLEAR(s->parent);
    Py_CLEAR(s->name);
    Py_CLEAR(s->kind);
    Py_CLEAR(s->detail);
    Py_CLEAR(s->status);
    Py_CLEAR(s->attributes);
    Py_CLEAR(s->children);
    Py_CLEAR(s->events);
    Py_CLEAR(s->synthetic);
    Py_CLEAR(s->extra);
    for (int k = 0; k < CELLS; k++) {
        if (s->holds[k] == HOLDS_OBJECT) {
            s->holds[k] = HOLDS_NONE;
            Py_CLEAR(s->cell[k].o);
        }
    }
    return 0;
}

/* Through the trashcan, as Python's own slotted objects go: a chain of
 * a hundred thousand nested spans freed at once must not recurse that
 * deep in C. */
static void span_dealloc(SpanCore *s) {
    PyObject_GC_UnTrack(s);
    Py_TRASHCAN_BEGIN(s, span_dealloc)
    span_clear(s);
    Py_TYPE(s)->tp_free((PyObject *)s);
    Py_TRASHCAN_END
}

#define SPAN_MEMBER(field, name) {name, T_OBJECT_EX, offsetof(SpanCore, field), 0, NULL}
static PyMemberDef span_members[] = {
    SPAN_MEMBER(id, "id"), SPAN_MEMBER(run, "run"), SPAN_MEMBER(parent, "parent"), SPAN_MEMBER(name, "name"),
    SPAN_MEMBER(kind, "kind"), SPAN_MEMBER(detail, "detail"), SPAN_MEMBER(status, "status"),
    SPAN_MEMBER(children, "children"), SPAN_MEMBER(events, "events"),
    SPAN_MEMBER(synthetic, "synthetic"), SPAN_MEMBER(extra, "_extra"), {NULL, 0, 0, 0, NULL},
};
#undef SPAN_MEMBER

static PyGetSetDef span_cells[] = {
    {"attributes", span_attributes_get, span_attributes_set, "Its attributes: a dict, or None.", NULL},
    {"start", span_cell_get, span_cell_set, "When it started (epoch seconds), or None.", (void *)CELL_START},
    {"duration", span_cell_get, span_cell_set, "How long it ran (seconds), or None.", (void *)CELL_DURATION},
    {"origin", span_cell_get, span_cell_set, "Where its record(s) came from (see `model.Span.origin`).",
     (void *)CELL_ORIGIN},
    {NULL, NULL, NULL, NULL, NULL},
};

/* The type made ready, and the constants it reads; -1 with an error. */
static int span_core_ready(void) {
    SIXTY_FOUR = PyLong_FromLong(64);
    TASK_NAME = PyUnicode_InternFromString("task");
    SAMPLE_ID_NAME = PyUnicode_InternFromString("sample_id");
    EPOCH_NAME = PyUnicode_InternFromString("epoch");
    if (SIXTY_FOUR == NULL || TASK_NAME == NULL || SAMPLE_ID_NAME == NULL || EPOCH_NAME == NULL) return -1;
    return PyType_Ready(&SpanCoreType);
}

static PyTypeObject SpanCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracetui._fastindex.SpanCore",
    .tp_doc = "model.Span's fields, its start, duration and origin held unboxed (see _span.h).",
    .tp_basicsize = sizeof(SpanCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)span_dealloc,
    .tp_traverse = (traverseproc)span_traverse,
    .tp_clear = (inquiry)span_clear,
    .tp_members = span_members,
    .tp_methods = span_methods,
    .tp_getset = span_cells,
};

#endif
