-- The stock service's own tables (its own database in production; prefixed so that they can
-- share one in tests and the demo). Quantities are units of an item.

CREATE TABLE IF NOT EXISTS stock_items (
    sku         text    PRIMARY KEY,
    on_hand     integer NOT NULL CHECK (on_hand >= 0),
    reserved    integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    CHECK (reserved <= on_hand)
);

-- One row per order and item. RESERVED: held for an unpaid order; COMMITTED: sold (taken off
-- on_hand); RELEASED: the order closed unpaid, back on sale; REFUND_NEEDED: paid after its close
-- when the stock was gone, so the shop must refund it.
CREATE TABLE IF NOT EXISTS stock_reservations (
    order_id    text        NOT NULL,
    sku         text        NOT NULL REFERENCES stock_items,
    quantity    integer     NOT NULL CHECK (quantity > 0),
    state       text        NOT NULL
                CHECK (state IN ('RESERVED', 'COMMITTED', 'RELEASED', 'REFUND_NEEDED')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, sku)
);

-- Every event applied, by its id, written in the transaction of the stock change it made: a
-- redelivered event finds its id here and changes nothing.
CREATE TABLE IF NOT EXISTS stock_processed_events (
    event_id        text        PRIMARY KEY,
    order_id        text        NOT NULL,
    kind            text        NOT NULL,
    outcome         text        NOT NULL,
    topic           text        NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL,
    processed_at    timestamptz NOT NULL DEFAULT now()
);
