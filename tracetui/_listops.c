/* The span tree's long lists searched and copied (`tracetui.listops`).
 *
 * Why: the tree of a 1M-line Inspect log is 120k rows, and a task holds
 * 114k samples, each a `Span` of its own somewhere in memory. Four common
 * operations touched every one of those objects, or touched them more
 * often than they need to:
 *
 * - `list.index` compares with `==`. For objects with no `__eq__` of their
 *   own, each element not the one sought costs a rich comparison that
 *   tries both sides before it falls back to identity, and reads the
 *   element's type: 2-10 ms to search the 114k samples. `index_of`
 *   compares pointers only: ~0.1 ms. `index_of_int` does as much for the
 *   rows' depths, small ints, which are one object each.
 * - Finding which of a task's samples are open (a set of them) by a set
 *   lookup each reads every element's type and hash: `indices_of`
 *   compares pointers with a small table of those sought, ~0.15 ms.
 * - `out.extend(items[start:stop])` makes the slice, then copies it, then
 *   lets go of it: three passes over the elements' reference counts
 *   (each ~2.5 ms over 114k samples whose memory is not in the cache).
 *   `extend_slice` copies once.
 * - `items[a:b] = rows`, where `rows` are let go of next (the rows a node
 *   opens, laid out apart and spliced into the tree's), is a pass over
 *   the rows' objects to copy and another to let go of them.
 *   `splice_moving` moves the references instead, as pointers.
 *
 * The one pass left where each object's count is written (a copy, a
 * release) fetches the objects ahead meanwhile (`PREFETCH_AHEAD`).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Copying a reference writes its object's count: the objects ahead are
 * fetched into the cache meanwhile, so that a task's 114k samples, spread
 * over memory, cost the memory's bandwidth rather than one round trip
 * each. */
#define PREFETCH_AHEAD 16
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH_FOR_WRITE(p) __builtin_prefetch((p), 1, 3)
#else
#define PREFETCH_FOR_WRITE(p) ((void)(p))
#endif

/* start and stop clipped to a list of `size` as a slice's are (a stop
 * before the start is the start: an empty slice there). */
static void clip(Py_ssize_t size, Py_ssize_t *start, Py_ssize_t *stop) {
    if (*start < 0 && (*start += size) < 0) *start = 0;
    if (*stop < 0 && (*stop += size) < 0) *stop = 0;
    if (*stop > size) *stop = size;
    if (*stop < *start) *stop = *start;
}

PyDoc_STRVAR(index_of_doc,
"index_of(items: list, obj, start=0, stop=sys.maxsize) -> int | None\n\n"
"The first position in items[start:stop] that holds obj itself (`is`), or None.");

static PyObject *index_of(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *items, *obj;
    Py_ssize_t start = 0, stop = PY_SSIZE_T_MAX;
    if (!PyArg_ParseTuple(args, "O!O|nn:index_of", &PyList_Type, &items, &obj, &start, &stop)) return NULL;
    clip(PyList_GET_SIZE(items), &start, &stop);
    PyObject **item = ((PyListObject *)items)->ob_item;
    /* No Python code runs in this loop: the list cannot change under it. */
    for (Py_ssize_t i = start; i < stop; i++) {
        if (item[i] == obj) return PyLong_FromSsize_t(i);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(index_of_int_doc,
"index_of_int(items: list, value: int, start=0, stop=sys.maxsize) -> int | None\n\n"
"The first position in items[start:stop] of an int equal to value, or None:\n"
"list.index over a list of ints (the tree's depths), without a rich comparison each.");

static PyObject *index_of_int(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *items, *obj;
    Py_ssize_t start = 0, stop = PY_SSIZE_T_MAX;
    if (!PyArg_ParseTuple(args, "O!O!|nn:index_of_int", &PyList_Type, &items, &PyLong_Type, &obj, &start, &stop))
        return NULL;
    int overflow;
    long long value = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (overflow || (value == -1 && PyErr_Occurred())) {
        PyErr_SetString(PyExc_OverflowError, "index_of_int: value beyond 64 bits");
        return NULL;
    }
    clip(PyList_GET_SIZE(items), &start, &stop);
    PyObject **item = ((PyListObject *)items)->ob_item;
    for (Py_ssize_t i = start; i < stop; i++) {
        PyObject *x = item[i];
        if (x == obj) return PyLong_FromSsize_t(i); /* small ints are one object each */
        if (PyLong_CheckExact(x)) {
            long long v = PyLong_AsLongLongAndOverflow(x, &overflow); /* cannot fail for an int */
            if (!overflow && v == value) return PyLong_FromSsize_t(i);
        } else {
            int same = PyObject_RichCompareBool(x, obj, Py_EQ); /* as list.index: a bool, a float */
            if (same < 0) return NULL;
            if (same) return PyLong_FromSsize_t(i);
            /* the comparison ran Python code: the list may have changed */
            item = ((PyListObject *)items)->ob_item;
            if (stop > PyList_GET_SIZE(items)) stop = PyList_GET_SIZE(items);
        }
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(extend_slice_doc,
"extend_slice(out: list, items: list, start, stop) -> int\n\n"
"out.extend(items[start:stop]) without making the slice; the number of items added.");

static PyObject *extend_slice(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *out, *items;
    Py_ssize_t start, stop;
    if (!PyArg_ParseTuple(args, "O!O!nn:extend_slice", &PyList_Type, &out, &PyList_Type, &items, &start, &stop))
        return NULL;
    clip(PyList_GET_SIZE(items), &start, &stop);
    /* No Python code runs in this loop: `items` cannot change under it.
     * Each item is read through the list, not a saved pointer, since `out`
     * may be `items`, whose array an append may move. */
    for (Py_ssize_t i = start; i < stop; i++) {
        if (i + PREFETCH_AHEAD < stop) PREFETCH_FOR_WRITE(PyList_GET_ITEM(items, i + PREFETCH_AHEAD));
        if (PyList_Append(out, PyList_GET_ITEM(items, i)) < 0) return NULL;
    }
    return PyLong_FromSsize_t(stop - start);
}

/* del items[start:stop] (clipped), the references let go of with the
 * objects ahead fetched meanwhile (`list`'s own deletion lets go of them one
 * round trip to memory each: 2-3.5 ms closing a task of 114k samples). The
 * list is whole again before any is let go of, as `list` does: a finalizer
 * then run sees it so. */
static int remove_slice(PyObject *items, Py_ssize_t start, Py_ssize_t stop) {
    Py_ssize_t size = PyList_GET_SIZE(items), count;
    clip(size, &start, &stop);
    count = stop - start;
    if (count == 0) return 0;
    PyObject **removed = PyMem_Malloc((size_t)count * sizeof(PyObject *));
    if (removed == NULL) return PyList_SetSlice(items, start, stop, NULL); /* the plain way */
    PyObject **item = ((PyListObject *)items)->ob_item;
    memcpy(removed, item + start, (size_t)count * sizeof(PyObject *));
    memmove(item + start, item + stop, (size_t)(size - stop) * sizeof(PyObject *));
    Py_SET_SIZE(items, size - count); /* its array keeps its room, as a list may */
    for (Py_ssize_t i = 0; i < count; i++) {
        if (i + PREFETCH_AHEAD < count) PREFETCH_FOR_WRITE(removed[i + PREFETCH_AHEAD]);
        Py_DECREF(removed[i]);
    }
    PyMem_Free(removed);
    return 0;
}

PyDoc_STRVAR(splice_moving_doc,
"splice_moving(items: list, start, stop, source: list) -> None\n\n"
"items[start:stop] = source, with the references source holds moved into items, not\n"
"copied: source is left empty. `items` and `source` are two lists.");

static PyObject *splice_moving(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *items, *source, *nones;
    Py_ssize_t start, stop, size, n;
    if (!PyArg_ParseTuple(args, "O!nnO!:splice_moving", &PyList_Type, &items, &start, &stop, &PyList_Type, &source))
        return NULL;
    if (items == source) {
        PyErr_SetString(PyExc_ValueError, "splice_moving: a list into itself");
        return NULL;
    }
    clip(PyList_GET_SIZE(items), &start, &stop);
    if (remove_slice(items, start, stop) < 0) return NULL;
    n = PyList_GET_SIZE(source);
    if (n == 0) Py_RETURN_NONE;
    /* Grown by n slots holding None (one object: no pass over the items'). */
    size = PyList_GET_SIZE(items);
    if (start > size) start = size; /* what a finalizer run by the removal took away */
    if ((nones = PyList_New(n)) == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) PyList_SET_ITEM(nones, i, Py_NewRef(Py_None));
    if (PyList_SetSlice(items, size, size, nones) < 0) {
        Py_DECREF(nones);
        return NULL;
    }
    Py_DECREF(nones);
    if (PyList_GET_SIZE(source) != n || PyList_GET_SIZE(items) != size + n) {
        /* Changed by a finalizer the allocations ran: done the plain way. */
        if (PyList_SetSlice(items, PyList_GET_SIZE(items) - n, PyList_GET_SIZE(items), NULL) < 0 ||
            PyList_SetSlice(items, start, start, source) < 0)
            return NULL;
        if (PyList_SetSlice(source, 0, PyList_GET_SIZE(source), NULL) < 0) return NULL;
        Py_RETURN_NONE;
    }
    /* From here no Python code runs. The tail moves up over the n slots
     * of None, source's items fill the gap: each reference is held once,
     * but the n to None, written over and let go of here. */
    PyObject **item = ((PyListObject *)items)->ob_item;
    memmove(item + start + n, item + start, (size_t)(size - start) * sizeof(PyObject *));
    memcpy(item + start, ((PyListObject *)source)->ob_item, (size_t)n * sizeof(PyObject *));
    for (Py_ssize_t i = 0; i < n; i++) Py_DECREF(Py_None);
    Py_SET_SIZE(source, 0); /* its references are items' now */
    Py_RETURN_NONE;
}

PyDoc_STRVAR(indices_of_doc,
"indices_of(items: list, objs) -> list[int]\n\n"
"The positions in items that hold one of objs itself (`is`), ascending: one\n"
"pass comparing pointers with a table of objs' (an iterable).");

/* A slot of the table of sought pointers: hashed by address. */
static size_t pointer_slot(PyObject *p, size_t mask) {
    return (size_t)(((uintptr_t)p >> 4) * (uintptr_t)0x9E3779B97F4A7C15ull >> 20) & mask;
}

static PyObject *indices_of(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *items, *objs, *sought, *found = NULL;
    PyObject **table;
    Py_ssize_t n, k;
    size_t size = 64, mask;
    if (!PyArg_ParseTuple(args, "O!O:indices_of", &PyList_Type, &items, &objs)) return NULL;
    if ((sought = PySequence_Fast(objs, "indices_of: objs must be iterable")) == NULL) return NULL;
    n = PySequence_Fast_GET_SIZE(sought);
    /* An eighth full at most: an element not sought (nearly all) finds an
     * empty slot at once, a branch the CPU predicts (half full, ~1 ms over
     * 114k elements; this way ~0.15) */
    while (size < (size_t)n * 8) size <<= 1;
    mask = size - 1;
    if ((table = PyMem_Calloc(size, sizeof(PyObject *))) == NULL) {
        Py_DECREF(sought);
        return PyErr_NoMemory();
    }
    for (k = 0; k < n; k++) {
        PyObject *p = PySequence_Fast_GET_ITEM(sought, k);
        size_t i = pointer_slot(p, mask);
        while (table[i] != NULL && table[i] != p) i = (i + 1) & mask;
        table[i] = p;
    }
    if ((found = PyList_New(0)) == NULL) goto done;
    /* (the list's length read anew each time: nothing here runs Python
     * code, but appending to `found` may collect garbage) */
    for (k = 0; n > 0 && k < PyList_GET_SIZE(items); k++) {
        PyObject *p = PyList_GET_ITEM(items, k);
        size_t i = pointer_slot(p, mask);
        while (table[i] != NULL && table[i] != p) i = (i + 1) & mask;
        if (table[i] == p) {
            PyObject *at = PyLong_FromSsize_t(k);
            if (at == NULL || PyList_Append(found, at) < 0) {
                Py_XDECREF(at);
                Py_CLEAR(found);
                goto done;
            }
            Py_DECREF(at);
        }
    }
done:
    PyMem_Free(table);
    Py_DECREF(sought);
    return found;
}

static PyMethodDef methods[] = {
    {"indices_of", indices_of, METH_VARARGS, indices_of_doc},
    {"index_of", index_of, METH_VARARGS, index_of_doc},
    {"index_of_int", index_of_int, METH_VARARGS, index_of_int_doc},
    {"extend_slice", extend_slice, METH_VARARGS, extend_slice_doc},
    {"splice_moving", splice_moving, METH_VARARGS, splice_moving_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_listops", "The span tree's long lists searched and copied (see _listops.c).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__listops(void) { return PyModule_Create(&module); }
