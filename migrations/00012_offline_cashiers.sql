-- Cashiers who may sign in while the database is down (issue 16).
--
-- When the database cannot be reached the till still signs cashiers in
-- and sells cash, from a snapshot on its disk (package pos/snapshot). For
-- that it needs the PIN hashes of the cashiers who may sign in there,
-- which 00002 otherwise keeps inside the database. So that the hashes
-- leave it only by choice, it is opt-in per cashier:
--
--   cashiers.offline_signin   who may sign in offline (FALSE by default;
--                             a new column leaves everyone as they were)
--   offline_cashiers(store)   with its definer's rights, like sign_in: the
--                             id, number, name, manager flag and PIN hash
--                             of the active, opted-in cashiers who may sign
--                             in at the store (cashier_stores), as sign_in
--                             would let them; nobody else's hash.
--
-- The till's user still cannot SELECT pin_hash, offline_signin or the
-- lockout columns: it may only EXECUTE the procedure (store.TillProcedures).
-- The store parameter keeps a snapshot to the cashiers of the till's own
-- store, as online sign-in does (00004), so a till's disk never holds the
-- hashes of a whole chain. The lockout's state stays in the database: an
-- offline till counts wrong PINs on its own, in memory.
--
-- Both MariaDB 10.11 and MySQL 8.0 accept this SQL.

-- +goose Up
ALTER TABLE cashiers ADD COLUMN offline_signin BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose StatementBegin
CREATE PROCEDURE offline_cashiers(IN p_store VARCHAR(32) CHARACTER SET utf8mb4)
    READS SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'The active cashiers opted in to offline sign-in at a store, with their PIN hashes, for the till''s snapshot'
BEGIN
    SELECT c.cashier_id, c.number, c.name, c.manager, c.pin_hash
        FROM cashiers c
        JOIN cashier_stores cs ON cs.cashier_id = c.cashier_id
        WHERE cs.store_id = p_store COLLATE utf8mb4_unicode_ci
          AND c.active AND c.offline_signin
        ORDER BY c.number;
END
-- +goose StatementEnd

-- +goose Down
DROP PROCEDURE IF EXISTS offline_cashiers;
ALTER TABLE cashiers DROP COLUMN offline_signin;
