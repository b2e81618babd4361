-- Promotion rules (SPEC section 11): a top-up in the rule's currency of at
-- least min_amount, made while the rule is valid, earns a bonus: a fixed
-- amount (minor units) or a share of the top-up in basis points (10.5% =
-- 1050). ledger.Promotion holds the rules themselves (how the best rule is
-- chosen, the rounding); the checks here only keep a row that bypassed it
-- from meaning two things at once. Times are microseconds, as elsewhere;
-- valid_to is exclusive, NULL for a rule without an end. version counts the
-- changes, so that an edit made on what someone saw earlier is refused.

-- +goose Up
CREATE TABLE promotions (
    id                    {{.ID}},
    name                  TEXT NOT NULL,
    currency              TEXT NOT NULL,
    min_amount            BIGINT NOT NULL DEFAULT 0 CHECK (min_amount >= 0),
    bonus_fixed           BIGINT NOT NULL DEFAULT 0 CHECK (bonus_fixed >= 0),
    bonus_percent_bp      BIGINT NOT NULL DEFAULT 0 CHECK (bonus_percent_bp >= 0),
    valid_from            BIGINT NOT NULL,
    valid_to              BIGINT,
    bonus_expires_in_days INTEGER NOT NULL DEFAULT 0 CHECK (bonus_expires_in_days BETWEEN 0 AND 3650),
    version               BIGINT NOT NULL DEFAULT 1,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    created_by            BIGINT REFERENCES admins (id),
    CHECK ((bonus_fixed > 0) <> (bonus_percent_bp > 0)),
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
-- A posting reads the rules of its currency valid at its time.
CREATE INDEX promotions_currency ON promotions (currency, valid_from);

-- +goose Down
DROP TABLE promotions;
