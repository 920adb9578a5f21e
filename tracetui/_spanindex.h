/* `model.SpanIndex` where `_fastindex` is built: a run's spans by id, in
 * the order they came, included by `_fastindex.c`. (Also the Inspect
 * decoder's sample states by their keys, (task, sample_id, epoch), as
 * each holds its own: `_sample.h`. What follows says "span" for either.)
 *
 * Why: `Run.spans` was a dict from each span's id to the span. A span
 * holds its id already, so the dict's keys were a second pointer to it,
 * and its entries (16 bytes, the keys all str) sit in a table kept a third
 * empty: 31 bytes a span of a 1M-line log. Here the spans are one array
 * in the order they came (8 bytes a span, and 4 for its key's hash, and
 * an eighth more to grow into) and a hash table of their positions (4
 * bytes a slot, a third to two thirds of the slots used); a lookup
 * compares the key with the span's own id. About 19-26 bytes a span.
 *
 * It reads and writes as the dict did, for what the code asks of it:
 * `len`, `in`, `[id]` (KeyError if absent), `.get`, `.setdefault`,
 * `[id] = span`, `del [id]`, `.pop`, `.clear`, iteration over the ids,
 * `.keys()`, `.values()`, `.items()` (views that iterate, forwards or
 * `reversed`, and have a `len`). A span is filed under its own id only:
 * `index[key] = span` with `key != span.id` is a ValueError. Setting an id
 * already held replaces its span where it stood, as a dict keeps a key's
 * place. Iterating goes on through spans added meanwhile (a dict would
 * raise); it raises RuntimeError, as a dict does, if positions moved
 * under it (spans removed and the array compacted, or `clear`). Where C
 * is not built, `SpanIndex` is `dict`. */

#ifndef TRACETUI_SPANINDEX_H
#define TRACETUI_SPANINDEX_H

#include <Python.h>
#include <stdint.h>
#include "_span.h"

typedef struct {
    PyObject_HEAD
    PyObject **items;        /* the spans in the order they came; NULL where one was removed */
    uint32_t *hashes;        /* beside each, its key's hash's low 32 bits (`HASH32`) */
    Py_ssize_t length;       /* items used, holes included */
    Py_ssize_t allocated;    /* items room */
    Py_ssize_t count;        /* spans held */
    uint32_t *slots;         /* SLOT_EMPTY, SLOT_REMOVED, or a position + 1 */
    size_t mask;             /* slots - 1 (a power of two); no table yet: slots NULL */
    Py_ssize_t filled;       /* slots not empty (held or removed) */
    Py_ssize_t limit;        /* the most slots filled before the table grows */
    unsigned long long moves; /* bumped whenever positions move: iterators check it */
} SpanIndex;

enum { SLOT_EMPTY = 0, SLOT_REMOVED = 0xFFFFFFFFu };
/* Positions fit a slot below SLOT_REMOVED: a run of 4 billion spans is
 * refused, not wrapped. */
#define MAX_SPANS ((Py_ssize_t)0xFFFFFFF0u)

static PyTypeObject SpanIndexType, SpanIndexViewType, SpanIndexIterType;
static PyObject *ID_NAME; /* "id" */

#define SpanIndex_CheckExact(o) (Py_TYPE(o) == &SpanIndexType)

/* A key's hash as the table keeps it beside its span: a table grown holds
 * its spans again without hashing their ids anew (173k SipHashes of ids
 * held inline, 1.5 % of the index's instructions on a 200k-line log), and
 * a probe reads a span only where the hash is the one sought. */
#define HASH32(hash) ((uint32_t)(size_t)(hash))


/* An item's key (a new reference; NULL with an error): a span's id, a
 * sample state's (task, sample_id, epoch). */
static PyObject *span_key(PyObject *span) {
    if (is_span_core(span)) return span_id_get(span, NULL);
    if (is_keyed_state(span)) return state_key(span);
    return PyObject_GetAttr(span, ID_NAME);
}

/* Whether two str are equal: their lengths, kinds and bytes. */
static int same_str(PyObject *a, PyObject *b) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    return n == PyUnicode_GET_LENGTH(b) && PyUnicode_KIND(a) == PyUnicode_KIND(b) &&
           memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)n * PyUnicode_KIND(a)) == 0;
}

/* Whether a sample state's key equals `key`, a tuple (whose hash is
 * `hash`), as tuples compare: 1, 0, or -1 with an error. */
static int state_key_matches(SampleState *state, PyObject *key, Py_hash_t hash) {
    /* (the index compared the hashes' low 32 bits: the parts are compared
     * as a tuple's would be) */
    PyObject *mine[3] = {state_task(state), ID_NATIVE(state) ? NULL : state->sample_id.o, NULL};
    int same = 1, made[3] = {0, 0, 0};
    if (PyTuple_GET_SIZE(key) != 3) return 0;
    /* A number, the id or the epoch, is an int of its value (as Python
     * compares, a float or bool too): one of another type is compared
     * with an int made of it. */
    for (int k = 1; k < 3; k++) {
        long long number;
        if (k == 1 ? !ID_NATIVE(state) : !(state->key_form & KEY_EPOCH_NATIVE)) continue;
        number = k == 1 ? state->sample_id.i : state->epoch_number;
        PyObject *theirs = PyTuple_GET_ITEM(key, k);
        if (PyLong_CheckExact(theirs)) {
            int overflow;
            long long their_number = PyLong_AsLongLongAndOverflow(theirs, &overflow);
            if (overflow || their_number != number) goto differ;
        } else if ((mine[k] = PyLong_FromLongLong(number)) == NULL) {
            same = -1;
            goto differ;
        } else {
            made[k] = 1;
        }
    }
    if (state->key_form & KEY_EPOCH_NONE) mine[2] = Py_None;
    if (state->key_form & KEY_EPOCH_WITH_TASK) mine[2] = PyTuple_GET_ITEM(state->task, 1);
    Py_INCREF(state); /* (held while an `__eq__` runs, whatever it does to the index) */
    for (int k = 0; k < 3 && same > 0; k++) {
        PyObject *theirs = PyTuple_GET_ITEM(key, k);
        if (mine[k] == NULL) continue; /* (its number, equal) */
        same = mine[k] == theirs ? 1 : PyObject_RichCompareBool(mine[k], theirs, Py_EQ);
    }
    Py_DECREF(state);
    for (int k = 1; k < 3; k++)
        if (made[k]) Py_DECREF(mine[k]);
    return same;
differ:
    for (int k = 1; k < 3; k++)
        if (made[k]) Py_DECREF(mine[k]);
    return same < 0 ? -1 : 0;
}

/* Whether the item's key equals `key` (whose hash is `hash`): 1, 0, or -1
 * with an error. */
static int span_key_matches(PyObject *span, PyObject *key, Py_hash_t hash) {
    PyObject *id;
    int same;
    if (is_span_core(span)) {
        SpanCore *s = (SpanCore *)span;
        if (s->id_form != ID_HELD && s->id_form != ID_BY_KEY) {
            /* (a str that is the id packs as it is held: `id_pack`) */
            unsigned char packed[ID_BYTES];
            if (PyUnicode_CheckExact(key))
                return id_pack(key, packed) == s->id_form && memcmp(packed, s->id.bytes, ID_BYTES) == 0;
        } else if (s->id_form == ID_HELD && (id = s->id.object) != NULL) {
            if (id == key) return 1;
            if (PyUnicode_CheckExact(id) && PyUnicode_CheckExact(key)) {
                Py_hash_t held = ((PyASCIIObject *)id)->hash; /* -1: not hashed yet */
                return (held == -1 || held == hash) && same_str(id, key);
            }
        }
    } else if (is_keyed_state(span) && PyTuple_CheckExact(key)) {
        return state_key_matches((SampleState *)span, key, hash);
    }
    if ((id = span_key(span)) == NULL) return -1; /* (any other item or key: as Python compares) */
    same = PyObject_RichCompareBool(id, key, Py_EQ);
    Py_DECREF(id);
    return same;
}

/* The slot holding `key`'s span (*found 1), or where it would go (*found
 * 0: the first removed slot on its way, else the empty one ending it); -1
 * with an error. The table must exist and have an empty slot. */
static Py_ssize_t index_find(SpanIndex *ix, PyObject *key, Py_hash_t hash, int *found) {
    size_t mask, i, perturb;
    uint32_t *slots;
    Py_ssize_t free_slot;
again:
    mask = ix->mask, slots = ix->slots, perturb = HASH32(hash), free_slot = -1;
    for (i = HASH32(hash) & mask;; perturb >>= 5, i = (i * 5 + perturb + 1) & mask) {
        uint32_t slot = slots[i];
        int same;
        if (slot == SLOT_EMPTY) {
            *found = 0;
            return free_slot >= 0 ? free_slot : (Py_ssize_t)i;
        }
        if (slot == SLOT_REMOVED) {
            if (free_slot < 0) free_slot = (Py_ssize_t)i;
            continue;
        }
        if (ix->hashes[slot - 1] != HASH32(hash)) continue;
        if ((same = span_key_matches(ix->items[slot - 1], key, hash)) < 0) return -1;
        /* (an id's __eq__ written in Python could have changed the table) */
        if (ix->slots != slots || ix->mask != mask || slots[i] != slot) goto again;
        if (same) {
            *found = 1;
            return (Py_ssize_t)i;
        }
    }
}

/* The table's slots filled at most, growing (a third to two thirds used
 * after it grew), or settled (`index_settle`): up to 95 %. So full, a probe
 * for an id not held takes ~20 steps, not ~3; it is done once per span a
 * followed log adds, a few thousand a second. */
#define GROWING_LIMIT(size) ((Py_ssize_t)((size) * 2 / 3))
#define SETTLED_LIMIT(size) ((Py_ssize_t)((size) - (size) / 20))

/* The table rebuilt with `size` slots (a power of two, with room for
 * `count` spans under `limit`), the holes left by removed spans closed
 * (positions move: iterators stop); -1 with an error. */
static int index_rebuild_to(SpanIndex *ix, size_t size, Py_ssize_t limit) {
    size_t mask;
    uint32_t *slots;
    Py_ssize_t from, to = 0;
    if ((slots = PyMem_Calloc(size, sizeof(uint32_t))) == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (ix->count != ix->length) {
        for (from = 0; from < ix->length; from++) {
            if (ix->items[from] == NULL) continue;
            ix->hashes[to] = ix->hashes[from];
            ix->items[to++] = ix->items[from];
        }
        ix->length = to;
        ix->moves++;
    }
    mask = size - 1;
    for (from = 0; from < ix->length; from++) {
        size_t i, perturb = ix->hashes[from];
        for (i = perturb & mask; slots[i] != SLOT_EMPTY; perturb >>= 5, i = (i * 5 + perturb + 1) & mask)
            ;
        slots[i] = (uint32_t)(from + 1);
    }
    PyMem_Free(ix->slots);
    ix->slots = slots;
    ix->mask = mask;
    ix->filled = ix->length;
    ix->limit = limit;
    return 0;
}

/* The table rebuilt for `count` spans and as many more. */
static int index_rebuild(SpanIndex *ix) {
    size_t size = 8;
    while (size < (size_t)ix->count * 2 + 2) size <<= 1;
    return index_rebuild_to(ix, size, GROWING_LIMIT(size));
}

/* The span filed under `key`, borrowed; NULL with no error if none. */
static PyObject *index_get(SpanIndex *ix, PyObject *key, Py_hash_t hash) {
    int found;
    Py_ssize_t i;
    if (ix->count == 0) return NULL;
    if ((i = index_find(ix, key, hash, &found)) < 0 || !found) return NULL;
    return ix->items[ix->slots[i] - 1];
}

/* `span` filed under `key` (`only_new`: unless `key` is held), appended, or
 * in place of the span held under it. Returns the span now held (borrowed),
 * NULL with an error. */
static PyObject *index_put(SpanIndex *ix, PyObject *key, Py_hash_t hash, PyObject *span, int only_new) {
    int found, same;
    Py_ssize_t i;
    if ((same = span_key_matches(span, key, hash)) <= 0) {
        if (same == 0)
            PyErr_SetString(PyExc_ValueError, "a span (or sample state) is filed under its own id (key) only");
        return NULL;
    }
    if (ix->slots == NULL || ix->filled + 1 > ix->limit) {
        if (index_rebuild(ix) < 0) return NULL;
    }
    if ((i = index_find(ix, key, hash, &found)) < 0) return NULL;
    if (found) {
        PyObject **held = &ix->items[ix->slots[i] - 1];
        if (!only_new) Py_SETREF(*held, Py_NewRef(span));
        return *held;
    }
    if (ix->length == ix->allocated) {
        Py_ssize_t more = ix->length + (ix->length >> 3) + 16;
        PyObject **items;
        uint32_t *hashes;
        if (ix->length >= MAX_SPANS) {
            PyErr_SetString(PyExc_OverflowError, "a run holds at most 4,294,967,280 spans");
            return NULL;
        }
        if (more > MAX_SPANS) more = MAX_SPANS;
        if ((items = PyMem_Realloc(ix->items, (size_t)more * sizeof(PyObject *))) == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        ix->items = items;
        if ((hashes = PyMem_Realloc(ix->hashes, (size_t)more * sizeof(uint32_t))) == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        ix->hashes = hashes;
        ix->allocated = more;
    }
    if (ix->slots[i] == SLOT_EMPTY) ix->filled++;
    ix->hashes[ix->length] = HASH32(hash);
    ix->items[ix->length++] = Py_NewRef(span);
    ix->slots[i] = (uint32_t)ix->length;
    ix->count++;
    return span;
}

/* The span under `key` taken out (a new reference); NULL with no error if
 * none. */
static PyObject *index_take(SpanIndex *ix, PyObject *key, Py_hash_t hash) {
    int found;
    Py_ssize_t i;
    PyObject *span;
    if (ix->count == 0 || (i = index_find(ix, key, hash, &found)) < 0 || !found) return NULL;
    span = ix->items[ix->slots[i] - 1];
    ix->items[ix->slots[i] - 1] = NULL;
    ix->slots[i] = SLOT_REMOVED;
    ix->count--;
    return span;
}

/* KeyError(key), a tuple key not taken for the exception's args. */
static void key_error(PyObject *key) {
    PyObject *args = PyTuple_Pack(1, key);
    if (args == NULL) return;
    PyErr_SetObject(PyExc_KeyError, args);
    Py_DECREF(args);
}

/* Whether a method got from `min` to `max` arguments (else a TypeError). */
static int arg_count(const char *name, Py_ssize_t n, Py_ssize_t min, Py_ssize_t max) {
    if (n >= min && n <= max) return 1;
    PyErr_Format(PyExc_TypeError, "%s takes %zd to %zd arguments (%zd given)", name, min, max, n);
    return 0;
}

/* A key's hash, as a dict takes it (a str's kept in it, once made). */
static Py_hash_t id_hash(PyObject *key) {
    if (PyUnicode_CheckExact(key) && ((PyASCIIObject *)key)->hash != -1) return ((PyASCIIObject *)key)->hash;
    return PyObject_Hash(key);
}

/* -- the type -------------------------------------------------------------- */

static int index_clear(SpanIndex *ix) {
    PyObject **items = ix->items;
    Py_ssize_t n = ix->length;
    ix->items = NULL;
    PyMem_Free(ix->hashes);
    ix->hashes = NULL;
    ix->length = ix->allocated = ix->count = ix->filled = 0;
    PyMem_Free(ix->slots);
    ix->slots = NULL;
    ix->mask = 0;
    ix->limit = 0;
    ix->moves++;
    for (Py_ssize_t k = 0; k < n; k++) Py_XDECREF(items[k]);
    PyMem_Free(items);
    return 0;
}

static void index_dealloc(SpanIndex *ix) {
    PyObject_GC_UnTrack(ix);
    index_clear(ix);
    Py_TYPE(ix)->tp_free((PyObject *)ix);
}

static int index_traverse(SpanIndex *ix, visitproc visit, void *arg) {
    for (Py_ssize_t k = 0; k < ix->length; k++) Py_VISIT(ix->items[k]);
    return 0;
}

static Py_ssize_t index_length(SpanIndex *ix) { return ix->count; }

/* The span filed under `key`, borrowed, its key's hash in *hash; NULL if
 * none (an error set if the key could not be hashed or compared). */
static PyObject *index_lookup(SpanIndex *ix, PyObject *key, Py_hash_t *hash) {
    if ((*hash = id_hash(key)) == -1 && PyErr_Occurred()) return NULL;
    return index_get(ix, key, *hash);
}

static PyObject *index_subscript(SpanIndex *ix, PyObject *key) {
    Py_hash_t hash;
    PyObject *span = index_lookup(ix, key, &hash);
    if (span == NULL) {
        if (!PyErr_Occurred()) key_error(key);
        return NULL;
    }
    return Py_NewRef(span);
}

static int index_ass_subscript(SpanIndex *ix, PyObject *key, PyObject *span) {
    Py_hash_t hash = id_hash(key);
    if (hash == -1 && PyErr_Occurred()) return -1;
    if (span != NULL) return index_put(ix, key, hash, span, 0) == NULL ? -1 : 0;
    if ((span = index_take(ix, key, hash)) == NULL) {
        if (!PyErr_Occurred()) key_error(key);
        return -1;
    }
    Py_DECREF(span);
    return 0;
}

static int index_contains(SpanIndex *ix, PyObject *key) {
    Py_hash_t hash;
    if (index_lookup(ix, key, &hash) != NULL) return 1;
    return PyErr_Occurred() ? -1 : 0;
}

static PyObject *index_get_method(SpanIndex *ix, PyObject *const *args, Py_ssize_t nargs) {
    Py_hash_t hash;
    PyObject *span;
    if (!arg_count("get", nargs, 1, 2)) return NULL;
    if ((span = index_lookup(ix, args[0], &hash)) != NULL) return Py_NewRef(span);
    if (PyErr_Occurred()) return NULL;
    return Py_NewRef(nargs > 1 ? args[1] : Py_None);
}

static PyObject *index_setdefault(SpanIndex *ix, PyObject *const *args, Py_ssize_t nargs) {
    Py_hash_t hash;
    PyObject *span;
    if (!arg_count("setdefault", nargs, 2, 2)) return NULL;
    if ((span = index_lookup(ix, args[0], &hash)) != NULL) return Py_NewRef(span);
    if (PyErr_Occurred() || (span = index_put(ix, args[0], hash, args[1], 1)) == NULL) return NULL;
    return Py_NewRef(span);
}

static PyObject *index_pop(SpanIndex *ix, PyObject *const *args, Py_ssize_t nargs) {
    Py_hash_t hash;
    PyObject *span;
    if (!arg_count("pop", nargs, 1, 2)) return NULL;
    if ((hash = id_hash(args[0])) == -1 && PyErr_Occurred()) return NULL;
    if ((span = index_take(ix, args[0], hash)) != NULL || PyErr_Occurred()) return span;
    if (nargs > 1) return Py_NewRef(args[1]);
    key_error(args[0]);
    return NULL;
}

/* `settle()`: its spans are all in (a file's load has ended), so it is
 * sized to hold them, not to take as many more: its table the smallest
 * that holds them up to SETTLED_LIMIT (a 1M-line Inspect log's 490k spans
 * fit 512k slots, 2 MB, where growing left them 1M, 4 MB; its 117k
 * samples' states 128k, not 256k), and its arrays no longer than what they
 * hold (an eighth more was room to grow into). More spans filed later grow
 * it as before. Positions move if spans were removed (iterators stop). */
static PyObject *index_settle(SpanIndex *ix, PyObject *unused) {
    size_t size = 8;
    if (ix->slots != NULL) {
        while (SETTLED_LIMIT(size) < ix->count) size <<= 1;
        if (size < ix->mask + 1 && index_rebuild_to(ix, size, SETTLED_LIMIT(size)) < 0) return NULL;
    }
    if (ix->allocated > ix->length && ix->length > 0) {
        /* (a shrink that fails leaves its block as it was, which does no
         * harm; the room counted is the smaller array's) */
        PyObject **items = PyMem_Realloc(ix->items, (size_t)ix->length * sizeof(PyObject *));
        uint32_t *hashes = PyMem_Realloc(ix->hashes, (size_t)ix->length * sizeof(uint32_t));
        if (items != NULL) ix->items = items;
        if (hashes != NULL) ix->hashes = hashes;
        if (items != NULL || hashes != NULL) ix->allocated = ix->length;
    }
    Py_RETURN_NONE;
}

static PyObject *index_clear_method(SpanIndex *ix, PyObject *unused) {
    index_clear(ix);
    Py_RETURN_NONE;
}

/* -- views and iterators ----------------------------------------------------- */

enum { VIEW_KEYS, VIEW_VALUES, VIEW_ITEMS };

typedef struct {
    PyObject_HEAD
    SpanIndex *index;
    int what;
} SpanIndexView;

typedef struct {
    PyObject_HEAD
    SpanIndex *index;
    int what, backwards;
    Py_ssize_t at; /* the next position (backwards: one past it) */
    unsigned long long moves;
} SpanIndexIter;

/* (`holder_dealloc` reads an iterator's index where a view's lies.) */
_Static_assert(offsetof(SpanIndexIter, index) == offsetof(SpanIndexView, index),
               "an iterator's index lies where a view's does");

static PyObject *iter_new(SpanIndex *ix, int what, int backwards) {
    SpanIndexIter *it = PyObject_GC_New(SpanIndexIter, &SpanIndexIterType);
    if (it == NULL) return NULL;
    it->index = (SpanIndex *)Py_NewRef(ix);
    it->what = what;
    it->backwards = backwards;
    it->at = backwards ? ix->length : 0;
    it->moves = ix->moves;
    PyObject_GC_Track(it);
    return (PyObject *)it;
}

static PyObject *iter_next(SpanIndexIter *it) {
    SpanIndex *ix = it->index;
    PyObject *span = NULL, *key;
    if (ix == NULL) return NULL;
    if (it->moves != ix->moves) {
        PyErr_SetString(PyExc_RuntimeError, "a run's spans were removed or cleared during iteration");
        return NULL;
    }
    if (it->backwards) {
        while (it->at > 0 && (span = ix->items[--it->at]) == NULL)
            ;
    } else {
        while (it->at < ix->length && (span = ix->items[it->at++]) == NULL)
            ;
    }
    if (span == NULL) {
        Py_CLEAR(it->index);
        return NULL;
    }
    if (it->what == VIEW_VALUES) return Py_NewRef(span);
    if ((key = span_key(span)) == NULL || it->what == VIEW_KEYS) return key;
    {
        PyObject *pair = PyTuple_Pack(2, key, span);
        Py_DECREF(key);
        return pair;
    }
}

/* A view's or an iterator's dealloc and traverse: each holds only its
 * index, the first field of both (an iterator's starts as a view's). */
static void holder_dealloc(SpanIndexView *holder) {
    PyObject_GC_UnTrack(holder);
    Py_XDECREF(holder->index);
    PyObject_GC_Del(holder);
}

static int holder_traverse(SpanIndexView *holder, visitproc visit, void *arg) {
    Py_VISIT(holder->index);
    return 0;
}

static PyObject *iter_length_hint(SpanIndexIter *it, PyObject *unused) {
    Py_ssize_t left = 0;
    if (it->index != NULL) left = it->backwards ? it->at : it->index->length - it->at;
    return PyLong_FromSsize_t(left < 0 ? 0 : left);
}

static PyMethodDef iter_methods[] = {
    {"__length_hint__", (PyCFunction)iter_length_hint, METH_NOARGS, NULL},
    {NULL},
};

static PyTypeObject SpanIndexIterType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracetui._fastindex.SpanIndexIterator",
    .tp_basicsize = sizeof(SpanIndexIter),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_dealloc = (destructor)holder_dealloc,
    .tp_traverse = (traverseproc)holder_traverse,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)iter_next,
    .tp_methods = iter_methods,
};

static PyObject *view_new(SpanIndex *ix, int what) {
    SpanIndexView *view = PyObject_GC_New(SpanIndexView, &SpanIndexViewType);
    if (view == NULL) return NULL;
    view->index = (SpanIndex *)Py_NewRef(ix);
    view->what = what;
    PyObject_GC_Track(view);
    return (PyObject *)view;
}

static Py_ssize_t view_length(SpanIndexView *view) { return view->index->count; }
static PyObject *view_iter(SpanIndexView *view) { return iter_new(view->index, view->what, 0); }
static PyObject *view_reversed(SpanIndexView *view, PyObject *unused) { return iter_new(view->index, view->what, 1); }

static PyMethodDef view_methods[] = {
    {"__reversed__", (PyCFunction)view_reversed, METH_NOARGS, NULL},
    {NULL},
};

static PySequenceMethods view_as_sequence = {.sq_length = (lenfunc)view_length};

static PyTypeObject SpanIndexViewType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracetui._fastindex.SpanIndexView",
    .tp_basicsize = sizeof(SpanIndexView),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_dealloc = (destructor)holder_dealloc,
    .tp_traverse = (traverseproc)holder_traverse,
    .tp_iter = (getiterfunc)view_iter,
    .tp_as_sequence = &view_as_sequence,
    .tp_methods = view_methods,
};

static PyObject *index_keys(SpanIndex *ix, PyObject *unused) { return view_new(ix, VIEW_KEYS); }
static PyObject *index_values(SpanIndex *ix, PyObject *unused) { return view_new(ix, VIEW_VALUES); }
static PyObject *index_items(SpanIndex *ix, PyObject *unused) { return view_new(ix, VIEW_ITEMS); }
static PyObject *index_iter(SpanIndex *ix) { return iter_new(ix, VIEW_KEYS, 0); }
static PyObject *index_reversed(SpanIndex *ix, PyObject *unused) { return iter_new(ix, VIEW_KEYS, 1); }

static PyObject *index_repr(SpanIndex *ix) {
    return PyUnicode_FromFormat("SpanIndex(%zd spans)", ix->count);
}

static PyObject *index_sizeof(SpanIndex *ix, PyObject *unused) {
    size_t bytes = sizeof(SpanIndex) + (size_t)ix->allocated * (sizeof(PyObject *) + sizeof(uint32_t));
    if (ix->slots != NULL) bytes += (ix->mask + 1) * sizeof(uint32_t);
    return PyLong_FromSize_t(bytes);
}

static PyObject *index_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    if (PyTuple_GET_SIZE(args) || (kwds != NULL && PyDict_GET_SIZE(kwds))) {
        PyErr_SetString(PyExc_TypeError, "SpanIndex() takes no arguments: file spans with index[span.id] = span");
        return NULL;
    }
    return type->tp_alloc(type, 0); /* zeroed: no spans, no table */
}

static PyMethodDef index_methods[] = {
    {"get", (PyCFunction)(void (*)(void))index_get_method, METH_FASTCALL, "The span with this id, or the default."},
    {"setdefault", (PyCFunction)(void (*)(void))index_setdefault, METH_FASTCALL,
     "The span with this id, the one given filed under it if there was none."},
    {"pop", (PyCFunction)(void (*)(void))index_pop, METH_FASTCALL, "The span with this id, taken out."},
    {"clear", (PyCFunction)index_clear_method, METH_NOARGS, "Every span taken out."},
    {"settle", (PyCFunction)index_settle, METH_NOARGS,
     "Sized to hold the spans it has, not as many more: a load has ended."},
    {"keys", (PyCFunction)index_keys, METH_NOARGS, "The spans' ids, in the order they came."},
    {"values", (PyCFunction)index_values, METH_NOARGS, "The spans, in the order they came."},
    {"items", (PyCFunction)index_items, METH_NOARGS, "(id, span) pairs, in the order they came."},
    {"__reversed__", (PyCFunction)index_reversed, METH_NOARGS, NULL},
    {"__sizeof__", (PyCFunction)index_sizeof, METH_NOARGS, NULL},
    {NULL},
};

static PyMappingMethods index_as_mapping = {
    .mp_length = (lenfunc)index_length,
    .mp_subscript = (binaryfunc)index_subscript,
    .mp_ass_subscript = (objobjargproc)index_ass_subscript,
};

static PySequenceMethods index_as_sequence = {.sq_contains = (objobjproc)index_contains};

static PyTypeObject SpanIndexType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracetui._fastindex.SpanIndex",
    .tp_doc = "A run's spans by id, in the order they came (see _spanindex.h).",
    .tp_basicsize = sizeof(SpanIndex),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = index_new,
    .tp_dealloc = (destructor)index_dealloc,
    .tp_traverse = (traverseproc)index_traverse,
    .tp_clear = (inquiry)index_clear,
    .tp_repr = (reprfunc)index_repr,
    .tp_iter = (getiterfunc)index_iter,
    .tp_as_mapping = &index_as_mapping,
    .tp_as_sequence = &index_as_sequence,
    .tp_methods = index_methods,
};

static int span_index_ready(void) {
    if ((ID_NAME = PyUnicode_InternFromString("id")) == NULL) return -1;
    if (PyType_Ready(&SpanIndexType) < 0 || PyType_Ready(&SpanIndexViewType) < 0 ||
        PyType_Ready(&SpanIndexIterType) < 0)
        return -1;
    return 0;
}

#endif
