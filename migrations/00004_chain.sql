-- A chain, not a shop (issue 19, DESIGN §8).
--
--   stores           one row per store: what every till of the store must
--                    agree on (name, address, tax id, currency, time zone,
--                    tax mode, cash rounding, scan profile). The till reads
--                    its row at start; its environment still overrides it
--                    (a lab).
--   store_inventory  the stock, per (store, item), with the store's price
--                    and active overrides (NULL: the chain's). The catalogue
--                    (codes, names, tax rates, chain price) stays in
--                    inventory, chain-wide; inventory.stock_quantity goes:
--                    one stock number for the whole chain is the bug this
--                    fixes, and a column nobody keeps would lie.
--   tills            one row per (store, till): last seen, version, and the
--                    lease a running till holds so that a second till
--                    started with the same ids is refused. The lease
--                    expires, so a crashed till comes back.
--   cashier_stores   the stores a (chain-wide) cashier may sign in at;
--                    sign_in refuses any other.
--
-- An existing single-store database moves to one store, nothing lost: the
-- store its sales were made at (the most used store id; store-1, the till's
-- default, on an empty database) gets every item's stock, every cashier may
-- sign in there, and every (store, till) that made a sale is registered.
-- Store ids that old sales carry beyond that one become stores too (with no
-- stock), so every sale names a store that exists.
--
-- Tills of an older version update inventory.stock_quantity and fail once
-- it is gone: stop the tills, migrate, start the new version (README).
--
-- Both MariaDB 10.11 and MySQL 8.0 accept this SQL: no VALUES() alias
-- syntax, CHECK constraint names unique in the schema, DROP CONSTRAINT
-- (MySQL 8.0.19+, Aurora MySQL 3) for the old stock check.

-- +goose Up
CREATE TABLE stores (
    store_id      VARCHAR(32)   NOT NULL PRIMARY KEY,
    name          VARCHAR(255)  NOT NULL,
    address       VARCHAR(1024) NOT NULL DEFAULT '',
    tax_id        VARCHAR(64)   NOT NULL DEFAULT '',
    currency      CHAR(3)       NOT NULL DEFAULT 'EUR',
    -- IANA name, e.g. Europe/Berlin; '' is the till's own local time
    time_zone     VARCHAR(64)   NOT NULL DEFAULT '',
    tax_mode      ENUM('inclusive','exclusive') NOT NULL DEFAULT 'inclusive',
    -- cash rounding step in minor units (5: to 0.05); 0 is none
    cash_rounding INT           NOT NULL DEFAULT 0,
    -- pos.ScanProfile name; '' follows the currency
    scan_profile  VARCHAR(32)   NOT NULL DEFAULT '',
    created_at    DATETIME(6)   NOT NULL,
    updated_at    DATETIME(6)   NOT NULL,
    CONSTRAINT stores_cash_rounding CHECK (cash_rounding BETWEEN 0 AND 100)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The store the single-store database's stock belongs to.
INSERT INTO stores (store_id, name, currency, created_at, updated_at)
SELECT h.store_id, h.store_id,
       COALESCE((SELECT t.currency FROM transactions t WHERE t.store_id = h.store_id
                 ORDER BY t.transaction_id DESC LIMIT 1), 'EUR'),
       UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
FROM (SELECT COALESCE((SELECT store_id FROM transactions GROUP BY store_id
                       ORDER BY COUNT(*) DESC, store_id LIMIT 1), 'store-1') AS store_id) h;

-- Any other store id an old sale or audit row names.
INSERT INTO stores (store_id, name, currency, created_at, updated_at)
SELECT s.store_id, s.store_id, 'EUR', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
FROM (SELECT store_id FROM transactions UNION SELECT store_id FROM audit_log) s
WHERE s.store_id <> COALESCE((SELECT store_id FROM transactions GROUP BY store_id
                       ORDER BY COUNT(*) DESC, store_id LIMIT 1), 'store-1');

CREATE TABLE store_inventory (
    store_id       VARCHAR(32)   NOT NULL,
    item_id        BIGINT        NOT NULL,
    -- pieces, or grams for weighed items
    stock_quantity BIGINT        NOT NULL,
    -- the store's own price and active flag; NULL: the chain's
    price          DECIMAL(12,2) NULL,
    active         BOOLEAN       NULL,
    -- set when the store's price or active flag changes (not the stock),
    -- like inventory.updated_at, so tills refresh only what changed
    updated_at     DATETIME(6)   NOT NULL,
    PRIMARY KEY (store_id, item_id),
    KEY store_inventory_item (item_id),
    KEY store_inventory_updated (store_id, updated_at),
    CONSTRAINT store_inventory_store FOREIGN KEY (store_id) REFERENCES stores (store_id),
    CONSTRAINT store_inventory_item FOREIGN KEY (item_id) REFERENCES inventory (item_id),
    CONSTRAINT store_inventory_stock_not_negative CHECK (stock_quantity >= 0),
    CONSTRAINT store_inventory_price_not_negative CHECK (price IS NULL OR price >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO store_inventory (store_id, item_id, stock_quantity, updated_at)
SELECT COALESCE((SELECT store_id FROM transactions GROUP BY store_id
                       ORDER BY COUNT(*) DESC, store_id LIMIT 1), 'store-1'),
       item_id, stock_quantity, updated_at
FROM inventory;

ALTER TABLE inventory DROP CONSTRAINT inventory_stock_not_negative;
ALTER TABLE inventory DROP COLUMN stock_quantity;

CREATE TABLE tills (
    store_id      VARCHAR(32)  NOT NULL,
    till_id       VARCHAR(32)  NOT NULL,
    registered_at DATETIME(6)  NOT NULL,
    -- the database's clock (UTC) when the till last started or renewed
    last_seen     DATETIME(6)  NULL,
    version       VARCHAR(64)  NOT NULL DEFAULT '',
    -- the running till that holds this id, until lease_until (the
    -- database's clock); NULL when none does
    lease_key     CHAR(36)     NULL,
    lease_until   DATETIME(6)  NULL,
    -- where the holder runs (host name and process id), for the message
    -- a second till gets
    lease_host    VARCHAR(255) NOT NULL DEFAULT '',
    lease_pid     INT          NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, till_id),
    CONSTRAINT tills_store FOREIGN KEY (store_id) REFERENCES stores (store_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO tills (store_id, till_id, registered_at, last_seen)
SELECT store_id, till_id, MIN(transaction_date), MAX(transaction_date)
FROM transactions GROUP BY store_id, till_id;

CREATE TABLE cashier_stores (
    cashier_id BIGINT      NOT NULL,
    store_id   VARCHAR(32) NOT NULL,
    PRIMARY KEY (cashier_id, store_id),
    KEY cashier_stores_store (store_id),
    CONSTRAINT cashier_stores_cashier FOREIGN KEY (cashier_id) REFERENCES cashiers (cashier_id),
    CONSTRAINT cashier_stores_store FOREIGN KEY (store_id) REFERENCES stores (store_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every cashier could sign in anywhere before; they still may.
INSERT INTO cashier_stores (cashier_id, store_id)
SELECT c.cashier_id, s.store_id FROM cashiers c CROSS JOIN stores s;

-- sign_in of 00002, with one more refusal: a cashier signs in only at a
-- store of theirs (cashier_stores). A wrong PIN is counted wherever it is
-- typed, as before; a right PIN at another store is refused and audited
-- as sign_in_store without resetting the count. The answer stays "signed
-- in" or "refused".
DROP PROCEDURE sign_in;

-- +goose StatementBegin
CREATE PROCEDURE sign_in(
    IN p_store  VARCHAR(32)  CHARACTER SET utf8mb4,
    IN p_till   VARCHAR(32)  CHARACTER SET utf8mb4,
    IN p_number VARCHAR(64)  CHARACTER SET utf8mb4,
    IN p_key    VARCHAR(255) CHARACTER SET utf8mb4)
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'Check a derived PIN key under the lockout and the cashier''s stores; audit; answer signed in or refused'
BEGIN
    DECLARE v_id      BIGINT DEFAULT NULL;
    DECLARE v_number  VARCHAR(16)  CHARACTER SET utf8mb4;
    DECLARE v_name    VARCHAR(255) CHARACTER SET utf8mb4;
    DECLARE v_manager BOOLEAN;
    DECLARE v_hash    VARCHAR(255) CHARACTER SET utf8mb4;
    DECLARE v_active  BOOLEAN;
    DECLARE v_failed  INT;
    DECLARE v_locked  DATETIME(6);
    DECLARE v_now     DATETIME(6);
    DECLARE v_max     INT DEFAULT NULL;
    DECLARE v_lockout INT;
    DECLARE v_right   BOOLEAN DEFAULT FALSE;
    DECLARE v_here    INT DEFAULT 0;
    DECLARE v_action  VARCHAR(64)   CHARACTER SET utf8mb4;
    DECLARE v_detail  VARCHAR(1024) CHARACTER SET utf8mb4;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_id = NULL;

    START TRANSACTION;
    SELECT max_attempts, lockout_seconds INTO v_max, v_lockout FROM signin_policy WHERE id = 1;
    IF v_max IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'signin_policy has no row 1';
    END IF;
    -- Every attempt on one cashier queues here, so counting and locking
    -- are serial; the clock is read once the row is ours.
    SELECT cashier_id, number, name, manager, pin_hash, active, failed_attempts, locked_until
        INTO v_id, v_number, v_name, v_manager, v_hash, v_active, v_failed, v_locked
        FROM cashiers WHERE number = p_number COLLATE utf8mb4_unicode_ci FOR UPDATE;
    SET v_now = UTC_TIMESTAMP(6);
    -- Compare digests of both sides: the time a comparison takes then says
    -- nothing about the stored key.
    IF v_id IS NOT NULL AND v_hash LIKE 'pbkdf2-sha256$%$%$%' AND p_key <> '' THEN
        SET v_right = SHA2(p_key, 256) = SHA2(SUBSTRING_INDEX(v_hash, '$', -1), 256);
    END IF;
    IF v_id IS NOT NULL THEN
        SELECT COUNT(*) INTO v_here FROM cashier_stores
            WHERE cashier_id = v_id AND store_id = p_store COLLATE utf8mb4_unicode_ci;
    END IF;

    IF v_id IS NULL THEN
        SET v_action = 'sign_in_unknown',
            v_detail = CONCAT('refused: no cashier numbered ', p_number);
    ELSEIF v_locked IS NOT NULL AND v_locked > v_now THEN
        SET v_action = 'sign_in_locked',
            v_detail = CONCAT('refused: locked until ', DATE_FORMAT(v_locked, '%Y-%m-%d %H:%i:%s UTC'),
                              IF(v_right, ' (the PIN was right)', ' (the PIN was wrong)'));
    ELSEIF NOT v_active THEN
        SET v_action = 'sign_in_inactive',
            v_detail = CONCAT('refused: the cashier is not active',
                              IF(v_right, ' (the PIN was right)', ' (the PIN was wrong)'));
    ELSEIF v_right AND v_here = 0 THEN
        SET v_action = 'sign_in_store',
            v_detail = CONCAT('refused: the cashier may not sign in at store ', p_store,
                              ' (the PIN was right)');
    ELSEIF v_right THEN
        UPDATE cashiers SET failed_attempts = 0, locked_until = NULL WHERE cashier_id = v_id;
        SET v_action = 'sign_in', v_detail = '';
    ELSEIF v_failed + 1 >= v_max THEN
        SET v_locked = v_now + INTERVAL v_lockout SECOND;
        UPDATE cashiers SET failed_attempts = 0, locked_until = v_locked WHERE cashier_id = v_id;
        SET v_action = 'sign_in_lockout',
            v_detail = CONCAT('wrong PIN ', v_failed + 1, ' of ', v_max, ': locked until ',
                              DATE_FORMAT(v_locked, '%Y-%m-%d %H:%i:%s UTC'));
    ELSE
        UPDATE cashiers SET failed_attempts = v_failed + 1 WHERE cashier_id = v_id;
        SET v_action = 'sign_in_failed',
            v_detail = CONCAT('wrong PIN ', v_failed + 1, ' of ', v_max);
    END IF;
    INSERT INTO audit_log (at, store_id, till_id, cashier_id, action, detail)
        VALUES (v_now, p_store, p_till, v_id, v_action, LEFT(v_detail, 1024));
    COMMIT;

    IF v_action = 'sign_in' THEN
        SELECT TRUE AS signed_in, v_id AS cashier_id, v_number AS number, v_name AS name, v_manager AS manager;
    ELSE
        SELECT FALSE AS signed_in, 0 AS cashier_id, '' AS number, '' AS name, FALSE AS manager;
    END IF;
END
-- +goose StatementEnd

-- +goose Down
-- Back to one stock number per item: the sum over the stores.
ALTER TABLE inventory ADD COLUMN stock_quantity BIGINT NOT NULL DEFAULT 0 AFTER active;
UPDATE inventory i SET i.stock_quantity =
    (SELECT COALESCE(SUM(s.stock_quantity), 0) FROM store_inventory s WHERE s.item_id = i.item_id);
ALTER TABLE inventory ADD CONSTRAINT inventory_stock_not_negative CHECK (stock_quantity >= 0);
DROP PROCEDURE sign_in;
-- +goose StatementBegin
CREATE PROCEDURE sign_in(
    IN p_store  VARCHAR(32)  CHARACTER SET utf8mb4,
    IN p_till   VARCHAR(32)  CHARACTER SET utf8mb4,
    IN p_number VARCHAR(64)  CHARACTER SET utf8mb4,
    IN p_key    VARCHAR(255) CHARACTER SET utf8mb4)
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'Check a derived PIN key under the lockout; audit; answer signed in or refused'
BEGIN
    DECLARE v_id      BIGINT DEFAULT NULL;
    DECLARE v_number  VARCHAR(16)  CHARACTER SET utf8mb4;
    DECLARE v_name    VARCHAR(255) CHARACTER SET utf8mb4;
    DECLARE v_manager BOOLEAN;
    DECLARE v_hash    VARCHAR(255) CHARACTER SET utf8mb4;
    DECLARE v_active  BOOLEAN;
    DECLARE v_failed  INT;
    DECLARE v_locked  DATETIME(6);
    DECLARE v_now     DATETIME(6);
    DECLARE v_max     INT DEFAULT NULL;
    DECLARE v_lockout INT;
    DECLARE v_right   BOOLEAN DEFAULT FALSE;
    DECLARE v_action  VARCHAR(64)   CHARACTER SET utf8mb4;
    DECLARE v_detail  VARCHAR(1024) CHARACTER SET utf8mb4;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_id = NULL;

    START TRANSACTION;
    SELECT max_attempts, lockout_seconds INTO v_max, v_lockout FROM signin_policy WHERE id = 1;
    IF v_max IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'signin_policy has no row 1';
    END IF;
    SELECT cashier_id, number, name, manager, pin_hash, active, failed_attempts, locked_until
        INTO v_id, v_number, v_name, v_manager, v_hash, v_active, v_failed, v_locked
        FROM cashiers WHERE number = p_number COLLATE utf8mb4_unicode_ci FOR UPDATE;
    SET v_now = UTC_TIMESTAMP(6);
    IF v_id IS NOT NULL AND v_hash LIKE 'pbkdf2-sha256$%$%$%' AND p_key <> '' THEN
        SET v_right = SHA2(p_key, 256) = SHA2(SUBSTRING_INDEX(v_hash, '$', -1), 256);
    END IF;

    IF v_id IS NULL THEN
        SET v_action = 'sign_in_unknown',
            v_detail = CONCAT('refused: no cashier numbered ', p_number);
    ELSEIF v_locked IS NOT NULL AND v_locked > v_now THEN
        SET v_action = 'sign_in_locked',
            v_detail = CONCAT('refused: locked until ', DATE_FORMAT(v_locked, '%Y-%m-%d %H:%i:%s UTC'),
                              IF(v_right, ' (the PIN was right)', ' (the PIN was wrong)'));
    ELSEIF NOT v_active THEN
        SET v_action = 'sign_in_inactive',
            v_detail = CONCAT('refused: the cashier is not active',
                              IF(v_right, ' (the PIN was right)', ' (the PIN was wrong)'));
    ELSEIF v_right THEN
        UPDATE cashiers SET failed_attempts = 0, locked_until = NULL WHERE cashier_id = v_id;
        SET v_action = 'sign_in', v_detail = '';
    ELSEIF v_failed + 1 >= v_max THEN
        SET v_locked = v_now + INTERVAL v_lockout SECOND;
        UPDATE cashiers SET failed_attempts = 0, locked_until = v_locked WHERE cashier_id = v_id;
        SET v_action = 'sign_in_lockout',
            v_detail = CONCAT('wrong PIN ', v_failed + 1, ' of ', v_max, ': locked until ',
                              DATE_FORMAT(v_locked, '%Y-%m-%d %H:%i:%s UTC'));
    ELSE
        UPDATE cashiers SET failed_attempts = v_failed + 1 WHERE cashier_id = v_id;
        SET v_action = 'sign_in_failed',
            v_detail = CONCAT('wrong PIN ', v_failed + 1, ' of ', v_max);
    END IF;
    INSERT INTO audit_log (at, store_id, till_id, cashier_id, action, detail)
        VALUES (v_now, p_store, p_till, v_id, v_action, LEFT(v_detail, 1024));
    COMMIT;

    IF v_action = 'sign_in' THEN
        SELECT TRUE AS signed_in, v_id AS cashier_id, v_number AS number, v_name AS name, v_manager AS manager;
    ELSE
        SELECT FALSE AS signed_in, 0 AS cashier_id, '' AS number, '' AS name, FALSE AS manager;
    END IF;
END
-- +goose StatementEnd
DROP TABLE cashier_stores;
DROP TABLE tills;
DROP TABLE store_inventory;
DROP TABLE stores;
