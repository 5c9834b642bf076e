-- Selling through a database outage (issue 16). A till that cannot reach
-- the database sells cash from its snapshot and keeps each sale in a
-- journal on its disk; when the database answers again it forwards them
-- through the sale protocol's idempotent insert, under each sale's own key
-- and with its original time. offline_sales marks those sales (their
-- receipts say OFFLINE) and says when each was forwarded.
--
-- The customer had left with the goods, so a forwarded sale is recorded
-- even when its store is short: the stock stops at zero and the shortfall
-- is a row of stock_shortages (shown in the X and Z reports). The stock
-- invariant reads: initial − current = sold − restocked − Σ(wanted −
-- available).

-- +goose Up
CREATE TABLE offline_sales (
    transaction_id BIGINT       NOT NULL PRIMARY KEY,
    store_id       VARCHAR(32)  NOT NULL,
    till_id        VARCHAR(32)  NOT NULL,
    sold_at        DATETIME(6)  NOT NULL,
    forwarded_at   DATETIME(6)  NOT NULL,
    KEY offline_sales_till (store_id, till_id, forwarded_at),
    CONSTRAINT offline_sales_sale FOREIGN KEY (transaction_id) REFERENCES transactions (transaction_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE stock_shortages (
    shortage_id    BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    transaction_id BIGINT       NOT NULL,
    store_id       VARCHAR(32)  NOT NULL,
    item_id        BIGINT       NOT NULL,
    -- what the sale took, and the stock there was (never below zero)
    wanted         BIGINT       NOT NULL,
    available      BIGINT       NOT NULL,
    recorded_at    DATETIME(6)  NOT NULL,
    UNIQUE KEY stock_shortages_line (transaction_id, item_id),
    KEY stock_shortages_store (store_id, item_id),
    CONSTRAINT stock_shortages_short CHECK (available >= 0 AND wanted > available),
    CONSTRAINT stock_shortages_sale FOREIGN KEY (transaction_id) REFERENCES transactions (transaction_id),
    CONSTRAINT stock_shortages_item FOREIGN KEY (item_id) REFERENCES inventory (item_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE stock_shortages;
DROP TABLE offline_sales;
