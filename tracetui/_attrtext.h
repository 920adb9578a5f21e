/* A span's attributes held as the JSON text they were read from, in a
 * store of such texts, and read as a new dict each time (`_span.h`,
 * ATTRS_TEXT); included by `_span.h`.
 *
 * Why: a SQLite table's rows often carry their attributes as a small JSON
 * object (a model and its token counts, a tool's arguments). Parsed, each
 * row's is a dict of its own: 184 bytes for up to five keys, with its
 * numbers as objects of 32 bytes. On `bench_sqlite.py --attributes`' 1M-row
 * table that was 213 bytes a span, where the texts average 53 bytes:
 * the engine held 368 B a span against 152 B without them (2026-12-05,
 * the seventeenth session). A text is held here in the bytes it takes,
 * cut from chunks of TEXT_CHUNK bytes, and the span holds where it lies,
 * packed in its `attributes` pointer.
 *
 * Reading parses the text with the store's `loads` (orjson's, as the
 * decoder parsed it), so it gives an equal dict each time, a new one: the
 * same contract as a sample's key (`_span.h`, KEYED). Nothing changes a
 * span's attributes in place; a setter replaces them. Only texts whose
 * dict would take more memory are held so (`text_pays`): a row whose few
 * values are long strings held once for the table (`share_values`) keeps
 * its dict.
 *
 * A store belongs to its decoder's `AttributeTexts` and lives while it or
 * any span holding one of its texts does (`readers`). A text is never
 * freed on its own: a span given new attributes leaves its old text in
 * the chunk until the store goes. A row is seldom written again with
 * other attributes; an open span's row, read again on every change of a
 * live table, holds the text it held (`AttributeTexts.hold`), and each
 * new decoder of a file (`reset`) starts a store of its own.
 * Under the GIL, as every span is made and freed. The chunks are told to
 * `tracemalloc`, as the spans' slab is. */

#ifndef TRACETUI_ATTRTEXT_H
#define TRACETUI_ATTRTEXT_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

/* A pointer holds a text's place (`text_pack`) only where it has 64 bits. */
#define TEXTS_HELD (UINTPTR_MAX >= 0xFFFFFFFFFFFFFFFFu)

/* Bytes a chunk; a text lies in one chunk. */
#define TEXT_CHUNK (1u << 20)
/* The longest text held (in bytes): its length has 16 bits. */
#define TEXT_MAX 0xFFFFu
/* Chunks a store: a text's position in its store has 32 bits. A full
 * store's owner starts another. */
#define TEXT_CHUNKS_MAX ((uint32_t)(((uint64_t)1 << 32) / TEXT_CHUNK))

typedef struct {
    char **chunks;
    uint32_t chunks_used, chunks_room;
    uint32_t last_used;   /* bytes used of the last chunk */
    Py_ssize_t readers;   /* spans holding a text here, and its owner while it holds it */
    PyObject *loads;      /* what parses a text (orjson.loads); NULL: the store is free */
} TextStore;

/* The stores, by number (0 unused; a span's text names its store in 16
 * bits); few: one a decoder of a table. */
static TextStore *TEXT_STORES;
static uint32_t TEXT_STORES_USED = 1, TEXT_STORES_ROOM;
#define TEXT_STORES_MAX 0xFFFFu

/* A text's place as a span's pointer holds it: its store's number, its
 * length, its position in the store. */
static inline void *text_pack(uint32_t store, uint32_t length, uint32_t position) {
    return (void *)(uintptr_t)((uint64_t)store << 48 | (uint64_t)length << 32 | position);
}
#define TEXT_STORE(packed) ((uint32_t)((uint64_t)(uintptr_t)(packed) >> 48))
#define TEXT_LENGTH(packed) ((uint32_t)((uint64_t)(uintptr_t)(packed) >> 32) & 0xFFFFu)
#define TEXT_POSITION(packed) ((uint32_t)(uintptr_t)(packed))

/* A free store's number, taken (readers 1: its owner); 0 with an error. */
static uint32_t text_store_new(PyObject *loads) {
    uint32_t n;
    for (n = 1; n < TEXT_STORES_USED; n++)
        if (TEXT_STORES[n].loads == NULL) break;
    if (n == TEXT_STORES_USED) {
        if (n > TEXT_STORES_MAX) {
            PyErr_SetString(PyExc_OverflowError, "too many stores of attribute texts");
            return 0;
        }
        if (n >= TEXT_STORES_ROOM) {
            uint32_t room = TEXT_STORES_ROOM ? TEXT_STORES_ROOM * 2 : 8;
            TextStore *grown = PyMem_Realloc(TEXT_STORES, room * sizeof *grown);
            if (grown == NULL) {
                PyErr_NoMemory();
                return 0;
            }
            TEXT_STORES = grown, TEXT_STORES_ROOM = room;
        }
        TEXT_STORES_USED++;
    }
    memset(&TEXT_STORES[n], 0, sizeof TEXT_STORES[n]);
    TEXT_STORES[n].loads = Py_NewRef(loads);
    TEXT_STORES[n].readers = 1;
    return n;
}

/* One reader of store `n` less: the last gone, its chunks are freed. */
static void text_store_let_go(uint32_t n) {
    TextStore *store = &TEXT_STORES[n];
    if (--store->readers > 0) return;
    for (uint32_t k = 0; k < store->chunks_used; k++) {
        (void)PyTraceMalloc_Untrack(0, (uintptr_t)store->chunks[k]);
        free(store->chunks[k]);
    }
    PyMem_Free(store->chunks);
    Py_CLEAR(store->loads);
    memset(store, 0, sizeof *store);
}

/* `length` bytes copied into store `n` (one reader more): where they lie,
 * packed; NULL, no error, if the store is full; NULL with an error. */
static void *text_store_add(uint32_t n, const char *text, uint32_t length) {
    TextStore *store = &TEXT_STORES[n];
    uint32_t position;
    if (store->chunks_used == 0 || TEXT_CHUNK - store->last_used < length) {
        char *chunk;
        if (store->chunks_used == TEXT_CHUNKS_MAX) return NULL;
        if (store->chunks_used == store->chunks_room) {
            uint32_t room = store->chunks_room ? store->chunks_room * 2 : 4;
            char **grown = PyMem_Realloc(store->chunks, room * sizeof *grown);
            if (grown == NULL) return PyErr_NoMemory();
            store->chunks = grown, store->chunks_room = room;
        }
        /* (malloc: its pages are only paid for as texts fill them) */
        if ((chunk = malloc(TEXT_CHUNK)) == NULL) return PyErr_NoMemory();
        (void)PyTraceMalloc_Track(0, (uintptr_t)chunk, TEXT_CHUNK);
        store->chunks[store->chunks_used++] = chunk;
        store->last_used = 0;
    }
    position = (store->chunks_used - 1) * TEXT_CHUNK + store->last_used;
    memcpy(store->chunks[store->chunks_used - 1] + store->last_used, text, length);
    store->last_used += length;
    store->readers++;
    return text_pack(n, length, position);
}

/* Where a packed text's bytes lie (TEXT_LENGTH of them). */
static inline const char *text_at(void *packed) {
    uint32_t position = TEXT_POSITION(packed);
    return TEXT_STORES[TEXT_STORE(packed)].chunks[position / TEXT_CHUNK] + position % TEXT_CHUNK;
}

/* Whether the packed text is `length` bytes equal to `text`'s. */
static int text_equals(void *packed, const char *text, Py_ssize_t length) {
    return (Py_ssize_t)TEXT_LENGTH(packed) == length && memcmp(text_at(packed), text, (size_t)length) == 0;
}

/* The attributes a packed text reads as: its store's `loads` of its bytes
 * (a new reference; NULL with an error). */
static PyObject *text_read(void *packed) {
    PyObject *bytes, *made;
    if ((bytes = PyBytes_FromStringAndSize(text_at(packed), TEXT_LENGTH(packed))) == NULL) return NULL;
    made = PyObject_CallOneArg(TEXT_STORES[TEXT_STORE(packed)].loads, bytes);
    Py_DECREF(bytes);
    return made;
}

/* Whether a row's attributes, `made` of its JSON text `cell`, take less
 * memory as the text than as the dict: 1, 0, or -1 with an error. The
 * dict's least bytes (184 for up to five keys, and at least 24 a key
 * more) and its values' that are objects of their own (not a str `shared`
 * holds one copy of, which the dict's value is or is made, `share_values`;
 * nor a small int, None or a bool, which Python holds once for all),
 * against the text's bytes in UTF-8. A text past TEXT_MAX bytes, or one
 * no UTF-8 spells, is not held: 0. */
static int text_pays(PyObject *made, PyObject *cell, PyObject *shared) {
    Py_ssize_t pos = 0, n = PyDict_GET_SIZE(made), dict_bytes, text_bytes;
    PyObject *key, *value;
    if (PyUnicode_IS_ASCII(cell)) {
        text_bytes = PyUnicode_GET_LENGTH(cell);
    } else if (PyUnicode_AsUTF8AndSize(cell, &text_bytes) == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return -1;
        PyErr_Clear(); /* (a lone surrogate: held as the dict) */
        return 0;
    }
    if (text_bytes > (Py_ssize_t)TEXT_MAX) return 0;
    dict_bytes = n == 0 ? 64 : 184 + 24 * (n > 5 ? n - 5 : 0);
    while (PyDict_Next(made, &pos, &key, &value) && dict_bytes <= text_bytes) {
        if (PyUnicode_CheckExact(value)) {
            PyObject *held = PyDict_GetItemWithError(shared, value);
            if (held == NULL && PyErr_Occurred()) return -1;
            if (held == NULL) dict_bytes += 49 + PyUnicode_GET_LENGTH(value); /* (else the dict holds the one copy) */
        } else if (PyLong_CheckExact(value)) {
            int overflow;
            long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
            if (overflow || v < -5 || v > 256) dict_bytes += 32;
        } else if (value != Py_None && !PyBool_Check(value)) {
            dict_bytes += 32; /* a float; a list or dict, at least */
        }
    }
    return text_bytes < dict_bytes;
}

/* -- AttributeTexts: a decoder's store ------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *loads;
    uint32_t store; /* its store's number (0: none yet) */
} AttributeTexts;

static PyTypeObject AttributeTextsType;

static PyObject *AttributeTexts_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *keywords[] = {"loads", NULL};
    PyObject *loads;
    AttributeTexts *self;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:AttributeTexts", keywords, &loads)) return NULL;
    if (!PyCallable_Check(loads)) {
        PyErr_SetString(PyExc_TypeError, "AttributeTexts(loads): loads must be callable");
        return NULL;
    }
    if ((self = (AttributeTexts *)type->tp_alloc(type, 0)) == NULL) return NULL;
    self->loads = Py_NewRef(loads);
    return (PyObject *)self;
}

static void AttributeTexts_dealloc(AttributeTexts *self) {
    if (self->store) text_store_let_go(self->store);
    Py_XDECREF(self->loads);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* `text` (a str) added to the owner's store, a new store started when it
 * is full: where it lies, packed; NULL, no error, if it is longer than
 * TEXT_MAX or no text is held here; NULL with an error. */
static void *texts_add(AttributeTexts *self, PyObject *text) {
    Py_ssize_t length;
    const char *bytes;
    void *packed;
    if (!TEXTS_HELD) return NULL;
    if ((bytes = PyUnicode_AsUTF8AndSize(text, &length)) == NULL) {
        /* (a lone surrogate: no UTF-8 for it, so not held as text) */
        if (PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) PyErr_Clear();
        return NULL;
    }
    if (length > (Py_ssize_t)TEXT_MAX) return NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (self->store == 0 && (self->store = text_store_new(self->loads)) == 0) return NULL;
        if ((packed = text_store_add(self->store, bytes, (uint32_t)length)) != NULL || PyErr_Occurred())
            return packed;
        text_store_let_go(self->store); /* full: the spans holding its texts keep it */
        self->store = 0;
    }
    return NULL;
}

/* A span holding a packed text, and the text: set by `_span.h`. And
 * the text it holds already (NULL: none). */
static int span_hold_text(PyObject *span, void *packed);
static void *span_text(PyObject *span);

static PyObject *AttributeTexts_hold(AttributeTexts *self, PyObject *args) {
    PyObject *span, *text, *shared = NULL;
    void *packed;
    if (!PyArg_ParseTuple(args, "OU|O!:hold", &span, &text, &PyDict_Type, &shared)) return NULL;
    if ((packed = span_text(span)) != NULL) {
        /* The very text it holds (an open span's row, read again on every
         * change): nothing changes, and nothing is written twice. */
        Py_ssize_t length;
        const char *bytes = PyUnicode_AsUTF8AndSize(text, &length);
        if (bytes != NULL && text_equals(packed, bytes, length)) Py_RETURN_TRUE;
        if (bytes == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return NULL;
            PyErr_Clear(); /* (not the text it holds, nor one it can hold: below) */
        }
    }
    if (shared != NULL) { /* (held only if it parses to a dict, and pays) */
        int pays;
        PyObject *made = PyObject_CallOneArg(self->loads, text);
        if (made == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_ValueError)) return NULL;
            PyErr_Clear();
            Py_RETURN_FALSE;
        }
        pays = PyDict_CheckExact(made) ? text_pays(made, text, shared) : 0;
        Py_DECREF(made);
        if (pays <= 0) {
            if (pays < 0) return NULL;
            Py_RETURN_FALSE;
        }
    }
    if ((packed = texts_add(self, text)) == NULL) {
        if (PyErr_Occurred()) return NULL;
        Py_RETURN_FALSE;
    }
    if (span_hold_text(span, packed) < 0) {
        text_store_let_go(TEXT_STORE(packed));
        return NULL;
    }
    Py_RETURN_TRUE;
}

/* `AttributeTexts._stores()`: (stores in use, their chunks, their readers,
 * the bytes written in them); for tests. */
static PyObject *AttributeTexts_stores(PyObject *unused, PyObject *unused2) {
    Py_ssize_t stores = 0, chunks = 0, readers = 0, written = 0;
    for (uint32_t n = 1; n < TEXT_STORES_USED; n++) {
        TextStore *store = &TEXT_STORES[n];
        if (store->loads == NULL) continue;
        stores++, chunks += store->chunks_used, readers += store->readers;
        if (store->chunks_used) written += (Py_ssize_t)(store->chunks_used - 1) * TEXT_CHUNK + store->last_used;
    }
    return Py_BuildValue("(nnnn)", stores, chunks, readers, written);
}

static PyMethodDef AttributeTexts_methods[] = {
    {"hold", (PyCFunction)AttributeTexts_hold, METH_VARARGS,
     "hold(span, text[, shared]) -> bool\n\nGive the span its attributes as `text`, the JSON text of an object, "
     "held here and read with `loads` each time (True, nothing written, if it holds that text already): False "
     "(nothing changed) if the text is longer than 65,535 bytes "
     "in UTF-8, or, `shared` given (a dict of the str values held once), if `loads` does not make a dict of it, or "
     "the dict would take less memory than the text (`text_pays`)."},
    {"_stores", (PyCFunction)AttributeTexts_stores, METH_NOARGS | METH_STATIC,
     "_stores() -> (stores, chunks, readers, bytes)\n\nThe stores of attribute texts in use; for tests."},
    {NULL}
};

static PyTypeObject AttributeTextsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracetui._fastindex.AttributeTexts",
    .tp_basicsize = sizeof(AttributeTexts),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "AttributeTexts(loads)\n\nA decoder's store of spans' attributes as their JSON texts (`_attrtext.h`).",
    .tp_new = AttributeTexts_new,
    .tp_dealloc = (destructor)AttributeTexts_dealloc,
    .tp_methods = AttributeTexts_methods,
};

#endif
