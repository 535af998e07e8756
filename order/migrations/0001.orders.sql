-- Orders: the id is the out_trade_no sent to WeChat. Amounts in fen, times in UTC.
CREATE TABLE orders (
    id              text        PRIMARY KEY CHECK (id ~ '^[0-9A-Za-z_|*-]{6,32}$'),
    total_fee       bigint      NOT NULL CHECK (total_fee >= 1),
    description     text        NOT NULL DEFAULT '',
    attach          text        NOT NULL DEFAULT '',
    status          text        NOT NULL DEFAULT 'PENDING'
                    CHECK (status IN ('PENDING', 'PAID', 'CLOSED', 'REFUNDED', 'PARTIALLY_REFUNDED')),
    anomaly         text        CHECK (anomaly IN ('AMOUNT_MISMATCH', 'PAID_AFTER_CLOSE', 'UNKNOWN_ORDER')),
    transaction_id  text,
    paid_at         timestamptz,
    expire_at       timestamptz NOT NULL,
    refunded_fee    bigint      NOT NULL DEFAULT 0 CHECK (refunded_fee >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         bigint      NOT NULL DEFAULT 1
);

-- The reconciler's fallback when the Redis index is lost: pending orders in keyset order.
CREATE INDEX orders_pending_by_expiry ON orders (expire_at, id) WHERE status = 'PENDING';
