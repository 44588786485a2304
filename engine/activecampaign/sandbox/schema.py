"""The sandbox database schema (SQLite). Indexes are chosen for paging huge lists.

Memberships carry ``(list_id, status, contact_id)`` so that ``listid`` + ``status`` +
``id_greater`` paging is an index range scan; emails are unique case-insensitively.
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO state (key, value) VALUES ('generation', 0);

CREATE TABLE IF NOT EXISTS lists (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    stringid TEXT NOT NULL DEFAULT '',
    sender_url TEXT NOT NULL DEFAULT '',
    sender_reminder TEXT NOT NULL DEFAULT '',
    cdate REAL NOT NULL,
    udate REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    orgname TEXT NOT NULL DEFAULT '',
    cdate REAL NOT NULL,
    udate REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS contacts_email ON contacts (lower(email));
CREATE INDEX IF NOT EXISTS contacts_udate ON contacts (udate);

CREATE TABLE IF NOT EXISTS memberships (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id INTEGER NOT NULL,
    list_id INTEGER NOT NULL,
    status INTEGER NOT NULL,
    sourceid INTEGER NOT NULL DEFAULT 0,
    sdate REAL NOT NULL,
    udate REAL,
    unsubreason TEXT NOT NULL DEFAULT '',
    UNIQUE (contact_id, list_id)
);
CREATE INDEX IF NOT EXISTS memberships_list_status ON memberships (list_id, status, contact_id);
CREATE INDEX IF NOT EXISTS memberships_list ON memberships (list_id, contact_id);

CREATE TABLE IF NOT EXISTS fields (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    descript TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL DEFAULT 'text',
    isrequired TEXT NOT NULL DEFAULT '0',
    perstag TEXT NOT NULL,
    defval TEXT NOT NULL DEFAULT '',
    visible TEXT NOT NULL DEFAULT '1',
    ordernum INTEGER NOT NULL DEFAULT 1,
    cdate REAL NOT NULL,
    udate REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS fields_perstag ON fields (perstag);

CREATE TABLE IF NOT EXISTS field_rels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    field_id INTEGER NOT NULL,
    relid INTEGER NOT NULL,
    cdate REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS field_values (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id INTEGER NOT NULL,
    field_id INTEGER NOT NULL,
    value TEXT NOT NULL,
    cdate REAL NOT NULL,
    udate REAL NOT NULL,
    UNIQUE (contact_id, field_id)
);
CREATE INDEX IF NOT EXISTS field_values_field ON field_values (field_id, id);

CREATE TABLE IF NOT EXISTS tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tag TEXT NOT NULL,
    tag_type TEXT NOT NULL DEFAULT 'contact',
    description TEXT NOT NULL DEFAULT '',
    cdate REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS tags_name ON tags (lower(tag));

CREATE TABLE IF NOT EXISTS contact_tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id INTEGER NOT NULL,
    tag_id INTEGER NOT NULL,
    cdate REAL NOT NULL,
    UNIQUE (contact_id, tag_id)
);
CREATE INDEX IF NOT EXISTS contact_tags_tag ON contact_tags (tag_id, contact_id);

CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    queued_at REAL NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    success TEXT NOT NULL DEFAULT '[]',
    failure TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS batches_status ON batches (status, seq);
"""
