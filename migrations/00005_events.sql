-- The event outbox (DESIGN §9). A row is written in the transaction that
-- completes or voids a sale; the till's publisher sends the event to SQS
-- and marks the row. The event itself is built from the sale when it is
-- sent: a finished sale never changes (transactions_final), so every
-- attempt sends the same document under the same event_id.
--
-- status: pending (to send), sent (in SQS), parked (refused as malformed or
-- unbuildable: counted, never retried), expired (no queue took it within
-- the retention; `till events prune`, run as the administrative user,
-- deletes sent and expired rows, since the till's user deletes nothing).

-- +goose Up
CREATE TABLE event_outbox (
    outbox_id       BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id        CHAR(36)     NOT NULL,
    event_type      VARCHAR(32)  NOT NULL,
    transaction_id  BIGINT       NOT NULL,
    store_id        VARCHAR(32)  NOT NULL,
    till_id         VARCHAR(32)  NOT NULL,
    status          ENUM('pending','sent','parked','expired') NOT NULL DEFAULT 'pending',
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6)  NOT NULL,
    -- who holds the claim (a publisher's random token) until next_attempt_at
    lease_token     CHAR(36)     NOT NULL DEFAULT '',
    last_error      VARCHAR(255) NOT NULL DEFAULT '',
    created_at      DATETIME(6)  NOT NULL,
    sent_at         DATETIME(6)  NULL,
    UNIQUE KEY event_outbox_event (event_id),
    KEY event_outbox_due (till_id, status, next_attempt_at),
    KEY event_outbox_lease (lease_token),
    KEY event_outbox_created (status, created_at),
    CONSTRAINT event_outbox_sale FOREIGN KEY (transaction_id) REFERENCES transactions (transaction_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE event_outbox;
