-- depends: 0001.orders
-- The worker's tables: which observations were applied (inbox), the events to publish (outbox),
-- refunds, and observations about orders we do not have. Amounts in fen, times in UTC.

-- One row per observation id ever applied: a replay finds its id here and changes nothing.
CREATE TABLE inbox (
    observation_id  text        PRIMARY KEY,
    order_id        text        NOT NULL,
    source          text        NOT NULL CHECK (source IN ('NOTIFY', 'POLL', 'CANCEL')),
    trade_state     text        NOT NULL,
    outcome         text        NOT NULL
                    CHECK (outcome IN ('APPLIED', 'ANOMALY', 'UNKNOWN_ORDER', 'RECORDED',
                                       'NO_CHANGE', 'STALE')),
    processed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_by_order ON inbox (order_id);

-- Order events, written in the transaction that changed the order; the relay publishes them in
-- id order. For one order, ids follow the order's versions (its row lock orders the writers).
CREATE TABLE outbox (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        text        NOT NULL UNIQUE,
    order_id        text        NOT NULL,
    order_version   bigint      NOT NULL,
    event_type      text        NOT NULL CHECK (event_type IN ('paid', 'closed', 'refunded', 'anomaly')),
    payload         bytea       NOT NULL,  -- the serialized paystream.events.v1.OrderEvent
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_by_order ON outbox (order_id, id);

-- Refunds by the merchant's refund number; orders.refunded_fee is the sum of the SUCCESS ones
-- that were applied to a paid order.
CREATE TABLE refunds (
    order_id        text        NOT NULL,
    out_refund_no   text        NOT NULL,
    refund_id       text        NOT NULL DEFAULT '',
    refund_fee      bigint      NOT NULL CHECK (refund_fee >= 0),
    status          text        NOT NULL CHECK (status IN ('PROCESSING', 'SUCCESS', 'CLOSED', 'ABNORMAL')),
    success_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, out_refund_no)
);

-- What WeChat said about orders we do not have, kept whole for a person (each also produced an
-- UNKNOWN_ORDER anomaly event; a payment also became an order row with that anomaly).
CREATE TABLE unknown_order_observations (
    observation_id  text        PRIMARY KEY,
    out_trade_no    text        NOT NULL,
    source          text        NOT NULL,
    trade_state     text        NOT NULL,
    transaction_id  text        NOT NULL DEFAULT '',
    total_fee       bigint      NOT NULL DEFAULT 0,
    out_refund_no   text        NOT NULL DEFAULT '',
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unknown_order_observations_by_trade ON unknown_order_observations (out_trade_no);

-- The reconciler's fallback when the Redis index is lost: pending orders in keyset order by id
-- (0001 already has them by expire time).
CREATE INDEX orders_pending_by_id ON orders (id) WHERE status = 'PENDING';
