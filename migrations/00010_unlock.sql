-- A manager unlocks a locked cashier at the till (issue 12).
--
-- After signin_policy.max_attempts wrong PINs a cashier's sign-in is locked
-- for lockout_seconds (00002, 00004). The till's user cannot touch the
-- lockout columns, so unlocking runs in the database like sign_in, with its
-- definer's rights:
--
--   unlock_cashier(store, till, manager_number, manager_key, cashier_number)
--       in one transaction, on the database's clock: lock the manager's and
--       the cashier's rows (in one statement), check the manager's derived PIN key exactly as
--       sign_in does (a wrong one counted against the manager, who is
--       locked after max_attempts; a locked or inactive manager refused),
--       refuse a manager who is not a manager or may not sign in at the
--       store, then reset the cashier's failed_attempts and locked_until,
--       write the audit row with both people (the cashier in cashier_id, the
--       manager in the detail), commit. It answers "unlocked" (with the
--       manager) or "refused"; the reason is in the audit log only.
--
-- The till derives the manager's key as for sign-in: pin_params gives the
-- salt and iteration count. Both MariaDB 10.11 and MySQL 8.0 accept this SQL.

-- +goose Up
-- +goose StatementBegin
CREATE PROCEDURE unlock_cashier(
    IN p_store   VARCHAR(32)  CHARACTER SET utf8mb4,
    IN p_till    VARCHAR(32)  CHARACTER SET utf8mb4,
    IN p_number  VARCHAR(64)  CHARACTER SET utf8mb4,
    IN p_key     VARCHAR(255) CHARACTER SET utf8mb4,
    IN p_cashier VARCHAR(64)  CHARACTER SET utf8mb4)
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'A manager (PIN key checked under the lockout) unlocks a cashier; audit; answer unlocked or refused'
BEGIN
    DECLARE v_id      BIGINT DEFAULT NULL;
    DECLARE v_number  VARCHAR(16)  CHARACTER SET utf8mb4;
    DECLARE v_name    VARCHAR(255) CHARACTER SET utf8mb4;
    DECLARE v_manager BOOLEAN;
    DECLARE v_hash    VARCHAR(255) CHARACTER SET utf8mb4;
    DECLARE v_active  BOOLEAN;
    DECLARE v_failed  INT;
    DECLARE v_locked  DATETIME(6);
    DECLARE v_here    INT DEFAULT 0;
    DECLARE v_cid     BIGINT DEFAULT NULL;
    DECLARE v_cname   VARCHAR(255) CHARACTER SET utf8mb4;
    DECLARE v_cfailed INT;
    DECLARE v_clocked DATETIME(6);
    DECLARE v_rows    INT;
    DECLARE v_now     DATETIME(6);
    DECLARE v_max     INT DEFAULT NULL;
    DECLARE v_lockout INT;
    DECLARE v_right   BOOLEAN DEFAULT FALSE;
    DECLARE v_action  VARCHAR(64)   CHARACTER SET utf8mb4;
    DECLARE v_detail  VARCHAR(1024) CHARACTER SET utf8mb4;
    DECLARE v_who     VARCHAR(1024) CHARACTER SET utf8mb4;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    START TRANSACTION;
    SELECT max_attempts, lockout_seconds INTO v_max, v_lockout FROM signin_policy WHERE id = 1;
    IF v_max IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'signin_policy has no row 1';
    END IF;
    -- Both rows are ours before anything is read from them, locked in one
    -- statement in the number index's order (so two unlocks never wait on
    -- each other): every attempt on the manager (a sign-in, an approval,
    -- an unlock) queues here, so the counting is serial.
    SELECT COUNT(*) INTO v_rows FROM cashiers
        WHERE number IN (p_number COLLATE utf8mb4_unicode_ci, p_cashier COLLATE utf8mb4_unicode_ci)
        FOR UPDATE;
    SET v_now = UTC_TIMESTAMP(6);
    BEGIN
        DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_id = NULL;
        SELECT cashier_id, number, name, manager, pin_hash, active, failed_attempts, locked_until
            INTO v_id, v_number, v_name, v_manager, v_hash, v_active, v_failed, v_locked
            FROM cashiers WHERE number = p_number COLLATE utf8mb4_unicode_ci FOR UPDATE;
    END;
    BEGIN
        DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_cid = NULL;
        SELECT cashier_id, name, failed_attempts, locked_until INTO v_cid, v_cname, v_cfailed, v_clocked
            FROM cashiers WHERE number = p_cashier COLLATE utf8mb4_unicode_ci FOR UPDATE;
    END;
    IF v_id IS NOT NULL AND v_hash LIKE 'pbkdf2-sha256$%$%$%' AND p_key <> '' THEN
        SET v_right = SHA2(p_key, 256) = SHA2(SUBSTRING_INDEX(v_hash, '$', -1), 256);
        SELECT COUNT(*) INTO v_here FROM cashier_stores
            WHERE cashier_id = v_id AND store_id = p_store COLLATE utf8mb4_unicode_ci;
    END IF;
    SET v_who = CONCAT('cashier ', p_cashier, ' by manager number ', p_number, ': ');

    IF v_id IS NULL THEN
        SET v_action = 'unlock_unknown',
            v_detail = CONCAT(v_who, 'refused: no cashier numbered ', p_number);
    ELSEIF v_locked IS NOT NULL AND v_locked > v_now THEN
        SET v_action = 'unlock_locked',
            v_detail = CONCAT(v_who, 'refused: the manager is locked until ',
                              DATE_FORMAT(v_locked, '%Y-%m-%d %H:%i:%s UTC'),
                              IF(v_right, ' (the PIN was right)', ' (the PIN was wrong)'));
    ELSEIF NOT v_active THEN
        SET v_action = 'unlock_inactive',
            v_detail = CONCAT(v_who, 'refused: the manager is not active',
                              IF(v_right, ' (the PIN was right)', ' (the PIN was wrong)'));
    ELSEIF NOT v_right AND v_failed + 1 >= v_max THEN
        SET v_locked = v_now + INTERVAL v_lockout SECOND;
        UPDATE cashiers SET failed_attempts = 0, locked_until = v_locked WHERE cashier_id = v_id;
        SET v_action = 'unlock_lockout',
            v_detail = CONCAT(v_who, 'wrong PIN ', v_failed + 1, ' of ', v_max, ': the manager is locked until ',
                              DATE_FORMAT(v_locked, '%Y-%m-%d %H:%i:%s UTC'));
    ELSEIF NOT v_right THEN
        UPDATE cashiers SET failed_attempts = v_failed + 1 WHERE cashier_id = v_id;
        SET v_action = 'unlock_failed',
            v_detail = CONCAT(v_who, 'wrong PIN ', v_failed + 1, ' of ', v_max);
    ELSEIF NOT v_manager THEN
        SET v_action = 'unlock_refused',
            v_detail = CONCAT(v_who, 'refused: cashier ', v_id, ' is not a manager (the PIN was right)');
    ELSEIF v_here = 0 THEN
        SET v_action = 'unlock_refused',
            v_detail = CONCAT(v_who, 'refused: the manager may not sign in at store ', p_store,
                              ' (the PIN was right)');
    ELSEIF v_cid IS NULL THEN
        SET v_action = 'unlock_refused',
            v_detail = CONCAT(v_who, 'refused: no cashier numbered ', p_cashier);
    ELSEIF v_cid = v_id THEN
        SET v_action = 'unlock_refused',
            v_detail = CONCAT(v_who, 'refused: a manager cannot unlock themselves');
    ELSE
        UPDATE cashiers SET failed_attempts = 0, locked_until = NULL WHERE cashier_id IN (v_id, v_cid);
        SET v_action = 'unlock_cashier',
            v_detail = CONCAT('cashier ', v_cid, ' (', v_cname, ') unlocked by manager ', v_id, ' (', v_name, ')',
                              IF(v_clocked IS NOT NULL AND v_clocked > v_now,
                                 CONCAT('; was locked until ', DATE_FORMAT(v_clocked, '%Y-%m-%d %H:%i:%s UTC')),
                                 CONCAT('; was not locked, ', v_cfailed, ' wrong PINs')));
    END IF;
    INSERT INTO audit_log (at, store_id, till_id, cashier_id, action, detail)
        VALUES (v_now, p_store, p_till, v_cid, v_action, LEFT(v_detail, 1024));
    COMMIT;

    IF v_action = 'unlock_cashier' THEN
        SELECT TRUE AS unlocked, v_id AS cashier_id, v_number AS number, v_name AS name, v_manager AS manager;
    ELSE
        SELECT FALSE AS unlocked, 0 AS cashier_id, '' AS number, '' AS name, FALSE AS manager;
    END IF;
END
-- +goose StatementEnd

-- +goose Down
DROP PROCEDURE IF EXISTS unlock_cashier;
