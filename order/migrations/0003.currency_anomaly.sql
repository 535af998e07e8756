-- depends: 0002.worker
-- A payment in another currency is an anomaly kept on the order (a domestic merchant takes CNY).
ALTER TABLE orders DROP CONSTRAINT orders_anomaly_check;
ALTER TABLE orders ADD CONSTRAINT orders_anomaly_check
    CHECK (anomaly IN ('AMOUNT_MISMATCH', 'PAID_AFTER_CLOSE', 'UNKNOWN_ORDER', 'CURRENCY_MISMATCH'));
