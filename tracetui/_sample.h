/* `inspect._Sample` where `_fastindex` is built: `SampleState`, the
 * Inspect decoder's state for one sample, included by `_fastindex.c`.
 *
 * Why: a 1M-line log has ~117k samples. As a class with `__slots__`, each
 * state was 96 bytes, and the times it held (`ended`, `last_seen`) were
 * float objects of 32 bytes each (often the only thing still holding the
 * time of the sample's last record): ~150 bytes a sample, ~36 a span. Here
 * the times are doubles and the counts C ints, in 80 bytes (the GC header
 * included; 96 with the key held below).
 *
 * Python reads and writes it as it did the class: `node` and `open` are
 * objects; `ended` and `last_seen` a float or None (an int is taken as the
 * float it equals, anything else refused); `errors` and `cancels` ints
 * from 0 to 2**32 - 1; `interrupted` a bool.
 *
 * It also holds its key, the (task, sample_id, epoch) the decoder files
 * it under (`key`, read as a new tuple): the decoder's samples are a
 * `SpanIndex` of their states, by
 * that key (`_spanindex.h`), and the sample's node reads its attributes
 * from it (`_span.h`, KEYED). A dict of the states by a tuple of each key
 * (the node holding the tuple too) took 109 bytes a sample more: 45 the
 * dict's entry, 64 the tuple.
 *
 * A sample id that is an int (exactly `int`) of 64 bits is held as the
 * number (`KEY_ID_NATIVE`), made an int again when read: each sample's id
 * was an int object of its own, 32 bytes (7 B a span of an Inspect log,
 * 2026-12-05). Any other id is held as the object. Its epoch, an int of
 * 32 bits, is held as the number too, None as a bit, and any other object
 * in a pair with its task; and the key's hash is not kept (the `SpanIndex`
 * keeps its low 32 bits beside the state): 96 bytes a state, where a
 * pointer to its epoch and the hash took 112 (2026-12-05, the fourteenth
 * session: 1.9 MB of a 1M-line log).
 *
 * A state is not the cyclic GC's (80 bytes, not 96 with the GC's header),
 * as a span is not (`_span.h`): it holds its node, which holds it as its
 * attributes, and its open actions. They are freed when the decoder lets
 * its states go (`reset`) and its run is released (`store.release`, which
 * gives the node its attributes as they read). */

#ifndef TRACETUI_SAMPLE_H
#define TRACETUI_SAMPLE_H

#include <Python.h>
#include <structmember.h>
#include "_span.h"

typedef struct {
    PyObject_HEAD
    PyObject *node; /* its node in the span tree */
    PyObject *open; /* its actions open, oldest first: a list, or () when none */
    double ended, last_seen;
    unsigned int errors, cancels;
    char has_ended, has_last_seen; /* else None */
    char interrupted;
    unsigned char key_form; /* how its key is held: KEY_ID_NATIVE, KEY_EPOCH_* (below) */
    int epoch_number;       /* KEY_EPOCH_NATIVE: its epoch */
    /* Its key's task (NULL: no key); KEY_EPOCH_WITH_TASK: (task, epoch). */
    PyObject *task;
    union {
        PyObject *o;
        long long i;
    } sample_id;
} SampleState;

enum {
    KEY_ID_NATIVE = 1,       /* `sample_id` holds the id as a number (`sample_id.i`), not an object */
    KEY_EPOCH_NATIVE = 2,    /* its epoch is an int: `epoch_number` */
    KEY_EPOCH_NONE = 4,      /* its epoch is None */
    KEY_EPOCH_WITH_TASK = 8, /* its epoch is another object: `task` holds (task, epoch) */
};
#define ID_NATIVE(s) (((s)->key_form & KEY_ID_NATIVE) != 0)

/* Its key's task, borrowed (NULL: no key). */
static inline PyObject *state_task(SampleState *s) {
    return s->key_form & KEY_EPOCH_WITH_TASK ? PyTuple_GET_ITEM(s->task, 0) : s->task;
}

/* Its key's epoch, a new reference (NULL with an error). */
static PyObject *state_epoch(SampleState *s) {
    if (s->key_form & KEY_EPOCH_NATIVE) return PyLong_FromLong(s->epoch_number);
    if (s->key_form & KEY_EPOCH_WITH_TASK) return Py_NewRef(PyTuple_GET_ITEM(s->task, 1));
    Py_RETURN_NONE;
}

static PyTypeObject SampleStateType;

/* A time cell set from `value` (None, a float or an int); -1 with an error
 * for anything else. */
static int sample_time_set(double *time, char *has, PyObject *value) {
    if (value == Py_None) {
        *has = 0;
        return 0;
    }
    if (PyFloat_CheckExact(value)) {
        *time = PyFloat_AS_DOUBLE(value);
    } else if (PyLong_Check(value) || PyFloat_Check(value)) {
        double d = PyFloat_AsDouble(value);
        if (d == -1.0 && PyErr_Occurred()) return -1;
        *time = d;
    } else {
        PyErr_Format(PyExc_TypeError, "a sample's time is a number or None, not %.100s", Py_TYPE(value)->tp_name);
        return -1;
    }
    *has = 1;
    return 0;
}

static PyObject *sample_time_get(double time, char has) {
    if (!has) Py_RETURN_NONE;
    return PyFloat_FromDouble(time);
}

/* A new state for `node`, filed under `key` (a tuple of three; NULL or
 * None: no key). */
static SampleState *sample_new(PyObject *node, PyObject *key) {
    SampleState *s;
    PyObject *open, *task = NULL, *epoch;
    if (key == Py_None) key = NULL;
    if (key != NULL) {
        if (!PyTuple_CheckExact(key) || PyTuple_GET_SIZE(key) != 3) {
            PyErr_SetString(PyExc_TypeError, "a sample's key is a tuple (task, sample_id, epoch)");
            return NULL;
        }
        if (PyObject_Hash(key) == -1) return NULL; /* (unhashable: refused, as a dict's key would be) */
    }
    if ((open = PyTuple_New(0)) == NULL) return NULL;
    if ((s = PyObject_New(SampleState, &SampleStateType)) == NULL) {
        Py_DECREF(open);
        return NULL;
    }
    s->key_form = 0;
    s->epoch_number = 0;
    s->sample_id.o = NULL;
    if (key != NULL) {
        PyObject *id = PyTuple_GET_ITEM(key, 1);
        int overflow = 1; /* (an exact int's only failure is an overflow) */
        long long number = PyLong_CheckExact(id) ? PyLong_AsLongLongAndOverflow(id, &overflow) : 0;
        if (!overflow) {
            s->sample_id.i = number;
            s->key_form |= KEY_ID_NATIVE;
        } else {
            s->sample_id.o = Py_NewRef(id);
        }
        epoch = PyTuple_GET_ITEM(key, 2);
        overflow = 1;
        number = PyLong_CheckExact(epoch) ? PyLong_AsLongLongAndOverflow(epoch, &overflow) : 0;
        if (!overflow && number >= INT_MIN && number <= INT_MAX) {
            s->epoch_number = (int)number;
            s->key_form |= KEY_EPOCH_NATIVE;
            task = Py_NewRef(PyTuple_GET_ITEM(key, 0));
        } else if (epoch == Py_None) {
            s->key_form |= KEY_EPOCH_NONE;
            task = Py_NewRef(PyTuple_GET_ITEM(key, 0));
        } else {
            s->key_form |= KEY_EPOCH_WITH_TASK;
            task = PyTuple_Pack(2, PyTuple_GET_ITEM(key, 0), epoch);
        }
    }
    s->task = task;
    s->node = Py_NewRef(node);
    s->open = open;
    if (key != NULL && task == NULL) { /* (the pair could not be made) */
        Py_DECREF(s);
        return NULL;
    }
    s->ended = s->last_seen = 0.0;
    s->errors = s->cancels = 0;
    s->has_ended = s->has_last_seen = s->interrupted = 0;
    return s;
}

static PyObject *SampleState_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *names[] = {"node", "key", NULL};
    PyObject *node, *key = Py_None;
    if (type != &SampleStateType) {
        PyErr_SetString(PyExc_TypeError, "SampleState cannot be subclassed");
        return NULL;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:SampleState", names, &node, &key)) return NULL;
    return (PyObject *)sample_new(node, key);
}

/* What it holds as objects, visited as the GC visits an object's (a
 * state is not the GC's: see above); for `_held`. */
static int SampleState_traverse(SampleState *s, visitproc visit, void *arg) {
    Py_VISIT(s->node);
    Py_VISIT(s->open);
    Py_VISIT(s->task);
    if (!ID_NATIVE(s)) Py_VISIT(s->sample_id.o);
    return 0;
}


/* Part `k` of a state's key (0 task, 1 sample_id, 2 epoch), a new
 * reference (NULL with an error): what a node KEYED by it reads its
 * attributes and name from (`_span.h`). */
static PyObject *sample_key_item(PyObject *state, int k) {
    SampleState *s = (SampleState *)state;
    if (k == 1) return ID_NATIVE(s) ? PyLong_FromLongLong(s->sample_id.i) : Py_NewRef(s->sample_id.o);
    return k == 0 ? Py_NewRef(state_task(s)) : state_epoch(s);
}

/* Its key, (task, sample_id, epoch), a new tuple; None if it has none. */
static PyObject *state_key(PyObject *state) {
    SampleState *s = (SampleState *)state;
    PyObject *id, *epoch, *key = NULL;
    if (s->task == NULL) Py_RETURN_NONE;
    if ((id = sample_key_item((PyObject *)s, 1)) == NULL) return NULL;
    if ((epoch = state_epoch(s)) != NULL) key = PyTuple_Pack(3, state_task(s), id, epoch);
    Py_DECREF(id);
    Py_XDECREF(epoch);
    return key;
}

static int is_keyed_state(PyObject *obj) {
    return Py_IS_TYPE(obj, &SampleStateType) && ((SampleState *)obj)->task != NULL;
}

static PyObject *SampleState_get_key(SampleState *s, void *closure) {
    return state_key((PyObject *)s);
}

static void SampleState_dealloc(SampleState *s) {
    Py_CLEAR(s->node);
    Py_CLEAR(s->open);
    Py_CLEAR(s->task);
    if (!ID_NATIVE(s)) Py_CLEAR(s->sample_id.o);
    PyObject_Free(s);
}

/* `state._held()`: the objects it holds, as gc.get_referents would give
 * them were states the GC's; for tests. */
static PyObject *SampleState_held(SampleState *s, PyObject *unused) {
    PyObject *list = PyList_New(0);
    if (list != NULL && SampleState_traverse(s, append_held, list) < 0) Py_CLEAR(list);
    return list;
}

/* `node` and `open` are never unset: deleting one is refused. */
static int sample_object_set(PyObject **field, PyObject *value) {
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a sample's node and open actions cannot be deleted");
        return -1;
    }
    Py_SETREF(*field, Py_NewRef(value));
    return 0;
}

static PyObject *SampleState_get_node(SampleState *s, void *closure) {
    return Py_NewRef(s->node);
}
static int SampleState_set_node(SampleState *s, PyObject *value, void *closure) {
    return sample_object_set(&s->node, value);
}
static PyObject *SampleState_get_open(SampleState *s, void *closure) {
    return Py_NewRef(s->open);
}
static int SampleState_set_open(SampleState *s, PyObject *value, void *closure) {
    return sample_object_set(&s->open, value);
}

static int sample_no_delete(PyObject *value) {
    if (value != NULL) return 0;
    PyErr_SetString(PyExc_AttributeError, "a sample's state cannot be deleted");
    return -1;
}

static PyObject *SampleState_get_ended(SampleState *s, void *closure) {
    return sample_time_get(s->ended, s->has_ended);
}
static int SampleState_set_ended(SampleState *s, PyObject *value, void *closure) {
    return sample_no_delete(value) ? -1 : sample_time_set(&s->ended, &s->has_ended, value);
}
static PyObject *SampleState_get_last_seen(SampleState *s, void *closure) {
    return sample_time_get(s->last_seen, s->has_last_seen);
}
static int SampleState_set_last_seen(SampleState *s, PyObject *value, void *closure) {
    return sample_no_delete(value) ? -1 : sample_time_set(&s->last_seen, &s->has_last_seen, value);
}

/* A count from an int of 0 to 2**32 - 1. */
static int sample_count_set(unsigned int *count, PyObject *value) {
    unsigned long v;
    if (sample_no_delete(value)) return -1;
    if (!PyLong_Check(value)) {
        PyErr_Format(PyExc_TypeError, "a sample's count is an int, not %.100s", Py_TYPE(value)->tp_name);
        return -1;
    }
    v = PyLong_AsUnsignedLong(value);
    if (v == (unsigned long)-1 && PyErr_Occurred()) return -1;
    if (v > 0xFFFFFFFFul) {
        PyErr_SetString(PyExc_OverflowError, "a sample's count is below 2**32");
        return -1;
    }
    *count = (unsigned int)v;
    return 0;
}

static PyObject *SampleState_get_errors(SampleState *s, void *closure) {
    return PyLong_FromUnsignedLong(s->errors);
}
static int SampleState_set_errors(SampleState *s, PyObject *value, void *closure) {
    return sample_count_set(&s->errors, value);
}
static PyObject *SampleState_get_cancels(SampleState *s, void *closure) {
    return PyLong_FromUnsignedLong(s->cancels);
}
static int SampleState_set_cancels(SampleState *s, PyObject *value, void *closure) {
    return sample_count_set(&s->cancels, value);
}

static PyObject *SampleState_get_interrupted(SampleState *s, void *closure) {
    return PyBool_FromLong(s->interrupted);
}
static int SampleState_set_interrupted(SampleState *s, PyObject *value, void *closure) {
    if (sample_no_delete(value)) return -1;
    if (!PyBool_Check(value)) {
        PyErr_Format(PyExc_TypeError, "interrupted is a bool, not %.100s", Py_TYPE(value)->tp_name);
        return -1;
    }
    s->interrupted = value == Py_True;
    return 0;
}

/* `_SampleSlots.unchanged` (its docstring says why), on codes: a status
 * held otherwise, or a node not a span, reads as changed. */
static unsigned char CODE_RUNNING, CODE_OK; /* (set by `setup`, in `_fastindex.c`) */
static PyObject *SampleState_unchanged(SampleState *s, PyObject *ended_by_log) {
    SpanCore *node = (SpanCore *)s->node;
    int open, ended;
    if (node == NULL || !PyObject_TypeCheck(s->node, &SpanCoreType) || CODE_RUNNING == 0) Py_RETURN_FALSE;
    open = PyList_CheckExact(s->open) ? PyList_GET_SIZE(s->open) > 0 : PyObject_IsTrue(s->open);
    if (open < 0) return NULL;
    if (open) return PyBool_FromLong(node->status == CODE_RUNNING);
    if (node->status != CODE_OK || s->errors || s->cancels || s->interrupted) Py_RETURN_FALSE;
    if ((ended = PyObject_IsTrue(ended_by_log)) < 0) return NULL;
    return PyBool_FromLong(ended || s->has_ended);
}

static PyMethodDef SampleState_methods[] = {
    {"_held", (PyCFunction)SampleState_held, METH_NOARGS,
     "_held()\n\nThe objects it holds, as gc.get_referents would give them were states the GC's (for tests)."},
    {"unchanged", (PyCFunction)SampleState_unchanged, METH_O,
     "unchanged(ended_by_log)\n\nWhether its node's status would stay as it is (`inspect._SampleSlots.unchanged`)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef SampleState_getset[] = {
    {"node", (getter)SampleState_get_node, (setter)SampleState_set_node, NULL, NULL},
    {"open", (getter)SampleState_get_open, (setter)SampleState_set_open, NULL, NULL},
    {"ended", (getter)SampleState_get_ended, (setter)SampleState_set_ended, NULL, NULL},
    {"last_seen", (getter)SampleState_get_last_seen, (setter)SampleState_set_last_seen, NULL, NULL},
    {"errors", (getter)SampleState_get_errors, (setter)SampleState_set_errors, NULL, NULL},
    {"cancels", (getter)SampleState_get_cancels, (setter)SampleState_set_cancels, NULL, NULL},
    {"interrupted", (getter)SampleState_get_interrupted, (setter)SampleState_set_interrupted, NULL, NULL},
    {"key", (getter)SampleState_get_key, NULL, "(task, sample_id, epoch), as filed; None if none.", NULL},
    {NULL},
};

static PyTypeObject SampleStateType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracetui._fastindex.SampleState",
    .tp_basicsize = sizeof(SampleState),
    .tp_dealloc = (destructor)SampleState_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT, /* not the cyclic GC's: see above */
    .tp_doc = "SampleState(node, key=None): the Inspect decoder's state for one sample (`inspect._Sample`).",
    .tp_getset = SampleState_getset,
    .tp_methods = SampleState_methods,
    .tp_new = SampleState_new,
};

#endif
