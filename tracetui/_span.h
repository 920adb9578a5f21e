/* `model.Span`'s storage where `_fastindex` is built: `SpanCore`, its base.
 *
 * Why: a span's start, duration and origin were each a Python object of
 * their own (a float, a float, an int: 32 bytes each as pymalloc rounds
 * them), about 85 bytes a span of an Inspect log beside the 160 of the span
 * itself. Here they are held in the span, as a double or an int of up to
 * 80 bits, and made an object only when Python reads one: three 8-byte
 * cells where three pointers were, what each holds in two bits of a byte
 * (`HOLDS`), the high bits of an origin in two bytes beside it.
 *
 * Exact, whatever is stored: a cell holds a float (exactly `float`) as a
 * double, an origin that is an int (exactly `int`, 0 to 2**80 - 1: two
 * byte offsets packed, `model.pack_offset`, the second below 256 GiB) as
 * its low 64 bits and its high 16, None as its tag alone, and anything
 * else (a float subclass, a tuple of locators, a negative int, an origin
 * of a file past 256 GiB) as that object.
 * Reading gives back an equal object of the same type: `-0.0`, NaN and
 * infinities as they were. Only its identity is new (nothing here
 * compares times by `is`).
 *
 * An Inspect sample's node may hold its attributes as the decoder's key
 * of the sample, (task, sample_id, epoch), as the tuple or as the
 * sample's state, which holds the three (`attributes_of_key`), read as a
 * new dict {"task": …, "sample_id": …, "epoch": …} each time: 117k
 * samples of a 1M-line log each held a dict of those three (about 200
 * bytes; 48 a span). Nothing changes a span's attributes in place; a
 * setter replaces them. Such a node's name, "sample {sample_id}" and
 * " · epoch {epoch}" if its epoch is not None, is read from the key too
 * (`NAMED_BY_KEY`, `name_of_key`), made anew at each read: each sample's
 * own str of ~22 characters took 96 bytes (22-24 B a span of an Inspect
 * log, 2026-12-05). Its name set, or its attributes, it holds the name.
 *
 * A span may also hold its attributes as the JSON text they were read
 * from, in a store of such texts (`ATTRS_TEXT`, `_attrtext.h`: a SQLite
 * table's rows), read as a new dict each time, as a sample's are.
 *
 * A span's kind is two bytes and its status one: the code of a string
 * kept in `KINDS` or `STATUSES` (the first 65,533 kinds and 253 statuses
 * any span was given, for the process: a trace has a few of each, and
 * model's statuses and made-up kinds are coded first, so a status reads
 * as the very constant), or, for a kind, "the span's name" (an Inspect
 * action's kind is its name). Whether it was made up (`synthetic`) is a
 * bit. What no code stands for (a string past those, a kind that is not a
 * str, a synthetic that is not a bool) is held in the span's `SpanExtra`
 * (`model.SpanExtra`: its `kind`, `status`, `synthetic`). Reading one
 * gives back an equal object of the same type, perhaps another one:
 * nothing compares kinds or statuses by `is` but C, which compares codes.
 *
 * Its id is held in the span itself where it is a str of a form 16 bytes
 * hold (`id_pack`; a str of 71 bytes stood beside the span, then 24 bytes
 * held up to 23 characters; 2026-12-05, the sixteenth session: 16):
 * - ASCII, up to 15 characters, as its length and characters;
 * - 22 characters of base 57, as `shortuuid` writes a uuid (an Inspect
 *   action's id, `trace_id`), as the number they spell (below 2**129: its
 *   low 128 bits, the top one in `id_form`);
 * - lowercase hex, an even 16 to 32 digits (an OpenTelemetry span's id,
 *   `uuid.hex`), as its bytes;
 * - a uuid as `str(uuid)` writes it (SGP's, Flujo's), as its 16 bytes;
 * - an Inspect sample's id, "sample:{task}:{sample_id}:{epoch}", read from
 *   the key it holds (`ID_BY_KEY`), as its name is.
 * Each form is read back as the very characters (a form takes only what it
 * writes back the same). Read, it is a new str; any other id is held as
 * the object. A run's spans are filed under their ids by a `SpanIndex`
 * (`_spanindex.h`), which compares a key with the id where it lies (a key
 * packed as the id is), so no str of it is kept anywhere.
 *
 * Two pointers each hold one of two fields (2026-12-05: 144 bytes a span
 * before, 128 now, the GC header included; pymalloc rounds to 16, so one
 * alone saved nothing):
 * - `up`, a child's parent or a root's run (`CHILD`): a child's run is
 *   read up its parents (`run_of`). Where that cannot give its run (a
 *   parent of another run, not a span, or under it), its extra holds the
 *   run (`RUN_IN_EXTRA`), and reading stops there.
 * - `detail`, its detail; or its events where its detail is "" (an Inspect
 *   sample's log: `EVENTS_HERE`); or its extra, when it has one of its
 *   own, which then holds both (`HAS_EXTRA`). An Inspect log's spans
 *   seldom have an extra (an error), and its actions have no events.
 *
 * The other fields are plain members, as `__slots__` would make them, so
 * the decoder finds them by offset as before (`offset_of`).
 *
 * A span is not the cyclic GC's: 112 bytes, not 128 with the GC's header
 * (2026-12-05, the fifteenth session; `leave_out_of_gc`). A run's
 * spans are freed when `store.release` cuts their links, as the app needed
 * already: it freezes what it has read out of the GC's reach.
 *
 * Its id in 16 bytes and its origin's high part in 2, a span is 104 bytes,
 * in a slot of exactly that (`span_alloc`; pymalloc would round it up to
 * 112 again): 2026-12-05, the sixteenth session.
 *
 * The Inspect decoder's C makes its actions and samples' nodes without
 * room for a name (`room`), an action without room for attributes either:
 * `attributes` and `name` are last in the struct, and a sample's node is
 * 96 bytes, an action 88. An action's name is its kind, and a sample's
 * node reads its name from its key; such a span reads its name as its
 * kind (`compact_name`) until the two part, when its extra takes the name
 * (`name_to_extra`), as it takes what else a span cannot hold; an
 * action's attributes are None, and its extra holds them once they are
 * set (`bare_attributes`). 2026-12-05, the eighteenth session: 6.9 MB of a
 * 1M-line log. Every reading of `name` or `attributes` in C goes through
 * `IS_COMPACT` or `IS_BARE` (built with TRACETUI_SPAN_MALLOC, each span
 * its own block, for AddressSanitizer to bound). */

#ifndef TRACETUI_SPAN_H
#define TRACETUI_SPAN_H

#include <Python.h>
#include <structmember.h>
#include "_attrtext.h"

enum { CELL_START, CELL_DURATION, CELL_ORIGIN, CELLS };
/* What a cell holds: None (nothing), a double or long long, an object. */
enum { HOLDS_NONE, HOLDS_NATIVE, HOLDS_OBJECT };

typedef union {
    double d;             /* start, duration */
    unsigned long long i; /* origin: its low 64 bits (`origin_high` the rest) */
    PyObject *o;          /* HOLDS_OBJECT: a strong reference */
} Cell;

/* The bytes an id is held in, in the span itself (`id_pack`). */
#define ID_BYTES 16

/* How a span holds its id (`SpanCore.id_form`): the object (NULL: none
 * yet), or one of the forms of 16 bytes (above; `id_pack`). */
enum { ID_HELD, ID_ASCII, ID_BASE57, ID_BASE57_HIGH, ID_HEX, ID_HEX32, ID_UUID, ID_BY_KEY };

typedef struct {
    PyObject_HEAD
    /* Its id: the object (ID_HELD; NULL: none yet), or packed (`id_form`). */
    union {
        PyObject *object;
        unsigned char bytes[ID_BYTES];
    } id;
    /* Its parent where CHILD, else its run (NULL: none set yet): a
     * child's run is read up its parents (`run_of`). */
    PyObject *up;
    /* Its detail; its events where EVENTS_HERE (its detail is then ""); its
     * `SpanExtra` where HAS_EXTRA, which then holds both (`extra_of`). */
    PyObject *detail;
    PyObject *children;
    Cell cell[CELLS];
    unsigned short kind;  /* a code (`KINDS`) */
    unsigned char status; /* a code (`STATUSES`) */
    unsigned char holds;  /* what each cell holds: two bits a cell (HOLDS, SET_HOLDS); and EVENTS_HERE */
    unsigned char flags;  /* KEYED, SYNTHETIC, HAS_EXTRA, ... (below) */
    unsigned char id_form : 4; /* how `id` holds it (ID_HELD, ID_ASCII, ...) */
    unsigned char room : 2;    /* the fields it was made with room for (ROOM_ALL, ...: below) */
    unsigned char origin_high[2]; /* an origin's bits 64 to 79 (`ORIGIN_HIGH`) */
    /* Last, as a span may be made without room for them (`room`): its
     * attributes (`bare_attributes`), and its name (NULL: none set yet, or
     * NAMED_BY_KEY; `compact_name`). */
    PyObject *attributes;
    PyObject *name;
} SpanCore;

/* What a span was made with room for (`SpanCore.room`), its size so: all
 * its fields; all but its name; all but its name and attributes. */
enum { ROOM_ALL, ROOM_NO_NAME, ROOM_BARE };
#define ROOM_BYTES(room) \
    ((room) == ROOM_ALL ? sizeof(SpanCore) : (room) == ROOM_NO_NAME ? offsetof(SpanCore, name) : offsetof(SpanCore, attributes))

/* The largest high part of an origin held unboxed (`origin_split`). */
#define ORIGIN_HIGH_MAX 0xFFFFu
#define ORIGIN_HIGH(s) ((unsigned int)(s)->origin_high[0] | (unsigned int)(s)->origin_high[1] << 8)
#define SET_ORIGIN_HIGH(s, high) \
    ((s)->origin_high[0] = (unsigned char)(high), (s)->origin_high[1] = (unsigned char)((high) >> 8))

#define HOLDS(s, which) (((s)->holds >> (2 * (which))) & 3)
#define SET_HOLDS(s, which, what) \
    ((s)->holds = (unsigned char)(((s)->holds & ~(3 << (2 * (which)))) | ((what) << (2 * (which)))))

enum {
    KEYED = 1,     /* `attributes` holds a sample's key (see above) */
    SYNTHETIC = 2, /* made up (`synthetic` is True) */
    HAS_EXTRA = 4, /* `events` holds its SpanExtra, which holds its events */
    SYNTHETIC_IN_EXTRA = 8, /* `synthetic` is not a bool: its extra holds it */
    ATTRS_TEXT = 16,   /* `attributes` holds where its JSON text lies (`_attrtext.h`), not an object */
    NAMED_BY_KEY = 32, /* KEYED, and its name is read from the key (`name` NULL) */
    CHILD = 64,        /* `up` holds its parent, not its run */
    RUN_IN_EXTRA = 128, /* CHILD, and its run is its extra's (`run_of`) */
};

/* In `holds`, beside the cells' six bits: `detail` holds its events, and
 * its detail is "" (no HAS_EXTRA). */
#define EVENTS_HERE 0x40
/* It was made without room for its name (`span_alloc_compact`; see
 * `compact_name`), or for its attributes too (`bare_attributes`). */
#define IS_COMPACT(s) ((s)->room != ROOM_ALL)
#define IS_BARE(s) ((s)->room == ROOM_BARE)

/* The id held as an object, borrowed (NULL if none, or held packed). */
#define ID_OBJECT(s) ((s)->id_form == ID_HELD ? (s)->id.object : NULL)

/* A kind's or status's code: none set yet (AttributeError), the span's name
 * (a kind), one of its table's strings, or (the table's `in_extra`) held in
 * the extra. */
enum { CODE_UNSET = 0, CODE_NAME = 1, CODE_FIRST = 2 };

/* The strings kinds or statuses are coded as, by code, and a dict of the
 * codes by string. Never shrinks: the first strings given, up to
 * `in_extra` - 2. */
typedef struct {
    PyObject **strings;
    int count, allocated, in_extra;
    PyObject *codes;
} Codes;

static Codes KINDS = {NULL, CODE_FIRST, 0, 0xFFFF, NULL}, STATUSES = {NULL, CODE_FIRST, 0, 0xFF, NULL};

/* model.NO_EXTRA and model.SpanExtra (`span_setup`), and the names of the
 * extra's fields this file reads. */
static PyObject *NO_EXTRA_OBJECT, *EXTRA_TYPE;
static PyObject *EVENTS_NAME, *KIND_NAME, *STATUS_NAME, *SYNTHETIC_NAME, *DETAIL_NAME, *RUN_NAME, *NAME_NAME,
    *ATTRIBUTES_NAME;

static PyObject *TASK_NAME, *SAMPLE_ID_NAME, *EPOCH_NAME; /* the keyed attributes' names */

static PyObject *SIXTY_FOUR; /* 64, to shift an origin by */

/* A sample's name's words, "sample " and " · epoch " (`name_of_key`), and
 * "" (a format spec, a join's separator; `_fastindex.c` reads it too). */
static PyObject *SAMPLE_LABEL, *EPOCH_LABEL, *EMPTY_STR;
/* A sample's id's words, "sample:" and ":" (`sample_id_of`). */
static PyObject *SAMPLE_ID_PREFIX, *COLON_STR;

static PyTypeObject SpanCoreType;

/* The last type seen to be a SpanCore (model.Span, nearly always), held:
 * PyObject_TypeCheck walks a subclass's bases each time. */
static PyTypeObject *SPAN_CORE_SEEN;

static int is_span_core(PyObject *obj) {
    if (Py_TYPE(obj) == SPAN_CORE_SEEN) return 1;
    if (!PyObject_TypeCheck(obj, &SpanCoreType)) return 0;
    /* (a reference kept: a type freed could leave its address to another) */
    Py_XSETREF(SPAN_CORE_SEEN, (PyTypeObject *)Py_NewRef(Py_TYPE(obj)));
    return 1;
}

/* Whether a span's `children` holds its only child itself: one span as
 * the tuple of it, 56 bytes less (a fifth of an Inspect log's spans,
 * samples and actions, have one child; 9 B a span, 2026-12-05). */
#define ONLY_CHILD(children) is_span_core(children)

/* model.SMALL_FAN_OUT: a span's children are held as a tuple would be (a
 * `ChildSpans`) up to this many, past it as a list. */
#define SMALL_FAN_OUT 8

/* A span's few children (2 to SMALL_FAN_OUT), held as a tuple holds them
 * but without the cyclic GC's 16-byte header before it: spans are not the
 * GC's (`leave_out_of_gc`), so what holds only spans need not be either.
 * 74.7k of a 1M-line Inspect log's 491k spans (samples) hold two or three
 * children: 1.2 MB, 2.4 B a span (2026-12-05). Read as a new tuple
 * (`span_children_get`), as an only child is; a tuple of such spans set is
 * held so (`span_children_set`). */
typedef struct {
    PyObject_VAR_HEAD
    PyObject *item[1];
} ChildSpans;

static PyTypeObject ChildSpansType;
#define CHILD_SPANS(o) (Py_IS_TYPE((o), &ChildSpansType))

/* The `n` spans at `items` held as a ChildSpans (a new reference; NULL
 * with an error), each one more reference. */
static PyObject *child_spans_of(PyObject *const *items, Py_ssize_t n) {
    ChildSpans *c = PyObject_NewVar(ChildSpans, &ChildSpansType, n);
    if (c == NULL) return NULL;
    for (Py_ssize_t k = 0; k < n; k++) c->item[k] = Py_NewRef(items[k]);
    return (PyObject *)c;
}

static void child_spans_dealloc(ChildSpans *c) {
    for (Py_ssize_t k = 0; k < Py_SIZE(c); k++) Py_XDECREF(c->item[k]);
    PyObject_Free(c);
}

static PyObject *child_spans_sizeof(ChildSpans *c, PyObject *unused) {
    return PyLong_FromSsize_t(offsetof(ChildSpans, item) + Py_SIZE(c) * (Py_ssize_t)sizeof(PyObject *));
}

static PyMethodDef child_spans_methods[] = {
    {"__sizeof__", (PyCFunction)child_spans_sizeof, METH_NOARGS, NULL},
    {NULL},
};

static PyTypeObject ChildSpansType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracetui._fastindex.ChildSpans",
    .tp_doc = "A span's few children, held as a tuple is but outside the cyclic GC (see _span.h).",
    .tp_basicsize = offsetof(ChildSpans, item),
    .tp_itemsize = sizeof(PyObject *),
    .tp_flags = Py_TPFLAGS_DEFAULT, /* not the cyclic GC's, as spans are not */
    .tp_dealloc = (destructor)child_spans_dealloc,
    .tp_methods = child_spans_methods,
};

/* The value of a cell (a new reference). */
static PyObject *cell_get(PyObject *span, int which) {
    SpanCore *s = (SpanCore *)span;
    switch (HOLDS(s, which)) {
    case HOLDS_NATIVE:
        if (which != CELL_ORIGIN) return PyFloat_FromDouble(s->cell[which].d);
        if (ORIGIN_HIGH(s) == 0) return PyLong_FromUnsignedLongLong(s->cell[which].i);
        {
            PyObject *high = PyLong_FromUnsignedLong(ORIGIN_HIGH(s)), *low, *shifted, *value;
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

/* An int from 0 to 2**80 - 1 as its low 64 bits and high 16: 1 if it is
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
    if (v > ORIGIN_HIGH_MAX) return 0;
    *low = PyLong_AsUnsignedLongLongMask(value);
    if (*low == (unsigned long long)-1 && PyErr_Occurred()) return -1;
    *high = (unsigned int)v;
    return 1;
}

/* A cell set to `value`; -1 with an error if it cannot be (NULL: deleted). */
static int cell_set(PyObject *span, int which, PyObject *value) {
    SpanCore *s = (SpanCore *)span;
    PyObject *old = HOLDS(s, which) == HOLDS_OBJECT ? s->cell[which].o : NULL;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a span's start, duration and origin cannot be deleted");
        return -1;
    }
    if (value == Py_None) {
        SET_HOLDS(s, which, HOLDS_NONE);
    } else if (which != CELL_ORIGIN && PyFloat_CheckExact(value)) {
        s->cell[which].d = PyFloat_AS_DOUBLE(value);
        SET_HOLDS(s, which, HOLDS_NATIVE);
    } else {
        unsigned long long low;
        unsigned int high;
        int native = which == CELL_ORIGIN ? origin_split(value, &low, &high) : 0;
        if (native < 0) return -1;
        if (native) {
            s->cell[which].i = low;
            SET_ORIGIN_HIGH(s, high);
            SET_HOLDS(s, which, HOLDS_NATIVE);
        } else {
            s->cell[which].o = Py_NewRef(value);
            SET_HOLDS(s, which, HOLDS_OBJECT);
        }
    }
    Py_XDECREF(old);
    return 0;
}

/* A time cell as a double: 1 if it holds one (in *out), 0 if None, -1 if
 * an object of another type (then read it with `cell_get`). */
static inline int cell_double(PyObject *span, int which, double *out) {
    SpanCore *s = (SpanCore *)span;
    if (HOLDS(s, which) == HOLDS_NATIVE) {
        *out = s->cell[which].d;
        return 1;
    }
    return HOLDS(s, which) == HOLDS_NONE ? 0 : -1;
}

static PyObject *span_cell_get(PyObject *span, void *which) {
    return cell_get(span, (int)(Py_intptr_t)which);
}

static int span_cell_set(PyObject *span, PyObject *value, void *which) {
    return cell_set(span, (int)(Py_intptr_t)which, value);
}

/* A sample's state (`_sample.h`, after this file): part `k` of its key
 * (a new reference), and whether an object is a state with a key. */
static PyObject *sample_key_item(PyObject *state, int k);
static PyObject *state_key(PyObject *state);
static int is_keyed_state(PyObject *obj);
/* A span whose name, or id, is read from its key made to hold it (below). */
static int hold_name(SpanCore *s);
static int hold_id(SpanCore *s);

/* Part `k` of a KEYED span's key: its key tuple's, or its state's (a new
 * reference; NULL with an error). */
static PyObject *key_item(PyObject *key, int k) {
    return PyTuple_CheckExact(key) ? Py_NewRef(PyTuple_GET_ITEM(key, k)) : sample_key_item(key, k);
}

static PyObject *extra_of(SpanCore *s, int make);

/* A field of its own extra that a span without room for it holds there
 * (`name`, `attributes`: a new reference); NULL with no error where it
 * has no extra or its extra leaves the field unset; NULL with an error. */
static PyObject *extra_field(SpanCore *s, PyObject *field) {
    PyObject *value;
    if (!(s->flags & HAS_EXTRA)) return NULL;
    if ((value = PyObject_GetAttr(s->detail, field)) == NULL && PyErr_ExceptionMatches(PyExc_AttributeError))
        PyErr_Clear();
    return value;
}

/* A bare span's attributes (no room for them: `room`; an Inspect action's
 * are None): its extra's, once they were set to anything (a new
 * reference; NULL with an error). */
static PyObject *bare_attributes(SpanCore *s) {
    PyObject *value = extra_field(s, ATTRIBUTES_NAME);
    if (value == NULL && !PyErr_Occurred()) Py_RETURN_NONE;
    return value;
}

static PyObject *span_attributes_get(PyObject *span, void *closure) {
    SpanCore *s = (SpanCore *)span;
    PyObject *key, *made;
    if (IS_BARE(s)) return bare_attributes(s);
    if ((key = s->attributes) == NULL) {
        PyErr_SetString(PyExc_AttributeError, "attributes");
        return NULL;
    }
    if (s->flags & ATTRS_TEXT) return text_read(key);
    if (!(s->flags & KEYED)) return Py_NewRef(key);
    if ((made = PyDict_New()) == NULL) return NULL;
    {
        PyObject *names[3] = {TASK_NAME, SAMPLE_ID_NAME, EPOCH_NAME};
        for (int k = 0; k < 3; k++) {
            PyObject *value = key_item(key, k);
            if (value == NULL || PyDict_SetItem(made, names[k], value) < 0) {
                Py_XDECREF(value);
                Py_DECREF(made);
                return NULL;
            }
            Py_DECREF(value);
        }
    }
    return made;
}

/* Its attributes' text let go of, where it holds one (ATTRS_TEXT):
 * `attributes` is then NULL. */
static inline void drop_text(SpanCore *s) {
    if (!(s->flags & ATTRS_TEXT)) return;
    text_store_let_go(TEXT_STORE(s->attributes));
    s->attributes = NULL;
    s->flags &= ~ATTRS_TEXT;
}

static int span_attributes_set(PyObject *span, PyObject *value, void *closure) {
    SpanCore *s = (SpanCore *)span;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a span's attributes cannot be deleted");
        return -1;
    }
    if (IS_BARE(s)) {
        /* (never KEYED, nor held as text: none to let go of) */
        PyObject *extra;
        if (value == Py_None && !(s->flags & HAS_EXTRA)) return 0;
        return (extra = extra_of(s, 1)) == NULL ? -1 : PyObject_SetAttr(extra, ATTRIBUTES_NAME, value);
    }
    if (hold_name(s) < 0 || hold_id(s) < 0) return -1;
    drop_text(s);
    Py_XSETREF(s->attributes, Py_NewRef(value));
    s->flags &= ~KEYED;
    return 0;
}

/* The text its attributes are held as (packed), or NULL: not a span, or
 * not held as a text. */
static void *span_text(PyObject *span) {
    return is_span_core(span) && (((SpanCore *)span)->flags & ATTRS_TEXT) ? ((SpanCore *)span)->attributes : NULL;
}

/* `AttributeTexts.hold`: its attributes the text at `packed`, whose store
 * counts it as a reader already. */
static int span_hold_text(PyObject *span, void *packed) {
    SpanCore *s = (SpanCore *)span;
    if (!is_span_core(span) || IS_BARE(s)) {
        PyErr_SetString(PyExc_TypeError, "only a span with room for its attributes holds them as text");
        return -1;
    }
    if (hold_name(s) < 0 || hold_id(s) < 0) return -1;
    drop_text(s);
    Py_CLEAR(s->attributes);
    s->attributes = packed;
    s->flags = (unsigned char)((s->flags & ~KEYED) | ATTRS_TEXT);
    return 0;
}

/* Its attributes read from a sample's key, (task, sample_id, epoch): a
 * tuple of the three, or the sample's state, which holds them. */
static inline int attributes_from_key(PyObject *span, PyObject *key) {
    SpanCore *s = (SpanCore *)span;
    if (!(PyTuple_CheckExact(key) && PyTuple_GET_SIZE(key) == 3) && !is_keyed_state(key)) {
        PyErr_SetString(PyExc_TypeError, "a sample's key is a tuple (task, sample_id, epoch), or its state");
        return -1;
    }
    if (IS_BARE(s)) {
        PyErr_SetString(PyExc_TypeError, "a span made without room for its attributes holds no key");
        return -1;
    }
    if (hold_name(s) < 0 || hold_id(s) < 0) return -1;
    drop_text(s);
    Py_XSETREF(s->attributes, Py_NewRef(key));
    s->flags |= KEYED;
    return 0;
}

/* ---- Kinds and statuses as codes, the synthetic bit, the extra ---- */

/* The code of a kind or status, the string coded if there is room (its
 * code then kept for good); the table's `in_extra` for what no code stands for;
 * -1 with an error. */
static int code_of(Codes *table, PyObject *value) {
    PyObject *found, *code;
    /* The very string coded, among the first few (model's statuses, a
     * decoder's shared kinds): no hash lookup (~100 instructions). */
    for (int k = CODE_FIRST; k < table->count && k < CODE_FIRST + 16; k++)
        if (table->strings[k] == value) return k;
    if (!PyUnicode_CheckExact(value)) return table->in_extra;
    if ((found = PyDict_GetItemWithError(table->codes, value)) != NULL) return (int)PyLong_AsLong(found);
    if (PyErr_Occurred()) return -1;
    if (table->count >= table->in_extra) return table->in_extra;
    if (table->count >= table->allocated) { /* (codes below CODE_FIRST have no string) */
        int more = table->allocated ? 2 * table->allocated : 64;
        PyObject **grown;
        if (more > table->in_extra) more = table->in_extra;
        if ((grown = PyMem_Realloc(table->strings, (size_t)more * sizeof(PyObject *))) == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        table->strings = grown;
        table->allocated = more;
    }
    if ((code = PyLong_FromLong(table->count)) == NULL) return -1;
    if (PyDict_SetItem(table->codes, value, code) < 0) {
        Py_DECREF(code);
        return -1;
    }
    Py_DECREF(code);
    table->strings[table->count] = Py_NewRef(value);
    return table->count++;
}

/* Whether a value is exactly "": a detail its events may stand in for. */
static inline int is_empty_str(PyObject *value) {
    return value != NULL && PyUnicode_CheckExact(value) && PyUnicode_GET_LENGTH(value) == 0;
}

/* A span with no extra of its own made to hold `extra` (a new reference,
 * taken), which takes the detail and events the span held; -1 with an
 * error (`extra` let go, the span as it was). */
static int hold_extra(SpanCore *s, PyObject *extra) {
    PyObject *events = s->holds & EVENTS_HERE ? s->detail : Py_None,
             *detail = s->holds & EVENTS_HERE ? EMPTY_STR : s->detail;
    if (PyObject_SetAttr(extra, EVENTS_NAME, events) < 0 ||
        (detail != NULL && PyObject_SetAttr(extra, DETAIL_NAME, detail) < 0)) {
        Py_DECREF(extra);
        return -1;
    }
    Py_XSETREF(s->detail, extra);
    s->holds &= ~EVENTS_HERE;
    s->flags |= HAS_EXTRA;
    return 0;
}

/* Its own extra (borrowed): the one it holds, or (`make`) a new one, which
 * then holds its detail and events. NULL if it has none and `make` is 0
 * (no error), or with an error. */
static PyObject *extra_of(SpanCore *s, int make) {
    PyObject *extra;
    if (s->flags & HAS_EXTRA) return s->detail;
    if (!make) return NULL;
    if (EXTRA_TYPE == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "SpanCore.span_setup was not called");
        return NULL;
    }
    if ((extra = PyObject_CallNoArgs(EXTRA_TYPE)) == NULL || hold_extra(s, extra) < 0) return NULL;
    return extra;
}

static PyObject *span_coded_get(PyObject *span, void *which);

/* Whether `a` and `b` are the same object, or both exactly str and equal. */
static int same_text(PyObject *a, PyObject *b) {
    return a == b || (PyUnicode_CheckExact(a) && PyUnicode_CheckExact(b) && PyUnicode_Compare(a, b) == 0);
}

/* A span without room for its name: the name held in its extra (a new
 * reference), NULL if it holds none there (no error), or NULL with an
 * error. */
static PyObject *extra_name(SpanCore *s) {
    return extra_field(s, NAME_NAME);
}

/* A span without room for its name: the name put in its extra; 0, or -1 with an error. */
static int name_to_extra(SpanCore *s, PyObject *name) {
    PyObject *extra = extra_of(s, 1);
    return extra == NULL ? -1 : PyObject_SetAttr(extra, NAME_NAME, name);
}

/* The name of a span without room for one (a new reference; NULL with an
 * error), when not NAMED_BY_KEY: its extra's, where it holds one there;
 * else its kind. Such a span is made with its kind as its name (`span_alloc_compact`),
 * and its name moves to its extra before they part (`coded_set`,
 * `span_name_set`): an Inspect action's name is its kind. */
static PyObject *compact_name(SpanCore *s) {
    PyObject *name = extra_name(s);
    if (name != NULL || PyErr_Occurred()) return name;
    if (s->kind != CODE_UNSET && s->kind != CODE_NAME) return span_coded_get((PyObject *)s, NULL);
    PyErr_SetString(PyExc_AttributeError, "name");
    return NULL;
}

/* Its kind (`status` 0) or status (1) set to `value`: coded, or its
 * extra's. A kind that is its name (`as_name` and the same object) reads
 * as its name. -1 with an error. */
static int coded_set(SpanCore *s, int status, PyObject *value, int as_name) {
    Codes *table = status ? &STATUSES : &KINDS;
    int code, same = 0;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a span's kind and status cannot be deleted");
        return -1;
    }
    if (!status && IS_COMPACT(s) && !(s->flags & NAMED_BY_KEY)) {
        /* its name: its extra's, or its kind, which must then go first */
        PyObject *name = extra_name(s);
        if (name == NULL && PyErr_Occurred()) return -1;
        if (name != NULL) {
            same = as_name && value == name;
            Py_DECREF(name);
        } else if (s->kind != CODE_UNSET && s->kind != CODE_NAME) {
            int moved = 0, equal;
            if ((name = span_coded_get((PyObject *)s, NULL)) == NULL) return -1;
            equal = same_text(name, value);
            if (!equal) moved = name_to_extra(s, name);
            Py_DECREF(name);
            if (moved < 0) return -1;
            if (equal) return 0; /* (its kind as it was, which reads as an equal str) */
        }
    } else {
        same = as_name && !status && !IS_COMPACT(s) && value == s->name;
    }
    if (same) {
        code = CODE_NAME;
    } else if ((code = code_of(table, value)) < 0) {
        return -1;
    } else if (code == table->in_extra) {
        PyObject *extra = extra_of(s, 1);
        if (extra == NULL || PyObject_SetAttr(extra, status ? STATUS_NAME : KIND_NAME, value) < 0) return -1;
    }
    if (status) {
        s->status = (unsigned char)code;
    } else {
        s->kind = (unsigned short)code;
    }
    return 0;
}

static PyObject *span_coded_get(PyObject *span, void *which) {
    SpanCore *s = (SpanCore *)span;
    int status = which != NULL;
    Codes *table = status ? &STATUSES : &KINDS;
    int code = status ? s->status : s->kind;
    PyObject *extra;
    if (code == table->in_extra) {
        if ((extra = extra_of(s, 0)) != NULL) return PyObject_GetAttr(extra, status ? STATUS_NAME : KIND_NAME);
    } else if (code == CODE_NAME) {
        if (IS_COMPACT(s)) {
            PyObject *name = extra_name(s);
            if (name != NULL || PyErr_Occurred()) return name;
        } else if (s->name != NULL) {
            return Py_NewRef(s->name);
        }
    } else if (code != CODE_UNSET) {
        return Py_NewRef(table->strings[code]);
    }
    PyErr_SetString(PyExc_AttributeError, status ? "status" : "kind");
    return NULL;
}

static int span_coded_set(PyObject *span, PyObject *value, void *which) {
    return coded_set((SpanCore *)span, which != NULL, value, 1);
}

/* The parts, all str, joined: in one copy where each is of one byte a
 * character (as a sample's id and label nearly always are), else by
 * PyUnicode_Join. A string of ASCII only must be made as such (what
 * `str.isascii` and its UTF-8 form read), so the result is ASCII unless a
 * part is not. */
static PyObject *concat(PyObject *const *parts, Py_ssize_t n) {
    Py_ssize_t length = 0, k;
    Py_UCS4 widest = 127;
    PyObject *text;
    Py_UCS1 *out;
    for (k = 0; k < n; k++) {
        if (PyUnicode_KIND(parts[k]) != PyUnicode_1BYTE_KIND) {
            PyObject *tuple = PyTuple_New(n), *joined;
            if (tuple == NULL) return NULL;
            for (Py_ssize_t j = 0; j < n; j++) PyTuple_SET_ITEM(tuple, j, Py_NewRef(parts[j]));
            joined = PyUnicode_Join(EMPTY_STR, tuple);
            Py_DECREF(tuple);
            return joined;
        }
        if (!PyUnicode_IS_ASCII(parts[k])) widest = 255;
        length += PyUnicode_GET_LENGTH(parts[k]);
    }
    if ((text = PyUnicode_New(length, widest)) == NULL) return NULL;
    out = PyUnicode_1BYTE_DATA(text);
    for (k = 0; k < n; k++) {
        memcpy(out, PyUnicode_1BYTE_DATA(parts[k]), PyUnicode_GET_LENGTH(parts[k]));
        out += PyUnicode_GET_LENGTH(parts[k]);
    }
    return text;
}

/* A NAMED_BY_KEY span's name, f"sample {sample_id}" and f" · epoch {epoch}"
 * unless its epoch is None, as `InspectDecoder._sample_for` spells it (a
 * new reference; NULL with an error). */
static PyObject *name_of_key(SpanCore *s) {
    PyObject *id = key_item(s->attributes, 1), *epoch = key_item(s->attributes, 2);
    PyObject *parts[4] = {SAMPLE_LABEL, NULL, EPOCH_LABEL, NULL}, *name = NULL;
    if (id != NULL && epoch != NULL && (parts[1] = PyObject_Format(id, EMPTY_STR)) != NULL &&
        (epoch == Py_None || (parts[3] = PyObject_Format(epoch, EMPTY_STR)) != NULL))
        name = concat(parts, epoch == Py_None ? 2 : 4);
    Py_XDECREF(id);
    Py_XDECREF(epoch);
    Py_XDECREF(parts[1]);
    Py_XDECREF(parts[3]);
    return name;
}

/* A NAMED_BY_KEY span made to hold its name, before its key goes or the
 * name is read as a kind; 0, or -1 with an error. */
static int hold_name(SpanCore *s) {
    if (s->flags & NAMED_BY_KEY) {
        PyObject *name = name_of_key(s);
        if (name == NULL) return -1;
        if (IS_COMPACT(s)) {
            int held = name_to_extra(s, name);
            Py_DECREF(name);
            if (held < 0) return -1;
        } else {
            Py_XSETREF(s->name, name);
        }
        s->flags &= ~NAMED_BY_KEY;
    }
    return 0;
}

/* Its children: a span's only child is held as itself (`ONLY_CHILD`), a
 * few as a ChildSpans; either is read as a new tuple. */
static PyObject *span_children_get(PyObject *span, void *closure) {
    PyObject *children = ((SpanCore *)span)->children;
    if (children == NULL) {
        PyErr_SetString(PyExc_AttributeError, "children");
        return NULL;
    }
    if (ONLY_CHILD(children)) return PyTuple_Pack(1, children);
    if (CHILD_SPANS(children)) {
        ChildSpans *c = (ChildSpans *)children;
        PyObject *tuple = PyTuple_New(Py_SIZE(c));
        if (tuple == NULL) return NULL;
        for (Py_ssize_t k = 0; k < Py_SIZE(c); k++) PyTuple_SET_ITEM(tuple, k, Py_NewRef(c->item[k]));
        return tuple;
    }
    return Py_NewRef(children);
}

/* A tuple of one span is held as that span; of 2 to SMALL_FAN_OUT spans,
 * as a ChildSpans. */
static int span_children_set(PyObject *span, PyObject *value, void *closure) {
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a span's children cannot be deleted");
        return -1;
    }
    if (PyTuple_CheckExact(value) && PyTuple_GET_SIZE(value) >= 1 && PyTuple_GET_SIZE(value) <= SMALL_FAN_OUT) {
        Py_ssize_t n = PyTuple_GET_SIZE(value), k;
        for (k = 0; k < n && ONLY_CHILD(PyTuple_GET_ITEM(value, k)); k++)
            ;
        if (k == n) {
            PyObject *held = n == 1 ? Py_NewRef(PyTuple_GET_ITEM(value, 0))
                                    : child_spans_of(&PyTuple_GET_ITEM(value, 0), n);
            if (held == NULL) return -1;
            Py_XSETREF(((SpanCore *)span)->children, held);
            return 0;
        }
    }
    Py_XSETREF(((SpanCore *)span)->children, Py_NewRef(value));
    return 0;
}

static PyObject *span_name_get(PyObject *span, void *closure) {
    SpanCore *s = (SpanCore *)span;
    if (s->flags & NAMED_BY_KEY) return name_of_key(s);
    if (IS_COMPACT(s)) return compact_name(s);
    if (s->name == NULL) {
        PyErr_SetString(PyExc_AttributeError, "name");
        return NULL;
    }
    return Py_NewRef(s->name);
}

/* A new name: a kind that was its name stays the old name. */
static int span_name_set(PyObject *span, PyObject *value, void *closure) {
    SpanCore *s = (SpanCore *)span;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a span's name cannot be deleted");
        return -1;
    }
    if (hold_name(s) < 0) return -1;
    if (IS_COMPACT(s)) {
        /* held in its extra, its kind kept (a kind that was its name too),
         * unless it reads as an equal str already */
        PyObject *old = compact_name(s);
        int kept = 0;
        if (old == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_AttributeError)) return -1;
            PyErr_Clear(); /* (none yet) */
        } else if (same_text(old, value)) {
            Py_DECREF(old);
            return 0;
        } else if (s->kind == CODE_NAME) {
            kept = coded_set(s, 0, old, 0);
        }
        Py_XDECREF(old);
        return kept < 0 ? -1 : name_to_extra(s, value);
    }
    if (s->kind == CODE_NAME && value != s->name && coded_set(s, 0, s->name, 0) < 0) return -1;
    Py_XSETREF(s->name, Py_NewRef(value));
    return 0;
}

/* Whether it was made up: 1, 0, or -1 with an error (C's reading). */
static int span_is_synthetic(PyObject *span) {
    SpanCore *s = (SpanCore *)span;
    PyObject *extra, *value;
    int truth;
    if (!(s->flags & SYNTHETIC_IN_EXTRA)) return (s->flags & SYNTHETIC) != 0;
    if ((extra = extra_of(s, 0)) == NULL) return (s->flags & SYNTHETIC) != 0;
    if ((value = PyObject_GetAttr(extra, SYNTHETIC_NAME)) == NULL) return -1;
    truth = PyObject_IsTrue(value);
    Py_DECREF(value);
    return truth;
}

static PyObject *span_synthetic_get(PyObject *span, void *closure) {
    SpanCore *s = (SpanCore *)span;
    PyObject *extra;
    if ((s->flags & SYNTHETIC_IN_EXTRA) && (extra = extra_of(s, 0)) != NULL)
        return PyObject_GetAttr(extra, SYNTHETIC_NAME);
    return PyBool_FromLong(s->flags & SYNTHETIC);
}

/* True or False as a bit; anything else in its extra. */
static int span_synthetic_set(PyObject *span, PyObject *value, void *closure) {
    SpanCore *s = (SpanCore *)span;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a span's synthetic cannot be deleted");
        return -1;
    }
    if (value == Py_True || value == Py_False) {
        s->flags = (unsigned char)((s->flags & ~(SYNTHETIC | SYNTHETIC_IN_EXTRA)) | (value == Py_True ? SYNTHETIC : 0));
        return 0;
    }
    {
        PyObject *extra = extra_of(s, 1);
        if (extra == NULL || PyObject_SetAttr(extra, SYNTHETIC_NAME, value) < 0) return -1;
    }
    s->flags |= SYNTHETIC_IN_EXTRA;
    return 0;
}

/* -- its detail and events ----------------------------------------------------
 *
 * One pointer holds its detail, or its events where its detail is ""
 * (EVENTS_HERE: an Inspect sample's, which has a log and no detail), or its
 * extra, which then holds both (HAS_EXTRA): a span with a detail and events
 * (an OTel span with events, seldom) is given an extra for them. */

static PyObject *span_events_get(PyObject *span, void *closure) {
    SpanCore *s = (SpanCore *)span;
    if (s->flags & HAS_EXTRA) return PyObject_GetAttr(s->detail, EVENTS_NAME);
    if (s->holds & EVENTS_HERE) return Py_NewRef(s->detail);
    Py_RETURN_NONE;
}

static int span_events_set(PyObject *span, PyObject *value, void *closure) {
    SpanCore *s = (SpanCore *)span;
    PyObject *extra;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a span's events cannot be deleted");
        return -1;
    }
    if (s->flags & HAS_EXTRA) return PyObject_SetAttr(s->detail, EVENTS_NAME, value);
    if (value == Py_None) {
        if (s->holds & EVENTS_HERE) {
            Py_SETREF(s->detail, Py_NewRef(EMPTY_STR));
            s->holds &= ~EVENTS_HERE;
        }
        return 0;
    }
    if ((s->holds & EVENTS_HERE) || is_empty_str(s->detail)) {
        Py_XSETREF(s->detail, Py_NewRef(value));
        s->holds |= EVENTS_HERE;
        return 0;
    }
    if ((extra = extra_of(s, 1)) == NULL) return -1;
    return PyObject_SetAttr(extra, EVENTS_NAME, value);
}

static PyObject *span_detail_get(PyObject *span, void *closure) {
    SpanCore *s = (SpanCore *)span;
    if (s->flags & HAS_EXTRA) return PyObject_GetAttr(s->detail, DETAIL_NAME);
    if (s->holds & EVENTS_HERE) return Py_NewRef(EMPTY_STR);
    if (s->detail == NULL) {
        PyErr_SetString(PyExc_AttributeError, "detail");
        return NULL;
    }
    return Py_NewRef(s->detail);
}

static int span_detail_set(PyObject *span, PyObject *value, void *closure) {
    SpanCore *s = (SpanCore *)span;
    PyObject *extra;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a span's detail cannot be deleted");
        return -1;
    }
    if (!(s->flags & HAS_EXTRA)) {
        if (!(s->holds & EVENTS_HERE)) {
            Py_XSETREF(s->detail, Py_NewRef(value));
            return 0;
        }
        if (is_empty_str(value)) return 0; /* (its events stand for it) */
    }
    if ((extra = extra_of(s, 1)) == NULL) return -1;
    return PyObject_SetAttr(extra, DETAIL_NAME, value);
}

static PyObject *span_extra_get(PyObject *span, void *closure) {
    SpanCore *s = (SpanCore *)span;
    if (s->flags & HAS_EXTRA) return Py_NewRef(s->detail);
    if (NO_EXTRA_OBJECT == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "SpanCore.span_setup was not called");
        return NULL;
    }
    return Py_NewRef(NO_EXTRA_OBJECT);
}

/* Copy a field of one extra to another. */
static int extra_copy(PyObject *from, PyObject *to, PyObject *name) {
    PyObject *value = PyObject_GetAttr(from, name);
    int result = value == NULL ? -1 : PyObject_SetAttr(to, name, value);
    Py_XDECREF(value);
    return result;
}

/* NO_EXTRA, or an extra of its own, which then holds its detail and
 * events (and a kind, status, synthetic or run its last extra held). */
static int span_extra_set(PyObject *span, PyObject *value, void *closure) {
    SpanCore *s = (SpanCore *)span;
    int held_kind = s->kind == KINDS.in_extra, held_status = s->status == STATUSES.in_extra,
        held_synthetic = (s->flags & SYNTHETIC_IN_EXTRA) != 0, held_run = (s->flags & RUN_IN_EXTRA) != 0,
        held_name = 0, held_attributes = 0;
    if (IS_COMPACT(s)) {
        PyObject *name = extra_name(s), *attributes = NULL;
        if (name == NULL && PyErr_Occurred()) return -1;
        if (IS_BARE(s) && (attributes = extra_field(s, ATTRIBUTES_NAME)) == NULL && PyErr_Occurred()) {
            Py_XDECREF(name);
            return -1;
        }
        held_name = name != NULL, held_attributes = attributes != NULL;
        Py_XDECREF(name);
        Py_XDECREF(attributes);
    }
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a span's extra cannot be deleted");
        return -1;
    }
    if (value == NO_EXTRA_OBJECT) {
        PyObject *events, *detail;
        if (!(s->flags & HAS_EXTRA)) return 0;
        if (held_kind || held_status || held_synthetic || held_run || held_name || held_attributes) {
            PyErr_SetString(PyExc_ValueError, "its extra holds its kind, status, synthetic, run, name or attributes");
            return -1;
        }
        if ((events = PyObject_GetAttr(s->detail, EVENTS_NAME)) == NULL) return -1;
        if ((detail = PyObject_GetAttr(s->detail, DETAIL_NAME)) == NULL) {
            Py_DECREF(events);
            return -1;
        }
        if (events != Py_None && !is_empty_str(detail)) {
            Py_DECREF(events);
            Py_DECREF(detail);
            PyErr_SetString(PyExc_ValueError, "its extra holds its detail and its events");
            return -1;
        }
        if (events == Py_None) {
            Py_DECREF(events);
            Py_SETREF(s->detail, detail);
        } else {
            Py_DECREF(detail);
            Py_SETREF(s->detail, events);
            s->holds |= EVENTS_HERE;
        }
        s->flags &= ~HAS_EXTRA;
        return 0;
    }
    if (!(s->flags & HAS_EXTRA)) return hold_extra(s, Py_NewRef(value));
    {
        PyObject *old = s->detail;
        if (value == old) return 0;
        if (extra_copy(old, value, EVENTS_NAME) < 0 || extra_copy(old, value, DETAIL_NAME) < 0 ||
            (held_kind && extra_copy(old, value, KIND_NAME) < 0) ||
            (held_status && extra_copy(old, value, STATUS_NAME) < 0) ||
            (held_synthetic && extra_copy(old, value, SYNTHETIC_NAME) < 0) ||
            (held_run && extra_copy(old, value, RUN_NAME) < 0) ||
            (held_name && extra_copy(old, value, NAME_NAME) < 0) ||
            (held_attributes && extra_copy(old, value, ATTRIBUTES_NAME) < 0))
            return -1;
    }
    Py_SETREF(s->detail, Py_NewRef(value));
    return 0;
}

/* -- its run and parent -------------------------------------------------------
 *
 * One pointer holds its parent (CHILD) or, at a root, its run: a child's
 * run is its parent's, read up the chain to its root. A parent that is not
 * a span, or of another run, or under the span itself (a loop), leaves the
 * span's run in its extra (RUN_IN_EXTRA), where the reading stops: every
 * chain read ends. What this changes: a span's run, set again, is its
 * descendants' too (a span's run is set once, as it is made). */

/* Its run held in its extra (`run` a new reference, taken); -1 with an error. */
static int run_into_extra(SpanCore *s, PyObject *run);

/* The most parents a run is read up: a longer chain (a trace nested a
 * million deep, or built from its leaves up) has every RUN_WALK_MAX-th span
 * on it hold its run in its extra as it is read (`run_of`), so no reading
 * walks further, and giving a span a parent costs no more. */
#define RUN_WALK_MAX 32

/* Its run (a new reference, or NULL: none set; -1 with an error). */
static int run_of(SpanCore *s, PyObject **run) {
    SpanCore *t = s;
    int hops = 0;
    for (;; t = (SpanCore *)t->up, hops++) {
        if (t->flags & RUN_IN_EXTRA) {
            if ((*run = PyObject_GetAttr(t->detail, RUN_NAME)) == NULL) return -1;
            break;
        }
        if (!(t->flags & CHILD)) {
            *run = Py_XNewRef(t->up);
            break;
        }
    }
    if (hops > RUN_WALK_MAX && *run != NULL) {
        t = s;
        for (int k = 0; k < hops; k++, t = (SpanCore *)t->up) {
            if (k % RUN_WALK_MAX == 0 && run_into_extra(t, Py_NewRef(*run)) < 0) {
                Py_CLEAR(*run);
                return -1;
            }
        }
    }
    return 0;
}

/* Whether the chain read for `from`'s run passes through `s`. */
static int chain_passes(SpanCore *from, SpanCore *s) {
    for (;; from = (SpanCore *)from->up) {
        if (from == s) return 1;
        if ((from->flags & RUN_IN_EXTRA) || !(from->flags & CHILD)) return 0;
    }
}

/* Its parent, borrowed: None at a root. */
static inline PyObject *parent_of(SpanCore *s) { return s->flags & CHILD ? s->up : Py_None; }

static PyObject *span_run_get(PyObject *span, void *closure) {
    PyObject *run;
    if (run_of((SpanCore *)span, &run) < 0) return NULL;
    if (run == NULL) PyErr_SetString(PyExc_AttributeError, "run");
    return run;
}

static int run_into_extra(SpanCore *s, PyObject *run) {
    PyObject *extra = extra_of(s, 1);
    int result = extra == NULL ? -1 : PyObject_SetAttr(extra, RUN_NAME, run != NULL ? run : Py_None);
    Py_XDECREF(run);
    if (result == 0) s->flags |= RUN_IN_EXTRA;
    return result;
}

/* Its extra let go of its run (read up its parents again). */
static int run_out_of_extra(SpanCore *s) {
    if (!(s->flags & RUN_IN_EXTRA)) return 0;
    s->flags &= ~RUN_IN_EXTRA;
    return PyObject_SetAttr(s->detail, RUN_NAME, Py_None);
}

static int span_run_set(PyObject *span, PyObject *value, void *closure) {
    SpanCore *s = (SpanCore *)span;
    PyObject *run;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a span's run cannot be deleted");
        return -1;
    }
    if (s->flags & RUN_IN_EXTRA) return PyObject_SetAttr(s->detail, RUN_NAME, value);
    if (!(s->flags & CHILD)) {
        Py_XSETREF(s->up, Py_NewRef(value));
        return 0;
    }
    if (run_of(s, &run) < 0) return -1;
    Py_XDECREF(run);
    if (run == value) return 0; /* (its parent's: still alive, held by it) */
    return run_into_extra(s, Py_NewRef(value));
}

static PyObject *span_parent_get(PyObject *span, void *closure) {
    return Py_NewRef(parent_of((SpanCore *)span));
}

/* Its parent; its run, read up the chain before, stays. A span without a
 * run yet takes its parent's. */
static int parent_set(SpanCore *s, PyObject *value) {
    PyObject *run, *old;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a span's parent cannot be deleted");
        return -1;
    }
    if (run_of(s, &run) < 0) return -1;
    if (value == Py_None) {
        if (run_out_of_extra(s) < 0) {
            Py_XDECREF(run);
            return -1;
        }
        old = s->up;
        s->up = run;
        s->flags &= ~CHILD;
        Py_XDECREF(old);
        return 0;
    }
    if (is_span_core(value)) {
        /* (its run read first: a long chain is cut short, `run_of`, before
         * it is searched for the span; a loop beyond where reading stops
         * holds a span that stops it) */
        PyObject *theirs;
        if (run_of((SpanCore *)value, &theirs) < 0) {
            Py_XDECREF(run);
            return -1;
        }
        Py_XDECREF(theirs);
        if ((theirs == run || run == NULL) && !chain_passes((SpanCore *)value, s)) {
            Py_XDECREF(run);
            if (run_out_of_extra(s) < 0) return -1;
            goto linked;
        }
    }
    if (run_into_extra(s, run) < 0) return -1;
linked:
    old = s->up;
    s->up = Py_NewRef(value);
    s->flags |= CHILD;
    Py_XDECREF(old);
    return 0;
}

static int span_parent_set(PyObject *span, PyObject *value, void *closure) {
    return parent_set((SpanCore *)span, value);
}

static PyObject *span_setup(PyObject *unused, PyObject *args) {
    PyObject *no_extra, *extra_type, *statuses, *kinds;
    if (!PyArg_ParseTuple(args, "OOO!O!:span_setup", &no_extra, &extra_type, &PyTuple_Type, &statuses, &PyTuple_Type,
                          &kinds))
        return NULL;
    Py_XSETREF(NO_EXTRA_OBJECT, Py_NewRef(no_extra));
    Py_XSETREF(EXTRA_TYPE, Py_NewRef(extra_type));
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(statuses); k++)
        if (code_of(&STATUSES, PyTuple_GET_ITEM(statuses, k)) < 0) return NULL;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(kinds); k++)
        if (code_of(&KINDS, PyTuple_GET_ITEM(kinds, k)) < 0) return NULL;
    Py_RETURN_NONE;
}

/* `span.key_from_state()`: a sample's node reading its attributes (and
 * its name and id) from its sample's state reads them from a tuple of the
 * key instead, so that the state, which holds the node, can go
 * (`store.release`). Else nothing. Why not its attributes set to a dict:
 * the name and id a node reads from its key it then holds, in its extra
 * where it has no room for a name; 0.20 s, not 0.13 s, to release a
 * 1M-line log's run. */
static PyObject *span_key_from_state(PyObject *span, PyObject *unused) {
    SpanCore *s = (SpanCore *)span;
    if ((s->flags & KEYED) && !PyTuple_CheckExact(s->attributes)) {
        PyObject *key = state_key(s->attributes);
        if (key == NULL) return NULL;
        Py_SETREF(s->attributes, key);
    }
    Py_RETURN_NONE;
}

static PyObject *span_attributes_of_key(PyObject *span, PyObject *key) {
    if (attributes_from_key(span, key) < 0) return NULL;
    Py_RETURN_NONE;
}

/* Its name read from its key from now on (`NAMED_BY_KEY`); 0, or -1 with
 * an error (not KEYED). */
static int name_from_key(SpanCore *s) {
    if (!(s->flags & KEYED)) {
        PyErr_SetString(PyExc_TypeError, "only a span holding a sample's key as its attributes is named by it");
        return -1;
    }
    if (IS_COMPACT(s)) {
        /* its name let go of where its extra holds one */
        PyObject *name = s->flags & NAMED_BY_KEY ? NULL : extra_name(s);
        int kept = 0;
        if (name == NULL && PyErr_Occurred()) return -1;
        if (name != NULL) {
            if (s->kind == CODE_NAME) kept = coded_set(s, 0, name, 0); /* (a kind that was its name stays) */
            Py_DECREF(name);
            if (kept < 0 || PyObject_DelAttr(s->detail, NAME_NAME) < 0) return -1;
        }
    } else {
        if (s->kind == CODE_NAME && coded_set(s, 0, s->name, 0) < 0) return -1; /* (a kind that was its name stays) */
        Py_CLEAR(s->name);
    }
    s->flags |= NAMED_BY_KEY;
    return 0;
}

static PyObject *span_name_from_key(PyObject *span, PyObject *unused) {
    if (name_from_key((SpanCore *)span) < 0) return NULL;
    Py_RETURN_NONE;
}

/* What it holds as objects, visited as the GC visits an object's (spans
 * are not the GC's: see `leave_out_of_gc`); for `_held`, and what
 * `span_dealloc` lets go of. */
static int span_traverse(SpanCore *s, visitproc visit, void *arg) {
    Py_VISIT(ID_OBJECT(s));
    Py_VISIT(s->up);
    if (!IS_COMPACT(s)) Py_VISIT(s->name);
    Py_VISIT(s->detail);
    if (!IS_BARE(s) && !(s->flags & ATTRS_TEXT)) Py_VISIT(s->attributes);
    Py_VISIT(s->children);
    for (int k = 0; k < CELLS; k++)
        if (HOLDS(s, k) == HOLDS_OBJECT) Py_VISIT(s->cell[k].o);
    return 0;
}

static int let_go(PyObject *obj, void *unused) {
    Py_DECREF(obj);
    return 0;
}

static int append_held(PyObject *obj, void *list) {
    return PyList_Append((PyObject *)list, obj);
}

/* `span._held()`: the objects it holds, as gc.get_referents would give
 * them were spans the GC's; for tests. */
static PyObject *span_held(SpanCore *s, PyObject *unused) {
    PyObject *list = PyList_New(0);
    if (list != NULL && span_traverse(s, append_held, list) < 0) Py_CLEAR(list);
    return list;
}

/* Spans' memory, when their class is left out of the GC (below): slots of
 * exactly a span's size, cut from blocks of SLAB_BYTES, a slot freed kept
 * for the next span. Why: pymalloc rounds every block up to 16 bytes, so a
 * span of 104 bytes took 112 there (4 MB of a 1M-line Inspect log's 491k
 * spans). The slots are never handed back to the system: a run dropped
 * leaves its slots to the spans read next (a file followed, replaced), as
 * pymalloc keeps an arena any block of which is still used. Under the GIL,
 * as every span is made and freed. Told to `tracemalloc`, as pymalloc's
 * blocks are. */
#define SLAB_BYTES (256 * 1024)
static char *slab_next, *slab_end; /* the rest of the block being cut */
/* slots freed, each holding the next's address, by the room spans have */
static void *slab_freed[3];
static Py_ssize_t slab_live, slab_blocks;

/* A slot for a span with `room` made a blank span of `type` (a new
 * reference; NULL with an error). */
static PyObject *slab_span(PyTypeObject *type, int room) {
    const size_t size = ROOM_BYTES(room);
    void **freed = &slab_freed[room];
    char *slot;
#ifdef TRACETUI_SPAN_MALLOC /* each span a block of its own, for AddressSanitizer to bound */
    if ((slot = malloc(size)) == NULL) return PyErr_NoMemory();
    (void)freed;
#else
    if (*freed != NULL) {
        slot = *freed;
        memcpy(freed, slot, sizeof *freed);
    } else {
        if ((size_t)(slab_end - slab_next) < size) {
            /* (malloc, not PyMem_RawMalloc: `tracemalloc` is told of each
             * span, not of the block, whose address is its first span's) */
            char *block = malloc(SLAB_BYTES);
            if (block == NULL) return PyErr_NoMemory();
            slab_next = block, slab_end = block + SLAB_BYTES, slab_blocks++;
        }
        slot = slab_next;
        slab_next += size;
    }
#endif
    memset(slot, 0, size);
    slab_live++;
    (void)PyTraceMalloc_Track(0, (uintptr_t)slot, size);
    ((SpanCore *)slot)->room = (unsigned char)room;
    return PyObject_Init((PyObject *)slot, type);
}

static PyObject *span_alloc(PyTypeObject *type, Py_ssize_t nitems) {
    return slab_span(type, ROOM_ALL);
}

/* A blank span of `type` without room for a name (a new reference; NULL
 * with an error): 96 bytes, not 104, where `type` takes its spans from the
 * slab (else a span with room, as `tp_alloc` makes one). Its kind, set
 * next, is its name until one is set (`compact_name`). Why: an Inspect
 * action's kind is its name, and a sample's node reads its name from its
 * key, so the name's pointer was 8 bytes of every span of an Inspect log
 * (4 MB of a 1M-line one) holding what the kind's code (or the key) says. */
static PyObject *span_alloc_compact(PyTypeObject *type, int room) {
    return type->tp_alloc == span_alloc ? slab_span(type, room) : type->tp_alloc(type, 0);
}

static void span_free(void *slot) {
    void **freed = &slab_freed[((SpanCore *)slot)->room];
    (void)PyTraceMalloc_Untrack(0, (uintptr_t)slot);
    slab_live--;
#ifdef TRACETUI_SPAN_MALLOC
    (void)freed;
    free(slot);
#else
    memcpy(slot, freed, sizeof *freed);
    *freed = slot;
#endif
}

/* `SpanCore._slab()`: (spans in slots, blocks cut); for tests. */
static PyObject *span_slab(PyObject *unused, PyObject *unused2) {
    return Py_BuildValue("(nn)", slab_live, slab_blocks);
}

/* `leave_out_of_gc(core, cls)`: the class statement that makes a model
 * class from a type of this module (model.Span from SpanCore, EventLog from
 * EventLogCore) gives its instances to the cyclic GC, as it does any
 * class's since 3.11 (an instance may be stored on its own class): a
 * 16-byte header before each. 128 bytes a span where 112 did, 8 MB of a
 * 1M-line Inspect log's 491k spans; 48 bytes a sample's log where 32 do.
 * Spans need no GC: a child holds its parent and its parent's children
 * hold it, so the GC could free a run's spans only as a whole, and the app
 * and `cli.load` freeze what they read out of its reach anyway
 * (`sources.base.paused_gc`). A dropped run's spans go when
 * `store.release` cuts their links, as they did. A log holds no object.
 *
 * Only for a class made from `core`, or from a class it left out, adding
 * no fields, before it has any instance (model.py, at once): its
 * instances are then made and freed without the header, as a class made
 * in C without the GC's flag has them (`subtype_dealloc` frees them so).
 * A class made from it in turn (model.FullSpan) is the GC's again, as
 * Python makes it. A span's class takes its slots from the slab (above). */
static PyObject *leave_out_of_gc(PyTypeObject *core, PyObject *cls) {
    PyTypeObject *t = (PyTypeObject *)cls;
    PyTypeObject *base = PyType_Check(cls) ? t->tp_base : NULL;
    if (base == NULL || !(t->tp_flags & Py_TPFLAGS_HEAPTYPE) ||
        !(base == core || (PyType_IsSubtype(base, core) && !(base->tp_flags & Py_TPFLAGS_HAVE_GC))) ||
        t->tp_basicsize != core->tp_basicsize || t->tp_itemsize != 0 || t->tp_dictoffset != 0 ||
        t->tp_weaklistoffset != 0) {
        PyErr_Format(PyExc_TypeError, "leave_out_of_gc: a class made from %s or a class it left out, adding no fields",
                     core->tp_name);
        return NULL;
    }
    if (t->tp_flags & Py_TPFLAGS_HAVE_GC) {
        t->tp_flags &= ~Py_TPFLAGS_HAVE_GC;
        t->tp_free = core == &SpanCoreType ? span_free : PyObject_Free;
        if (core == &SpanCoreType) t->tp_alloc = span_alloc;
        t->tp_traverse = NULL;
        t->tp_clear = NULL;
        PyType_Modified(t);
    }
    Py_RETURN_NONE;
}

static PyObject *span_leave_out_of_gc(PyObject *unused, PyObject *cls) {
    return leave_out_of_gc(&SpanCoreType, cls);
}

/* Its size: a compact span has no room for its name, or its attributes. */
static PyObject *span_sizeof(SpanCore *s, PyObject *unused) {
    return PyLong_FromSize_t(IS_COMPACT(s) ? ROOM_BYTES(s->room) : (size_t)Py_TYPE(s)->tp_basicsize);
}

/* `cls._compact(kind)`: a blank span of `cls`, its kind and name `kind`,
 * as the Inspect decoder makes an action (`span_alloc_compact`). */
static PyObject *span_compact(PyObject *cls, PyObject *args) {
    PyObject *kind, *span;
    int room = ROOM_BARE;
    if (!PyArg_ParseTuple(args, "O|i:_compact", &kind, &room)) return NULL;
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &SpanCoreType) ||
        (room != ROOM_NO_NAME && room != ROOM_BARE)) {
        PyErr_SetString(PyExc_TypeError, "_compact: a class made from SpanCore, and room 1 (no name) or 2 (bare)");
        return NULL;
    }
    if ((span = span_alloc_compact((PyTypeObject *)cls, room)) == NULL) return NULL;
    if (!IS_COMPACT((SpanCore *)span)) ((SpanCore *)span)->name = Py_NewRef(kind);
    if (coded_set((SpanCore *)span, 0, kind, 1) < 0) Py_CLEAR(span);
    return span;
}

static PyMethodDef span_methods[] = {
    {"__sizeof__", (PyCFunction)span_sizeof, METH_NOARGS, "Its size in bytes (a compact span's: no room for its name)."},
    {"_compact", span_compact, METH_VARARGS | METH_CLASS,
     "_compact(kind, room=2)\n\nA blank span, its kind and name `kind`, without room for its name (room 1: a sample's\n"
     "node), nor for its attributes (2: an action), as the Inspect decoder makes them (for tests)."},
    {"_held", (PyCFunction)span_held, METH_NOARGS,
     "_held()\n\nThe objects it holds, as gc.get_referents would give them were spans the GC's (for tests)."},
    {"leave_out_of_gc", span_leave_out_of_gc, METH_O | METH_STATIC,
     "leave_out_of_gc(cls)\n\nMake the instances of cls, made from SpanCore (or a class it left out) adding no fields, no longer the\n"
     "cyclic GC's (16 bytes less each), before it has any."},
    {"_slab", span_slab, METH_NOARGS | METH_STATIC,
     "_slab()\n\n(spans held in the slab's slots, blocks of it cut): see _span.h (for tests)."},
    {"span_setup", span_setup, METH_VARARGS | METH_STATIC,
     "span_setup(no_extra, extra_type, statuses, kinds)\n\nmodel's NO_EXTRA and SpanExtra, and the statuses and kinds to code first\n"
     "(its statuses), once, before any span is made."},
    {"key_from_state", span_key_from_state, METH_NOARGS,
     "key_from_state()\n\nA sample's node reading its key from its sample's state reads it from a tuple of it instead,\n"
     "so the state can go (`store.release`); else nothing."},
    {"attributes_of_key", span_attributes_of_key, METH_O,
     "attributes_of_key(key)\n\nHold a sample's key, the tuple (task, sample_id, epoch) or the sample's state, as its\n"
     "attributes: read as a new dict of the three each time."},
    {"name_from_key", span_name_from_key, METH_NOARGS,
     "name_from_key()\n\nRead its name from the sample's key it holds (`attributes_of_key`) from now on:\n"
     "f\"sample {sample_id}\" and f\" · epoch {epoch}\" unless epoch is None, made anew each time."},
    {NULL, NULL, 0, NULL},
};

/* -- its id ------------------------------------------------------------------ */

/* Base 57 as `shortuuid` writes it (its default alphabet: no 0, 1, I, O,
 * l), by character: a digit, or -1. */
static const char BASE57[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static signed char BASE57_DIGIT[128];
#define BASE57_LENGTH 22

/* Each lowercase hex digit's value, by character, or -1. */
static signed char HEX_DIGIT[128];
static const char HEX[] = "0123456789abcdef";

/* Where `str(uuid)` puts its dashes, its length, and its groups' bytes. */
#define UUID_LENGTH 36
#define UUID_DASH(k) ((k) == 8 || (k) == 13 || (k) == 18 || (k) == 23)
static const int UUID_GROUP_BYTES[5] = {4, 2, 2, 2, 6};

/* The digit tables filled (`span_core_ready`). */
static void id_tables_ready(void) {
    memset(BASE57_DIGIT, -1, sizeof BASE57_DIGIT);
    for (int k = 0; BASE57[k]; k++) BASE57_DIGIT[(unsigned char)BASE57[k]] = (signed char)k;
    memset(HEX_DIGIT, -1, sizeof HEX_DIGIT);
    for (int k = 0; HEX[k]; k++) HEX_DIGIT[(unsigned char)HEX[k]] = (signed char)k;
}

/* `n` lowercase hex digits (even) as their bytes into `out`, which has
 * `room` for them: 1, or 0 if a character is not one. */
static int hex_pack(const unsigned char *c, Py_ssize_t n, unsigned char *out, Py_ssize_t room) {
    if (n / 2 > room) return 0;
    for (Py_ssize_t k = 0; k < n / 2 && k < room; k++) { /* (`k < room` again: for gcc's bounds warning) */
        int high = HEX_DIGIT[c[2 * k]], low = HEX_DIGIT[c[2 * k + 1]]; /* (ASCII: below 128) */
        if (high < 0 || low < 0) return 0;
        out[k] = (unsigned char)(high << 4 | low);
    }
    return 1;
}

static void hex_unpack(const unsigned char *in, Py_ssize_t bytes, Py_UCS1 *out) {
    for (Py_ssize_t k = 0; k < bytes; k++) {
        *out++ = (Py_UCS1)HEX[in[k] >> 4];
        *out++ = (Py_UCS1)HEX[in[k] & 15];
    }
}

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 u128;

/* 22 base-57 digits as the number they spell, most significant digit
 * first (as `shortuuid` writes a uuid): below 57**22, which is below
 * 2**129, so as its low 128 bits (little-endian into `out`) and whether it
 * is 2**128 or more (ID_BASE57_HIGH, else ID_BASE57); ID_HELD if a
 * character is not a digit. (A prefix of the digits spells a number no
 * larger than the whole: the whole passes 2**128 if and only if a step
 * does.) */
static int base57_pack(const unsigned char *c, unsigned char *out) {
    u128 value = 0;
    int high = 0;
    for (int k = 0; k < BASE57_LENGTH; k++) {
        int digit = BASE57_DIGIT[c[k]];
        if (digit < 0) return ID_HELD;
        high |= __builtin_mul_overflow(value, (u128)57, &value);
        high |= __builtin_add_overflow(value, (u128)digit, &value);
    }
    for (int k = 0; k < ID_BYTES; k++, value >>= 8) out[k] = (unsigned char)value;
    return high ? ID_BASE57_HIGH : ID_BASE57;
}

/* The number in `limbs` (most significant first) divided by `d` in place;
 * the remainder. */
static unsigned long long limbs_divide(unsigned long long *limbs, int n, unsigned long long d) {
    u128 rest = 0;
    for (int k = 0; k < n; k++) {
        u128 part = rest << 64 | limbs[k];
        limbs[k] = (unsigned long long)(part / d);
        rest = part % d;
    }
    return (unsigned long long)rest;
}

static void base57_unpack(const unsigned char *in, int high, Py_UCS1 *out) {
    const unsigned long long tenth = 362033331456891249ULL; /* 57**10 */
    unsigned long long limbs[3] = {(unsigned long long)high, 0, 0}, parts[3];
    for (int k = 0; k < 8; k++) {
        limbs[1] |= (unsigned long long)in[8 + k] << (8 * k);
        limbs[2] |= (unsigned long long)in[k] << (8 * k);
    }
    parts[2] = limbs_divide(limbs, 3, tenth);
    parts[1] = limbs_divide(limbs, 3, tenth);
    parts[0] = limbs[2]; /* (below 57**2: 22 digits in all) */
    for (int k = BASE57_LENGTH - 1, part = 2; k >= 0; part--) {
        unsigned long long p = parts[part];
        for (int d = 0; d < (part ? 10 : 2); d++, k--, p /= 57) out[k] = (Py_UCS1)BASE57[p % 57];
    }
}
#else
static int base57_pack(const unsigned char *c, unsigned char *out) { return ID_HELD; } /* (held as the object) */
static void base57_unpack(const unsigned char *in, int high, Py_UCS1 *out) {}
#endif

/* The form of 16 bytes `value` is held in, into `out` (its unused bytes
 * 0, so two ids held alike compare as their bytes), or ID_HELD (not a str,
 * or of no form: held as the object). Each form takes only what it writes
 * back the same (hex in lowercase; base 57 of any 22 digits, each a number
 * of its own), and the forms are tried in one order, so an id has one form
 * and is read back exactly. */
static int id_pack(PyObject *value, unsigned char out[ID_BYTES]) {
    const unsigned char *c;
    Py_ssize_t n;
    int form;
    if (!PyUnicode_CheckExact(value) || !PyUnicode_IS_COMPACT_ASCII(value)) return ID_HELD;
    c = PyUnicode_1BYTE_DATA(value), n = PyUnicode_GET_LENGTH(value);
    memset(out, 0, ID_BYTES);
    if (n < ID_BYTES) {
        out[0] = (unsigned char)n;
        memcpy(out + 1, c, (size_t)n);
        return ID_ASCII;
    }
    if (n == BASE57_LENGTH && (form = base57_pack(c, out)) != ID_HELD) return form;
    if (n == UUID_LENGTH) {
        unsigned char hex[32];
        for (int k = 0, h = 0; k < UUID_LENGTH; k++) {
            if (UUID_DASH(k) != (c[k] == '-')) return ID_HELD;
            if (!UUID_DASH(k)) hex[h++] = c[k];
        }
        if (hex_pack(hex, 2 * ID_BYTES, out, ID_BYTES)) return ID_UUID;
    }
    if (n == 2 * ID_BYTES) {
        if (hex_pack(c, 2 * ID_BYTES, out, ID_BYTES)) return ID_HEX32;
    } else if (n % 2 == 0 && n < 2 * ID_BYTES) {
        out[0] = (unsigned char)(n / 2);
        if (hex_pack(c, n, out + 1, ID_BYTES - 1)) return ID_HEX;
    }
    memset(out, 0, ID_BYTES);
    return ID_HELD;
}

/* A packed id's str (a new reference). */
static PyObject *id_unpack(int form, const unsigned char *in) {
    Py_ssize_t n = form == ID_ASCII ? in[0]
                 : form == ID_BASE57 || form == ID_BASE57_HIGH ? BASE57_LENGTH
                 : form == ID_HEX ? 2 * in[0]
                 : form == ID_HEX32 ? 2 * ID_BYTES : UUID_LENGTH;
    PyObject *id = PyUnicode_New(n, 127);
    Py_UCS1 *out;
    if (id == NULL) return NULL;
    out = PyUnicode_1BYTE_DATA(id);
    switch (form) {
    case ID_ASCII:
        memcpy(out, in + 1, (size_t)n);
        break;
    case ID_BASE57:
    case ID_BASE57_HIGH:
        base57_unpack(in, form == ID_BASE57_HIGH, out);
        break;
    case ID_HEX:
        hex_unpack(in + 1, in[0], out);
        break;
    case ID_HEX32:
        hex_unpack(in, ID_BYTES, out);
        break;
    default: /* ID_UUID: its five groups' bytes, dashes between */
        for (int k = 0, at = 0, group = 0; group < 5; group++) {
            hex_unpack(in + at, UUID_GROUP_BYTES[group], out + k);
            at += UUID_GROUP_BYTES[group], k += 2 * UUID_GROUP_BYTES[group];
            if (group < 4) out[k++] = '-';
        }
    }
    return id;
}

/* A sample's id, "sample:{task}:{sample_id}:{epoch}", of the three as
 * str (a new reference; NULL with an error): the one spelling of it, as
 * the decoder names a sample (`new_sample`, `_fastindex.c`) and as an
 * ID_BY_KEY span reads it back (`id_of_key`). */
static PyObject *sample_id_of(PyObject *task, PyObject *sample_id, PyObject *epoch) {
    PyObject *parts[6] = {SAMPLE_ID_PREFIX, task, COLON_STR, sample_id, COLON_STR, epoch};
    return concat(parts, 6);
}

/* An ID_BY_KEY span's id, of its key's three parts as str() spells them
 * (a new reference, NULL with an error). */
static PyObject *id_of_key(SpanCore *s) {
    PyObject *parts[3] = {NULL, NULL, NULL}, *id = NULL;
    int k;
    for (k = 0; k < 3; k++) {
        PyObject *item = key_item(s->attributes, k);
        if (item == NULL) break;
        parts[k] = PyObject_Str(item);
        Py_DECREF(item);
        if (parts[k] == NULL) break;
    }
    if (k == 3) id = sample_id_of(parts[0], parts[1], parts[2]);
    for (k = 0; k < 3; k++) Py_XDECREF(parts[k]);
    return id;
}

/* A KEYED span whose id is `sample_id_of` its key as it is (`new_sample`
 * makes them so, `_fastindex.c`) reads it from the key from now on
 * (ID_BY_KEY): ~20 characters no other form of 16 bytes takes, held in
 * none; the object let go of. */
static void id_from_key(SpanCore *s) {
    if (s->id_form == ID_HELD && (s->flags & KEYED)) {
        Py_CLEAR(s->id.object);
        memset(s->id.bytes, 0, ID_BYTES);
        s->id_form = ID_BY_KEY;
    }
}

/* An ID_BY_KEY span made to hold its id, before its key goes; 0, or -1
 * with an error. */
static int hold_id(SpanCore *s) {
    if (s->id_form == ID_BY_KEY) {
        PyObject *id = id_of_key(s);
        if (id == NULL) return -1;
        s->id.object = id;
        s->id_form = ID_HELD;
    }
    return 0;
}

/* The span's id (a new reference; NULL with AttributeError if it has none). */
static PyObject *span_id_get(PyObject *span, void *closure) {
    SpanCore *s = (SpanCore *)span;
    if (s->id_form == ID_BY_KEY) return id_of_key(s);
    if (s->id_form != ID_HELD) return id_unpack(s->id_form, s->id.bytes);
    if (s->id.object == NULL) {
        PyErr_SetString(PyExc_AttributeError, "id");
        return NULL;
    }
    return Py_NewRef(s->id.object);
}

/* A new id: held in the span if a form takes it (`id_pack`), else as the
 * object. An id cannot be deleted. */
static int span_id_set(PyObject *span, PyObject *value, void *closure) {
    SpanCore *s = (SpanCore *)span;
    PyObject *old = ID_OBJECT(s);
    unsigned char packed[ID_BYTES];
    int form;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "a span's id cannot be deleted");
        return -1;
    }
    if ((form = id_pack(value, packed)) != ID_HELD) {
        memcpy(s->id.bytes, packed, ID_BYTES);
    } else {
        s->id.object = Py_NewRef(value);
    }
    s->id_form = (unsigned char)form;
    Py_XDECREF(old);
    return 0;
}

/* A chain of parents a million long freed from its leaf (a hostile file
 * can make one; its parents not holding it as a child) must not recurse a
 * million deep in C, and a span has no trashcan, as the GC's objects do:
 * each parent this span held the last reference to is freed here in turn,
 * its own parent taken from it first. */
static void span_dealloc(SpanCore *s) {
    PyObject *up = s->up;
    s->up = NULL;
    /* (the rest it holds let go, as `span_traverse` lists it; nothing is
     * set back: nothing reads a span no one holds) */
    span_traverse(s, let_go, NULL);
    drop_text(s);
    Py_TYPE(s)->tp_free((PyObject *)s);
    while (up != NULL && Py_REFCNT(up) == 1 && is_span_core(up)) {
        PyObject *next = ((SpanCore *)up)->up;
        ((SpanCore *)up)->up = NULL;
        Py_DECREF(up); /* freed, finding no parent to free */
        up = next;
    }
    Py_XDECREF(up);
}

static PyGetSetDef span_cells[] = {
    {"id", span_id_get, span_id_set, "Its id (held inline if a short ASCII str: see _span.h).", NULL},
    {"attributes", span_attributes_get, span_attributes_set, "Its attributes: a dict, or None.", NULL},
    {"children", span_children_get, span_children_set, "Its children: a list, a tuple, or None.", NULL},
    {"name", span_name_get, span_name_set, "Its name.", NULL},
    {"kind", span_coded_get, span_coded_set, "Its kind (coded: see _span.h).", (void *)0},
    {"status", span_coded_get, span_coded_set, "Its status (coded: see _span.h).", (void *)1},
    {"synthetic", span_synthetic_get, span_synthetic_set, "Whether tracetui made it up (a bit).", NULL},
    {"events", span_events_get, span_events_set, "Its events, or None.", NULL},
    {"detail", span_detail_get, span_detail_set, "Its detail (where its events are held: see _span.h).", NULL},
    {"run", span_run_get, span_run_set, "Its run (its root's, read up its parents: see _span.h).", NULL},
    {"parent", span_parent_get, span_parent_set, "Its parent, or None.", NULL},
    {"_extra", span_extra_get, span_extra_set, "Its SpanExtra, or model.NO_EXTRA.", NULL},
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
    EVENTS_NAME = PyUnicode_InternFromString("events");
    KIND_NAME = PyUnicode_InternFromString("kind");
    STATUS_NAME = PyUnicode_InternFromString("status");
    SYNTHETIC_NAME = PyUnicode_InternFromString("synthetic");
    DETAIL_NAME = PyUnicode_InternFromString("detail");
    RUN_NAME = PyUnicode_InternFromString("run");
    NAME_NAME = PyUnicode_InternFromString("name");
    ATTRIBUTES_NAME = PyUnicode_InternFromString("attributes");
    SAMPLE_LABEL = PyUnicode_FromString("sample ");
    EPOCH_LABEL = PyUnicode_FromString(" \xc2\xb7 epoch "); /* " · epoch " in UTF-8 */
    EMPTY_STR = PyUnicode_FromString("");
    SAMPLE_ID_PREFIX = PyUnicode_FromString("sample:");
    COLON_STR = PyUnicode_FromString(":");
    id_tables_ready();
    KINDS.codes = PyDict_New();
    STATUSES.codes = PyDict_New();
    if (SIXTY_FOUR == NULL || TASK_NAME == NULL || SAMPLE_ID_NAME == NULL || EPOCH_NAME == NULL ||
        SAMPLE_LABEL == NULL || EPOCH_LABEL == NULL || EMPTY_STR == NULL || SAMPLE_ID_PREFIX == NULL ||
        COLON_STR == NULL ||
        EVENTS_NAME == NULL || KIND_NAME == NULL || STATUS_NAME == NULL || SYNTHETIC_NAME == NULL ||
        DETAIL_NAME == NULL || RUN_NAME == NULL || NAME_NAME == NULL || ATTRIBUTES_NAME == NULL || KINDS.codes == NULL ||
        STATUSES.codes == NULL)
        return -1;
    if (PyType_Ready(&ChildSpansType) < 0) return -1;
    return PyType_Ready(&SpanCoreType);
}

static PyTypeObject SpanCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tracetui._fastindex.SpanCore",
    .tp_doc = "model.Span's fields, its start, duration and origin held unboxed (see _span.h).",
    .tp_basicsize = sizeof(SpanCore),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, /* not the cyclic GC's: see above */
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)span_dealloc,
    .tp_methods = span_methods,
    .tp_getset = span_cells,
};

#endif
