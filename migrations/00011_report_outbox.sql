-- The Z report goes to the archive through the receipt outbox (issue 12):
-- CloseSession writes, in the transaction that closes the session, a row
-- naming the closed session; the till's receipt worker renders the Z's PDF
-- and uploads it like a receipt. Each row names exactly one of a sale, a
-- return or a Z (the closed session, whose z_reports row it references).
--
-- The CHECK that names the old columns is dropped first and made anew over
-- the three (MySQL refuses to change a column a CHECK names, and MariaDB
-- would keep the two-column rule).

-- +goose Up
ALTER TABLE receipt_outbox DROP CONSTRAINT receipt_outbox_one;
ALTER TABLE receipt_outbox
    ADD COLUMN z_session_id BIGINT NULL AFTER return_id,
    ADD UNIQUE KEY receipt_outbox_z (z_session_id),
    ADD CONSTRAINT receipt_outbox_z FOREIGN KEY (z_session_id) REFERENCES z_reports (session_id);
ALTER TABLE receipt_outbox
    ADD CONSTRAINT receipt_outbox_one CHECK (
        (transaction_id IS NOT NULL) + (return_id IS NOT NULL) + (z_session_id IS NOT NULL) = 1);

-- +goose Down
ALTER TABLE receipt_outbox DROP CONSTRAINT receipt_outbox_one;
ALTER TABLE receipt_outbox DROP FOREIGN KEY receipt_outbox_z;
DELETE FROM receipt_outbox WHERE z_session_id IS NOT NULL;
ALTER TABLE receipt_outbox DROP KEY receipt_outbox_z, DROP COLUMN z_session_id;
ALTER TABLE receipt_outbox
    ADD CONSTRAINT receipt_outbox_one CHECK ((transaction_id IS NULL) <> (return_id IS NULL));
