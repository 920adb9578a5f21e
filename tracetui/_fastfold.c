/* The anomaly scan's common lines, accepted without building them
 * (`tracetui.fastscan`, `Folder.feed`).
 *
 * Why: `tracetui anomalies` parsed every line of a trace log with orjson,
 * a dict and a str for every key and value, to look at five of them; that
 * was most of its time. A line here is checked against a strict subset of
 * JSON and, when it is one of the two shapes that make up nearly every
 * line of an Inspect log (a plain message; an `enter` or `exit` whose
 * fields have the types Inspect's writer gives them), folded at once, as
 * `Folder._fold` folds it, with only its trace id made a Python object.
 *
 * Why this is exact: this code never decides that a line is bad, nor
 * reads one any other way than Python would. It accepts a line only when
 * it is certainly a JSON object that orjson reads (ASCII, no raw control
 * characters, no lone surrogate escapes, no exponents, no deep nesting,
 * single spaces as the only whitespace), in which the keys that matter are
 * plain (no escapes) and appear once; anything else, or any doubt, stops
 * the fold at that line, which Python then reads in full. An enter's line
 * is kept as bytes, parsed only if its action is still open at the end
 * (or must be replayed at a merge).
 */

#include "_jsonscan.h"

enum { LINE_OTHER, LINE_MESSAGE, LINE_ENTER, LINE_EXIT };

/* A key's value kind as `scan_line` found it: 0 if the key is absent. */
#define KIND(k) ((found & (1u << (k))) ? v[k].kind : 0)

/* Which of the shapes `Folder._fold` folds inline the line is. */
static int classify(const Value *v, unsigned found) {
    if (KIND(K_MESSAGE) != V_STR || KIND(K_TIMESTAMP) != V_STR || KIND(K_LEVEL) != V_STR)
        return LINE_OTHER;
    if (!KIND(K_ACTION)) return LINE_MESSAGE;
    if (KIND(K_ACTION) != V_STR || !KIND(K_TRACE_ID) || !plain_string(&v[K_TRACE_ID])) return LINE_OTHER;
    if (KIND(K_DETAIL) && KIND(K_DETAIL) != V_STR) return LINE_OTHER;
    if (KIND(K_ERROR) || KIND(K_ERROR_TYPE) || KIND(K_STACKTRACE)) return LINE_OTHER;
    if (KIND(K_EVENT) && is_word(&v[K_EVENT], "exit", 4)) {
        if ((KIND(K_DURATION) && KIND(K_DURATION) != V_FLOAT) || KIND(K_START_TIME)) return LINE_OTHER;
        return LINE_EXIT;
    }
    if (KIND(K_EVENT) && is_word(&v[K_EVENT], "enter", 5)) {
        if ((KIND(K_START_TIME) && KIND(K_START_TIME) != V_FLOAT) || KIND(K_DURATION)) return LINE_OTHER;
        return LINE_ENTER;
    }
    return LINE_OTHER;
}

static PyObject *ENTER_WORD;
static PyObject *EXIT_WORD;

/* tracked.append((tid, event, position, line)) */
static int track_record(PyObject *tracked, PyObject *tid, PyObject *event, Py_ssize_t position,
                        const unsigned char *line, Py_ssize_t len) {
    PyObject *raw = PyBytes_FromStringAndSize((const char *)line, len);
    PyObject *pos, *item;
    int failed;
    if (raw == NULL) return -1;
    pos = PyLong_FromSsize_t(position);
    if (pos == NULL) {
        Py_DECREF(raw);
        return -1;
    }
    item = PyTuple_Pack(4, tid, event, pos, raw);
    Py_DECREF(raw);
    Py_DECREF(pos);
    if (item == NULL) return -1;
    failed = PyList_Append(tracked, item);
    Py_DECREF(item);
    return failed;
}

/* One enter or exit, as `Folder._fold` applies it (`position`: the line's,
 * made a Python int only where it is kept: most exits find their enter). */
static int apply(int shape, PyObject *tid, Py_ssize_t position, const unsigned char *line, Py_ssize_t len,
                 PyObject *running, PyObject *seen, PyObject *tracked_ids, PyObject *tracked, int track) {
    int known = PySet_Contains(tracked_ids, tid);
    if (known < 0) return -1;
    if (known)
        return track_record(tracked, tid, shape == LINE_ENTER ? ENTER_WORD : EXIT_WORD, position, line, len);
    if (shape == LINE_EXIT) {
        PyObject *entered = PyDict_GetItemWithError(running, tid);
        if (entered != NULL) return PyDict_DelItem(running, tid);
        if (PyErr_Occurred()) return -1;
        if (track) {
            int was_seen = PySet_Contains(seen, tid);
            if (was_seen < 0) return -1;
            if (!was_seen) {
                if (PySet_Add(tracked_ids, tid) < 0) return -1;
                return track_record(tracked, tid, EXIT_WORD, position, line, len);
            }
        }
        return 0;
    } else {
        PyObject *row = PyDict_GetItemWithError(running, tid);
        PyObject *raw, *value;
        int failed;
        if (row == NULL && PyErr_Occurred()) return -1;
        raw = PyBytes_FromStringAndSize((const char *)line, len);
        if (raw == NULL) return -1;
        if (row == NULL) {
            int fresh = 1;
            if (track) {
                /* One lookup, not two: the set grows if the id is new. */
                Py_ssize_t before = PySet_GET_SIZE(seen);
                if (PySet_Add(seen, tid) < 0) {
                    Py_DECREF(raw);
                    return -1;
                }
                fresh = PySet_GET_SIZE(seen) > before;
            }
            PyObject *pos = PyLong_FromSsize_t(position);
            if (pos == NULL) {
                Py_DECREF(raw);
                return -1;
            }
            value = PyTuple_Pack(3, raw, pos, fresh ? Py_True : Py_False);
            Py_DECREF(pos);
        } else {
            if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != 3) {
                Py_DECREF(raw);
                PyErr_SetString(PyExc_TypeError, "running values are (record, position, fresh)");
                return -1;
            }
            value = PyTuple_Pack(3, raw, PyTuple_GET_ITEM(row, 1), PyTuple_GET_ITEM(row, 2));
        }
        Py_DECREF(raw);
        if (value == NULL) return -1;
        failed = PyDict_SetItem(running, tid, value);
        Py_DECREF(value);
        return failed;
    }
}

PyDoc_STRVAR(fold_doc,
"fold(data, at, end, index, base, running, seen, tracked_ids, tracked, track)\n"
"    -> (at, index, records, stopped)\n\n"
"Fold the lines of `data` from byte `at` (line `index`) to byte `end`, as\n"
"Folder._fold does with no filter, until `end` or a line left to Python: then\n"
"`stopped` is True and (`at`, `index`) are that line's. A line's position\n"
"is `base` plus its index. `records`: the records folded.");

static PyObject *fold(PyObject *self, PyObject *args) {
    Py_buffer data;
    Py_ssize_t at, stop, index, base;
    PyObject *running, *seen, *tracked_ids, *tracked;
    int track;
    Py_ssize_t records = 0;
    int stopped = 0;
    const unsigned char *buf, *end;
    Value values[K_COUNT];
    (void)self;

    if (!PyArg_ParseTuple(args, "y*nnnnO!O!O!O!p", &data, &at, &stop, &index, &base, &PyDict_Type, &running,
                          &PySet_Type, &seen, &PySet_Type, &tracked_ids, &PyList_Type, &tracked, &track))
        return NULL;
    buf = (const unsigned char *)data.buf;
    if (at < 0 || stop < at || stop > data.len) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "at and end must be within data, in order");
        return NULL;
    }
    end = buf + stop;
    while (buf + at < end) {
        const unsigned char *line = buf + at;
        const unsigned char *eol = end;
        unsigned found;
        int shape;
        /* The line's end is where its scan ends, not looked for first. */
        if (!scan_line(line, end, values, &found, &eol)) {
            stopped = 1;
            break;
        }
        shape = classify(values, found);
        if (shape == LINE_OTHER) {
            stopped = 1;
            break;
        }
        if (shape != LINE_MESSAGE) {
            const Value *id = &values[K_TRACE_ID];
            PyObject *tid = PyUnicode_DecodeASCII(id->start, id->len, NULL);
            int failed;
            if (tid == NULL) goto error;
            failed = apply(shape, tid, base + index, line, eol - line, running, seen, tracked_ids, tracked,
                           track);
            Py_DECREF(tid);
            if (failed < 0) goto error;
        }
        records++;
        index++;
        at = (eol - buf) + 1;
    }
    if (at > stop) at = stop;
    PyBuffer_Release(&data);
    return Py_BuildValue("nnnO", at, index, records, stopped ? Py_True : Py_False);

error:
    PyBuffer_Release(&data);
    return NULL;
}

PyDoc_STRVAR(split_lines_doc,
"split_lines(data) -> list[bytes]\n\n"
"data.split(b\"\\n\"), found with memchr: CPython's split looks at the bytes one\n"
"by one (about 2,000 instructions a 400-byte line, most of a reader's split).");

static PyObject *split_lines(PyObject *self, PyObject *arg) {
    Py_buffer data;
    PyObject *lines;
    const char *p, *end;
    (void)self;
    if (PyObject_GetBuffer(arg, &data, PyBUF_SIMPLE) < 0) return NULL;
    lines = PyList_New(0);
    if (lines == NULL) goto done;
    p = (const char *)data.buf;
    end = p + data.len;
    for (;;) {
        const char *eol = memchr(p, '\n', end - p);
        PyObject *line = PyBytes_FromStringAndSize(p, (eol ? eol : end) - p);
        int failed;
        if (line == NULL) {
            Py_CLEAR(lines);
            goto done;
        }
        failed = PyList_Append(lines, line);
        Py_DECREF(line);
        if (failed < 0) {
            Py_CLEAR(lines);
            goto done;
        }
        if (eol == NULL) break;
        p = eol + 1;
    }
done:
    PyBuffer_Release(&data);
    return lines;
}

static PyMethodDef methods[] = {
    {"fold", fold, METH_VARARGS, fold_doc},
    {"split_lines", split_lines, METH_O, split_lines_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastfold",
    "The anomaly scan's common lines, folded without building them (see _fastfold.c).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__fastfold(void) {
    PyObject *m;
    init_special();
    ENTER_WORD = PyUnicode_InternFromString("enter");
    EXIT_WORD = PyUnicode_InternFromString("exit");
    if (ENTER_WORD == NULL || EXIT_WORD == NULL) return NULL;
    m = PyModule_Create(&module);
    return m;
}
