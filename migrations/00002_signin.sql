-- Sign-in inside the database (issue 20, item 10).
--
-- The till's user may no longer read cashiers.pin_hash: a 4-digit PIN falls
-- to an offline search in minutes, whatever the hash costs. Instead it may
-- EXECUTE two procedures that run with their definer's rights (the
-- administrative user that ran this migration):
--
--   pin_params(number)  the PBKDF2 iteration count and salt to derive the key
--                       with; for a number that does not exist (or a hash in
--                       another format) a fake salt derived from the number
--                       and a per-database secret, so the answer does not
--                       tell whether the number exists.
--   sign_in(store, till, number, key)
--                       in one transaction, on the database's clock: lock the
--                       cashier row, refuse while locked or inactive, compare
--                       the derived key with the stored one, count the wrong
--                       PIN and lock after max_attempts, write the audit row
--                       (with the store and till), commit. It answers only
--                       "signed in" (with the cashier) or "refused"; the
--                       reason is in the audit log, not in the answer.
--
-- The procedure owns its transaction (START TRANSACTION … COMMIT), so a
-- caller cannot roll a counted wrong PIN back with its own transaction.
-- Times are UTC (UTC_TIMESTAMP), like every other column.
--
-- Both MariaDB 10.11 and MySQL 8.0 accept this SQL. Procedures (not
-- functions) do not need log_bin_trust_function_creators with binlog on.

-- +goose Up
CREATE TABLE signin_policy (
    id              TINYINT       NOT NULL PRIMARY KEY,
    -- wrong PINs in a row that lock a cashier's sign-in
    max_attempts    INT           NOT NULL,
    -- how long the lock lasts
    lockout_seconds INT           NOT NULL,
    -- the iteration count pin_params gives for a number that does not exist:
    -- keep it equal to what pos.HashPIN uses
    pin_iterations  INT           NOT NULL,
    -- the secret behind those fake salts; never leaves the database
    fake_salt_key   VARBINARY(32) NOT NULL,
    CONSTRAINT signin_policy_one_row CHECK (id = 1),
    CONSTRAINT signin_policy_sane CHECK (max_attempts >= 1 AND lockout_seconds >= 1 AND pin_iterations >= 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The defaults are pos.MaxPINAttempts and pos.PINLockout (3 wrong PINs,
-- 2 minutes) and pos.HashPIN's 200,000 iterations.
INSERT INTO signin_policy (id, max_attempts, lockout_seconds, pin_iterations, fake_salt_key)
VALUES (1, 3, 120, 200000, RANDOM_BYTES(32));

-- +goose StatementBegin
CREATE PROCEDURE pin_params(IN p_number VARCHAR(64) CHARACTER SET utf8mb4)
    READS SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'PBKDF2 iterations and salt for a cashier number (fake ones for an unknown number)'
BEGIN
    DECLARE v_hash VARCHAR(255) CHARACTER SET utf8mb4 DEFAULT NULL;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_hash = NULL;

    SELECT pin_hash INTO v_hash FROM cashiers
        WHERE number = p_number COLLATE utf8mb4_unicode_ci;
    IF v_hash LIKE 'pbkdf2-sha256$%$%$%' THEN
        SELECT CAST(SUBSTRING_INDEX(SUBSTRING_INDEX(v_hash, '$', 2), '$', -1) AS UNSIGNED) AS iterations,
               SUBSTRING_INDEX(SUBSTRING_INDEX(v_hash, '$', 3), '$', -1) AS salt;
    ELSE
        -- 16 bytes, unpadded base64, like a real salt; the same every time
        -- for the same number, unpredictable without fake_salt_key.
        SELECT pin_iterations AS iterations,
               TRIM(TRAILING '=' FROM TO_BASE64(UNHEX(LEFT(
                   SHA2(CONCAT(HEX(fake_salt_key), ':', p_number), 256), 32)))) AS salt
            FROM signin_policy WHERE id = 1;
    END IF;
END
-- +goose StatementEnd

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

-- +goose Down
DROP PROCEDURE IF EXISTS sign_in;
DROP PROCEDURE IF EXISTS pin_params;
DROP TABLE IF EXISTS signin_policy;
