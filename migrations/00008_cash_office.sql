-- The cash office (issue 12): till sessions, the drawer's cash movements,
-- and the Z report that closes a session.
--
--   till_drawers    one row per (store, till): the session open at the till,
--                   if any. It is the till's lock: opening, closing (and
--                   allocating the Z number) take it FOR UPDATE; a sale or
--                   return stamping its session (the triggers below) and a
--                   cash movement take it LOCK IN SHARE MODE. So a sale
--                   committing while a Z closes is either in before the
--                   close reads (the close waits for it) or stamped after it
--                   (with the next session, or none): counted exactly once.
--   till_sessions   a cashier opens the till with a counted float; closed
--                   by the Z.
--   cash_movements  paid-in, paid-out, pick-ups to the safe, no-sales: each
--                   with a reason; paid-out and no-sale with the manager who
--                   approved them. Cash sales and change are the payments
--                   of the session's sales, cash refunds the refunds of its
--                   returns: never copied here.
--   cash_counts     the float and the closing count, by denomination.
--   z_reports       one per closed session: the Z number (gap-free per
--                   till: the last one + 1, read under the drawer's lock in
--                   the closing transaction, and unique), the headline
--                   figures as they were at the close and the till's running
--                   grand total. Append-only.
--
-- transactions.session_id and returns.session_id are stamped by BEFORE
-- INSERT triggers from the till's open session (NULL when none is open): the
-- sale protocol's statements stay as they are, and the till's user needs no
-- grant for it (a trigger runs with its definer's rights).

-- +goose Up
CREATE TABLE till_sessions (
    session_id       BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    idempotency_key  CHAR(36)      NOT NULL,
    store_id         VARCHAR(32)   NOT NULL,
    till_id          VARCHAR(32)   NOT NULL,
    training         BOOLEAN       NOT NULL DEFAULT FALSE,
    currency         CHAR(3)       NOT NULL,
    opened_by        BIGINT        NOT NULL,
    opened_at        DATETIME(6)   NOT NULL,
    opening_float    DECIMAL(12,2) NOT NULL,
    status           ENUM('open','closed') NOT NULL DEFAULT 'open',
    closed_by        BIGINT        NULL,
    closed_at        DATETIME(6)   NULL,
    -- sales and returns made at the till while no session was open, with
    -- ids above these, are listed by this session's reports (up to the
    -- Z's outside_*_upto): each in exactly one Z
    sales_after      BIGINT        NOT NULL DEFAULT 0,
    returns_after    BIGINT        NOT NULL DEFAULT 0,
    UNIQUE KEY till_sessions_key (idempotency_key),
    KEY till_sessions_till (store_id, till_id, opened_at),
    CONSTRAINT till_sessions_store FOREIGN KEY (store_id) REFERENCES stores (store_id),
    CONSTRAINT till_sessions_opener FOREIGN KEY (opened_by) REFERENCES cashiers (cashier_id),
    CONSTRAINT till_sessions_closer FOREIGN KEY (closed_by) REFERENCES cashiers (cashier_id),
    CONSTRAINT till_sessions_float CHECK (opening_float >= 0),
    CONSTRAINT till_sessions_closed CHECK ((status = 'closed') = (closed_at IS NOT NULL))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE till_drawers (
    store_id         VARCHAR(32)   NOT NULL,
    till_id          VARCHAR(32)   NOT NULL,
    open_session_id  BIGINT        NULL,
    updated_at       DATETIME(6)   NOT NULL,
    PRIMARY KEY (store_id, till_id),
    UNIQUE KEY till_drawers_session (open_session_id),
    CONSTRAINT till_drawers_store FOREIGN KEY (store_id) REFERENCES stores (store_id),
    CONSTRAINT till_drawers_session FOREIGN KEY (open_session_id) REFERENCES till_sessions (session_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE cash_movements (
    movement_id      BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    idempotency_key  CHAR(36)      NOT NULL,
    session_id       BIGINT        NOT NULL,
    kind             ENUM('paid_in','paid_out','pickup','no_sale') NOT NULL,
    -- positive; 0 for a no-sale
    amount           DECIMAL(12,2) NOT NULL,
    reason           VARCHAR(255)  NOT NULL,
    cashier_id       BIGINT        NOT NULL,
    approved_by      BIGINT        NULL,
    created_at       DATETIME(6)   NOT NULL,
    UNIQUE KEY cash_movements_key (idempotency_key),
    KEY cash_movements_session (session_id, kind),
    CONSTRAINT cash_movements_session FOREIGN KEY (session_id) REFERENCES till_sessions (session_id),
    CONSTRAINT cash_movements_cashier FOREIGN KEY (cashier_id) REFERENCES cashiers (cashier_id),
    CONSTRAINT cash_movements_approver FOREIGN KEY (approved_by) REFERENCES cashiers (cashier_id),
    CONSTRAINT cash_movements_amount CHECK ((kind = 'no_sale' AND amount = 0) OR (kind <> 'no_sale' AND amount > 0)),
    CONSTRAINT cash_movements_reason CHECK (reason <> ''),
    CONSTRAINT cash_movements_approval CHECK (kind NOT IN ('paid_out','no_sale') OR approved_by IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE cash_counts (
    session_id       BIGINT        NOT NULL,
    stage            ENUM('open','close') NOT NULL,
    denomination     DECIMAL(12,2) NOT NULL,
    quantity         INT           NOT NULL,
    PRIMARY KEY (session_id, stage, denomination),
    CONSTRAINT cash_counts_session FOREIGN KEY (session_id) REFERENCES till_sessions (session_id),
    CONSTRAINT cash_counts_positive CHECK (denomination > 0 AND quantity > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE z_reports (
    session_id        BIGINT        NOT NULL PRIMARY KEY,
    close_key         CHAR(36)      NOT NULL,
    store_id          VARCHAR(32)   NOT NULL,
    till_id           VARCHAR(32)   NOT NULL,
    z_number          INT           NOT NULL,
    closed_by         BIGINT        NOT NULL,
    closed_at         DATETIME(6)   NOT NULL,
    sales_count       INT           NOT NULL,
    -- completed sales' totals with their cash rounding
    sales_total       DECIMAL(12,2) NOT NULL,
    -- completed returns' and voids' refunds (with cash rounding)
    returns_total     DECIMAL(12,2) NOT NULL,
    -- sales_total − returns_total: what grand_total adds up
    net_total         DECIMAL(12,2) NOT NULL,
    expected_cash     DECIMAL(12,2) NOT NULL,
    counted_cash      DECIMAL(12,2) NOT NULL,
    difference        DECIMAL(12,2) NOT NULL,
    -- the previous Z's grand total + net_total
    grand_total       DECIMAL(15,2) NOT NULL,
    first_sale_id     BIGINT        NULL,
    last_sale_id      BIGINT        NULL,
    -- the last sale and return made at the till outside a session that
    -- this Z lists (till_sessions.sales_after and returns_after)
    outside_sales_upto   BIGINT     NOT NULL DEFAULT 0,
    outside_returns_upto BIGINT     NOT NULL DEFAULT 0,
    UNIQUE KEY z_reports_number (store_id, till_id, z_number),
    UNIQUE KEY z_reports_key (close_key),
    CONSTRAINT z_reports_session FOREIGN KEY (session_id) REFERENCES till_sessions (session_id),
    CONSTRAINT z_reports_closer FOREIGN KEY (closed_by) REFERENCES cashiers (cashier_id),
    CONSTRAINT z_reports_number_positive CHECK (z_number > 0),
    CONSTRAINT z_reports_difference CHECK (difference = counted_cash - expected_cash),
    CONSTRAINT z_reports_net CHECK (net_total = sales_total - returns_total)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The sales tables are the biggest: each change is one that MySQL 8 and
-- MariaDB make without copying the table or stopping the tills' writes (a
-- column added last: instant; an index: in place). No foreign key on
-- session_id: adding one copies the whole table under a write lock, and
-- the triggers below only ever take it from till_drawers, whose key to
-- till_sessions is checked (store.CheckCashOffice checks the rest).
ALTER TABLE transactions ADD COLUMN session_id BIGINT NULL;
ALTER TABLE transactions ADD KEY transactions_session (session_id);
ALTER TABLE returns ADD COLUMN session_id BIGINT NULL;
ALTER TABLE returns ADD KEY returns_session (session_id);

-- +goose StatementBegin
CREATE TRIGGER transactions_session BEFORE INSERT ON transactions FOR EACH ROW
BEGIN
    DECLARE v_session BIGINT DEFAULT NULL;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_session = NULL;
    SELECT open_session_id INTO v_session FROM till_drawers
        WHERE store_id = NEW.store_id AND till_id = NEW.till_id LOCK IN SHARE MODE;
    SET NEW.session_id = v_session;
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER returns_session BEFORE INSERT ON returns FOR EACH ROW
BEGIN
    DECLARE v_session BIGINT DEFAULT NULL;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_session = NULL;
    SELECT open_session_id INTO v_session FROM till_drawers
        WHERE store_id = NEW.store_id AND till_id = NEW.till_id LOCK IN SHARE MODE;
    SET NEW.session_id = v_session;
END
-- +goose StatementEnd

-- A closed session never changes, and only its Z closes it; the drawer
-- lets go of a session only once it is closed; a Z's number is the till's
-- last + 1 and its grand total the last one's plus its net total, whoever
-- writes it (the store allocates both under the drawer's lock; a writer
-- that did not would hit the unique key, never leave a gap).
-- +goose StatementBegin
CREATE TRIGGER till_sessions_final BEFORE UPDATE ON till_sessions FOR EACH ROW
BEGIN
    IF OLD.status <> 'open' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a closed till session cannot be changed';
    END IF;
    IF NEW.status = 'closed' AND NOT EXISTS (SELECT 1 FROM z_reports WHERE session_id = NEW.session_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a till session is closed by its Z report only';
    END IF;
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER till_drawers_session BEFORE UPDATE ON till_drawers FOR EACH ROW
BEGIN
    IF OLD.open_session_id IS NOT NULL AND NOT (NEW.open_session_id <=> OLD.open_session_id)
       AND EXISTS (SELECT 1 FROM till_sessions WHERE session_id = OLD.open_session_id AND status = 'open') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the till''s session is open: close it with a Z first';
    END IF;
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER z_reports_number BEFORE INSERT ON z_reports FOR EACH ROW
BEGIN
    DECLARE v_last  INT DEFAULT 0;
    DECLARE v_grand DECIMAL(15,2) DEFAULT 0;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_last = 0, v_grand = 0;
    SELECT z_number, grand_total INTO v_last, v_grand FROM z_reports
        WHERE store_id = NEW.store_id AND till_id = NEW.till_id ORDER BY z_number DESC LIMIT 1;
    IF NEW.z_number <> v_last + 1 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a Z number is the till''s last one + 1';
    END IF;
    IF NEW.grand_total <> v_grand + NEW.net_total THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a Z''s grand total is the last one''s plus its net total';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM till_sessions WHERE session_id = NEW.session_id AND status = 'open'
                   AND store_id = NEW.store_id AND till_id = NEW.till_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a Z closes an open session of its own till';
    END IF;
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER z_reports_no_update BEFORE UPDATE ON z_reports FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a Z report cannot be changed';
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER z_reports_no_delete BEFORE DELETE ON z_reports FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a Z report cannot be deleted';
END
-- +goose StatementEnd

-- A movement goes into an open session only (RecordMovement checks it
-- under the drawer's lock; this holds for any other writer too).
-- +goose StatementBegin
CREATE TRIGGER cash_movements_open BEFORE INSERT ON cash_movements FOR EACH ROW
BEGIN
    IF NOT EXISTS (SELECT 1 FROM till_sessions WHERE session_id = NEW.session_id AND status = 'open') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a cash movement goes into an open session only';
    END IF;
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER cash_movements_no_update BEFORE UPDATE ON cash_movements FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a cash movement cannot be changed';
END
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER cash_movements_no_update;
DROP TRIGGER cash_movements_open;
DROP TRIGGER z_reports_no_delete;
DROP TRIGGER z_reports_no_update;
DROP TRIGGER z_reports_number;
DROP TRIGGER till_drawers_session;
DROP TRIGGER till_sessions_final;
DROP TRIGGER returns_session;
DROP TRIGGER transactions_session;
ALTER TABLE returns DROP KEY returns_session, DROP COLUMN session_id;
ALTER TABLE transactions DROP KEY transactions_session, DROP COLUMN session_id;
DROP TABLE z_reports;
DROP TABLE cash_counts;
DROP TABLE cash_movements;
DROP TABLE till_drawers;
DROP TABLE till_sessions;
