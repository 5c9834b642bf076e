-- Parked baskets (issue 12): a basket set aside at a till while the
-- customer fetches something. It is stored without taking stock (no sale
-- row, no stock change) and resumed on any till of its store, once: the
-- resuming till's UPDATE … WHERE status = 'parked' is what decides which of
-- two tills gets it. Resuming starts a new sale, under its own key, that goes
-- through the protocol from Reserve.
--
-- The lines and the customer are one JSON document: a parked basket is
-- written and read whole, never queried by line, and its lines become a
-- sale's lines (transaction_items) only once resumed and sold.

-- +goose Up
CREATE TABLE parked_baskets (
    parked_id      BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    -- the key of the sale it was parked from: parking is idempotent by it
    park_key       CHAR(36)     NOT NULL,
    store_id       VARCHAR(32)  NOT NULL,
    till_id        VARCHAR(32)  NOT NULL,
    cashier_id     BIGINT       NOT NULL,
    customer_id    BIGINT       NULL,
    line_count     INT          NOT NULL,
    total_amount   DECIMAL(12,2) NOT NULL,
    -- {"customer": {...} | null, "lines": [{...}, ...]}
    basket         JSON         NOT NULL,
    status         ENUM('parked','resumed') NOT NULL DEFAULT 'parked',
    parked_at      DATETIME(6)  NOT NULL,
    resumed_till   VARCHAR(32)  NULL,
    resumed_by     BIGINT       NULL,
    -- the key of the sale it became
    resumed_key    CHAR(36)     NULL,
    resumed_at     DATETIME(6)  NULL,
    UNIQUE KEY parked_key (park_key),
    KEY parked_waiting (store_id, status, parked_at),
    CONSTRAINT parked_store FOREIGN KEY (store_id) REFERENCES stores (store_id),
    CONSTRAINT parked_cashier FOREIGN KEY (cashier_id) REFERENCES cashiers (cashier_id),
    CONSTRAINT parked_resumer FOREIGN KEY (resumed_by) REFERENCES cashiers (cashier_id),
    CONSTRAINT parked_resumed CHECK (status = 'parked' AND resumed_key IS NULL
        OR status = 'resumed' AND resumed_key IS NOT NULL AND resumed_at IS NOT NULL)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A resumed basket never changes again.
-- +goose StatementBegin
CREATE TRIGGER parked_final BEFORE UPDATE ON parked_baskets FOR EACH ROW
BEGIN
  IF OLD.status = 'resumed' THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a resumed basket cannot change';
  END IF;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER parked_final;
DROP TABLE parked_baskets;
