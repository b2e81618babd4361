-- Search by part of a name, email, phone, company or account number (the
-- lists' q filter). A LIKE '%…%' that no ordinary index serves read every
-- customer and account: most of a second over a million. These tables hold
-- the searched text under a trigram index, an FTS5 table on SQLite and a
-- pg_trgm GIN index on PostgreSQL, and triggers keep them in step with
-- customers and accounts. A query of three or more characters finds its
-- rows through the index; a shorter one still reads them all.
--
-- A customer's text is its lower-cased name, email, phone and lower-cased
-- company, separated by a control character that no query matches across.

-- +goose Up
{{if .Postgres}}
-- pg_trgm ships with PostgreSQL (Debian: in postgresql-NN) and is a trusted
-- extension: the database's owner may create it. It goes in the public
-- schema, where every schema's indexes can name its operator class.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE customer_search (
    customer_id BIGINT PRIMARY KEY,
    body        TEXT NOT NULL
);
INSERT INTO customer_search (customer_id, body)
    SELECT id, LOWER(name) || chr(1) || COALESCE(email, '') || chr(1) || COALESCE(phone, '') || chr(1) || LOWER(company) FROM customers;
CREATE INDEX customer_search_body ON customer_search USING gin (body public.gin_trgm_ops);

CREATE TABLE account_search (
    account_id BIGINT PRIMARY KEY,
    number     TEXT NOT NULL
);
INSERT INTO account_search (account_id, number) SELECT id, number FROM accounts WHERE customer_id IS NOT NULL;
CREATE INDEX account_search_number ON account_search USING gin (number public.gin_trgm_ops);

-- +goose StatementBegin
CREATE FUNCTION coffer_customer_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_search (customer_id, body)
        VALUES (NEW.id, LOWER(NEW.name) || chr(1) || COALESCE(NEW.email, '') || chr(1) || COALESCE(NEW.phone, '') || chr(1) || LOWER(NEW.company))
        ON CONFLICT (customer_id) DO UPDATE SET body = EXCLUDED.body;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER customers_search AFTER INSERT OR UPDATE OF name, email, phone, company ON customers
    FOR EACH ROW EXECUTE FUNCTION coffer_customer_search();

-- +goose StatementBegin
CREATE FUNCTION coffer_account_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO account_search (account_id, number) VALUES (NEW.id, NEW.number);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- An account's number never changes, and a balance update must not fire
-- anything: only new customer accounts are added.
CREATE TRIGGER accounts_search AFTER INSERT ON accounts
    FOR EACH ROW WHEN (NEW.customer_id IS NOT NULL) EXECUTE FUNCTION coffer_account_search();
{{else}}
CREATE VIRTUAL TABLE customer_search USING fts5(customer_id UNINDEXED, body, tokenize = 'trigram');
INSERT INTO customer_search (rowid, customer_id, body)
    SELECT id, id, LOWER(name) || char(1) || COALESCE(email, '') || char(1) || COALESCE(phone, '') || char(1) || LOWER(company) FROM customers;

CREATE VIRTUAL TABLE account_search USING fts5(account_id UNINDEXED, number, tokenize = 'trigram');
INSERT INTO account_search (rowid, account_id, number) SELECT id, id, number FROM accounts WHERE customer_id IS NOT NULL;

-- +goose StatementBegin
CREATE TRIGGER customers_search_insert AFTER INSERT ON customers
BEGIN
    INSERT INTO customer_search (rowid, customer_id, body)
        VALUES (NEW.id, NEW.id, LOWER(NEW.name) || char(1) || COALESCE(NEW.email, '') || char(1) || COALESCE(NEW.phone, '') || char(1) || LOWER(NEW.company));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER customers_search_update AFTER UPDATE OF name, email, phone, company ON customers
BEGIN
    UPDATE customer_search
        SET body = LOWER(NEW.name) || char(1) || COALESCE(NEW.email, '') || char(1) || COALESCE(NEW.phone, '') || char(1) || LOWER(NEW.company)
        WHERE rowid = NEW.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER accounts_search AFTER INSERT ON accounts WHEN NEW.customer_id IS NOT NULL
BEGIN
    INSERT INTO account_search (rowid, account_id, number) VALUES (NEW.id, NEW.id, NEW.number);
END;
-- +goose StatementEnd
{{end}}

-- +goose Down
{{if .Postgres}}
DROP TRIGGER accounts_search ON accounts;
DROP TRIGGER customers_search ON customers;
DROP FUNCTION coffer_account_search();
DROP FUNCTION coffer_customer_search();
{{else}}
DROP TRIGGER accounts_search;
DROP TRIGGER customers_search_update;
DROP TRIGGER customers_search_insert;
{{end}}
DROP TABLE account_search;
DROP TABLE customer_search;
