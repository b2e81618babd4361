-- Usernames are unique without regard to case, and login accepts any case
-- (SPEC section 7). Usernames are ASCII (letters, digits and ._@-), where
-- LOWER means the same on both databases.
--
-- Administrators whose names differ only in case before this migration keep
-- the oldest one as it is; each later one is renamed to its name followed by
-- "-" and its id (Bob, bob -> Bob, bob-7), so that the index can be made and
-- nobody is merged. docs/operations.md tells operators to look for them.

-- +goose Up
UPDATE admins SET username = username || '-' || CAST(id AS TEXT)
    WHERE id NOT IN (SELECT MIN(id) FROM admins GROUP BY LOWER(username));
CREATE UNIQUE INDEX admins_username_fold ON admins (LOWER(username));

-- +goose Down
DROP INDEX admins_username_fold;
