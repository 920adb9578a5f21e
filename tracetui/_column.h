/* Column: a growable array of doubles ('d'), 64-bit ints ('q'), 32-bit
 * unsigned ints ('I') or 16-bit ones ('H'), for a log's columns (`model.LogColumns`,
 * `model.EventLog.indices`), included by `_fastindex.c`.
 *
 * Why not `array.array`: the decoder appends three numbers for each log
 * record (its time, its offset, its index in its sample's log), and C can
 * only append to an array through its `append` method (its argument
 * parsed by `PyArg_Parse`, an int made for the offset and the index);
 * making a sample's empty log (slicing an empty array) took ~650
 * instructions more. Holding them here saved ~1,800 instructions a log
 * record (callgrind, the 200k-line log: 2,084 M → 1,977 M for its 50,280
 * records and 23,260 sample logs). Here C appends a number in place
 * (`column_append_double`, `column_append_int`), and Python reads a
 * Column as the model reads its arrays: `append`, `len`, an index or a
 * slice (a Column of the same kind), iteration, `tolist`, `typecode`.
 * An append takes what `array.append` takes, and refuses what it refuses
 * with the same errors (a float for an int, a number out of range). */

#include <stdint.h>

typedef struct {
    PyObject_HEAD
    char typecode;
    Py_ssize_t length, allocated;
    char *items;
} Column;

static PyTypeObject ColumnType;

static Py_ssize_t column_itemsize(char typecode) {
    return typecode == 'H' ? 2 : typecode == 'I' ? 4 : 8;
}

static Column *column_new_empty(char typecode) {
    Column *column = PyObject_New(Column, &ColumnType);
    if (column == NULL) return NULL;
    column->typecode = typecode;
    column->length = column->allocated = 0;
    column->items = NULL;
    return column;
}

/* Room for one more (grown as a list grows: by an eighth, and a few). */
static int column_reserve(Column *column) {
    if (column->length < column->allocated) return 0;
    Py_ssize_t wanted = column->length + (column->length >> 3) + (column->length < 9 ? 3 : 6);
    size_t itemsize = (size_t)column_itemsize(column->typecode);
    if ((size_t)wanted > PY_SSIZE_T_MAX / itemsize) {
        PyErr_NoMemory();
        return -1;
    }
    char *items = PyMem_Realloc(column->items, (size_t)wanted * itemsize);
    if (items == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    column->items = items;
    column->allocated = wanted;
    return 0;
}

static int column_append_double(Column *column, double value) {
    if (column_reserve(column) < 0) return -1;
    ((double *)column->items)[column->length++] = value;
    return 0;
}

/* An int in range of the column's kind; else OverflowError, as an array's. */
static int column_append_int(Column *column, long long value) {
    if ((column->typecode == 'I' && (value < 0 || value > 0xFFFFFFFFLL)) ||
        (column->typecode == 'H' && (value < 0 || value > 0xFFFF))) {
        PyErr_Format(PyExc_OverflowError, "unsigned int is out of range for a Column of '%c'", column->typecode);
        return -1;
    }
    if (column_reserve(column) < 0) return -1;
    if (column->typecode == 'I')
        ((uint32_t *)column->items)[column->length++] = (uint32_t)value;
    else if (column->typecode == 'H')
        ((uint16_t *)column->items)[column->length++] = (uint16_t)value;
    else
        ((long long *)column->items)[column->length++] = value;
    return 0;
}

static int column_append_object(Column *column, PyObject *value) {
    if (column->typecode == 'd') {
        double d = PyFloat_AsDouble(value);
        if (d == -1.0 && PyErr_Occurred()) return -1;
        return column_append_double(column, d);
    }
    int overflow; /* (a float is refused, with TypeError, as it has no __index__) */
    long long n = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (n == -1 && PyErr_Occurred()) return -1;
    if (overflow) {
        PyErr_SetString(PyExc_OverflowError, "int is out of range for a Column");
        return -1;
    }
    return column_append_int(column, n);
}

static PyObject *column_item_object(Column *column, Py_ssize_t k) {
    switch (column->typecode) {
    case 'd': return PyFloat_FromDouble(((double *)column->items)[k]);
    case 'I': return PyLong_FromUnsignedLong(((uint32_t *)column->items)[k]);
    case 'H': return PyLong_FromLong(((uint16_t *)column->items)[k]);
    default: return PyLong_FromLongLong(((long long *)column->items)[k]);
    }
}

static PyObject *Column_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    const char *code;
    Py_ssize_t len;
    (void)type;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) > 0) {
        PyErr_SetString(PyExc_TypeError, "Column(typecode) takes no keywords");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "s#", &code, &len)) return NULL;
    if (len != 1 || (code[0] != 'd' && code[0] != 'q' && code[0] != 'I' && code[0] != 'H')) {
        PyErr_SetString(PyExc_ValueError, "a Column's typecode is 'd', 'q', 'I' or 'H'");
        return NULL;
    }
    return (PyObject *)column_new_empty(code[0]);
}

static void Column_dealloc(Column *column) {
    PyMem_Free(column->items);
    PyObject_Free(column);
}

static Py_ssize_t Column_length(Column *column) {
    return column->length;
}

static PyObject *Column_item(Column *column, Py_ssize_t k) {
    if (k < 0 || k >= column->length) {
        PyErr_SetString(PyExc_IndexError, "Column index out of range");
        return NULL;
    }
    return column_item_object(column, k);
}

static PyObject *Column_subscript(Column *column, PyObject *key) {
    if (PyIndex_Check(key)) {
        Py_ssize_t k = PyNumber_AsSsize_t(key, PyExc_IndexError);
        if (k == -1 && PyErr_Occurred()) return NULL;
        if (k < 0) k += column->length;
        return Column_item(column, k);
    }
    if (PySlice_Check(key)) {
        Py_ssize_t start, stop, step, count, itemsize = column_itemsize(column->typecode);
        Column *part;
        if (PySlice_Unpack(key, &start, &stop, &step) < 0) return NULL;
        count = PySlice_AdjustIndices(column->length, &start, &stop, step);
        if ((part = column_new_empty(column->typecode)) == NULL) return NULL;
        if (count > 0) {
            if ((part->items = PyMem_Malloc((size_t)(count * itemsize))) == NULL) {
                Py_DECREF(part);
                return PyErr_NoMemory();
            }
            part->allocated = count;
            if (step == 1) {
                memcpy(part->items, column->items + start * itemsize, (size_t)(count * itemsize));
            } else {
                for (Py_ssize_t k = 0, at = start; k < count; k++, at += step)
                    memcpy(part->items + k * itemsize, column->items + at * itemsize, (size_t)itemsize);
            }
            part->length = count;
        }
        return (PyObject *)part;
    }
    PyErr_Format(PyExc_TypeError, "Column indices are ints or slices, not %.200s", Py_TYPE(key)->tp_name);
    return NULL;
}

static PyObject *Column_append(Column *column, PyObject *value) {
    if (column_append_object(column, value) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *Column_tolist(Column *column, PyObject *Py_UNUSED(ignored)) {
    PyObject *list = PyList_New(column->length);
    if (list == NULL) return NULL;
    for (Py_ssize_t k = 0; k < column->length; k++) {
        PyObject *item = column_item_object(column, k);
        if (item == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, k, item);
    }
    return list;
}

static PyObject *Column_sizeof(Column *column, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromSsize_t((Py_ssize_t)sizeof(Column) + column->allocated * column_itemsize(column->typecode));
}

static PyObject *Column_typecode(Column *column, void *Py_UNUSED(closure)) {
    return PyUnicode_FromStringAndSize(&column->typecode, 1);
}

static PyObject *Column_repr(Column *column) {
    PyObject *items = Column_tolist(column, NULL), *text;
    if (items == NULL) return NULL;
    text = PyUnicode_FromFormat("Column('%c', %R)", column->typecode, items);
    Py_DECREF(items);
    return text;
}

static PyMethodDef Column_methods[] = {
    {"append", (PyCFunction)Column_append, METH_O, "Add a number at the end (as array.append)."},
    {"tolist", (PyCFunction)Column_tolist, METH_NOARGS, "Its numbers as a list."},
    {"__sizeof__", (PyCFunction)Column_sizeof, METH_NOARGS, "Its size in memory, its numbers' room included."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef Column_getset[] = {
    {"typecode", (getter)Column_typecode, NULL, "'d', 'q', 'I' or 'H', as an array's.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PySequenceMethods Column_as_sequence = {
    .sq_length = (lenfunc)Column_length,
    .sq_item = (ssizeargfunc)Column_item,
};

static PyMappingMethods Column_as_mapping = {
    .mp_length = (lenfunc)Column_length,
    .mp_subscript = (binaryfunc)Column_subscript,
};

static PyTypeObject ColumnType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracetui._fastindex.Column",
    .tp_basicsize = sizeof(Column),
    .tp_dealloc = (destructor)Column_dealloc,
    .tp_repr = (reprfunc)Column_repr,
    .tp_as_sequence = &Column_as_sequence,
    .tp_as_mapping = &Column_as_mapping,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Column(typecode): a growable array of 'd', 'q', 'I' or 'H' numbers, for a log's columns.",
    .tp_methods = Column_methods,
    .tp_getset = Column_getset,
    .tp_new = Column_new,
};
