/* The span tree's long lists searched and copied (`tracetui.listops`).
 *
 * Why: the tree of a 1M-line Inspect log is 120k rows, and a task holds
 * 114k samples, each a `Span` of its own somewhere in memory. Two common
 * operations touched every one of those objects though they only need
 * the list's pointers:
 *
 * - `list.index` compares with `==`. For objects with no `__eq__` of their
 *   own, each element not the one sought costs a rich comparison that
 *   tries both sides before it falls back to identity, and reads the
 *   element's type: 3.5-9.6 ms to search the 114k samples. `index_of`
 *   compares pointers only: ~0.1 ms. `index_of_int` does as much for the
 *   rows' depths, small ints, which are one object each.
 * - `out.extend(items[start:stop])` makes the slice, then copies it, then
 *   lets go of it: three passes over the elements' reference counts
 *   (each ~2.5 ms over 114k samples whose memory is not in the cache).
 *   `extend_slice` copies once.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* start and stop clipped to a list of `size` as a slice's are. */
static void clip(Py_ssize_t size, Py_ssize_t *start, Py_ssize_t *stop) {
    if (*start < 0 && (*start += size) < 0) *start = 0;
    if (*stop < 0 && (*stop += size) < 0) *stop = 0;
    if (*stop > size) *stop = size;
    if (*start > *stop) *start = *stop;
}

PyDoc_STRVAR(index_of_doc,
"index_of(items: list, obj, start=0, stop=sys.maxsize) -> int\n\n"
"The first position in items[start:stop] that holds obj itself (`is`), or -1.");

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
    return PyLong_FromLong(-1);
}

PyDoc_STRVAR(index_of_int_doc,
"index_of_int(items: list, value: int, start=0, stop=sys.maxsize) -> int\n\n"
"The first position in items[start:stop] of an int equal to value, or -1:\n"
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
    return PyLong_FromLong(-1);
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
        if (PyList_Append(out, PyList_GET_ITEM(items, i)) < 0) return NULL;
    }
    return PyLong_FromSsize_t(stop - start);
}

static PyMethodDef methods[] = {
    {"index_of", index_of, METH_VARARGS, index_of_doc},
    {"index_of_int", index_of_int, METH_VARARGS, index_of_int_doc},
    {"extend_slice", extend_slice, METH_VARARGS, extend_slice_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_listops", "The span tree's long lists searched and copied (see _listops.c).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__listops(void) { return PyModule_Create(&module); }
