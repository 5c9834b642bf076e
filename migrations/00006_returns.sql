-- Returns and refunds (issue 11). A return is its own record: it names the
-- sale it returns (none for a return without a receipt, which a manager
-- approved), its lines and its refunds; the sale's rows never change.
--
-- "Never return more than was sold, never refund more than was paid" is
-- the database's: three counters (sale_line_returns, payment_refunds,
-- sale_refunds) whose CHECK constraints refuse any change that would pass
-- what was sold or paid. A return adds to them in the transaction that
-- records it; a failed return or card refund takes its part off again.
-- The transaction also holds the sale's row lock (SELECT … FOR UPDATE on
-- transactions), so returns of one sale queue and each plans against what
-- the ones before it left; the counters are what makes it a guarantee.
--
-- Like a card payment, a card refund's row (pending, with its attempt key)
-- is committed before the gateway is called; its outcome is recorded after.
-- A return completes when every refund is settled: then, in one
-- transaction, returned stock goes back to the store, loyalty points earned
-- on the returned lines are taken back, and the receipt and event outboxes
-- get their rows.

-- +goose Up
CREATE TABLE returns (
    return_id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    idempotency_key    CHAR(36)     NOT NULL,
    -- the sale returned; NULL for a return without a receipt
    transaction_id     BIGINT       NULL,
    kind               ENUM('return','void') NOT NULL DEFAULT 'return',
    store_id           VARCHAR(32)  NOT NULL,
    till_id            VARCHAR(32)  NOT NULL,
    cashier_id         BIGINT       NOT NULL,
    -- the manager who approved it (no receipt, over the limit, cash instead
    -- of the card); NULL when none was needed
    approved_by        BIGINT       NULL,
    customer_id        BIGINT       NULL,
    training           BOOLEAN      NOT NULL DEFAULT FALSE,
    currency           CHAR(3)      NOT NULL,
    -- what the returned lines are worth, positive
    subtotal           DECIMAL(12,2) NOT NULL,
    tax                DECIMAL(12,2) NOT NULL,
    total_amount       DECIMAL(12,2) NOT NULL,
    -- added to total_amount for the cash part (e.g. −0.02)
    cash_rounding      DECIMAL(12,2) NOT NULL DEFAULT 0,
    -- the store's cash step when the return was made, for a cash part
    -- added later (a failed card refund paid in cash)
    cash_step          DECIMAL(12,2) NOT NULL DEFAULT 0,
    cash_instead       BOOLEAN      NOT NULL DEFAULT FALSE,
    -- loyalty points taken back, and those that could not be (the
    -- customer had spent them): never below zero
    points_reversed    BIGINT       NOT NULL DEFAULT 0,
    points_unreversed  BIGINT       NOT NULL DEFAULT 0,
    status             ENUM('pending','completed','failed') NOT NULL,
    created_at         DATETIME(6)  NOT NULL,
    completed_at       DATETIME(6)  NULL,
    updated_at         DATETIME(6)  NOT NULL,
    UNIQUE KEY returns_key (idempotency_key),
    KEY returns_sale (transaction_id),
    KEY returns_pending (till_id, status, created_at),
    KEY returns_date (created_at),
    CONSTRAINT returns_sale FOREIGN KEY (transaction_id) REFERENCES transactions (transaction_id),
    CONSTRAINT returns_cashier FOREIGN KEY (cashier_id) REFERENCES cashiers (cashier_id),
    CONSTRAINT returns_approver FOREIGN KEY (approved_by) REFERENCES cashiers (cashier_id),
    CONSTRAINT returns_customer FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
    CONSTRAINT returns_total CHECK (total_amount >= 0),
    CONSTRAINT returns_points CHECK (points_reversed >= 0 AND points_unreversed >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE return_items (
    return_id        BIGINT       NOT NULL,
    line_no          INT          NOT NULL,
    -- the sale's line returned (transaction_items.line_no); NULL without a receipt
    sale_line_no     INT          NULL,
    item_id          BIGINT       NOT NULL,
    code             VARCHAR(32)  NOT NULL,
    item_name        VARCHAR(255) NOT NULL,
    weighed          BOOLEAN      NOT NULL DEFAULT FALSE,
    -- pieces, or grams for weighed items
    quantity         INT          NOT NULL,
    unit_price       DECIMAL(12,2) NOT NULL,
    tax_rate_bp      INT          NOT NULL,
    net_amount       DECIMAL(12,2) NOT NULL,
    tax_amount       DECIMAL(12,2) NOT NULL,
    line_total       DECIMAL(12,2) NOT NULL,
    reason           ENUM('damaged','wrong_item','changed_mind','other') NOT NULL,
    restock          BOOLEAN      NOT NULL,
    PRIMARY KEY (return_id, line_no),
    KEY return_items_item (item_id),
    CONSTRAINT return_items_return FOREIGN KEY (return_id) REFERENCES returns (return_id),
    CONSTRAINT return_items_item FOREIGN KEY (item_id) REFERENCES inventory (item_id),
    CONSTRAINT return_items_quantity CHECK (quantity > 0),
    CONSTRAINT return_items_damaged CHECK (reason <> 'damaged' OR NOT restock)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per refund: cash, or one card refund attempt against one of the
-- sale's card payments. Only the gateway's ids, the brand and last 4 digits.
-- status: pending (row written, gateway not answered), approved (the money
-- went back), failed (nothing refunded), unknown (no answer: recovery asks
-- the gateway), owed (cash the till never handed out: it stopped before the
-- return completed; a manager pays it from the drawer).
CREATE TABLE refunds (
    refund_id        BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    return_id        BIGINT       NOT NULL,
    attempt_key      CHAR(36)     NOT NULL,
    method           ENUM('cash','card') NOT NULL,
    status           ENUM('pending','approved','failed','unknown','owed') NOT NULL,
    amount           DECIMAL(12,2) NOT NULL,
    -- the sale's card payment this refunds (card only)
    payment_id       BIGINT       NULL,
    provider         VARCHAR(32)  NOT NULL DEFAULT '',
    provider_ref     VARCHAR(255) NOT NULL DEFAULT '',
    card_brand       VARCHAR(32)  NOT NULL DEFAULT '',
    card_last4       CHAR(4)      NOT NULL DEFAULT '',
    message          VARCHAR(255) NOT NULL DEFAULT '',
    created_at       DATETIME(6)  NOT NULL,
    updated_at       DATETIME(6)  NOT NULL,
    UNIQUE KEY refunds_attempt (attempt_key),
    KEY refunds_return (return_id),
    KEY refunds_payment (payment_id),
    CONSTRAINT refunds_return FOREIGN KEY (return_id) REFERENCES returns (return_id),
    CONSTRAINT refunds_payment FOREIGN KEY (payment_id) REFERENCES payments (payment_id),
    CONSTRAINT refunds_amount CHECK (amount > 0),
    CONSTRAINT refunds_last4 CHECK (card_last4 = '' OR card_last4 REGEXP '^[0-9]{4}$'),
    CONSTRAINT refunds_card CHECK ((method = 'card') = (payment_id IS NOT NULL))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What each sale line has had returned (pending and completed returns).
CREATE TABLE sale_line_returns (
    transaction_id   BIGINT       NOT NULL,
    line_no          INT          NOT NULL,
    sold             INT          NOT NULL,
    returned         INT          NOT NULL,
    PRIMARY KEY (transaction_id, line_no),
    CONSTRAINT sale_line_returns_line FOREIGN KEY (transaction_id, line_no)
        REFERENCES transaction_items (transaction_id, line_no),
    CONSTRAINT sale_line_returns_limit CHECK (returned >= 0 AND returned <= sold)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What each card payment has refunded, or may have (not failed refunds).
CREATE TABLE payment_refunds (
    payment_id       BIGINT       NOT NULL PRIMARY KEY,
    paid             DECIMAL(12,2) NOT NULL,
    refunded         DECIMAL(12,2) NOT NULL,
    CONSTRAINT payment_refunds_payment FOREIGN KEY (payment_id) REFERENCES payments (payment_id),
    CONSTRAINT payment_refunds_limit CHECK (refunded >= 0 AND refunded <= paid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- What each sale has refunded, cash and card (not failed refunds).
CREATE TABLE sale_refunds (
    transaction_id   BIGINT       NOT NULL PRIMARY KEY,
    paid             DECIMAL(12,2) NOT NULL,
    refunded         DECIMAL(12,2) NOT NULL,
    CONSTRAINT sale_refunds_sale FOREIGN KEY (transaction_id) REFERENCES transactions (transaction_id),
    CONSTRAINT sale_refunds_limit CHECK (refunded >= 0 AND refunded <= paid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A finished return never changes, a settled refund neither.
-- +goose StatementBegin
CREATE TRIGGER returns_final BEFORE UPDATE ON returns FOR EACH ROW
BEGIN
    IF OLD.status <> 'pending' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a finished return cannot be changed';
    END IF;
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER refunds_final BEFORE UPDATE ON refunds FOR EACH ROW
BEGIN
    IF OLD.status IN ('approved','failed','owed') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a settled refund cannot be changed';
    END IF;
END
-- +goose StatementEnd

-- Refund receipts and return events go through the same outboxes as a
-- sale's: each row names a sale or a return, never both.
ALTER TABLE receipt_outbox
    MODIFY transaction_id BIGINT NULL,
    ADD COLUMN return_id BIGINT NULL AFTER transaction_id,
    ADD UNIQUE KEY receipt_outbox_return (return_id),
    ADD CONSTRAINT receipt_outbox_return FOREIGN KEY (return_id) REFERENCES returns (return_id),
    ADD CONSTRAINT receipt_outbox_one CHECK ((transaction_id IS NULL) <> (return_id IS NULL));

ALTER TABLE event_outbox
    MODIFY transaction_id BIGINT NULL,
    ADD COLUMN return_id BIGINT NULL AFTER transaction_id,
    ADD KEY event_outbox_return (return_id),
    ADD CONSTRAINT event_outbox_return FOREIGN KEY (return_id) REFERENCES returns (return_id),
    ADD CONSTRAINT event_outbox_one CHECK ((transaction_id IS NULL) <> (return_id IS NULL));

-- +goose Down
ALTER TABLE event_outbox DROP CONSTRAINT event_outbox_one;
ALTER TABLE event_outbox DROP FOREIGN KEY event_outbox_return;
ALTER TABLE event_outbox DROP KEY event_outbox_return, DROP COLUMN return_id;
DELETE FROM event_outbox WHERE transaction_id IS NULL;
ALTER TABLE event_outbox MODIFY transaction_id BIGINT NOT NULL;
ALTER TABLE receipt_outbox DROP CONSTRAINT receipt_outbox_one;
ALTER TABLE receipt_outbox DROP FOREIGN KEY receipt_outbox_return;
ALTER TABLE receipt_outbox DROP KEY receipt_outbox_return, DROP COLUMN return_id;
DELETE FROM receipt_outbox WHERE transaction_id IS NULL;
ALTER TABLE receipt_outbox MODIFY transaction_id BIGINT NOT NULL;
DROP TABLE sale_refunds;
DROP TABLE payment_refunds;
DROP TABLE sale_line_returns;
DROP TRIGGER refunds_final;
DROP TRIGGER returns_final;
DROP TABLE refunds;
DROP TABLE return_items;
DROP TABLE returns;
