-- Customer search that finds the obvious, with an index for every way in
-- (issue 20, item 5).
--
-- Phone: customers.phone_rdigits holds the phone's digits only, reversed.
-- A search by phone is a match on the number's end ("107", "23125 107",
-- "+49 30 23125 107" and "030 23125 107" all end "...23125107"), and a
-- match on the end of the reversed digits is a LIKE 'x%' on an index.
-- A trigger keeps it, not a generated column: MariaDB 10.11 takes
-- REGEXP_REPLACE in a stored generated column, but whether MySQL 8.0
-- (Aurora) does could not be tried here, and the name words need
-- triggers anyway; a trigger's SET is plain SQL both accept, as the
-- triggers of 00001 are.
--
-- Name: customer_name_words holds every word of every name, so "any word
-- starts with" is a LIKE 'x%' on an index too (a leading-wildcard LIKE
-- reads the whole table). Words are split at blanks and at - , . / ( ) '
-- and the letters the collation does not fold (ß, æ, œ, ø, ł, đ, þ) are
-- written out (ss, ae, oe, o, l, d, th); utf8mb4_unicode_ci does the rest
-- (case, accents: "muller" finds "Müller"). A word with ä, ö or ü is also
-- stored the German way (Mueller), so "mueller" finds "Müller". The store
-- (store/catalog.go, nameWords and searchTokens) splits and writes out the
-- query the same way: keep the two in step.
--
-- Both are kept by triggers whoever writes a customer (the seed, an
-- administrator, a future sign-up screen); the till's own user only ever
-- updates loyalty_points, which the triggers skip cheaply.

-- +goose Up
ALTER TABLE customers
    ADD COLUMN phone_rdigits VARCHAR(32) NULL,
    ADD KEY customers_phone_rdigits (phone_rdigits);

CREATE TABLE customer_name_words (
    customer_id BIGINT       NOT NULL,
    word_no     INT          NOT NULL,
    word        VARCHAR(510) NOT NULL,
    PRIMARY KEY (customer_id, word_no),
    KEY customer_name_words_word (word),
    CONSTRAINT customer_name_words_customer FOREIGN KEY (customer_id)
        REFERENCES customers (customer_id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose StatementBegin
CREATE PROCEDURE customer_name_words_set(IN p_id BIGINT,
    IN p_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
BEGIN
    DECLARE rest VARCHAR(1100) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE w VARCHAR(510) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE german VARCHAR(510) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    DECLARE i INT;
    DECLARE n INT DEFAULT 0;
    DELETE FROM customer_name_words WHERE customer_id = p_id;
    -- separators to blanks; REPLACE matches exactly (case- and
    -- accent-sensitively), whatever the collation
    SET rest = REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(
        COALESCE(p_name, ''), CHAR(9 USING utf8mb4), ' '), CHAR(10 USING utf8mb4), ' '),
        CHAR(13 USING utf8mb4), ' '), '-', ' '), ',', ' '), '.', ' '), '/', ' '), '(', ' '), ')', ' '), '''', ' ');
    -- letters the collation keeps apart from any plain letter
    SET rest = REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(
        REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(rest,
        'ß', 'ss'), 'ẞ', 'SS'), 'æ', 'ae'), 'Æ', 'AE'), 'œ', 'oe'), 'Œ', 'OE'), 'ø', 'o'), 'Ø', 'O'),
        'ł', 'l'), 'Ł', 'L'), 'đ', 'd'), 'Đ', 'D'), 'þ', 'th'), 'Þ', 'TH'), 'ð', 'd'), 'Ð', 'D');
    SET rest = CONCAT(rest, ' ');
    WHILE CHAR_LENGTH(rest) > 0 DO
        SET i = LOCATE(' ', rest);
        SET w = LEFT(rest, i - 1);
        SET rest = SUBSTRING(rest, i + 1);
        IF CHAR_LENGTH(w) > 0 THEN
            INSERT INTO customer_name_words (customer_id, word_no, word) VALUES (p_id, n, w);
            SET n = n + 1;
            SET german = REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(w,
                'ä', 'ae'), 'Ä', 'AE'), 'ö', 'oe'), 'Ö', 'OE'), 'ü', 'ue'), 'Ü', 'UE');
            IF german COLLATE utf8mb4_bin <> w COLLATE utf8mb4_bin THEN
                INSERT INTO customer_name_words (customer_id, word_no, word) VALUES (p_id, n, german);
                SET n = n + 1;
            END IF;
        END IF;
    END WHILE;
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER customers_search_insert BEFORE INSERT ON customers FOR EACH ROW
BEGIN
    SET NEW.phone_rdigits = NULLIF(REVERSE(REGEXP_REPLACE(COALESCE(NEW.phone, ''), '[^0-9]', '')), '');
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER customers_words_insert AFTER INSERT ON customers FOR EACH ROW
BEGIN
    CALL customer_name_words_set(NEW.customer_id, NEW.name);
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER customers_search_update BEFORE UPDATE ON customers FOR EACH ROW
BEGIN
    IF NOT (NEW.phone <=> OLD.phone) OR NOT (NEW.phone_rdigits <=> OLD.phone_rdigits) THEN
        SET NEW.phone_rdigits = NULLIF(REVERSE(REGEXP_REPLACE(COALESCE(NEW.phone, ''), '[^0-9]', '')), '');
    END IF;
END
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER customers_words_update AFTER UPDATE ON customers FOR EACH ROW
BEGIN
    IF NOT (NEW.name COLLATE utf8mb4_bin <=> OLD.name COLLATE utf8mb4_bin) THEN
        CALL customer_name_words_set(NEW.customer_id, NEW.name);
    END IF;
END
-- +goose StatementEnd

-- the customers there already
UPDATE customers
SET phone_rdigits = NULLIF(REVERSE(REGEXP_REPLACE(COALESCE(phone, ''), '[^0-9]', '')), '');

-- +goose StatementBegin
CREATE PROCEDURE customer_name_words_backfill()
BEGIN
    DECLARE id BIGINT DEFAULT 0;
    DECLARE nm VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    SET id = (SELECT MIN(customer_id) FROM customers);
    WHILE id IS NOT NULL DO
        SET nm = (SELECT name FROM customers WHERE customer_id = id);
        CALL customer_name_words_set(id, nm);
        SET id = (SELECT MIN(customer_id) FROM customers WHERE customer_id > id);
    END WHILE;
END
-- +goose StatementEnd

CALL customer_name_words_backfill();
DROP PROCEDURE customer_name_words_backfill;

-- +goose Down
DROP TRIGGER customers_words_update;
DROP TRIGGER customers_search_update;
DROP TRIGGER customers_words_insert;
DROP TRIGGER customers_search_insert;
DROP PROCEDURE customer_name_words_set;
DROP TABLE customer_name_words;
ALTER TABLE customers DROP KEY customers_phone_rdigits, DROP COLUMN phone_rdigits;
