-- The till's schema. Names from the seed article where they exist
-- (inventory, customers, transactions.payment_status); money is DECIMAL(12,2)
-- and converted to integer minor units only in the store package.

-- +goose Up
CREATE TABLE inventory (
    item_id        BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code           VARCHAR(32)  NOT NULL,
    item_name      VARCHAR(255) NOT NULL,
    price          DECIMAL(12,2) NOT NULL,
    tax_rate_bp    INT          NOT NULL DEFAULT 0,
    weighed        BOOLEAN      NOT NULL DEFAULT FALSE,
    active         BOOLEAN      NOT NULL DEFAULT TRUE,
    -- pieces, or grams for weighed items
    stock_quantity BIGINT       NOT NULL,
    -- set when the catalog fields change (not the stock), so tills refresh
    -- only what a cashier would see change
    updated_at     DATETIME(6)  NOT NULL,
    UNIQUE KEY inventory_code (code),
    KEY inventory_updated (updated_at),
    CONSTRAINT inventory_stock_not_negative CHECK (stock_quantity >= 0),
    CONSTRAINT inventory_price_not_negative CHECK (price >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE customers (
    customer_id    BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name           VARCHAR(255) NOT NULL,
    email          VARCHAR(255) NULL,
    phone          VARCHAR(32)  NULL,
    loyalty_card   VARCHAR(32)  NULL,
    loyalty_points BIGINT       NOT NULL DEFAULT 0,
    UNIQUE KEY customers_email (email),
    UNIQUE KEY customers_card (loyalty_card),
    KEY customers_phone (phone),
    KEY customers_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE cashiers (
    cashier_id      BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    number          VARCHAR(16)  NOT NULL,
    name            VARCHAR(255) NOT NULL,
    -- PBKDF2-SHA256, never the PIN itself
    pin_hash        VARCHAR(255) NOT NULL,
    manager         BOOLEAN      NOT NULL DEFAULT FALSE,
    active          BOOLEAN      NOT NULL DEFAULT TRUE,
    failed_attempts INT          NOT NULL DEFAULT 0,
    locked_until    DATETIME(6)  NULL,
    UNIQUE KEY cashiers_number (number)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE transactions (
    transaction_id   BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    idempotency_key  CHAR(36)     NOT NULL,
    store_id         VARCHAR(32)  NOT NULL,
    till_id          VARCHAR(32)  NOT NULL,
    cashier_id       BIGINT       NOT NULL,
    customer_id      BIGINT       NULL,
    training         BOOLEAN      NOT NULL DEFAULT FALSE,
    currency         CHAR(3)      NOT NULL,
    subtotal         DECIMAL(12,2) NOT NULL,
    tax              DECIMAL(12,2) NOT NULL,
    total_amount     DECIMAL(12,2) NOT NULL,
    cash_rounding    DECIMAL(12,2) NOT NULL DEFAULT 0,
    points_earned    BIGINT       NOT NULL DEFAULT 0,
    payment_status   ENUM('pending','completed','failed','voided') NOT NULL,
    transaction_date DATETIME(6)  NOT NULL,
    completed_at     DATETIME(6)  NULL,
    updated_at       DATETIME(6)  NOT NULL,
    UNIQUE KEY transactions_key (idempotency_key),
    KEY transactions_pending (till_id, payment_status, transaction_date),
    KEY transactions_date (transaction_date),
    CONSTRAINT transactions_customer FOREIGN KEY (customer_id) REFERENCES customers (customer_id),
    CONSTRAINT transactions_cashier FOREIGN KEY (cashier_id) REFERENCES cashiers (cashier_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE transaction_items (
    transaction_id   BIGINT       NOT NULL,
    line_no          INT          NOT NULL,
    item_id          BIGINT       NOT NULL,
    code             VARCHAR(32)  NOT NULL,
    item_name        VARCHAR(255) NOT NULL,
    weighed          BOOLEAN      NOT NULL DEFAULT FALSE,
    -- pieces, or grams for weighed items
    quantity         INT          NOT NULL,
    unit_price       DECIMAL(12,2) NOT NULL,
    price_overridden BOOLEAN      NOT NULL DEFAULT FALSE,
    discount         DECIMAL(12,2) NOT NULL DEFAULT 0,
    tax_rate_bp      INT          NOT NULL,
    net_amount       DECIMAL(12,2) NOT NULL,
    tax_amount       DECIMAL(12,2) NOT NULL,
    line_total       DECIMAL(12,2) NOT NULL,
    PRIMARY KEY (transaction_id, line_no),
    KEY transaction_items_item (item_id),
    CONSTRAINT transaction_items_sale FOREIGN KEY (transaction_id) REFERENCES transactions (transaction_id),
    CONSTRAINT transaction_items_item FOREIGN KEY (item_id) REFERENCES inventory (item_id),
    CONSTRAINT transaction_items_quantity CHECK (quantity > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per tender or card payment attempt. Only the gateway's ids, the
-- card brand, the last 4 digits and the authorisation code: never a card
-- number or track data.
CREATE TABLE payments (
    payment_id     BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    transaction_id BIGINT       NOT NULL,
    attempt_key    CHAR(36)     NOT NULL,
    method         ENUM('cash','card') NOT NULL,
    status         ENUM('pending','approved','declined','cancelled','failed','unknown','refunded') NOT NULL,
    amount         DECIMAL(12,2) NOT NULL,
    tendered       DECIMAL(12,2) NOT NULL DEFAULT 0,
    change_given   DECIMAL(12,2) NOT NULL DEFAULT 0,
    provider       VARCHAR(32)  NOT NULL DEFAULT '',
    provider_ref   VARCHAR(255) NOT NULL DEFAULT '',
    card_brand     VARCHAR(32)  NOT NULL DEFAULT '',
    card_last4     CHAR(4)      NOT NULL DEFAULT '',
    auth_code      VARCHAR(32)  NOT NULL DEFAULT '',
    message        VARCHAR(255) NOT NULL DEFAULT '',
    created_at     DATETIME(6)  NOT NULL,
    updated_at     DATETIME(6)  NOT NULL,
    UNIQUE KEY payments_attempt (attempt_key),
    KEY payments_sale (transaction_id),
    CONSTRAINT payments_sale FOREIGN KEY (transaction_id) REFERENCES transactions (transaction_id),
    CONSTRAINT payments_last4 CHECK (card_last4 = '' OR card_last4 REGEXP '^[0-9]{4}$'),
    CONSTRAINT payments_amount CHECK (amount >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Written in the transaction that completes a sale; the till's worker
-- uploads the receipt and marks the row, so S3 being down loses nothing.
CREATE TABLE receipt_outbox (
    outbox_id       BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    transaction_id  BIGINT       NOT NULL,
    till_id         VARCHAR(32)  NOT NULL,
    status          ENUM('pending','uploaded') NOT NULL DEFAULT 'pending',
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6)  NOT NULL,
    last_error      VARCHAR(255) NOT NULL DEFAULT '',
    object_key      VARCHAR(512) NOT NULL DEFAULT '',
    created_at      DATETIME(6)  NOT NULL,
    uploaded_at     DATETIME(6)  NULL,
    UNIQUE KEY receipt_outbox_sale (transaction_id),
    KEY receipt_outbox_due (status, next_attempt_at),
    CONSTRAINT receipt_outbox_sale FOREIGN KEY (transaction_id) REFERENCES transactions (transaction_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Append-only: the application user may only INSERT here, and triggers
-- refuse changes from anyone.
CREATE TABLE audit_log (
    audit_id   BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at         DATETIME(6)   NOT NULL,
    store_id   VARCHAR(32)   NOT NULL,
    till_id    VARCHAR(32)   NOT NULL,
    cashier_id BIGINT        NULL,
    action     VARCHAR(64)   NOT NULL,
    sale_key   CHAR(36)      NULL,
    detail     VARCHAR(1024) NOT NULL DEFAULT '',
    KEY audit_log_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A finished sale never changes: column grants cannot say "only while
-- pending", so a trigger does.
-- +goose StatementBegin
CREATE TRIGGER transactions_final BEFORE UPDATE ON transactions FOR EACH ROW
BEGIN
    IF OLD.payment_status <> 'pending' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a finished sale cannot be changed';
    END IF;
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER payments_final BEFORE UPDATE ON payments FOR EACH ROW
BEGIN
    IF OLD.status IN ('declined','cancelled','failed','refunded')
       OR (OLD.status = 'approved' AND NEW.status <> 'refunded') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a finished payment cannot be changed';
    END IF;
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the audit log is append-only';
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the audit log is append-only';
END
-- +goose StatementEnd

-- +goose Down
DROP TABLE audit_log;
DROP TABLE receipt_outbox;
DROP TABLE payments;
DROP TABLE transaction_items;
DROP TABLE transactions;
DROP TABLE cashiers;
DROP TABLE customers;
DROP TABLE inventory;
